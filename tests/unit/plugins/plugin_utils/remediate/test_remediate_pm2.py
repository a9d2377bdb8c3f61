# -*- coding: utf-8 -*-
"""remediate and PM2: the pm2 role's place in the order, its variables from a report, and the health gate's
"every PM2 app online before the batch is online after"."""

import copy

import pytest

from ansible_collections.headroom.memory.plugins.plugin_utils.remediate.plan import (
    ROLES, RemediateError, health_problems, pm2_down, roles_for)
from ansible_collections.headroom.memory.tests.unit.plugins.plugin_utils.triage.test_triage_facts import kill
from ansible_collections.headroom.memory.tests.unit.plugins.plugin_utils.triage.test_triage_node import (
    UNIT, app, cluster, small_host)


def test_pm2_is_applied_last_after_the_containers():
    assert ROLES == ("swap", "service_limits", "heap", "database", "workers", "containers", "pm2")
    doc = {"pm2_apps": [{"name": "api", "max_memory_restart": "320M"}],
           "heap_services": [{"unit": "web.service", "runtime": "node", "max": "608M"}]}
    assert [r["role"] for r in roles_for(doc)] == ["heap", "pm2"]


def test_a_report_with_a_bad_pm2_item_is_refused_naming_it():
    with pytest.raises(RemediateError) as exc:
        roles_for({"pm2_apps": [{"name": "api", "ecosystem_file": "/tmp/x.js"}]}, "remedy-vars/vps.yml")
    assert "pm2_apps[0].ecosystem_file '/tmp/x.js' is not a key diagnose proposes" in str(exc.value)


def test_roles_for_rechecks_a_threshold_against_the_app_now():
    facts = small_host(app(memory_mb=310))
    with pytest.raises(RemediateError) as exc:
        roles_for({"pm2_apps": [{"name": "api", "max_memory_restart": "320M"}]}, "remedy-vars/vps.yml", facts, "vps")
    assert "PM2 would restart it again and again" in str(exc.value)


def test_every_app_online_before_is_online_after():
    before = small_host(*cluster())
    after = copy.deepcopy(before)
    assert health_problems(before, after, [], {}) == []
    after["pm2"]["apps"][1]["status"] = "errored"
    assert health_problems(before, after, [], {}) == ["PM2 app(s) online before and not now: api (1 of 2 online, "
                                                      "PM2 home /root/.pm2)"]
    after["pm2"]["apps"] = []
    assert pm2_down(before, after) == ["api (0 of 2 online, PM2 home /root/.pm2)"]


def test_an_app_down_before_or_without_pm2_readings_is_no_problem():
    before = small_host(app(status="stopped"), app(name="worker", pm_id=1))
    after = copy.deepcopy(before)
    after["pm2"]["apps"][0]["status"] = "errored"  # it was not online before the batch
    after["pm2"]["apps"].append(app(name="new", pm_id=2))
    assert health_problems(before, after, [], {}) == []
    del after["pm2"]
    assert pm2_down(before, after) == []  # the batch had no pm2 role: the subset was not read
    assert health_problems(before, small_host(app(status="errored")), [], {}, check_mode=True)  # check mode too


def test_an_app_name_in_the_problem_is_plain_text():
    before = small_host(app(name="api\x1b[2J"))
    after = copy.deepcopy(before)
    after["pm2"]["apps"][0]["status"] = "stopped"
    [problem] = health_problems(before, after, [], {})
    assert "\x1b" not in problem and "api\ufffd[2J" in problem


def test_a_new_kill_of_a_pm2_app_is_named_by_the_app():
    before = small_host(app())
    after = copy.deepcopy(before)
    after["oom"]["events"] = [kill(comm="node", unit=UNIT, pid=4321)]
    assert health_problems(before, after, [], {}) == ["1 new OOM kill(s): PM2 app api (id 0) (pid 4321, unit pm2-root.service)"]
