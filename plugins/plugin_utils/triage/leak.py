# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Triage rule leak_suspect: the same process killed again and again with a growing anon-rss, or a
process whose memory (resident and swapped: a leak under reclaim grows in swap) grew between two samples.
A leak in a unit with a memory limit of its own is contained: no limit is proposed for it (one sized from
what the leak reached would follow the leak up, run after run). The rate uses the time measured between
the samples (``ctx['elapsed_s']``, from the kernel's uptime at each), not the configured wait, which leaves out the
time the modules themselves took.

A scheduled restart (service_limits' ``restart_every``, systemd's RuntimeMaxSec=) is a stop-gap while the leak is
found: proposed only here, beside the leak finding, and only for a unit the operator listed in
``diagnose_scheduled_restart_units`` (``ctx['scheduled_restart_units']``) as one that may be restarted on a
schedule; never for another. A PM2 app's scheduled restart (the pm2 role's ``cron_restart``) follows the same rule
with ``diagnose_scheduled_restart_pm2_apps`` (``ctx['scheduled_restart_pm2_apps']``), beside the PM2 leak finding
(triage/node.py pm2_restart_threshold_missing), once a day too (``SCHEDULED_RESTART_CRON``)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.headroom.memory.plugins.module_utils.systemd.unit_names import unit_name, unit_name_error
from ansible_collections.headroom.memory.plugins.plugin_utils.pm2.role import APP_NAME_RE
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.attribution import pm2_apps, pm2_daemon_units
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.common import (
    ThresholdError, finding, fmt_mb, is_service, limits_entry, unit_limits, unit_use_mb, victim_name)

SERVICE_LIMITS = "headroom.memory.service_limits"
# the period diagnose proposes for a unit whose scheduled restart the operator accepted: once a day (systemd adds up
# to a tenth at random), a restart short enough to stay ahead of most leaks and rare enough to be noticed
SCHEDULED_RESTART_PERIOD = "1d"
# the same period as PM2's cron_restart: once a day, at 04:00 (PM2 adds no random delay)
SCHEDULED_RESTART_CRON = "0 4 * * *"


def scheduled_restart_units(value):
    """``diagnose_scheduled_restart_units`` as a set of service names (``api`` -> ``api.service``); raises
    ThresholdError naming the value when it is not a list of service names (the operator's input: the whole
    run stops)."""
    if value is None:
        return frozenset()
    if not isinstance(value, (list, tuple)):
        raise ThresholdError("diagnose_scheduled_restart_units must be a list of service names, got %s %r"
                             % (type(value).__name__, value))
    units = set()
    for name in value:
        unit = unit_name(name) if isinstance(name, str) and name.strip() else None
        error = unit_name_error(unit) if unit else "is empty or not a string"
        if error or not is_service(unit):
            raise ThresholdError("diagnose_scheduled_restart_units: %r is not a service name (%s)"
                                 % (name, error or "a scheduled restart applies to .service units only"))
        units.add(unit)
    return frozenset(units)


def scheduled_restart_pm2_apps(value):
    """``diagnose_scheduled_restart_pm2_apps`` as a set of PM2 app names (the pm2 role's rule for a name); raises
    ThresholdError naming the value when it is not a list of them (the operator's input: the whole run stops)."""
    if value is None:
        return frozenset()
    if not isinstance(value, (list, tuple)):
        raise ThresholdError("diagnose_scheduled_restart_pm2_apps must be a list of PM2 app names, got %s %r"
                             % (type(value).__name__, value))
    for name in value:
        if not isinstance(name, str) or not APP_NAME_RE.match(name):
            raise ThresholdError("diagnose_scheduled_restart_pm2_apps: %r is not a PM2 app name (letters, digits and "
                                 "_ . @ : + -, at most 64, not starting with . @ : + -)" % (name,))
    return frozenset(value)


