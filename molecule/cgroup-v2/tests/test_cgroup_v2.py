"""cgroup v2 on a kernel of its own (two Debian VMs): memory_facts reads a unit's v2 files, its memory PSI and
memory.events and attributes real memcg kills; service_limits puts MemoryMax/MemoryHigh/MemorySwapMax on a
running process without a restart and the kernel enforces all three; early_warning sets up systemd-oomd, which
kills a thrashing unit, and memory_facts attributes that kill; the swap role makes swap on the VM's own kernel,
and its swapfile module refuses a swapoff the VM cannot absorb; diagnose finds a leak in a unit with no limit
and remediate contains it (bookworm). Every figure is read back from the VM's own
kernel, systemd, journal and files; the module results the plays kept are read on the controller."""
import json
import re
from pathlib import Path

MIB = 1024 * 1024
# the results converge and side_effect kept on the controller (prepare empties the directory)
RESULTS = Path(__file__).resolve().parents[3] / ".work" / "cgroup-v2"


def load(host, path):
    return json.loads(host.file(path).content_string)


def controller_json(*parts):
    """A JSON file the plays kept on the controller, under RESULTS."""
    with open(RESULTS.joinpath(*parts)) as f:
        return json.load(f)


def kept(host, name):
    return controller_json("%s-%s.json" % (host.backend.get_hostname(), name))


def show(host, unit, *props):
    out = host.check_output("systemctl show -p %s %s", ",".join(props), unit)
    return dict(line.split("=", 1) for line in out.splitlines())


def facts(host):
    return kept(host, "facts")


def test_a_kernel_of_its_own_with_cgroup2(host):
    assert host.check_output("stat -fc %T /sys/fs/cgroup") == "cgroup2fs"
    assert facts(host)["cgroup"]["version"] == "2"
    # libpam-systemd: the SSH session lives in user.slice as on real servers
    assert "/user.slice/" in host.file("/proc/self/cgroup").content_string


def test_planted_unit_read_from_its_v2_files(host):
    """MemoryMax=40M, MemoryHigh=36M, MemorySwapMax=0 in the unit file: what memory_facts reports is what
    systemd wrote to memory.max, memory.high and memory.swap.max."""
    cg = "/sys/fs/cgroup/system.slice/hr-planted.service/"
    assert [host.file(cg + f).content_string.strip() for f in ("memory.max", "memory.high", "memory.swap.max")] \
        == [str(40 * MIB), str(36 * MIB), "0"]
    unit = [u for u in facts(host)["cgroup"]["units"] if u["unit"] == "hr-planted.service"][0]
    assert (unit["limit_mb"], unit["high_mb"], unit["swap_limit_mb"]) == (40, 36, 0)
    assert unit in facts(host)["cgroup"]["limited"]


def test_planted_units_oom_kill_counted_from_memory_events(host):
    """Its child was OOM-killed by the kernel (SIGKILL, exit -9) and the unit lived on (OOMPolicy=continue)."""
    assert host.file("/var/tmp/hr-planted.child").content_string.strip() == "-9"
    assert show(host, "hr-planted.service", "ActiveState")["ActiveState"] == "active"
    events = dict(line.split() for line in
                  host.file("/sys/fs/cgroup/system.slice/hr-planted.service/memory.events").content_string.splitlines())
    unit = [u for u in facts(host)["cgroup"]["units"] if u["unit"] == "hr-planted.service"][0]
    assert int(events["oom_kill"]) == 1 and unit["oom_kill"] == 1
    assert int(events["high"]) > 0  # it crossed MemoryHigh on its way to MemoryMax


def test_memory_pressure_read_per_cgroup(host):
    """The unit's own memory.pressure, where the kernel has PSI (trixie boots with psi=1, so there it must):
    hr-planted was throttled above memory.high, which the kernel counts as memory stall."""
    unit = [u for u in facts(host)["cgroup"]["units"] if u["unit"] == "hr-planted.service"][0]
    path = "/sys/fs/cgroup/system.slice/hr-planted.service/memory.pressure"
    if "psi=1" in host.file("/proc/cmdline").content_string:
        assert host.file(path).exists
    if not host.file(path).exists:
        assert unit["pressure"] is None and facts(host)["pressure"] is None
        return
    live = dict((line.split()[0], dict(kv.split("=") for kv in line.split()[1:]))
                for line in host.file(path).content_string.splitlines())
    assert 0 < unit["pressure"]["some"]["total_us"] <= int(live["some"]["total"])
    assert unit["pressure"]["full"]["total_us"] <= unit["pressure"]["some"]["total_us"]
    # the whole VM's line is the kernel's own /proc/pressure/memory, not a cgroup's
    assert facts(host)["pressure"]["some"]["total_us"] >= unit["pressure"]["some"]["total_us"]


