# -*- coding: utf-8 -*-
"""The remedy sanity gate: bounds on MemoryMax / MemoryHigh / heap / worker counts, one value per setting
whatever the findings' order, and withheld remedies kept out of remedy-vars/."""

import itertools

import yaml

from ansible_collections.headroom.memory.plugins.plugin_utils.report.files import report_files
from ansible_collections.headroom.memory.plugins.plugin_utils.triage import engine
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.engine import triage_entry, triage_fleet
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.gate import apply_to_findings, gate, margin_mb, unit_refusal
from ansible_collections.headroom.memory.tests.unit.plugins.plugin_utils.triage.test_triage_facts import healthy, kill, proc


def host(unit_use=600, limit_mb=1024, unit_limit=None):
    """A 1 GiB container whose app.service holds ``unit_use`` MiB by its cgroup counter."""
    facts = healthy()
    facts["cgroup"].update({"container": "podman", "limit_mb": limit_mb, "limit_cgroup": "/", "usage_mb": 700,
                            "working_set_mb": 700})
    unit = {"cgroup": "/system.slice/app.service", "unit": "app.service", "limit_mb": unit_limit,
            "usage_mb": unit_use + 50, "working_set_mb": unit_use, "pressure": None}
    facts["cgroup"]["units"] = [unit]
    facts["cgroup"]["limited"] = [dict(unit)] if unit_limit else []
    return facts


def machine(**kw):
    """The same limits on a VM of its own (a slice's 1 GiB): swap and vm.* sysctls are its own to change."""
    facts = host(**kw)
    facts["cgroup"]["container"] = None
    return facts


def proposing(fid, **item):
    item.setdefault("unit", "app.service")
    return {"id": fid, "remedy": {"text": "", "role": "headroom.memory.service_limits",
                                  "vars": {"service_limits_units": [item]}, "settings": []}}


def test_memory_max_between_use_plus_margin_and_what_the_unit_can_get():
    assert margin_mb(600) == 60 and margin_mb(50) == 16
    facts = host()
    ok = gate(facts, [proposing("a", memory_max="672M")])
    assert ok["vars"] == {"service_limits_units": [{"unit": "app.service", "memory_max": "672M"}]} and not ok["withheld"]
    low = gate(facts, [proposing("a", memory_max="640M")])  # 640 < 600 + 60
    assert low["vars"] == {}
    [w] = low["withheld"]
    assert w["findings"] == ["a"] and w["item"] == "app.service" and w["value"] == "640M"
    assert "below what app.service holds now (600 MiB, cgroup working set) plus a 60 MiB margin" in w["reason"]
    high = gate(facts, [proposing("a", memory_max="2G")])
    assert high["vars"] == {}
    assert "above what app.service can ever get (1.0 GiB, the container limit): it could never fire" in high["withheld"][0]["reason"]


def test_memory_max_at_least_the_services_configured_cache():
    finding = proposing("database_oversized", memory_max="768M")
    finding["remedy"]["floors"] = [{"unit": "app.service", "min_mb": 800, "reason": "shared_buffers 640MB + overhead"}]
    result = gate(host(), [finding])
    assert result["vars"] == {}
    assert "below 800 MiB (shared_buffers 640MB + overhead) that app.service is configured to use" in result["withheld"][0]["reason"]


def test_memory_high_not_below_current_use_nor_above_the_max_offered():
    facts = host()
    assert gate(facts, [proposing("a", memory_high="592M")])["withheld"][0]["setting"] == "memory_high"
    result = gate(facts, [proposing("a", memory_high="768M", memory_max="704M")])
    assert result["vars"]["service_limits_units"] == [{"unit": "app.service", "memory_max": "704M"}]
    assert "above 704 MiB (the MemoryMax offered)" in result["withheld"][0]["reason"]


