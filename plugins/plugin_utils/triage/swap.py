# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Triage rules on swap: swap_missing (no swap on a host with little RAM) and swappiness_high."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.headroom.memory.plugins.plugin_utils.triage.common import (
    databases, finding, fmt_mb, size_str)

SWAP = "headroom.memory.swap"


def swap_size_mb(ram_mb):
    """Red Hat's table without hibernation: 2 x RAM up to 2 GB, = RAM up to 8 GB, 4 GB above."""
    if ram_mb <= 2048:
        return ram_mb * 2
    if ram_mb <= 8192:
        return ram_mb
    return 4096


def swap_missing(facts, thresholds, ctx):
    swap_total = (facts.get("swap") or {}).get("total_mb")
    ram = ctx["view"]["total_mb"]
    if swap_total != 0 or not ram or ram > thresholds["swap_missing_max_ram_mb"]:
        return []
    size = size_str(swap_size_mb(ram), 512)
    evidence = ["no active swap; RAM %s%s (line %s)" % (
        fmt_mb(ram), " (cgroup limit)" if ctx["view"]["scope"] == "cgroup" else "",
        fmt_mb(thresholds["swap_missing_max_ram_mb"]))]
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
    text = "Lower vm.swappiness so that the kernel drops cache before it swaps out working memory."
    return [finding("swappiness_high", "info" if not dbs else "warning",
                    "vm.swappiness %d is high" % swappiness, evidence, text, SWAP,
                    {"swap_swappiness": thresholds["swappiness_target"]})]
