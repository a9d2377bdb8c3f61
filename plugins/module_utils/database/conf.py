# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Database configuration files read on the target, for their memory settings only: PostgreSQL
(postgresql.conf with include/include_dir, then postgresql.auto.conf), MariaDB/MySQL (the my.cnf tree with
!include/!includedir) and Redis (redis.conf with include).

Files are read through module_utils.config_files (bounded, regular files only, each once); parsing is linear
(no backtracking regular expression sees unbounded text). What comes out are numbers (and a few names from
fixed lists), never text from the files.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

from ansible_collections.headroom.memory.plugins.module_utils.config_files import (
    join as _join, lines as _lines, walk as _walk)

# PostgreSQL memory units (kB); a bare number is in the setting's own unit (PG_BASE_KB)
PG_UNITS_KB = {"kB": 1, "MB": 1024, "GB": 1024 * 1024, "TB": 1024 * 1024 * 1024}
# the memory settings read, and their unit in kB when written without one (None: a plain count)
PG_BASE_KB = {
    "shared_buffers": 8, "work_mem": 1, "maintenance_work_mem": 1, "autovacuum_work_mem": 1,
    "effective_cache_size": 8, "wal_buffers": 8, "temp_buffers": 8,
    "max_connections": None, "autovacuum_max_workers": None, "max_worker_processes": None,
}
MYSQL_SETTINGS = (
    "innodb_buffer_pool_size", "key_buffer_size", "innodb_log_buffer_size", "query_cache_size",
    "aria_pagecache_buffer_size", "max_connections", "read_buffer_size", "read_rnd_buffer_size",
    "sort_buffer_size", "thread_stack", "join_buffer_size", "binlog_cache_size", "tmp_table_size",
    "max_heap_table_size", "innodb_buffer_pool_chunk_size", "innodb_buffer_pool_instances",
)
# the option groups mariadbd / mysqld read (a -X.Y version suffix is accepted too)
MYSQL_GROUPS = ("mysqld", "server", "mariadb", "mariadbd", "client-server", "galera")
REDIS_POLICIES = ("noeviction", "allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru", "volatile-lfu",
                  "volatile-random", "volatile-ttl")
_MYSQL_SUFFIX = {"": 1, "K": 1024, "M": 1024 ** 2, "G": 1024 ** 3, "T": 1024 ** 4, "P": 1024 ** 5, "E": 1024 ** 6}
_REDIS_UNITS = {"": 1, "k": 1000, "kb": 1024, "m": 1000 ** 2, "mb": 1024 ** 2, "g": 1000 ** 3, "gb": 1024 ** 3}

# anchored, on strings of at most MAX_LINE characters, no nested quantifiers: linear
_NUMBER_UNIT_RE = re.compile(r"^(-?\d{1,20})(?:\.(\d{1,9}))?\s*([A-Za-z]{0,2})$")
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,127}$")


def _numbers(reader, engine, raw, convert):
    """``{name: number}`` of the settings in ``raw`` that ``convert(name, value)`` reads as numbers; each other one
    is a problem (its name only, never its text) and left out."""
    settings = {}
    for name, value in raw.items():
        number = convert(name, value)
        if number is None:
            reader.problem("%s setting %s has a value that is not a number: ignored" % (engine, name))
        else:
            settings[name] = number
    return settings


# --- PostgreSQL ------------------------------------------------------------------------------------

def _pg_value(rest):
    """The value at the start of ``rest`` (after the name and '='): a quoted string ('' and \\' escape a
    quote) or a bare word; None when a quote is not closed."""
    rest = rest.lstrip()
    if rest.startswith("'"):
        out, i, n = [], 1, len(rest)
        while i < n:
            c = rest[i]
            if c == "\\" and i + 1 < n:
                out.append(rest[i + 1])
                i += 2
                continue
            if c == "'":
                if i + 1 < n and rest[i + 1] == "'":
                    out.append("'")
                    i += 2
                    continue
                return "".join(out)
            out.append(c)
            i += 1
        return None
    word = []
    for c in rest:
        if c.isspace() or c == "#":
            break
        word.append(c)
    return "".join(word)


def pg_lines(text):
    """[(name, value)] of postgresql.conf text in file order, names lower-cased; include directives come as
    ('include' | 'include_if_exists' | 'include_dir', path)."""
    out = []
    for line in _lines(text):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        i = 0
        while i < len(s) and (s[i].isalnum() or s[i] in "_."):
            i += 1
        name = s[:i].lower()
        if not name or not _NAME_RE.match(name):
            continue
        rest = s[i:].lstrip()
        if rest.startswith("="):
            rest = rest[1:]
        value = _pg_value(rest)
        if value is not None:
            out.append((name, value))
    return out


