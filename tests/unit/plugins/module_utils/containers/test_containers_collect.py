# -*- coding: utf-8 -*-
"""containers.collect and memory_facts' containers subset: engines joined to the cgroup scan (v1 and v2),
cgroup-only containers, and the cheap path that starts no CLI."""

import json
import os

from ansible_collections.headroom.memory.plugins.module_utils import cgroups
from ansible_collections.headroom.memory.plugins.module_utils.containers import collect
from ansible_collections.headroom.memory.plugins.modules import memory_facts

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
MIB = 1024 * 1024
WEB, LEAKY, REDIS, CRI = "1" * 64, "2" * 64, "3" * 64, "c" * 64
PROBE = "e4306f9d39bc83cefec785578b7a116bfc114f4443d9e8c4b8fd3ef69551f32f"
EXITED = "eba2483291eb7af7c3666743838e79e10501718359c8527d4848d652d5ddd1f1"
V1_UNLIMITED = "9223372036854771712"
V2_MOUNTINFO = "30 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n"
V1_MOUNTINFO = "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"


def write(root, files):
    for rel, content in files.items():
        full = os.path.join(str(root), rel)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as f:
            f.write(content)


def v2(path, limit="max", usage=0, peak=None, oom_kill=0, high="max", swap="max", inactive=0):
    base = "sys/fs/cgroup/" + path.strip("/") + "/"
    files = {base + "memory.max": "%s\n" % limit, base + "memory.high": "%s\n" % high,
             base + "memory.swap.max": "%s\n" % swap, base + "memory.current": "%d\n" % usage,
             base + "memory.stat": "anon 0\ninactive_file %d\n" % inactive,
             base + "memory.events": "low 0\nhigh 0\nmax 0\noom 0\noom_kill %d\n" % oom_kill}
    if peak is not None:
        files[base + "memory.peak"] = "%d\n" % peak
    return files


def v1(path, limit=V1_UNLIMITED, usage=0, peak=0, oom_kill=0, memsw=V1_UNLIMITED):
    base = "sys/fs/cgroup/memory/" + path.strip("/") + "/"
    return {base + "memory.limit_in_bytes": "%s\n" % limit, base + "memory.usage_in_bytes": "%d\n" % usage,
            base + "memory.max_usage_in_bytes": "%d\n" % peak, base + "memory.memsw.limit_in_bytes": "%s\n" % memsw,
            base + "memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill %d\n" % oom_kill}


def units_of(root, mountinfo):
    mounts = cgroups.cgroup_mounts(mountinfo)
    units = []
    cgroups.scan_hierarchy(mounts, str(root), units=units)
    return units


class Cli(object):
    """run_command of an engine whose ps lists ``ids`` and whose inspect prints ``fixture``."""

    def __init__(self, ids, fixture):
        self.ids, self.fixture, self.calls = ids, fixture, []

    def __call__(self, args, environ_update=None, **kwargs):
        self.calls.append(args)
        if "ps" in args:
            return 0, "".join(i + "\n" for i in self.ids), ""
        if "inspect" in args:
            with open(os.path.join(FIXTURES, self.fixture)) as f:
                return 0, f.read(), ""
        return 0, "26.1.5\n", ""


def no_cli(*args, **kwargs):
    raise AssertionError("no engine CLI may be started: %r" % (args,))


def only(*engines):
    return lambda name: "/usr/bin/" + name if name in engines else None


def v2_host(tmp_path):
    files = {"sys/fs/cgroup/cgroup.controllers": "memory pids\n"}
    files.update(v2("system.slice/docker-%s.scope" % WEB, limit=str(512 * MIB), usage=300 * MIB, peak=500 * MIB,
                    oom_kill=2, high=str(480 * MIB), swap=str(512 * MIB), inactive=100 * MIB))
    files.update(v2("system.slice/nginx.service", usage=20 * MIB))
    files.update(v2("kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod12.slice/cri-containerd-%s.scope"
                    % CRI, usage=700 * MIB, peak=900 * MIB))
    write(tmp_path, files)
    write(tmp_path, {"run/docker.sock": ""})
    return units_of(tmp_path, V2_MOUNTINFO)


