# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Memory cgroups as the module sees them: the version, the limit that applies to this process, the
units and containers that have a limit, and the containers that have none.

Only files are read (``/proc/self/mountinfo``, ``/proc/self/cgroup``, the memory hierarchy under
``/sys/fs/cgroup``). ``rootfs`` is prepended to every mount point so tests can pass a fake tree.
Unreadable values are None; a limit of ``max`` (v2) or the v1 sentinel (9223372036854771712 with 4 KiB
pages) is "unlimited", which is also None.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import posixpath
import re

from ansible_collections.headroom.memory.plugins.module_utils.procfs import (
    parse_int, parse_mountinfo, parse_pressure, read_int, read_text as _read)
from ansible_collections.headroom.memory.plugins.module_utils.systemd.unit_names import (
    CONTAINER_RUNTIMES, container_match, unit_from_cgroup)
from ansible_collections.headroom.memory.plugins.module_utils.sizes import UNLIMITED_BYTES, to_mb


MAX_DEPTH = 8
MAX_CGROUPS = 20000
MAX_UNITS = 1000  # services and containers listed with their own counters

# files a container runtime or systemd leaves inside a container: (path under rootfs, runtime or None to read it)
CONTAINER_MARKERS = (("run/systemd/container", None), ("run/.containerenv", "podman"), (".dockerenv", "docker"))

_POD = re.compile(r"(?:^|-)pod[0-9a-f_-]+(?:\.slice)?$")


def _read_max(path):
    """A v2 limit file (``memory.max``, ``memory.swap.max``) in bytes; None for ``max`` or unreadable."""
    text = _read(path)
    return None if text is None or text.strip() == "max" else parse_int(text)


def cgroup_mounts(text):
    """The cgroup (v1) and cgroup2 mounts of ``/proc/self/mountinfo`` text (procfs.parse_mountinfo entries)."""
    return [m for m in parse_mountinfo(text) if m["fstype"] in ("cgroup", "cgroup2")]


def detect_version(mounts):
    """``1`` (only v1 hierarchies), ``2`` (only the unified one), ``hybrid`` (both), None (no cgroupfs)."""
    v1 = any(m["fstype"] == "cgroup" for m in mounts)
    v2 = any(m["fstype"] == "cgroup2" for m in mounts)
    if v1 and v2:
        return "hybrid"
    if v1:
        return "1"
    if v2:
        return "2"
    return None


def parse_proc_cgroup(text):
    """``/proc/<pid>/cgroup`` to {controller: path}; the v2 line is keyed ``""``, name=systemd ``name=systemd``."""
    result = {}
    for line in (text or "").splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        for controller in parts[1].split(",") if parts[1] else [""]:
            result[controller] = parts[2]
    return result


def memory_hierarchy(mounts, rootfs=""):
    """Where the memory controller lives: (flavour ``1``/``2``, mount root, mount directory) or None.

    A v1 ``memory`` mount wins (a hybrid host keeps memory on v1); else a cgroup2 mount that lists
    ``memory`` in its root's cgroup.controllers.
    """
    for m in mounts:
        if m["fstype"] == "cgroup" and "memory" in m["super_options"]:
            return "1", m["root"], rootfs + m["mount_point"]
    for m in mounts:
        if m["fstype"] == "cgroup2":
            controllers = _read(os.path.join(rootfs + m["mount_point"], "cgroup.controllers"))
            if controllers is not None and "memory" in controllers.split():
                return "2", m["root"], rootfs + m["mount_point"]
    return None


def _clean(path):
    """A cgroup path without ``..`` tricks (/proc/1/cgroup may show ``/../../init.scope``)."""
    path = posixpath.normpath("/" + (path or "").lstrip("/"))
    while path.startswith("/.."):
        path = path[3:] or "/"
    return path


def cgroup_dir(path, mount_root, mount_dir):
    """The directory of cgroup ``path`` (as /proc/<pid>/cgroup prints it) under the mount, or None."""
    path, root = _clean(path), _clean(mount_root)
    if root != "/" and (path == root or path.startswith(root + "/")):
        path = path[len(root):] or "/"
    candidate = os.path.normpath(mount_dir + path) if path != "/" else mount_dir
    return candidate if os.path.isdir(candidate) else None


def _display(rel, mount_root):
    """A cgroup path as /proc/<pid>/cgroup shows it, from a path relative to the mount directory."""
    root = _clean(mount_root)
    rel = "/" + rel.strip("/") if rel.strip("/") else "/"
    if root == "/":
        return rel
    return root if rel == "/" else root + rel