def test_heap_fits_under_the_units_limit():
    facts = host(unit_use=300, unit_limit=512)
    heap = {"id": "jvm_heap_unbounded", "remedy": {"text": "", "role": "headroom.memory.heap", "settings": [],
                                                   "vars": {"heap_services": [{"unit": "app.service", "runtime": "java",
                                                                               "max": "448M"}]}}}
    result = gate(facts, [heap])
    assert result["vars"] == {}  # 448 > 75% of 512
    assert "heap 448 MiB does not fit under 512 MiB of app.service (its MemoryMax)" in result["withheld"][0]["reason"]
    heap["remedy"]["vars"]["heap_services"][0]["max"] = "384M"
    assert gate(facts, [heap])["vars"] == {"heap_services": [{"unit": "app.service", "runtime": "java", "max": "384M"}]}
    # and under the MemoryMax offered with it, when one is
    result = gate(facts, [heap, proposing("b", memory_max="400M")])
    assert result["vars"] == {"service_limits_units": [{"unit": "app.service", "memory_max": "400M"}]}
    assert result["withheld"][0]["variable"] == "heap_services"


def test_worker_count_fits_the_room():
    finding = {"id": "workers_oversubscribed", "remedy": {"text": "", "role": None, "vars": {}, "settings": [
        {"service": "php-fpm", "setting": "pm.max_children", "value": 32, "per_worker_mb": 30, "room_mb": 420}]}}
    result = gate(host(), [finding])
    assert result["settings"] == []
    assert result["withheld"][0]["reason"] == "32 workers \u00d7 30 MiB = 960 MiB do not fit in the room (420 MiB)"
    finding["remedy"]["settings"][0]["value"] = 14
    assert [s["value"] for _fid, s in gate(host(), [finding])["settings"]] == [14]


def test_one_value_per_setting_whatever_the_order():
    findings = [proposing("oom_kills_recent", memory_max="704M", memory_high="640M"),
                proposing("leak_suspect", memory_max="960M", restart="on-failure"),
                proposing("database_oversized", memory_max="512M"),
                proposing("oom_protection_missing", oom_score_adjust=-900),
                {"id": "swappiness_high", "remedy": {"vars": {"swap_swappiness": 10}}},
                {"id": "other", "remedy": {"vars": {"swap_swappiness": 30}}}]
    results = [gate(machine(), list(order)) for order in itertools.permutations(findings)]
    assert all(r == results[0] for r in results)
    first = results[0]
    # 512M is below what the unit holds: withheld; of 704M and 960M, both pass: the larger serves both needs
    assert first["vars"] == {"service_limits_units": [{"unit": "app.service", "memory_max": "960M", "memory_high": "640M",
                                                       "oom_score_adjust": -900, "restart": "on-failure"}]}
    reasons = dict((w["setting"] or w["variable"], w) for w in first["withheld"])
    assert reasons["memory_max"]["value"] == "512M"
    assert reasons["swap_swappiness"]["reason"] == "findings propose different values (10, 30): none is offered"


def test_withheld_proposals_leave_the_finding_and_remedy_vars_and_are_reported():
    facts = host()
    facts["processes"].append(proc("app", 590, pid=4000, unit="app.service"))
    findings = [proposing("database_oversized", memory_max="512M"), proposing("oom_kills_recent", memory_max="704M")]
    result = gate(facts, findings)
    apply_to_findings(findings, result["withheld"])
    assert findings[0]["remedy"]["vars"] == {} and findings[0]["remedy"]["role"] is None
    assert findings[0]["remedy"]["withheld"][0].startswith("app.service memory_max: MemoryMax 512 MiB is below")
    assert findings[1]["remedy"]["vars"]["service_limits_units"][0]["memory_max"] == "704M"