def pg_memory_kb(value, base_kb):
    """A PostgreSQL memory value in kB: '768MB' -> 786432, '16384' with base 8 -> 131072, '-1' -> -1;
    a plain count (base None) as int; None when it is not a number PostgreSQL would take."""
    m = _NUMBER_UNIT_RE.match((value or "").strip())
    if not m:
        return None
    whole, frac, unit = int(m.group(1)), m.group(2), m.group(3)
    if base_kb is None:
        return whole if not frac and not unit else None
    if unit == "":
        if frac:
            return None
        return whole if whole < 0 else whole * base_kb
    if unit == "B":
        factor_kb = None
    elif unit in PG_UNITS_KB:
        factor_kb = PG_UNITS_KB[unit]
    else:
        return None
    number = float("%d.%s" % (whole, frac)) if frac else whole
    if factor_kb is None:
        return int(number // 1024)
    return int(number * factor_kb)


def _pg_parse(text, base):
    for name, value in pg_lines(text):
        if name == "include_dir":
            yield "dir", _join(base, value) if value else "", ".conf"
        elif name in ("include", "include_if_exists"):
            yield "include", _join(base, value) if value else "", name == "include"
        elif name in PG_BASE_KB:
            yield "set", name, value


def pg_settings(reader, config_file, data_dir=None, overrides=None):
    """({setting: kB or count}, [names set in a file]) of a cluster: ``config_file`` and its includes, then
    ``data_dir``/postgresql.auto.conf, then ``overrides`` ([(name, value)] from the command line's -c)."""
    raw = {}
    missing = "a PostgreSQL configuration file named by the server could not be read"
    _walk(reader, config_file, _pg_parse, raw, missing)
    if data_dir:
        _walk(reader, os.path.join(data_dir, "postgresql.auto.conf"), _pg_parse, raw, missing, must=False)
    explicit = sorted(raw)
    for name, value in overrides or []:
        if name in PG_BASE_KB:
            raw[name] = value
            if name not in explicit:
                explicit.append(name)
    settings = _numbers(reader, "PostgreSQL", raw, lambda name, value: pg_memory_kb(value, PG_BASE_KB[name]))
    return settings, sorted(explicit)


# --- MariaDB / MySQL -------------------------------------------------------------------------------

def mysql_number(value):
    """A my.cnf size: '1G' -> 1073741824, '128M', '512K', '16777216'; None when it is not one."""
    m = _NUMBER_UNIT_RE.match((value or "").strip().strip("'\""))
    if not m or m.group(1).startswith("-") or m.group(2) is not None:
        return None
    suffix = m.group(3).upper()
    if suffix not in _MYSQL_SUFFIX:
        return None
    return int(m.group(1)) * _MYSQL_SUFFIX[suffix]


def mysql_option(name):
    """An option name as the server knows it: lower case, '-' as '_', without a loose_ prefix."""
    name = name.strip().lower().replace("-", "_")
    return name[6:] if name.startswith("loose_") else name


def _mysql_group(section):
    section = section.strip().lower()
    base, _sep, version = section.partition("-")
    if section in MYSQL_GROUPS:
        return True
    return base in ("mysqld", "mariadb", "mariadbd") and bool(version) and version.replace(".", "").isdigit()


def _mysql_parse(text, base):
    in_group = False
    for line in _lines(text):
        s = line.strip()
        if not s or s[0] in "#;":
            continue
        if s.startswith("!"):
            word, _sep, target = s.partition(" ")
            target = target.strip()
            if word in ("!include", "!includedir") and target:
                if word == "!include":
                    yield "include", _join(base, target), False
                else:
                    yield "dir", _join(base, target), ".cnf"
            continue
        if s.startswith("["):
            end = s.find("]")
            in_group = end > 0 and _mysql_group(s[1:end])
            continue
        if not in_group:
            continue
        name, sep, value = s.partition("=")
        name = mysql_option(name)
        if sep and name in MYSQL_SETTINGS:
            yield "set", name, value.split("#", 1)[0].strip()


def mysql_settings(reader, files, args=None):
    """({setting: number}, [names set]) from the option files in the order the server reads them (later
    wins), with !include/!includedir followed, then ``args`` (the server's --name=value arguments)."""
    raw = {}
    for path in files:
        _walk(reader, path, _mysql_parse, raw, must=False)
    explicit = sorted(raw)
    for arg in args or []:
        if arg.startswith("--") and "=" in arg:
            name, _sep, value = arg[2:].partition("=")
            name = mysql_option(name)
            if name in MYSQL_SETTINGS:
                raw[name] = value
                if name not in explicit:
                    explicit.append(name)
    return _numbers(reader, "MariaDB/MySQL", raw, lambda name, value: mysql_number(value)), sorted(explicit)


# --- Redis -----------------------------------------------------------------------------------------

def redis_bytes(value):
    """A redis.conf memory value: '1gb' -> 1073741824, '1g' -> 1000000000, '100mb', '0'; None otherwise."""
    m = _NUMBER_UNIT_RE.match((value or "").strip().strip("'\"").lower())
    if not m or m.group(1).startswith("-") or m.group(2) is not None or m.group(3) not in _REDIS_UNITS:
        return None
    return int(m.group(1)) * _REDIS_UNITS[m.group(3)]


def _redis_parse(text, _base):
    for line in _lines(text):
        parts = line.split(None, 1)
        if not parts or parts[0].startswith("#"):
            continue
        name = parts[0].lower()
        value = parts[1].strip() if len(parts) > 1 else ""
        if name == "include":
            yield "include", value if value.startswith("/") else None, False  # Redis takes absolute paths only
        elif name in ("maxmemory", "maxmemory-policy", "save", "appendonly"):
            yield "set", name, value


def redis_settings(reader, config_file):
    """({maxmemory (bytes), maxmemory_policy (one of REDIS_POLICIES), persistence (bool)}, [names set]) of a
    redis.conf and its includes (later wins). persistence is on when a non-empty ``save`` or
    ``appendonly yes`` is set (Redis saves by default when no ``save`` line is given)."""
    raw = {}
    _walk(reader, config_file, _redis_parse, raw, "the Redis configuration file could not be read")
    settings = _numbers(reader, "Redis", {k: v for k, v in raw.items() if k == "maxmemory"},
                        lambda name, value: redis_bytes(value))
    policy = raw.get("maxmemory-policy", "").strip("'\"").lower()
    if policy in REDIS_POLICIES:
        settings["maxmemory_policy"] = policy
    save = raw.get("save")
    saving = save is None or save.strip("'\" ") != ""
    settings["persistence"] = saving or raw.get("appendonly", "").strip("'\"").lower() == "yes"
    explicit = sorted(n.replace("-", "_") for n in raw if n in ("maxmemory", "maxmemory-policy"))
    return settings, explicit
