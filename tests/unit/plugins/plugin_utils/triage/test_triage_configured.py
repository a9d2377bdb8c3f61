# -*- coding: utf-8 -*-
"""A unit's MemoryMax/MemoryHigh against what its service is configured to hold (triage.configured): one rule
for the gate (a proposal withheld, also in remediate's recheck) and the database finding (an existing limit
flagged), and the finding's remedy never showing a value the gate withheld (issue #32)."""

import pytest
import yaml

from ansible_collections.headroom.memory.plugins.plugin_utils.report.files import report_files
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.configured import (
    below_configured, configured_mb)
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.engine import triage_fleet
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.gate import apply_to_findings, gate, recheck
from ansible_collections.headroom.memory.tests.unit.plugins.plugin_utils.triage.test_triage_facts import healthy, proc

MIB = 1024 * 1024
PG = "postgresql@15-main.service"


def pg_host(shared_buffers_kb=512 * 1024, holds=384, unit_limit=None, version="1"):
    """A 16 GB host whose PostgreSQL (unit PG) holds ``holds`` MiB with shared_buffers as given, and little
    memory available: memory_available_low proposes a limit on its biggest unit, the PostgreSQL."""
    facts = healthy()
    facts["memory"]["available_mb"] = 1000
    facts["cgroup"]["version"] = version
    unit = {"cgroup": "/system.slice/%s" % PG, "unit": PG, "limit_mb": unit_limit, "usage_mb": holds + 20,
            "working_set_mb": holds, "pressure": None}
    facts["cgroup"]["units"] = [unit]
    facts["cgroup"]["limited"] = [dict(unit)] if unit_limit else []
    facts["processes"] = [proc("postgres", holds, pid=700, unit=PG)]
    settings = {"max_connections": 20, "work_mem": 4096}
    if shared_buffers_kb is not None:
        settings["shared_buffers"] = shared_buffers_kb
    facts["settings"] = {"databases": [{"engine": "postgresql", "pid": 700, "settings": settings,
                                        "explicit": sorted(settings), "files_read": 1, "problems": [], "unit": PG,
                                        "version": 15, "cluster": "15/main"}]}
    return facts


def proposing(fid, **item):
    item.setdefault("unit", PG)
    return {"id": fid, "remedy": {"text": "", "role": "headroom.memory.service_limits",
                                  "vars": {"service_limits_units": [item]}, "settings": []}}


@pytest.mark.parametrize("settings, cmdline, expected", [
    ({"engine": "postgresql", "settings": {"shared_buffers": 512 * 1024}}, None, (512, "shared_buffers 512 MiB")),
    ({"engine": "postgresql", "settings": {}}, None, (128, "shared_buffers 128 MiB, the default")),
    ({"engine": "mariadb", "settings": {"innodb_buffer_pool_size": 2048 * MIB}}, None,
     (2048, "innodb_buffer_pool_size 2.0 GiB")),
    ({"engine": "redis", "settings": {"maxmemory": 300 * MIB}}, None, (300, "maxmemory 300 MiB")),
    ({"engine": "redis", "settings": {"maxmemory": 0}}, None, None),  # unbounded: nothing configured
    (None, ["java", "-Xms64m", "-Xmx1g", "-Xmx768m", "-jar"], (768, "java heap -Xmx768m")),  # the last flag wins
    (None, ["java", "-XX:MaxHeapSize=536870912"], (512, "java heap -XX:MaxHeapSize=536870912")),
    (None, "java -XX:MaxRAMPercentage=50 -jar app.jar", None),  # a share of the limit: no fixed size
])
def test_what_a_service_is_configured_to_hold(settings, cmdline, expected):
    facts = healthy()
    facts["processes"] = [proc("java" if cmdline else "x", 10, unit="svc.service", cmdline=cmdline)]
    if settings:
        facts["settings"] = {"databases": [dict(settings, unit="svc.service")]}
    assert configured_mb(facts, "svc.service") == expected
    assert configured_mb(facts, "other.service") is None


