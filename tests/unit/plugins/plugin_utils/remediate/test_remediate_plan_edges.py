# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""remediate plan: the edges mutation testing found unpinned (issue #10): the report's age and clock-skew
bounds, the RAM tolerance, the health gate's critical line, and each line of the plan table word for word (what
the operator reads)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type


import datetime

import pytest

from ansible_collections.headroom.memory.plugins.plugin_utils.remediate.plan import (
    RemediateError, health_problems, parse_time, plan_lines, plan_rows, report_host,
    report_problems, role_changes, role_items, role_of, roles_for, vars_text)
from ansible_collections.headroom.memory.plugins.plugin_utils.remediate.proof import changed_items
from ansible_collections.headroom.memory.tests.unit.plugins.plugin_utils.triage.test_triage_facts import (
    healthy, kill)

NOW = datetime.datetime(2026, 11, 30, 12, 0, 0, tzinfo=datetime.timezone.utc)


def report(generated="2026-11-30T12:00:00Z", host="web1", status="ok", host_ram_mb=16000, ram_mb=16000,
           findings=None):
    return {"generated": generated, "hosts": [
        {"host": host, "status": status, "summary": {"host_ram_mb": host_ram_mb, "ram_mb": ram_mb},
         "findings": findings or []}]}


def at(seconds):
    return NOW + datetime.timedelta(seconds=seconds)


# --- roles_for / role_of ------------------------------------------------------------------------------------

def test_each_role_prefix_maps_to_its_role_and_the_refusal_names_them_all():
    for role in ("swap", "service_limits", "heap", "database", "workers", "containers", "pm2"):
        assert role_of(role + "_x") == role
    assert role_of("swapx") is None and role_of("workers") is None
    with pytest.raises(RemediateError) as exc:
        roles_for({"ansible_host": "x"}, "remedy-vars/web1.yml")
    assert str(exc.value) == (
        "remedy-vars/web1.yml: 'ansible_host' is not a variable of headroom.memory.swap, "
        "headroom.memory.service_limits, headroom.memory.heap, headroom.memory.database, headroom.memory.workers, "
        "headroom.memory.containers, headroom.memory.pm2: refused (a report may only set the remedy roles' variables)")
    with pytest.raises(RemediateError) as exc:
        roles_for("swap_files: []")
    assert str(exc.value) == "remedy-vars: expected a mapping of role variables, got str"


def test_a_refused_name_is_quoted_escaped_and_cut_to_80_characters():
    with pytest.raises(RemediateError) as exc:
        roles_for({"x\x1b" + "y" * 200: 1})
    text = str(exc.value)
    assert "\x1b" not in text
    assert ("'x\\x1b" + "y" * 74) in text and "y" * 75 not in text


def test_every_role_keeps_its_own_variables_in_apply_order():
    doc = {"workers_pools": [], "database_instances": [], "heap_services": [], "service_limits_units": [],
           "swap_files": [], "swap_swappiness": 10}
    assert roles_for(doc) == [
        {"role": "swap", "vars": {"swap_files": [], "swap_swappiness": 10}},
        {"role": "service_limits", "vars": {"service_limits_units": []}},
        {"role": "heap", "vars": {"heap_services": []}},
        {"role": "database", "vars": {"database_instances": []}},
        {"role": "workers", "vars": {"workers_pools": []}}]


# --- report_problems ----------------------------------------------------------------------------------------

def test_parse_time_reads_only_the_report_form():
    assert parse_time("2026-11-30T12:00:00Z") == NOW
    assert parse_time("2026-11-30 12:00:00") is None and parse_time(None) is None


def test_report_host_finds_the_entry_or_none():
    doc = {"hosts": [{"host": "a", "n": 1}, {"host": "b", "n": 2}]}
    assert report_host(doc, "b") == {"host": "b", "n": 2}
    assert report_host(doc, "c") is None and report_host(None, "a") is None and report_host({}, "a") is None


