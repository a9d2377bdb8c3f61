# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.headroom.memory.plugins.module_utils.systemd.unit_memory import (
    INFINITY, cgroup_layout, find_overrides, meminfo_bytes, parse_bytes, parse_dropin, parse_int, parse_show,
    process_start_epoch, read_live_limits, read_oom_score_adj, read_unit_working_set, systemd_version)
from ansible_collections.headroom.memory.plugins.module_utils.systemd.unit_names import unit_name

# captured from `systemctl show -p ... svc.service nonexist.service` on bookworm (systemd 252, cgroup v1)
SHOW = """MainPID=88
ControlGroup=/system.slice/svc.service
MemoryCurrent=3342336
MemoryHigh=83886080
MemoryMax=104857600
MemoryLimit=infinity
OOMScoreAdjust=300

MemoryCurrent=[not set]
LoadState=not-found
ActiveState=inactive
"""


def write(path, text):
    os.makedirs(os.path.dirname(str(path)), exist_ok=True)
    with open(str(path), "w") as f:
        f.write(text)


@pytest.mark.parametrize("name,full", [
    ("nginx", "nginx.service"), ("nginx.service", "nginx.service"), ("user.slice", "user.slice"),
    (" app ", "app.service"), ("foo@bar", "foo@bar.service"),
])
def test_unit_name(name, full):
    assert unit_name(name) == full


def test_parse_show_splits_units():
    units = parse_show(SHOW)
    assert len(units) == 2
    assert units[0]["MemoryMax"] == "104857600"
    assert units[0]["ControlGroup"] == "/system.slice/svc.service"
    assert units[1] == {"MemoryCurrent": "[not set]", "LoadState": "not-found", "ActiveState": "inactive"}


def test_parse_show_keeps_equals_in_values():
    assert parse_show("Environment=A=1 B=2\n") == [{"Environment": "A=1 B=2"}]


@pytest.mark.parametrize("text,value", [
    ("104857600", 104857600), ("infinity", INFINITY), ("max", INFINITY), ("max\n", INFINITY),
    ("9223372036854771712", INFINITY), ("18446744073709551615", INFINITY), ("[not set]", None),
    ("", None), (None, None), ("0", 0),
])
def test_parse_bytes(text, value):
    assert parse_bytes(text) == value


def test_parse_int():
    assert parse_int(" -1000\n") == -1000
    assert parse_int("x") is None
    assert parse_int(None) is None


def test_cgroup_layout(tmp_path):
    assert cgroup_layout(str(tmp_path)) is None
    (tmp_path / "memory").mkdir()
    assert cgroup_layout(str(tmp_path)) == "v1"
    (tmp_path / "cgroup.controllers").write_text("memory pids\n")
    assert cgroup_layout(str(tmp_path)) == "v2"


def test_live_limits_v1(tmp_path):
    write(tmp_path / "memory/system.slice/a.service/memory.limit_in_bytes", "67108864\n")
    write(tmp_path / "memory/system.slice/b.service/memory.limit_in_bytes", "9223372036854771712\n")
    assert read_live_limits("/system.slice/a.service", "v1", str(tmp_path)) == {"MemoryMax": 67108864}
    assert read_live_limits("/system.slice/b.service", "v1", str(tmp_path)) == {"MemoryMax": INFINITY}
    assert read_live_limits("/system.slice/gone.service", "v1", str(tmp_path)) == {}
    assert read_live_limits("", "v1", str(tmp_path)) == {}


def test_live_limits_v2(tmp_path):
    base = tmp_path / "system.slice/a.service"
    write(base / "memory.max", "67108864\n")
    write(base / "memory.high", "max\n")
    write(base / "memory.low", "0\n")
    # memory.swap.max missing (no swap accounting): None, not a guess
    assert read_live_limits("/system.slice/a.service", "v2", str(tmp_path)) == {
        "MemoryMax": 67108864, "MemoryHigh": INFINITY, "MemoryLow": 0, "MemorySwapMax": None}


