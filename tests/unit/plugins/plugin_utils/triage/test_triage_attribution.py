# -*- coding: utf-8 -*-
"""Which limit fired for a kill (oom_memcg against task_memcg), and what oom_kills_recent and
oom_protection_missing make of it. The container kills are parsed from kernel lines by the real parser."""

import time

import pytest

from ansible_collections.headroom.memory.plugins.module_utils.oom.events import build_history
from ansible_collections.headroom.memory.plugins.module_utils.oom.lines import split_line
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.attribution import kill_limit
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.common import merge_thresholds
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.engine import context, triage_entry
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.oom import (
    oom_kills_recent, oom_protection_missing)
from ansible_collections.headroom.memory.tests.unit.plugins.plugin_utils.triage.test_triage_facts import (
    healthy, kill, proc)

pytestmark = pytest.mark.usefixtures('utc')  # conftest.py

CTR = "/libpod_parent/libpod-" + "d" * 64
REF = time.mktime((2026, 11, 25, 23, 0, 0, 0, 0, -1))


def kernel_kill(oom_memcg, task_memcg, comm="postgres", pid=4321, anon_kb=98304, stamp=160.08):
    """One memcg kill as the kernel logs it (6.x), through the real parser."""
    lines = [
        "[%12.6f] %s invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0" % (stamp, comm),
        "[%12.6f] oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=%s,"
        "task_memcg=%s,task=%s,pid=%d,uid=107" % (stamp + 0.001, oom_memcg, task_memcg, comm, pid),
        "[%12.6f] Memory cgroup out of memory: Killed process %d (%s) total-vm:300000kB, anon-rss:%dkB, "
        "file-rss:1000kB, shmem-rss:20000kB, UID:107 pgtables:400kB oom_score_adj:0" % (stamp + 0.002, pid, comm, anon_kb),
    ]
    events, _counts = build_history([("file:test", [split_line(line, REF) for line in lines])])
    [event] = events
    return event


def container_host(limit_mb=512, unit_limit=None, unit_use=300, total_use=380):
    """A podman container (cgroup v1) with a memory limit; postgresql.service runs in it."""
    facts = healthy()
    facts["cgroup"].update({"version": "1", "container": "podman", "limit_mb": limit_mb, "limit_cgroup": "/",
                            "usage_mb": total_use + 20, "working_set_mb": total_use, "pressure": None})
    unit = {"cgroup": "/system.slice/postgresql.service", "unit": "postgresql.service", "limit_mb": unit_limit,
            "usage_mb": unit_use + 10, "working_set_mb": unit_use, "pressure": None}
    facts["cgroup"]["units"] = [unit]
    facts["cgroup"]["limited"] = [dict(unit)] if unit_limit else []
    facts["processes"].append(proc("postgres", 300, pid=4000, unit="postgresql.service"))
    return facts


def run(rule, facts, **overrides):
    thresholds = merge_thresholds(overrides)
    return rule(facts, thresholds, context(facts, thresholds))


def test_kill_by_the_container_limit_is_not_the_units_own():
    event = kernel_kill(CTR, CTR + "/system.slice/postgresql.service")
    assert event["oom_memcg"] != event["task_memcg"] and event["unit"] == "postgresql.service"
    assert kill_limit(event) == {"kind": "container", "cgroup": CTR, "unit": "postgresql.service"}


def test_kill_by_the_units_own_limit():
    path = CTR + "/system.slice/postgresql.service"
    assert kill_limit(kernel_kill(path, path))["kind"] == "unit"
    # a sub-cgroup of the unit was the task's; the unit's limit fired
    assert kill_limit(kernel_kill(path, path + "/worker"))["kind"] == "unit"


def test_kill_by_a_slice_or_another_cgroup_above_the_unit():
    task = "/system.slice/system-db.slice/postgresql.service"
    assert kill_limit(kernel_kill("/system.slice/system-db.slice", task))["kind"] == "slice"
    assert kill_limit(kernel_kill("/kubepods/burstable/pod1234", "/kubepods/burstable/pod1234/" + "e" * 64))["kind"] == "cgroup"
    assert kill_limit(kernel_kill("/docker", "/docker/" + "f" * 64))["kind"] == "cgroup"
    assert kill_limit(kernel_kill("/docker/" + "f" * 64, "/docker/" + "f" * 64 + "/x"))["kind"] == "container"


def test_global_kill_and_memcg_kill_without_a_named_memcg():
    assert kill_limit(kill(scope="global"))["kind"] == "host"
    event = kill(scope="memcg")
    event["oom_memcg"] = None
    assert kill_limit(event)["kind"] == "cgroup"
    assert kill_limit(event, {"hog.service": 64})["kind"] == "unit"


