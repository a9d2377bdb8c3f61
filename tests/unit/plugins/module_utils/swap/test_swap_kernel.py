# -*- coding: utf-8 -*-
"""/proc/swaps, /proc/meminfo, CapEff and cgroup headroom readers over faked text and a faked cgroup tree."""

from ansible_collections.headroom.memory.plugins.module_utils.swap.kernel import (
    cgroup_headroom, has_cap_sys_admin, parse_meminfo, parse_swaps)

SWAPS = """Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority
/swapfile                               file\t\t2097148\t\t1024\t\t10
/dev/dm-1                               partition\t1003516\t\t0\t\t-2
/my\\040swap\\040(deleted)                   file\t\t65532\t\t0\t\t-3
"""


def test_parse_swaps():
    rows = parse_swaps(SWAPS)
    assert rows[0] == {"path": "/swapfile", "type": "file", "size_bytes": 2097148 * 1024, "used_bytes": 1024 * 1024,
                       "priority": 10}
    assert rows[1]["type"] == "partition" and rows[1]["priority"] == -2
    assert rows[2]["path"] == "/my swap"
    assert parse_swaps("Filename Type Size Used Priority\n") == []
    assert parse_swaps(None) == []


def test_parse_swaps_leaves_out_rows_it_cannot_size():
    text = SWAPS + "/swap-odd file x 0 -2\nshort line\n"
    assert [r["path"] for r in parse_swaps(text)] == ["/swapfile", "/dev/dm-1", "/my swap"]


def test_meminfo_and_caps():
    assert parse_meminfo("MemTotal:  100 kB\nMemAvailable: 50 kB\nHugePages_Total: 0\n") == {
        "MemTotal": 100, "MemAvailable": 50, "HugePages_Total": 0}
    assert has_cap_sys_admin("CapEff:\t000001fffeffffff\n") is True
    assert has_cap_sys_admin("CapEff:\t00000000a80425fb\n") is False  # docker's default set
    assert has_cap_sys_admin("Name: x\n") is None


V1_MOUNTINFO = "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
V2_MOUNTINFO = "30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw,nsdelegate\n"


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _proc(tmp_path, mountinfo, self_cgroup):
    _write(tmp_path / "proc" / "self" / "mountinfo", mountinfo)
    _write(tmp_path / "proc" / "self" / "cgroup", self_cgroup)
    return str(tmp_path / "proc")


def test_cgroup_v1_headroom_takes_the_tightest_level(tmp_path):
    mem = tmp_path / "sys" / "fs" / "cgroup" / "memory"
    _write(mem / "memory.limit_in_bytes", "9223372036854771712\n")
    _write(mem / "memory.usage_in_bytes", "5000000000\n")
    _write(mem / "memory.stat", "total_inactive_file 0\n")
    _write(mem / "ctr" / "memory.limit_in_bytes", "536870912\n")
    _write(mem / "ctr" / "memory.usage_in_bytes", "436870912\n")
    _write(mem / "ctr" / "memory.stat", "cache 5\ntotal_inactive_file 10000000\n")
    _write(mem / "ctr" / "sub" / "memory.limit_in_bytes", "9223372036854771712\n")
    _write(mem / "ctr" / "sub" / "memory.usage_in_bytes", "1000\n")
    proc = _proc(tmp_path, V1_MOUNTINFO, "12:memory:/ctr/sub\n1:name=systemd:/x\n")
    room, where = cgroup_headroom(proc, str(tmp_path))
    assert room == 536870912 - 436870912 + 10000000
    assert where.endswith("/memory/ctr")


def test_cgroup_v2_headroom(tmp_path):
    cg = tmp_path / "sys" / "fs" / "cgroup"
    _write(cg / "cgroup.controllers", "memory\n")
    _write(cg / "memory.stat", "inactive_file 0\n")
    _write(cg / "a" / "memory.max", "max\n")
    _write(cg / "a" / "memory.current", "100\n")
    proc = _proc(tmp_path, V2_MOUNTINFO, "0::/a\n")
    assert cgroup_headroom(proc, str(tmp_path)) == (None, None)
    _write(cg / "a" / "memory.max", "1000\n")
    _write(cg / "a" / "memory.stat", "anon 1\ninactive_file 50\n")
    room, where = cgroup_headroom(proc, str(tmp_path))
    assert room == 950 and where.endswith("/cgroup/a")
    # used beyond the limit (reclaim pending): no room, never a negative number
    _write(cg / "a" / "memory.current", "2000\n")
    assert cgroup_headroom(proc, str(tmp_path))[0] == 0


def test_cgroup_unreadable_gives_none(tmp_path):
    assert cgroup_headroom(str(tmp_path / "proc"), str(tmp_path)) == (None, None)
    proc = _proc(tmp_path, V2_MOUNTINFO, "0::/a\n")  # a cgroup2 mount without the memory controller
    assert cgroup_headroom(proc, str(tmp_path)) == (None, None)
