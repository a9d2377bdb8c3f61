# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Triage: turn one host's ``ansible_facts['headroom']`` (from headroom.memory.memory_facts) into
findings, and a fleet of hosts into the report data the renderers draw.

``triage_host`` runs every rule of ``RULES`` (each in its own triage_<topic> module) and sorts the
findings worst first; ``merge_remedy_vars`` folds their role variables into one host_vars document through
the remedy sanity gate (triage.gate: what fails it is withheld, with the reason, never offered);
``triage_fleet`` adds the per-host summary, top processes and units, and the fleet's OOM timeline.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

from ansible_collections.headroom.memory.plugins.plugin_utils.triage.common import (
    SEVERITY_RANK, ThresholdError, container_list, memory_view, merge_thresholds, pct, unit_cgroups, victim_name,
    victim_rss_mb, window_kills)
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.attribution import (
    attribute_pm2, container_kills, victim_label)
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.oom import (
    oom_kills_recent, oom_protection_missing)
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.leak import (
    leak_suspect, scheduled_restart_pm2_apps, scheduled_restart_units)
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.pressure import (
    memory_available_low, memory_pressure_high, psi_source)
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.database import database_defaults, database_oversized
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.workers import workers_oversubscribed
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.jvm import jvm_heap_unbounded
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.containers import (
    container_limit_too_tight, container_limits_overcommitted, container_oom_killed, container_without_limit)
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.node import (
    node_heap_unbounded, pm2_restart_loop, pm2_restart_threshold_missing)
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.swap import swap_missing, swappiness_high
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.kernel import overcommit_risky
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.sizing import ram_insufficient, ram_needed_mb, ram_tight
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.gate import apply_to_findings, gate
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.facts_shape import facts_problems

RULES = (
    oom_kills_recent,
    memory_available_low,
    memory_pressure_high,
    leak_suspect,
    database_oversized,
    database_defaults,
    workers_oversubscribed,
    jvm_heap_unbounded,
    node_heap_unbounded,
    pm2_restart_threshold_missing,
    pm2_restart_loop,
    container_without_limit,
    container_oom_killed,
    container_limits_overcommitted,
    container_limit_too_tight,
    swap_missing,
    swappiness_high,
    overcommit_risky,
    oom_protection_missing,
    ram_insufficient,
    ram_tight,
)

RULE_IDS = tuple(r.__name__ for r in RULES)


class TriageError(ValueError):
    """Facts that are not memory_facts output."""


class RuleError(TriageError):
    """A rule that failed on one host's facts (a bug, or facts the shape check let through)."""

    def __init__(self, rule, exc):
        self.rule = rule
        super(RuleError, self).__init__("rule %s failed on these facts: %s: %s" % (rule, type(exc).__name__, str(exc)[:300]))


def check_facts(facts, sample2=None):
    """Raise TriageError naming the malformed fields (facts_shape.facts_problems) of one host's facts."""
    problems = facts_problems(facts, sample2)
    if problems:
        more = len(problems) - 3
        raise TriageError("malformed headroom facts: %s%s" % ("; ".join(problems[:3]),
                                                              " (and %d more)" % more if more > 0 else ""))


def elapsed_s(facts, sample2_uptime_s=None, interval_s=None):
    """(seconds, how) between the two process samples: measured from the kernel's uptime at each sample
    when both are known (the wait plus the time the modules took), else the configured interval."""
    first = facts.get("processes_uptime_s")
    if isinstance(first, (int, float)) and isinstance(sample2_uptime_s, (int, float)) and sample2_uptime_s > first:
        return round(sample2_uptime_s - first, 1), "measured"
    if interval_s:
        return interval_s, "configured"
    return None, None


def context(facts, thresholds, sample2=None, interval_s=None, sample2_uptime_s=None, restart_units=None,
            restart_pm2_apps=None):
    """What the rules share, computed once: ``events`` are the newest listed kills, ``kills`` all of them;
    ``scheduled_restart_units`` the services the operator lets diagnose propose a scheduled restart for
    (``diagnose_scheduled_restart_units``: ThresholdError when malformed), ``scheduled_restart_pm2_apps`` the PM2
    apps (``diagnose_scheduled_restart_pm2_apps``); ``container_kills`` the [(event,
    container)] of the listed kills whose container's own limit fired (attribution.container_kills: the
    container rules report them, the host-level OOM rules do not)."""
    elapsed, how = elapsed_s(facts, sample2_uptime_s, interval_s)
    events, kills = window_kills(facts, thresholds)
    events = attribute_pm2(events, facts)  # a PM2 app's kill carries the app's name and id
    return {"events": events, "kills": kills, "view": memory_view(facts),
            "container_kills": container_kills(events, container_list(facts)),
            "sample2": sample2, "interval_s": interval_s, "elapsed_s": elapsed, "elapsed_how": how,
            "scheduled_restart_units": scheduled_restart_units(restart_units),
            "scheduled_restart_pm2_apps": scheduled_restart_pm2_apps(restart_pm2_apps)}


