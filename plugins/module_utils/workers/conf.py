# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Worker pool settings read on the target: how many workers a php-fpm pool, Apache or gunicorn may start.

- php-fpm: php-fpm.conf and the pool files it includes (``include=`` with a ``*`` pattern), each pool's
  ``pm`` and ``pm.max_children``.
- Apache: apache2.conf / httpd.conf with Include/IncludeOptional, the MPM its LoadModule lines load and that
  MPM's MaxRequestWorkers (MaxClients), ServerLimit and ThreadsPerChild, honouring <IfModule> blocks that
  name an MPM; Apache's compiled-in defaults where the files leave them out.
- gunicorn: ``--workers`` / ``-w`` on the command line, else in GUNICORN_CMD_ARGS, else WEB_CONCURRENCY,
  else 1, as gunicorn resolves them; unknown when a Python config file may set it (it is never executed).

Files go through module_utils.config_files (bounded, regular files only, each once). What comes out are
numbers and names from fixed lists; a pool name is kept only when it is a plain word.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

from ansible_collections.headroom.memory.plugins.module_utils.config_files import join, lines, walk

PHP_COMM_RE = re.compile(r"^php-fpm(\d{1,2}\.\d{1,2})$")
# php-fpm's process title: "php-fpm: master process (/etc/php/8.2/fpm/php-fpm.conf)"
_PHP_TITLE_RE = re.compile(r"^php-fpm: master process \((/[^()\s]{1,4095})\)\s*$")
PHP_PM_STYLES = ("static", "dynamic", "ondemand")
_POOL_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,63}$")
_INT_RE = re.compile(r"^\d{1,9}$")

# Apache: the directives read, how an <IfModule> names an MPM, and each MPM's compiled-in defaults
# (server/mpm/*/*.c)
APACHE_DIRECTIVES = {"maxrequestworkers": "max_request_workers", "maxclients": "max_request_workers",
                     "serverlimit": "server_limit", "threadsperchild": "threads_per_child"}
APACHE_DEFAULTS = {  # DEFAULT_SERVER_LIMIT, DEFAULT_THREADS_PER_CHILD; MaxRequestWorkers = their product
    "prefork": {"server_limit": 256, "threads_per_child": 1, "max_request_workers": 256},
    "worker": {"server_limit": 16, "threads_per_child": 25, "max_request_workers": 400},
    "event": {"server_limit": 16, "threads_per_child": 25, "max_request_workers": 400},
}
APACHE_LAYOUTS = {"apache2": ("/etc/apache2", "apache2.conf"), "httpd": ("/etc/httpd", "conf/httpd.conf")}
_APACHE_MPM_MODULE_RE = re.compile(r"^!?(?:mpm_(prefork|worker|event)_module|(?:mod_mpm_)?(prefork|worker|event)\.c)$")
_APACHE_LOAD_RE = re.compile(r"^mpm_(prefork|worker|event)_module$")

GUNICORN_CONFIG = "gunicorn.conf.py"  # read from the working directory when no --config is given (gunicorn 20+)


# --- php-fpm ----------------------------------------------------------------------------------------

def _ini_value(value):
    """An INI value without a trailing ``;`` comment and without its quotes."""
    value = value.strip()
    if value[:1] in ('"', "'"):
        end = value.find(value[0], 1)
        return value[1:end] if end > 0 else value[1:]
    return value.split(";", 1)[0].strip()


def php_fpm_parse(text, base):
    """Parse one php-fpm INI file: ("set", (section, key), value) and the includes, in order (php-fpm follows an
    ``include`` in any section, fpm_conf.c)."""
    section = "global"
    for line in lines(text):
        stripped = line.strip()
        if not stripped or stripped[0] in ";#":
            continue
        if stripped[0] == "[" and stripped.endswith("]"):
            section = stripped[1:-1].strip()
            continue
        key, sep, value = stripped.partition("=")
        if not sep:
            continue
        key, value = key.strip(), _ini_value(value)
        if key == "include":
            yield _include(base, value)
        elif key.lower() in ("pm", "pm.max_children"):  # php-fpm matches option names with strcasecmp
            yield "set", (section, key.lower()), value


def _include(base, pattern):
    """The walk step of an include pattern: a file, or a directory with ``prefix*suffix``; "" for one not read."""
    if not pattern:
        return "include", "", True
    path = join(base, pattern)
    directory, name = os.path.split(path)
    if "*" not in name and "?" not in name and "[" not in name:
        return "include", path, False
    if name.count("*") != 1 or "?" in name or "[" in name or any(c in directory for c in "*?["):
        return "include", "", False
    prefix, _star, suffix = name.partition("*")
    return "dir", directory, (prefix, suffix)


