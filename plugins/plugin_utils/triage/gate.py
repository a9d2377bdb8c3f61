# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The remedy sanity gate: every role variable a finding proposes is checked against the host before it
may reach remedy-vars/ (diagnose) or a role (remediate). ``gate(facts, findings)`` is the one entry point.

- a unit's MemoryMax and MemoryHigh are at least the collection's floor (32 MiB), the rule the service_limits
  role enforces (plugin_utils/limit_rules.py);
- a unit's MemoryMax is at least what the unit holds now plus a margin (twice the one service_limits demands:
  the rest is room for drift until the apply), at least its service's own
  configured cache plus overhead when a finding knows it (``remedy.floors``), and at most what the unit
  can ever get (the container's limit, a slice's, the host's RAM): above that it can never fire;
- a unit's MemoryMax and MemoryHigh are at least what its service is configured to hold by its own settings
  (PostgreSQL shared_buffers, innodb_buffer_pool_size, Redis maxmemory, a JVM's -Xmx: triage.configured), also
  in ``recheck``;
- a unit's MemoryHigh is at least what the unit holds now (below it, the unit is throttled at once) and at
  most the MemoryMax offered (or what the unit can get);
- a JVM heap fits under the unit's limit with room for the memory outside the heap;
- a worker count (``remedy.settings`` items with ``per_worker_mb`` and ``room_mb``) fits the room;
- a PM2 app's ``max_memory_restart`` is at least what its largest instance holds now plus the margin (under it PM2
  would restart the app again and again) and at most what one instance can get (above it the kernel kills first);
  its ``max_old_space_size`` (16 MiB at least: remedy_vars) at most HEAP_SHARE_PCT of what one instance can get (the
  pm2 role's plan sizes it under the threshold); an app memory_facts did not list on the host gets nothing;
- a unit item is withheld whole when the unit's name is not a valid systemd unit name or the unit is not
  among those memory_facts saw on the host (its cgroups and processes): a name read only in log text;
- a scheduled restart (``restart_every``, which only leak_suspect proposes, and only for a unit the operator
  listed in ``diagnose_scheduled_restart_units``) passes as a plain setting of a unit on the host, and a PM2 app's
  (``cron_restart``, for ``diagnose_scheduled_restart_pm2_apps``) as one of an app on the host;
- a container's limit (``containers_limits``) is withheld whole when no docker/podman container of that name is
  in the facts (one name, one container) or Kubernetes runs it (its manifest holds its limits); its memory is at
  least what the container holds now plus the proposal margin (never under the floor) and at most what the host
  can give it (plugin_utils.budget's capacity less the other processes, the other containers' limits and the
  unlimited ones' use: triage.containers.room_mb); a
  memory_swap is at least the memory, a memory_reservation at most the memory;
- several findings proposing the same setting get one value that passes every bound (the largest that
  passes: every proposal is a need, and the bounds are the host's limits), or none, with the reasons;
- in a container sharing its host's kernel nothing host-wide passes: no variable of the swap role (swap
  files, vm.* sysctls) and no ``vm.*`` setting, whichever finding proposes it.

The result does not depend on the order of the findings."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.headroom.memory.plugins.module_utils.sizes import SizeError, parse_size
from ansible_collections.headroom.memory.plugins.module_utils.systemd.unit_names import unit_name_error
from ansible_collections.headroom.memory.plugins.plugin_utils.limit_rules import LIMIT_FLOOR, proposal_margin
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.common import (
    container_list, fmt_mb, processes, shared_kernel, unit_ceiling_mb, unit_cgroups, unit_limits, unit_use_mb)
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.configured import below_configured
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.containers import (
    ENGINES, floor_mb, label, limit_of, name_error, nameable, room_mb, use_of)
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.remedy_vars import remedy_errors
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.node import app_groups, app_room_mb, app_use_mb

HEAP_SHARE_PCT = 75  # a heap may take this share of its unit's limit: the rest is metaspace, threads, buffers

# list variables of the roles, and the key that identifies one of their items
ITEM_KEYS = {"service_limits_units": "unit", "heap_services": "unit", "swap_files": "path", "database_instances": "name",
             "containers_limits": "name", "pm2_apps": "name"}
_SIZE_KEYS = {("service_limits_units", "memory_max"), ("service_limits_units", "memory_high"),
              ("heap_services", "max"), ("containers_limits", "memory"), ("containers_limits", "memory_swap"),
              ("containers_limits", "memory_reservation")}

_MIB = 1024 * 1024

# host-wide in a container sharing its host's kernel: the swap role's variables (swap files and vm.* sysctls;
# role variables carry the role's name) and kernel vm.* settings
HOST_WIDE_VARIABLE_PREFIX = "swap_"
HOST_WIDE_SETTING_PREFIX = "vm."


def _mb(value):
    try:
        return parse_size(value) // _MIB
    except SizeError:
        return None


def margin_mb(use_mb):
    """The margin (MiB) a proposed MemoryMax leaves above a unit's current use: limit_rules' proposal margin."""
    return proposal_margin(use_mb * _MIB) // _MIB


def _floor_error(key, mb):
    if mb < LIMIT_FLOOR // _MIB:
        return "%s %s is below the floor of %s that service_limits enforces: no service runs under it" % (
            key, fmt_mb(mb), fmt_mb(LIMIT_FLOOR // _MIB))
    return None


def _withheld(fids, variable, item, key, value, reason):
    return {"findings": sorted(set(fids)), "variable": variable, "item": item, "setting": key,
            "value": value, "reason": reason}


class _Unit(object):
    """The bounds of one unit."""

    def __init__(self, facts, unit, floors):
        self.facts = facts
        self.unit = unit
        self.use, self.use_source = unit_use_mb(facts, unit)
        self.ceiling, self.ceiling_where, _used = unit_ceiling_mb(facts, unit)
        self.own_limit = unit_limits(facts).get(unit)
        self.floors = sorted(floors, key=lambda f: (-f[0], f[1]))

    def check_max(self, mb):
        """None when a MemoryMax of ``mb`` MiB passes, else why not."""
        if _floor_error("MemoryMax", mb):
            return _floor_error("MemoryMax", mb)
        if self.use is not None and mb < self.use + margin_mb(self.use):
            return ("MemoryMax %s is below what %s holds now (%s, %s) plus a %s margin: it would be killed or "
                    "thrash at once; change the settings that size it first, then diagnose again"
                    % (fmt_mb(mb), self.unit, fmt_mb(self.use), self.use_source, fmt_mb(margin_mb(self.use))))
        for floor, reason in self.floors:
            if mb < floor:
                return "MemoryMax %s is below %s (%s) that %s is configured to use" % (
                    fmt_mb(mb), fmt_mb(floor), reason, self.unit)
        if below_configured(self.facts, self.unit, "MemoryMax", mb):
            return below_configured(self.facts, self.unit, "MemoryMax", mb)
        if self.ceiling is not None and mb > self.ceiling:
            return "MemoryMax %s is above what %s can ever get (%s, %s): it could never fire" % (
                fmt_mb(mb), self.unit, fmt_mb(self.ceiling), self.ceiling_where)
        return None

    def check_high(self, mb, memory_max):
        if _floor_error("MemoryHigh", mb):
            return _floor_error("MemoryHigh", mb)
        if self.use is not None and mb < self.use:
            return "MemoryHigh %s is below what %s holds now (%s, %s): it would be throttled at once" % (
                fmt_mb(mb), self.unit, fmt_mb(self.use), self.use_source)
        if below_configured(self.facts, self.unit, "MemoryHigh", mb):
            return below_configured(self.facts, self.unit, "MemoryHigh", mb)
        top = memory_max if memory_max is not None else self.ceiling
        if top is not None and mb > top:
            return "MemoryHigh %s is above %s (%s)" % (
                fmt_mb(mb), fmt_mb(top), "the MemoryMax offered" if memory_max is not None else self.ceiling_where)
        return None

    def check_heap(self, mb, memory_max):
        limit = memory_max if memory_max is not None else self.own_limit
        where = "its MemoryMax" if limit is not None else self.ceiling_where
        limit = limit if limit is not None else self.ceiling
        if limit is not None and mb > limit * HEAP_SHARE_PCT // 100:
            return "heap %s does not fit under %s of %s (%s): %d%% at most, the rest is memory outside the heap" % (
                fmt_mb(mb), fmt_mb(limit), self.unit, where, HEAP_SHARE_PCT)
        return None


class _PM2App(object):
    """The bounds of one PM2 app (all its instances): what the largest holds now, the room one instance has."""

    def __init__(self, facts, name):
        self.name = name
        self.instances = dict(app_groups(facts)).get(name)
        self.use = self.per_room = self.room_where = None
        if self.instances:
            self.use = app_use_mb(self.instances)[0]
            room, self.room_where = app_room_mb(facts, name, self.instances)
            count = max(len(self.instances), max(a.get("instances") or 0 for a in self.instances))
            self.per_room = room // count if room is not None else None

    def refusal(self):
        if not self.instances:
            return ("PM2 app %r is not among the apps memory_facts listed on the host: no remedy for an app it did not "
                    "see" % self.name)
        return None

    def check_threshold(self, mb):
        """None when a max_memory_restart of ``mb`` MiB passes, else why not."""
        if _floor_error("max_memory_restart", mb):
            return _floor_error("max_memory_restart", mb)
        if self.use is not None and mb < self.use + margin_mb(self.use):
            return ("max_memory_restart %s is under what PM2 app %s holds now (%s) plus a %s margin: PM2 would restart "
                    "it again and again" % (fmt_mb(mb), self.name, fmt_mb(self.use), fmt_mb(margin_mb(self.use))))
        if self.per_room is not None and mb > self.per_room:
            return ("max_memory_restart %s is above what one instance of PM2 app %s can get (%s of %s): the kernel "
                    "would kill first, it could never fire" % (fmt_mb(mb), self.name, fmt_mb(self.per_room), self.room_where))
        return None

    def check_heap(self, mb):
        """None when a max_old_space_size of ``mb`` MiB passes, else why not."""
        if self.per_room is not None and mb > self.per_room * HEAP_SHARE_PCT // 100:
            return ("max_old_space_size %s does not fit in what one instance of PM2 app %s can get (%s of %s): %d%% at "
                    "most, the rest is memory outside the heap" % (fmt_mb(mb), self.name, fmt_mb(self.per_room),
                                                                   self.room_where, HEAP_SHARE_PCT))
        return None


def _pick_int(proposals, check):
    """(value, [withheld (value, fids, reason)]): the largest whole number of MiB that passes ``check``."""
    by_value = {}
    for value, fid in proposals:
        by_value.setdefault(value, []).append(fid)
    passing, failing = [], []
    for value in sorted(by_value):
        reason = check(value)
        (failing if reason else passing).append((value, by_value[value], reason))
    return (passing[-1][0] if passing else None), failing


def _pm2_item(facts, name, settings, withheld):
    """The gated pm2_apps item for one app, or None."""
    bounds = _PM2App(facts, name)
    refusal = bounds.refusal()
    if refusal:
        withheld.append(_withheld([f for proposals in settings.values() for _v, f in proposals], "pm2_apps", name,
                                  None, None, refusal))
        return None
    item = {"name": name}
    for setting, pick, check in (("max_memory_restart", _pick_size, bounds.check_threshold),
                                 ("max_old_space_size", _pick_int, bounds.check_heap)):
        if setting not in settings:
            continue
        value, failed = pick(settings[setting], check)
        for v, fids, reason in failed:
            withheld.append(_withheld(fids, "pm2_apps", name, setting, v, reason))
        if value is not None:
            item[setting] = value
    if "cron_restart" in settings:  # a scheduled restart (diagnose_scheduled_restart_pm2_apps): a plain setting
        value, reason = _pick_plain("cron_restart", settings["cron_restart"])
        if reason:
            withheld.append(_withheld([f for _v, f in settings["cron_restart"]], "pm2_apps", name, "cron_restart",
                                      None, reason))
        else:
            item["cron_restart"] = value
    return item if len(item) > 1 else None


def _proposals(findings, withheld):
    """{(variable, item key value or None): {setting: [(value, finding id)]}} and the item keys' names. A
    variable remediate would refuse (remedy_vars.remedy_errors: not one diagnose may propose, or not in its
    shape) is withheld whole, with the reasons."""
    found = {}
    for f in findings:
        for variable, value in sorted(((f.get("remedy") or {}).get("vars") or {}).items()):
            errors = remedy_errors(variable, value)
            for index, setting, reason in errors:
                item = value[index] if index is not None else None
                withheld.append(_withheld([f.get("id", "?")], variable,
                                          item.get(ITEM_KEYS.get(variable)) if isinstance(item, dict) else None,
                                          setting, None, "not offered to remediate: %s" % reason))
            if errors:
                continue
            key = ITEM_KEYS.get(variable)
            if key is None:
                found.setdefault((variable, None), {}).setdefault(None, []).append((value, f.get("id", "?")))
                continue
            for item in value or []:
                ident = item.get(key)
                for setting, v in item.items():
                    if setting != key:
                        found.setdefault((variable, ident), {}).setdefault(setting, []).append((v, f.get("id", "?")))
    return found


def _floors(findings):
    """{unit: [(min_mb, reason)]} from the findings' ``remedy.floors``."""
    floors = {}
    for f in findings:
        for fl in (f.get("remedy") or {}).get("floors") or []:
            if fl.get("unit") and isinstance(fl.get("min_mb"), int):
                floors.setdefault(fl["unit"], []).append((fl["min_mb"], fl.get("reason") or "its settings"))
    return floors


def _pick_size(proposals, check):
    """(value, [withheld (value, fids, reason)]): the largest size that passes ``check``."""
    by_mb = {}
    for value, fid in proposals:
        mb = _mb(value)
        by_mb.setdefault((mb, str(value)), []).append(fid)
    passing, failing = [], []
    for (mb, value), fids in sorted(by_mb.items(), key=lambda kv: (kv[0][0] is None, kv[0][0] or 0, kv[0][1])):
        reason = "%r is not a size" % value if mb is None else check(mb)
        (failing if reason else passing).append((mb, value, fids, reason))
    if not passing:
        return None, [(v, fids, r) for _mb_, v, fids, r in failing]
    return passing[-1][1], [(v, fids, r) for _mb_, v, fids, r in failing]


def _pick_plain(setting, proposals):
    """(value, reason): one value when every proposal agrees; ``oom_score_adjust`` takes the most protective."""
    values = sorted(set(repr(v) for v, _f in proposals))
    if len(values) == 1:
        return proposals[0][0], None
    if setting == "oom_score_adjust" and all(isinstance(v, int) for v, _f in proposals):
        return min(v for v, _f in proposals), None
    return None, "findings propose different values (%s): none is offered" % ", ".join(values)


# the sources whose records memory_facts takes from the kernel itself (kmsg, dmesg, the journal's kernel
# transport) or from systemd as PID 1 in the journal: a name in them is no user's text
_TRUSTED_SOURCES = frozenset(("kmsg", "dmesg", "journal"))


def host_units(facts):
    """The units memory_facts saw on the host: those of the cgroups it read, of the processes it listed, and
    of the kills the kernel (or PID 1) reported through its own transport. The last keeps a unit that the
    kernel killed and systemd then gave up restarting (failed: no cgroup, no process), the unit a remedy is
    most often for; a kill read only from a syslog file, whose lines any local user can write, does not."""
    units = set(unit_cgroups(facts))
    units.update(p["unit"] for p in processes(facts) if p.get("unit"))
    units.update(e["unit"] for e in ((facts.get("oom") or {}).get("events") or [])
                 if isinstance(e, dict) and e.get("unit") and _TRUSTED_SOURCES.intersection(e.get("sources") or ()))
    return units


def unit_refusal(facts, unit):
    """Why no remedy may name ``unit``, or None: its name is not a valid systemd unit name, or the unit is
    not on the host (a name that came only from log text; the sizes would then be a guess)."""
    error = unit_name_error(unit)
    if error:
        return error
    if unit not in host_units(facts):
        return ("unit %r is not among the units memory_facts saw on the host (its cgroups, its processes, the "
                "kernel's own kill records): no remedy for a unit named only in log text" % unit)
    return None


def _unit_item(facts, variable, unit, settings, floors, withheld, chosen_max):
    """The gated item for one unit of service_limits_units / heap_services; ``chosen_max`` ({unit: MiB})
    gets the MemoryMax offered, which a heap must then fit under. An invalid or absent unit gets none."""
    refusal = unit_refusal(facts, unit)
    if refusal:
        fids = [f for proposals in settings.values() for _v, f in proposals]
        withheld.append(_withheld(fids, variable, unit, None, None, refusal))
        return None
    bounds = _Unit(facts, unit, floors.get(unit) or [])
    item = {"unit": unit}
    memory_max = None
    if "memory_max" in settings:
        value, failed = _pick_size(settings["memory_max"], bounds.check_max)
        for v, fids, reason in failed:
            withheld.append(_withheld(fids, variable, unit, "memory_max", v, reason))
        if value is not None:
            item["memory_max"], memory_max = value, _mb(value)
            chosen_max[unit] = memory_max
    if "memory_high" in settings:
        value, failed = _pick_size(settings["memory_high"], lambda mb: bounds.check_high(mb, memory_max))
        for v, fids, reason in failed:
            withheld.append(_withheld(fids, variable, unit, "memory_high", v, reason))
        if value is not None:
            item["memory_high"] = value
    if variable == "heap_services" and "max" in settings:
        value, failed = _pick_size(settings["max"], lambda mb: bounds.check_heap(mb, chosen_max.get(unit)))
        for v, fids, reason in failed:
            withheld.append(_withheld(fids, variable, unit, "max", v, reason))
        if value is not None:
            item["max"] = value
    for setting in sorted(s for s in settings if (variable, s) not in _SIZE_KEYS):
        value, reason = _pick_plain(setting, settings[setting])
        if reason:
            withheld.append(_withheld([f for _v, f in settings[setting]], variable, unit, setting, None, reason))
        else:
            item[setting] = value
    if variable == "heap_services" and "max" not in item:
        return None  # a heap entry without its size is nothing to apply
    return item if len(item) > 1 else None


def container_refusal(facts, name):
    """(container, None) for the one docker/podman container named ``name`` in the facts, else (None, why): an
    invalid name, none of that name (a remedy for a container the host does not have), or one per engine."""
    error = name_error(name)
    if error:
        return None, error
    found = [c for c in container_list(facts) if c.get("runtime") in ENGINES and c.get("name") == name]
    if not found:
        return None, ("container %r is not among the docker/podman containers memory_facts saw on the host%s" % (
            name, "" if "containers" in facts else " (its facts have no containers subset)"))
    if len(found) > 1:
        return None, "container name %r is not one container here: %s" % (name, ", ".join(label(c) for c in found))
    if not nameable(found[0]):
        return None, ("container %r is run by Kubernetes: the kubelet owns its limits, set them in its manifest "
                      "(resources.limits.memory)" % name)
    return found[0], None


class _Container(object):
    """The bounds of one container's limits."""

    def __init__(self, facts, c):
        self.c = c
        self.name = c.get("name")
        self.use, self.use_source = use_of(c)
        self.floor = floor_mb(c)
        self.room, self.room_how = room_mb(facts, c)

    def check_memory(self, mb):
        """None when a memory limit of ``mb`` MiB passes, else why not."""
        if mb < LIMIT_FLOOR // _MIB:
            return "memory %s is below the floor of %s: no container runs under it" % (fmt_mb(mb), fmt_mb(LIMIT_FLOOR // _MIB))
        if mb < self.floor:
            return ("memory %s is below what container %s holds now (%s, %s) plus a %s margin: it would be killed at "
                    "once" % (fmt_mb(mb), self.name, fmt_mb(self.use), self.use_source, fmt_mb(self.floor - self.use)))
        if self.room is not None and mb > self.room:
            return "memory %s is above what the host can give container %s: %s" % (fmt_mb(mb), self.name, self.room_how)
        return None

    def check_swap(self, mb, memory):
        top = memory if memory is not None else limit_of(self.c)
        if top is not None and mb < top:
            return "memory_swap %s is below the memory limit %s: the engines refuse it (memory_swap counts memory and swap)" % (
                fmt_mb(mb), fmt_mb(top))
        return None

    def check_reservation(self, mb, memory):
        top = memory if memory is not None else limit_of(self.c)
        if top is not None and mb > top:
            return "memory_reservation %s is above the memory limit %s" % (fmt_mb(mb), fmt_mb(top))
        return None


def _container_item(facts, name, settings, withheld):
    """The gated containers_limits item for the container ``name``, or None (then it is withheld, with why)."""
    c, refusal = container_refusal(facts, name)
    if refusal:
        withheld.append(_withheld([f for proposals in settings.values() for _v, f in proposals], "containers_limits",
                                  name, None, None, refusal))
        return None
    bounds = _Container(facts, c)
    item, memory = {"name": name}, None
    checks = [("memory", bounds.check_memory), ("memory_swap", lambda mb: bounds.check_swap(mb, memory)),
              ("memory_reservation", lambda mb: bounds.check_reservation(mb, memory))]
    for setting, check in checks:
        if setting not in settings:
            continue
        value, failed = _pick_size(settings[setting], check)
        for v, fids, reason in failed:
            withheld.append(_withheld(fids, "containers_limits", name, setting, v, reason))
        if value is not None:
            item[setting] = value
            if setting == "memory":
                memory = _mb(value)
    return item if "memory" in item else None  # a container's item without its limit is nothing to apply


def _host_wide_reason(runtime):
    return ("this host is a %s container sharing its host's kernel: swap and vm.* sysctls are the host's; "
            "change them on the host" % runtime)


def _gated_settings(findings, withheld, runtime=None):
    """The service settings (``remedy.settings``) that pass: a worker count must fit its room, and no vm.*
    sysctl passes in a container sharing its host's kernel (``runtime``)."""
    kept = []
    for f in findings:
        for st in (f.get("remedy") or {}).get("settings") or []:
            per, room, value = st.get("per_worker_mb"), st.get("room_mb"), st.get("value")
            if runtime and str(st.get("setting") or "").startswith(HOST_WIDE_SETTING_PREFIX):
                withheld.append(_withheld([f.get("id", "?")], "settings", st.get("service"), st.get("setting"), value,
                                          _host_wide_reason(runtime)))
                continue
            if per and room is not None and isinstance(value, int) and value * per > room:
                withheld.append(_withheld([f.get("id", "?")], "settings", st.get("service"), st.get("setting"), value,
                                          "%d workers \u00d7 %s = %s do not fit in the room (%s)"
                                          % (value, fmt_mb(per), fmt_mb(value * per), fmt_mb(room))))
                continue
            kept.append((f.get("id", "?"), st))
    return kept


def gate(facts, findings):
    """``{vars, settings, withheld}`` for one host: ``vars`` the role variables that pass (for remedy-vars/),
    ``settings`` the [(finding id, setting)] that pass, ``withheld`` what did not and why, as
    [{findings, variable, item, setting, value, reason}]. Independent of the findings' order."""
    findings = sorted(findings, key=lambda f: f.get("id", "?"))
    floors = _floors(findings)
    withheld = []
    merged, chosen_max = {}, {}
    # service_limits first: a heap must fit under the MemoryMax offered with it
    order = sorted(_proposals(findings, withheld).items(),
                   key=lambda kv: (kv[0][0] != "service_limits_units", kv[0][0], str(kv[0][1])))
    runtime = shared_kernel(facts)
    for (variable, ident), settings in order:
        if runtime and variable.startswith(HOST_WIDE_VARIABLE_PREFIX):
            for setting in sorted(settings, key=str):
                withheld.append(_withheld([f for _v, f in settings[setting]], variable, ident, setting, None,
                                          _host_wide_reason(runtime)))
            continue
        key = ITEM_KEYS.get(variable)
        if key is None:
            value, reason = _pick_plain(variable, settings[None])
            if reason:
                withheld.append(_withheld([f for _v, f in settings[None]], variable, None, None, None, reason))
            else:
                merged[variable] = value
            continue
        if key == "unit":
            item = _unit_item(facts, variable, ident, settings, floors, withheld, chosen_max)
        elif variable == "containers_limits":
            item = _container_item(facts, ident, settings, withheld)
        elif variable == "pm2_apps":
            item = _pm2_item(facts, ident, settings, withheld)
        else:
            item = {key: ident}
            for setting in sorted(settings):
                value, reason = _pick_plain(setting, settings[setting])
                if reason:
                    withheld.append(_withheld([f for _v, f in settings[setting]], variable, ident, setting, None, reason))
                else:
                    item[setting] = value
        if item:
            merged.setdefault(variable, []).append(item)
    return {"vars": merged, "settings": _gated_settings(findings, withheld, runtime), "withheld": withheld}


def apply_to_findings(findings, withheld):
    """Take each withheld proposal out of the finding that made it (its remedy shows only what passed)
    and list the reasons under ``remedy.withheld``; a finding left with no variables names no role."""
    for f in findings:
        mine = [w for w in withheld if f.get("id", "?") in w["findings"]]
        if not mine:
            continue
        remedy = f["remedy"]
        remedy["withheld"] = ["%s%s: %s" % (w["item"] + " " if w["item"] else "", w["setting"] or w["variable"],
                                            w["reason"]) for w in mine]
        role_vars = remedy.get("vars") or {}
        for w in mine:
            if w["variable"] == "settings":
                remedy["settings"] = [s for s in remedy.get("settings") or []
                                      if not (s.get("service") == w["item"] and s.get("setting") == w["setting"])]
                continue
            key = ITEM_KEYS.get(w["variable"])
            if key is None:
                role_vars.pop(w["variable"], None)
                continue
            if w["setting"] is None:  # the whole item (its unit is invalid or absent)
                role_vars[w["variable"]] = [i for i in role_vars.get(w["variable"]) or [] if i.get(key) != w["item"]]
                continue
            for item in role_vars.get(w["variable"]) or []:
                if item.get(key) == w["item"] and (w["value"] is None or str(item.get(w["setting"])) == str(w["value"])):
                    item.pop(w["setting"], None)
        for variable in list(role_vars):
            key = ITEM_KEYS.get(variable)
            if key:
                role_vars[variable] = [i for i in role_vars[variable]
                                       if len(i) > 1 and (variable != "heap_services" or "max" in i)
                                       and (variable != "containers_limits" or "memory" in i)]
                if not role_vars[variable]:
                    del role_vars[variable]
        remedy["vars"] = role_vars
        if not role_vars:
            remedy["role"] = None
    return findings


def recheck(facts, role_vars):
    """What the gate would withhold of ``role_vars`` (one host's remedy-vars document) against ``facts`` read
    now: [{variable, item, setting, value, reason}], [] when every size still passes. The same bounds as
    ``gate`` (``_Unit``: MemoryMax, MemoryHigh, heap), service_limits first so that a heap fits under the
    MemoryMax offered with it; without the findings' floors, which a remedy-vars file does not carry. PM2 apps
    (``pm2_apps``) are checked by the same bounds as in ``gate`` when ``facts`` carry the pm2 subset.

    One difference: a MemoryHigh the unit has outgrown since the report (a leak keeps growing between diagnose
    and remediate) passes when the same unit's MemoryMax passes, which leaves the margin above what it holds
    now: the throttle then slows a unit that is still bounded, it does not kill it."""
    problems = []
    chosen_max = {}
    for variable in ("service_limits_units", "heap_services"):
        for item in (role_vars or {}).get(variable) or []:
            if not isinstance(item, dict) or not item.get("unit"):
                continue
            unit = item["unit"]
            bounds = _Unit(facts, unit, [])
            if variable == "service_limits_units":
                checks = [("memory_max", bounds.check_max),
                          ("memory_high", lambda mb, u=unit, b=bounds: b.check_high(mb, chosen_max.get(u)))]
            else:
                checks = [("max", lambda mb, u=unit, b=bounds: b.check_heap(mb, chosen_max.get(u)))]
            for setting, check in checks:
                if setting not in item:
                    continue
                mb = _mb(item[setting])
                reason = "%r is not a size" % (item[setting],) if mb is None else check(mb)
                if (reason and setting == "memory_high" and unit in chosen_max and bounds.use is not None
                        and mb < bounds.use):
                    reason = None  # outgrown since the report, under a MemoryMax that passes (above)
                if reason:
                    problems.append({"variable": variable, "item": unit, "setting": setting, "value": item[setting],
                                     "reason": reason})
                elif setting == "memory_max":
                    chosen_max[unit] = mb
    problems.extend(_recheck_containers(facts, (role_vars or {}).get("containers_limits") or []))
    if isinstance((facts or {}).get("pm2"), dict):  # PM2 apps are checked when the facts read them (subset pm2)
        problems.extend(_recheck_pm2(facts, (role_vars or {}).get("pm2_apps") or []))
    return problems


def _recheck_items(variable, items, bounds_of):
    """recheck's part for a list of named items (containers_limits, pm2_apps): ``bounds_of(name)`` gives
    (None, refusal) when the item itself is refused now, else (_, [(setting, MiB of a value or None, check)])."""
    problems = []
    for item in items:
        if not isinstance(item, dict) or not item.get("name"):
            continue
        refusal, checks = bounds_of(item)
        if refusal:
            problems.append({"variable": variable, "item": item["name"], "setting": None, "value": None,
                             "reason": refusal})
            continue
        for setting, to_mb, check in checks:
            if setting not in item:
                continue
            mb = to_mb(item[setting])
            reason = "%r is not a size" % (item[setting],) if mb is None else check(mb)
            if reason:
                problems.append({"variable": variable, "item": item["name"], "setting": setting,
                                 "value": item[setting], "reason": reason})
    return problems


def _recheck_containers(facts, items):
    """recheck's part for containers_limits: the container still there, its sizes within the same bounds."""
    def bounds_of(item):
        c, refusal = container_refusal(facts, item["name"])
        if refusal:
            return refusal, []
        bounds = _Container(facts, c)
        memory = _mb(item["memory"]) if "memory" in item else None
        return None, [("memory", _mb, bounds.check_memory),
                      ("memory_swap", _mb, lambda mb: bounds.check_swap(mb, memory)),
                      ("memory_reservation", _mb, lambda mb: bounds.check_reservation(mb, memory))]
    return _recheck_items("containers_limits", items, bounds_of)


def _recheck_pm2(facts, items):
    """recheck's part for pm2_apps: the app still there, its threshold and heap within the gate's bounds."""
    def bounds_of(item):
        bounds = _PM2App(facts, item["name"])
        refusal = bounds.refusal()
        if refusal:
            return refusal, []
        return None, [("max_memory_restart", _mb, bounds.check_threshold),
                      ("max_old_space_size", lambda value: value, bounds.check_heap)]
    return _recheck_items("pm2_apps", items, bounds_of)