def test_480m_under_shared_buffers_512mb_is_named_with_both_values():
    reason = below_configured(pg_host(), PG, "MemoryMax", 480)
    assert reason.startswith("MemoryMax 480 MiB is below the 512 MiB that %s is configured to hold "
                             "(shared_buffers 512 MiB): it is killed once that fills" % PG)
    assert below_configured(pg_host(), PG, "MemoryMax", 512) is None
    assert "throttled" in below_configured(pg_host(), PG, "MemoryHigh", 400)


def test_the_gate_withholds_a_memory_max_below_shared_buffers_and_the_finding_no_longer_offers_it():
    facts = pg_host()
    findings = [proposing("memory_available_low", memory_max="480M")]
    result = gate(facts, findings)
    assert result["vars"] == {}  # 480M passes use + margin (384 + 38) and the host's RAM: only the rule stops it
    [w] = result["withheld"]
    assert w["value"] == "480M" and "below the 512 MiB" in w["reason"] and "shared_buffers 512 MiB" in w["reason"]
    apply_to_findings(findings, result["withheld"])
    assert findings[0]["remedy"]["vars"] == {} and findings[0]["remedy"]["role"] is None
    assert "480 MiB" in findings[0]["remedy"]["withheld"][0] and "512 MiB" in findings[0]["remedy"]["withheld"][0]
    assert gate(facts, [proposing("memory_available_low", memory_max="600M")])["vars"] == {
        "service_limits_units": [{"unit": PG, "memory_max": "600M"}]}


def test_a_memory_high_below_the_configured_memory_is_withheld_too():
    result = gate(pg_host(version="2"), [proposing("memory_available_low", memory_high="400M", memory_max="640M")])
    assert result["vars"] == {"service_limits_units": [{"unit": PG, "memory_max": "640M"}]}
    assert "MemoryHigh 400 MiB is below the 512 MiB" in result["withheld"][0]["reason"]


def test_remediates_recheck_applies_the_same_rule():
    [problem] = recheck(pg_host(), {"service_limits_units": [{"unit": PG, "memory_max": "480M"}]})
    assert problem["value"] == "480M" and "shared_buffers 512 MiB" in problem["reason"]
    assert recheck(pg_host(), {"service_limits_units": [{"unit": PG, "memory_max": "600M"}]}) == []


def test_the_issues_case_end_to_end_no_480m_anywhere_but_the_withheld_reason():
    """The real rule (memory_available_low on cgroup v1: MemoryHigh 384M becomes MemoryMax 480M) on a
    PostgreSQL with shared_buffers = 512MB: neither remedy-vars nor any finding's remedy offers 480M."""
    report = triage_fleet([{"host": "pg1", "facts": pg_host()}], generated="2026-12-07T12:00:00Z")
    [entry] = report["hosts"]
    [low] = [f for f in entry["findings"] if f["id"] == "memory_available_low"]
    assert any("memory_max: MemoryMax 480 MiB is below the 512 MiB" in w for w in low["remedy"]["withheld"])
    for f in entry["findings"]:
        assert "480M" not in repr(f["remedy"].get("vars")) and "480M" not in f["remedy"]["text"]
    assert "480M" not in repr(entry["remedy_vars"])
    files = report_files(report)
    [name] = [n for n in files if n.startswith("remedy-vars/")]
    assert "480M" not in repr(yaml.safe_load(files[name]))


def test_an_existing_memory_max_below_shared_buffers_is_flagged_by_the_database_finding():
    facts = pg_host(unit_limit=480)
    facts["memory"]["available_mb"] = 11000
    report = triage_fleet([{"host": "pg1", "facts": facts}], generated="2026-12-07T12:00:00Z")
    [db] = [f for f in report["hosts"][0]["findings"] if f["id"] == "database_oversized"]
    assert db["severity"] == "critical"
    assert any(e.startswith("its own MemoryMax 480 MiB is below the 512 MiB that %s is configured to hold" % PG)
               for e in db["evidence"])
