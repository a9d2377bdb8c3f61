# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Triage rule overcommit_risky: vm.overcommit_memory and Committed_AS that promise more memory than
the host can give. Overcommit is host-wide, so this reads the host's RAM, not a cgroup limit. No role of
this collection manages vm.overcommit_*: the remedy names the sysctl. In a container sharing its host's
kernel the sysctl is the host's: the finding names no setting to change from the container."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.headroom.memory.plugins.plugin_utils.triage.common import (
    databases, finding, fmt_mb, host_levers, pct, shared_kernel)


def overcommit_risky(facts, thresholds, ctx):
    sysctl = facts.get("sysctl") or {}
    mode = sysctl.get("vm.overcommit_memory")
    mem = facts.get("memory") or {}
    committed, limit, ram = mem.get("committed_as_mb"), mem.get("commit_limit_mb"), mem.get("total_mb")
    swap = (facts.get("swap") or {}).get("total_mb") or 0
    engines = set(d["engine"] for d in databases(facts))
    evidence, settings = [], []
    if mode == 1 and engines != {"redis"}:
        evidence.append("vm.overcommit_memory = 1: every allocation succeeds, the OOM killer settles the bill")
        settings.append({"service": "kernel", "setting": "vm.overcommit_memory", "value": 0, "file": "/etc/sysctl.d/"})
    elif mode == 2:
        used = pct(committed, limit)
        if used is not None and used >= thresholds["overcommit_strict_pct"]:
            evidence.append("vm.overcommit_memory = 2 and Committed_AS %s is %.0f%% of CommitLimit %s: "
                            "allocations are about to fail" % (fmt_mb(committed), used, fmt_mb(limit)))
            settings.append({"service": "kernel", "setting": "vm.overcommit_ratio",
                             "value": min(100, (sysctl.get("vm.overcommit_ratio") or 50) + 20), "file": "/etc/sysctl.d/"})
    elif mode == 0 and ram:
        used = pct(committed, ram + swap)
        if used is not None and used >= thresholds["overcommit_heuristic_pct"]:
            evidence.append("Committed_AS %s is %.0f%% of RAM + swap (%s): processes were promised far more "
                            "than exists" % (fmt_mb(committed), used, fmt_mb(ram + swap)))
    if not evidence:
        return []
    proposed = ", ".join("%s = %s" % (s["setting"], s["value"]) for s in settings)
    runtime = shared_kernel(facts)
    if runtime:  # the sysctls are the host's: say so, propose no setting
        return [finding("overcommit_risky", "warning", "Memory overcommit of the host is risky", evidence,
                        host_levers(facts, runtime, "vm.overcommit_*" + (" (on the host: %s)" % proposed if proposed else "")))]
    text = ("No role of this collection manages vm.overcommit_*: set it in /etc/sysctl.d/ (%s), or reduce "
            "what the services reserve (see the other findings)." % (proposed or "keep the mode"))
    return [finding("overcommit_risky", "warning", "Memory overcommit is risky", evidence, text,
                    settings=settings)]
