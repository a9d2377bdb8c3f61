# -*- coding: utf-8 -*-
"""cgroups: version, own limit, limited units and unlimited containers over fake /proc + /sys trees."""

import os

import pytest

from ansible_collections.headroom.memory.plugins.module_utils import cgroups
from ansible_collections.headroom.memory.plugins.module_utils.facts import processes as procs

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "proc")
V1_UNLIMITED = "9223372036854771712"
MIB = 1024 * 1024
PODMAN = "libpod-" + "a" * 64
DOCKER = "b" * 64
CRI = "c" * 64

V2_MOUNTINFO = (
    "22 1 259:1 / / rw,relatime shared:1 - ext4 /dev/root rw\n"
    "30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate\n"
)
V1_ONLY_MOUNTINFO = (
    "31 23 0:28 / /sys/fs/cgroup ro - tmpfs tmpfs ro,mode=755\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n"
)


def write(root, files):
    """Create ``files`` {relative path: text} under ``root`` (a trailing / makes a directory)."""
    for rel, text in files.items():
        path = os.path.join(str(root), rel)
        if rel.endswith("/"):
            os.makedirs(path, exist_ok=True)
            continue
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)


def v1_cgroup(path, limit=V1_UNLIMITED, usage=0, oom_kill=0, memsw=V1_UNLIMITED):
    base = "sys/fs/cgroup/memory/" + path.strip("/")
    base = base.rstrip("/") + "/"
    return {
        base + "memory.limit_in_bytes": "%s\n" % limit,
        base + "memory.usage_in_bytes": "%d\n" % usage,
        base + "memory.memsw.limit_in_bytes": "%s\n" % memsw,
        base + "memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill %d\n" % oom_kill,
    }


def v2_cgroup(path, limit="max", usage=0, oom_kill=0, swap="max", high="max"):
    base = ("sys/fs/cgroup/" + path.strip("/")).rstrip("/") + "/"
    files = {
        base + "memory.current": "%d\n" % usage,
        base + "memory.events": "low 0\nhigh 0\nmax 3\noom 1\noom_kill %d\noom_group_kill 0\n" % oom_kill,
    }
    if path.strip("/"):  # the root cgroup has no memory.max / memory.high / memory.swap.max
        files[base + "memory.max"] = "%s\n" % limit
        files[base + "memory.high"] = "%s\n" % high
        files[base + "memory.swap.max"] = "%s\n" % swap
    return files


def proc(root, mountinfo, self_cgroup):
    write(root, {"proc/self/mountinfo": mountinfo, "proc/self/cgroup": self_cgroup})
    return os.path.join(str(root), "proc")


@pytest.fixture
def podman_v1_container(tmp_path):
    """Inside a podman container (private cgroupns, hybrid v1 host) started with --memory=1g."""
    with open(os.path.join(FIXTURES, "podman-v1-container", "mountinfo")) as f:
        mountinfo = f.read()
    with open(os.path.join(FIXTURES, "podman-v1-container", "self-cgroup")) as f:
        self_cgroup = f.read()
    files = {}
    files.update(v1_cgroup("/", limit=1024 * MIB, usage=212 * MIB, oom_kill=1, memsw=1536 * MIB))
    files.update(v1_cgroup("/init.scope", usage=9 * MIB))
    files.update(v1_cgroup("/system.slice", usage=60 * MIB))
    files.update(v1_cgroup("/system.slice/headroom-oomtest-x.service", limit=48 * MIB, usage=47 * MIB, oom_kill=1))
    files.update(v1_cgroup("/user.slice/user-1000.slice/session-c1.scope", usage=3 * MIB))
    files["sys/fs/cgroup/unified/cgroup.controllers"] = ""
    write(tmp_path, files)
    return proc(tmp_path, mountinfo, self_cgroup), str(tmp_path)


def test_version_detection():
    def mounts(*types):
        return [{"fstype": t, "root": "/", "mount_point": "/x", "super_options": set()} for t in types]
    assert cgroups.detect_version(mounts("cgroup", "cgroup2")) == "hybrid"
    assert cgroups.detect_version(mounts("cgroup")) == "1"
    assert cgroups.detect_version(mounts("cgroup2")) == "2"
    assert cgroups.detect_version([]) is None


