# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shape of ``ansible_facts['headroom']`` (headroom.memory.memory_facts) that the triage rules may rely on.

A target controls the facts it returns: a broken or compromised host could send a string where a mapping
belongs, a negative or 1e308 size, or megabytes of text. ``facts_problems(facts)`` names every such field
(``memory.total_mb: expected a number, got str``) before any rule reads the facts, so that triage marks
that one host failed and reports every other one.

``SHAPE`` describes the fields memory_facts documents; a field not described is only checked for being
plain data (mappings, lists, bounded text and finite numbers). Every value may be null (memory_facts
reports null for what it could not read), except the top level and the items of a list.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math

# no size, count or time memory_facts reports comes near these; beyond them arithmetic overflows
MAX_NUMBER = 2 ** 53
MAX_TEXT = 65536  # a command line is at most a page or so; a unit name, cgroup path or log message far less
MAX_DEPTH = 16
MAX_PROBLEMS = 20
MAX_CONTAINERS = 200  # memory_facts lists at most this many containers (``containers.total`` says how many there were)
MAX_NAME = 4096       # a container's name, id, image, state, cgroup or label value (PATH_MAX)

NUMBER = "number"       # int or float, finite, |x| <= MAX_NUMBER (an oom_score_adj, a priority)
SIZE = "size"           # a NUMBER >= 0 (MiB, kB, counts, seconds)
TEXT = "text"           # a string of at most MAX_TEXT characters
SCALAR = "scalar"       # a NUMBER, TEXT or boolean (a sysctl, a database setting)
FLAG = "flag"           # a boolean
ANY = "any"             # plain data of any shape


def mapping(fields=None, rest=ANY):
    """A dict whose ``fields`` have these shapes and whose other keys have the shape ``rest``."""
    return ("mapping", fields or {}, rest)


def items(item, limit=None):
    """A list whose every item has the shape ``item``, of at most ``limit`` items when given."""
    return ("list", item) if limit is None else ("list", item, limit)


def either(what, *shapes):
    """One of ``shapes`` (``what`` says which in a problem: "a string or a list of strings")."""
    return ("either", what, shapes)


_PRESSURE = mapping({"some": mapping(rest=SIZE), "full": mapping(rest=SIZE)})
_CGROUP_ENTRY = mapping({"cgroup": TEXT, "unit": TEXT, "limit_mb": SIZE, "usage_mb": SIZE, "working_set_mb": SIZE,
                         "pressure": _PRESSURE, "high_mb": SIZE, "swap_limit_mb": SIZE, "oom_kill": SIZE,
                         "container": TEXT})
_TASK = {"pid": SIZE, "comm": TEXT, "uid": SIZE, "oom_score_adj": NUMBER}
_EVENT = mapping({
    "time": TEXT, "uptime_s": SIZE, "killer": TEXT, "scope": TEXT, "constraint": TEXT,
    "victim": mapping(dict(_TASK, total_vm_kb=SIZE, anon_rss_kb=SIZE, file_rss_kb=SIZE, shmem_rss_kb=SIZE,
                           pgtables_kb=SIZE)),
    "trigger": mapping(dict(_TASK, gfp_mask=TEXT, order=SIZE)),
    "oom_memcg": TEXT, "task_memcg": TEXT, "cgroup": TEXT, "unit": TEXT, "complete": FLAG, "sources": items(TEXT)})

NAME = "name"           # a string of at most MAX_NAME characters, none of them a control character

