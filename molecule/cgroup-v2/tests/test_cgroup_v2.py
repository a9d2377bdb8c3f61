"""cgroup v2 on a kernel of its own (two Debian VMs): memory_facts reads a unit's v2 files and memory.events
and attributes real memcg kills; service_limits puts MemoryMax/MemoryHigh/MemorySwapMax on a running process
without a restart and the kernel enforces all three; the swap role makes swap on the VM's own kernel, and its
swapfile module refuses a swapoff the VM cannot absorb. Every figure is read back from the VM's own kernel,
systemd and files."""
import json

MIB = 1024 * 1024


def load(host, path):
    return json.loads(host.file(path).content_string)


def show(host, unit, *props):
    out = host.check_output("systemctl show -p %s %s", ",".join(props), unit)
    return dict(line.split("=", 1) for line in out.splitlines())


def facts(host):
    return load(host, "/var/tmp/hr-facts.json")


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
    report = load(host, "/var/tmp/hr-limits.json")
    assert report["cgroup"] == "v2"
    unit = [u for u in report["units"] if u["unit"] == "hr-leak.service"][0]
    assert unit["not_enforced"] == []
    assert not any("NOT enforced" in n for n in unit["notes"])
    assert unit["restart_required"] is False and report["restart_required"] == []


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
    failed = load(host, "/var/tmp/hr-swap-refusal.json")
    result = ([r for r in failed.get("results", []) if r.get("failed")] or [failed])[0]
    assert "refusing to remove /swapfile-hr: swapoff would have to move" in result["msg"], result.get("msg")
    assert "the kernel would OOM-kill processes" in result["msg"]
    numbers = result["numbers"]
    assert numbers["used_bytes"] >= 256 * MIB
    assert numbers["used_bytes"] + numbers["margin_bytes"] > \
        numbers["memory_available_bytes"] + numbers["other_swap_free_bytes"]
    # a 1 GiB VM: what memory could take back is the VM's own, not the machine's
    assert numbers["memory_available_bytes"] < 1024 * MIB