def test_real_host_mountinfo_is_hybrid():
    with open(os.path.join(FIXTURES, "debian12-host", "mountinfo")) as f:
        mounts = cgroups.cgroup_mounts(f.read())
    assert cgroups.detect_version(mounts) == "hybrid"
    memory = [m for m in mounts if "memory" in m["super_options"]]
    assert [m["mount_point"] for m in memory] == ["/sys/fs/cgroup/memory"]


def test_container_limit_is_the_containers_own(podman_v1_container):
    proc_dir, rootfs = podman_v1_container
    facts = cgroups.read_cgroup(proc_dir, rootfs)
    assert facts["version"] == "hybrid"
    assert facts["path"] == "/"
    assert facts["limit_mb"] == 1024
    assert facts["limit_cgroup"] == "/"
    assert facts["usage_mb"] == 212
    assert facts["swap_limit_mb"] == 512  # memsw 1536 MiB - memory 1024 MiB
    assert facts["oom_kill"] == 1


def test_limited_units_inside_container(podman_v1_container):
    proc_dir, rootfs = podman_v1_container
    facts = cgroups.read_cgroup(proc_dir, rootfs)
    assert facts["limited"] == [{
        "cgroup": "/system.slice/headroom-oomtest-x.service", "unit": "headroom-oomtest-x.service",
        "limit_mb": 48, "runtime": None, "container_id": None, "usage_mb": 47, "working_set_mb": 47,
        "peak_mb": None, "pressure": None, "high_mb": None, "swap_limit_mb": None, "oom_kill": 1}]
    assert facts["unlimited_containers"] == []


def test_limit_is_inherited_from_an_ancestor(podman_v1_container, tmp_path):
    proc_dir, rootfs = podman_v1_container
    write(tmp_path, {"proc/self/cgroup": "4:memory:/user.slice/user-1000.slice/session-c1.scope\n0::/x\n"})
    facts = cgroups.read_cgroup(proc_dir, rootfs)
    assert facts["path"] == "/user.slice/user-1000.slice/session-c1.scope"
    assert facts["limit_mb"] == 1024 and facts["limit_cgroup"] == "/"


def test_smallest_limit_on_the_way_up_wins(podman_v1_container, tmp_path):
    proc_dir, rootfs = podman_v1_container
    write(tmp_path, {"proc/self/cgroup": "4:memory:/system.slice/headroom-oomtest-x.service\n"})
    facts = cgroups.read_cgroup(proc_dir, rootfs)
    assert facts["limit_mb"] == 48
    assert facts["limit_cgroup"] == "/system.slice/headroom-oomtest-x.service"
    assert facts["usage_mb"] == 47
    assert facts["swap_limit_mb"] is None  # memsw unlimited: no swap limit of its own


def test_v1_host_unlimited_with_containers(tmp_path):
    files = {}
    files.update(v1_cgroup("/", usage=5000 * MIB))
    files.update(v1_cgroup("/system.slice", usage=900 * MIB))
    files.update(v1_cgroup("/system.slice/postgresql.service", limit=2048 * MIB, usage=1630 * MIB))
    files.update(v1_cgroup("/system.slice/docker-%s.scope" % DOCKER, usage=300 * MIB))
    files.update(v1_cgroup("/docker/%s" % DOCKER.replace("b", "d"), limit=512 * MIB, usage=100 * MIB))
    files.update(v1_cgroup("/libpod_parent/%s" % PODMAN, usage=70 * MIB))
    files.update(v1_cgroup("/libpod_parent/%s/system.slice/svc.service" % PODMAN, limit=120 * MIB, usage=2 * MIB))
    files.update(v1_cgroup("/libpod_parent/conmon", usage=1 * MIB))
    files.update(v1_cgroup("/kubepods/besteffort/pod1234-5678/%s" % CRI, usage=10 * MIB))
    write(tmp_path, files)
    proc_dir = proc(tmp_path, V1_ONLY_MOUNTINFO, "5:memory:/user.slice\n1:name=systemd:/user.slice\n")
    facts = cgroups.read_cgroup(proc_dir, str(tmp_path))
    assert facts["version"] == "1"
    # /user.slice does not exist in this tree: fall back to the top, which is unlimited
    assert facts["limit_mb"] is None and facts["limit_cgroup"] is None
    assert facts["usage_mb"] == 5000
    assert [(e["cgroup"], e["unit"], e["limit_mb"], e["usage_mb"]) for e in facts["limited"]] == [
        ("/docker/" + "d" * 64, "d" * 64, 512, 100),
        ("/libpod_parent/%s/system.slice/svc.service" % PODMAN, "svc.service", 120, 2),
        ("/system.slice/postgresql.service", "postgresql.service", 2048, 1630),
    ]
    assert facts["unlimited_containers"] == [
        {"cgroup": "/kubepods/besteffort/pod1234-5678/" + CRI, "runtime": "kubepods", "id": CRI},
        {"cgroup": "/libpod_parent/" + PODMAN, "runtime": "podman", "id": "a" * 64},
        {"cgroup": "/system.slice/docker-%s.scope" % DOCKER, "runtime": "docker", "id": DOCKER},
    ]
    # a limited container's entry names it too; a service's has no runtime or id
    by_unit = dict((e["unit"], e) for e in facts["limited"])
    assert (by_unit["d" * 64]["runtime"], by_unit["d" * 64]["container_id"]) == ("docker", "d" * 64)
    assert (by_unit["svc.service"]["runtime"], by_unit["svc.service"]["container_id"]) == (None, None)


