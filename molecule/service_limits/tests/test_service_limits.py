"""service_limits on live units: drop-ins, systemd's view, the kernel's cgroup files, the running
processes, the leak-restart remedy end to end, and refusals that changed nothing."""
import json
import os
import subprocess
import sys

MIB = 1024 * 1024
DROPIN = "/etc/systemd/system/{}.d/50-headroom-memory.conf"


def show(host, unit, *props):
    out = host.check_output("systemctl show -p %s %s", ",".join(props), unit)
    return dict(line.split("=", 1) for line in out.splitlines())


def cgroup_limit(host, unit):
    """The limit the kernel enforces on the unit's memory cgroup (v1 or v2)."""
    v1 = "/sys/fs/cgroup/memory/system.slice/%s/memory.limit_in_bytes" % unit
    v2 = "/sys/fs/cgroup/system.slice/%s/memory.max" % unit
    path = v1 if host.file(v1).exists else v2
    return host.file(path).content_string.strip()


def is_v1(host):
    return not host.file("/sys/fs/cgroup/cgroup.controllers").exists


def result(host):
    return json.loads(host.file("/var/tmp/service_limits_result.json").content_string)


def hog(host):
    return host.check_output("ls /etc/systemd/system | grep '^sl-hog-' | grep -v '\\.d$'").strip()


def test_dropin_written_with_header(host):
    f = host.file(DROPIN.format("headroom-svc.service"))
    assert f.exists and f.user == "root" and f.mode == 0o644
    text = f.content_string
    assert "Managed by headroom.memory.service_limits" in text
    assert text.splitlines()[0].startswith("#")
    for line in ("[Service]", "MemoryMax=96M", "MemoryHigh=80M", "MemorySwapMax=0", "OOMScoreAdjust=300",
                 "OOMPolicy=stop", "Restart=on-failure", "RestartSec=1s"):
        assert line in text.splitlines()


def test_systemd_reports_what_was_asked(host):
    props = show(host, "headroom-svc.service", "MemoryMax", "MemoryHigh", "OOMScoreAdjust", "Restart")
    assert props == {"MemoryMax": str(96 * MIB), "MemoryHigh": str(80 * MIB), "OOMScoreAdjust": "300",
                     "Restart": "on-failure"}


def test_cgroup_holds_the_limit(host):
    assert cgroup_limit(host, "headroom-svc.service") == str(96 * MIB)


def test_memory_high_enforced_or_reported(host):
    unit = [u for u in result(host)["units"] if u["unit"] == "headroom-svc.service"][0]
    if is_v1(host):
        # v1 has no memory.high: the role must say so instead of pretending
        assert sorted(unit["not_enforced"]) == ["MemoryHigh", "MemorySwapMax"]
        assert any("NOT enforced" in n for n in unit["notes"])
    else:
        assert host.file("/sys/fs/cgroup/system.slice/headroom-svc.service/memory.high").content_string.strip() \
            == str(80 * MIB)


def test_oom_score_adj_after_restart(host):
    pid = show(host, "headroom-svc.service", "MainPID")["MainPID"]
    assert int(pid) > 0
    assert host.file("/proc/%s/oom_score_adj" % pid).content_string.strip() == "300"


def test_restart_was_reported_then_done(host):
    report = result(host)
    assert [r["unit"] for r in report["restart_required"]] == ["headroom-svc.service"]
    assert "OOMScoreAdjust=300" in report["restart_required"][0]["reasons"][0]


def test_limit_applied_live_without_restart(host):
    """headroom-svc2 got only a MemoryMax (112M in converge, 120M in side_effect with nothing else changing):
    same process as before converge, the new limit in its cgroup, no set-property file left."""
    before = host.file("/var/tmp/svc2.pid").content_string.strip()
    assert show(host, "headroom-svc2.service", "MainPID")["MainPID"] == before
    assert show(host, "headroom-svc2.service", "MemoryMax")["MemoryMax"] == str(120 * MIB)
    assert cgroup_limit(host, "headroom-svc2.service") == str(120 * MIB)
    report = json.loads(host.file("/var/tmp/service_limits_live.json").content_string)
    assert report["restart_required"] == []
    # what the role had to push after daemon-reload (systemd 257 on cgroup v1 needs it, 252 does not)
    print("live_pushed:", report["live_pushed"])
    assert host.run("ls /run/systemd/system.control/headroom-svc2.service.d/ 2>/dev/null").stdout.strip() == ""


def test_set_property_override_reported_and_removed(host):
    assert not host.file("/etc/systemd/system.control/headroom-svc.service.d/50-MemoryMax.conf").exists
    unit = [u for u in result(host)["units"] if u["unit"] == "headroom-svc.service"][0]
    assert unit["overrides"][0]["key"] == "MemoryMax"
    assert unit["overrides"][0]["value"] == str(300 * MIB)
    # and no runtime file is left by the live push either
    assert host.run("ls /run/systemd/system.control/headroom-svc2.service.d/ 2>/dev/null").stdout.strip() == ""


