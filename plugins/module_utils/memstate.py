# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A host's memory state read straight from /proc: meminfo, swaps, vm sysctls, PSI and vmstat.

Every reader takes the /proc root as an argument (tests pass a fake tree) and degrades instead of
raising: a file that is missing or unreadable gives None, a key the kernel does not print gives None.
Sizes are integer MiB (rounded down), counts stay counts.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

from ansible_collections.headroom.memory.plugins.module_utils.sizes import kb_to_mb

# the sysctls reported, keyed by their dotted name; the file is /proc/sys/<name with / for .>
SYSCTLS = (
    "vm.swappiness",
    "vm.vfs_cache_pressure",
    "vm.overcommit_memory",
    "vm.overcommit_ratio",
    "vm.min_free_kbytes",
    "vm.panic_on_oom",
    "vm.oom_kill_allocating_task",
    "kernel.dmesg_restrict",
)

VMSTAT_KEYS = ("oom_kill", "pswpin", "pswpout", "pgmajfault")

_OCTAL_ESCAPE = re.compile(r"\\([0-7]{3})")


def read_text(path):
    """The whole text of ``path``, or None when it is missing, unreadable or not text."""
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except (IOError, OSError):
        return None


def _int(text):
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


def parse_meminfo(text):
    """``/proc/meminfo`` text to {key: value in kB (or a bare count for HugePages_*)}."""
    values = {}
    for line in (text or "").splitlines():
        key, sep, rest = line.partition(":")
        if not sep:
            continue
        fields = rest.split()
        if fields:
            value = _int(fields[0])
            if value is not None:
                values[key.strip()] = value
    return values


def _sub(a, b):
    return None if a is None or b is None else max(a - b, 0)


def memory_from_meminfo(meminfo):
    """The ``memory`` facts from parsed meminfo. ``used_mb`` is total minus available (as procps 4 does)."""
    def mb(key):
        return kb_to_mb(meminfo.get(key))

    total = meminfo.get("MemTotal")
    available = meminfo.get("MemAvailable")
    return {
        "total_mb": mb("MemTotal"),
        "available_mb": mb("MemAvailable"),
        "free_mb": mb("MemFree"),
        "used_mb": kb_to_mb(_sub(total, available)),
        "buffers_mb": mb("Buffers"),
        "cached_mb": mb("Cached"),
        "shmem_mb": mb("Shmem"),
        "slab_mb": mb("Slab"),
        "committed_as_mb": mb("Committed_AS"),
        "commit_limit_mb": mb("CommitLimit"),
        "hugepages_total": meminfo.get("HugePages_Total"),
        "hugepages_free": meminfo.get("HugePages_Free"),
    }


def unescape(text):
    """Undo the kernel's octal escapes in /proc and fstab paths (``\\040`` is a space)."""
    return _OCTAL_ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), text)


def swap_rows(text):
    """``/proc/swaps`` text to a list of {path, type, size_kb, used_kb, priority} as the kernel prints them
    (KiB; a field that is not a number is None); None if unreadable. The kernel escapes blanks in a name
    (``\\040``), so a name is one field; a swap file deleted while active ends in `` (deleted)``."""
    if text is None:
        return None
    rows = []
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 5:
            continue
        rows.append({
            "path": unescape(" ".join(fields[:-4])),
            "type": fields[-4],
            "size_kb": _int(fields[-3]),
            "used_kb": _int(fields[-2]),
            "priority": _int(fields[-1]),
        })
    return rows


def parse_swaps(text):
    """``/proc/swaps`` text to a list of {path, type, size_mb, used_mb, priority}; None if unreadable."""
    rows = swap_rows(text)
    if rows is None:
        return None
    return [{"path": r["path"], "type": r["type"], "size_mb": kb_to_mb(r["size_kb"]), "used_mb": kb_to_mb(r["used_kb"]),
             "priority": r["priority"]} for r in rows]


def swap_from(meminfo, swaps_text):
    """The ``swap`` facts: totals from meminfo, one entry per active device from /proc/swaps."""
    total = meminfo.get("SwapTotal")
    free = meminfo.get("SwapFree")
    return {
        "total_mb": kb_to_mb(total),
        "free_mb": kb_to_mb(free),
        "used_mb": kb_to_mb(_sub(total, free)),
        "devices": parse_swaps(swaps_text),
    }


def read_sysctls(proc="/proc", names=SYSCTLS):
    """{name: int or None} for each dotted sysctl name, read from <proc>/sys."""
    result = {}
    for name in names:
        text = read_text(os.path.join(proc, "sys", *name.split(".")))
        result[name] = _int(text.strip()) if text is not None else None
    return result


def parse_pressure(text):
    """``/proc/pressure/memory`` to {some: {avg10, avg60, avg300, total_us}, full: {...}}; None if absent."""
    if text is None:
        return None
    result = {}
    for line in text.splitlines():
        fields = line.split()
        if not fields or fields[0] not in ("some", "full"):
            continue
        values = dict(f.split("=", 1) for f in fields[1:] if "=" in f)
        entry = {}
        for key in ("avg10", "avg60", "avg300"):
            try:
                entry[key] = float(values[key])
            except (KeyError, ValueError):
                entry[key] = None
        entry["total_us"] = _int(values.get("total"))
        result[fields[0]] = entry
    if not result:
        return None
    for kind in ("some", "full"):
        result.setdefault(kind, None)
    return result


def parse_vmstat(text, keys=VMSTAT_KEYS):
    """The chosen ``/proc/vmstat`` counters as ints; a counter the kernel lacks (or no file) is None."""
    result = dict.fromkeys(keys)
    wanted = set(keys)
    for line in (text or "").splitlines():
        name, _sep, value = line.partition(" ")
        if name in wanted:
            result[name] = _int(value.strip())
    return result


def read_memory(proc="/proc"):
    """``memory`` facts of the host at <proc>; every value None when meminfo cannot be read."""
    return memory_from_meminfo(parse_meminfo(read_text(os.path.join(proc, "meminfo"))))


def read_swap(proc="/proc", meminfo=None):
    """``swap`` facts of the host at <proc> (pass already parsed meminfo to save a read)."""
    if meminfo is None:
        meminfo = parse_meminfo(read_text(os.path.join(proc, "meminfo")))
    return swap_from(meminfo, read_text(os.path.join(proc, "swaps")))


def read_pressure(proc="/proc"):
    """``pressure`` facts, or None where the kernel has no PSI (or it is switched off)."""
    return parse_pressure(read_text(os.path.join(proc, "pressure", "memory")))


def read_vmstat(proc="/proc"):
    """``vmstat`` facts: oom_kill, pswpin, pswpout, pgmajfault."""
    return parse_vmstat(read_text(os.path.join(proc, "vmstat")))