def test_container_kill_never_sizes_the_unit_from_the_dead_process():
    facts = container_host()
    facts["oom"]["events"] = [kernel_kill(CTR, CTR + "/system.slice/postgresql.service", anon_kb=98304)]
    [f] = run(oom_kills_recent, facts)
    assert "postgresql.service: 1 kill(s) by the container's limit (%s), not the unit's own" % CTR in f["evidence"]
    assert "raise or add the container's memory limit" in f["remedy"]["text"]
    assert "their own MemoryMax" not in f["remedy"]["text"]
    [entry] = f["remedy"]["vars"]["service_limits_units"]
    # bounded inside the container at what it can get there (512 - (380 - 300) = 432), never from the
    # 96 MiB the dead backend held, never above the container's 512 MiB
    assert entry == {"unit": "postgresql.service", "memory_max": "432M"}


def test_own_limit_above_the_container_is_named_and_never_raised_past_it():
    facts = container_host(unit_limit=768)
    path = CTR + "/system.slice/postgresql.service"
    facts["oom"]["events"] = [kernel_kill(CTR, path)]
    [f] = run(oom_kills_recent, facts)
    assert any("has MemoryMax 768 MiB but can get at most 512 MiB" in e for e in f["evidence"])
    facts = container_host(unit_limit=448)
    facts["oom"]["events"] = [kernel_kill(path, path)]
    [f] = run(oom_kills_recent, facts)
    # its own 448M fired: 1.5x would be 672M, above the container's 512M: capped there
    assert f["remedy"]["vars"]["service_limits_units"] == [{"unit": "postgresql.service", "memory_max": "512M"}]


def test_only_host_wide_kills_drive_oom_protection_missing():
    facts = container_host()
    facts["oom"]["events"] = [kernel_kill(CTR, CTR + "/system.slice/postgresql.service")]
    assert run(oom_protection_missing, facts) == []
    facts["oom"]["events"].append(kill(comm="app", unit="app.service", scope="global"))
    [f] = run(oom_protection_missing, facts)
    assert "1 host-wide kill(s)" in f["evidence"][0]


def test_container_kill_remedies_pass_the_gate_or_are_withheld_with_the_reason():
    facts = container_host()
    facts["oom"]["events"] = [kernel_kill(CTR, CTR + "/system.slice/postgresql.service")]
    host = triage_entry({"host": "db1", "facts": facts})
    assert host["remedy_vars"]["service_limits_units"] == [{"unit": "postgresql.service", "memory_max": "432M"}]
    assert host["withheld"] == []
    # the unit grows past what the container leaves it: nothing passes, nothing is offered, every reason given
    facts = container_host(unit_use=420, total_use=500)
    facts["oom"]["events"] = [kernel_kill(CTR, CTR + "/system.slice/postgresql.service")]
    host = triage_entry({"host": "db1", "facts": facts})
    assert "service_limits_units" not in host["remedy_vars"]
    reasons = dict((w["findings"][0], w["reason"]) for w in host["withheld"])
    assert "below what postgresql.service holds now (420 MiB, cgroup working set)" in reasons["oom_kills_recent"]
    assert "above what postgresql.service can ever get (512 MiB, the container limit)" in reasons["memory_available_low"]
    [f] = [f for f in host["findings"] if f["id"] == "oom_kills_recent"]
    assert f["remedy"]["vars"] == {} and f["remedy"]["role"] is None and f["remedy"]["withheld"]


def test_no_bound_proposed_for_a_unit_this_host_does_not_have():
    facts = container_host()
    facts["cgroup"]["units"] = []  # the kill was read from a kernel log shared with other containers
    facts["oom"]["events"] = [kernel_kill(CTR, CTR + "/system.slice/postgresql.service")]
    [f] = run(oom_kills_recent, facts)
    assert f["remedy"]["vars"] == {} and "container's limit" in " ".join(f["evidence"])


def test_own_limit_kill_of_a_unit_that_is_gone_is_sized_from_its_kill_time_size():
    facts = healthy()  # the unit failed after its kills: no cgroup, no limit listed
    path = CTR + "/system.slice/hog.service"
    facts["oom"]["events"] = [kernel_kill(path, path, comm="python3", anon_kb=32 * 1024) for _n in range(3)]
    [f] = run(oom_kills_recent, facts)
    # 32 MiB anon + 1 MiB file + ~19.5 MiB shmem = 52 MiB at the kill: MemoryHigh there, MemoryMax 1.5x
    assert f["remedy"]["vars"]["service_limits_units"][0]["unit"] == "hog.service"