def test_missing_unit_gets_percent_of_ram(host):
    total_kb = int([line.split()[1] for line in host.file("/proc/meminfo").content_string.splitlines()
                    if line.startswith("MemTotal:")][0])
    unit = [u for u in result(host)["units"] if u["unit"] == "headroom-later.service"][0]
    assert unit["settings"]["MemoryMax"] == int(total_kb * 1024 * 1 / 100)
    assert host.file(DROPIN.format("headroom-later.service")).exists


def test_hog_killed_by_kernel_and_came_back(host):
    unit = hog(host)
    props = show(host, unit, "NRestarts", "ActiveState", "MemoryMax")
    assert int(props["NRestarts"]) >= 1
    assert props["ActiveState"] == "active"
    assert props["MemoryMax"] == str(48 * MIB)
    # the kernel's own report names the hog's cgroup (the ring buffer is shared: match the unique name)
    kmsg = host.check_output("dmesg")
    assert any("oom_memcg=" in line and unit in line for line in kmsg.splitlines())
    assert any("Killed process" in line for line in kmsg.splitlines())


def test_memory_facts_reports_the_kill(host):
    """headroom.memory.memory_facts (issue 3), run ad hoc against this container, names the hog unit."""
    unit = hog(host)
    name = host.backend.name
    venv_bin = os.path.dirname(sys.executable)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.environ.get("HEADROOM_COLLECTIONS_PATH", ""),
               ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json",
               ANSIBLE_PYTHON_INTERPRETER="auto_silent")
    proc = subprocess.run(
        [os.path.join(venv_bin, "ansible"), "all", "-i", name + ",", "-c", "containers.podman.podman",
         "-m", "headroom.memory.memory_facts", "-a", "gather_subset=oom oom_since=1h"],
        env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    out = json.loads(proc.stdout)
    facts = out["plays"][0]["tasks"][0]["hosts"][name]["ansible_facts"]["headroom"]
    events = [e for e in facts["oom"]["events"] if e.get("unit") == unit]
    assert events, facts["oom"]["events"]
    assert events[-1]["killer"] == "kernel" and events[-1]["scope"] == "memcg"


def test_refusals_changed_nothing(host):
    refusals = json.loads(host.file("/var/tmp/service_limits_refusals.json").content_string)
    assert [r["case"] for r in refusals] == [
        "memory_max below current use", "memory_max under the floor, even with force", "memory_max 0 on a stopped unit",
        "unkillable", "memory_high above memory_max", "missing unit"]
    by_case = dict((r["case"], r["msg"]) for r in refusals)
    assert "MemoryCurrent" in by_case["memory_max below current use"]
    assert "41943040 bytes" in by_case["memory_max below current use"]
    assert "plus the margin 67108864 bytes" in by_case["memory_max below current use"]
    assert "headroom-svc.service: MemoryMax=1M, 1048576 bytes is below the floor of 32 MiB" in by_case[
        "memory_max under the floor, even with force"]
    assert "headroom-later.service: MemoryMax=0 bytes is refused" in by_case["memory_max 0 on a stopped unit"]
    assert "209715200 bytes" in by_case["memory_high above memory_max"]
    assert "157286400 bytes" in by_case["memory_high above memory_max"]
    # the refusals ran after converge: the drop-in still holds converge's values
    assert "MemoryMax=96M" in host.file(DROPIN.format("headroom-svc.service")).content_string
    assert not host.file(DROPIN.format("headroom-nosuch.service")).exists


def test_scheduled_restart_came_on_time_and_the_service_keeps_running(host):
    text = host.file(DROPIN.format("headroom-recycled.service")).content_string.splitlines()
    # the unit had Restart=no: restart_every added the Restart= that starts it again after the timeout
    for line in ("RuntimeMaxSec=15s", "RuntimeRandomizedExtraSec=1s", "Restart=on-failure"):
        assert line in text
    props = show(host, "headroom-recycled.service", "RuntimeMaxUSec", "ActiveState", "NRestarts", "Restart")
    assert props["RuntimeMaxUSec"] == "15s" and props["Restart"] == "on-failure"
    assert props["ActiveState"] == "active" and int(props["NRestarts"]) >= 1
    starts = json.loads(host.file("/var/tmp/service_limits_recycled.json").content_string)
    period = (int(starts["second_start_us"]) - int(starts["first_start_us"])) / 1e6
    # start to start: 15 s plus up to 1 s at random, plus the stop and RestartSec's 100 ms (slack for a busy host)
    assert 15 <= period <= 25, period