def test_a_report_exactly_the_maximum_age_old_is_still_accepted():
    facts = healthy()
    assert report_problems(report(), "web1", facts, now=at(24 * 3600)) == []
    [problem] = report_problems(report(), "web1", facts, now=at(24 * 3600 + 1))
    assert problem == ("the report is from 2026-11-30T12:00:00Z, 24.0 h ago, older than remediate_max_report_age "
                       "(24.0 h): diagnose again")
    # the default maximum is 24 h; a given one is honoured both ways
    assert report_problems(report(), "web1", facts, now=at(7200), max_age_s=7200) == []
    assert len(report_problems(report(), "web1", facts, now=at(7201), max_age_s=7200)) == 1


def test_a_report_up_to_five_minutes_in_the_future_is_accepted_beyond_refused():
    facts = healthy()
    assert report_problems(report(), "web1", facts, now=at(-300)) == []
    assert report_problems(report(), "web1", facts, now=at(-301)) == [
        "the report is from 2026-11-30T12:00:00Z, in the future: check the controller's clock"]


def test_a_report_without_a_readable_time_says_what_it_holds():
    problems = report_problems(report(generated="yesterday"), "web1", healthy(), now=NOW)
    assert problems == ["the report has no readable time (generated='yesterday')"]
    del_report = report()
    del del_report["generated"]
    assert report_problems(del_report, "web1", healthy(), now=NOW) == ["the report has no readable time (generated=None)"]


