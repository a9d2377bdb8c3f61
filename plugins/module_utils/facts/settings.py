# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``settings`` subset: the memory settings each running database server is configured with, read
from its own configuration files (module_utils.database.conf), and the worker counts php-fpm, Apache and
gunicorn may reach (module_utils.workers.conf); read-only and without credentials.

The servers are found in /proc: a PostgreSQL postmaster (a ``postgres`` process whose parent is not one)
with its -D data directory and -c config_file=; a mariadbd/mysqld with its --defaults-file (else the
files it reads by default); a redis-server with the .conf file on its command line (else Debian's
/etc/redis/redis.conf: Redis rewrites its process title). Values are reported as numbers only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

from ansible_collections.headroom.memory.plugins.module_utils.cgroups import parse_proc_cgroup
from ansible_collections.headroom.memory.plugins.module_utils import config_files
from ansible_collections.headroom.memory.plugins.module_utils.facts.processes import MAX_ENVIRON, scan
from ansible_collections.headroom.memory.plugins.module_utils.systemd.unit_names import unit_from_cgroup
from ansible_collections.headroom.memory.plugins.module_utils.workers import conf as workers_conf

ENGINES = {"postgres": "postgresql", "mariadbd": "mariadb", "mysqld": "mysql", "redis-server": "redis"}
MAX_ARGS = 256
MAX_CMDLINE = 65536
MYSQL_DEFAULT_FILES = ("/etc/my.cnf", "/etc/mysql/my.cnf")
REDIS_DEFAULT_FILE = "/etc/redis/redis.conf"
MAX_SERVERS = 16

_PG_DEBIAN_CONF_RE = re.compile(r"^/etc/postgresql/(\d{1,3})/([A-Za-z0-9_.-]{1,63})/postgresql\.conf$")
_PG_BIN_RE = re.compile(r"^/usr/lib/postgresql/(\d{1,3})/bin/postgres$")
_UNIT_RE = re.compile(r"^[A-Za-z0-9@_.:\\-]{1,200}\.service$")


def _read(path, limit):
    try:
        with open(path, "rb") as f:
            return f.read(limit)
    except (IOError, OSError):
        return None


def read_args(proc, pid):
    """The argv of ``pid`` as a list (at most MAX_ARGS), or None."""
    data = _read(os.path.join(proc, str(pid), "cmdline"), MAX_CMDLINE)
    if not data:
        return None
    return data.decode("utf-8", "replace").rstrip("\0").split("\0")[:MAX_ARGS]


def read_unit(proc, pid):
    """The systemd service ``pid`` runs in, when it has a plain service name; else None."""
    raw = _read(os.path.join(proc, str(pid), "cgroup"), MAX_CMDLINE)
    if raw is None:
        return None
    controllers = parse_proc_cgroup(raw.decode("utf-8", "replace"))
    path = controllers.get("name=systemd") or controllers.get("") or controllers.get("memory")
    unit = unit_from_cgroup(path) if path else None
    return unit if unit and _UNIT_RE.match(unit) else None


def postgres_args(args):
    """(data_dir, config_file, [(name, value)] of -c options) from a postmaster's argv."""
    data_dir = config_file = None
    overrides = []
    i = 1
    while i < len(args):
        arg = args[i]
        value = None
        if arg in ("-D", "-c") and i + 1 < len(args):
            value = args[i + 1]
            i += 1
        elif arg.startswith("-D") and len(arg) > 2:
            arg, value = "-D", arg[2:]
        elif arg.startswith("-c") and len(arg) > 2:
            arg, value = "-c", arg[2:]
        elif arg.startswith("--") and "=" in arg:
            arg, value = "-c", arg[2:]
        i += 1
        if value is None:
            continue
        if arg == "-D":
            data_dir = value
        elif arg == "-c":
            name, sep, setting = value.partition("=")
            name = name.strip().lower().replace("-", "_")
            if not sep:
                continue
            if name == "config_file":
                config_file = setting
            elif name == "data_directory":
                data_dir = data_dir or setting
            else:
                overrides.append((name, setting))
    if config_file is None and data_dir:
        config_file = os.path.join(data_dir, "postgresql.conf")
    return data_dir, config_file, overrides


def _absolute(path):
    return bool(path) and path.startswith("/") and "\0" not in path


def postgresql(reader, entry, args):
    data_dir, config_file, overrides = postgres_args(args)
    out = {"engine": "postgresql", "pid": entry["pid"], "version": None, "cluster": None}
    m = _PG_BIN_RE.match(args[0]) if args else None
    if m:
        out["version"] = int(m.group(1))
    elif _absolute(data_dir):
        text = reader.read(os.path.join(data_dir, "PG_VERSION"))
        version = (text or "").strip()
        if version.isdigit() and len(version) <= 3:
            out["version"] = int(version)
    m = _PG_DEBIAN_CONF_RE.match(config_file or "")
    if m:
        out["cluster"] = "%s/%s" % (m.group(1), m.group(2))
    if not _absolute(config_file):
        reader.problem("a PostgreSQL server runs without an absolute data directory or config_file: not read")
        return out, {}, []
    from ansible_collections.headroom.memory.plugins.module_utils.database import conf  # see _DATABASE_CONF
    settings, explicit = conf.pg_settings(reader, config_file, data_dir if _absolute(data_dir) else None, overrides)
    return out, settings, explicit


