# -*- coding: utf-8 -*-
"""containers.parse: inspect entries of docker and podman, their source, and hostile labels nulled."""

import json
import os

import pytest

from ansible_collections.headroom.memory.plugins.module_utils.containers import parse

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
PROBE = "e4306f9d39bc83cefec785578b7a116bfc114f4443d9e8c4b8fd3ef69551f32f"


def load(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return json.load(f)


def container(labels=None, **fields):
    item = {"Id": "f" * 64, "Name": "/app", "State": {"Status": "running", "Pid": 10, "OOMKilled": False},
            "RestartCount": 0, "HostConfig": {"Memory": 0}, "Config": {"Image": "app:1", "Labels": labels}}
    item.update(fields)
    return item


def test_podman_43_inspect_of_a_real_container():
    """The trimmed output of `podman container inspect` (podman 4.3.1, cgroupfs, cgroup v1) of a probe
    started with --memory 64m --memory-swap 128m --memory-reservation 32m and Compose and systemd labels."""
    probe, exited = [parse.parse_inspect(item, "podman") for item in load("podman-4.3-inspect.json")]
    assert probe["id"] == PROBE and probe["name"].startswith("cfacts-probe-")
    assert (probe["runtime"], probe["image"], probe["state"]) == (
        "podman", "localhost/headroom-debian:bookworm-r3", "running")
    assert (probe["engine_memory_mb"], probe["engine_memory_swap_mb"], probe["engine_reservation_mb"]) == (64, 128, 32)
    assert (probe["oom_killed"], probe["restart_count"], probe["pid"]) == (False, 0, 19004)
    assert probe["cgroup_hint"] == "/libpod_parent/libpod-" + PROBE
    source = probe["source"]
    assert source["kind"] == "compose"  # the Compose labels win over the systemd unit label
    assert (source["compose_project"], source["compose_service"], source["compose_working_dir"]) == (
        "shop", "web", "/srv/shop")
    assert source["compose_files"] == ["/srv/shop/docker-compose.yml", "/srv/shop/override.yml"]
    assert source["systemd_unit"] == "web.service" and source["quadlet_file"] is None
    # Labels null, no limits, not running
    assert exited["state"] == "exited" and exited["pid"] is None and exited["source"] == parse.empty_source("run")
    assert (exited["engine_memory_mb"], exited["engine_memory_swap_mb"], exited["engine_reservation_mb"]) == (
        None, None, None)
    assert "hunter2" not in json.dumps([probe, exited]) and "sleep" not in json.dumps([probe, exited])


def test_docker_26_inspect_compose_and_bare_run():
    web, leaky = [parse.parse_inspect(item, "docker") for item in load("docker-26-inspect.json")]
    assert (web["name"], web["image"], web["state"]) == ("shop-web-1", "nginx:1.25", "running")  # '/' dropped
    assert (web["engine_memory_mb"], web["engine_memory_swap_mb"], web["engine_reservation_mb"]) == (512, 1024, 256)
    assert web["source"]["kind"] == "compose" and web["source"]["compose_files"] == ["/srv/shop/docker-compose.yml"]
    assert web["cgroup_hint"] is None  # docker has no State.CgroupPath: joined by id
    assert (leaky["name"], leaky["state"], leaky["oom_killed"], leaky["restart_count"]) == ("leaky", "exited", True, 3)
    assert leaky["engine_memory_swap_mb"] == -1  # MemorySwap -1: unlimited swap
    assert leaky["engine_reservation_mb"] is None and leaky["pid"] is None
    assert leaky["source"] == parse.empty_source("run")
    text = json.dumps([web, leaky])
    assert "hunter2" not in text and "s3cr3t" not in text and "10**10" not in text


def test_docker_20_10_kubernetes_container():
    (redis,) = [parse.parse_inspect(item, "docker") for item in load("docker-20.10-inspect.json")]
    assert redis["source"]["kind"] == "kubernetes"
    assert (redis["source"]["kube_namespace"], redis["source"]["kube_pod"], redis["source"]["kube_container"]) == (
        "shop", "cache-0", "redis")
    assert redis["image"].startswith("redis@sha256:") and redis["engine_memory_mb"] is None
    assert "s3cr3t" not in json.dumps(redis)


def test_quadlet_file_found_for_the_systemd_unit_label(tmp_path):
    for rel in ("etc/containers/systemd/web.container", "usr/share/containers/systemd/apps/worker@.container",
                "run/containers/systemd/db.kube", "usr/share/containers/systemd/web.container"):
        os.makedirs(os.path.dirname(str(tmp_path / rel)), exist_ok=True)
        (tmp_path / rel).write_text("[Container]\nImage=x\n")
    find = parse.quadlet_finder(str(tmp_path))
    assert find("web.service") == "/etc/containers/systemd/web.container"   # /etc before /usr/share
    assert find("worker@2.service") == "/usr/share/containers/systemd/apps/worker@.container"  # template, subdir
    assert find("db.service") == "/run/containers/systemd/db.kube"
    assert find("other.service") is None and find("web.socket") is None
    entry = parse.parse_inspect(container({"PODMAN_SYSTEMD_UNIT": "web.service"}), "podman", find)
    assert entry["source"]["kind"] == "quadlet"
    assert entry["source"]["quadlet_file"] == "/etc/containers/systemd/web.container"
    # `podman generate systemd` sets the same label, without a quadlet file
    entry = parse.parse_inspect(container({"PODMAN_SYSTEMD_UNIT": "other.service"}), "podman", find)
    assert (entry["source"]["kind"], entry["source"]["systemd_unit"], entry["source"]["quadlet_file"]) == (
        "systemd", "other.service", None)


def test_a_hostile_unit_label_is_never_looked_up():
    looked_up = []
    entry = parse.parse_inspect(container({"PODMAN_SYSTEMD_UNIT": "../../../etc/shadow.service"}), "podman",
                                looked_up.append)
    assert looked_up == [] and entry["source"]["systemd_unit"] is None
    assert entry["source"]["kind"] == "systemd"  # the label says so, its value is not shown


@pytest.mark.parametrize("label, value", [
    ("com.docker.compose.project", "Shop Project"),
    ("com.docker.compose.project", "shop\n- injected: yes"),
    ("com.docker.compose.service", "web\x1b[31m"),
    ("com.docker.compose.service", "w" * 300),
    ("com.docker.compose.project.working_dir", "srv/shop"),
    ("com.docker.compose.project.working_dir", "/srv/../etc"),
    ("com.docker.compose.project.working_dir", "/srv//shop"),
    ("com.docker.compose.project.working_dir", "/srv/shop/"),
    ("com.docker.compose.project.working_dir", "/srv/\u202eshop"),
    ("com.docker.compose.project.working_dir", ["/srv/shop"]),
    ("io.kubernetes.pod.namespace", "Kube-System"),
    ("io.kubernetes.pod.namespace", 42),
    ("io.kubernetes.container.name", "-redis"),
])
def test_hostile_labels_are_nulled(label, value):
    labels = {"com.docker.compose.project": "shop", "com.docker.compose.service": "web",
              "com.docker.compose.project.working_dir": "/srv/shop", "io.kubernetes.pod.namespace": "shop",
              "io.kubernetes.container.name": "redis"}
    labels[label] = value
    source = parse.source_of(labels)
    key = {"com.docker.compose.project": "compose_project", "com.docker.compose.service": "compose_service",
           "com.docker.compose.project.working_dir": "compose_working_dir",
           "io.kubernetes.pod.namespace": "kube_namespace", "io.kubernetes.container.name": "kube_container"}[label]
    assert source[key] is None
    others = dict((k, v) for k, v in source.items() if k != key and v and k != "kind")
    assert all(v in ("shop", "web", "/srv/shop", "redis") for v in others.values())


def test_compose_files_keep_only_valid_paths_and_at_most_16():
    value = "/a/docker-compose.yml, relative.yml,/b/../etc/passwd,/c/x\x00y.yml," + ",".join(
        "/d/%d.yml" % i for i in range(40))
    files = parse.compose_files(value)
    assert files[0] == "/a/docker-compose.yml" and len(files) <= parse.COMPOSE_FILES_MAX
    assert all(f.startswith(("/a/", "/d/")) for f in files)
    assert parse.compose_files("/x.yml" * 100000) == []  # an absurd label is dropped whole


@pytest.mark.parametrize("fields, key", [
    ({"Name": "/web\nEVIL"}, "name"),
    ({"Name": "/" + "n" * 300}, "name"),
    ({"Name": 7}, "name"),
    ({"Config": {"Image": "evil image:1"}}, "image"),
    ({"Config": {"Image": "x" * 600}}, "image"),
    ({"State": {"Status": "Running; rm -rf /"}}, "state"),
    ({"State": {"OOMKilled": "yes"}}, "oom_killed"),
    ({"RestartCount": True}, "restart_count"),
    ({"RestartCount": -1}, "restart_count"),
])
def test_hostile_inspect_fields_are_nulled(fields, key):
    entry = parse.parse_inspect(container(**fields), "docker")
    assert entry[key] is None and entry["id"] == "f" * 64


@pytest.mark.parametrize("item", [None, [], "x", {"Id": "F" * 64}, {"Id": "f" * 63}, {"Id": "../" + "f" * 61}])
def test_an_entry_without_a_valid_id_is_dropped(item):
    assert parse.parse_inspect(item, "docker") is None


@pytest.mark.parametrize("value, expected", [
    (0, None), (None, None), (-1, None), (True, None), ("512m", None), (536870912, 512), (1048575, 0)])
def test_engine_sizes(value, expected):
    assert parse.engine_mb(value) == expected


def test_memory_swap_minus_one_means_unlimited():
    assert parse.engine_mb(-1, minus_one=True) == -1 and parse.engine_mb(0, minus_one=True) is None


def test_the_quadlet_walk_is_bounded_in_depth_and_files(tmp_path, monkeypatch):
    base = tmp_path / "etc" / "containers" / "systemd"
    (base / "a" / "b" / "c" / "d").mkdir(parents=True)
    (base / "a" / "b" / "c" / "three.container").write_text("")
    (base / "a" / "b" / "c" / "d" / "four.container").write_text("")
    for i in range(20):
        (base / ("%02d.container" % i)).write_text("")
    find = parse.quadlet_finder(str(tmp_path))
    assert find("three.service") == "/etc/containers/systemd/a/b/c/three.container"
    assert find("four.service") is None  # deeper than QUADLET_DEPTH
    monkeypatch.setattr(parse, "QUADLET_MAX_FILES", 5)
    find = parse.quadlet_finder(str(tmp_path))
    assert find("00.service") == "/etc/containers/systemd/00.container"
    assert find("19.service") is None and find("three.service") is None  # past the first 5 entries
