# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the kernel says about swap and memory: /proc/swaps, /proc/meminfo, capabilities, cgroup headroom.

Parsers take text; the readers take a root so tests can point them at a fake tree.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.headroom.memory.plugins.module_utils.cgroups import headroom
# one reader and one meminfo, mountinfo and /proc/swaps parser for the collection; swapfile.py reaches them here
from ansible_collections.headroom.memory.plugins.module_utils.procfs import (  # noqa: F401 pylint: disable=unused-import
    parse_meminfo, parse_mountinfo, read_text, swap_rows)

CAP_SYS_ADMIN = 21


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


def cgroup_headroom(proc="/proc", rootfs=""):
    """Memory this process's cgroup chain can still take, in bytes, and the cgroup directory that limits it;
    (None, None) when nothing limits it (see cgroups.headroom)."""
    return headroom(parse_mountinfo(read_text(os.path.join(proc, "self", "mountinfo"))),
                    read_text(os.path.join(proc, "self", "cgroup")), rootfs)
