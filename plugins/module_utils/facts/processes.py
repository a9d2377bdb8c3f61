# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Processes by resident memory, read from /proc/<pid> with as few reads as possible.

One read of ``/proc/<pid>/status`` per process gives Name, Uid, VmRSS and VmSwap; only the top N by
RSS then get their ``oom_score``, ``oom_score_adj``, ``cgroup`` (and, when asked, ``cmdline``) read.
A process that exits during the walk, or a file we may not read, is skipped or gives None.
Kernel threads (no VmRSS line) are not processes here.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import pwd

from ansible_collections.headroom.memory.plugins.module_utils.cgroups import parse_proc_cgroup
from ansible_collections.headroom.memory.plugins.module_utils.procfs import read_int
from ansible_collections.headroom.memory.plugins.module_utils.systemd.unit_names import unit_from_cgroup
from ansible_collections.headroom.memory.plugins.module_utils.redact import redact_args
from ansible_collections.headroom.memory.plugins.module_utils.sizes import kb_to_mb


def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except (IOError, OSError):
        return None


def parse_status(text):
    """(comm, euid, rss_kb, swap_kb) from ``/proc/<pid>/status`` text; rss_kb is None for kernel threads."""
    comm = uid = rss = swap = None
    for line in text.splitlines():
        if line.startswith("Name:"):
            comm = line[6:] if line[5:6] == "\t" else line[5:].strip()
        elif line.startswith("Uid:"):
            fields = line.split()
            if len(fields) > 2:
                uid = int(fields[2])
        elif line.startswith("VmRSS:"):
            rss = int(line.split()[1])
        elif line.startswith("VmSwap:"):
            swap = int(line.split()[1])
            break  # VmSwap comes after Name, Uid and VmRSS
    return comm, uid, rss, swap


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
        data = _read(os.path.join(proc, name, "status"))
        if data is None:
            continue  # gone, or hidden from us
        try:
            comm, uid, rss, swap = parse_status(data.decode("utf-8", "replace"))
        except (ValueError, IndexError):
            continue
        if rss is None:
            continue
        result.append({"pid": int(name), "comm": comm, "uid": uid, "rss_kb": rss, "swap_kb": swap})
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


def read_cmdline(proc, pid):
    """The argv of ``pid`` with secrets redacted, as one string, or None (gone, denied, or no argv)."""
    data = _read(os.path.join(proc, str(pid), "cmdline"))
    if not data:
        return None
    args = data.decode("utf-8", "replace").rstrip("\0").split("\0")
    return " ".join(redact_args(args))


def describe(proc, entry, users, cmdline=False):
    """A top-list entry: {pid, comm, user, rss_mb, swap_mb, oom_score, oom_score_adj, unit, cgroup}."""
    base = os.path.join(proc, str(entry["pid"]))
    raw = _read(os.path.join(base, "cgroup"))
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
        item["cmdline"] = read_cmdline(proc, entry["pid"])
    return item


def top_processes(entries, top, proc="/proc", cmdline=False):
    """The ``top`` biggest processes by RSS (ties: lower pid first), described."""
    users = _Users()
    ranked = sorted(entries, key=lambda e: (-e["rss_kb"], e["pid"]))[:max(top, 0)]
    return [describe(proc, e, users, cmdline) for e in ranked]


def process_groups(entries):
    """Per comm over all processes: {comm, count, rss_mb, rss_mb_avg, rss_mb_max}, biggest total first.

    Sums are taken in kB and converted once, so 40 workers of 900 kB add up to 35 MiB, not 0.
    """
    groups = {}
    for e in entries:
        g = groups.setdefault(e["comm"], [0, 0, 0])
        g[0] += 1
        g[1] += e["rss_kb"]
        g[2] = max(g[2], e["rss_kb"])
    result = [{
        "comm": comm,
        "count": count,
        "rss_mb": kb_to_mb(total),
        "rss_mb_avg": kb_to_mb(total // count),
        "rss_mb_max": kb_to_mb(biggest),
    } for comm, (count, total, biggest) in groups.items()]
    result.sort(key=lambda g: (-groups[g["comm"]][1], g["comm"] or ""))
    return result


def read_processes(proc="/proc", top=10, cmdline=False, exclude=()):
    """(processes, process_groups) for the host at <proc>, leaving out the pids in ``exclude``."""
    entries = scan(proc, exclude)
    return top_processes(entries, top, proc, cmdline), process_groups(entries)