def read_limit(directory, flavour):
    """The memory limit of one cgroup directory in bytes, or None when it has none or it is unreadable."""
    if flavour == "2":
        return _read_max(os.path.join(directory, "memory.max"))
    value = read_int(os.path.join(directory, "memory.limit_in_bytes"))
    if value is None or value >= UNLIMITED_BYTES:
        return None
    return value


def read_usage(directory, flavour):
    """Current memory use of a cgroup in bytes, or None."""
    name = "memory.current" if flavour == "2" else "memory.usage_in_bytes"
    return read_int(os.path.join(directory, name))


def read_swap_limit(directory, flavour, limit=None):
    """The swap a cgroup may use, in bytes, or None (unlimited or unreadable).

    v2 has ``memory.swap.max``. v1 limits memory+swap together (``memory.memsw.limit_in_bytes``), so
    the swap share is that minus the memory ``limit``; with no finite memory limit it is unknown.
    """
    if flavour == "2":
        return _read_max(os.path.join(directory, "memory.swap.max"))
    memsw = read_int(os.path.join(directory, "memory.memsw.limit_in_bytes"))
    if memsw is None or memsw >= UNLIMITED_BYTES or limit is None:
        return None
    return max(memsw - limit, 0)


def read_oom_kills(directory, flavour):
    """The ``oom_kill`` counter of a cgroup (v2 memory.events, v1 memory.oom_control), or None."""
    name = "memory.events" if flavour == "2" else "memory.oom_control"
    for line in (_read(os.path.join(directory, name)) or "").splitlines():
        key, _sep, value = line.partition(" ")
        if key == "oom_kill":
            try:
                return int(value.strip())
            except ValueError:
                return None
    return None


def container_of(name, parent):
    """(runtime, container id) when cgroup directory ``name`` (under ``parent``) is a container, else None."""
    match = container_match(name)
    if match is None:
        return None
    prefix, cid = match
    if prefix is not None:
        runtime = CONTAINER_RUNTIMES[prefix]
        return (runtime, cid) if runtime else None
    # a bare id: a container only under a runtime's parent directory
    if parent == "docker":
        return "docker", cid
    if parent in ("lxc", "libpod_parent"):
        return "podman", cid
    if _POD.search(parent or ""):
        return "kubepods", cid
    return None


def _up_to(directory, mount_dir):
    """``directory``, then each parent up to and including ``mount_dir``."""
    current = directory
    while True:
        yield current
        if os.path.normpath(current) == os.path.normpath(mount_dir):
            return
        parent = os.path.dirname(current)
        if len(parent) < len(mount_dir):
            return
        current = parent


def _own_directory(mounts, self_cgroup_text, rootfs):
    """(flavour, mount root, mount dir, this process's memory cgroup path and its directory) or None."""
    where = memory_hierarchy(mounts, rootfs)
    if where is None:
        return None
    flavour, mount_root, mount_dir = where
    controllers = parse_proc_cgroup(self_cgroup_text)
    path = controllers.get("memory") if flavour == "1" else controllers.get("")
    if path is None:
        return None
    return flavour, mount_root, mount_dir, path, cgroup_dir(path, mount_root, mount_dir) or mount_dir


def read_inactive_file(directory, flavour):
    """Page cache on the inactive list (reclaimable first), in bytes, from memory.stat; 0 when unreadable.

    v1's ``total_inactive_file`` counts the whole subtree, as v2's ``inactive_file`` does."""
    key = "inactive_file" if flavour == "2" else "total_inactive_file"
    for line in (_read(os.path.join(directory, "memory.stat")) or "").splitlines():
        name, _sep, value = line.partition(" ")
        if name == key:
            try:
                return int(value.strip())
            except ValueError:
                return 0
    return 0


def read_working_set(directory, flavour):
    """Memory a cgroup really holds, in bytes: its usage minus the page cache the kernel reclaims first
    (``inactive_file``), the figure cAdvisor and the kubelet call the working set; None when unreadable.

    Summing the processes' RSS counts shared memory (PostgreSQL's buffers, forked workers) once per process."""
    usage = read_usage(directory, flavour)
    if usage is None:
        return None
    return max(usage - read_inactive_file(directory, flavour), 0)


