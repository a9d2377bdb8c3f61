# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Processes by resident memory, read from /proc/<pid> with as few reads as possible.

One read of ``/proc/<pid>/status`` per process gives Name, PPid, Uid, VmRSS and VmSwap; only the top N by
RSS then get their ``oom_score``, ``oom_score_adj``, ``cgroup`` (and, when asked, ``cmdline``) read; a listed
``java`` process also gets the heap flags it picked up from its environment (``java_env_heap``).
When asked (``pss``), groups of more than one process also get ``/proc/<pid>/smaps_rollup`` read per member
for their proportional (PSS) and unique (USS) set sizes, the numbers worker sizing needs.
A process that exits during the walk, or a file we may not read, is skipped or gives None.
Kernel threads (no VmRSS line) are not processes here.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import pwd
import re

from ansible_collections.headroom.memory.plugins.module_utils.cgroups import parse_proc_cgroup
from ansible_collections.headroom.memory.plugins.module_utils.node.heap import NodeHost, is_node, node_heap_fields
from ansible_collections.headroom.memory.plugins.module_utils.procfs import read_bytes, read_int
from ansible_collections.headroom.memory.plugins.module_utils.systemd.unit_names import unit_from_cgroup
from ansible_collections.headroom.memory.plugins.module_utils.sizes import kb_to_mb


# The JVM flags that cap the heap (one definition: triage's jvm rule uses it too), and the environment
# variables the JVM reads its options from at start (JAVA_TOOL_OPTIONS is what the heap role's drop-in sets).
JAVA_HEAP_FLAGS = ("-Xmx", "-XX:MaxRAM=", "-XX:MaxRAMPercentage=", "-XX:MaxRAMFraction=", "-XX:MaxHeapSize=")
JAVA_ENV_VARS = ("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS")
# a heap flag as the JVM accepts it: nothing else of an environment value is ever kept
_JAVA_HEAP_FLAG = re.compile(
    r"^(?:-Xmx[0-9]{1,15}[kKmMgGtT]?|-XX:MaxHeapSize=[0-9]{1,15}[kKmMgGtT]?|-XX:MaxRAM=[0-9]{1,15}[kKmMgGtT]?"
    r"|-XX:MaxRAMPercentage=[0-9]{1,3}(?:\.[0-9]{1,6})?|-XX:MaxRAMFraction=[0-9]{1,6})$")
MAX_ENVIRON = 256 * 1024


def java_env_heap(environ):
    """The heap flags in the JVM option variables of ``environ`` (the raw bytes of /proc/<pid>/environ), as
    ``VAR=flag`` strings in order; every other variable and every other token is dropped unread (an
    environment holds secrets)."""
    found = []
    for entry in (environ or b"").split(b"\0"):
        name, sep, value = entry.partition(b"=")
        if not sep or name.decode("ascii", "replace") not in JAVA_ENV_VARS:
            continue
        for token in value.decode("utf-8", "replace").split():
            if _JAVA_HEAP_FLAG.match(token):
                found.append("%s=%s" % (name.decode("ascii"), token))
    return found


def parse_status(text):
    """(comm, euid, rss_kb, swap_kb, ppid) from ``/proc/<pid>/status`` text; rss_kb is None for kernel threads."""
    comm = uid = rss = swap = ppid = None
    for line in text.splitlines():
        if line.startswith("Name:"):
            comm = line[6:] if line[5:6] == "\t" else line[5:].strip()
        elif line.startswith("PPid:"):
            ppid = int(line.split()[1])
        elif line.startswith("Uid:"):
            fields = line.split()
            if len(fields) > 2:
                uid = int(fields[2])
        elif line.startswith("VmRSS:"):
            rss = int(line.split()[1])
        elif line.startswith("VmSwap:"):
            swap = int(line.split()[1])
            break  # VmSwap comes after Name, PPid, Uid and VmRSS
    return comm, uid, rss, swap, ppid


def scan(proc="/proc", exclude=()):
    """Every user-space process but the pids in ``exclude``: a list of {pid, comm, uid, rss_kb, swap_kb}."""
    result = []
    try:
        names = os.listdir(proc)
    except OSError:
        return result
    for name in names:
        if not name.isdigit() or int(name) in exclude:
            continue
        data = read_bytes(os.path.join(proc, name, "status"))
        if data is None:
            continue  # gone, or hidden from us
        try:
            comm, uid, rss, swap, ppid = parse_status(data.decode("utf-8", "replace"))
        except (ValueError, IndexError):
            continue
        if rss is None:
            continue
        result.append({"pid": int(name), "comm": comm, "uid": uid, "rss_kb": rss, "swap_kb": swap, "ppid": ppid})
    return result


