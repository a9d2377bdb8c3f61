# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Triage rules over the OOM-kill history: oom_kills_recent and oom_protection_missing.

Each rule is ``rule(facts, thresholds, ctx) -> [finding]``; ``ctx`` carries what triage computed once
(``events``: the host's own kills in the window, ``view``: its effective memory, ``container_kills``: the
kills of a listed container's own limit, which container_oom_killed reports and these rules leave out).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.headroom.memory.plugins.plugin_utils.triage.attribution import (
    KINDS, describe, kill_limit, log_coverage, victim_label)
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.common import (
    finding, fmt_mb, is_service, limits_entry, short_time, unit_ceiling_mb, unit_cgroups, unit_limits, unit_room_mb,
    victim_name, victim_rss_mb, processes, databases)

SERVICE_LIMITS = "headroom.memory.service_limits"


def _counted(values):
    counts = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def _listing(pairs):
    return ", ".join("%s \u00d7%d" % (name, n) for name, n in pairs)


def _unit_remedy(facts, unit, kind, limits, peak=None):
    """service_limits entry for a systemd service whose processes were killed, or None.

    Killed by its own limit: throttle at the old limit, allow half as much again before killing, never
    above what the unit can get. Killed by a container, slice or other shared limit: bound the unit inside
    it (at what it can get there, so that the next kill stays in the unit and spares its neighbours).
    A host-wide kill proposes nothing here: the unit had no limit, and one dead process's RSS is no size
    for it (oom_protection_missing and the sizing findings say what to do)."""
    if not is_service(unit) or kind == "host":
        return None
    ceiling = unit_ceiling_mb(facts, unit)[0]
    if kind == "unit":
        # its own limit fired: when the unit is gone (failed, limit no longer listed) its kill-time size is
        # the best estimate of that limit
        limit = limits.get(unit) or peak
        if not limit:
            return None
        new_max = limit * 3 // 2 if ceiling is None else min(limit * 3 // 2, ceiling)
        return limits_entry(facts, unit, limit, new_max) if new_max > limit else None
    if unit not in unit_cgroups(facts):
        return None  # not a unit of this host (a kill read from a shared kernel log) or its cgroup is gone
    room = unit_room_mb(facts, unit)[0]
    if not room:
        return None
    return limits_entry(facts, unit, room * 9 // 10, room)


_KIND_TEXT = {
    "unit": "Units killed by their own MemoryMax either need more (raise it, throttle at the old limit with "
            "MemoryHigh, never above what the unit can get) or leak (see leak_suspect).",
    "container": "Kills by the container's limit: raise or add the container's memory limit (podman/docker "
                 "--memory, compose mem_limit, Kubernetes limits), or bound the unit inside it so that the kill "
                 "stays in the unit, and fix the settings that size it (see the other findings).",
    "slice": "Kills by a slice's limit: the slice's units share it; raise the slice's MemoryMax or bound the "
             "unit inside it, and fix the settings that size it.",
    "cgroup": "Kills by a limit above the unit: raise that limit or bound the unit inside it.",
    "host": "Host-wide kills: the kernel could pick any process. Protect the critical ones "
            "(oom_protection_missing), add swap, and size the services from their settings (the other findings).",
}


def host_events(ctx):
    """The listed kills of the window that are not a listed container's own (those are container_oom_killed's)."""
    theirs = set(id(event) for event, _container in ctx.get("container_kills") or [])
    return [e for e in ctx["events"] if id(e) not in theirs]


def oom_kills_recent(facts, thresholds, ctx):
    events = [e for e in host_events(ctx) if e.get("complete", True)]
    if not events:
        return []
    unlisted = ctx.get("kills", len(ctx["events"])) - len(ctx["events"])  # older kills memory_facts only counted
    count = len(events) + unlisted
    limits = unit_limits(facts)
    fired = [kill_limit(e, limits) for e in events]
    since = (facts.get("oom") or {}).get("since")
    by_comm = _counted(victim_label(e) for e in events)  # a PM2 app's kill by its app name and id, not ``node``
    by_unit = _counted(e.get("unit") for e in events if e.get("unit"))
    scopes = _counted(e.get("scope") or e.get("killer") or "?" for e in events)
    evidence = ["%d kill(s) since %s: %s" % (count, short_time(since) or "the start of the logs", _listing(by_comm))]
    if unlisted:
        evidence[0] = "%d kill(s) since %s; the newest %d listed: %s" % (
            count, short_time(since) or "the start of the logs", len(ctx["events"]), _listing(by_comm))
        by_comm_all = sorted((((facts.get("oom") or {}).get("counts") or {}).get("by_comm") or {}).items(),
                             key=lambda kv: (-kv[1], kv[0]))
        if by_comm_all:
            evidence.append("every kill of the window by process: %s" % _listing(by_comm_all[:10]))
    coverage = log_coverage(facts, ctx["events"])
    if not coverage["supported"]:
        # the logs miss kills: say why, and count a unit's kills by its cgroup's own counter where it has one
        evidence.insert(1, "the logs cannot support this count: %s" % "; ".join(coverage["reasons"]))
        for n, gap in enumerate(coverage["units"]):
            evidence.insert(2 + n, "%s: the kernel counted %d OOM kill(s) in its cgroup (oom_kill, since the cgroup "
                                   "was made), the logs hold %d" % (gap["unit"], gap["counted"], gap["logged"]))
            count += gap["counted"] - gap["logged"]
    severity = "critical" if (count >= thresholds["oom_kills_crit"]
                              or any(f["kind"] == "host" for f in fired)) else "warning"
    forged = bool((facts.get("oom") or {}).get("kills_implausible"))
    if forged:
        # memory_facts found more kernel kills in the logs than the kernel counted: some lines were forged
        evidence.append("not all of these are real: %s" % facts["oom"].get("kills_notice"))
    if by_unit:
        evidence.append("by unit: %s" % _listing(by_unit))
    evidence.append("scope: %s" % _listing(scopes))
    groups = {}
    for event, limit in zip(events, fired):
        groups.setdefault((event.get("unit") or victim_name(event), limit["kind"], limit.get("cgroup") or ""), []).append(event)
    for (who, kind, cgroup), group in sorted(groups.items()):
        evidence.append("%s: %d kill(s) by %s" % (who, len(group), describe({"kind": kind, "cgroup": cgroup or None})))
        own = limits.get(who)
        ceiling, where, _used = unit_ceiling_mb(facts, who)
        if own is not None and ceiling is not None and own >= ceiling:
            evidence.append("%s has MemoryMax %s but can get at most %s (%s): its own limit can never fire"
                            % (who, fmt_mb(own), fmt_mb(ceiling), where))
    last = events[-1]
    evidence.append("last: %s (pid %s) at %s, rss %s, by %s" % (
        victim_label(last), (last.get("victim") or {}).get("pid"), short_time(last.get("time")) or "an unknown time",
        fmt_mb(victim_rss_mb(last)), last.get("killer") or "kernel"))
    entries, kinds = [], []
    for (who, kind, _cgroup) in sorted(groups):
        if kind not in kinds:
            kinds.append(kind)
        peak = max([victim_rss_mb(e) or 0 for e in groups[(who, kind, _cgroup)]] or [0])
        entry = _unit_remedy(facts, who, kind, limits, peak)
        if entry and who not in [e["unit"] for e in entries]:
            entries.append(entry)
    text = " ".join(_KIND_TEXT[k] for k in KINDS if k in kinds)
    if forged and entries:
        # no limit is sized from kills that may be a local user's log lines
        entries = []
        text += " No limit is proposed from these kills: the logs hold kills the kernel did not make."
    return [finding("oom_kills_recent", severity,
                    "%d OOM kill(s) %s, most often %s" % (
                        count, "by the kernel's counters (the logs miss some)" if coverage["units"] else "in the window",
                        by_comm[0][0]),
                    evidence, text, SERVICE_LIMITS if entries else None,
                    {"service_limits_units": entries} if entries else None)]


def oom_protection_missing(facts, thresholds, ctx):
    # only host-wide (global) kills could pick any process: a memcg kill stays inside the cgroup that fired
    limits = unit_limits(facts)
    wide = [e for e in host_events(ctx) if kill_limit(e, limits)["kind"] == "host"]
    if not wide:
        return []
    protected = set(thresholds["protected_comms"]) | set(d["comm"] for d in databases(facts))
    exposed, seen = [], set()
    for proc in processes(facts):
        comm = proc.get("comm")
        if comm in protected and proc.get("oom_score_adj") == 0 and (proc.get("unit") or comm) not in seen:
            seen.add(proc.get("unit") or comm)
            exposed.append(proc)
    if not exposed:
        return []
    killed = set(victim_name(e) for e in wide)
    severity = "critical" if killed & protected else "warning"
    evidence = ["%d host-wide kill(s) in the window (victims: %s)" % (len(wide), ", ".join(sorted(killed)))]
    for proc in exposed:
        evidence.append("%s (pid %s, unit %s) has oom_score_adj 0, oom_score %s" % (
            proc.get("comm"), proc.get("pid"), proc.get("unit") or "none", proc.get("oom_score")))
    entries = [{"unit": p["unit"], "oom_score_adjust": thresholds["protected_score_adj"]}
               for p in exposed if is_service(p.get("unit"))]
    text = ("Critical services run with the default oom_score_adj while the OOM killer is active: give "
            "them a negative OOMScoreAdjust so that the killer picks the real hog (takes effect on the "
            "next restart of each unit).")
    return [finding("oom_protection_missing", severity,
                    "Critical services unprotected from the OOM killer: %s"
                    % ", ".join(p.get("comm") for p in exposed),
                    evidence, text, SERVICE_LIMITS if entries else None,
                    {"service_limits_units": entries} if entries else None)]