def mysql(reader, entry, args):
    files = list(MYSQL_DEFAULT_FILES)
    extra = []
    for arg in args[1:]:
        if arg.startswith("--defaults-file="):
            files = [arg.split("=", 1)[1]]
        elif arg.startswith("--defaults-extra-file="):
            extra.append(arg.split("=", 1)[1])
    files = [f for f in files + extra if _absolute(f)]
    from ansible_collections.headroom.memory.plugins.module_utils.database import conf  # see _DATABASE_CONF
    settings, explicit = conf.mysql_settings(reader, files, args[1:])
    return {"engine": ENGINES[entry["comm"]], "pid": entry["pid"]}, settings, explicit


def redis(reader, entry, args):
    files = [a for a in args[1:] if a.endswith(".conf") and _absolute(a)]
    out = {"engine": "redis", "pid": entry["pid"], "config": "command line" if files else "default path"}
    from ansible_collections.headroom.memory.plugins.module_utils.database import conf  # see _DATABASE_CONF
    settings, explicit = conf.redis_settings(reader, files[0] if files else REDIS_DEFAULT_FILE)
    return out, settings, explicit


# _DATABASE_CONF: the database configuration parsers (module_utils.database.conf) are imported by the function
# that reads a server's files, only when a server runs: most hosts run none, and AnsiballZ ships source, so every
# run of the default call would otherwise compile them (a few milliseconds per host)


def read_databases(proc="/proc", rootfs="", entries=None):
    """[{engine, pid, unit, settings, explicit, problems, ...}] of every database server running (at most
    MAX_SERVERS); ``entries`` are processes.scan() results when the caller has them."""
    found = []
    for entry, comm, args in _masters(proc, entries, lambda c: c if c in ENGINES else None):
        reader = config_files.Reader(rootfs)
        if comm == "postgres":
            out, settings, explicit = postgresql(reader, entry, args)
        elif comm == "redis-server":
            out, settings, explicit = redis(reader, entry, args)
        else:
            out, settings, explicit = mysql(reader, entry, args)
        out.update(unit=read_unit(proc, entry["pid"]), settings=settings, explicit=explicit,
                   files_read=reader.files, problems=reader.problems)
        found.append(out)
    return found


def _masters(proc, entries, kind_of):
    """(entry, kind, argv) of each server's main process, by pid: ``kind_of(comm)`` is not None and its parent is
    not a process of the same name (a backend, worker or forked child is not listed), its command line readable;
    at most MAX_SERVERS. ``entries`` are processes.scan() results (scanned here when None)."""
    if entries is None:
        entries = scan(proc)
    by_pid = dict((e["pid"], e) for e in entries)
    count = 0
    for entry in sorted(entries, key=lambda e: e["pid"]):
        comm = entry.get("comm")
        kind = kind_of(comm)
        parent = by_pid.get(entry.get("ppid"))
        if kind is None or (parent is not None and parent.get("comm") == comm):
            continue
        if count >= MAX_SERVERS:
            return
        args = read_args(proc, entry["pid"])
        if not args:
            continue
        count += 1
        yield entry, kind, args


def _worker_kind(comm):
    if workers_conf.PHP_COMM_RE.match(comm or ""):
        return "php_fpm"
    if comm in workers_conf.APACHE_LAYOUTS:
        return "apache"
    if comm == "gunicorn":
        return "gunicorn"
    return None


def read_workers(proc="/proc", rootfs="", entries=None):
    """[{kind, comm, pid, unit, settings, files_read, problems}] of every worker pool master running (php-fpm,
    Apache, gunicorn; at most MAX_SERVERS); ``settings`` holds what caps its worker count (module_utils.workers.conf).
    """
    found = []
    for entry, kind, args in _masters(proc, entries, _worker_kind):
        comm = entry["comm"]
        reader = config_files.Reader(rootfs)
        if kind == "php_fpm":
            settings = workers_conf.php_fpm_settings(reader, workers_conf.php_fpm_config(comm, args))
        elif kind == "apache":
            settings = workers_conf.apache_settings(reader, comm, args)
            settings["processes"] = workers_conf.apache_processes(settings)
        else:
            base = os.path.join(proc, str(entry["pid"]))
            environ = _read(os.path.join(base, "environ"), MAX_ENVIRON)
            cwd_config = os.path.isfile(os.path.join(base, "cwd", workers_conf.GUNICORN_CONFIG))
            settings = workers_conf.gunicorn_settings(args, environ, cwd_config)
        found.append({"kind": kind, "comm": comm, "pid": entry["pid"], "unit": read_unit(proc, entry["pid"]),
                      "settings": settings, "files_read": reader.files, "problems": reader.problems})
    return found
