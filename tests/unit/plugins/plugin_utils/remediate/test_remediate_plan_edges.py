# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""remediate plan: the edges mutation testing found unpinned (issue #10): the report's age and clock-skew
bounds, the RAM tolerance, the health gate's critical line, every reason a finding remains, the restart wait,
and each line of the plan and outcome tables word for word (they are what the operator reads)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type


import datetime

import pytest

from ansible_collections.headroom.memory.plugins.plugin_utils.remediate.plan import (
    RemediateError, health_problems, outcome, outcome_lines, parse_time, plan_lines, plan_rows, report_host,
    report_problems, role_changes, role_of, roles_for, vars_text)
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


# --- outcome: why a finding remains -----------------------------------------------------------------------

def finding(fid, role="headroom.memory.swap", severity="warning", **remedy):
    rem = dict(remedy)
    if role is not None:
        rem["role"] = role
    return {"id": fid, "severity": severity, "remedy": rem}


def remains(f, done):
    doc = {"hosts": [{"host": "h", "status": "ok", "findings": [f]}]}
    result = outcome(doc, doc, {"h": done} if done is not None else None)
    [host] = result["hosts"]
    [r] = host["remaining"]
    assert r["id"] == f["id"] and r["severity"] == f["severity"]
    return r["reason"]


def test_each_reason_a_finding_remains_word_for_word():
    ok = {"status": "ok", "roles": ["swap"]}
    assert remains(finding("swap_missing"), {"status": "failed", "msg": "disk full"}) == (
        "not fixed: the host failed during remediate (disk full)")
    assert remains(finding("swap_missing"), {"status": "failed"}) == (
        "not fixed: the host failed during remediate (see the run)")
    assert remains(finding("swap_missing"), None) == (
        "not applied: the run stopped before this host's batch, or it was not in the play")
    for fid in ("oom_kills_recent", "leak_suspect"):
        assert remains(finding(fid), ok) == (
            "reads the OOM history of the window: it clears when those kills age out of the window")
    # a leak its unit's limit contains now: diagnose proposes nothing more, and no role fixes the leak itself
    assert remains(finding("leak_suspect", role=None), ok) == (
        "contained by its unit's memory limit; no role of this collection fixes the leak itself: fix the program "
        "or recycle it (max_requests, pm.max_requests, a timer restart)")
    assert remains(finding("swap_missing", withheld=["a restart", "no MemoryMax"]), ok) == (
        "withheld by the remedy gate: a restart; no MemoryMax")
    assert remains(finding("x", role=None, settings=[{"setting": "vm.swappiness", "value": 10, "service": "sysctl"},
                                                     {"setting": "b", "value": 2, "service": "c"}]), ok) == (
        "no role of this collection changes it: set vm.swappiness = 10 (sysctl), b = 2 (c)")
    assert remains(finding("x", role=None, text="add RAM"), ok) == "no role of this collection fixes it: add RAM"
    assert remains(finding("x", role=None), ok) == "no role of this collection fixes it: see the report"
    assert remains(finding("x", role="headroom.memory.heap"), ok) == (
        "heap was not applied here (its variables were not in remedy-vars)")
    assert remains(finding("x", role="headroom.memory.swap"), ok) == (
        "swap was applied and the finding remains: diagnose again once the service has settled")
    assert remains(finding("x", role="swap"), ok).startswith("swap was applied")
    assert remains(finding("x", role="headroom.memory.swap"), {"status": "ok"}).startswith("swap was not applied")


def test_a_withheld_remedy_or_history_wins_over_the_later_reasons():
    done = {"status": "ok", "roles": [], "restart_required": ["a.service"], "restart_allowed": False}
    assert remains(finding("oom_kills_recent", role=None), done).startswith("reads the OOM history")
    assert remains(finding("x", role=None, withheld=["w"]), done) == "withheld by the remedy gate: w"
    mine = {"heap_services": [{"unit": "a.service"}]}
    assert remains(finding("x", vars=mine), done) == (
        "needs a restart that was not allowed (remediate_restart: false): a.service")
    # only the restarts its own remedy waits for: another unit's is not this finding's reason
    assert remains(finding("x"), done).startswith("swap was not applied")
    assert remains(finding("x", vars=mine), dict(done, restart_allowed=True)).startswith("swap was not applied")
    assert remains(finding("x", vars=mine), dict(done, restart_required=[])).startswith("swap was not applied")


