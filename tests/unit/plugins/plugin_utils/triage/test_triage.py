# -*- coding: utf-8 -*-
"""triage_host over every rule, remedy merging and the fleet report data."""

import pytest

from ansible_collections.headroom.memory.plugins.plugin_utils.triage.engine import (
    RULE_IDS, TriageError, merge_remedy_vars, triage_fleet, triage_host)
from ansible_collections.headroom.memory.tests.unit.plugins.plugin_utils.triage.test_triage_facts import (
    healthy, kill, proc)


def sick():
    """A 2 GB host with no swap, a JVM without -Xmx and a unit killed three times."""
    facts = healthy()
    facts["memory"].update(total_mb=2000, available_mb=150)
    facts["swap"].update(total_mb=0, free_mb=0, used_mb=0, devices=[])
    facts["processes"].insert(0, proc("java", 1200, pid=77, unit="shop.service", cmdline="java -jar shop.jar"))
    facts["oom"]["events"] = [kill(pid=n, time="2026-11-20T10:0%d:00Z" % n) for n in range(3)]
    return facts


def test_the_rule_set_is_the_issues_rules_with_the_sizing_verdict_containers_and_node():
    assert set(RULE_IDS) == {
        "container_oom_killed", "container_limits_overcommitted", "container_limit_too_tight",
        "oom_kills_recent", "memory_available_low", "memory_pressure_high", "leak_suspect", "database_oversized",
        "database_defaults", "workers_oversubscribed", "jvm_heap_unbounded", "node_heap_unbounded",
        "pm2_restart_threshold_missing", "pm2_restart_loop", "container_without_limit", "swap_missing",
        "swappiness_high", "overcommit_risky", "oom_protection_missing", "ram_insufficient", "ram_tight"}


def test_a_healthy_host_has_no_finding():
    assert triage_host(healthy()) == []


def test_findings_come_worst_first_with_the_documented_shape():
    findings = triage_host(sick())
    ids = [f["id"] for f in findings]
    assert ids[:2] == ["oom_kills_recent", "memory_available_low"]  # both critical
    assert {"jvm_heap_unbounded", "swap_missing"} <= set(ids)
    for f in findings:
        assert set(f) == {"id", "severity", "title", "evidence", "remedy"}
        assert set(f["remedy"]) == {"text", "role", "vars", "settings"}
        assert f["evidence"] and all(isinstance(e, str) for e in f["evidence"])


def test_per_host_thresholds_silence_a_rule():
    ids = [f["id"] for f in triage_host(sick(), {"swap_missing_max_ram_mb": 1024})]
    assert "swap_missing" not in ids


def test_facts_that_are_not_a_dict_are_refused():
    with pytest.raises(TriageError, match="expects the headroom facts"):
        triage_host(None)


def test_remedy_vars_merge_items_by_unit_and_path_whatever_the_order():
    findings = [
        {"id": "a", "remedy": {"vars": {"service_limits_units": [{"unit": "a.service", "memory_max": "1G"}]}}},
        {"id": "b", "remedy": {"vars": {"service_limits_units": [
            {"unit": "a.service", "memory_max": "2G", "oom_score_adjust": -500},
            {"unit": "b.service", "memory_high": "64M"}], "swap_swappiness": 10}}},
        {"id": "c", "remedy": {"vars": {"swap_swappiness": 10, "swap_files": [{"path": "/swapfile", "size": "1G"}]}}},
    ]
    expected = {
        # both MemoryMax pass the gate (nothing known about a.service's use, 16000 MiB of RAM): the larger
        "service_limits_units": [{"unit": "a.service", "memory_max": "2G", "oom_score_adjust": -500},
                                 {"unit": "b.service", "memory_high": "64M"}],
        "swap_files": [{"path": "/swapfile", "size": "1G"}],
        "swap_swappiness": 10}
    facts = healthy()  # both units run on the host (the gate withholds a remedy for a unit it does not see)
    facts["cgroup"]["units"] = [{"cgroup": "/system.slice/" + u, "unit": u} for u in ("a.service", "b.service")]
    assert merge_remedy_vars(findings, facts) == expected
    assert merge_remedy_vars(list(reversed(findings)), facts) == expected


def test_fleet_lists_unreachable_and_failed_hosts_and_sorts_worst_first():
    report = triage_fleet([
        {"host": "clean", "facts": healthy()},
        {"host": "sick", "facts": sick(), "thresholds": {}},
        {"host": "down", "facts": None, "result": {"unreachable": True, "msg": "ssh: connect timed out"}},
        {"host": "broken", "facts": None, "result": {"failed": True, "msg": "MODULE FAILURE"}},
    ], since="30d", generated="2026-11-25T12:00:00Z")
    assert [h["host"] for h in report["hosts"]] == ["broken", "down", "sick", "clean"]
    statuses = dict((h["host"], h["status"]) for h in report["hosts"])
    assert statuses == {"broken": "failed", "down": "unreachable", "sick": "ok", "clean": "ok"}
    assert report["totals"]["unreachable"] == 1 and report["totals"]["failed"] == 1 and report["totals"]["ok"] == 2
    assert report["totals"]["kills"] == 3
    assert report["since"] == "2026-11-01T00:00:00Z" and report["window"] == "30d"
    sick_host = report["hosts"][2]
    assert sick_host["summary"]["ram_mb"] == 2000 and sick_host["summary"]["kills"] == 3
    assert [e["comm"] for e in sick_host["events"]] == ["hog"] * 3
    assert "swap_files" in sick_host["remedy_vars"] and "heap_services" in sick_host["remedy_vars"]


def test_the_report_never_carries_command_lines():
    report = triage_fleet([{"host": "sick", "facts": sick()}], generated="2026-11-25T12:00:00Z")
    assert all("cmdline" not in p for p in report["hosts"][0]["processes"])


def test_unreadable_sources_are_reported():
    facts = healthy()
    facts["oom"]["sources"].append({"name": "journal", "status": "denied", "lines": 0, "msg": "not in group adm"})
    [host] = triage_fleet([{"host": "h", "facts": facts}])["hosts"]
    assert host["unread"] == [{"name": "journal", "status": "denied", "message": "not in group adm"}]