def read_cgroup_pressure(directory):
    """The cgroup's own memory PSI (v2 ``memory.pressure``) as procfs.parse_pressure shapes it, or None
    (v1 has no per-cgroup pressure, and the root cgroup's is /proc/pressure/memory)."""
    return parse_pressure(_read(os.path.join(directory, "memory.pressure")))


def in_container(rootfs=""):
    """The container runtime this module runs under (``podman``, ``docker``, or what systemd's
    /run/systemd/container names), or None on a machine of its own."""
    for rel, runtime in CONTAINER_MARKERS:
        path = os.path.join(rootfs + "/", rel)
        if not os.path.exists(path):
            continue
        if runtime:
            return runtime
        name = (_read(path) or "").strip()
        if re.match(r"^[A-Za-z0-9_.-]{1,32}$", name):
            return name
    return None


def headroom(mounts, self_cgroup_text, rootfs=""):
    """Memory this process's cgroup chain can still take before a limit bites, in bytes, and the cgroup
    directory that sets it: the smallest ``limit - usage + inactive_file`` on the way up; (None, None) when
    nothing on the way is limited or nothing is readable.

    Inside a container with a memory limit /proc/meminfo still shows the host: this is what really fits
    (the kernel charges pages swapped back in to this cgroup)."""
    own = _own_directory(mounts, self_cgroup_text, rootfs)
    if own is None:
        return None, None
    flavour, _mount_root, mount_dir, _path, directory = own
    best = where = None
    for current in _up_to(directory, mount_dir):
        limit, usage = read_limit(current, flavour), read_usage(current, flavour)
        if limit is None or usage is None:
            continue
        room = max(limit - usage + read_inactive_file(current, flavour), 0)
        if best is None or room < best:
            best, where = room, current
    return best, where


def own_cgroup(mounts, self_cgroup_text, rootfs=""):
    """The memory cgroup this process is in and the limit that applies to it.

    Walks from the process's cgroup up to the top of the visible hierarchy (inside a container with a
    private cgroup namespace that is the container's cgroup) and takes the smallest limit on the way.
    """
    result = {"path": None, "limit_mb": None, "limit_cgroup": None, "usage_mb": None, "working_set_mb": None,
              "swap_limit_mb": None, "oom_kill": None, "pressure": None}
    own = _own_directory(mounts, self_cgroup_text, rootfs)
    if own is None:
        return result
    flavour, mount_root, mount_dir, path, directory = own
    result["path"] = _clean(path)
    best = None  # (limit, directory)
    for current in _up_to(directory, mount_dir):
        limit = read_limit(current, flavour)
        if limit is not None and (best is None or limit < best[0]):
            best = (limit, current)
    target = best[1] if best else directory
    limit = best[0] if best else None
    if best:
        result["limit_mb"] = to_mb(limit)
        rel = os.path.relpath(target, mount_dir)
        result["limit_cgroup"] = _display("" if rel == "." else rel, mount_root)
    result["usage_mb"] = to_mb(read_usage(target, flavour))
    result["working_set_mb"] = to_mb(read_working_set(target, flavour))
    # the top of the visible tree is the container inside one (private cgroupns). The real root cgroup (no
    # memory.max) is left out: its pressure, where the kernel shows one, is the whole machine's
    top = target if best else mount_dir
    if flavour == "2" and os.path.exists(os.path.join(top, "memory.max")):
        result["pressure"] = read_cgroup_pressure(top)
    result["swap_limit_mb"] = to_mb(read_swap_limit(target, flavour, limit))
    result["oom_kill"] = read_oom_kills(target, flavour)
    return result


def read_high(directory, flavour):
    """The throttling threshold of a cgroup in bytes (v2 ``memory.high``), None for ``max``, unreadable or v1
    (which has none)."""
    return _read_max(os.path.join(directory, "memory.high")) if flavour == "2" else None


def read_peak(directory, flavour):
    """The highest use a cgroup has reached, in bytes (v2 ``memory.peak``, kernel 5.19 or later; v1
    ``memory.max_usage_in_bytes``), or None."""
    name = "memory.peak" if flavour == "2" else "memory.max_usage_in_bytes"
    return read_int(os.path.join(directory, name))


