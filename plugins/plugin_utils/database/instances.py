# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""database_instances: validation with every problem named, defaults, and detection of the engines running
on a host from memory_facts' process groups."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.headroom.memory.plugins.plugin_utils.database import pgtune, sizing

# comm (as /proc shows it) -> engine
ENGINE_COMMS = {
    "postgres": "postgresql", "postmaster": "postgresql",
    "mariadbd": "mariadb", "mysqld": "mysql",
    "redis-server": "redis",
    "mongod": "mongodb",
}
COMMS_OF = {}
for _comm, _engine in ENGINE_COMMS.items():
    COMMS_OF.setdefault(_engine, []).append(_comm)
# a Debian mariadb-server still names its process mysqld before 10.5
COMMS_OF["mariadb"].append("mysqld")
COMMS_OF["mysql"].append("mariadbd")

KEYS = ("engine", "name", "memory", "workload", "connections", "storage", "db_size", "persistence", "policy",
        "restart", "settings", "cluster", "port", "config_file", "unit", "cpus")
REDIS_WORKLOADS = ("cache", "store")
_MEMORY_RE = re.compile(r"^\s*(auto|\d+(\.\d+)?\s*%|\d+(\.\d+)?\s*([KMGT](i?B)?|B)?)\s*$", re.IGNORECASE)
_CLUSTER_RE = re.compile(r"^\d{2}/[A-Za-z0-9_.-]{1,63}$")
_UNIT_RE = re.compile(r"^[A-Za-z0-9@_.:-]{1,200}\.service$")
_NAME_RE = re.compile(r"^[A-Za-z0-9_.@:-]{1,64}$")
PATH_RE = re.compile(r"^/[A-Za-z0-9_./@+-]{1,255}$")

DEFAULT_CONFIG = {"redis": "/etc/redis/redis.conf", "mongodb": "/etc/mongod.conf"}
DEFAULT_UNIT = {"redis": "redis-server.service", "mongodb": "mongod.service", "mariadb": "mariadb.service",
                "mysql": "mysql.service"}


def _int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def instance_errors(instance, index):
    """The problems with one database_instances entry, each naming the entry and the value."""
    where = "database_instances[%d]" % index
    if not isinstance(instance, dict):
        return ["%s is not a mapping: %r" % (where, instance)]
    errors = []
    unknown = sorted(str(k) for k in instance if k not in KEYS)
    if unknown:
        errors.append("%s: unknown key(s) %s (known: %s)" % (where, ", ".join(unknown), ", ".join(KEYS)))
    engine = instance.get("engine")
    if engine not in sizing.ENGINES:
        errors.append("%s: engine %r is not one of %s" % (where, engine, ", ".join(sizing.ENGINES)))
        return errors
    memory = instance.get("memory", "auto")
    if not (_int(memory) and memory > 0) and not (isinstance(memory, str) and _MEMORY_RE.match(memory)):
        errors.append("%s: memory %r is not auto, a percentage (40%%) or a size (512M, 2G)" % (where, memory))
    workload = instance.get("workload")
    if workload is not None:
        allowed = REDIS_WORKLOADS if engine == "redis" else pgtune.WORKLOADS if engine == "postgresql" else ()
        if workload not in allowed:
            errors.append("%s: workload %r is not one of %s for %s" % (
                where, workload, ", ".join(allowed) or "(none)", engine))
    for key, low, high in (("connections", 1, 100000), ("cpus", 1, 4096), ("port", 1, 65535)):
        value = instance.get(key)
        if value is not None and not (_int(value) and low <= value <= high):
            errors.append("%s: %s %r is not a whole number from %d to %d" % (where, key, value, low, high))
    for key, allowed in (("storage", pgtune.STORAGES), ("db_size", pgtune.DB_SIZES),
                         ("settings", ("memory", "pgtune")), ("policy", sizing.REDIS_POLICIES)):
        value = instance.get(key)
        if value is not None and value not in allowed:
            errors.append("%s: %s %r is not one of %s" % (where, key, value, ", ".join(allowed)))
    if "restart" in instance and not isinstance(instance["restart"], bool):
        errors.append("%s: restart %r is not true or false" % (where, instance["restart"]))
    persistence = instance.get("persistence", "auto")
    if not (persistence == "auto" or isinstance(persistence, bool)):
        errors.append("%s: persistence %r is not auto, true or false" % (where, persistence))
    for key, regex, what in (("cluster", _CLUSTER_RE, "a Debian cluster VERSION/NAME such as 15/main"),
                             ("unit", _UNIT_RE, "a systemd service name such as redis-server.service"),
                             ("name", _NAME_RE, "letters, digits and _.@:- (at most 64)"),
                             ("config_file", PATH_RE, "an absolute path of plain characters")):
        value = instance.get(key)
        if value is not None and not (isinstance(value, str) and regex.match(value) and ".." not in value):
            errors.append("%s: %s %r is not %s" % (where, key, value, what))
    return errors


