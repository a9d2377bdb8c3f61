# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The V8 heap ceiling of a Node.js process: the explicit ``--max-old-space-size`` it was given, or V8's default.

The default rule was measured, not taken from documentation (2026-12-07, x86_64, host kernel on cgroup v1):
``node -e 'console.log(require("v8").getHeapStatistics().heap_size_limit)'`` under ``podman run --memory=N``
of Debian bookworm's ``nodejs 18.20.4+dfsg-1~deb12u2`` (libuv1 1.44.2) and trixie's ``nodejs 20.19.2``, and
the host's NodeSource ``node 20.20.2`` in a v1 memory cgroup of N; the host has 23.5 GiB (``MemTotal``).
``heap_size_limit`` is the old generation (what ``--max-old-space-size`` sets) plus the young generation
(3 semi-spaces, 3 to 48 MiB); this module speaks of the old generation, so a default and a flag compare.

=========  =====================  =====================  =====================  ===============
limit      bookworm node 18.20.4  trixie node 20.19.2    host node 20.20.2      old generation
=========  =====================  =====================  =====================  ===============
128M       271581184 (259 MiB)    271581184 (259 MiB)                           256 (floor)
256M       271581184 (259 MiB)    271581184 (259 MiB)    271581184 (259 MiB)    256 (floor)
512M       271581184 (259 MiB)    271581184 (259 MiB)    271581184 (259 MiB)    256
768M       415236096 (396 MiB)                                                  384
1G         549453824 (524 MiB)    549453824 (524 MiB)    549453824 (524 MiB)    512
1536M      830472192 (792 MiB)                                                  768
2G         1098907648 (1048 MiB)  1098907648 (1048 MiB)  1098907648 (1048 MiB)  1024
3G         1660944384 (1584 MiB)                                                1536
4G         2197815296 (2096 MiB)  2197815296 (2096 MiB)  2197815296 (2096 MiB)  2048 (cap)
8G         2197815296 (2096 MiB)  2197815296 (2096 MiB)                         2048 (cap)
16G        4345298944 (4144 MiB)  4345298944 (4144 MiB)                         4096 (cap, >= 16 GiB)
none       4345298944 (4144 MiB)  4345298944 (4144 MiB)  4345298944 (4144 MiB)  4096 (23.5 GiB seen)
=========  =====================  =====================  =====================  ===============

