# -*- coding: utf-8 -*-
"""node.heap: V8's default heap rule against the measured table, the flag/NODE_OPTIONS precedence, the Node
major from maps/paths/dpkg, and read_node_heap over a fake /proc."""

import os

import pytest

from ansible_collections.headroom.memory.plugins.module_utils.node import heap

MIB = 1024 * 1024
HOST_MB = 25276182528 // MIB  # the measuring host's MemTotal (23.5 GiB)

# (node major, container/cgroup limit in MiB or None, heap_size_limit measured in bytes): heap.py's docstring
MEASURED = [
    (18, 128, 271581184), (18, 256, 271581184), (18, 512, 271581184), (18, 768, 415236096),
    (18, 1024, 549453824), (18, 1536, 830472192), (18, 2048, 1098907648), (18, 3072, 1660944384),
    (18, 4096, 2197815296), (18, 8192, 2197815296), (18, 16384, 4345298944), (18, None, 4345298944),
    (20, 128, 271581184), (20, 256, 271581184), (20, 512, 271581184), (20, 1024, 549453824),
    (20, 2048, 1098907648), (20, 4096, 2197815296), (20, 8192, 2197815296), (20, 16384, 4345298944),
    (20, None, 4345298944),
]


def young_mb(old_mb):
    """The young generation V8 adds to heap_size_limit in the measurements: 3 semi-spaces of old/128 MiB
    rounded up to a power of two, at most 16 MiB; 1 MiB at the 256 MiB floor."""
    if old_mb <= 256:
        return 3
    semi = 1
    while semi < min(old_mb // 128, 16):
        semi *= 2
    return 3 * semi


@pytest.mark.parametrize("major,limit,measured", MEASURED)
def test_default_matches_measurement(major, limit, measured):
    old = heap.default_heap_mb(major, HOST_MB, limit)
    assert old + young_mb(old) == measured // MIB


def test_default_rule_edges():
    assert heap.default_heap_mb(20, 16384, None) == 4096   # 16 GiB seen: the doubled cap
    assert heap.default_heap_mb(20, 16383, None) == 2048   # just under
    assert heap.default_heap_mb(18, 2048, 4096) == 1024     # a limit above the host: the host counts
    assert heap.default_heap_mb(18, 1000, 0) == 500         # 0 = no constraint
    assert heap.default_heap_mb(20, 300, None) == 256       # the floor


@pytest.mark.parametrize("major", [None, 16, 22, 24])
def test_unmeasured_majors_have_no_default(major):
    assert heap.default_heap_mb(major, 2048, None) is None


def test_unknown_memory_has_no_default():
    assert heap.default_heap_mb(20, None, None) is None
    assert heap.default_heap_mb(20, 0, 512) is None


def test_constraint_seen_follows_libuv():
    # Node 20 (libuv >= 1.45) reads its own cgroup: a host unit's limit counts
    assert heap.constraint_seen(20, "1", 1024, False) == 1024
    assert heap.constraint_seen(20, "2", 1024, False) == 1024
    # Node 18 (libuv 1.44): only the v1 limit at the root of its cgroup namespace; measured: a host v1 cgroup left
    # it at 4144 MiB (the host's root has none), and in a systemd unit inside a 1 GiB podman container (the module in
    # the same namespace) it saw the container's 1 GiB (heap 524 MiB) where Node 20 in the same unit saw none (4144)
    assert heap.constraint_seen(18, "1", 1024, False) is None
    assert heap.constraint_seen(18, "1", None, False, ns_root_limit_mb=1024) == 1024
    assert heap.constraint_seen(20, "1", None, False, ns_root_limit_mb=1024) is None
    assert heap.constraint_seen(18, "1", 1024, True) == 1024
    assert heap.constraint_seen(18, "1", 1024, True, ns_root_limit_mb=4096) == 1024
    assert heap.constraint_seen(18, "2", 1024, True) is None
    assert heap.constraint_seen(None, "1", 1024, True) is None
    assert heap.constraint_seen(20, "1", None, True) is None


def test_flag_forms_and_last_wins():
    assert heap.flag_mb(["--max-old-space-size=256"]) == 256
    assert heap.flag_mb(["--max_old_space_size=300"]) == 300
    assert heap.flag_mb(["--max-old-space-size", "512"]) == 512
    assert heap.flag_mb(["--max-old-space-size=256", "--max-old-space-size=1024"]) == 1024
    assert heap.flag_mb(["--max-old-space-size=0"]) is None
    assert heap.flag_mb(["--max-old-space-size=abc", "--max-old-space-sizex=5"]) is None
    assert heap.flag_mb(["--max-old-space-size=99999999999"]) is None   # too many digits: not a heap


def test_heap_in_force_precedence():
    assert heap.heap_in_force(["node", "--max-old-space-size=256", "app.js"], "--max-old-space-size=900") == (256, "flag")
    assert heap.heap_in_force(["node", "app.js", "--max-old-space-size=256"], None) == (None, "default")  # script's own arg
    assert heap.heap_in_force(["node", "app.js"], "--enable-source-maps --max-old-space-size=900") == (900, "NODE_OPTIONS")
    assert heap.heap_in_force(["node", "app.js"], "") == (None, "default")


def test_node_options_reads_only_that_variable():
    environ = b"SECRET=--max-old-space-size=1\0NODE_OPTIONS=--max-old-space-size=384\0TOKEN=x\0"
    assert heap.node_options_from_environ(environ) == "--max-old-space-size=384"
    assert heap.node_options_from_environ(b"XNODE_OPTIONS=--max-old-space-size=1\0") is None
    assert heap.node_options_from_environ(None) is None
    assert len(heap.node_options_from_environ(b"NODE_OPTIONS=" + b"a" * 100000)) == heap.MAX_NODE_OPTIONS


def test_majors():
    assert heap.major_from_version("v18.20.4") == 18
    assert heap.major_from_version("18.20.4+dfsg-1~deb12u2") == 18
    assert heap.major_from_version("20.20.2-1nodesource1") == 20
    assert heap.major_from_version("garbage") is None
    maps = "7f21a5600000-7f21a5e92000 r--p 00000000 fe:00 5060786   /usr/lib/x86_64-linux-gnu/libnode.so.108\n"
    assert heap.major_from_maps(maps) == 18
    assert heap.major_from_maps(maps.replace("108", "115")) == 20
    assert heap.major_from_maps("... /usr/lib/libnode.so.999\n") is None
    assert heap.major_from_exe_path("/home/u/.nvm/versions/node/v20.11.1/bin/node") == 20
    assert heap.major_from_exe_path("/usr/bin/node") is None


def test_dpkg_version():
    status = b"Package: nodejsx\nVersion: 1.0\n\nPackage: nodejs\nStatus: install ok installed\nVersion: 20.20.2-1nodesource1\n\n"
    assert heap.dpkg_version(status) == "20.20.2-1nodesource1"
    assert heap.dpkg_version(b"Package: python3\nVersion: 3.11\n") is None


def test_is_node():
    assert heap.is_node("node") and heap.is_node("nodejs") and heap.is_node("node /srv/app/s")
    assert not heap.is_node("nodemon") and not heap.is_node(None)


def _fake(tmp_path, pid, cmdline, environ=b"", maps="", limit=None, exe=None):
    proc = tmp_path / "proc"
    base = proc / str(pid)
    base.mkdir(parents=True)
    (base / "cmdline").write_bytes(cmdline)
    (base / "environ").write_bytes(environ)
    (base / "maps").write_text(maps)
    if exe:
        os.symlink(exe, str(base / "exe"))
    (proc / "meminfo").write_text("MemTotal:        2097152 kB\nMemFree:  1000 kB\n")
    return str(proc)


class _Host(heap.NodeHost):
    """A NodeHost with a fixed hierarchy and per-path limits (the cgroup readers have their own tests)."""

    def __init__(self, proc, limits=None, flavour="2"):
        super(_Host, self).__init__(proc)
        self.limits, self.flavour = limits or {}, flavour

    def load(self):
        super(_Host, self).load()
        self.hierarchy = (self.flavour, "/", "/x")
        return self

    def limit_mb(self, cgroup_path):
        return self.limits.get(cgroup_path)


LIBNODE_20 = "7f00-7f01 r-xp 0 fe:00 1 /usr/lib/x86_64-linux-gnu/libnode.so.115\n"


def test_read_node_heap_flag(tmp_path):
    proc = _fake(tmp_path, 10, b"node\0--max-old-space-size=256\0app.js\0", maps=LIBNODE_20)
    assert heap.read_node_heap(proc, 10, "/system.slice/app.service", _Host(proc)) == {
        "node_heap_mb": 256, "node_heap_source": "flag", "node_major": 20}


def test_read_node_heap_node_options(tmp_path):
    proc = _fake(tmp_path, 11, b"node\0app.js\0", environ=b"A=1\0NODE_OPTIONS=--max-old-space-size=300\0", maps=LIBNODE_20)
    assert heap.read_node_heap(proc, 11, "/", _Host(proc))["node_heap_source"] == "NODE_OPTIONS"


def test_read_node_heap_default_under_unit_limit(tmp_path):
    # 2 GiB host, Node 20 in a unit limited to 512 MiB: libuv sees the limit, V8 takes 256 MiB (the floor)
    proc = _fake(tmp_path, 12, b"node\0app.js\0", maps=LIBNODE_20)
    host = _Host(proc, {"/system.slice/app.service": 800})
    assert heap.read_node_heap(proc, 12, "/system.slice/app.service", host) == {
        "node_heap_mb": 400, "node_heap_source": "default", "node_major": 20}
    # Node 18 on the same unit (no cgroup namespace of its own): the limit is not seen, half the host is
    proc = _fake(tmp_path / "b", 13, b"node\0app.js\0", maps=LIBNODE_20.replace("115", "108"))
    host = _Host(proc, {"/system.slice/app.service": 800}, flavour="1")
    assert heap.read_node_heap(proc, 13, "/system.slice/app.service", host)["node_heap_mb"] == 1024


def test_read_node_heap_retitled_is_unknown(tmp_path):
    # PM2's apps rewrite their title: the flags they started with are gone from the command line
    proc = _fake(tmp_path, 14, b"node /srv/app/app.js" + b"\0" * 40, maps=LIBNODE_20)
    found = heap.read_node_heap(proc, 14, "/", _Host(proc))
    assert (found["node_heap_mb"], found["node_heap_source"]) == (None, "unknown")


def test_read_node_heap_unknown_major(tmp_path):
    proc = _fake(tmp_path, 15, b"node\0app.js\0", exe="/opt/node/bin/node")
    assert heap.read_node_heap(proc, 15, "/", _Host(proc)) == {
        "node_heap_mb": None, "node_heap_source": "default", "node_major": None}


def test_read_node_heap_nvm_major(tmp_path):
    proc = _fake(tmp_path, 16, b"node\0app.js\0", exe="/home/u/.nvm/versions/node/v18.19.0/bin/node")
    assert heap.read_node_heap(proc, 16, "/", _Host(proc))["node_heap_mb"] == 1024


def test_read_node_heap_gone(tmp_path):
    proc = str(tmp_path)
    (tmp_path / "meminfo").write_text("MemTotal: 2097152 kB\n")
    assert heap.read_node_heap(proc, 99, "/", _Host(proc)) == {
        "node_heap_mb": None, "node_heap_source": "default", "node_major": None}


def test_processes_entries_get_node_heap_only_for_node(tmp_path):
    from ansible_collections.headroom.memory.plugins.module_utils.facts import processes as procs
    proc = _fake(tmp_path, 20, b"node\0--max_old_space_size=192\0srv.js\0", maps=LIBNODE_20)
    for pid, name in ((20, "node"), (21, "python3")):
        base = tmp_path / "proc" / str(pid)
        base.mkdir(exist_ok=True)
        (base / "status").write_text("Name:\t%s\nPPid:\t1\nUid:\t0\t0\t0\t0\nVmRSS:\t  %d kB\nVmSwap:\t 0 kB\n" % (name, 9000 - pid))
        (base / "environ").write_bytes(b"NODE_OPTIONS=--max-old-space-size=64\0")
    top, _groups = procs.read_processes(proc, top=5)
    by_pid = dict((p["pid"], p) for p in top)
    assert (by_pid[20]["node_heap_mb"], by_pid[20]["node_heap_source"]) == (192, "flag")
    assert "node_heap_mb" not in by_pid[21] and "node_heap_source" not in by_pid[21]
