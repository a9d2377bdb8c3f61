# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Size a PM2 app's ``max_memory_restart`` and Node heap ceiling from what it measurably uses.

The rules are the collection's, reused, not copied:

- **share** (plugin_utils/budget.py): what one instance may have is (the smallest of MemTotal, the container's
  limit and the unit's MemoryMax, minus every other process's RSS, minus the OS reserve) divided by the instances.
  Node processes are one process group (``node``) in the facts: the app's own instances are taken out of it and
  the rest (other PM2 apps, Node run otherwise) counted as others.
- **threshold** (plugin_utils/limit_rules.py): PM2 restarts a process whose RSS passes ``max_memory_restart`` (it
  checks every 30 s), so the threshold is a limit in the sense of limit_rules: never under what the app holds
  now plus the role's margin (``apply_margin``; a threshold under current use restarts it forever), never under
  the 32 MiB floor, proposed at the peak plus diagnose's drift margin (``proposal_margin``), rounded up like every
  size the collection proposes (``sizes.size_string_mb``), and never above the share: restarting before the host
  runs out is the point.
- **heap** (plugin_utils/heap/plan.py ``ROOM_RATIO``): V8's old space may take at most that share of the
  threshold; the young generation, code, buffers and native memory need the rest, as for a unit's MemoryMax.
  In cluster mode each instance gets the threshold and the heap, so instances x threshold fits in the share.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.headroom.memory.plugins.module_utils.sizes import size_string_mb
from ansible_collections.headroom.memory.plugins.plugin_utils import budget, limit_rules
from ansible_collections.headroom.memory.plugins.plugin_utils.heap.plan import ROOM_RATIO
from ansible_collections.headroom.memory.plugins.plugin_utils.pm2.ecosystem import MMR_RE, HEAP_MAX_MB

MIB = 1024 * 1024
NODE_COMMS = ("node", "nodejs")
_UNITS_MB = {"K": 1.0 / 1024, "M": 1, "G": 1024}