_ENGINE = mapping({"cli": NAME, "version": NAME, "error": TEXT})
_CONTAINER = mapping({
    "name": NAME, "id": NAME, "runtime": NAME, "image": NAME, "state": NAME, "cgroup": NAME,
    "limit_mb": SIZE, "high_mb": SIZE, "engine_memory_mb": SIZE, "engine_memory_swap_mb": NUMBER,
    "engine_reservation_mb": SIZE, "swap_limit_mb": SIZE, "usage_mb": SIZE, "working_set_mb": SIZE, "peak_mb": SIZE,
    "oom_kill": SIZE, "oom_killed": FLAG, "restart_count": SIZE,
    "source": mapping({"kind": NAME, "compose_project": NAME, "compose_service": NAME, "compose_working_dir": NAME,
                       "compose_files": items(NAME, 32), "systemd_unit": NAME, "quadlet_file": NAME,
                       "kube_namespace": NAME, "kube_pod": NAME, "kube_container": NAME}),
})
# memory_facts' pm2 subset: the PM2 daemons and their apps (an app name is shown in reports, escaped there)
_PM2 = mapping({
    "daemons": items(mapping({"home": TEXT, "user": TEXT, "uid": SIZE, "pid": SIZE, "version": TEXT})),
    "apps": items(mapping({"name": TEXT, "pm_id": SIZE, "pid": SIZE, "status": TEXT, "memory_mb": SIZE,
                           "restarts": SIZE, "unstable_restarts": SIZE, "exec_mode": TEXT, "instances": SIZE,
                           "max_memory_restart_mb": SIZE, "heap_mb": SIZE, "heap_source": TEXT,
                           "default_heap_mb": SIZE, "node_args": items(TEXT), "node_version": TEXT,
                           "ecosystem_file": TEXT, "cwd": TEXT, "user": TEXT, "home": TEXT, "unit": TEXT})),
})

SHAPE = mapping({
    "memory": mapping(rest=SIZE),
    "vmstat": mapping(rest=SIZE),
    "swap": mapping({"devices": items(mapping({"path": TEXT, "type": TEXT, "size_mb": SIZE, "used_mb": SIZE,
                                               "priority": NUMBER}))}, rest=SIZE),
    "sysctl": mapping(rest=NUMBER),
    "pressure": _PRESSURE,
    "cgroup": mapping({"version": SCALAR, "path": TEXT, "limit_mb": SIZE, "limit_cgroup": TEXT, "usage_mb": SIZE,
                       "swap_limit_mb": SIZE, "oom_kill": SIZE, "working_set_mb": SIZE, "pressure": _PRESSURE,
                       "limited": items(_CGROUP_ENTRY), "units": items(_CGROUP_ENTRY),
                       "unlimited_containers": items(mapping({"cgroup": TEXT, "runtime": TEXT}))}),
    "processes": items(mapping({"pid": SIZE, "comm": TEXT, "user": TEXT, "rss_mb": SIZE, "swap_mb": SIZE,
                                "oom_score": SIZE, "oom_score_adj": NUMBER, "unit": TEXT, "cgroup": TEXT,
                                "node_heap_mb": SIZE, "node_heap_source": TEXT,
                                "cmdline": either("a string or a list of strings", TEXT, items(TEXT))})),
    "processes_uptime_s": SIZE,
    "process_groups": items(mapping({"comm": TEXT, "parent": mapping(rest=SIZE)}, rest=SIZE)),
    "settings": mapping({"databases": items(mapping({"engine": TEXT, "pid": SIZE, "unit": TEXT, "cluster": TEXT,
                                                     "settings": mapping(rest=SCALAR)})),
                         "workers": items(mapping({"kind": TEXT, "comm": TEXT, "pid": SIZE, "unit": TEXT}))}),
    "oom": mapping({"since": TEXT, "kills_since_boot": SIZE, "total": SIZE, "dropped": SIZE,
                    "events": items(_EVENT),
                    "counts": mapping(rest=mapping(rest=SIZE)),
                    "sources": items(mapping({"name": TEXT, "status": TEXT, "lines": SIZE, "msg": TEXT}))}),
    "containers": mapping({"engines": mapping(rest=_ENGINE), "list": items(_CONTAINER, MAX_CONTAINERS), "total": SIZE}),
    "pm2": _PM2,
}, rest=ANY)


def _kind(value):
    return "null" if value is None else type(value).__name__


def _number_problem(value, shape):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "expected a number, got %s" % _kind(value)
    if isinstance(value, float) and not math.isfinite(value):
        return "expected a finite number, got %r" % value
    if abs(value) > MAX_NUMBER:
        return "%r is out of range (more than %d)" % (value, MAX_NUMBER)
    if shape == SIZE and value < 0:
        return "expected a number of at least 0, got %r" % value
    return None


