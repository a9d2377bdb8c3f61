# -*- coding: utf-8 -*-
"""The swap scenario's end state, read from the live hosts: after converge and side_effect, file b
(auto size, priority 5) is active, file a was resized and then removed, swappiness is ours."""

import re

FOREIGN = [
    "# foreign comment: kept as it is",
    "/dev/foreign-swap   none  swap  sw,pri=1   0 0",
    "tmpfs /mnt/foreign tmpfs defaults,noauto 0 0",
]


def _paths(host):
    name = host.backend.get_hostname()
    return "/swap-a-%s" % name, "/swap-b-%s" % name


def _auto_bytes(host):
    memtotal_kb = int(re.search(r"MemTotal:\s+(\d+)", host.file("/proc/meminfo").content_string).group(1))
    return (1 if memtotal_kb <= 2 * 1024 * 1024 else 2) * 1024 ** 3


def _proc_swaps(host):
    rows = {}
    for line in host.file("/proc/swaps").content_string.splitlines()[1:]:
        f = line.split()
        rows[f[0]] = {"type": f[1], "size_kb": int(f[2]), "used_kb": int(f[3]), "prio": int(f[4])}
    return rows


def test_b_is_active_in_proc_swaps_at_its_size_and_priority(host):
    a, b = _paths(host)
    rows = _proc_swaps(host)
    assert b in rows
    assert rows[b]["type"] == "file"
    assert rows[b]["size_kb"] == _auto_bytes(host) // 1024 - 4
    assert rows[b]["prio"] == 5
    assert a not in rows


def test_swapon_show_agrees(host):
    a, b = _paths(host)
    out = host.check_output("swapon --show=NAME,TYPE,SIZE,PRIO --bytes --noheadings")
    mine = [line.split() for line in out.splitlines() if line.split()[0] in (a, b)]
    assert mine == [[b, "file", str(_auto_bytes(host) - 4096), "5"]]


def test_b_file_is_root_0600_and_a_is_gone(host):
    a, b = _paths(host)
    f = host.file(b)
    assert f.is_file and f.user == "root" and f.group == "root" and f.mode == 0o600
    assert f.size == _auto_bytes(host)
    assert not host.file(a).exists
    assert not host.file("/.%s.headroom-resize" % b.lstrip("/")).exists


def test_fstab_has_only_b_line_and_foreign_lines_intact(host):
    a, b = _paths(host)
    lines = host.file("/etc/fstab").content_string.splitlines()
    assert lines[:3] == FOREIGN
    assert [line for line in lines if line.startswith("/swap-")] == ["%s none swap sw,nofail,pri=5 0 0" % b]
    assert not any(line.startswith(a) for line in lines)


def test_swappiness_live_and_in_our_file(host):
    assert host.sysctl("vm.swappiness") == 10
    assert host.sysctl("vm.vfs_cache_pressure") == 100
    # side_effect ran with swap_sysctl_override: our file now comes after 99-zz-other.conf
    assert not host.file("/etc/sysctl.d/90-headroom-swap.conf").exists
    conf = host.file("/etc/sysctl.d/99-zz-other_headroom-swap.conf")
    assert conf.mode == 0o644
    text = conf.content_string
    assert "Managed by headroom.memory.swap" in text
    assert "vm.swappiness = 10" in text.splitlines()
    assert "vm.vfs_cache_pressure = 100" in text.splitlines()


def test_sysctl_conf_not_touched(host):
    f = host.file("/etc/sysctl.conf")
    assert not f.exists or "swappiness" not in f.content_string


def test_btrfs_file_is_nocow_root_0600_and_active(host):
    c = "/mnt/swap-btrfs/swap-c-%s" % host.backend.get_hostname()
    assert host.check_output("findmnt -n -o FSTYPE --target /mnt/swap-btrfs") == "btrfs"
    f = host.file(c)
    assert f.is_file and f.user == "root" and f.mode == 0o600 and f.size == 80 * 1024 ** 2
    # "C": no copy-on-write, what lets the kernel map the file's blocks for swap on btrfs
    assert "C" in host.check_output("lsattr %s" % c).split()[0]
    rows = _proc_swaps(host)
    assert rows[c]["type"] == "file" and rows[c]["size_kb"] == 80 * 1024 - 4
    assert c not in host.file("/etc/fstab").content_string
