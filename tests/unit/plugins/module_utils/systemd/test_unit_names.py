# -*- coding: utf-8 -*-
"""systemd/unit_names: the one list of unit types and the one container-id recogniser, as both of their
users (cgroups.container_of while scanning, unit_from_cgroup for OOM events) read them."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.headroom.memory.plugins.module_utils.cgroups import container_of
from ansible_collections.headroom.memory.plugins.module_utils.systemd.unit_names import (
    RESOURCE_SECTIONS, UNIT_SUFFIXES, container_match, resource_section, unit_from_cgroup, unit_name)

CID = "0123456789abcdef" * 4


@pytest.mark.parametrize("name, prefix", [
    ("libpod-%s" % CID, "libpod"), ("libpod-%s.scope" % CID, "libpod"), ("docker-%s.scope" % CID, "docker"),
    ("cri-containerd-%s.scope" % CID, "cri-containerd"), ("crio-%s" % CID, "crio"),
    ("libpod-conmon-%s" % CID, "libpod-conmon"), (CID, None), (CID + ".scope", None),
])
def test_container_match_reads_every_runtime_naming(name, prefix):
    assert container_match(name) == (prefix, CID)


@pytest.mark.parametrize("name", ["docker-%s.service" % CID, "docker-%s" % CID[:-1], "podman-%s" % CID,
                                  CID.upper(), "x" + CID, "", None])
def test_container_match_rejects_other_names(name):
    assert container_match(name) is None


@pytest.mark.parametrize("name, parent, expected", [
    ("docker-%s.scope" % CID, "system.slice", ("docker", CID)),
    ("libpod-%s.scope" % CID, "machine.slice", ("podman", CID)),
    ("cri-containerd-%s.scope" % CID, "kubepods-besteffort-pod1.slice", ("containerd", CID)),
    ("crio-%s.scope" % CID, "kubepods.slice", ("cri-o", CID)),
    ("libpod-conmon-%s.scope" % CID, "machine.slice", None),   # podman's monitor, not the container
    (CID, "docker", ("docker", CID)), (CID, "libpod_parent", ("podman", CID)), (CID, "lxc", ("podman", CID)),
    (CID, "pod6f1c-22", ("kubepods", CID)), (CID, "system.slice", None),  # a bare id elsewhere is not one
])
def test_container_of_adds_the_runtime_and_the_parent_rule(name, parent, expected):
    assert container_of(name, parent) == expected


def test_oom_events_and_the_scan_name_the_same_container():
    for name in ("docker-%s.scope" % CID, "libpod-%s" % CID, "crio-%s.scope" % CID):
        assert unit_from_cgroup("/x.slice/" + name) == container_of(name, "x.slice")[1]


@pytest.mark.parametrize("name, full", [("nginx", "nginx.service"), ("app.timer", "app.timer"),
                                        ("dev-sda.device", "dev-sda.device"), (" web ", "web.service")])
def test_unit_name_adds_service_only_without_a_unit_suffix(name, full):
    assert unit_name(name) == full


def test_resource_sections_are_the_unit_types_with_a_cgroup():
    assert set(RESOURCE_SECTIONS) < set(UNIT_SUFFIXES)
    assert resource_section("a.service") == "Service" and resource_section("b.slice") == "Slice"
    assert resource_section("c.timer") is None and resource_section("d.target") is None


@pytest.mark.parametrize("suffix", sorted(RESOURCE_SECTIONS))
def test_unit_from_cgroup_names_every_unit_type_with_a_cgroup(suffix):
    assert unit_from_cgroup("/system.slice/x" + suffix + "/payload") == "x" + suffix