def test_now_defaults_to_the_current_time():
    fresh = report(generated=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert report_problems(fresh, "web1", healthy()) == []
    assert len(report_problems(report(generated="2020-01-01T00:00:00Z"), "web1", healthy())) == 1


def test_a_host_that_failed_in_the_report_is_refused_and_nothing_else_is_checked():
    facts = healthy()
    facts["memory"]["total_mb"] = 1000
    assert report_problems(report(status="unreachable"), "web1", facts, now=NOW) == [
        "web1 was unreachable in the report: diagnose it again"]
    assert report_problems({"generated": "x", "hosts": []}, "web1", facts, now=NOW) == [
        "the report has no readable time (generated='x')", "web1 is not in the report: diagnose it first"]


def test_ram_within_one_percent_is_the_same_host():
    facts = healthy()  # 16000 MiB
    # the tolerance is a share of the report's RAM: 158 of 15842 and 161 of 16161 are within 1 %
    for then in (16000, 15842, 16161):
        assert report_problems(report(host_ram_mb=then, ram_mb=16000), "web1", facts, now=NOW) == [], then
    [problem] = report_problems(report(host_ram_mb=15841, ram_mb=16000), "web1", facts, now=NOW)
    assert problem == "RAM (MemTotal) of web1 changed since the report: 15.5 GiB then, 15.6 GiB now; diagnose again"
    assert report_problems(report(host_ram_mb=16162, ram_mb=16000), "web1", facts, now=NOW)
    # a wider tolerance is honoured
    assert report_problems(report(host_ram_mb=15000, ram_mb=16000), "web1", facts, now=NOW, ram_tolerance_pct=7) == []


def test_a_cgroup_limit_that_changed_is_refused_on_its_own_line():
    facts = healthy()
    facts["cgroup"].update(limit_mb=2000, usage_mb=500)
    assert report_problems(report(host_ram_mb=16000, ram_mb=2000), "web1", facts, now=NOW) == []
    assert report_problems(report(host_ram_mb=16000, ram_mb=4000), "web1", facts, now=NOW) == [
        "its memory (RAM or cgroup limit) of web1 changed since the report: 3.9 GiB then, 2.0 GiB now; diagnose again"]
    both = report_problems(report(host_ram_mb=8000, ram_mb=500), "web1", facts, now=NOW)
    assert [p[:p.index(" of web1")] for p in both] == ["RAM (MemTotal)", "its memory (RAM or cgroup limit)"]


def test_an_unknown_ram_on_either_side_is_not_compared():
    facts = healthy()
    assert report_problems(report(host_ram_mb=None, ram_mb=None), "web1", facts, now=NOW) == []
    unknown = healthy()
    del unknown["memory"]["total_mb"]
    assert report_problems(report(host_ram_mb=1, ram_mb=1), "web1", unknown, now=NOW) == []
    assert report_problems(report(host_ram_mb=1, ram_mb=1), "web1", None, now=NOW) == []
    # a report RAM of 0 is compared with 1 (no division by zero), and any real RAM differs from it
    assert len(report_problems(report(host_ram_mb=0, ram_mb=0), "web1", facts, now=NOW)) == 2


# --- health_problems ----------------------------------------------------------------------------------------

def low(pct):
    facts = healthy()
    facts["memory"]["available_mb"] = facts["memory"]["total_mb"] * pct // 100
    return facts


def test_memory_exactly_at_the_critical_line_passes_under_it_fails():
    assert health_problems(healthy(), low(10), [], {}) == []
    assert health_problems(healthy(), low(9), [], {}) == [
        "memory available 9.0% is under the critical line 10% (was 68.8%)"]
    assert health_problems(healthy(), low(15), [], {}, {"available_crit_pct": 20}) == [
        "memory available 15.0% is under the critical line 20% (was 68.8%)"]


def test_low_memory_after_an_unknown_before_is_a_problem_and_says_so():
    unknown = healthy()
    del unknown["memory"]["available_mb"]
    assert health_problems(unknown, low(5), [], {}) == [
        "memory available 5.0% is under the critical line 10% (was unknown)"]
    assert health_problems(None, low(5), None, None) == [
        "memory available 5.0% is under the critical line 10% (was unknown)"]
    assert health_problems(low(5), unknown, [], {}) == []  # nothing known after: no claim
    assert health_problems(low(10), low(5), [], {}) == [
        "memory available 5.0% is under the critical line 10% (was 10.0%)"]


def test_stopped_units_are_listed_sorted_and_a_kill_without_names_says_so():
    before, after = healthy(), healthy()
    event = kill(pid=5, unit=None, memcg="/")
    event["victim"]["comm"] = None
    after["oom"]["events"] = [event]
    failed = {"state": "stopped", "status": "failed"}
    after_units = {"a.service": failed, "b.service": {"state": "running", "status": "enabled"}, "c.service": failed}
    assert health_problems(before, after, ["c.service", "a.service", "b.service"], after_units) == [
        "unit(s) running before and failed now: a.service, c.service",
        "1 new OOM kill(s): ? (pid 5, unit none)"]


def test_a_kill_is_new_unless_time_pid_and_unit_all_match_one_before():
    before, after = healthy(), healthy()
    before["oom"]["events"] = [kill(pid=1, unit="a.service")]
    for changed in (dict(pid=2, unit="a.service"), dict(pid=1, unit="b.service"),
                    dict(pid=1, unit="a.service", time="2026-11-20T10:00:01Z")):
        after["oom"]["events"] = [kill(pid=1, unit="a.service"), kill(**changed)]
        [problem] = health_problems(before, after, [], {})
        assert problem.startswith("1 new OOM kill(s): hog (pid %s, unit %s)" % (changed["pid"], changed["unit"]))
    after["oom"]["events"] = [kill(pid=3, comm="a"), kill(pid=4, comm="b")]
    assert health_problems(before, after, [], {}) == [
        "2 new OOM kill(s): a (pid 3, unit hog.service), b (pid 4, unit hog.service)"]


# --- tables -------------------------------------------------------------------------------------------------

def test_plan_table_text_has_its_control_characters_replaced():
    plan = plan_lines([{"host": "h\x1b", "roles": [{"role": "swap\x07", "vars": {}, "changes": ["a\nb"]}]}])
    assert plan[1].split() == ["h\ufffd", "swap\ufffd", "a\ufffdb"]


def test_vars_text_names_items_by_unit_or_path_and_keeps_scalars():
    assert vars_text({"b": [{"unit": "a.service", "memory_max": "1G", "x": 1}, {"path": "/s", "size": "2G"},
                            {"size": "1G"}, "plain", 3],
                      "a": 5}) == "a: 5; b: a.service memory_max=1G x=1, /s size=2G, size=1G, plain, 3"
    assert vars_text({"u": [{"unit": "u.service", "path": "/p"}]}) == "u: u.service"
    assert vars_text({}) == ""


def test_plan_lines_word_for_word():
    plans = [{"host": "web1", "roles": [{"role": "swap", "vars": {"swap_swappiness": 10}, "changes": None},
                                        {"role": "heap", "vars": {}, "changes": []},
                                        {"role": "database", "vars": {}, "changes": ["a", "b"]}]},
             {"host": "web2"}]
    assert plan_lines(plans) == [
        "HOST                      ROLE             WOULD CHANGE",
        "web1                      swap             swap_swappiness: 10",
        "web1                      heap             nothing (already in place)",
        "web1                      database         a; b",
        "web2                      -                nothing to remedy"]
    assert plan_lines(None) == ["HOST                      ROLE             WOULD CHANGE"]
    assert plan_lines([{"host": "h", "roles": [{"role": "swap"}]}])[1].rstrip() == "h                         swap"


def test_plan_rows_for_hosts_without_vars_or_changes():
    assert plan_rows(["a", "b"], {"a": {"__remediate_roles": [{"role": "swap", "vars": {}}]}}) == [
        {"host": "a", "roles": [{"role": "swap", "vars": {}, "changes": None}]},
        {"host": "b", "roles": []}]
    assert plan_rows(None, {}) == []


# --- role_changes -------------------------------------------------------------------------------------------

def test_swap_changes_list_only_changed_files_and_a_skip_says_why():
    assert role_changes("swap", {}) == []
    assert role_changes("swap", None) == []
    assert role_changes("swap", {"swap_result": {"skipped": True}}) == ["skipped: None"]


def test_service_limits_changes_each_kind_of_unit_line():
    units = [
        {"unit": "a.service", "live_pushed": ["MemoryMax=48M", "MemoryHigh=40M"], "restart_required": True,
         "restart_reasons": ["OOMPolicy", "LimitNOFILE"], "settings": {"MemoryMax": 1}},
        {"unit": "b.service", "live_pushed": [], "restart_required": True, "settings": {"MemoryMax": 1}},
        {"unit": "c.service", "live_pushed": [], "restart_required": False, "settings": {}},
        # the drop-in this run wrote (cgroup v2 applies it at daemon-reload: nothing pushed, no restart)
        {"unit": "d.service", "dropin": "/d.conf", "state": "present", "dropin_changed": True, "settings": {
            "MemoryHigh": 3 << 30, "MemoryMax": int(1075.9 * (1 << 20)), "MemorySwapMax": "infinity",
            "OOMPolicy": "stop", "ManagedOOM": 5}},
        # a drop-in already in place: the role's result says it did not change, so nothing is said
        {"unit": "e.service", "dropin": "/e.conf", "state": "present", "dropin_changed": False,
         "settings": {"MemoryMax": 1 << 30}},
        {"unit": "f.service", "dropin": "/f.conf", "state": "absent", "dropin_changed": True, "settings": {}}]
    assert role_changes("service_limits", {"service_limits_result": {"units": units}}) == [
        "a.service: MemoryMax=48M MemoryHigh=40M",
        "a.service: restart (OOMPolicy; LimitNOFILE)",
        "b.service: restart ()",
        "d.service: drop-in /d.conf written with ManagedOOM=5 MemoryHigh=3.0 GiB MemoryMax=1.0 GiB "
        "MemorySwapMax=infinity OOMPolicy=stop",
        "f.service: drop-in /f.conf removed"]
    assert role_changes("service_limits", {}) == []
    # the proof reads the same items: changed are the units something was said of
    assert changed_items("service_limits", {"service_limits_result": {"units": units}}) == [
        ["a.service"], ["b.service"], ["d.service"], ["f.service"]]


def test_one_reader_of_the_roles_results():
    assert role_items("containers", {"x": 1}) is None and role_changes("pm2", {}) is None
    assert role_items("swap", {}) is None and role_changes("swap", {}) == [] and changed_items("swap", {}) is None
    items = role_items("workers", {"workers_result": {"pools": [
        {"kind": "php_fpm", "name": "www", "dest": "/p.conf", "changed": True, "count": 4, "current_count": 40}]}})
    assert items == [{"names": ["www", "/p.conf"], "changed": True, "said": ["php_fpm www: 4 workers (was 40)"]}]


def test_heap_changes_one_line_per_restart():
    assert role_changes("heap", {"heap_restart_required": ["a.service", "b.service"]}) == [
        "a.service: new heap, restart", "b.service: new heap, restart"]
    assert role_changes("heap", {}) == []


def test_database_sizes_in_bytes_read_in_mib_only_for_memory_sizes():
    instances = [{"name": "n", "engine": "e", "settings": {
        "maxmemory": 1 << 20, "x_size": (1 << 20) - 1, "y_memory": True, "query_cache_size": 2 << 30,
        "max_connections": 5 << 20, "work_mem": "4MB", "z_size": int(1075.9 * (1 << 20))}, "restart_required": False},
        {"name": "m", "engine": "f"}]
    assert role_changes("database", {"database_result": {"instances": instances}}) == [
        "n (e): max_connections=5242880 maxmemory=1 MiB query_cache_size=2.0 GiB work_mem=4MB "
        "x_size=1048575 y_memory=True z_size=1.0 GiB",
        "m (f): no setting"]


def test_workers_changes_left_alone_changed_and_unchanged_pools():
    pools = [{"kind": "gunicorn", "name": "a", "left_alone": True},
             {"kind": "gunicorn", "name": "b", "changed": True, "count": 3, "current_count": 0},
             {"kind": "gunicorn", "name": "c", "changed": False, "count": 3}]
    assert role_changes("workers", {"workers_result": {"pools": pools}}) == [
        "gunicorn a: left alone (no evidence of load)", "gunicorn b: 3 workers (was 0)"]
    assert role_changes("workers", {}) == []


def test_survivors_of_the_first_edge_run():
    # a name that starts like a role's but is not a plain lower-case variable name is refused
    for bad in ("swap_Files", "swap_files\n", "heap_x-y"):
        with pytest.raises(RemediateError, match="refused"):
            roles_for({bad: 1})
    # an unknown MemTotal on one side does not skip the cgroup comparison after it
    facts = healthy()
    assert report_problems(report(host_ram_mb=None, ram_mb=8000), "web1", facts, now=NOW) == [
        "its memory (RAM or cgroup limit) of web1 changed since the report: 7.8 GiB then, 15.6 GiB now; diagnose again"]
    # exactly 1 % more RAM than the report's is still the same host
    grown = healthy()
    grown["memory"]["total_mb"] = 16160
    assert report_problems(report(host_ram_mb=16000, ram_mb=16000), "web1", grown, now=NOW) == []
    # a unit whose limits were pushed live names them, not its drop-in
    assert role_changes("service_limits", {"service_limits_result": {"units": [
        {"unit": "a.service", "live_pushed": ["MemoryMax=1G"], "restart_required": False, "dropin": "/d.conf",
         "settings": {"MemoryMax": 1 << 30}}]}}) == ["a.service: MemoryMax=1G"]


def test_containers_changes_each_container_limited_or_written_and_each_manifest():
    result = {"containers": [
        {"name": "web", "changed": True, "file_changed": False, "summary": "web (docker): memory 64 MiB"},
        {"name": "q", "changed": False, "file_changed": True, "summary": "q (podman): memory 48 MiB; quadlet written"},
        {"name": "calm", "changed": False, "file_changed": False, "summary": "calm (docker): memory 32 MiB"}],
        "manifests": {"/k/b.yaml": True, "/k/a.yaml": False}}
    assert role_changes("containers", {"containers_result": result}) == [
        "web (docker): memory 64 MiB", "q (podman): memory 48 MiB; quadlet written",
        "manifest /k/b.yaml: resources.limits.memory written"]
    assert role_changes("containers", {}) == []
