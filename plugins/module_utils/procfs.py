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


def read_bytes(path, limit=-1):
    """The bytes of ``path`` (at most ``limit`` of them; all when negative), or None when it is missing or unreadable."""
    try:
        with open(path, "rb") as f:
            return f.read(limit)
    except (IOError, OSError):
        return None


def read_text(path):
    """The whole text of ``path``, or None when it is missing, unreadable or not text."""
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except (IOError, OSError):
        return None


def parse_int(text):
    """``int(text)`` (surrounding whitespace allowed), or None for None or anything that is not an integer."""
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


def read_int(path):
    """The integer a one-value file (``/proc/<pid>/oom_score``, a cgroup counter) holds, or None."""
    return parse_int(read_text(path))


def parse_meminfo(text):
    """``/proc/meminfo`` text to {key: value in kB (or a bare count for HugePages_*)}."""
    values = {}
    for line in (text or "").splitlines():
        key, sep, rest = line.partition(":")
        if not sep:
            continue
        fields = rest.split()
        if fields:
            value = parse_int(fields[0])
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


def parse_mountinfo(text):
    """``/proc/<pid>/mountinfo`` text to a list of {root, mount_point, options, fstype, source, super_options}
    in file order (a later line over the same mount point is the visible one); the two option fields as sets."""
    mounts = []
    for line in (text or "").splitlines():
        left, sep, right = line.partition(" - ")
        if not sep:
            continue
        lf, rf = left.split(), right.split()
        if len(lf) < 6 or len(rf) < 2:
            continue
        mounts.append({
            "root": unescape(lf[3]),
            "mount_point": unescape(lf[4]),
            "options": set(lf[5].split(",")),
            "fstype": rf[0],
            "source": unescape(rf[1]),
            "super_options": set(rf[2].split(",")) if len(rf) > 2 else set(),
        })
    return mounts


def parse_btime(stat_text):
    """Boot time in epoch seconds from the ``btime`` line of ``/proc/stat`` text, or None."""
    for line in (stat_text or "").splitlines():
        if line.startswith("btime "):
            fields = line.split()
            return parse_int(fields[1]) if len(fields) > 1 else None
    return None


def read_boot_time(proc="/proc"):
    """Boot time in epoch seconds (``btime`` in ``<proc>/stat``), or None."""
    return parse_btime(read_text(os.path.join(proc, "stat")))


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
            "size_kb": parse_int(fields[-3]),
            "used_kb": parse_int(fields[-2]),
            "priority": parse_int(fields[-1]),
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
        result[name] = read_int(os.path.join(proc, "sys", *name.split(".")))
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
        entry["total_us"] = parse_int(values.get("total"))
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
            result[name] = parse_int(value.strip())
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