def _counters(directory, flavour, limit=None):
    """usage, working set, peak, (v2) pressure, throttling threshold, swap limit and OOM kills of one cgroup
    directory; ``limit`` (bytes) is its memory limit, which v1's swap share is computed from."""
    return {"usage_mb": to_mb(read_usage(directory, flavour)),
            "working_set_mb": to_mb(read_working_set(directory, flavour)),
            "peak_mb": to_mb(read_peak(directory, flavour)),
            "pressure": read_cgroup_pressure(directory) if flavour == "2" else None,
            "high_mb": to_mb(read_high(directory, flavour)),
            "swap_limit_mb": to_mb(read_swap_limit(directory, flavour, limit)),
            "oom_kill": read_oom_kills(directory, flavour)}


def scan_hierarchy(mounts, rootfs="", max_depth=MAX_DEPTH, max_cgroups=MAX_CGROUPS, units=None):
    """Walk the memory hierarchy once: (limited, unlimited_containers).

    ``limited``: every cgroup below the top with a memory limit of its own, as {cgroup, unit, limit_mb,
    runtime, container_id, usage_mb, working_set_mb, peak_mb, pressure, high_mb, swap_limit_mb, oom_kill}
    (``runtime`` and ``container_id`` None but for a container's cgroup).
    ``unlimited_containers``: container cgroups
    (docker, podman, containerd, cri-o, kubepods) without a limit of their own, as {cgroup, runtime, id}.
    ``units``, when a list is given, gets every service and container cgroup (limited or not, at most
    MAX_UNITS) with the same fields as ``limited``: a unit's memory from the
    kernel's own counters.
    """
    limited, unlimited = [], []
    where = memory_hierarchy(mounts, rootfs)
    if where is None:
        return limited, unlimited
    flavour, mount_root, mount_dir = where
    limit_file = "memory.max" if flavour == "2" else "memory.limit_in_bytes"
    stack = [("", 0, False)]
    seen = 0
    while stack and seen < max_cgroups:
        rel, depth, in_container = stack.pop()
        try:
            entries = [e for e in os.scandir(os.path.join(mount_dir, rel) if rel else mount_dir)
                       if e.is_dir(follow_symlinks=False)]
        except OSError:
            continue
        parent_name = rel.rsplit("/", 1)[-1]
        for entry in sorted(entries, key=lambda e: e.name, reverse=True):
            seen += 1
            child_rel = rel + "/" + entry.name if rel else entry.name
            child_path = _display(child_rel, mount_root)
            container = None if in_container else container_of(entry.name, parent_name)
            runtime = None
            if container:  # anything under a kubepods cgroup is Kubernetes', whichever runtime runs it
                runtime = "kubepods" if "kubepods" in child_path else container[0]
            limit = None
            if os.path.exists(os.path.join(entry.path, limit_file)):
                limit = read_limit(entry.path, flavour)
            listed = None
            if units is not None and len(units) < MAX_UNITS and (entry.name.endswith(".service") or container):
                listed = dict({"cgroup": child_path, "unit": unit_from_cgroup(child_path), "limit_mb": to_mb(limit),
                               "runtime": runtime, "container_id": container[1] if container else None},
                              **_counters(entry.path, flavour, limit))
                units.append(listed)
            if limit is not None:
                limited.append(dict(listed) if listed else dict(
                    {"cgroup": child_path, "unit": unit_from_cgroup(child_path), "limit_mb": to_mb(limit),
                     "runtime": runtime, "container_id": container[1] if container else None},
                    **_counters(entry.path, flavour, limit)))
            elif container:
                unlimited.append({"cgroup": child_path, "runtime": runtime, "id": container[1]})
            if depth + 1 < max_depth:
                stack.append((child_rel, depth + 1, in_container or bool(container)))
    limited.sort(key=lambda e: e["cgroup"])
    unlimited.sort(key=lambda e: e["cgroup"])
    if units is not None:
        units.sort(key=lambda e: e["cgroup"])
    return limited, unlimited


def read_cgroup(proc="/proc", rootfs="", scan=True):
    """The ``cgroup`` facts: version, container runtime, this process's cgroup and limit, limited units,
    unlimited containers, and every service/container cgroup's own counters (``units``)."""
    mounts = cgroup_mounts(_read(os.path.join(proc, "self", "mountinfo")))
    facts = {"version": detect_version(mounts), "container": in_container(rootfs)}
    facts.update(own_cgroup(mounts, _read(os.path.join(proc, "self", "cgroup")), rootfs))
    if scan:
        facts["units"] = []
        facts["limited"], facts["unlimited_containers"] = scan_hierarchy(mounts, rootfs, units=facts["units"])
    return facts