def _scalar_problem(value, shape):
    if shape in (NUMBER, SIZE):
        return _number_problem(value, shape)
    if shape == FLAG:
        return None if isinstance(value, bool) else "expected true or false, got %s" % _kind(value)
    if isinstance(value, str) and shape == NAME:
        if len(value) > MAX_NAME:
            return "a name of %d characters (at most %d)" % (len(value), MAX_NAME)
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
            return "a name with a control character"
        return None
    if isinstance(value, str):
        return None if len(value) <= MAX_TEXT else "a text of %d characters (at most %d)" % (len(value), MAX_TEXT)
    if shape in (TEXT, NAME):
        return "expected a string, got %s" % _kind(value)
    if isinstance(value, bool):
        return None
    if shape == SCALAR and isinstance(value, (dict, list)):
        return "expected a number, string or boolean, got %s" % _kind(value)
    if isinstance(value, (int, float)):
        return _number_problem(value, NUMBER)
    if shape == ANY and not isinstance(value, (dict, list)):
        return "expected plain data, got %s" % _kind(value)
    return None


def _walk(value, shape, path, depth, found, nullable=True):
    if len(found) >= MAX_PROBLEMS:
        return
    if value is None:
        if not nullable and shape != ANY:
            found.append("%s: expected %s, got null" % (path, "a mapping" if isinstance(shape, tuple) and shape[0] == "mapping" else "a value"))
        return
    if depth > MAX_DEPTH:
        found.append("%s: nested deeper than %d levels" % (path or "facts", MAX_DEPTH))
        return
    if isinstance(shape, tuple) and shape[0] == "mapping":
        if not isinstance(value, dict):
            found.append("%s: expected a mapping, got %s" % (path or "facts", _kind(value)))
            return
        for key, sub in value.items():
            if not isinstance(key, str) or len(key) > MAX_TEXT:
                found.append("%s: key %s is not a string of at most %d characters"
                             % (path or "facts", repr(key)[:80], MAX_TEXT))
                continue
            _walk(sub, shape[1].get(key, shape[2]), "%s.%s" % (path, key) if path else key, depth + 1, found)
        return
    if isinstance(shape, tuple) and shape[0] == "either":
        for choice in shape[2]:
            tried = []
            _walk(value, choice, path, depth, tried, nullable)
            if not tried:
                return
        found.append("%s: expected %s, got %s" % (path, shape[1], _kind(value) if not isinstance(value, str)
                                                  else "a text of %d characters" % len(value)))
        return
    if isinstance(shape, tuple) and shape[0] == "list":
        if not isinstance(value, list):
            found.append("%s: expected a list, got %s" % (path, _kind(value)))
            return
        if len(shape) > 2 and len(value) > shape[2]:
            found.append("%s: a list of %d items (at most %d)" % (path, len(value), shape[2]))
            return
        for index, sub in enumerate(value):
            _walk(sub, shape[1], "%s[%d]" % (path, index), depth + 1, found, nullable=False)
        return
    if shape == ANY and isinstance(value, (dict, list)):
        _walk(value, mapping() if isinstance(value, dict) else items(ANY), path, depth, found)
        return
    problem = _scalar_problem(value, shape)
    if problem:
        found.append("%s: %s" % (path, problem))


def facts_problems(facts, sample2=None):
    """Every field of the headroom facts (and of ``sample2``, the ``processes`` of a second sample) whose value
    has the wrong shape (at most MAX_PROBLEMS), each as ``path: what is wrong``; [] when the rules may read them."""
    if not isinstance(facts, dict):
        return ["facts: expected a mapping (ansible_facts['headroom'] from headroom.memory.memory_facts), got %s"
                % _kind(facts)]
    found = []
    _walk(facts, SHAPE, "", 0, found)
    _walk(sample2, SHAPE[1]["processes"], "sample2", 1, found)
    return found