def test_v2_host_with_memory_max(tmp_path):
    files = {"sys/fs/cgroup/cgroup.controllers": "cpuset cpu io memory hugetlb pids rdma misc\n"}
    files.update(v2_cgroup("/", usage=3000 * MIB))
    files.update(v2_cgroup("/system.slice", usage=800 * MIB))
    files.update(v2_cgroup("/system.slice/myapp.service", limit=str(256 * MIB), usage=250 * MIB, oom_kill=4,
                           swap=str(64 * MIB)))
    files.update(v2_cgroup("/system.slice/cri-containerd-%s.scope" % CRI, usage=40 * MIB))
    files.update(v2_cgroup("/user.slice/user-1000.slice/session-2.scope", usage=20 * MIB))
    write(tmp_path, files)
    proc_dir = proc(tmp_path, V2_MOUNTINFO, "0::/system.slice/myapp.service\n")
    facts = cgroups.read_cgroup(proc_dir, str(tmp_path))
    assert facts["version"] == "2"
    assert (facts["limit_mb"], facts["usage_mb"], facts["swap_limit_mb"], facts["oom_kill"]) == (256, 250, 64, 4)
    assert facts["limit_cgroup"] == "/system.slice/myapp.service"
    assert [e["unit"] for e in facts["limited"]] == ["myapp.service"]
    assert facts["unlimited_containers"] == [
        {"cgroup": "/system.slice/cri-containerd-%s.scope" % CRI, "runtime": "containerd", "id": CRI}]


def test_v2_units_carry_high_swap_limit_and_oom_kills(tmp_path):
    """memory.max, memory.high, memory.swap.max and memory.events' oom_kill of each unit, each its own."""
    files = {"sys/fs/cgroup/cgroup.controllers": "memory pids\n"}
    files.update(v2_cgroup("/", usage=3000 * MIB))
    files.update(v2_cgroup("/system.slice", usage=800 * MIB))
    files.update(v2_cgroup("/system.slice/capped.service", limit=str(96 * MIB), high=str(80 * MIB), swap="0",
                           usage=10 * MIB, oom_kill=2))
    files.update(v2_cgroup("/system.slice/free.service", usage=5 * MIB))
    write(tmp_path, files)
    facts = cgroups.read_cgroup(proc(tmp_path, V2_MOUNTINFO, "0::/init.scope\n"), str(tmp_path))
    by_unit = dict((u["unit"], u) for u in facts["units"])
    capped, free = by_unit["capped.service"], by_unit["free.service"]
    assert (capped["limit_mb"], capped["high_mb"], capped["swap_limit_mb"], capped["oom_kill"]) == (96, 80, 0, 2)
    assert (free["limit_mb"], free["high_mb"], free["swap_limit_mb"], free["oom_kill"]) == (None, None, None, 0)
    assert facts["limited"] == [by_unit["capped.service"]]