def test_docker_on_cgroup_v2_joined_by_id_and_kubepods_cgroup_only(tmp_path):
    units = v2_host(tmp_path)
    cli = Cli([WEB, LEAKY], "docker-26-inspect.json")
    facts = collect.read_containers(units, cli, str(tmp_path), which=only("docker"), environ={}, euid=0)
    assert facts["engines"] == {"docker": {"cli": "/usr/bin/docker", "version": "26.1.5", "error": None,
                                           "containers": 2, "skipped": None}}
    assert facts["total"] == 3
    kube, web, leaky = facts["list"]  # biggest first; the exited container (no use) last
    assert web == {
        "name": "shop-web-1", "id": WEB, "runtime": "docker", "image": "nginx:1.25", "state": "running",
        "cgroup": "/system.slice/docker-%s.scope" % WEB, "limit_mb": 512, "high_mb": 480, "swap_limit_mb": 512,
        "usage_mb": 300, "working_set_mb": 200, "peak_mb": 500, "oom_kill": 2, "engine_memory_mb": 512,
        "engine_memory_swap_mb": 1024, "engine_reservation_mb": 256, "oom_killed": False, "restart_count": 0,
        "source": dict(web["source"], kind="compose")}
    assert web["source"]["compose_project"] == "shop" and web["source"]["compose_service"] == "web"
    assert (leaky["cgroup"], leaky["usage_mb"], leaky["oom_killed"], leaky["engine_memory_swap_mb"]) == (
        None, None, True, -1)
    assert (kube["id"], kube["runtime"], kube["name"], kube["image"], kube["state"]) == (
        CRI, "kubepods", None, None, None)
    assert (kube["usage_mb"], kube["peak_mb"], kube["limit_mb"], kube["source"]["kind"]) == (700, 900, None,
                                                                                             "kubernetes")
    assert set(kube) == set(web)
    assert "hunter2" not in json.dumps(facts)


def test_podman_on_cgroup_v1_joined_with_limit_swap_and_peak(tmp_path):
    files = v1("/", usage=3000 * MIB)
    files.update(v1("libpod_parent/libpod-" + PROBE, limit=64 * MIB, usage=3 * MIB, peak=4 * MIB, oom_kill=1,
                    memsw=128 * MIB))
    files.update(v1("libpod_parent/conmon", usage=MIB))
    files.update(v1("docker/" + REDIS, usage=50 * MIB, peak=60 * MIB))  # docker without a socket: cgroup only
    write(tmp_path, files)
    units = units_of(tmp_path, V1_MOUNTINFO)
    cli = Cli([PROBE, EXITED], "podman-4.3-inspect.json")
    facts = collect.read_containers(units, cli, str(tmp_path), which=only("docker", "podman"), environ={}, euid=0)
    assert facts["engines"]["docker"]["skipped"] == "no docker daemon socket"
    assert facts["engines"]["podman"]["version"] == "26.1.5" and facts["total"] == 3
    redis, probe, exited = facts["list"]
    assert (probe["cgroup"], probe["limit_mb"], probe["swap_limit_mb"], probe["usage_mb"], probe["peak_mb"],
            probe["oom_kill"], probe["high_mb"]) == ("/libpod_parent/libpod-" + PROBE, 64, 64, 3, 4, 1, None)
    assert (probe["engine_memory_mb"], probe["engine_memory_swap_mb"]) == (64, 128)
    assert exited["state"] == "exited" and exited["cgroup"] is None
    assert (redis["runtime"], redis["name"], redis["peak_mb"], redis["source"]["kind"]) == (
        "docker", None, 60, "unknown")
    assert all("docker" not in call for call in cli.calls)


def test_podman_joined_by_its_cgroup_path_when_the_id_is_not_in_the_name(tmp_path):
    units = [{"cgroup": "/libpod_parent/libpod-" + PROBE, "container_id": "a" * 64, "runtime": "podman",
              "limit_mb": 64, "usage_mb": 3}]
    cli = Cli([PROBE], "podman-4.3-inspect.json")
    facts = collect.read_containers(units, cli, str(tmp_path), which=only("podman"), environ={}, euid=0)
    assert [(e["id"], e["limit_mb"]) for e in facts["list"]] == [(PROBE, 64), (EXITED, None)]


