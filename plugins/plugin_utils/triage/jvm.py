# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Triage rule jvm_heap_unbounded: a ``java`` process with no -Xmx / -XX:MaxRAM* on its command line nor in
the JVM option variables it started with (JAVA_TOOL_OPTIONS, which the heap role sets, JDK_JAVA_OPTIONS,
_JAVA_OPTIONS: memory_facts' ``java_env_heap``), so its heap is sized from the whole host. Only flags are
read and shown: never arguments or other environment, which may hold secrets."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.headroom.memory.plugins.module_utils.facts.processes import (
    JAVA_HEAP_FLAGS as HEAP_FLAGS, jvm_flags as argv_jvm_flags)
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.common import (
    finding, fmt_mb, is_service, processes, size_str, unit_limits)

HEAP = "headroom.memory.heap"


def _tokens(cmdline):
    if isinstance(cmdline, (list, tuple)):
        return [str(t) for t in cmdline]
    return str(cmdline or "").split()


def is_java(proc):
    """A JVM: comm ``java``, or a command line whose program is a ``java`` binary."""
    if proc.get("comm") == "java":
        return True
    tokens = _tokens(proc.get("cmdline"))
    return bool(tokens) and tokens[0].rsplit("/", 1)[-1] == "java"


def jvm_flags(cmdline):
    """The -X / -XX options of a java command line (before the main class or -jar): flags only."""
    return argv_jvm_flags(_tokens(cmdline))


def heap_bounded(cmdline):
    """True when the command line caps the heap."""
    return any(f.startswith(HEAP_FLAGS) for f in jvm_flags(cmdline))


def jvm_heap_unbounded(facts, thresholds, ctx):
    ram = ctx["view"]["total_mb"]
    limits = unit_limits(facts)
    unbounded, entries, unknown = [], [], 0
    for proc in processes(facts):
        if not is_java(proc):
            continue
        if proc.get("cmdline") is None:
            unknown += 1
            continue
        if heap_bounded(proc["cmdline"]) or proc.get("java_env_heap"):
            continue
        unbounded.append(proc)
    if not unbounded:
        return []
    evidence = []
    for proc in unbounded:
        flags = jvm_flags(proc["cmdline"])
        evidence.append("java pid %s (unit %s, RSS %s): no -Xmx or -XX:MaxRAM*; heap flags: %s" % (
            proc.get("pid"), proc.get("unit") or "none", fmt_mb(proc.get("rss_mb")),
            " ".join(flags) if flags else "none"))
        unit = proc.get("unit")
        if is_service(unit) and unit not in [e["unit"] for e in entries]:
            limit = limits.get(unit)
            base, share = (limit, thresholds["jvm_heap_limit_pct"]) if limit else (ram, thresholds["jvm_heap_ram_pct"])
            if base:
                entries.append({"unit": unit, "runtime": "java", "max": size_str(base * share // 100)})
    if ram:
        evidence.append("the JVM's default heap is 25%% of what it sees as RAM: up to %s here, plus "
                        "metaspace, threads and direct buffers" % fmt_mb(ram // 4))
    if unknown:
        evidence.append("%d more java process(es) without a readable command line" % unknown)
    text = ("Give every JVM an explicit heap: a fixed -Xmx (or -XX:MaxRAMPercentage in a limited unit) "
            "sized to its share, leaving room for memory outside the heap.")
    return [finding("jvm_heap_unbounded", "warning",
                    "JVM heap unbounded: %d java process(es) without -Xmx" % len(unbounded), evidence, text,
                    HEAP if entries else None, {"heap_services": entries} if entries else None)]
