# -*- coding: utf-8 -*-
"""Netdata alarms of the early_warning role on real systemd hosts: Debian bookworm's Netdata 1.37 installed on
request, the alarms loaded with the configured thresholds (Netdata's API on 127.0.0.1), the stock files untouched;
trixie (no netdata package): a warning and nothing written, the install refused."""

import json
import time

import pytest

CONF = "/etc/netdata/health.d/headroom-memory.conf"
API = "http://127.0.0.1:19999/api/v1/alarms?all"
# the molecule.yml thresholds, as the rendered conditions must carry them
EXPECTED = {
    "mem.available.headroom_memory_available": ("$this < 12", "$this < 7", "max", "avail"),
    "system.memory_full_pressure.headroom_memory_pressure": ("$this > 3.5", "$this > 10", "min", "full 60"),
    "mem.oom_kill.headroom_memory_oom_kill": ("$this > 0", None, "sum", "kills"),
}


def is_bookworm(host):
    return host.system_info.codename == "bookworm"


def alarms(host):
    out = host.check_output("python3 -c 'import urllib.request as u; print(u.urlopen(\"%s\").read().decode())'" % API)
    return json.loads(out)["alarms"]


def test_bookworm_alarms_loaded_with_the_thresholds(host):
    if not is_bookworm(host):
        pytest.skip("bookworm only")
    assert host.package("netdata").is_installed
    assert host.service("netdata").is_running
    # a lookup waits for its whole window (10 s here): poll until all three are evaluated
    deadline = time.time() + 90
    while True:
        found = dict((k, v) for k, v in alarms(host).items() if "headroom_memory_" in k)
        pending = [k for k in EXPECTED if found.get(k, {}).get("status") in (None, "UNINITIALIZED", "UNDEFINED")]
        if not pending or time.time() > deadline:
            break
        time.sleep(3)
    assert not pending, found
    for key, (warn, crit, method, dims) in EXPECTED.items():
        alarm = found[key]
        assert alarm["warn"].replace("&lt;", "<").replace("&gt;", ">") == warn, alarm
        if crit:
            assert alarm["crit"].replace("&lt;", "<").replace("&gt;", ">") == crit, alarm
        assert (alarm["lookup_method"], alarm["lookup_dimensions"], alarm["lookup_after"]) == (method, dims, -10)
        assert alarm["update_every"] == 2 and alarm["recipient"] == "sysadmin"
    available = found["mem.available.headroom_memory_available"]
    value, status = available["value"], available["status"]
    expected = "CRITICAL" if value < 7 else "WARNING" if value < 12 else "CLEAR"
    assert status == expected, available


def test_bookworm_file_and_stock_files(host):
    if not is_bookworm(host):
        pytest.skip("bookworm only")
    conf = host.file(CONF)
    assert conf.exists and conf.user == "root" and conf.mode == 0o644
    text = conf.content_string
    assert text.startswith("#") and "Managed by headroom.memory.early_warning" in text
    assert "template: headroom_memory_unit_near_limit" in text and "on: system.swap" in text
    # Netdata's own health files are as the package shipped them (netdata.conf is side_effect.yml's, for this
    # hybrid test host; the image leaves out man pages)
    changed = [line for line in host.run("dpkg --verify netdata-core").stdout.splitlines() if "health" in line]
    assert changed == []
    assert host.run("dpkg -S /usr/lib/netdata/conf.d/health.d/ram.conf").rc == 0
    result = json.loads(host.file("/tmp/ewn-result.json").content_string)
    assert result["netdata"] == CONF


def test_trixie_warns_and_writes_nothing(host):
    if is_bookworm(host):
        pytest.skip("trixie only")
    assert not host.file("/etc/netdata").exists and not host.package("netdata").is_installed
    assert json.loads(host.file("/tmp/ewn-result.json").content_string)["netdata"] is None
    refusal = host.file("/tmp/ewn-refusal.txt").content_string
    assert "has no netdata package" in refusal and "Nothing was changed" in refusal


def test_bookworm_unit_alarm_follows_a_live_hog(host):
    """ewn-hog.scope (MemoryMax=200M) holds 10 MiB for 45 s, then 150 MiB: the template's alarm on its cgroup is
    CLEAR first (5% of the limit), then WARNING (75% > 50% for 10 s), read from Netdata's API as it happens."""
    if not is_bookworm(host):
        pytest.skip("bookworm only")
    start = int(host.file("/tmp/ewn-hog-start").content_string)
    seen = []
    deadline = start + 160
    while time.time() < deadline:
        unit = [v for v in alarms(host).values()
                if v["name"] == "headroom_memory_unit_near_limit" and "ewn-hog" in v["chart"]]
        if unit:
            state = (unit[0]["status"], unit[0]["value"])
            if not seen or seen[-1][1] != state[0]:
                seen.append((int(time.time()) - start, state[0], state[1], unit[0]["chart"]))
            if state[0] == "WARNING":
                break
        time.sleep(2)
    print("ewn-hog.scope alarm timeline (s after start, status, % of MemoryMax, chart):", seen)
    statuses = [s[1] for s in seen]
    assert "CLEAR" in statuses and statuses[-1] == "WARNING", seen
    assert statuses.index("CLEAR") < len(statuses) - 1, seen
    # 45 s small, then at most the 10 s window, one 2 s evaluation and Netdata's 1 s collection
    assert seen[-1][0] <= 45 + 10 + 2 + 15, seen
    assert 50 < seen[-1][2] <= 100, seen