def triage_host(facts, thresholds=None, sample2=None, interval_s=None, sample2_uptime_s=None):
    """Findings for one host, worst first. ``facts`` is ``ansible_facts['headroom']``; ``sample2`` the
    ``processes`` of a second sample taken ``interval_s`` seconds later (optional), at kernel uptime
    ``sample2_uptime_s`` (its ``processes_uptime_s``: the time between the samples is then measured)."""
    if not isinstance(facts, dict):
        raise TriageError("triage expects the headroom facts (a dict from headroom.memory.memory_facts), got %s"
                          % type(facts).__name__)
    check_facts(facts, sample2)
    merged = merge_thresholds(thresholds)
    return _run_rules(facts, merged, context(facts, merged, sample2, interval_s, sample2_uptime_s))


def _run_rules(facts, merged, ctx):
    """Every rule's findings on checked facts, worst first."""
    findings = []
    for rule in RULES:
        try:
            findings.extend(rule(facts, merged, ctx))
        except Exception as exc:  # pylint: disable=broad-except
            raise RuleError(rule.__name__, exc)
    findings.sort(key=lambda f: -SEVERITY_RANK[f["severity"]])
    return findings


def merge_remedy_vars(findings, facts=None):
    """One dict of role variables for the host, through the remedy sanity gate (triage.gate.gate): list
    items merged by their key (unit, path), one value per setting or none."""
    return gate(facts or {}, findings)["vars"]


def worst(findings):
    """The worst finding, or None."""
    return findings[0] if findings else None


def _summary(facts, kills):
    mem, swap = facts.get("memory") or {}, facts.get("swap") or {}
    view = memory_view(facts)
    pressure, psi_scope = psi_source(facts, view)
    pressure = pressure or {}
    return {
        "ram_mb": view["total_mb"], "available_mb": view["available_mb"], "available_pct": view["available_pct"],
        "scope": view["scope"], "host_ram_mb": mem.get("total_mb"),
        "free_mb": mem.get("free_mb"), "buffers_mb": mem.get("buffers_mb"), "cached_mb": mem.get("cached_mb"),
        "shmem_mb": mem.get("shmem_mb"), "slab_mb": mem.get("slab_mb"), "used_mb": mem.get("used_mb"),
        "swap_total_mb": swap.get("total_mb"), "swap_used_mb": swap.get("used_mb"),
        "kills": kills, "kills_since_boot": (facts.get("oom") or {}).get("kills_since_boot"),
        "psi_some_avg60": (pressure.get("some") or {}).get("avg60"),
        "psi_full_avg60": (pressure.get("full") or {}).get("avg60"),
        "psi_scope": psi_scope,
    }


def _top_units(facts):
    """Units by memory: ``usage_mb`` is the cgroup's own counter (working set: usage minus inactive page
    cache) where memory_facts read it, ``rss_mb`` the sum of the listed processes' RSS (the per-process
    view: shared memory counted once per process)."""
    units = {}
    for proc in facts.get("processes") or []:
        unit = proc.get("unit") or "(no unit)"
        entry = units.setdefault(unit, {"unit": unit, "rss_mb": 0, "processes": 0, "limit_mb": None})
        entry["rss_mb"] += proc.get("rss_mb") or 0
        entry["processes"] += 1
    for unit, cg in sorted(unit_cgroups(facts).items()):
        if unit not in units and not cg.get("limit_mb"):
            continue  # an idle unit nobody listed: not a top unit
        entry = units.setdefault(unit, {"unit": unit, "rss_mb": 0, "processes": 0, "limit_mb": None})
        entry["limit_mb"] = cg.get("limit_mb")
        entry["usage_mb"] = cg.get("working_set_mb") if cg.get("working_set_mb") is not None else cg.get("usage_mb")

    def size(u):
        return u["usage_mb"] if u.get("usage_mb") is not None else u["rss_mb"]

    return sorted(units.values(), key=lambda u: (-size(u), u["unit"]))


def _unread(facts):
    sources = (facts.get("oom") or {}).get("sources") or []
    return [{"name": s.get("name"), "status": s.get("status"), "message": s.get("msg") or s.get("message")}
            for s in sources if s.get("status") in ("denied", "error")]


def _timeline_event(event):
    victim = event.get("victim") or {}
    return {"time": event.get("time"), "comm": victim_name(event), "pid": victim.get("pid"),
            "pm2_app": event.get("pm2_app"), "pm2_id": event.get("pm2_id"), "label": victim_label(event),
            "unit": event.get("unit"), "scope": event.get("scope"), "killer": event.get("killer"),
            "rss_mb": victim_rss_mb(event)}