# --- outcome: fixed, pending, new, unread -----------------------------------------------------------------

def db_finding(fid, vars_):
    return {"id": fid, "severity": "warning", "remedy": {"role": "headroom.memory.database", "vars": vars_}}


def gone(f, done):
    before = {"hosts": [{"host": "h", "status": "ok", "findings": [f]}]}
    after = {"hosts": [{"host": "h", "status": "ok", "findings": []}]}
    [host] = outcome(before, after, {"h": done})["hosts"]
    return host["fixed"], [p["reason"].rsplit(": ", 1)[-1] for p in host["pending"]]


def test_a_finding_waits_for_a_restart_named_by_unit_or_name_in_any_list_variable():
    done = {"status": "ok", "roles": ["database"], "restart_required": ["a.service", "pg", "other"],
            "restart_allowed": False}
    assert gone(db_finding("f", {"database_instances": [{"name": "pg"}, {"unit": "a.service"}]}), done) == (
        [], ["a.service, pg"])
    assert gone(db_finding("f", {"x": [{"unit": "a.service", "name": None}]}), done) == ([], ["a.service"])
    # names not in a list of mappings, or not waiting, do not hold a finding back
    assert gone(db_finding("f", {"x": "pg", "y": ["pg"], "z": [{"name": None, "unit": None}], "n": 5,
                                 "d": {"name": "pg"}}), done) == (["f"], [])
    assert gone(db_finding("f", {"x": [{"name": "nope"}]}), done) == (["f"], [])
    assert gone({"id": "f", "severity": "info"}, done) == (["f"], [])


def test_pending_reason_word_for_word():
    done = {"status": "ok", "roles": ["database"], "restart_required": ["pg"], "restart_allowed": False}
    before = {"hosts": [{"host": "h", "status": "ok", "findings": [db_finding("f", {"i": [{"name": "pg"}]})]}]}
    result = outcome(before, {"hosts": [{"host": "h", "status": "ok"}]}, {"h": done})
    assert result["hosts"][0]["pending"] == [{"id": "f", "severity": "warning", "reason": (
        "fixed in the configuration; the running service keeps the old setting until the restart that was not "
        "allowed (remediate_restart: false): pg")}]
    assert result["hosts"][0]["status"] == "ok"


def test_a_host_not_read_again_keeps_every_finding_and_new_ones_are_listed():
    before = {"hosts": [
        {"host": "a", "status": "ok", "findings": [finding("f1"), finding("f2", severity="critical")]},
        {"host": "b", "status": "ok", "findings": [finding("f1")]},
        {"host": "c", "status": "ok", "findings": [finding("f1")]}]}
    after = {"hosts": [{"host": "b", "status": "unreachable"},
                       {"host": "c", "status": "ok", "findings": [finding("f1"), finding("f3"), finding("f4")]}]}
    result = outcome(before, after, {"a": {"status": "ok"}, "c": {"status": "changed"}})
    a, b, c = result["hosts"]
    assert a == {"host": "a", "status": "unread", "fixed": [], "pending": [], "new": [], "remaining": [
        {"id": "f1", "severity": "warning", "reason": "could not diagnose the host again"},
        {"id": "f2", "severity": "critical", "reason": "could not diagnose the host again"}]}
    assert b["status"] == "unread" and len(b["remaining"]) == 1
    assert c["status"] == "changed" and c["new"] == ["f3", "f4"] and c["fixed"] == []
    assert (result["fixed"], result["pending"], result["remaining"], result["new"]) == (0, 0, 4, 2)
    assert outcome(None, None) == {"hosts": [], "fixed": 0, "pending": 0, "remaining": 0, "new": 0}


# --- tables -------------------------------------------------------------------------------------------------