def php_fpm_pools(raw, problems):
    """[{name, pm, max_children}] of every pool in the parsed settings, sorted by name."""
    pools = {}
    for (section, key), value in raw.items():
        if section == "global":
            continue
        pools.setdefault(section, {})[key] = value
    out = []
    for section in sorted(pools):
        values = pools[section]
        name = section if _POOL_NAME_RE.match(section) else None
        if name is None:
            problems.append("a php-fpm pool has a name that is not a plain word: its name is not shown")
        pm = values.get("pm", "dynamic")
        children = values.get("pm.max_children")
        if children is not None and not _INT_RE.match(children):
            problems.append("php-fpm pm.max_children has a value that is not a number: ignored")
            children = None
        pm = pm.lower()  # pm = Static is static to php-fpm (strcasecmp)
        out.append({"name": name, "pm": pm if pm in PHP_PM_STYLES else None,
                    "max_children": int(children) if children is not None else None})
    return out


def php_fpm_config(comm, args):
    """The php-fpm.conf a master reads: from its process title, else Debian's path for its version."""
    title = " ".join(args or [])
    m = _PHP_TITLE_RE.match(title)
    if m:
        return m.group(1)
    m = PHP_COMM_RE.match(comm or "")
    return "/etc/php/%s/fpm/php-fpm.conf" % m.group(1) if m else None


def php_fpm_settings(reader, config):
    """{pools: [...], max_children: the sum over pools (None when a pool's is unknown)}."""
    raw = {}
    walk(reader, config, php_fpm_parse, raw, missing="php-fpm's configuration file could not be read")
    problems = []
    pools = php_fpm_pools(raw, problems)
    for text in problems:
        reader.problem(text)
    counts = [p["max_children"] for p in pools]
    total = sum(counts) if counts and None not in counts else None
    return {"pools": pools, "max_children": total}


# --- Apache -----------------------------------------------------------------------------------------

def _first_word(text):
    """(the first word, the rest) of a line: Apache separates a directive from its arguments by spaces or tabs."""
    parts = text.split(None, 1) + ["", ""]
    return parts[0], parts[1]


def _words(text):
    """The arguments of a directive, quotes removed (Apache's own simple word splitting)."""
    return [w.strip("\"'") for w in text.split()]


class ApacheParser(object):
    """The parse step for config_files.walk: remembers the MPM loaded so far (LoadModule comes before the
    MPM's settings in every stock layout), and skips settings inside an <IfModule> of another MPM."""

    def __init__(self, server_root):
        self.server_root = server_root
        self.mpm = None

    def _applies(self, stack):
        for negated, mpm in stack:
            if mpm is None:
                continue
            if (mpm == self.mpm) == negated:
                return False
        return True

    def __call__(self, text, _base):
        stack = []
        for line in lines(text):
            stripped = line.strip()
            if not stripped or stripped[0] == "#":
                continue
            if stripped.startswith("</"):
                if stack:
                    stack.pop()
                continue
            if stripped[0] == "<":
                tag, rest = _first_word(stripped[1:].rstrip(">"))
                arg = rest.strip().strip("\"'")
                m = _APACHE_MPM_MODULE_RE.match(arg) if tag.lower() == "ifmodule" else None
                stack.append((arg.startswith("!"), (m.group(1) or m.group(2)) if m else None))
                continue
            name, rest = _first_word(stripped)
            name = name.lower()
            args = _words(rest)
            if not self._applies(stack):
                continue
            if name == "loadmodule" and args:
                m = _APACHE_LOAD_RE.match(args[0])
                if m:
                    self.mpm = m.group(1)
                    yield "set", "mpm", self.mpm
            elif name in APACHE_DIRECTIVES and args:
                yield "set", APACHE_DIRECTIVES[name], args[0]
            elif name in ("include", "includeoptional") and args:
                step = _include(self.server_root, args[0])
                if step[0] == "include" and step[1]:
                    step = ("include", step[1], name == "include")
                yield step