def _public_process(proc):
    """A process for the report: never its command line (the java flags are in the findings)."""
    return dict((k, v) for k, v in proc.items() if k != "cmdline")


def _not_triaged(host, status, message):
    return {"host": host, "status": status, "message": str(message)[:500], "findings": [], "summary": None,
            "events": [], "processes": [], "units": [], "unread": [], "remedy_vars": {}, "withheld": [], "sampled": False}


def triage_entry(entry, interval_s=None):
    """One host of the fleet. ``entry`` is ``{host, facts, result, sample2, thresholds, scheduled_restart_units,
    scheduled_restart_pm2_apps}`` where ``result`` is
    the registered memory_facts result (for unreachable or failed hosts) and ``facts`` the headroom facts.
    Malformed facts, or a rule that fails on them, make the host ``failed`` with a message naming the field
    (or the rule and the exception): one host never takes down the others' report."""
    host = entry.get("host")
    facts = entry.get("facts")
    result = entry.get("result") if isinstance(entry.get("result"), dict) else {}
    if facts is not None and not isinstance(facts, dict):
        return _not_triaged(host, "failed", "malformed headroom facts: %s" % facts_problems(facts)[0])
    if not isinstance(facts, dict):
        status = "unreachable" if result.get("unreachable") else ("failed" if result else "skipped")
        message = result.get("msg") or ("not reached: the play never ran memory_facts here" if not result else "")
        return _not_triaged(host, status, message)
    try:
        return _triaged(host, facts, entry, interval_s)
    except ThresholdError:
        raise  # the operator's diagnose_thresholds, not the host's facts: the whole run stops with its message
    except TriageError as exc:
        return _not_triaged(host, "failed", exc)
    except Exception as exc:  # pylint: disable=broad-except
        return _not_triaged(host, "failed", "triage failed on these facts: %s: %s" % (type(exc).__name__, str(exc)[:300]))


def _triaged(host, facts, entry, interval_s):
    check_facts(facts, entry.get("sample2"))
    thresholds = merge_thresholds(entry.get("thresholds"))
    # one context for the rules, the summary and the sizing verdict
    ctx = context(facts, thresholds, entry.get("sample2"), interval_s, entry.get("sample2_uptime_s"),
                  entry.get("scheduled_restart_units"), entry.get("scheduled_restart_pm2_apps"))
    findings = _run_rules(facts, thresholds, ctx)
    gated = gate(facts, findings)
    apply_to_findings(findings, gated["withheld"])
    events, kills = ctx["events"], ctx["kills"]
    return {
        "host": host, "status": "ok", "message": "",
        "findings": findings,
        "summary": dict(_summary(facts, kills), ram_needed_mb=ram_needed_mb(facts, thresholds, ctx)),
        "events": [_timeline_event(e) for e in events],
        "processes": [_public_process(p) for p in (facts.get("processes") or [])],
        "units": _top_units(facts),
        "unread": _unread(facts),
        "since": (facts.get("oom") or {}).get("since"),
        "remedy_vars": gated["vars"],
        "withheld": gated["withheld"],
        # a second process sample was taken (leak detection by growth): remediate's proof needs it again to say
        # such a leak is gone
        "sampled": entry.get("sample2") is not None,
    }


def triage_fleet(entries, since=None, interval_s=None, generated=None):
    """The whole report: ``{generated, since, hosts: [...], totals: {...}}``, hosts sorted worst first."""
    for index, entry in enumerate(entries or []):
        if not isinstance(entry, dict):
            raise TriageError("triage_fleet: entry %d is not a {host, facts, result} mapping but %s"
                              % (index, type(entry).__name__))
    hosts = [triage_entry(e, interval_s) for e in entries or []]

    def rank(h):
        w = worst(h["findings"])
        status_rank = {"unreachable": 5, "failed": 5}.get(h["status"], 0)
        return (-status_rank, -(SEVERITY_RANK[w["severity"]] if w else 0), -len(h["findings"]), str(h["host"]))

    hosts.sort(key=rank)
    totals = {"hosts": len(hosts), "kills": 0, "critical": 0, "warning": 0, "info": 0}
    for status in ("ok", "unreachable", "failed", "skipped"):
        totals[status] = sum(1 for h in hosts if h["status"] == status)
    for h in hosts:
        totals["kills"] += h["summary"]["kills"] if h["summary"] else 0
        for f in h["findings"]:
            totals[f["severity"]] += 1
    if generated is None:
        generated = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    first = next((h.get("since") for h in hosts if h.get("since")), None)
    return {"generated": generated, "since": first or since, "window": since,
            "sample_interval_s": interval_s, "rules": list(RULE_IDS), "hosts": hosts, "totals": totals}


def available_pct(summary):
    """available as % of RAM from a host summary (for renderers)."""
    return pct(summary.get("available_mb"), summary.get("ram_mb")) if summary else None