def test_real_memcg_kills_attributed_to_their_units(host):
    oom = facts(host)["oom"]
    for unit in ("hr-planted.service", "hr-leak.service"):
        events = [e for e in oom["events"] if e.get("unit") == unit]
        assert events, oom["events"]
        assert events[-1]["killer"] == "kernel" and events[-1]["scope"] == "memcg"
        assert events[-1]["constraint"] == "CONSTRAINT_MEMCG"
        assert oom["counts"]["by_unit"][unit] >= 1


def test_limits_reached_the_running_process_without_restart(host):
    """The process that leaked in side_effect is the one started in prepare: converge gave it all three limits
    live, and its cgroup held them when it crossed memory.high."""
    snap = load(host, "/var/tmp/hr-leak.snapshot")
    assert snap["pid"] == int(host.file("/var/tmp/hr-leak.pid").content_string)
    assert (snap["memory.max"], snap["memory.high"], snap["memory.swap.max"]) == (str(96 * MIB), str(94 * MIB), "0")


def test_memory_high_throttled_and_swap_max_held(host):
    snap = load(host, "/var/tmp/hr-leak.snapshot")
    # the kernel counted the breach of memory.high and reclaimed/throttled it (the cgroup is near the line)
    assert int(snap["memory.events"]["high"]) > 0
    assert int(snap["memory.current"]) > 80 * MIB
    # /swapfile-hr was active and the VM under no other pressure: MemorySwapMax=0 kept every page in RAM
    assert snap["memory.swap.current"] == "0"


def test_memory_max_killed_and_systemd_restarted_it(host):
    props = show(host, "hr-leak.service", "NRestarts", "ActiveState", "MainPID", "MemoryMax", "MemoryHigh",
                 "MemorySwapMax", "Restart")
    assert int(props["NRestarts"]) >= 1 and props["ActiveState"] == "active"
    assert props["MainPID"] != host.file("/var/tmp/hr-leak.pid").content_string.strip()
    assert (props["MemoryMax"], props["MemoryHigh"], props["MemorySwapMax"], props["Restart"]) == (
        str(96 * MIB), str(94 * MIB), "0", "on-failure")


def test_role_reports_all_three_enforced(host):
    report = kept(host, "limits")
    assert report["cgroup"] == "v2"
    unit = [u for u in report["units"] if u["unit"] == "hr-leak.service"][0]
    assert unit["not_enforced"] == []
    assert not any("NOT enforced" in n for n in unit["notes"])
    assert unit["restart_required"] is False and report["restart_required"] == []


def test_systemd_oomd_set_up_by_early_warning_killed_the_thrasher(host):
    """early_warning (side_effect) enabled systemd-oomd with ManagedOOMMemoryPressure=kill at 10 % for 5 s on
    hroomd.slice only; the thrasher there was killed by systemd-oomd (not by the kernel: its anonymous memory
    stayed under MemoryMax), and memory_facts read that kill from the journal and named its unit. Stopped after
    that, it killed nothing else."""
    report = facts(host)["early_warning_result"]
    assert report["killer"] == "systemd-oomd" and report["oomd_units"] == ["hroomd.slice"]
    # enabled by the role; side_effect stopped it once it had killed the thrasher
    assert host.service("systemd-oomd").is_enabled
    assert show(host, "hroomd.slice", "ManagedOOMMemoryPressure")["ManagedOOMMemoryPressure"] == "kill"
    assert show(host, "system.slice", "ManagedOOMMemoryPressure")["ManagedOOMMemoryPressure"] == "auto"
    log = host.check_output("journalctl -u systemd-oomd.service -o cat --no-pager")
    kills = [line for line in log.splitlines()
             if "/hroomd.slice/hr-thrash.service" in line and "due to memory pressure for /hroomd.slice" in line]
    assert kills, log
    assert re.search(r"> 10\.00% for > 5s", kills[-1]), kills[-1]
    events = facts(host)["oom"]["events"]
    oomd_kills = [e for e in events if e["killer"] == "systemd-oomd"]
    assert [e["unit"] for e in oomd_kills] == ["hr-thrash.service"], events
    assert oomd_kills[0]["cgroup"] == "/hroomd.slice/hr-thrash.service"
    assert not [e for e in events if e.get("unit") == "hr-thrash.service" and e["killer"] == "kernel"]
    assert facts(host)["oom"]["counts"]["by_unit"]["hr-thrash.service"] == 1


