# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Triage rules on how close the host is to the next kill: memory_available_low (MemAvailable under
15% / 10%, the common alert lines) and memory_pressure_high (PSI avg60)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.headroom.memory.plugins.plugin_utils.triage.common import (
    finding, fmt_mb, is_service, limits_entry, processes)

SERVICE_LIMITS = "headroom.memory.service_limits"


def _psi(facts, kind):
    pressure = facts.get("pressure") or {}
    return (pressure.get(kind) or {}).get("avg60")


def _biggest_unit(facts):
    """(unit, rss_mb) of the biggest listed process that runs in a unit, or (None, None)."""
    for proc in sorted(processes(facts), key=lambda p: -(p.get("rss_mb") or 0)):
        if is_service(proc.get("unit")):
            return proc["unit"], proc.get("rss_mb") or 0
    return None, None


def memory_available_low(facts, thresholds, ctx):
    view = ctx["view"]
    avail_pct = view["available_pct"]
    if avail_pct is None or avail_pct >= thresholds["available_warn_pct"]:
        return []
    severity = "critical" if avail_pct < thresholds["available_crit_pct"] else "warning"
    where = "of the cgroup limit" if view["scope"] == "cgroup" else "of RAM"
    evidence = ["available %s of %s (%.1f%% %s; alert line %s%%)" % (
        fmt_mb(view["available_mb"]), fmt_mb(view["total_mb"]), avail_pct, where, thresholds["available_warn_pct"])]
    some = _psi(facts, "some")
    evidence.append("PSI some avg60 %s%%" % ("%.2f" % some if some is not None else "unavailable"))
    swap_total = (facts.get("swap") or {}).get("total_mb")
    if swap_total == 0:
        evidence.append("no swap to absorb a spike")
    unit, rss = _biggest_unit(facts)
    role_vars, text = None, "Find what holds the memory (top processes below) and give it a limit or less work."
    if unit:
        evidence.append("biggest unit: %s (%s)" % (unit, fmt_mb(rss)))
        role_vars = {"service_limits_units": [limits_entry(facts, unit, rss)]}
        text = ("Throttle the biggest unit at its current size with MemoryHigh so that it reclaims its own "
                "cache before the host runs out, then size it down (see the other findings).")
    return [finding("memory_available_low", severity,
                    "Available memory low: %.1f%% %s" % (avail_pct, where), evidence, text,
                    SERVICE_LIMITS if role_vars else None, role_vars)]


def memory_pressure_high(facts, thresholds, ctx):
    some, full = _psi(facts, "some"), _psi(facts, "full")
    if some is None and full is None:
        return []
    hits = []
    if some is not None and some >= thresholds["psi_some_avg60_warn"]:
        hits.append("some avg60 %.2f%% \u2265 %s%%" % (some, thresholds["psi_some_avg60_warn"]))
    if full is not None and full >= thresholds["psi_full_avg60_warn"]:
        hits.append("full avg60 %.2f%% \u2265 %s%%" % (full, thresholds["psi_full_avg60_warn"]))
    if not hits:
        return []
    severity = "critical" if full is not None and full >= thresholds["psi_full_avg60_crit"] else "warning"
    evidence = ["memory PSI: %s" % "; ".join(hits),
                "tasks stalled waiting for memory reclaim: the host is thrashing before it kills"]
    unit, rss = _biggest_unit(facts)
    role_vars = None
    if unit:
        evidence.append("biggest unit: %s (%s)" % (unit, fmt_mb(rss)))
        role_vars = {"service_limits_units": [limits_entry(facts, unit, rss)]}
    text = ("Processes stall on memory reclaim. Confine the biggest unit with MemoryHigh so that the "
            "reclaim happens inside it rather than across the host, and add swap if there is none.")
    return [finding("memory_pressure_high", severity, "Memory pressure high (PSI)", evidence, text,
                    SERVICE_LIMITS if role_vars else None, role_vars)]
