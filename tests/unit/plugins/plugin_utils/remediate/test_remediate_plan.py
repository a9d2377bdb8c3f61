# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""remediate: remedy-vars by role, report freshness, the health gate and the plan table, on real
triage output (triage_fleet over the triage tests' facts)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type


import datetime

import pytest

from ansible_collections.headroom.memory.plugins.plugin_utils.remediate.plan import (
    ROLES, RemediateError, health_problems, plan_lines, plan_rows, report_problems, role_changes, roles_for)
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.engine import triage_fleet
from ansible_collections.headroom.memory.tests.unit.plugins.plugin_utils.triage.test_triage_facts import (
    healthy, kill)

NOW = datetime.datetime(2026, 11, 30, 12, 0, 0, tzinfo=datetime.timezone.utc)


def no_swap_small():
    facts = healthy()
    facts["swap"].update(total_mb=0, free_mb=0, used_mb=0, devices=[])
    facts["memory"]["total_mb"] = 2000
    return facts


def fleet(**hosts):
    return triage_fleet([{"host": h, "facts": f, "result": {}} for h, f in sorted(hosts.items())],
                        since="2h", generated="2026-11-30T11:00:00Z")


def test_roles_come_in_the_apply_order_whatever_the_file_order():
    doc = {"heap_services": [{"unit": "a.service", "max": "1G"}], "swap_swappiness": 10,
           "service_limits_units": [{"unit": "a.service", "memory_max": "2G"}], "swap_files": [{"path": "/swapfile"}]}
    got = roles_for(doc)
    assert [r["role"] for r in got] == ["swap", "service_limits", "heap"]
    assert got[0]["vars"] == {"swap_files": [{"path": "/swapfile"}], "swap_swappiness": 10}
    assert ROLES.index("swap") < ROLES.index("service_limits") < ROLES.index("heap")
    assert roles_for(None) == [] and roles_for({}) == []


@pytest.mark.parametrize("bad", ["ansible_become_exe", "__swap_plan", "Swap_files", "swapfiles", "x\nswap_files"])
def test_a_variable_of_no_remedy_role_is_refused(bad):
    with pytest.raises(RemediateError, match="refused"):
        roles_for({"swap_swappiness": 10, bad: "x"}, "remedy-vars/h.yml")


def test_a_document_that_is_not_a_mapping_is_refused():
    with pytest.raises(RemediateError, match="expected a mapping"):
        roles_for(["swap_files"])


def test_a_fresh_report_of_the_same_host_may_drive_it():
    facts = no_swap_small()
    report = fleet(web1=facts)
    assert report_problems(report, "web1", facts, now=NOW) == []


def test_an_old_report_is_refused_with_its_age():
    facts = no_swap_small()
    report = fleet(web1=facts)
    [problem] = report_problems(report, "web1", facts, now=NOW + datetime.timedelta(hours=30), max_age_s=24 * 3600)
    assert "31.0 h ago" in problem and "older than remediate_max_report_age (24.0 h)" in problem


def test_a_host_whose_ram_changed_is_refused():
    facts = no_swap_small()
    report = fleet(web1=facts)
    bigger = no_swap_small()
    bigger["memory"]["total_mb"] = 4000
    problems = report_problems(report, "web1", bigger, now=NOW)
    assert problems and "RAM (MemTotal) of web1 changed since the report" in problems[0]
    assert "4000" in problems[0] or "3.9" in problems[0]


def test_a_host_missing_from_the_report_or_a_foreign_file_is_refused():
    facts = healthy()
    assert report_problems(fleet(web1=facts), "web2", facts, now=NOW) == ["web2 is not in the report: diagnose it first"]
    assert report_problems({"x": 1}, "web1", facts) == ["the report is not a headroom.memory.diagnose report.json"]


RUNNING = {"state": "running", "status": "enabled", "source": "systemd"}
FAILED = {"state": "stopped", "status": "failed", "source": "systemd"}
ENDED = {"state": "stopped", "status": "static", "source": "systemd"}  # a job that finished with success


def test_health_passes_when_nothing_got_worse():
    before = healthy()
    after = {"a.service": RUNNING, "b.service": RUNNING, "c.service": RUNNING}
    assert health_problems(before, healthy(), ["a.service", "b.service"], after) == []


def test_health_fails_on_a_stopped_unit_a_new_kill_and_low_memory():
    before, after = healthy(), healthy()
    before["oom"]["events"] = [kill(pid=1)]
    after["oom"]["events"] = [kill(pid=1), kill(pid=2, time="2026-11-30T11:30:00Z", comm="java", unit="app.service")]
    after["memory"]["available_mb"] = after["memory"]["total_mb"] * 5 // 100
    problems = health_problems(before, after, ["app.service", "db.service"], {"app.service": FAILED, "db.service": RUNNING})
    assert problems[0] == "unit(s) running before and failed now: app.service"
    assert problems[1] == "1 new OOM kill(s): java (pid 2, unit app.service)"
    assert problems[2].startswith("memory available 5.0% is under the critical line 10%")


def test_health_counts_only_the_hosts_own_kills_with_the_diagnose_prefix():
    before, after = healthy(), healthy()
    after["oom"]["events"] = [kill(pid=9, memcg="/libpod_parent/libpod-other/system.slice/x.service")]
    assert health_problems(before, after, [], {}, {"oom_cgroup_prefix": "/libpod_parent/libpod-mine"}) == []
    assert health_problems(before, after, [], {})  # without the prefix the kill counts


def test_health_does_not_blame_the_batch_for_memory_that_was_already_low():
    before, after = healthy(), healthy()
    for f in (before, after):
        f["memory"]["available_mb"] = f["memory"]["total_mb"] * 5 // 100
    assert health_problems(before, after, [], {}) == []


def test_plan_rows_and_tables_show_each_role_per_host():
    hostvars = {"web1": {"__remediate_roles": [{"role": "swap", "vars": {"swap_files": []}}],
                         "__remediate_changes": {"swap": ["swap file /swapfile: created"]}},
                "web2": {"__remediate_roles": []}}
    rows = plan_rows(["web1", "web2"], hostvars)
    lines = plan_lines(rows)
    assert lines[1].split() == ["web1", "swap", "swap", "file", "/swapfile:", "created"]
    assert lines[2].split()[1:] == ["-", "nothing", "to", "remedy"]
    rows[0]["roles"][0]["changes"] = None
    assert plan_lines(rows)[1].endswith("swap_files: ")
    rows[0]["roles"][0]["vars"] = {"swap_files": [{"path": "/swapfile", "size": "2G"}], "swap_swappiness": 10}
    assert plan_lines(rows)[1].endswith("swap_files: /swapfile size=2G; swap_swappiness: 10")


def test_role_changes_read_the_roles_result_facts():
    assert role_changes("swap", {"swap_result": {"skipped": False, "files": [
        {"path": "/swapfile", "outcome": "created", "changed": True},
        {"path": "/other", "outcome": "unchanged", "changed": False}]}}) == ["swap file /swapfile: created"]
    assert role_changes("swap", {"swap_result": {"skipped": True, "reason": "no CAP_SYS_ADMIN"}}) == [
        "skipped: no CAP_SYS_ADMIN"]
    assert role_changes("service_limits", {"service_limits_result": {"units": [
        {"unit": "a.service", "live_pushed": ["MemoryMax=48M"], "restart_required": False}]}}) == [
        "a.service: MemoryMax=48M"]
    # the drop-in's own flag says whether this run wrote it (no "--diff shows whether it changes" guess)
    b = {"unit": "b.service", "live_pushed": [], "restart_required": False, "dropin": "/etc/x.d/50.conf",
         "settings": {"MemoryMax": 64 << 20, "OOMScoreAdjust": -900}, "dropin_changed": True}
    assert role_changes("service_limits", {"service_limits_result": {"units": [b]}}) == [
        "b.service: drop-in /etc/x.d/50.conf written with MemoryMax=64 MiB OOMScoreAdjust=-900"]
    assert role_changes("service_limits", {"service_limits_result": {"units": [dict(b, dropin_changed=False)]}}) == []
    assert role_changes("heap", {"heap_restart_required": ["app.service"]}) == ["app.service: new heap, restart"]
    assert role_changes("database", {"database_result": {"instances": [
        {"name": "redis", "engine": "redis", "settings": {"maxmemory-policy": "noeviction", "maxmemory": 343932928},
         "restart_required": False},
        {"name": "mariadb", "engine": "mariadb", "settings": {"innodb_buffer_pool_size": 512 << 20, "max_connections": 80},
         "restart_required": False},
        {"name": "15-main", "engine": "postgresql", "settings": {"shared_buffers": "256MB"}, "restart_required": True}]}}) == [
        "redis (redis): maxmemory=328 MiB maxmemory-policy=noeviction",
        "mariadb (mariadb): innodb_buffer_pool_size=512 MiB max_connections=80",
        "15-main (postgresql): shared_buffers=256MB, restart"]
    assert role_changes("workers", {"workers_result": {"pools": [
        {"kind": "php_fpm", "name": "www", "count": 12, "current_count": 40, "changed": True, "left_alone": False},
        {"kind": "gunicorn", "name": "app", "count": 5, "current_count": None, "changed": True, "left_alone": False},
        {"kind": "apache_prefork", "name": "web", "count": 9, "current_count": 9, "changed": False, "left_alone": False},
        {"kind": "php_fpm", "name": "idle", "count": 30, "current_count": 20, "changed": False, "left_alone": True,
         "load_evidence": "not grown: average USS 3 MiB < 8 MiB"}]}}) == [
        "php_fpm www: 12 workers (was 40)", "gunicorn app: 5 workers (was unset)",
        "php_fpm idle: left alone (not grown: average USS 3 MiB < 8 MiB)"]
    assert role_changes("database", {}) == []
    assert role_changes("early_warning", {}) is None


def test_health_ignores_jobs_that_ended_with_success_during_the_batch():
    """apt-daily, logrotate, the collector or a transient systemd-run unit finish during the batch: inactive
    (service_facts: stopped, its unit-file state) or gone, never failed, so no problem."""
    running = ["apt-daily.service", "headroom-collector.service", "run-u42.service", "web.service"]
    after = {"apt-daily.service": ENDED, "headroom-collector.service": dict(ENDED, status="enabled"), "web.service": RUNNING}
    assert health_problems(healthy(), healthy(), running, after) == []
    # the same jobs failing are problems, also when service_facts found them only among the unit files
    after = dict(after, **{"apt-daily.service": FAILED, "run-u42.service": {"state": "failed", "status": "transient"}})
    assert health_problems(healthy(), healthy(), running, after) == [
        "unit(s) running before and failed now: apt-daily.service, run-u42.service"]
    # a unit that was not running before is not the batch's doing
    assert health_problems(healthy(), healthy(), ["web.service"], {"web.service": RUNNING, "x.service": FAILED}) == []


def test_health_in_check_mode_compares_no_memory_readings():
    before, after = healthy(), healthy()
    after["oom"]["events"] = [kill(pid=2, time="2026-11-30T11:30:00Z", comm="java", unit="app.service")]
    after["memory"]["available_mb"] = after["memory"]["total_mb"] * 5 // 100
    assert len(health_problems(before, after, [], {})) == 2
    assert health_problems(before, after, [], {}, check_mode=True) == []
    # a unit that failed is still a failed unit
    assert health_problems(before, after, ["app.service"], {"app.service": FAILED}, check_mode=True) == [
        "unit(s) running before and failed now: app.service"]


def test_health_refuses_a_list_for_the_services_after():
    with pytest.raises(RemediateError, match="service_facts' services .a mapping., got list"):
        health_problems(healthy(), healthy(), ["a.service"], ["a.service"])
    assert health_problems(healthy(), healthy(), ["a.service"], None) == []
