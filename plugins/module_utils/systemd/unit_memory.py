# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read what systemd and the kernel say about one unit's memory settings.

Plain functions over text and over a file-system root (tests pass a fake tree): ``systemctl show``
output, the unit's live cgroup limit files (v1 ``memory.limit_in_bytes``, v2 ``memory.max`` ...),
``systemctl set-property`` overrides under ``system.control`` and a process's start time.
A byte value is an int, the string ``infinity``, or None when systemd or the kernel does not say.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

from ansible_collections.headroom.memory.plugins.module_utils.cgroups import read_working_set
from ansible_collections.headroom.memory.plugins.module_utils.procfs import parse_btime, read_text as _read
from ansible_collections.headroom.memory.plugins.module_utils.sizes import UNLIMITED_BYTES

INFINITY = "infinity"

# systemd resource-control keys the collection reads back, and their cgroup files
MEMORY_KEYS = ("MemoryMax", "MemoryHigh", "MemorySwapMax", "MemoryLow", "MemoryLimit")
V2_FILES = {"MemoryMax": "memory.max", "MemoryHigh": "memory.high", "MemorySwapMax": "memory.swap.max",
            "MemoryLow": "memory.low"}
V1_FILES = {"MemoryMax": "memory.limit_in_bytes"}

# where `systemctl set-property` writes: persistent, then --runtime
CONTROL_DIRS = ("/etc/systemd/system.control", "/run/systemd/system.control")
# where the roles write their drop-ins: /etc/systemd/system/<unit>.d/<name>
UNIT_DIR = "/etc/systemd/system"

SHOW_PROPERTIES = (
    "Id", "LoadState", "ActiveState", "SubState", "MainPID", "ControlGroup", "MemoryCurrent",
    "MemoryMax", "MemoryHigh", "MemorySwapMax", "MemoryLow", "MemoryLimit", "OOMScoreAdjust",
    "OOMPolicy", "Restart", "RestartUSec", "NRestarts", "Result", "FragmentPath", "DropInPaths",
    "ExecMainStartTimestampMonotonic", "Type",
)

_SECTION_RE = re.compile(r"^\s*\[(.+)\]\s*$")


def dropin_path(unit, file_name):
    """The path of drop-in ``file_name`` for ``unit`` under UNIT_DIR."""
    return "%s/%s.d/%s" % (UNIT_DIR, unit, file_name)


def parse_show(text):
    """``systemctl show`` output (``Key=Value`` per line, several units separated by blank lines)
    to a list of dicts, one per unit, in order."""
    units = []
    current = {}
    for line in (text or "").splitlines():
        if not line.strip():
            if current:
                units.append(current)
                current = {}
            continue
        key, sep, value = line.partition("=")
        if sep:
            current[key] = value
    if current:
        units.append(current)
    return units


def parse_bytes(value):
    """A byte property as systemd or a cgroup file prints it: int, ``infinity`` or None.

    ``[not set]``, empty and unreadable text give None. v1's "unlimited" (2**63 - page size) and
    the uint64 maximum give ``infinity``; v2 prints ``max``.
    """
    if value is None:
        return None
    text = str(value).strip()
    if text in ("infinity", "max"):
        return INFINITY
    try:
        number = int(text)
    except ValueError:
        return None
    if number >= UNLIMITED_BYTES:
        return INFINITY
    return number


def parse_int(value):
    """An int property or None."""
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def cgroup_layout(root="/sys/fs/cgroup"):
    """``v2`` (unified), ``v1`` (memory controller on a v1 hierarchy, also "hybrid") or None."""
    if os.path.isfile(os.path.join(root, "cgroup.controllers")):
        return "v2"
    if os.path.isdir(os.path.join(root, "memory")):
        return "v1"
    return None


def read_live_limits(control_group, layout, root="/sys/fs/cgroup"):
    """The limits the kernel enforces on the unit's cgroup now: {key: bytes|infinity|None}.

    Only keys with a cgroup file on this layout are returned (v1: MemoryMax only, from
    ``memory.limit_in_bytes``, which is also where MemoryLimit= lands).
    """
    if not control_group or layout not in ("v1", "v2"):
        return {}
    rel = control_group.lstrip("/")
    if layout == "v1":
        base, files = os.path.join(root, "memory", rel), V1_FILES
    else:
        base, files = os.path.join(root, rel), V2_FILES
    if not os.path.isdir(base):
        return {}
    return dict((key, parse_bytes(_read(os.path.join(base, name)))) for key, name in files.items())