def test_swap_on_the_vms_own_kernel(host):
    swaps = host.file("/proc/swaps").content_string
    row = [line.split() for line in swaps.splitlines() if line.startswith("/swapfile-hr ")]
    assert row and row[0][2] == str(512 * 1024 - 4) and row[0][4] == "5"
    assert "/swapfile-hr none swap sw,nofail,pri=5 0 0" in host.file("/etc/fstab").content_string
    assert host.file("/proc/sys/vm/swappiness").content_string.strip() == "10"
    # the machine running the VM is untouched
    with open("/proc/swaps") as f:
        assert "/swapfile-hr" not in f.read()


def test_swapoff_refused_when_memory_cannot_absorb(host):
    failed = kept(host, "swap-refusal")
    result = ([r for r in failed.get("results", []) if r.get("failed")] or [failed])[0]
    assert "refusing to remove /swapfile-hr: swapoff would have to move" in result["msg"], result.get("msg")
    assert "the kernel would OOM-kill processes" in result["msg"]
    numbers = result["numbers"]
    assert numbers["used_bytes"] >= 256 * MIB
    assert numbers["used_bytes"] + numbers["margin_bytes"] > \
        numbers["memory_available_bytes"] + numbers["other_swap_free_bytes"]
    # a 1 GiB VM: what memory could take back is the VM's own, not the machine's
    assert numbers["memory_available_bytes"] < 1024 * MIB


LEAK_HOST = "cgroup-v2-bookworm"  # side_effect runs diagnose -> remediate on this VM only


def size_bytes(text):
    """A remedy's size string (``576M``, ``1G``) in bytes."""
    number, unit = re.match(r"^(\d+)([MG])$", text).groups()
    return int(number) * MIB * (1024 if unit == "G" else 1)


def test_remediate_contained_a_leak_in_a_unit_with_no_limit(host):
    """#14's leaking unit with no MemoryMax: diagnose found hr-drip growing between its two samples and proposed
    MemoryHigh at what it reached, MemoryMax a quarter above and MemorySwapMax=0; remediate applied that to
    the running process; the health gate passed and the second diagnosis no longer finds the leak, because
    the kernel throttles it at MemoryHigh (never killed: same PID, no restart, no OOM kill)."""
    drip = show(host, "hr-drip.service", "ActiveState", "MainPID", "NRestarts")
    if host.backend.get_hostname() != LEAK_HOST:
        # remediate_hosts kept it to bookworm: here hr-drip never ran and got no drop-in
        assert drip["ActiveState"] == "inactive" and drip["MainPID"] == "0"
        assert not host.file("/etc/systemd/system/hr-drip.service.d").exists
        return
    [before] = [h for h in controller_json("leak-report", "report.json")["hosts"] if h["host"] == LEAK_HOST]
    [leak] = [f for f in before["findings"] if f["id"] == "leak_suspect"]
    assert any(re.match(r"^python3 \(pid \d+, hr-drip\.service\) grew from ", e) for e in leak["evidence"]), leak
    [item] = [u for u in leak["remedy"]["vars"]["service_limits_units"] if u["unit"] == "hr-drip.service"]
    assert (item["memory_swap_max"], item["restart"]) == ("0", "on-failure")
    high, mmax = size_bytes(item["memory_high"]), size_bytes(item["memory_max"])
    assert high < mmax <= high * 5 // 4 + 64 * MIB  # a quarter above, rounded up to the size steps

    outcome = controller_json("leak-remediate", "remediate.json")
    [done] = [h for h in outcome["hosts"] if h["host"] == LEAK_HOST]
    assert done["status"] == "ok" and "leak_suspect" in done["fixed"], done
    [after] = [h for h in controller_json("leak-remediate", "after", "report.json")["hosts"] if h["host"] == LEAK_HOST]
    assert "leak_suspect" not in [f["id"] for f in after["findings"]]

    # the same process, never restarted or killed, held by what the kernel enforces now
    assert (drip["ActiveState"], drip["NRestarts"]) == ("active", "0")
    assert drip["MainPID"] == host.file("/var/tmp/hr-drip.pid").content_string.strip()
    cg = "/sys/fs/cgroup/system.slice/hr-drip.service/"
    assert [host.file(cg + f).content_string.strip() for f in ("memory.high", "memory.max", "memory.swap.max")] \
        == [str(high), str(mmax), "0"]
    events = dict(line.split() for line in host.file(cg + "memory.events").content_string.splitlines())
    assert int(events["high"]) > 0 and int(events["oom_kill"]) == 0
    assert int(host.file(cg + "memory.current").content_string) < mmax