def test_working_set_is_usage_minus_inactive_page_cache_on_v1_and_v2(tmp_path):
    write(tmp_path / "system.slice/a.service/memory.current", "%d\n" % (300 << 20))
    write(tmp_path / "system.slice/a.service/memory.stat", "anon 104857600\ninactive_file %d\nactive_file 5\n" % (200 << 20))
    assert read_unit_working_set("/system.slice/a.service", "v2", str(tmp_path)) == 100 << 20
    write(tmp_path / "memory/system.slice/b.service/memory.usage_in_bytes", "%d\n" % (50 << 20))
    write(tmp_path / "memory/system.slice/b.service/memory.stat", "inactive_file 1\ntotal_inactive_file %d\n" % (10 << 20))
    assert read_unit_working_set("/system.slice/b.service", "v1", str(tmp_path)) == 40 << 20
    # a stopped unit has no cgroup, an unknown layout no reading: None, never 0
    assert read_unit_working_set("/system.slice/gone.service", "v2", str(tmp_path)) is None
    assert read_unit_working_set("/system.slice/a.service", None, str(tmp_path)) is None
    assert read_unit_working_set("", "v2", str(tmp_path)) is None


def test_parse_dropin_skips_comments_and_tracks_sections():
    text = "# This is a drop-in unit file extension, created via \"systemctl set-property\"\n" \
           "; or an equivalent operation. Do not edit.\n[Service]\nMemoryMax=136314880\n\n[Unit]\nX = y\n"
    assert parse_dropin(text) == [("Service", "MemoryMax", "136314880"), ("Unit", "X", "y")]


def test_find_overrides(tmp_path):
    write(tmp_path / "etc/systemd/system.control/svc.service.d/50-MemoryMax.conf",
          "# created via set-property\n[Service]\nMemoryMax=136314880\n")
    write(tmp_path / "etc/systemd/system.control/svc.service.d/50-CPUWeight.conf", "[Service]\nCPUWeight=50\n")
    write(tmp_path / "run/systemd/system.control/svc.service.d/50-MemoryHigh.conf",
          "[Service]\nMemoryHigh=1G\nCPUQuota=20%\n")
    write(tmp_path / "run/systemd/system.control/svc.service.d/README", "MemoryMax=1\n")
    found = find_overrides("svc.service", ("MemoryMax", "MemoryHigh"), root=str(tmp_path))
    assert found == [
        {"path": "/etc/systemd/system.control/svc.service.d/50-MemoryMax.conf", "key": "MemoryMax",
         "value": "136314880", "runtime": False, "other_keys": []},
        {"path": "/run/systemd/system.control/svc.service.d/50-MemoryHigh.conf", "key": "MemoryHigh",
         "value": "1G", "runtime": True, "other_keys": ["CPUQuota"]},
    ]
    assert find_overrides("other.service", ("MemoryMax",), root=str(tmp_path)) == []


def test_process_start_and_oom_score_adj(tmp_path):
    # comm with spaces and parentheses: the fields resume after the last ')'
    fields = ["S"] + ["0"] * 18 + ["250"] + ["0"] * 10
    write(tmp_path / "42/stat", "42 (my (odd) name) " + " ".join(fields) + "\n")
    write(tmp_path / "stat", "cpu 1 2 3\nbtime 1700000000\nprocesses 5\n")
    write(tmp_path / "42/oom_score_adj", "300\n")
    assert process_start_epoch(42, proc=str(tmp_path), clock_ticks=100) == 1700000002.5
    assert process_start_epoch(43, proc=str(tmp_path), clock_ticks=100) is None
    assert process_start_epoch(None, proc=str(tmp_path)) is None
    assert read_oom_score_adj(42, proc=str(tmp_path)) == 300
    assert read_oom_score_adj(0, proc=str(tmp_path)) is None


def test_meminfo_bytes(tmp_path):
    write(tmp_path / "meminfo", "MemTotal:       24568532 kB\nSwapTotal:             0 kB\n")
    assert meminfo_bytes("MemTotal", proc=str(tmp_path)) == 24568532 * 1024
    assert meminfo_bytes("SwapTotal", proc=str(tmp_path)) == 0
    assert meminfo_bytes("Nope", proc=str(tmp_path)) is None


def test_systemd_version():
    assert systemd_version("systemd 252 (252.39-1~deb12u2)\n+PAM +AUDIT") == 252
    assert systemd_version("systemd 257 (257.13-1~deb13u1)") == 257
    assert systemd_version("") is None