def test_outcome_lines_word_for_word():
    result = {"hosts": [
        {"host": "web1", "fixed": ["swap_missing"], "pending": [{"id": "db", "reason": "waits"}],
         "remaining": [{"id": "leak_suspect", "reason": "history"}], "new": ["x"]},
        {"host": "web2", "fixed": [], "remaining": [], "new": []}],
        "fixed": 1, "pending": 1, "remaining": 1, "new": 1}
    assert outcome_lines(result) == [
        "HOST                      RESULT    FINDING                   WHY",
        "web1                      fixed     swap_missing              ",
        "web1                      pending   db                        waits",
        "web1                      remains   leak_suspect              history",
        "web1                      new       x                         appeared since the report",
        "web2                      ok        -                         no finding before or after",
        "1 fixed, 1 pending a restart, 1 remaining, 1 new finding(s)"]
    assert outcome_lines({}) == [
        "HOST                      RESULT    FINDING                   WHY",
        "0 fixed, 0 pending a restart, 0 remaining, 0 new finding(s)"]


def test_a_host_with_only_a_pending_finding_is_not_ok():
    lines = outcome_lines({"hosts": [{"host": "h", "fixed": [], "pending": [{"id": "p", "reason": "r"}],
                                      "remaining": [], "new": []}]})
    assert [line.split()[1] for line in lines[1:-1]] == ["pending"]


def test_table_text_has_its_control_characters_replaced():
    lines = outcome_lines({"hosts": [{"host": "h\x1b", "fixed": ["f\n"], "remaining": [{"id": "r", "reason": "a\rb"}],
                                      "new": ["n\x00"]}]})
    assert all("\x1b" not in line and "\n" not in line and "\r" not in line and "\x00" not in line for line in lines)
    assert lines[1].startswith("h\ufffd ")
    plan = plan_lines([{"host": "h\x1b", "roles": [{"role": "swap\x07", "vars": {}, "changes": ["a\nb"]}]}])
    assert plan[1].split() == ["h\ufffd", "swap\ufffd", "a\ufffdb"]
    # a console table, not HTML: quotes, ampersands and angle brackets stay as they are
    lines = outcome_lines({"hosts": [{"host": "a&b", "fixed": [], "remaining": [{"id": "r", "reason": "it's <x>"}],
                                      "new": []}]})
    assert lines[1].split() == ["a&b", "remains", "r", "it's", "<x>"]


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
        {"unit": "d.service", "dropin": "/d.conf", "settings": {
            "MemoryHigh": 3 << 30, "MemoryMax": int(1075.9 * (1 << 20)), "MemorySwapMax": "infinity",
            "OOMPolicy": "stop", "ManagedOOM": 5}}]
    assert role_changes("service_limits", {"service_limits_result": {"units": units}}) == [
        "a.service: MemoryMax=48M MemoryHigh=40M",
        "a.service: restart (OOMPolicy; LimitNOFILE)",
        "b.service: restart ()",
        "d.service: drop-in /d.conf with ManagedOOM=5 MemoryHigh=3.0 GiB MemoryMax=1.0 GiB MemorySwapMax=infinity "
        "OOMPolicy=stop "
        "(--diff shows whether it changes)"]
    assert role_changes("service_limits", {}) == []


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
    # several units waiting for a restart are listed with commas
    done = {"status": "ok", "roles": [], "restart_required": ["a.service", "b.service"], "restart_allowed": False}
    assert remains(finding("x", vars={"service_limits_units": [{"unit": "b.service"}, {"unit": "a.service"}]}),
                   done) == "needs a restart that was not allowed (remediate_restart: false): a.service, b.service"
    # a host with only remaining findings (or only new ones) is not "ok"
    for kind in ("remaining", "new"):
        h = {"host": "h", "fixed": [], "remaining": [], "new": []}
        h[kind] = [{"id": "r", "reason": "x"}] if kind == "remaining" else ["n"]
        assert [line.split()[1] for line in outcome_lines({"hosts": [h]})[1:-1]] == [
            "remains" if kind == "remaining" else "new"]
    # a unit whose limits were pushed live names them, not its drop-in
    assert role_changes("service_limits", {"service_limits_result": {"units": [
        {"unit": "a.service", "live_pushed": ["MemoryMax=1G"], "restart_required": False, "dropin": "/d.conf",
         "settings": {"MemoryMax": 1 << 30}}]}}) == ["a.service: MemoryMax=1G"]