def apache_settings(reader, comm, args):
    """{mpm, max_request_workers, server_limit, threads_per_child, explicit} of an Apache master."""
    server_root, config = APACHE_LAYOUTS.get(comm, APACHE_LAYOUTS["apache2"])
    i = 1
    while i < len(args or []):
        if args[i] in ("-d", "-f") and i + 1 < len(args):
            if args[i] == "-d":
                server_root = args[i + 1]
            else:
                config = args[i + 1]
            i += 1
        i += 1
    if not server_root.startswith("/"):
        reader.problem("Apache runs with a relative server root: not read")
        return {"mpm": None, "explicit": []}
    parser = ApacheParser(server_root)
    raw = {}
    walk(reader, join(server_root, config), parser, raw, missing="Apache's configuration file could not be read")
    mpm = raw.pop("mpm", None)
    out = {"mpm": mpm, "explicit": sorted(k for k in raw)}
    if mpm is None:
        reader.problem("no LoadModule of an MPM was found in Apache's configuration")
        return out
    for key, default in APACHE_DEFAULTS[mpm].items():
        value = raw.get(key)
        if value is not None and not _INT_RE.match(value):
            reader.problem("Apache %s has a value that is not a number: ignored" % key)
            value = None
        out[key] = int(value) if value is not None else default
    if mpm == "prefork" and "max_request_workers" not in raw:
        out["max_request_workers"] = min(out["max_request_workers"], out["server_limit"])
    return out


def apache_processes(settings):
    """The most child processes Apache starts with ``settings``: MaxRequestWorkers / ThreadsPerChild, at most
    ServerLimit; None without an MPM."""
    if not settings.get("mpm"):
        return None
    per_child = max(settings.get("threads_per_child") or 1, 1) if settings["mpm"] != "prefork" else 1
    return min(-(-settings["max_request_workers"] // per_child), settings["server_limit"])


# --- gunicorn ---------------------------------------------------------------------------------------

def _gunicorn_options(tokens):
    """(workers or None, config given) from gunicorn arguments; the last one wins, as in argparse."""
    workers, config = None, False
    i = 0
    while i < len(tokens):
        token = tokens[i]
        value = None
        if token in ("-w", "--workers") and i + 1 < len(tokens):
            value = tokens[i + 1]
            i += 1
        elif token.startswith("--workers="):
            value = token[len("--workers="):]
        elif token.startswith("-w") and not token.startswith("--") and len(token) > 2:
            value = token[2:]
        elif token in ("-c", "--config") or token.startswith("--config="):
            config = True
        if value is not None:
            workers = int(value) if _INT_RE.match(value) else -1
        i += 1
    return workers, config


def gunicorn_args(args):
    """gunicorn's own arguments in a master's argv (after the python interpreter and the gunicorn script)."""
    args = list(args or [])
    for i, arg in enumerate(args):
        if arg.rsplit("/", 1)[-1] == "gunicorn":
            return args[i + 1:]
    return args[1:]


def gunicorn_environ(environ):
    """(GUNICORN_CMD_ARGS tokens, WEB_CONCURRENCY) from the raw bytes of /proc/<pid>/environ; nothing else of
    it is read (an environment holds secrets)."""
    cmd_args, concurrency = [], None
    for entry in (environ or b"").split(b"\0"):
        name, sep, value = entry.partition(b"=")
        if not sep:
            continue
        if name == b"GUNICORN_CMD_ARGS":
            cmd_args = value.decode("utf-8", "replace").split()
        elif name == b"WEB_CONCURRENCY":
            concurrency = value.decode("ascii", "replace").strip()
    return cmd_args, concurrency


def gunicorn_settings(args, environ, cwd_has_config=False):
    """{workers, source}: gunicorn's worker count as it resolves it (command line > GUNICORN_CMD_ARGS > config
    file > WEB_CONCURRENCY > 1); workers None when a config file, never executed here, may set it."""
    workers, config = _gunicorn_options(gunicorn_args(args))
    env_tokens, concurrency = gunicorn_environ(environ)
    env_workers, env_config = _gunicorn_options(env_tokens)
    for value, source in ((workers, "command line"), (env_workers, "GUNICORN_CMD_ARGS")):
        if value is not None:
            if value < 1:
                return {"workers": None, "source": "%s (not a positive number)" % source}
            return {"workers": value, "source": source}
    if config or env_config or cwd_has_config:
        return {"workers": None, "source": "config file (not read: it is Python)"}
    if concurrency is not None:
        if _INT_RE.match(concurrency) and int(concurrency) > 0:
            return {"workers": int(concurrency), "source": "WEB_CONCURRENCY"}
        return {"workers": None, "source": "WEB_CONCURRENCY (not a positive number)"}
    return {"workers": 1, "source": "default"}
