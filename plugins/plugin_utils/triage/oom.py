# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Triage rules over the OOM-kill history: oom_kills_recent and oom_protection_missing.

Each rule is ``rule(facts, thresholds, ctx) -> [finding]``; ``ctx`` carries what triage computed once
(``events``: the host's own kills in the window, ``view``: its effective memory).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.headroom.memory.plugins.plugin_utils.triage.common import (
    finding, fmt_mb, is_service, limits_entry, short_time, unit_limits, victim_name, victim_rss_mb, processes, databases)

SERVICE_LIMITS = "headroom.memory.service_limits"


def _counted(values):
    counts = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def _listing(pairs):
    return ", ".join("%s \u00d7%d" % (name, n) for name, n in pairs)


def _unit_remedy(facts, unit, events, limits):
    """service_limits entry for a systemd service whose processes were killed, or None."""
    if not is_service(unit):
        return None
    peak = max([victim_rss_mb(e) or 0 for e in events] or [0])
    if all(e.get("scope") == "memcg" for e in events):
        # killed by its own limit (at about its kill-time size when the limit is not listed): throttle at
        # the old limit, allow half as much again before killing
        limit = limits.get(unit) or peak
        if not limit:
            return None
        return limits_entry(facts, unit, limit, limit * 3 // 2)
    if not peak:
        return None
    # killed by a host-wide OOM: contain it so the next kill stays inside its own cgroup
    return limits_entry(facts, unit, peak * 9 // 10, peak * 5 // 4)


def oom_kills_recent(facts, thresholds, ctx):
    events = [e for e in ctx["events"] if e.get("complete", True)]
    if not events:
        return []
    since = (facts.get("oom") or {}).get("since")
    by_comm = _counted(victim_name(e) for e in events)
    by_unit = _counted(e.get("unit") for e in events if e.get("unit"))
    scopes = _counted(e.get("scope") or e.get("killer") or "?" for e in events)
    severity = "critical" if (len(events) >= thresholds["oom_kills_crit"]
                              or any(e.get("scope") == "global" for e in events)) else "warning"
    evidence = ["%d kill(s) since %s: %s" % (len(events), short_time(since) or "the start of the logs", _listing(by_comm))]
    if by_unit:
        evidence.append("by unit: %s" % _listing(by_unit))
    evidence.append("scope: %s" % _listing(scopes))
    last = events[-1]
    evidence.append("last: %s (pid %s) at %s, rss %s, by %s" % (
        victim_name(last), (last.get("victim") or {}).get("pid"), short_time(last.get("time")) or "an unknown time",
        fmt_mb(victim_rss_mb(last)), last.get("killer") or "kernel"))
    limits = unit_limits(facts)
    entries = []
    for unit, _n in by_unit:
        entry = _unit_remedy(facts, unit, [e for e in events if e.get("unit") == unit], limits)
        if entry:
            entries.append(entry)
    text = ("Units killed by their own MemoryMax either need more (raise it, throttle at the old limit "
            "with MemoryHigh) or leak (see leak_suspect). Processes killed by a host-wide OOM are "
            "contained with a limit of their own so that the next kill stays inside their cgroup.")
    return [finding("oom_kills_recent", severity,
                    "%d OOM kill(s) in the window, most often %s" % (len(events), by_comm[0][0]),
                    evidence, text, SERVICE_LIMITS if entries else None,
                    {"service_limits_units": entries} if entries else None)]


def oom_protection_missing(facts, thresholds, ctx):
    # only kills that could pick any process of the host: memcg kills stay inside their cgroup
    wide = [e for e in ctx["events"] if e.get("scope") != "memcg"]
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