def test_v2_unlimited_session(tmp_path):
    files = {"sys/fs/cgroup/cgroup.controllers": "memory pids\n"}
    files.update(v2_cgroup("/", usage=3000 * MIB, oom_kill=2))
    files.update(v2_cgroup("/user.slice/user-1000.slice/session-2.scope", usage=20 * MIB))
    write(tmp_path, files)
    proc_dir = proc(tmp_path, V2_MOUNTINFO, "0::/user.slice/user-1000.slice/session-2.scope\n")
    facts = cgroups.read_cgroup(proc_dir, str(tmp_path))
    assert facts["limit_mb"] is None and facts["swap_limit_mb"] is None
    assert facts["usage_mb"] == 20  # the module's own cgroup when nothing limits it
    assert facts["oom_kill"] == 0


def test_docker_v1_without_cgroupns_strips_the_mount_root(tmp_path):
    cid = "e" * 64
    mountinfo = "35 31 0:32 /docker/%s /sys/fs/cgroup/memory ro - cgroup cgroup rw,memory\n" % cid
    files = v1_cgroup("/", limit=768 * MIB, usage=100 * MIB)
    write(tmp_path, files)
    proc_dir = proc(tmp_path, mountinfo, "4:memory:/docker/%s\n" % cid)
    facts = cgroups.read_cgroup(proc_dir, str(tmp_path))
    assert facts["path"] == "/docker/" + cid
    assert facts["limit_mb"] == 768
    assert facts["limit_cgroup"] == "/docker/" + cid


def test_no_cgroup_filesystem_gives_nulls(tmp_path):
    proc_dir = proc(tmp_path, "22 1 259:1 / / rw - ext4 /dev/root rw\n", "")
    facts = cgroups.read_cgroup(proc_dir, str(tmp_path))
    assert facts["version"] is None
    assert facts["limit_mb"] is None and facts["usage_mb"] is None
    assert facts["limited"] == [] and facts["unlimited_containers"] == []


def test_nothing_readable_at_all(tmp_path):
    facts = cgroups.read_cgroup(str(tmp_path / "proc"), str(tmp_path))
    assert facts["version"] is None and facts["path"] is None and facts["limited"] == []


@pytest.mark.parametrize("value, expected", [
    (V1_UNLIMITED, None), ("9223372036854710272", None),  # 64 KiB pages print a slightly smaller sentinel
    (str(48 * MIB), 48 * MIB), ("garbage", None),
])
def test_v1_limit_values(tmp_path, value, expected):
    (tmp_path / "memory.limit_in_bytes").write_text(value + "\n")
    assert cgroups.read_limit(str(tmp_path), "1") == expected


def test_unreadable_limit_is_null(tmp_path):
    (tmp_path / "memory.max").mkdir()  # open() fails
    assert cgroups.read_limit(str(tmp_path), "2") is None


# the same naming as the OOM events' unit (oom_units.unit_from_cgroup), so limits and kills line up
@pytest.mark.parametrize("path, unit", [
    ("/system.slice/nginx.service", "nginx.service"),
    ("/../../init.scope", "init.scope"),
    ("/libpod_parent/%s/system.slice/hog.service" % PODMAN, "hog.service"),
    ("/libpod_parent/" + PODMAN, "a" * 64),
    ("/docker/" + DOCKER, DOCKER),
    ("/system.slice/docker-%s.scope" % DOCKER, DOCKER),  # the container id, as OOM events name it
    ("/kubepods/burstable/pod0f2e-11/" + CRI, CRI),
    ("/user.slice/user-1000.slice/session-3.scope", "session-3.scope"),
    ("/", None),
    ("/process_api/d9f7f7643c2d96aec1fcb4b86f1f77d5", None),
])
def test_unit_from_cgroup(path, unit):
    assert cgroups.unit_from_cgroup(path) == unit
    assert procs.unit_from_cgroup(path) == unit


def test_proc_cgroup_parsing_uses_real_pid1_of_a_container():
    with open(os.path.join(FIXTURES, "podman-v1-container", "pid1-cgroup")) as f:
        controllers = cgroups.parse_proc_cgroup(f.read())
    assert controllers["memory"] == "/init.scope"
    assert controllers["name=systemd"] == "/../../init.scope"
    assert controllers[""] == "/init.scope"
    assert controllers["cpuacct"] == "/"