So the old generation is half the memory Node sees, at least 256 MiB, at most 2048 MiB, or 4096 MiB when it
sees 16 GiB or more (V8's ``MaxOldGenerationSize``: 2 GiB, doubled on 64-bit hosts of 16 GB and more).

Which memory Node sees is libuv's ``uv_get_constrained_memory()`` (min with ``MemTotal``), also measured:
a v1 memory cgroup of 1 GiB on the host (a systemd unit's limit, not a container) left bookworm's Node 18
at 4144 MiB (libuv 1.44 reads only ``/sys/fs/cgroup/memory/memory.limit_in_bytes``, which is a container's
own cgroup but the root cgroup for a host service), while trixie's and NodeSource's Node 20 (libuv >= 1.45,
which reads the process's own cgroup from /proc/self/cgroup) saw it: 524 MiB. Not measured here (the host is
cgroup v1): on cgroup v2, libuv 1.44 reads nothing (Node 18 sees the whole host even in a container), and
libuv >= 1.45 reads the process's ``memory.max`` (per libuv's changelog). Only the Node majors measured (18,
20) get a default; for any other version the default is None (unknown), never a guess.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

from ansible_collections.headroom.memory.plugins.module_utils.cgroups import (
    cgroup_dir, cgroup_mounts, memory_hierarchy, read_limit)
from ansible_collections.headroom.memory.plugins.module_utils.procfs import parse_meminfo, read_bytes, read_text

MEASURED_MAJORS = (18, 20)
OLD_SPACE_FLOOR_MB = 256
OLD_SPACE_CAP_MB = 2048
OLD_SPACE_CAP_LARGE_MB = 4096
LARGE_HOST_GB = 16
# the first major whose libuv reads the process's own cgroup (v1 and v2); before it only a container's v1 limit
CGROUP_AWARE_MAJOR = 20

# NODE_MODULE_VERSION (the ABI in Debian's libnode.so.<abi>) -> Node major
ABI_MAJORS = {72: 12, 83: 14, 88: 15, 93: 16, 102: 17, 108: 18, 111: 19, 115: 20, 120: 21, 127: 22, 131: 23,
              137: 24}

HEAP_FLAG_NAMES = ("--max-old-space-size", "--max_old_space_size")
MAX_HEAP_MB = 1024 * 1024  # a flag above 1 TiB is not a heap size we report
_FLAG = re.compile(r"^--max[-_]old[-_]space[-_]size(?:=([0-9]{1,9}))?$")
MAX_NODE_OPTIONS = 4096


def default_heap_mb(node_major, memory_seen_mb, constrained_mb=None):
    """V8's default old-generation ceiling in MiB for Node ``node_major`` (int) on a host whose ``MemTotal``
    is ``memory_seen_mb``, under the cgroup limit libuv reports ``constrained_mb`` (None: none it sees).

    None when the major was not measured (see the module docstring) or the memory is unknown.
    """
    if node_major not in MEASURED_MAJORS or not memory_seen_mb or memory_seen_mb <= 0:
        return None
    seen = memory_seen_mb
    if constrained_mb is not None and 0 < constrained_mb < seen:
        seen = constrained_mb
    cap = OLD_SPACE_CAP_LARGE_MB if seen // 1024 >= LARGE_HOST_GB else OLD_SPACE_CAP_MB
    return max(OLD_SPACE_FLOOR_MB, min(int(seen) // 2, cap))


def constraint_seen(node_major, flavour, limit_mb, own_cgroup_namespace, ns_root_limit_mb=None):
    """The limit libuv reports to a Node process: ``limit_mb`` of its own memory cgroup (None = none) as
    Node ``node_major`` reads it on a cgroup ``flavour`` ("1"/"2"/"hybrid") host. Node 18's libuv 1.44 reads
    only the fixed v1 path /sys/fs/cgroup/memory/memory.limit_in_bytes: the root of the process's cgroup
    namespace. ``own_cgroup_namespace`` is True when the process has a cgroup namespace of its own (a container
    seen from its host): that root is its container's cgroup, taken as its own; otherwise it shares this module's
    namespace, whose root's limit is ``ns_root_limit_mb`` (None on a host; the container's limit when the module
    runs inside the container: measured, Node 18 in a systemd unit of a 1 GiB podman container sees 1 GiB).
    None when Node sees no limit."""
    if node_major is None:
        return None
    if node_major >= CGROUP_AWARE_MAJOR:
        return limit_mb
    if flavour in ("1", "hybrid"):
        return limit_mb if own_cgroup_namespace else ns_root_limit_mb
    return None


def flag_mb(args):
    """The last ``--max-old-space-size`` (or ``--max_old_space_size``) value in ``args`` (a list of tokens,
    ``=N`` or ``N`` as the next token), as an int in MiB, or None. Node honours the last one given."""
    found = None
    for i, token in enumerate(args):
        m = _FLAG.match(token)
        if not m:
            continue
        value = m.group(1)
        if value is None and i + 1 < len(args) and args[i + 1].isdigit() and len(args[i + 1]) <= 9:
            value = args[i + 1]
        if value is not None and 0 < int(value) <= MAX_HEAP_MB:
            found = int(value)
    return found


def node_options_from_environ(environ):
    """The value of NODE_OPTIONS in raw ``/proc/<pid>/environ`` bytes (text, at most 4096 characters), or
    None. Every other variable is skipped unread: an environment holds secrets."""
    for entry in (environ or b"").split(b"\0"):
        if entry.startswith(b"NODE_OPTIONS="):
            return entry[len(b"NODE_OPTIONS="):][:MAX_NODE_OPTIONS].decode("utf-8", "replace")
    return None


def heap_in_force(argv, node_options):
    """(mb, source) of an explicit heap flag: the command line (``argv``, program first, up to the script:
    Node's own options come before it) wins over NODE_OPTIONS; (None, "default") when neither sets one."""
    options = []
    for token in argv[1:]:
        if not token.startswith("-"):
            break
        options.append(token)
    mb = flag_mb(options)
    if mb is not None:
        return mb, "flag"
    mb = flag_mb((node_options or "").split())
    if mb is not None:
        return mb, "NODE_OPTIONS"
    return None, "default"


def major_from_version(text):
    """18 from "v18.20.4", "18.20.4+dfsg-1~deb12u2" or "20.20.2-1nodesource1"; None otherwise."""
    m = re.match(r"^v?([0-9]{1,3})\.[0-9]{1,4}", (text or "").strip())
    return int(m.group(1)) if m else None


_LIBNODE = re.compile(r"/libnode\.so\.([0-9]{2,4})$")
_PATH_VERSION = re.compile(r"/(?:node-)?v([0-9]{1,3})\.[0-9]{1,4}\.[0-9]{1,4}[^/]*/")


def major_from_maps(maps_text):
    """The Node major of a process linked to Debian's libnode.so.<ABI>, from ``/proc/<pid>/maps`` text."""
    for line in (maps_text or "").splitlines():
        m = _LIBNODE.search(line)
        if m:
            return ABI_MAJORS.get(int(m.group(1)))
    return None


def major_from_exe_path(path):
    """The Node major of an nvm/n/asdf style install path (``.../v20.11.1/bin/node``), or None."""
    m = _PATH_VERSION.search(path or "")
    return int(m.group(1)) if m else None


MAX_MAPS = 1024 * 1024
MAX_CMDLINE = 128 * 1024
MAX_ENVIRON = 256 * 1024
MAX_DPKG_STATUS = 32 * 1024 * 1024
NODE_COMMS = ("node", "nodejs")


def is_node(comm):
    """True for a process named ``node``/``nodejs``, or retitled ``node <script>`` (PM2 sets that title)."""
    return comm in NODE_COMMS or (comm or "").startswith(("node ", "nodejs "))


def dpkg_version(status_bytes, package="nodejs"):
    """The Version of an installed ``package`` in dpkg's status file bytes, or None."""
    for stanza in (status_bytes or b"").split(b"\n\n"):
        if not stanza.lstrip(b"\n").startswith(b"Package: %s\n" % package.encode()):
            continue
        for line in stanza.splitlines():
            if line.startswith(b"Version: "):
                return line[9:].decode("ascii", "replace").strip()[:64]
    return None


class NodeHost(object):
    """What every Node process of one host shares, read once and only when a Node process is met: MemTotal,
    the memory cgroup hierarchy, this process's cgroup namespace, the packaged nodejs version."""

    def __init__(self, proc="/proc", rootfs=""):
        self.proc, self.rootfs = proc, rootfs
        self._loaded = False
        self.memtotal_mb = self.hierarchy = self.own_ns = None
        self._packaged = False

    def load(self):
        if self._loaded:
            return self
        self._loaded = True
        total = parse_meminfo(read_text(self.proc + "/meminfo")).get("MemTotal")
        self.memtotal_mb = total // 1024 if total else None
        self.hierarchy = memory_hierarchy(cgroup_mounts(read_text(self.proc + "/self/mountinfo") or ""), self.rootfs)
        try:
            self.own_ns = os.readlink(self.proc + "/self/ns/cgroup")
        except OSError:
            self.own_ns = None
        return self

    def packaged_major(self):
        """The major of the nodejs package dpkg has installed (read once, only for a static /usr/bin/node)."""
        if self._packaged is False:
            self._packaged = major_from_version(dpkg_version(read_bytes(self.rootfs + "/var/lib/dpkg/status", MAX_DPKG_STATUS)))
        return self._packaged

    def ns_root_limit_mb(self):
        """The limit at the top of this module's memory hierarchy (its cgroup namespace's root), or None."""
        if not self.hierarchy:
            return None
        flavour, _root, mount_dir = self.hierarchy
        limit = read_limit(mount_dir, flavour)
        return limit // (1024 * 1024) if limit else None

    def limit_mb(self, cgroup_path):
        """The limit of the memory cgroup ``cgroup_path`` itself (libuv reads only the process's own), or None."""
        if not self.hierarchy or not cgroup_path:
            return None
        flavour, root, mount_dir = self.hierarchy
        directory = cgroup_dir(cgroup_path, root, mount_dir)
        limit = read_limit(directory, flavour) if directory else None
        return limit // (1024 * 1024) if limit else None


def node_major(proc, pid, host):
    """The Node major of a running process: Debian's libnode.so.<ABI> in its maps, an nvm-style install path,
    or (a static /usr/bin/node) the packaged nodejs version; None when none says."""
    base = "%s/%s" % (proc, pid)
    maps = read_bytes(base + "/maps", MAX_MAPS)
    major = major_from_maps(maps.decode("utf-8", "replace")) if maps else None
    if major is not None:
        return major
    try:
        exe = os.readlink(base + "/exe")
    except OSError:
        return None
    major = major_from_exe_path(exe)
    if major is None and exe in ("/usr/bin/node", "/usr/bin/nodejs"):
        major = host.packaged_major()
    return major


def read_node_heap(proc, pid, cgroup_path, host):
    """{node_heap_mb, node_heap_source, node_major} of a running Node process.

    The source is ``flag`` (its command line), ``NODE_OPTIONS`` (its start environment; only that variable
    is read), ``default`` (neither: V8's default_heap_mb for its major, memory and the limit libuv sees;
    the size is None when the major was not measured) or ``unknown``: the process rewrote its command line
    (``process.title``, as PM2's apps do), so a flag it was started with can no longer be read there.
    """
    base = "%s/%s" % (proc, pid)
    raw = read_bytes(base + "/cmdline", MAX_CMDLINE) or b""
    retitled = raw.endswith(b"\0\0")
    argv = raw.rstrip(b"\0").decode("utf-8", "replace").split("\0")
    options = node_options_from_environ(read_bytes(base + "/environ", MAX_ENVIRON))
    mb, source = heap_in_force([] if retitled else argv, options)
    major = node_major(proc, pid, host)
    if source == "default":
        if retitled:
            return {"node_heap_mb": None, "node_heap_source": "unknown", "node_major": major}
        host.load()
        try:
            own = os.readlink(base + "/ns/cgroup") != host.own_ns
        except OSError:
            own = False
        flavour = host.hierarchy[0] if host.hierarchy else None
        seen = constraint_seen(major, flavour, host.limit_mb(cgroup_path), own, host.ns_root_limit_mb())
        mb = default_heap_mb(major, host.memtotal_mb, seen)
    return {"node_heap_mb": mb, "node_heap_source": source, "node_major": major}


def node_heap_fields(proc, pid, cgroup_path, host):
    """read_node_heap() without node_major: the two fields a ``processes`` entry gets."""
    found = read_node_heap(proc, pid, cgroup_path, host)
    return {"node_heap_mb": found["node_heap_mb"], "node_heap_source": found["node_heap_source"]}
