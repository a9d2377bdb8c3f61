# -*- coding: utf-8 -*-
"""The real OOM kill made by side_effect.yml, as memory_facts reported it (as root and as a non-root user)."""

import json

import pytest


def load(host, name):
    f = host.file("/tmp/%s.json" % name)
    assert f.exists, "side_effect.yml did not write /tmp/%s.json" % name
    return json.loads(f.content_string)


@pytest.fixture
def run(host):
    return load(host, "oomtest")


def our_events(facts, unit):
    return [e for e in facts["oom"]["events"] if e["unit"] == unit]


def test_systemd_applied_the_limit_and_the_hog_died_of_it(run):
    assert run["memory_max"] == str(48 * 1024 * 1024)
    assert run["active_state"] == "failed"
    assert run["result"] in ("oom-kill", "signal")  # cgroup v1 systemd reports signal, v2 oom-kill


def test_the_kernel_counter_rose(host, run):
    assert int(run["oom_kill_after"]) > int(run["oom_kill_before"])
    facts = load(host, "facts-root")
    assert facts["oom"]["kills_since_boot"] >= int(run["oom_kill_after"])
    assert facts["vmstat"]["oom_kill"] == facts["oom"]["kills_since_boot"]


def test_root_sees_the_kill_with_unit_scope_and_victim(host, run):
    facts = load(host, "facts-root")
    events = our_events(facts, run["unit"])
    assert len(events) == 1, [e["unit"] for e in facts["oom"]["events"]]
    event = events[0]
    assert event["killer"] == "kernel"
    assert event["scope"] == "memcg"
    assert event["constraint"] == "CONSTRAINT_MEMCG"
    assert event["complete"] is True
    assert event["victim"]["comm"] == "python3"
    assert event["victim"]["anon_rss_kb"] > 30 * 1024
    assert event["oom_memcg"].endswith("/system.slice/" + run["unit"])
    assert event["time"] is not None
    assert facts["oom"]["counts"]["by_unit"][run["unit"]] == 1
    assert "kmsg" in event["sources"]


def test_root_reads_the_ring_buffer(host):
    sources = {s["name"]: s for s in load(host, "facts-root")["oom"]["sources"]}
    assert sources["kmsg"]["status"] == "read" and sources["kmsg"]["lines"] > 0


def test_non_root_run_succeeds_and_reports_kmsg_denied(host, run):
    facts = load(host, "facts-user")
    sources = {s["name"]: s for s in facts["oom"]["sources"]}
    assert sources["kmsg"]["status"] == "denied"  # kernel.dmesg_restrict=1
    assert facts["memory"]["total_mb"] > 0
    assert facts["sysctl"]["kernel.dmesg_restrict"] == 1
    assert facts["cgroup"]["limit_mb"] == load(host, "facts-root")["cgroup"]["limit_mb"]


def test_non_root_run_reports_the_journal_denied(host, run):
    # the user is in neither adm nor systemd-journal: journalctl opens no file ("insufficient permissions")
    sources = {s["name"]: s for s in load(host, "facts-user")["oom"]["sources"]}
    assert sources["journal"]["status"] == "denied", sources["journal"]


def test_container_limit_is_the_cgroup_limit(host, run):
    facts = load(host, "facts-root")
    limit_bytes = int(host.file("/sys/fs/cgroup/memory/memory.limit_in_bytes").content_string)
    expected = run["expected_limit_mb"]
    if expected in (None, "None", ""):
        assert limit_bytes >= 2 ** 62  # no podman --memory on this platform
        assert facts["cgroup"]["limit_mb"] is None
    else:
        assert limit_bytes == int(expected) * 1024 * 1024
        assert facts["cgroup"]["limit_mb"] == int(expected)
    assert facts["cgroup"]["version"] == "hybrid"


def test_processes_and_groups_from_inside_the_container(host):
    facts = load(host, "facts-root")
    comms = {p["comm"] for p in facts["processes"]}
    assert "systemd" in comms or "systemd-journal" in comms
    assert any(g["comm"] == "systemd" for g in facts["process_groups"])