PSI = "some avg10=0.00 avg60=%s avg300=0.00 total=1200\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=300\n"


def test_units_carry_their_own_counters_inside_a_v1_container(podman_v1_container, tmp_path):
    """Every service cgroup, limited or not, with its working set: usage minus total_inactive_file."""
    proc_dir, rootfs = podman_v1_container
    files = v1_cgroup("/system.slice/postgresql.service", usage=900 * MIB)
    files["sys/fs/cgroup/memory/system.slice/postgresql.service/memory.stat"] = (
        "cache 400000000\ninactive_file 1\ntotal_inactive_file %d\ntotal_active_file 5\n" % (290 * MIB))
    files["run/systemd/container"] = "podman\n"
    write(tmp_path, files)
    facts = cgroups.read_cgroup(proc_dir, rootfs)
    assert facts["container"] == "podman"
    by_unit = dict((u["unit"], u) for u in facts["units"])
    assert sorted(by_unit) == ["headroom-oomtest-x.service", "postgresql.service"]
    pg = by_unit["postgresql.service"]
    assert (pg["limit_mb"], pg["usage_mb"], pg["working_set_mb"], pg["pressure"]) == (None, 900, 610, None)
    assert by_unit["headroom-oomtest-x.service"]["limit_mb"] == 48
    # v1: no cgroup pressure for the container itself either: the caller must not use /proc/pressure as its own
    assert facts["pressure"] is None and facts["working_set_mb"] == 212


def test_v2_container_reads_its_own_pressure_and_working_set(tmp_path):
    files = {"sys/fs/cgroup/cgroup.controllers": "memory pids\n", ".dockerenv": ""}
    files.update(v2_cgroup("/", usage=500 * MIB))  # the container's cgroup, the top of its private namespace
    files["sys/fs/cgroup/memory.max"] = "%d\n" % (1024 * MIB)
    files["sys/fs/cgroup/memory.pressure"] = PSI % "0.00"
    files["sys/fs/cgroup/memory.stat"] = "anon 1\nfile 2\ninactive_file %d\n" % (100 * MIB)
    files.update(v2_cgroup("/system.slice/app.service", usage=300 * MIB))
    files["sys/fs/cgroup/system.slice/app.service/memory.pressure"] = PSI % "12.50"
    write(tmp_path, files)
    proc_dir = proc(tmp_path, V2_MOUNTINFO, "0::/\n")
    facts = cgroups.read_cgroup(proc_dir, str(tmp_path))
    assert facts["container"] == "docker"
    assert facts["limit_mb"] == 1024 and facts["working_set_mb"] == 400
    assert facts["pressure"]["some"]["avg60"] == 0.0
    [app] = facts["units"]
    assert app["unit"] == "app.service" and app["pressure"]["some"]["avg60"] == 12.5
    assert app["working_set_mb"] == 300  # no memory.stat: nothing known to be reclaimable


def test_a_machine_of_its_own_has_no_container_and_bad_markers_are_ignored(tmp_path):
    assert cgroups.in_container(str(tmp_path)) is None
    write(tmp_path, {"run/systemd/container": "lxc\n"})
    assert cgroups.in_container(str(tmp_path)) == "lxc"
    write(tmp_path, {"run/systemd/container": "$(evil)\n"})
    assert cgroups.in_container(str(tmp_path)) is None


def test_the_real_root_cgroups_pressure_is_not_taken_as_the_hosts_own(tmp_path):
    files = {"sys/fs/cgroup/cgroup.controllers": "memory pids\n"}
    files.update(v2_cgroup("/", usage=3000 * MIB))
    files["sys/fs/cgroup/memory.pressure"] = PSI % "30.00"  # the machine's, as /proc/pressure/memory
    files.update(v2_cgroup("/user.slice/user-1000.slice/session-2.scope", usage=20 * MIB))
    write(tmp_path, files)
    proc_dir = proc(tmp_path, V2_MOUNTINFO, "0::/user.slice/user-1000.slice/session-2.scope\n")
    assert cgroups.read_cgroup(proc_dir, str(tmp_path))["pressure"] is None