def _int(value):
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _mb_up(nbytes):
    return -(-int(nbytes) // MIB)


def mmr_mb(text):
    """PM2's ``max_memory_restart`` notation (``300M``, ``1G``, ``512000K``) in MiB, rounded down; None if not it."""
    if not isinstance(text, str) or not MMR_RE.match(text):
        return None
    return int(int(text[:-1]) * _UNITS_MB[text[-1]])


def _instances(app_facts):
    """(name, instances, per-instance use in MiB, total use) of the app's fact entries (one per instance)."""
    entries = app_facts if isinstance(app_facts, list) else [app_facts]
    entries = [e for e in entries if isinstance(e, dict)]
    if not entries:
        raise budget.BudgetError("the app's facts are empty (expected ansible_facts['headroom']['pm2']['apps'] entries)")
    names = set(e.get("name") for e in entries)
    if len(names) != 1 or not isinstance(entries[0].get("name"), str):
        raise budget.BudgetError("the app's facts name %s, not one app" % ", ".join(sorted(str(n) for n in names)))
    counts = [_int(e.get("instances")) for e in entries]
    instances = max([len(entries)] + [c for c in counts if c])
    uses = [_int(e.get("memory_mb")) or 0 for e in entries]
    return entries[0]["name"], instances, max(uses), sum(uses)


def need_mb(use_mb):
    """The least threshold an instance holding ``use_mb`` may get: its use plus the role's margin, at least the floor."""
    return max(use_mb + _mb_up(limit_rules.apply_margin(use_mb * MIB)), limit_rules.LIMIT_FLOOR // MIB)


def threshold_error(name, text, given_mb, use_mb):
    """Why a ``max_memory_restart`` of ``given_mb`` (written ``text``) is under what one instance holding ``use_mb``
    needs, or None: PM2 would restart it forever."""
    need = need_mb(use_mb)
    if given_mb >= need:
        return None
    return ("%s: max_memory_restart %s (%d MiB) is under what one instance holds now plus the margin "
            "(%d MiB + %d MiB = %d MiB): PM2 would restart it forever" % (name, text, given_mb, use_mb, need - use_mb, need))


def heap_error(name, heap_mb, text, threshold_mb):
    """Why a heap ceiling of ``heap_mb`` is too big for a ``max_memory_restart`` of ``threshold_mb`` (written ``text``),
    or None: V8's old space may take ROOM_RATIO of it."""
    room = int(threshold_mb * ROOM_RATIO)
    if heap_mb <= room:
        return None
    return ("%s: max_old_space_size %d MiB is above %d%% of max_memory_restart %s (%d MiB): V8's young "
            "generation, code, buffers and native memory need the rest" % (name, heap_mb, int(ROOM_RATIO * 100), text, room))


def share(host_view, instances, own_total_mb, unit_limit_mb=None, reserve_mb=None, unit_use_mb=None):
    """(per-instance share in MiB, arithmetic) of a PM2 app whose instances hold ``own_total_mb``: budget.py's rule
    with Node's process group split into this app and the rest. When PM2's unit limit (``unit_limit_mb``) is the
    smallest bound, only what else runs in that unit counts against it (``unit_use_mb`` - the app's own, the daemon
    and the other apps there), not the host's other processes, which live outside it; the reserve stays as a margin
    under the limit (PM2 checks memory only every 30 s)."""
    total_mb, source = budget.usable_total(host_view, unit_limit_mb)
    if reserve_mb is None:
        reserve_mb = budget.default_reserve_mb(total_mb)
    if source == "unit" and unit_use_mb is not None:
        in_unit_mb = max(0, int(unit_use_mb) - int(own_total_mb))
        available_mb = total_mb - in_unit_mb - reserve_mb
        per_instance = available_mb // instances if available_mb > 0 else 0
        arithmetic = ("%d MiB (unit) - %d MiB else in the unit - %d MiB reserve = %d MiB, / %d instance%s = %d MiB"
                      % (total_mb, in_unit_mb, reserve_mb, available_mb, instances, "" if instances == 1 else "s",
                         per_instance))
        return per_instance, arithmetic
    others_mb, _top = budget.others_rss(host_view, NODE_COMMS)
    groups = (host_view or {}).get("process_groups") or []
    node_mb = sum(int(g.get("rss_mb") or 0) for g in groups if g.get("comm") in NODE_COMMS)
    other_node_mb = max(0, node_mb - own_total_mb)
    available_mb = total_mb - others_mb - other_node_mb - reserve_mb
    per_instance = available_mb // instances if available_mb > 0 else 0
    arithmetic = ("%d MiB (%s) - %d MiB other processes - %d MiB other Node processes - %d MiB reserve = %d MiB, "
                  "/ %d instance%s = %d MiB" % (total_mb, source, others_mb, other_node_mb, reserve_mb, available_mb,
                                                instances, "" if instances == 1 else "s", per_instance))
    return per_instance, arithmetic


def plan(app_facts, host_view, max_memory_restart=None, max_old_space_size=None, peak_mb=None, steady_mb=None,
         unit_limit_mb=None, reserve_mb=None, unit_use_mb=None):
    """The settings for one PM2 app: ``{name, instances, use_mb, steady_mb, peak_mb, share_mb, max_memory_restart,
    max_memory_restart_mb, max_old_space_size, arithmetic, notes, errors}``.

    ``app_facts``: the app's entries of ``ansible_facts['headroom']['pm2']['apps']`` (one, or one per instance);
    ``host_view``: ``ansible_facts['headroom']`` (memory, cgroup, processes). ``max_memory_restart`` (PM2 notation)
    and ``max_old_space_size`` (MiB) are checked when given, else proposed; ``peak_mb``/``steady_mb`` are the
    measured peak and steady state of one instance (default: what it holds now); ``unit_limit_mb``/``unit_use_mb``
    the limit of the systemd unit PM2 runs under and what that unit holds (see ``share``). ``errors`` are sentences with the
    numbers; the settings are None when they cannot be given.
    """
    out = {"name": None, "instances": None, "use_mb": None, "steady_mb": None, "peak_mb": None, "share_mb": None,
           "max_memory_restart": None, "max_memory_restart_mb": None, "max_old_space_size": None,
           "arithmetic": None, "notes": [], "errors": []}
    errors = out["errors"]
    try:
        name, instances, use, total_use = _instances(app_facts)
    except budget.BudgetError as e:
        errors.append(str(e))
        return out
    out.update(name=name, instances=instances, use_mb=use)
    for label, value in (("peak_mb", peak_mb), ("steady_mb", steady_mb)):
        if value is not None and (_int(value) is None or value < 0):
            errors.append("%s: %s %r is not a whole number of MiB" % (name, label, value))
    if errors:
        return out
    steady = use if steady_mb is None else steady_mb
    peak = max(peak_mb or 0, steady, use)
    out.update(steady_mb=steady, peak_mb=peak)
    try:
        per_instance, arithmetic = share(host_view, instances, total_use, unit_limit_mb, reserve_mb, unit_use_mb)
    except budget.BudgetError as e:
        errors.append("%s: %s" % (name, e))
        return out
    out.update(share_mb=per_instance, arithmetic=arithmetic)
    need = need_mb(use)
    if max_memory_restart is not None:
        given = mmr_mb(max_memory_restart)
        if given is None:
            errors.append("%s: max_memory_restart %r is not PM2's notation: a whole number with K, M or G (300M, 1G)"
                          % (name, max_memory_restart))
            return out
        error = threshold_error(name, max_memory_restart, given, use)
        if error:
            errors.append(error)
        if given > per_instance:
            errors.append("%s: max_memory_restart %s (%d MiB) per instance is more than the app's share: %s" % (
                name, max_memory_restart, given, arithmetic))
        threshold, text = given, max_memory_restart
    else:
        wanted = peak + _mb_up(limit_rules.proposal_margin(peak * MIB))
        text = size_string_mb(wanted)
        threshold = mmr_mb(text)
        if threshold > per_instance:
            threshold, text = per_instance, "%dM" % per_instance
            out["notes"].append("%s: the peak %d MiB plus the margin (%s) is more than the share; the threshold is the "
                                "share, %d MiB per instance" % (name, peak, size_string_mb(wanted), per_instance))
        if threshold < need:
            errors.append("%s: no max_memory_restart fits: one instance holds %d MiB now and needs at least %d MiB "
                          "with the margin, but its share is %d MiB (%s)" % (name, use, need, per_instance, arithmetic))
    room = int(threshold * ROOM_RATIO)
    if max_old_space_size is not None:
        if _int(max_old_space_size) is None or not 0 < max_old_space_size <= HEAP_MAX_MB:
            errors.append("%s: max_old_space_size %r is not a whole number of MiB between 1 and %d" % (
                name, max_old_space_size, HEAP_MAX_MB))
        elif heap_error(name, max_old_space_size, text, threshold):
            errors.append(heap_error(name, max_old_space_size, text, threshold))
        heap = max_old_space_size
    else:
        heap = room
    if errors:
        return out
    out.update(max_memory_restart=text, max_memory_restart_mb=threshold, max_old_space_size=heap)
    return out


def plan_errors(plans):
    """Every error of a list of plans, in order."""
    return [e for p in plans or [] for e in (p or {}).get("errors") or []]
