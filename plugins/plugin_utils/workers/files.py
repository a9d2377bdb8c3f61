# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The files the headroom.memory.workers role writes: a php-fpm pool file edited in place (every other
line kept as it is), Apache's own conf file and gunicorn's systemd drop-in, rendered from integers only."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

MARK = "headroom.memory.workers"
SECTION_RE = re.compile(r"^\s*\[([^\]]+)\]\s*$")
_UNSAFE_RE = re.compile(r"[^A-Za-z0-9 _.,;:=()+*/%@-]")


def comment_text(text):
    """``text`` made safe for one comment line: no newline, quote, bracket or other character a parser could read."""
    return _UNSAFE_RE.sub("?", str(text))[:2000]


def php_fpm_sections(text):
    """The pool names of a php-fpm pool file, in order (``[global]`` left out)."""
    names = []
    for line in text.splitlines():
        m = SECTION_RE.match(line)
        if m and m.group(1).strip() != "global":
            names.append(m.group(1).strip())
    return names


def _section_span(lines, section):
    """(first, end) line indexes of the body of ``[section]``, or None."""
    start = None
    for i, line in enumerate(lines):
        m = SECTION_RE.match(line)
        if not m:
            continue
        if start is not None:
            return start, i
        if m.group(1).strip() == section:
            start = i + 1
    return (start, len(lines)) if start is not None else None


def _key_re(key):
    return re.compile(r"^\s*%s\s*=\s*(.*?)\s*$" % re.escape(key))


def php_fpm_pool_read(text, section):
    """The active (uncommented) ``key = value`` settings of pool ``section``, the last one winning; None without it."""
    lines = text.splitlines()
    span = _section_span(lines, section)
    if span is None:
        return None
    values = {}
    for line in lines[span[0]:span[1]]:
        stripped = line.strip()
        if not stripped or stripped[0] in ";#" or "=" not in stripped:
            continue
        key, _sep, value = stripped.partition("=")
        values[key.strip()] = value.strip()
    return values


def php_fpm_pool_edit(text, section, settings):
    """``text`` with every key of ``settings`` set in pool ``section``; other lines untouched.

    Each active line of a key gets the new value (so a later duplicate cannot win); a key with no active
    line is added at the end of the section's settings. The same input gives the same output, so a second
    run changes nothing. Raises ValueError when the section is missing.
    """
    lines = text.splitlines()
    span = _section_span(lines, section)
    if span is None:
        raise ValueError("the pool file has no [%s] section (it has: %s)" % (section, ", ".join(php_fpm_sections(text)) or "none"))
    first, end = span
    missing = []
    for key in sorted(settings):
        pattern = _key_re(key)
        found = False
        for i in range(first, end):
            if pattern.match(lines[i]):
                lines[i] = "%s = %s" % (key, settings[key])
                found = True
        if not found:
            missing.append("%s = %s" % (key, settings[key]))
    if missing:
        at = end
        while at > first and not lines[at - 1].strip():
            at -= 1  # before the blank lines that end the section
        lines[at:at] = ["; set by %s" % MARK] + missing
    return "\n".join(lines) + "\n"


def apache_prefork_conf(settings, arithmetic):
    """Apache's conf file: the prefork settings inside <IfModule mpm_prefork_module>, the arithmetic as a comment."""
    order = ("ServerLimit", "StartServers", "MinSpareServers", "MaxSpareServers", "MaxRequestWorkers",
             "MaxConnectionsPerChild")
    body = ["    %s %d" % (k, int(settings[k])) for k in order if k in settings]
    return "\n".join(["# Managed by %s; do not edit." % MARK, "# %s" % comment_text(arithmetic),
                      "<IfModule mpm_prefork_module>"] + body + ["</IfModule>", ""])


def gunicorn_dropin(settings, arithmetic):
    """A systemd drop-in setting GUNICORN_CMD_ARGS and WEB_CONCURRENCY for gunicorn's unit."""
    args = "--workers %d" % int(settings["workers"])
    if settings.get("max_requests"):
        args += " --max-requests %d --max-requests-jitter %d" % (
            int(settings["max_requests"]), int(settings["max_requests_jitter"]))
    return "\n".join([
        "# Managed by %s; do not edit." % MARK,
        "# %s" % comment_text(arithmetic),
        "[Service]",
        'Environment="GUNICORN_CMD_ARGS=%s" "WEB_CONCURRENCY=%d"' % (args, int(settings["workers"])),
        "",
    ])


_WORKERS_ARG_RE = re.compile(r"(?:^|\s)(-w\s*[^\s;]+|--workers(?:=|\s+)[^\s;]+|-w$|--workers$)")
_ARGV_RE = re.compile(r"\bargv\[\]=(.*?)\s;\s")


def gunicorn_cli_workers_arg(exec_start):
    """The --workers/-w argument gunicorn's command line sets itself (``--workers 9``, ``-w9``), or None.

    ``exec_start`` is ExecStart= as written or as ``systemctl show`` prints it ({ path=... ; argv[]=... ; ... })."""
    m = _WORKERS_ARG_RE.search(exec_start or "")
    return m.group(1) if m else None


def gunicorn_cli_workers(exec_start):
    """True when gunicorn's command line sets --workers/-w itself (it wins over GUNICORN_CMD_ARGS)."""
    return gunicorn_cli_workers_arg(exec_start) is not None


def gunicorn_command_line(exec_start):
    """The command line of ExecStart (the argv[] of ``systemctl show``'s form, else the text itself)."""
    m = _ARGV_RE.search(exec_start or "")
    return (m.group(1) if m else exec_start or "").strip()


def gunicorn_cli_change(unit, arg, count=None):
    """The exact change that lets a worker count take effect when ``unit``'s ExecStart sets ``arg`` (--workers 9):
    gunicorn takes its command line over GUNICORN_CMD_ARGS, WEB_CONCURRENCY and any config file."""
    edit = ("change `%s` to `--workers %d`" % (arg, count)) if count else \
        "remove `%s` (then headroom.memory.workers sets the count)" % arg
    return ("%s sets `%s` on gunicorn's command line (ExecStart), which wins over GUNICORN_CMD_ARGS, WEB_CONCURRENCY "
            "and the config file, so headroom.memory.workers cannot set the count there: %s in its ExecStart "
            "(`systemctl edit %s`: an empty `ExecStart=`, then the same command line with that change; then "
            "`systemctl daemon-reload` and restart it)" % (unit, arg, edit, unit))


def gunicorn_cli_refusal(unit, exec_start):
    """The workers role's refusal of a gunicorn ``unit`` whose ExecStart sets the count, or '' (none set there)."""
    arg = gunicorn_cli_workers_arg(gunicorn_command_line(exec_start))
    if arg is None:
        return ""
    return "%s. Nothing was changed." % gunicorn_cli_change(unit, arg)
