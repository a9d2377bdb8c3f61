# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.headroom.memory.plugins.plugin_utils.containers.limits import EditError, check_limits
from ansible_collections.headroom.memory.plugins.plugin_utils.containers.plan import file_plan, safe_path

LIMITS = {"memory": "512M", "memory_swap": "1G"}
ID = "a" * 64


def container(kind, runtime="docker", name="web-1", **source):
    source["kind"] = kind
    return {"name": name, "id": ID, "runtime": runtime, "source": source}


def test_compose_with_one_file():
    plan = file_plan(container("compose", compose_service="web", compose_files=["/srv/shop/docker-compose.yml"]),
                     LIMITS)
    assert plan == {"kind": "compose", "path": "/srv/shop/docker-compose.yml", "service": "web", "warning": None}


def test_compose_with_override_files_chooses_none_and_says_so():
    plan = file_plan(container("compose", compose_service="web", compose_files=["/srv/a.yml", "/srv/b.yml"]), LIMITS)
    assert plan["kind"] == "none" and plan["path"] is None and plan["service"] == "web"
    assert "service web is defined by 2 Compose files (/srv/a.yml, /srv/b.yml)" in plan["warning"]
    assert "add mem_limit: 512m" in plan["warning"]


@pytest.mark.parametrize("files", [["relative.yml"], ["/srv/../etc/shadow"], ["/srv//x.yml"], ["/srv/x\n.yml"],
                                   [None], [], "/srv/x.yml", ["/" + "a" * 5000]])
def test_compose_paths_from_labels_are_checked(files):
    plan = file_plan(container("compose", compose_service="web", compose_files=files), LIMITS)
    assert plan["kind"] == "none" and plan["path"] is None
    assert "not named by an absolute, normalised path" in plan["warning"]


def test_compose_bad_service_name():
    plan = file_plan(container("compose", compose_service="web;id", compose_files=["/srv/x.yml"]), LIMITS)
    assert plan["kind"] == "none" and "service name is missing or not a valid name" in plan["warning"]


def test_quadlet():
    plan = file_plan(container("quadlet", runtime="podman", systemd_unit="web.service",
                               quadlet_file="/etc/containers/systemd/web.container"), LIMITS)
    assert plan == {"kind": "quadlet", "path": "/etc/containers/systemd/web.container", "service": None,
                    "warning": None}
    bad = file_plan(container("quadlet", runtime="podman", quadlet_file="/etc/passwd"), LIMITS)
    assert bad["kind"] == "none" and "add PodmanArgs=--memory=512m --memory-swap=1g" in bad["warning"]


def test_bare_run_warns_with_the_flags_to_add():
    plan = file_plan(container("run", runtime="podman", name="cache"), {"memory": "256M", "memory_reservation": "128M"})
    assert plan["kind"] == "none" and plan["path"] is None
    assert plan["warning"] == ("container cache: the limit set live is lost when the container is re-created; it was "
                               "started by a bare `podman run` (or its origin is unknown): add --memory=256m "
                               "--memory-reservation=128m to the command that starts it")


def test_generated_systemd_unit_and_kubernetes_and_other_runtimes():
    plan = file_plan(container("systemd", runtime="podman", systemd_unit="container-web.service"), LIMITS)
    assert "container-web.service (podman generate systemd)" in plan["warning"] and plan["kind"] == "none"
    plan = file_plan(container("kubernetes", runtime="containerd", name=None), LIMITS)
    assert plan["warning"].startswith("container %s belongs to a Kubernetes pod" % ID[:12])
    plan = file_plan(container("unknown", runtime="cri-o"), LIMITS)
    assert "is run by cri-o, not docker or podman" in plan["warning"]


def test_hostile_names_are_not_echoed():
    plan = file_plan({"name": "x\x1b[31m", "id": "zz", "runtime": "docker", "source": {"kind": "run"}}, LIMITS)
    assert "\x1b" not in plan["warning"] and plan["warning"].startswith("container (unnamed container)")
    plan = file_plan(container("systemd", runtime="podman", systemd_unit="a b.service"), LIMITS)
    assert "a b.service" not in plan["warning"]


def test_bad_input_raises():
    with pytest.raises(EditError, match="entry of the containers facts"):
        file_plan(["web"], LIMITS)
    with pytest.raises(EditError, match="memory is required"):
        file_plan(container("run"), {})


@pytest.mark.parametrize("path,ok", [("/a/b", True), ("/", True), ("a", False), ("/a/", False), ("/a/./b", False),
                                     (3, False), ("/a\x00", False)])
def test_safe_path(path, ok):
    assert (safe_path(path) == path) is ok


def test_check_limits():
    assert check_limits({"memory": "1G", "memory_swap": -1}) == {"memory": 1024 ** 3, "memory_swap": -1,
                                                                 "memory_reservation": None}
    with pytest.raises(EditError, match="must be a mapping"):
        check_limits("1G")
    with pytest.raises(EditError, match="memory_swap"):
        check_limits({"memory": "1G", "memory_swap": True})