def test_container_without_limit_limited_live_and_killed_by_its_own_limit(host):
    """#27 on cgroup v2, with Debian's engines in the VM (Docker on bookworm, Podman on trixie): memory_facts
    named hr-box with no limit (memory.max "max"), the containers role set 64 MiB live (no re-creation: the same
    id and PID), `inspect` and the cgroup's own memory.max read it back, and a leak inside hr-box was killed by
    that limit (the container's memory.events oom_kill rose by one) while hr-box and the VM stayed up."""
    kept_ = kept(host, "containers")
    engine = "docker" if host.backend.get_hostname() == "cgroup-v2-bookworm" else "podman"
    leak = kept_["leak"]
    assert leak["engine"] == engine
    [box] = [c for c in kept_["facts"]["list"] if c["name"] == "hr-box"]
    assert box["id"] == leak["id"] and box["runtime"] == engine and box["state"] == "running"
    assert box["limit_mb"] is None and box["engine_memory_mb"] in (None, 0)
    assert box["usage_mb"] >= 4 and box["peak_mb"] >= box["usage_mb"] and box["oom_kill"] == 0
    assert box["id"] in [c["id"] for c in kept_["unlimited"] if c["runtime"] == engine]

    [done] = [c for c in kept_["result"]["containers"] if c["name"] == "hr-box"]
    assert done["changed"] and (done["memory_mb"], done["memory_swap_mb"], done["engine"]) == (64, 64, engine), done
    assert leak["inspect"] == {"memory": 64 * MIB, "memory_swap": 64 * MIB}
    before, after = leak["before"], leak["after"]
    assert before["cgroup"] == after["cgroup"] and leak["id"][:12] in before["cgroup"]
    assert (before["memory.max"], before["memory.swap.max"]) == (str(64 * MIB), "0")

    assert leak["leak_rc"] == 137
    assert after["memory.events"]["oom_kill"] == before["memory.events"]["oom_kill"] + 1
    assert int(after["memory.peak"]) <= 64 * MIB
    assert leak["running"] == "true" and leak["same_pid"] and leak["system"] in ("running", "degraded")
    if engine == "podman":
        # still there: read live once more
        assert host.check_output("podman container inspect --format '{{.HostConfig.Memory}}' hr-box") == str(64 * MIB)
        assert host.file(before["cgroup"] + "/memory.max").content_string.strip() == str(64 * MIB)


def unescape(text):
    """Netdata's API sends its alarm expressions HTML-escaped."""
    return text.replace("&lt;", "<").replace("&gt;", ">")


NETDATA_HOST = "cgroup-v2-bookworm"  # Debian has Netdata in bookworm only
# molecule.yml's cg2_netdata
WARN, CRIT, WINDOW = 40, 20, 10


def test_netdata_available_alarm_warning_then_critical(host):
    """#33 on the VM's own /proc/meminfo: early_warning's Netdata alarms loaded with the configured thresholds
    (the thrashing alarm on system.swapio among them), and a hog holding MemAvailable below the warning share
    turned headroom_memory_available WARNING, then below the critical share CRITICAL, each once the window had
    passed (the lookup is the highest share of the last 10 s) and not before."""
    if host.backend.get_hostname() != NETDATA_HOST:
        assert not host.file("/etc/netdata/health.d/headroom-memory.conf").exists
        return
    seen = kept(host, "netdata")
    alarms = seen["alarms"]
    available = alarms["mem.available.headroom_memory_available"]
    assert (unescape(available["warn"]), unescape(available["crit"])) == ("$this < %d" % WARN, "$this < %d" % CRIT)
    assert (available["lookup_method"], available["lookup_after"], available["update_every"]) == ("max", -WINDOW, 2)
    swapio = [a for a in alarms.values() if a["name"] == "headroom_memory_swap_io"]
    assert swapio and swapio[0]["chart"] == "system.swapio", sorted(alarms)
    assert swapio[0]["lookup_method"] == "average" and unescape(swapio[0]["warn"]) == "$this > 1000"

    phases = seen["phases"]
    print("netdata timeline (s, MemAvailable %, status, value):", seen["timeline"])
    assert phases["evaluated"][2] == "CLEAR" and phases["evaluated"][1] > WARN
    assert CRIT < phases["below_warn"][1] < WARN
    t_warn, _pct, status, value = phases["warning"]
    assert status == "WARNING" and CRIT <= value < WARN
    # the whole window below the line first (one 2 s collection early at most); then within a few windows, loose
    # enough for a VM sharing two cores with a podman lane (the bound proves the alarm fires, not how fast)
    assert WINDOW - 2 <= t_warn - phases["below_warn"][0] <= 6 * WINDOW
    t_crit, _pct, status, value = phases["critical"]
    assert status == "CRITICAL" and value < CRIT and phases["below_crit"][1] < CRIT
    assert WINDOW - 2 <= t_crit - phases["below_crit"][0] <= 6 * WINDOW