def _kill_series(events):
    """{(unit or comm): [anon_rss_kb, ...]} for complete kernel kills, oldest first."""
    series = {}
    for event in events:
        anon = (event.get("victim") or {}).get("anon_rss_kb")
        if anon is None or not event.get("complete", True):
            continue
        key = (event.get("unit"), victim_name(event))
        series.setdefault(key, []).append(anon)
    return series


def _growing(values, growth_pct):
    """Kill after kill the process was bigger: mostly rising, and the last well above the first."""
    rises = sum(1 for a, b in zip(values, values[1:]) if b > a)
    falls = sum(1 for a, b in zip(values, values[1:]) if b < a)
    return rises > falls and values[-1] >= values[0] * (1 + growth_pct / 100.0) and values[-1] > values[0]


def _contain(facts, unit, peak_mb):
    # throttle at the size it reached (the whole unit's, by its cgroup counter, when that is more than the
    # one process), kill a quarter above, and restart it after the kill. On cgroup v2 MemoryMax counts RAM
    # only: without MemorySwapMax=0 the throttle would push the leak into the host's swap, where it goes on
    # growing, out of sight of its RSS, and takes swap from every other service.
    use = unit_use_mb(facts, unit)[0] or 0
    size = max(peak_mb, use)
    return limits_entry(facts, unit, size, size * 5 // 4, memory_swap_max=0, restart="on-failure")


def _from_kills(events, thresholds):
    found = []
    for (unit, comm), values in sorted(_kill_series(events).items(), key=lambda kv: str(kv[0])):
        if len(values) < thresholds["leak_min_kills"] or not _growing(values, thresholds["leak_kill_growth_pct"]):
            continue
        series = " \u2192 ".join(fmt_mb(v // 1024) for v in values)
        found.append({"unit": unit, "comm": comm, "peak_mb": values[-1] // 1024,
                      "evidence": "%s%s killed %d times, anon-rss at each kill: %s"
                                  % (comm, " (%s)" % unit if unit else "", len(values), series)})
    return found


def _from_samples(first, second, elapsed_s, how, thresholds):
    before = dict((p.get("pid"), p) for p in first or [] if p.get("pid") is not None)
    found = []
    for proc in second or []:
        old = before.get(proc.get("pid"))
        if not old or old.get("comm") != proc.get("comm"):
            continue
        rss0, rss1 = old.get("rss_mb"), proc.get("rss_mb")
        if rss0 is None or rss1 is None:
            continue
        # what the kernel swapped out is still the process's: a leak under reclaim grows in swap, not in RSS
        swapped = bool(old.get("swap_mb") or proc.get("swap_mb"))
        rss0, rss1 = rss0 + (old.get("swap_mb") or 0), rss1 + (proc.get("swap_mb") or 0)
        grew = rss1 - rss0
        if grew >= thresholds["leak_sample_growth_mb"] and grew >= rss0 * thresholds["leak_sample_growth_pct"] / 100.0:
            rate = " (%.1f MiB/min%s)" % (grew * 60.0 / elapsed_s, "" if how != "configured" else
                                          "; from the configured wait: the samples' times are unknown") if elapsed_s else ""
            found.append({"unit": proc.get("unit"), "comm": proc.get("comm"), "peak_mb": rss1, "start_mb": rss0,
                          "pid": proc.get("pid"),
                          "rate_mb_min": round(grew * 60.0 / elapsed_s, 1) if elapsed_s else None,
                          "evidence": "%s (pid %s%s) grew from %s to %s%s in %ss%s" % (
                              proc.get("comm"), proc.get("pid"), ", %s" % proc["unit"] if proc.get("unit") else "",
                              fmt_mb(rss0), fmt_mb(rss1), " (resident and swapped)" if swapped else "",
                              ("%g" % elapsed_s) if elapsed_s else "?", rate)})
    return found


def suspects_of(facts, thresholds, ctx):
    """The leak suspects: [{unit, comm, peak_mb, evidence}] from the kills, and from the two samples (those also
    carry ``pid`` and ``start_mb``, the first sample's RSS + swap); the sizing verdict leaves their growth out."""
    suspects = _from_kills(ctx["events"], thresholds)
    if ctx.get("sample2") is not None:
        suspects += _from_samples(facts.get("processes"), ctx["sample2"], ctx.get("elapsed_s"), ctx.get("elapsed_how"),
                                  thresholds)
    return suspects


def leak_suspect(facts, thresholds, ctx):
    suspects = suspects_of(facts, thresholds, ctx)
    if not suspects:
        return []
    entries, units, contained, recycled = [], set(), [], []
    limits = unit_limits(facts)
    accepted = ctx.get("scheduled_restart_units") or frozenset()
    evidence = [s["evidence"] for s in suspects]
    apps = dict((a.get("pid"), a) for a in pm2_apps(facts) if a.get("pid") is not None)
    under_pm2 = False
    pm2_units = pm2_daemon_units(facts)
    for s in suspects:
        app = apps.get(s.get("pid"))
        if app is not None or (s["unit"] and s["unit"] in pm2_units):
            # a PM2 app: PM2 restarts it at its max_memory_restart (pm2_restart_threshold_missing proposes one);
            # a limit on the daemon's unit would throttle and kill every app it runs
            if app is not None or s["unit"] not in units:
                evidence.append("%s runs under PM2%s: its threshold is PM2's max_memory_restart; no limit is proposed "
                                "for %s, which holds every app of the daemon" % (
                                    "PM2 app %s" % app["name"] if app is not None else s["comm"],
                                    " (%s)" % s["unit"] if s["unit"] else "", s["unit"] or "the daemon's unit"))
            units.add(s["unit"])
            under_pm2 = True
            continue
        if not is_service(s["unit"]) or s["unit"] in units:
            continue
        units.add(s["unit"])
        if limits.get(s["unit"]):
            # contained already: a limit sized from what the leak reached would only follow it up, run after run
            contained.append(s["unit"])
            evidence.append("%s is contained by its own memory limit (%s): no larger limit is proposed"
                            % (s["unit"], fmt_mb(limits[s["unit"]])))
            entry = {"unit": s["unit"]}
        else:
            entry = _contain(facts, s["unit"], max(x["peak_mb"] for x in suspects if x["unit"] == s["unit"]))
        if s["unit"] in accepted:
            entry["restart_every"] = SCHEDULED_RESTART_PERIOD
            recycled.append(s["unit"])
        if len(entry) > 1:
            entries.append(entry)
    names = sorted(set(s["comm"] for s in suspects))
    text = ("A process that grows until it is killed is leaking: fix or recycle it (max_requests, "
            "pm.max_requests, a timer restart)")
    if entries:
        text += (", and meanwhile contain it in its unit so that it throttles (MemoryHigh) and dies alone "
                 "(MemoryMax) instead of taking the host with it; on cgroup v2 also kept out of swap "
                 "(MemorySwapMax=0), where it would go on growing.")
    else:
        text += "; its unit's memory limit already keeps it from taking the host with it." if contained else "."
    if under_pm2:
        text += (" PM2 restarts a PM2 app at its max_memory_restart before the kernel kills it: that is its containment "
                 "(headroom.memory.pm2), not a limit on the daemon's unit.")
    if recycled:
        text += (" As a stop-gap while the leak is found, %s restarted every %s (service_limits' restart_every: "
                 "systemd's RuntimeMaxSec=, plus up to a tenth at random), as diagnose_scheduled_restart_units "
                 "allows: not a fix." % (", ".join(sorted(recycled)) + (" is" if len(recycled) == 1 else " are"),
                                         SCHEDULED_RESTART_PERIOD))
    return [finding("leak_suspect", "warning", "Memory leak suspected: %s" % ", ".join(names),
                    evidence, text, SERVICE_LIMITS if entries else None,
                    {"service_limits_units": entries} if entries else None)]