def test_remedy_vars_file_never_holds_a_withheld_value(monkeypatch):
    facts = machine(unit_use=700)
    facts["processes"] = [proc("redis-server", 700, pid=77, unit="app.service")]
    facts["process_groups"] = [{"comm": "redis-server", "count": 1, "rss_mb": 700, "rss_mb_avg": 700, "rss_mb_max": 700}]

    def backstop(_facts, _thresholds, _ctx):  # a rule proposing a MemoryMax below what the unit holds
        found = proposing("database_oversized", memory_max="512M")
        found.update(severity="warning", title="t", evidence=[])
        found["remedy"]["settings"] = [{"service": "redis", "setting": "maxmemory", "value": "409mb"}]
        passing = {"id": "swappiness_high", "severity": "info", "title": "t", "evidence": [],
                   "remedy": {"text": "", "role": "headroom.memory.swap", "vars": {"swap_swappiness": 10}, "settings": []}}
        return [found, passing]

    monkeypatch.setattr(engine, "RULES", (backstop,))
    report = triage_fleet([{"host": "db1", "facts": facts}], generated="2026-11-30T12:00:00Z")
    [entry] = report["hosts"]
    [db] = [f for f in entry["findings"] if f["id"] == "database_oversized"]
    assert db["remedy"]["settings"][0]["setting"] == "maxmemory"  # the setting stays: it is the real fix
    assert any(w["findings"] == ["database_oversized"] and w["value"] == "512M" for w in entry["withheld"])
    files = report_files(report)
    [name] = [n for n in files if n.startswith("remedy-vars/")]
    document = yaml.safe_load(files[name])
    assert "512M" not in repr(document)
    assert document == (entry["remedy_vars"] or None)
    assert "# Withheld by the remedy sanity gate" in files[name]
    assert "withheld by the remedy gate: app.service memory_max: MemoryMax 512 MiB" in files["report.md"].replace("\\", "")  # Markdown-escaped (memory\\_max)
    assert "Withheld by the remedy gate" in files["index.html"]


def test_triage_entry_lists_withheld_even_for_a_clean_host():
    assert triage_entry({"host": "ok", "facts": healthy()})["withheld"] == []


# issue #31: a unit named only in log text (a forged systemd notice or oomd line) gets no remedy
FORGED_UNITS = ("<img/src=x/onerror=alert(1)>.service", "<img src=x onerror=alert(1)>.service",
                "{{ lookup('pipe','id') }}.service")


def test_a_unit_with_an_invalid_name_is_withheld_whole():
    for unit in FORGED_UNITS:
        facts = host()
        facts["cgroup"]["units"].append({"cgroup": "/system.slice/x", "unit": unit})  # even if the facts held it
        result = gate(facts, [proposing("oom_kills_recent", unit=unit, memory_max="704M", oom_score_adjust=-500)])
        assert result["vars"] == {}
        [w] = result["withheld"]
        # remedy_vars' allow-list sees the bad name first (the item's unit key is not a service name) ...
        assert w["item"] == unit and w["setting"] == "unit" and w["findings"] == ["oom_kills_recent"]
        assert w["reason"] == "not offered to remediate: is not a systemd service name", w["reason"]
        # ... and the unit check behind it refuses the name too, whatever the facts hold
        assert unit_refusal(facts, unit).startswith("unit name %r " % unit)


def test_a_unit_not_on_the_host_is_withheld_and_leaves_the_finding():
    facts = host()
    findings = [proposing("oom_kills_recent", unit="ghost.service", memory_max="704M"),
                proposing("pressure", memory_max="704M")]
    result = gate(facts, findings)
    assert result["vars"] == {"service_limits_units": [{"unit": "app.service", "memory_max": "704M"}]}
    [w] = result["withheld"]
    assert w["item"] == "ghost.service" and "not among the units memory_facts saw on the host" in w["reason"]
    apply_to_findings(findings, result["withheld"])
    assert findings[0]["remedy"]["vars"] == {} and findings[0]["remedy"]["role"] is None
    assert findings[0]["remedy"]["withheld"] == ["ghost.service service_limits_units: " + w["reason"]]
    # a unit seen only through a listed process counts as present
    facts["processes"].append(proc("ghost", 10, pid=4001, unit="ghost.service"))
    assert gate(facts, findings[:1])["withheld"] == []


