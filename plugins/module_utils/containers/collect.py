# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""memory_facts' ``containers`` subset: the engines' containers joined to their cgroups, and every other
container cgroup (containerd, CRI-O, Kubernetes pods, or an engine that could not be asked) with what the
cgroup says.

The cgroup side comes from the one scan of the memory hierarchy (cgroups.scan_hierarchy's ``units``): a
container's cgroup is found by its id in the cgroup's name, or by the path podman reports
(``State.CgroupPath``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.headroom.memory.plugins.module_utils.containers import engines as _engines
from ansible_collections.headroom.memory.plugins.module_utils.containers.parse import empty_source, quadlet_finder
from ansible_collections.headroom.memory.plugins.module_utils.oom.sources import which as _which

MAX_LIST = 200
# what a container's entry takes from its cgroup's scan entry
CGROUP_FIELDS = ("limit_mb", "high_mb", "swap_limit_mb", "usage_mb", "working_set_mb", "peak_mb", "oom_kill")
ENGINE_ONLY = ("name", "image", "state", "engine_memory_mb", "engine_memory_swap_mb", "engine_reservation_mb",
               "oom_killed", "restart_count")
FIELDS = ("name", "id", "runtime", "image", "state", "cgroup") + CGROUP_FIELDS + (
    "engine_memory_mb", "engine_memory_swap_mb", "engine_reservation_mb", "oom_killed", "restart_count", "source")


def _with_cgroup(entry, unit):
    result = dict((key, entry.get(key)) for key in FIELDS)
    result["cgroup"] = unit["cgroup"] if unit else None
    for key in CGROUP_FIELDS:
        result[key] = unit.get(key) if unit else None
    return result


def cgroup_only(unit):
    """A container seen only in the cgroup tree: its id, runtime and counters; what an engine would say is None."""
    entry = dict((key, None) for key in ENGINE_ONLY)
    entry.update({"id": unit["container_id"], "runtime": unit["runtime"],
                  "source": empty_source("kubernetes" if unit["runtime"] == "kubepods" else "unknown")})
    return _with_cgroup(entry, unit)


def _size(entry):
    return entry["usage_mb"] if entry["usage_mb"] is not None else -1


def read_containers(units, run_command, rootfs="", which=None, environ=None, euid=None):
    """The ``containers`` facts: {engines, list, total}. ``units`` is cgroups.scan_hierarchy's list; ``which``
    finds a CLI (oom.sources.which), ``environ`` and ``euid`` default to the module's own."""
    units = units or []
    which = which or _which
    by_id = dict((u["container_id"], u) for u in units if u.get("container_id"))
    by_path = dict((u["cgroup"], u) for u in units if u.get("container_id"))
    engines, entries, seen, total = {}, [], set(), 0
    find_quadlet = quadlet_finder(rootfs)
    for engine in _engines.ENGINES:
        cli = which(engine)
        if not cli:
            continue
        info = engines[engine] = {"cli": cli, "version": None, "error": None, "containers": 0, "skipped": None}
        info["skipped"] = _engines.skip_reason(engine, units, rootfs, environ, euid)
        if info["skipped"] or run_command is None:
            continue
        listed, info["containers"], info["version"], info["error"] = _engines.query(
            engine, cli, run_command, find_quadlet)
        total += max(info["containers"] - len(listed), 0)  # listed by ps but not inspected (over MAX_IDS)
        for entry in listed:
            if entry["id"] in seen:  # podman's docker shim, or its docker socket: the same container twice
                continue
            seen.add(entry["id"])
            unit = by_id.get(entry["id"]) or by_path.get(entry["cgroup_hint"])
            if unit:
                seen.add(unit["container_id"])
            entries.append(_with_cgroup(entry, unit))
    entries.extend(cgroup_only(u) for u in units if u.get("container_id") and u["container_id"] not in seen)
    total += len(entries)
    entries.sort(key=_size, reverse=True)  # stable: the engines' own order (newest first) among equals
    return {"engines": engines, "list": entries[:MAX_LIST], "total": total}
