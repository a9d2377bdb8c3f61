# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the kernel says about swap and memory: /proc/swaps, /proc/meminfo, capabilities, cgroup headroom.

Parsers take text; the readers take a root so tests can point them at a fake tree.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

# one reader and one meminfo and /proc/swaps parser for the collection; swapfile.py reaches them through here
from ansible_collections.headroom.memory.plugins.module_utils.memstate import (  # noqa: F401 pylint: disable=unused-import
    parse_meminfo, read_text, swap_rows)

CAP_SYS_ADMIN = 21
# a v1 memory.limit_in_bytes at or above this is "no limit" (the kernel prints PAGE_COUNTER_MAX pages)
_V1_UNLIMITED = 1 << 60


def parse_swaps(text):
    """/proc/swaps text to a list of {path, type, size_bytes, used_bytes, priority}; rows with a field that is
    not a number are left out, and a deleted file's `` (deleted)`` is cut from its path."""
    out = []
    for row in swap_rows(text) or []:
        if row["size_kb"] is None or row["used_kb"] is None or row["priority"] is None:
            continue
        name = row["path"]
        if name.endswith(" (deleted)"):
            name = name[:-len(" (deleted)")]
        out.append({
            "path": name,
            "type": row["type"],
            "size_bytes": row["size_kb"] * 1024,
            "used_bytes": row["used_kb"] * 1024,
            "priority": row["priority"],
        })
    return out


def has_cap_sys_admin(status_text):
    """True/False from /proc/self/status CapEff, None when it cannot be read."""
    for line in (status_text or "").splitlines():
        if line.startswith("CapEff:"):
            try:
                return bool(int(line.split()[1], 16) & (1 << CAP_SYS_ADMIN))
            except (IndexError, ValueError):
                return None
    return None


def _stat_value(text, key):
    for line in (text or "").splitlines():
        fields = line.split()
        if len(fields) == 2 and fields[0] == key:
            try:
                return int(fields[1])
            except ValueError:
                return None
    return None


def cgroup_headroom(sys_root="/sys/fs/cgroup", self_cgroup_text=None):
    """Memory this process's cgroup chain can still take before hitting a limit, in bytes.

    Walks from the process's memory cgroup up to the root of the mount and returns the smallest
    ``limit - usage + inactive_file`` among the levels that have a limit (cgroup v2 or the v1 memory
    controller), with the directory that sets it; (None, None) when nothing is limited or nothing is readable.
    Inside a container with a memory limit /proc/meminfo still shows the host: this is what really fits.
    """
    if self_cgroup_text is None:
        self_cgroup_text = read_text("/proc/self/cgroup") or ""
    v1_path = v2_path = None
    for line in self_cgroup_text.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        if "memory" in parts[1].split(","):
            v1_path = parts[2]
        elif parts[0] == "0" and parts[1] == "":
            v2_path = parts[2]
    if v1_path is not None and os.path.isdir(os.path.join(sys_root, "memory")):
        base, rel, flavour = os.path.join(sys_root, "memory"), v1_path, "v1"
    elif v2_path is not None and os.path.exists(os.path.join(sys_root, "cgroup.controllers")):
        base, rel, flavour = sys_root, v2_path, "v2"
    else:
        return None, None
    best = None
    where = None
    d = os.path.normpath(base + "/" + rel.strip("/")) if rel.strip("/") else base
    while True:
        if flavour == "v1":
            limit_text = read_text(os.path.join(d, "memory.limit_in_bytes"))
            usage_text = read_text(os.path.join(d, "memory.usage_in_bytes"))
            inactive = _stat_value(read_text(os.path.join(d, "memory.stat")), "total_inactive_file") or 0
        else:
            limit_text = read_text(os.path.join(d, "memory.max"))
            usage_text = read_text(os.path.join(d, "memory.current"))
            inactive = _stat_value(read_text(os.path.join(d, "memory.stat")), "inactive_file") or 0
        try:
            limit = int(limit_text.strip()) if limit_text and limit_text.strip() != "max" else None
            usage = int(usage_text.strip()) if usage_text else None
        except ValueError:
            limit = usage = None
        if limit is not None and limit < _V1_UNLIMITED and usage is not None:
            room = max(limit - usage + inactive, 0)
            if best is None or room < best:
                best, where = room, d
        if os.path.normpath(d) == os.path.normpath(base) or len(d) <= len(base):
            break
        d = os.path.dirname(d)
    return best, where
