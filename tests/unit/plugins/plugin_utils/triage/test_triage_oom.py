# -*- coding: utf-8 -*-
"""oom_kills_recent and oom_protection_missing on hand-built facts."""

from ansible_collections.headroom.memory.plugins.plugin_utils.triage.engine import context
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.common import merge_thresholds
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.oom import (
    oom_kills_recent, oom_protection_missing)
from ansible_collections.headroom.memory.tests.unit.plugins.plugin_utils.triage.test_triage_facts import (
    healthy, kill, proc)


def run(rule, facts, **overrides):
    thresholds = merge_thresholds(overrides)
    return rule(facts, thresholds, context(facts, thresholds))


def test_no_kill_no_finding():
    assert run(oom_kills_recent, healthy()) == []


def test_one_memcg_kill_is_a_warning_naming_process_and_unit():
    facts = healthy()
    facts["cgroup"]["limited"] = [{"cgroup": "/system.slice/hog.service", "unit": "hog.service", "limit_mb": 64, "usage_mb": 60}]
    facts["oom"]["events"] = [kill()]
    [f] = run(oom_kills_recent, facts)
    assert f["id"] == "oom_kills_recent" and f["severity"] == "warning"
    assert "hog \u00d71" in f["evidence"][0]
    assert "hog.service \u00d71" in f["evidence"][1]
    # killed by its own 64M limit: throttle at 64M, allow 96M
    assert f["remedy"]["role"] == "headroom.memory.service_limits"
    assert f["remedy"]["vars"] == {"service_limits_units": [{"unit": "hog.service", "memory_high": "64M", "memory_max": "96M"}]}


def test_repeated_kills_reach_critical():
    facts = healthy()
    facts["oom"]["events"] = [kill(pid=n) for n in range(3)]
    [f] = run(oom_kills_recent, facts)
    assert f["severity"] == "critical"
    assert f["title"].startswith("3 OOM kill(s)")


def test_a_global_kill_is_critical_and_sizes_no_unit_from_the_dead_process():
    facts = healthy()
    facts["oom"]["events"] = [kill(comm="java", unit="app.service", scope="global", anon_kb=4 * 1024 * 1024)]
    [f] = run(oom_kills_recent, facts)
    assert f["severity"] == "critical"
    # app.service had no limit of its own: one dead process's RSS is no MemoryMax for the unit
    assert f["remedy"]["vars"] == {} and f["remedy"]["role"] is None
    assert "app.service: 1 kill(s) by a host-wide (global) OOM" in " ".join(f["evidence"])
    assert "oom_protection_missing" in f["remedy"]["text"]


def test_kills_outside_the_hosts_cgroup_prefix_do_not_count():
    facts = healthy()
    facts["oom"]["events"] = [kill(memcg="/libpod_parent/libpod-other/system.slice/hog.service")]
    assert run(oom_kills_recent, facts, oom_cgroup_prefix="/libpod_parent/libpod-mine") == []
    assert len(run(oom_kills_recent, facts, oom_cgroup_prefix="/libpod_parent/libpod-other")) == 1


def test_container_ids_get_no_service_limits_entry():
    facts = healthy()
    facts["oom"]["events"] = [kill(unit="4b5d6c0e7f8a")]
    [f] = run(oom_kills_recent, facts)
    assert f["remedy"]["role"] is None and f["remedy"]["vars"] == {}


def test_protection_missing_fires_on_a_host_wide_kill_with_sshd_at_default_adj():
    facts = healthy()
    facts["oom"]["events"] = [kill(comm="app", unit="app.service", scope="global")]
    [f] = run(oom_protection_missing, facts)
    assert f["id"] == "oom_protection_missing" and f["severity"] == "warning"
    assert f["remedy"]["vars"] == {"service_limits_units": [{"unit": "ssh.service", "oom_score_adjust": -900}]}


def test_protection_missing_is_critical_when_a_protected_service_was_the_victim():
    facts = healthy()
    facts["oom"]["events"] = [kill(comm="sshd", unit="ssh.service", scope="global")]
    [f] = run(oom_protection_missing, facts)
    assert f["severity"] == "critical"


def test_protection_missing_quiet_for_memcg_kills_and_protected_services():
    facts = healthy()
    facts["oom"]["events"] = [kill(scope="memcg")]
    assert run(oom_protection_missing, facts) == []
    facts["oom"]["events"] = [kill(scope="global")]
    facts["processes"] = [p for p in facts["processes"] if p["comm"] != "sshd"]
    facts["processes"].append(proc("sshd", 9, unit="ssh.service", adj=-900))
    assert run(oom_protection_missing, facts) == []


def test_kills_the_kernel_did_not_count_are_called_out_and_size_no_limit():
    facts = healthy()
    facts["cgroup"]["limited"] = [{"cgroup": "/system.slice/hog.service", "unit": "hog.service", "limit_mb": 64, "usage_mb": 60}]
    facts["oom"]["events"] = [kill()]
    [f] = run(oom_kills_recent, facts)
    assert not any("not all of these are real" in line for line in f["evidence"])
    assert f["remedy"]["vars"] == {"service_limits_units": [{"unit": "hog.service", "memory_high": "64M", "memory_max": "96M"}]}
    facts["oom"].update(kills_since_boot=0, kernel_kills_logged_since_boot=1, kills_implausible=True,
                        kills_notice="the logs hold 1 kernel OOM kills since boot but the kernel counted 0")
    [f] = run(oom_kills_recent, facts)
    assert f["evidence"][1] == ("not all of these are real: the logs hold 1 kernel OOM kills since boot but the "
                                "kernel counted 0")
    assert f["remedy"]["role"] is None and not f["remedy"]["vars"]
    assert f["remedy"]["text"].endswith("No limit is proposed from these kills: the logs hold kills the kernel did not make.")