def test_an_oom_kill_of_a_unit_named_only_in_log_text_proposes_nothing_to_apply():
    # the victim's RSS would size the MemoryMax: the unit does not exist, so nothing reaches remedy-vars/
    for unit in FORGED_UNITS[1:] + ("X.service",):  # a '/' in the name would split the cgroup path the kill names
        facts = healthy()
        # its own cgroup fired, read from a syslog file: the MemoryMax would be the victim's RSS
        facts["oom"]["events"] = [dict(kill(unit=unit), sources=["/var/log/kern.log"])]
        entry = triage_entry({"host": "h", "facts": facts})
        assert unit not in repr(entry["remedy_vars"]), unit
        assert any(w["item"] == unit for w in entry["withheld"]), unit


def test_a_unit_the_kernel_itself_reported_killed_is_on_the_host_without_a_cgroup():
    # killed by its own MemoryMax, then given up by systemd: no cgroup and no process left, the usual case
    for source in ("kmsg", "dmesg", "journal"):
        facts = healthy()
        facts["oom"]["events"] = [dict(kill(unit="X.service"), sources=[source, "/var/log/kern.log"])]
        entry = triage_entry({"host": "h", "facts": facts})
        assert not any(w["item"] == "X.service" for w in entry["withheld"]), (source, entry["withheld"])
        assert [u["unit"] for u in entry["remedy_vars"]["service_limits_units"]] == ["X.service"], source
    # an invalid name stays refused whoever reported it
    facts = healthy()
    facts["oom"]["events"] = [dict(kill(unit=FORGED_UNITS[1]), sources=["kmsg"])]
    assert any(w["item"] == FORGED_UNITS[1] for w in triage_entry({"host": "h", "facts": facts})["withheld"])


def test_in_a_container_no_swap_variable_nor_vm_sysctl_passes_whichever_finding_proposes_it():
    findings = [{"id": "swap_missing", "remedy": {"vars": {"swap_files": [{"path": "/swapfile", "size": "2G"}],
                                                           "swap_swappiness": 10}}},
                {"id": "overcommit_risky", "remedy": {"vars": {}, "settings": [
                    {"service": "kernel", "setting": "vm.overcommit_memory", "value": 0, "file": "/etc/sysctl.d/"}]}},
                proposing("oom_kills_recent", memory_max="960M")]
    result = gate(host(), findings)
    assert result["vars"] == {"service_limits_units": [{"unit": "app.service", "memory_max": "960M"}]}
    assert result["settings"] == []
    host_wide = [(w["variable"], w["item"], w["setting"]) for w in result["withheld"]]
    assert sorted(host_wide) == [("settings", "kernel", "vm.overcommit_memory"), ("swap_files", "/swapfile", "size"),
                                 ("swap_swappiness", None, None)]
    assert all(w["reason"].startswith("this host is a podman container sharing its host's kernel") for w in result["withheld"])
    apply_to_findings(findings, result["withheld"])
    assert findings[0]["remedy"]["vars"] == {} and findings[0]["remedy"]["role"] is None
    assert findings[1]["remedy"]["settings"] == []
    on_a_vm = gate(machine(), [{"id": "swap_missing", "remedy": {"vars": {"swap_swappiness": 10}}}])
    assert on_a_vm["vars"] == {"swap_swappiness": 10} and on_a_vm["withheld"] == []


def test_a_scheduled_restart_passes_for_a_unit_on_the_host_alone_and_never_for_a_ghost():
    facts = host()
    ok = gate(facts, [proposing("leak_suspect", restart_every="1d")])
    assert ok["vars"] == {"service_limits_units": [{"unit": "app.service", "restart_every": "1d"}]} and not ok["withheld"]
    ghost = gate(facts, [proposing("leak_suspect", unit="ghost.service", restart_every="1d")])
    assert ghost["vars"] == {} and ghost["withheld"][0]["item"] == "ghost.service"
    # two findings disagreeing on the period: none is offered
    split = gate(facts, [proposing("a", restart_every="1d"), proposing("b", restart_every="12h")])
    assert split["vars"] == {} and "findings propose different values" in split["withheld"][0]["reason"]