def read_unit_working_set(control_group, layout, root="/sys/fs/cgroup"):
    """Bytes the unit's cgroup holds minus the page cache the kernel reclaims first (``inactive_file``), the
    figure diagnose's remedy gate compares a MemoryMax with; None when the cgroup is not readable."""
    if not control_group or layout not in ("v1", "v2"):
        return None
    rel = control_group.lstrip("/")
    base = os.path.join(root, "memory", rel) if layout == "v1" else os.path.join(root, rel)
    if not os.path.isdir(base):
        return None
    return read_working_set(base, "1" if layout == "v1" else "2")


def parse_dropin(text):
    """A unit drop-in's ``Key=Value`` assignments as a list of (section, key, value); comments skipped."""
    found = []
    section = None
    for line in (text or "").splitlines():
        stripped = line.strip()
        if not stripped or stripped[0] in "#;":
            continue
        m = _SECTION_RE.match(stripped)
        if m:
            section = m.group(1)
            continue
        key, sep, value = stripped.partition("=")
        if sep:
            found.append((section, key.strip(), value.strip()))
    return found


def find_overrides(unit, keys, control_dirs=CONTROL_DIRS, root="/"):
    """``systemctl set-property`` drop-ins for ``unit`` that set any of ``keys``.

    Returns a list of {path, key, value, runtime, other_keys} (other_keys: what else the file sets).
    """
    found = []
    for cdir in control_dirs:
        ddir = os.path.join(root, cdir.lstrip("/"), unit + ".d")
        try:
            names = sorted(os.listdir(ddir))
        except (IOError, OSError):
            continue
        for name in names:
            if not name.endswith(".conf"):
                continue
            path = os.path.join(ddir, name)
            assigned = parse_dropin(_read(path))
            all_keys = sorted(set(k for _s, k, _v in assigned))
            for _section, key, value in assigned:
                if key in keys:
                    found.append({
                        "path": os.path.join(cdir, unit + ".d", name),
                        "key": key,
                        "value": value,
                        "runtime": cdir.startswith("/run/"),
                        "other_keys": [k for k in all_keys if k not in keys],
                    })
    return found


def process_start_epoch(pid, proc="/proc", clock_ticks=None):
    """When process ``pid`` started, in seconds since the epoch (float), or None."""
    if not pid:
        return None
    stat = _read(os.path.join(proc, str(pid), "stat"))
    boot = _read(os.path.join(proc, "stat"))
    if not stat or not boot:
        return None
    # the comm field may hold spaces and parentheses: fields resume after the last ')'
    fields = stat[stat.rfind(")") + 2:].split()
    btime = parse_btime(boot)
    if btime is None or len(fields) < 20:
        return None
    ticks = clock_ticks or os.sysconf("SC_CLK_TCK")
    start = parse_int(fields[19])
    if start is None:
        return None
    return btime + start / float(ticks)


def read_oom_score_adj(pid, proc="/proc"):
    """``/proc/<pid>/oom_score_adj`` as an int, or None."""
    if not pid:
        return None
    return parse_int(_read(os.path.join(proc, str(pid), "oom_score_adj")))


def meminfo_bytes(key, proc="/proc"):
    """A /proc/meminfo value (``MemTotal``, ``SwapTotal``) in bytes, or None."""
    text = _read(os.path.join(proc, "meminfo")) or ""
    for line in text.splitlines():
        name, _sep, rest = line.partition(":")
        if name == key:
            parts = rest.split()
            if parts:
                number = parse_int(parts[0])
                return None if number is None else number * 1024
    return None


def systemd_version(text):
    """The major version from ``systemctl --version`` output, or None."""
    m = re.match(r"^\s*systemd\s+(\d+)", text or "")
    return int(m.group(1)) if m else None
