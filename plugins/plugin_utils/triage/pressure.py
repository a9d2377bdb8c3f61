# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Triage rules on how close the host is to the next kill: memory_available_low (MemAvailable under
15% / 10%, the common alert lines) and memory_pressure_high (PSI avg60).

Pressure is the host's own: a container's cgroup PSI (v2 ``memory.pressure``) where the cgroup has one.
Inside a container without it (cgroup v1) /proc/pressure/memory is the whole machine's, shared by every
container on it: it is shown, labelled as such, as information only, never a remedy for this host."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.headroom.memory.plugins.plugin_utils.triage.common import (
    finding, fmt_mb, is_service, limits_entry, processes, shared_kernel, unit_cgroups)

SERVICE_LIMITS = "headroom.memory.service_limits"


def psi_source(facts, view=None):
    """(pressure dict or None, scope): the cgroup's own PSI (``cgroup``); /proc/pressure/memory for a
    machine of its own (``host``) or, inside a container or a limited cgroup, the whole machine's
    (``machine``)."""
    cgroup = facts.get("cgroup") or {}
    if cgroup.get("pressure"):
        return cgroup["pressure"], "cgroup"
    shared = bool(shared_kernel(facts)) or (view or {}).get("scope") == "cgroup"
    return facts.get("pressure"), "machine" if shared else "host"


def _psi(facts, kind, view=None):
    pressure = psi_source(facts, view)[0] or {}
    return (pressure.get(kind) or {}).get("avg60")


def _biggest_unit(facts):
    """(unit, MiB) of the service holding the most: by its cgroup's working set where memory_facts read
    it, else by its biggest listed process's RSS; (None, None) when no service is known."""
    counted = [(cg.get("working_set_mb") if cg.get("working_set_mb") is not None else cg.get("usage_mb"), unit)
               for unit, cg in unit_cgroups(facts).items() if is_service(unit)]
    counted = [(mb, unit) for mb, unit in counted if mb is not None]
    if counted:
        mb, unit = max(counted, key=lambda c: (c[0], c[1]))
        return unit, mb
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
    some = _psi(facts, "some", view)
    evidence.append("PSI some avg60 %s%%%s" % ("%.2f" % some if some is not None else "unavailable",
                                               " (whole machine)" if psi_source(facts, view)[1] == "machine" else ""))
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
    pressure, scope = psi_source(facts, ctx["view"])
    some, full = ((pressure or {}).get(k) or {} for k in ("some", "full"))
    some, full = some.get("avg60"), full.get("avg60")
    if some is None and full is None:
        return []
    hits = []
    if some is not None and some >= thresholds["psi_some_avg60_warn"]:
        hits.append("some avg60 %.2f%% \u2265 %s%%" % (some, thresholds["psi_some_avg60_warn"]))
    if full is not None and full >= thresholds["psi_full_avg60_warn"]:
        hits.append("full avg60 %.2f%% \u2265 %s%%" % (full, thresholds["psi_full_avg60_warn"]))
    if not hits:
        return []
    if scope == "machine":
        evidence = ["whole-machine memory PSI (/proc/pressure/memory, shared by every container on the machine): %s"
                    % "; ".join(hits),
                    "this container's own cgroup has no pressure file (cgroup v1): its own stalls are unknown; "
                    "the pressure may come from a neighbour"]
        return [finding("memory_pressure_high", "info", "Memory pressure high on the whole machine (not this host's own)",
                        evidence, "Look for the host or container that thrashes (its own PSI, its kills); nothing to "
                        "change here on this evidence alone.")]
    severity = "critical" if full is not None and full >= thresholds["psi_full_avg60_crit"] else "warning"
    where = "this container's cgroup (memory.pressure)" if scope == "cgroup" else "the host (/proc/pressure/memory)"
    evidence = ["memory PSI of %s: %s" % (where, "; ".join(hits)),
                "tasks stalled waiting for memory reclaim: the host is thrashing before it kills"]
    unit, mb = _biggest_unit(facts)
    role_vars = None
    if unit:
        evidence.append("biggest unit: %s (%s)" % (unit, fmt_mb(mb)))
        role_vars = {"service_limits_units": [limits_entry(facts, unit, mb)]}
    text = ("Processes stall on memory reclaim. Confine the biggest unit with MemoryHigh so that the "
            "reclaim happens inside it rather than across the host, and add swap if there is none.")
    return [finding("memory_pressure_high", severity, "Memory pressure high (PSI)", evidence, text,
                    SERVICE_LIMITS if role_vars else None, role_vars)]
