# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the database clients print, as dicts: psql -A -t -F<TAB> rows of pg_settings, mariadb -N -B rows of
SHOW VARIABLES, redis-cli CONFIG GET name/value line pairs, redis-cli INFO name:value lines."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

KINDS = ("pg_settings", "mysql_vars", "redis_config", "redis_info")


def pg_settings(text):
    """'name<TAB>shown<TAB>setting<TAB>unit<TAB>pending_restart' rows -> {name: {shown, setting, unit, pending_restart}}."""
    out = {}
    for line in (text or "").splitlines():
        cols = line.split("\t")
        if len(cols) != 5:
            continue
        out[cols[0]] = {"shown": cols[1], "setting": cols[2], "unit": cols[3], "pending_restart": cols[4] == "t"}
    return out


def mysql_vars(text):
    """'name<TAB>value' rows -> {name: value}."""
    out = {}
    for line in (text or "").splitlines():
        name, sep, value = line.partition("\t")
        if sep:
            out[name.strip()] = value.strip()
    return out


def redis_config(text):
    """CONFIG GET output, one name line then one value line (a value may be empty) -> {name: value}."""
    lines = (text or "").split("\n")
    if lines and lines[-1] == "" and len(lines) % 2 == 1:
        lines = lines[:-1]
    out = {}
    for i in range(0, len(lines), 2):
        out[lines[i].strip()] = lines[i + 1].strip() if i + 1 < len(lines) else ""
    return out


def redis_info(text):
    """INFO output, '# Section' headers and 'name:value' lines (CRLF or LF) -> {name: value}."""
    out = {}
    for line in (text or "").splitlines():
        line = line.strip()
        name, sep, value = line.partition(":")
        if sep and name and not line.startswith("#"):
            out[name] = value
    return out


def redis_used_mb(info):
    """MiB of data a Redis holds (INFO's used_memory, rounded up), from redis_info's dict; None when absent."""
    value = str((info or {}).get("used_memory") or "")
    return -(-int(value) // (1024 * 1024)) if value.isdigit() else None


def parse(text, kind):
    if kind not in KINDS:
        raise ValueError("kind %r is not one of %s" % (kind, ", ".join(KINDS)))
    return {"pg_settings": pg_settings, "mysql_vars": mysql_vars, "redis_config": redis_config,
            "redis_info": redis_info}[kind](text)


def compare(settings, live, engine):
    """Planned ``settings`` against what the server reports now.

    Returns {applied: [names], pending_restart: [names], differs: [{name, planned, live}]}: PostgreSQL compares
    the SHOW form (``live`` from pg_settings) and takes pending_restart from it; MariaDB/MySQL and Redis compare
    numbers (bytes) or text.
    """
    out = {"applied": [], "pending_restart": [], "differs": []}
    for name, planned in (settings or {}).items():
        row = (live or {}).get(name)
        if engine == "postgresql":
            shown = row.get("shown") if isinstance(row, dict) else None
            pending = bool(row.get("pending_restart")) if isinstance(row, dict) else False
        else:
            shown, pending = row, False
        if shown is not None and str(shown) == str(planned):
            out["applied"].append(name)
        elif pending:
            out["pending_restart"].append(name)
        else:
            out["differs"].append({"name": name, "planned": planned, "live": shown})
    return out