class _Users(object):
    """uid -> user name, looked up once per uid; the uid as text when there is no passwd entry."""

    def __init__(self):
        self.cache = {}

    def __call__(self, uid):
        if uid is None:
            return None
        if uid not in self.cache:
            try:
                self.cache[uid] = pwd.getpwuid(uid).pw_name
            except (KeyError, OverflowError):
                self.cache[uid] = str(uid)
        return self.cache[uid]


CMDLINE_HEAP = "heap"  # read_processes(cmdline=CMDLINE_HEAP): command lines cut to a JVM's flags
JVM_OPTION_END = ("-jar", "-cp", "-classpath", "--class-path")  # what ends a java command line's JVM options


def jvm_flags(args):
    """The -X / -XX options of a java argv (``args``, program first), up to the main class or -jar: flags only."""
    flags = []
    for token in args[1:]:
        if token in JVM_OPTION_END or not token.startswith("-"):
            break
        if token.startswith("-X"):
            flags.append(token)
    return flags


def read_cmdline(proc, pid, heap_only=False, comm=None):
    """The argv of ``pid`` with secrets redacted, as one string, or None (gone, denied, or no argv).

    ``heap_only``: only a JVM's program and its -X/-XX flags (jvm_flags), None for any other process (one whose
    ``comm`` is not ``java`` nor its program a ``java`` binary): no argument that may hold a secret is read back.
    """
    # imported here: only a call with cmdline=true reads command lines, and the redaction rules (some twenty
    # regular expressions) cost a few milliseconds to compile on every run of the default call otherwise
    from ansible_collections.headroom.memory.plugins.module_utils.redact import redact_args

    data = read_bytes(os.path.join(proc, str(pid), "cmdline"))
    if not data:
        return None
    args = redact_args(data.decode("utf-8", "replace").rstrip("\0").split("\0"))
    if heap_only:
        if comm != "java" and os.path.basename(args[0]) != "java":
            return None
        args = args[:1] + jvm_flags(args)
    return " ".join(args)


def describe(proc, entry, users, cmdline=False, node_host=None):
    """A top-list entry: {pid, comm, user, rss_mb, swap_mb, oom_score, oom_score_adj, unit, cgroup}; with
    ``cmdline`` true also the redacted command line, with ``cmdline=CMDLINE_HEAP`` only a JVM's heap flags.
    A Node process (node.heap.is_node) also gets node_heap_mb and node_heap_source (node_host: the
    node.heap.NodeHost shared by the call, read only when a Node process is met)."""
    base = os.path.join(proc, str(entry["pid"]))
    raw = read_bytes(os.path.join(base, "cgroup"))
    controllers = parse_proc_cgroup(raw.decode("utf-8", "replace")) if raw is not None else {}
    cgroup = controllers.get("memory") or controllers.get("")
    unit_path = controllers.get("name=systemd") or controllers.get("") or cgroup
    item = {
        "pid": entry["pid"],
        "comm": entry["comm"],
        "user": users(entry["uid"]),
        "rss_mb": kb_to_mb(entry["rss_kb"]),
        "swap_mb": kb_to_mb(entry["swap_kb"]),
        "oom_score": read_int(os.path.join(base, "oom_score")),
        "oom_score_adj": read_int(os.path.join(base, "oom_score_adj")),
        "unit": unit_from_cgroup(unit_path) if unit_path else None,
        "cgroup": cgroup,
    }
    if cmdline:
        item["cmdline"] = read_cmdline(proc, entry["pid"], heap_only=cmdline == CMDLINE_HEAP, comm=entry["comm"])
        if entry["comm"] == "java":
            item["java_env_heap"] = java_env_heap(read_bytes(os.path.join(base, "environ"), MAX_ENVIRON))
    if is_node(entry["comm"]):
        item.update(node_heap_fields(proc, entry["pid"], cgroup, node_host or NodeHost(proc)))
    return item


def top_processes(entries, top, proc="/proc", cmdline=False, rootfs=""):
    """The ``top`` biggest processes by RSS (ties: lower pid first), described."""
    users = _Users()
    node_host = NodeHost(proc, rootfs)
    ranked = sorted(entries, key=lambda e: (-e["rss_kb"], e["pid"]))[:max(top, 0)]
    return [describe(proc, e, users, cmdline, node_host) for e in ranked]


# smaps_rollup fields (kB) -> our keys; USS and the shared part are sums of two fields each
_SMAPS_FIELDS = {"Rss": "rss_kb", "Pss": "pss_kb", "Private_Clean": "private_clean_kb",
                 "Private_Dirty": "private_dirty_kb", "Shared_Clean": "shared_clean_kb",
                 "Shared_Dirty": "shared_dirty_kb"}