def test_nothing_to_ask_starts_no_cli(tmp_path):
    """docker without a socket, podman with empty storage and no libpod cgroup: run_command is not called."""
    write(tmp_path, {"var/lib/containers/storage/overlay-containers/containers.json": "[]"})
    files = {"sys/fs/cgroup/cgroup.controllers": "memory\n"}
    files.update(v2("system.slice/nginx.service", usage=20 * MIB))
    write(tmp_path, files)
    units = units_of(tmp_path, V2_MOUNTINFO)
    facts = collect.read_containers(units, no_cli, str(tmp_path), which=only("docker", "podman"), environ={}, euid=0)
    assert facts == {"engines": {
        "docker": {"cli": "/usr/bin/docker", "version": None, "error": None, "containers": 0,
                   "skipped": "no docker daemon socket"},
        "podman": {"cli": "/usr/bin/podman", "version": None, "error": None, "containers": 0,
                   "skipped": "no podman container in storage or cgroups"}}, "list": [], "total": 0}


def test_no_engine_installed(tmp_path):
    units = v2_host(tmp_path)
    facts = collect.read_containers(units, no_cli, str(tmp_path), which=only(), environ={}, euid=0)
    assert facts["engines"] == {} and [e["id"] for e in facts["list"]] == [CRI, WEB]
    assert facts["list"][1]["runtime"] == "docker" and facts["list"][1]["limit_mb"] == 512


def test_the_same_container_from_two_clis_is_listed_once(tmp_path):
    """podman's docker shim (or podman.socket's /run/docker.sock) shows podman's containers to docker too."""
    write(tmp_path, {"run/docker.sock": "",
                     "var/lib/containers/storage/overlay-containers/containers.json": '[{"id": "x"}]'})
    cli = Cli([PROBE, EXITED], "podman-4.3-inspect.json")
    facts = collect.read_containers([], cli, str(tmp_path), which=only("docker", "podman"), environ={}, euid=0)
    assert facts["total"] == 2 and sorted(e["id"][:4] for e in facts["list"]) == ["e430", "eba2"]
    assert facts["engines"]["docker"]["containers"] == facts["engines"]["podman"]["containers"] == 2


def test_the_list_is_capped_and_total_says_how_many(tmp_path, monkeypatch):
    monkeypatch.setattr(collect, "MAX_LIST", 1)
    units = v2_host(tmp_path)
    facts = collect.read_containers(units, Cli([WEB, LEAKY], "docker-26-inspect.json"), str(tmp_path),
                                    which=only("docker"), environ={}, euid=0)
    assert facts["total"] == 3 and [e["id"] for e in facts["list"]] == [CRI]


def test_gather_returns_the_containers_subset_from_one_cgroup_scan(tmp_path, monkeypatch):
    v2_host(tmp_path)
    write(tmp_path, {"proc/self/mountinfo": V2_MOUNTINFO, "proc/self/cgroup": "0::/init.scope\n"})
    monkeypatch.setattr(collect, "_which", only("docker"))
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.delenv("CONTAINERS_STORAGE_CONF", raising=False)
    cli = Cli([WEB, LEAKY], "docker-26-inspect.json")
    proc, root = str(tmp_path / "proc"), str(tmp_path)
    facts = memory_facts.gather({"containers"}, {}, proc=proc, rootfs=root, run_command=cli)
    assert set(facts) == {"containers"} and facts["containers"]["total"] == 3
    both = memory_facts.gather({"cgroup", "containers"}, {}, proc=proc, rootfs=root, run_command=cli)
    assert both["containers"] == facts["containers"]
    # cgroup.unlimited_containers (diagnose reads it) keeps its shape and names the container's id
    assert both["cgroup"]["unlimited_containers"] == [
        {"cgroup": "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod12.slice/cri-containerd-%s.scope"
                   % CRI, "runtime": "kubepods", "id": CRI}]
    web = [u for u in both["cgroup"]["units"] if u["container_id"] == WEB][0]
    assert (web["runtime"], web["peak_mb"]) == ("docker", 500)
    nginx = [u for u in both["cgroup"]["units"] if u["unit"] == "nginx.service"][0]
    assert (nginx["runtime"], nginx["container_id"], nginx["peak_mb"]) == (None, None, None)  # no memory.peak
    # without a run_command (or without the subset) no engine is asked
    assert memory_facts.gather({"containers"}, {}, proc=proc, rootfs=root)["containers"]["engines"]["docker"][
        "containers"] == 0
    assert "containers" not in memory_facts.gather({"cgroup"}, {}, proc=proc, rootfs=root)