def normalise(instances):
    """(entries with defaults, errors): every error of every entry, and duplicate names."""
    if not isinstance(instances, list):
        return [], ["database_instances must be a list, got %s" % type(instances).__name__]
    errors = []
    out = []
    for i, inst in enumerate(instances):
        problems = instance_errors(inst, i)
        errors += problems
        if problems:
            continue
        engine = inst["engine"]
        entry = {
            "engine": engine, "memory": inst.get("memory", "auto"), "restart": bool(inst.get("restart", False)),
            "workload": inst.get("workload"), "connections": inst.get("connections"),
            "storage": inst.get("storage", "ssd"), "db_size": inst.get("db_size", "mid_ram"),
            "persistence": inst.get("persistence", "auto"), "policy": inst.get("policy"),
            "settings": inst.get("settings", "memory"), "cluster": inst.get("cluster"),
            "port": inst.get("port", 6379 if engine == "redis" else None),
            "config_file": inst.get("config_file", DEFAULT_CONFIG.get(engine)),
            "unit": inst.get("unit", DEFAULT_UNIT.get(engine)), "cpus": inst.get("cpus"),
        }
        if engine == "postgresql" and entry["workload"] is None:
            entry["workload"] = "web"
        entry["name"] = inst.get("name") or (
            "%s-%s" % (engine, entry["port"]) if engine == "redis" and entry["port"] != 6379
            else "postgresql-%s" % entry["cluster"].replace("/", "-") if entry["cluster"] else engine)
        out.append(entry)
    names = [e["name"] for e in out]
    for name in sorted(set(n for n in names if names.count(n) > 1)):
        errors.append("database_instances: name %s is used more than once (give each instance its own name)" % name)
    return out, errors


def detect(facts):
    """database_instances entries for the engines running on the host (one per engine), from memory_facts'
    process_groups and processes (for the unit)."""
    groups = (facts or {}).get("process_groups") or []
    units = {}
    for proc in (facts or {}).get("processes") or []:
        if proc.get("comm") in ENGINE_COMMS and proc.get("unit"):
            units.setdefault(ENGINE_COMMS[proc["comm"]], proc["unit"])
    found = []
    for group in groups:
        engine = ENGINE_COMMS.get(group.get("comm"))
        if engine and not any(f["engine"] == engine for f in found):
            entry = {"engine": engine}
            unit = units.get(engine)
            if unit and _UNIT_RE.match(unit) and engine != "postgresql":
                entry["unit"] = unit
            found.append(entry)
    found.sort(key=lambda e: sizing.ENGINES.index(e["engine"]))
    return found


def own_comms(instances):
    """Every process name of every database engine listed: none of them counts as 'other processes'."""
    comms = set()
    for inst in instances:
        comms.update(COMMS_OF.get(inst.get("engine"), ()))
    return sorted(comms)
