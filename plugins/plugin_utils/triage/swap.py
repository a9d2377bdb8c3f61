# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Triage rules on swap: swap_missing (no swap on a host with little RAM) and swappiness_high.

In a container sharing its host's kernel (common.shared_kernel) swap and vm.swappiness are the host's: the
findings then propose no swap file and no sysctl, and name the levers (the host's swap, the container's limit)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.headroom.memory.plugins.module_utils.sizes import MIB
from ansible_collections.headroom.memory.plugins.module_utils.swap.size import auto_size
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.common import (
    databases, finding, fmt_mb, host_levers, shared_kernel, size_str)

SWAP = "headroom.memory.swap"


def swap_size_mb(ram_mb):
    """The swap the remedy suggests, in MiB: the swap role's ``redhat`` policy (Red Hat's table without
    hibernation) for ``ram_mb`` of RAM."""
    return auto_size(ram_mb * MIB, "redhat") // MIB


def swap_missing(facts, thresholds, ctx):
    swap_total = (facts.get("swap") or {}).get("total_mb")
    ram = ctx["view"]["total_mb"]
    if swap_total != 0 or not ram or ram > thresholds["swap_missing_max_ram_mb"]:
        return []
    runtime = shared_kernel(facts)
    evidence = ["no active swap%s; RAM %s%s (line %s)" % (
        " on the host this %s container shares its kernel with" % runtime if runtime else "",
        fmt_mb(ram), " (cgroup limit)" if ctx["view"]["scope"] == "cgroup" else "",
        fmt_mb(thresholds["swap_missing_max_ram_mb"]))]
    if runtime:
        return [finding("swap_missing", "info", "No swap on the host of a %s container" % fmt_mb(ram), evidence,
                        host_levers(facts, runtime, "swap (and vm.swappiness)"))]
    size = size_str(swap_size_mb(ram), 512)
    text = ("A small host with no swap has no cushion: a short spike goes straight to the OOM killer. "
            "Add a swap file (%s, Red Hat's table) with a low swappiness." % size)
    return [finding("swap_missing", "warning", "No swap on a %s host" % fmt_mb(ram), evidence, text, SWAP,
                    {"swap_files": [{"path": "/swapfile", "size": size}],
                     "swap_swappiness": thresholds["swappiness_target"]})]


def swappiness_high(facts, thresholds, ctx):
    swappiness = (facts.get("sysctl") or {}).get("vm.swappiness")
    swap_total = (facts.get("swap") or {}).get("total_mb")
    if swappiness is None or not swap_total:
        return []
    dbs = databases(facts)
    line = thresholds["swappiness_max_database"] if dbs else thresholds["swappiness_max"]
    if swappiness <= line:
        return []
    why = "a database runs here (%s)" % ", ".join(d["engine"] for d in dbs) if dbs else "above the kernel default"
    evidence = ["vm.swappiness = %d, line %d: %s" % (swappiness, line, why),
                "swap %s, %s used" % (fmt_mb(swap_total), fmt_mb((facts.get("swap") or {}).get("used_mb")))]
    runtime = shared_kernel(facts)
    if runtime:
        return [finding("swappiness_high", "info", "vm.swappiness %d of the host is high" % swappiness, evidence,
                        host_levers(facts, runtime, "vm.swappiness"))]
    text = "Lower vm.swappiness so that the kernel drops cache before it swaps out working memory."
    return [finding("swappiness_high", "info" if not dbs else "warning",
                    "vm.swappiness %d is high" % swappiness, evidence, text, SWAP,
                    {"swap_swappiness": thresholds["swappiness_target"]})]