def parse_smaps_rollup(text):
    """{rss_kb, pss_kb, uss_kb, shared_kb} from ``/proc/<pid>/smaps_rollup`` text, or None without a Pss line.

    USS is Private_Clean + Private_Dirty (what the process alone holds); the shared part is Shared_Clean +
    Shared_Dirty (resident pages it shares with at least one other process).
    """
    found = {}
    for line in text.splitlines():
        key, sep, rest = line.partition(":")
        name = _SMAPS_FIELDS.get(key)
        if sep and name:
            fields = rest.split()
            if fields and fields[0].isdigit():
                found[name] = int(fields[0])
    if "pss_kb" not in found:
        return None
    return {
        "rss_kb": found.get("rss_kb"),
        "pss_kb": found["pss_kb"],
        "uss_kb": found.get("private_clean_kb", 0) + found.get("private_dirty_kb", 0),
        "shared_kb": found.get("shared_clean_kb", 0) + found.get("shared_dirty_kb", 0),
    }


def read_smaps_rollup(proc, pid):
    """parse_smaps_rollup() of ``pid``, or None (gone, denied, or a kernel older than 4.14)."""
    data = read_bytes(os.path.join(proc, str(pid), "smaps_rollup"))
    if not data:
        return None
    return parse_smaps_rollup(data.decode("ascii", "replace"))


def pool_parent(members):
    """The one member whose parent is not in the group (a pool's master), or None when there is not exactly one."""
    pids = set(e["pid"] for e in members)
    roots = [e for e in members if e.get("ppid") not in pids]
    return roots[0] if len(roots) == 1 and len(members) > 1 else None


def pool_memory(members, read=None):
    """PSS/USS of a group of processes: the workers' figures and the parent's (the pool master) apart.

    ``read(pid)`` returns parse_smaps_rollup() of a pid or None (a process that is gone is left out).
    Returns {pss_avg_mb, pss_max_mb, uss_avg_mb, shared_max_mb, measured, parent}; the averages are over
    the workers (every member but the parent) that could be read, in kB first; None when none could.
    ``shared_max_mb`` is the largest shared part of one worker: what the pool holds once, whatever its size.
    """
    parent = pool_parent(members)
    sizes = []
    for e in members:
        if parent is not None and e["pid"] == parent["pid"]:
            continue
        m = read(e["pid"])
        if m is not None:
            sizes.append(m)
    result = {"pss_avg_mb": None, "pss_max_mb": None, "uss_avg_mb": None, "shared_max_mb": None,
              "measured": len(sizes), "parent": None}
    if sizes:
        n = len(sizes)
        result.update(
            pss_avg_mb=kb_to_mb(sum(m["pss_kb"] for m in sizes) // n),
            pss_max_mb=kb_to_mb(max(m["pss_kb"] for m in sizes)),
            uss_avg_mb=kb_to_mb(sum(m["uss_kb"] for m in sizes) // n),
            shared_max_mb=kb_to_mb(max(m["shared_kb"] for m in sizes)),
        )
    if parent is not None:
        m = read(parent["pid"])
        result["parent"] = {
            "pid": parent["pid"],
            "rss_mb": kb_to_mb(parent["rss_kb"]),
            "pss_mb": kb_to_mb(m["pss_kb"]) if m else None,
            "uss_mb": kb_to_mb(m["uss_kb"]) if m else None,
        }
    return result


def process_groups(entries, proc="/proc", pss=False):
    """Per comm over all processes: {comm, count, rss_mb, rss_mb_avg, rss_mb_max}, biggest total first.

    Sums are taken in kB and converted once, so 40 workers of 900 kB add up to 35 MiB, not 0.
    With ``pss``, groups of more than one process also get pool_memory()'s fields (read from ``proc``).
    """
    groups = {}
    members = {}
    for e in entries:
        g = groups.setdefault(e["comm"], [0, 0, 0])
        g[0] += 1
        g[1] += e["rss_kb"]
        g[2] = max(g[2], e["rss_kb"])
        members.setdefault(e["comm"], []).append(e)
    result = []
    for comm, (count, total, biggest) in groups.items():
        group = {
            "comm": comm,
            "count": count,
            "rss_mb": kb_to_mb(total),
            "rss_mb_avg": kb_to_mb(total // count),
            "rss_mb_max": kb_to_mb(biggest),
        }
        if pss and count > 1:
            group.update(pool_memory(members[comm], lambda pid: read_smaps_rollup(proc, pid)))
        result.append(group)
    result.sort(key=lambda g: (-groups[g["comm"]][1], g["comm"] or ""))
    return result


def read_processes(proc="/proc", top=10, cmdline=False, exclude=(), pss=False, rootfs="", entries=None):
    """(processes, process_groups) for the host at <proc>, leaving out the pids in ``exclude``; ``entries``:
    a scan() already made (the pm2 subset shares it)."""
    if entries is None:
        entries = scan(proc, exclude)
    return top_processes(entries, top, proc, cmdline, rootfs), process_groups(entries, proc, pss)
