# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pm2 role's read step: jlist reduced without the environment, and the plan refusing by the sizing plan's rules."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json

import pytest

from ansible_collections.headroom.memory.plugins.plugin_utils.pm2.role import jlist_apps, preflight, role_plan
from ansible_collections.headroom.memory.plugins.plugin_utils.pm2.role import want as role_want

MIB = 1024 * 1024
SECRET = "s3cret-token"
FILE = "/srv/app/ecosystem.json"
TEXT = json.dumps({"apps": [{"name": "api", "script": "a.js", "exec_mode": "cluster", "instances": 2,
                             "env": {"TOKEN": SECRET}}]}, indent=2) + "\n"


def proc(pid, memory_mb, mmr=None, args=None, mode="cluster_mode"):
    env = {"status": "online", "exec_mode": mode, "restart_time": 1, "pm_cwd": "/srv/app", "TOKEN": SECRET,
           "env": {"TOKEN": SECRET}}
    if mmr is not None:
        env["max_memory_restart"] = mmr
    if args is not None:
        env["node_args"] = args
    return {"name": "api", "pm_id": pid - 100, "pid": pid, "pm2_env": env, "monit": {"memory": memory_mb * MIB}}


def jlist(*procs):
    return "[PM2] a notice line\n" + json.dumps(list(procs)) + "\n"


def test_jlist_keeps_only_the_keys_the_role_uses_never_the_environment():
    apps = jlist_apps(jlist(proc(101, 80, 200 * MIB, ["--max-old-space-size=96", "--inspect"]), proc(102, 70)))
    assert SECRET not in json.dumps(apps)
    assert apps[0] == {"name": "api", "pm_id": 1, "pid": 101, "status": "online", "exec_mode": "cluster",
                       "max_memory_restart": 200 * MIB, "heap_args": ["--max-old-space-size=96"], "memory_mb": 80.0,
                       "restarts": 1, "cron_restart": None, "cwd": "/srv/app"}
    assert apps[1]["max_memory_restart"] is None and apps[1]["heap_args"] == []
    assert jlist_apps(proc(101, 80, args="--max_old_space_size=64")["pm2_env"] and "not json") == []
    assert jlist_apps("") == [] and jlist_apps("[1, \"x\"]") == []
    assert jlist_apps(jlist(proc(101, 80, args="--max_old_space_size=64")))[0]["heap_args"] == ["--max_old_space_size=64"]


def want(mmr=None, heap=None):
    nbytes = None if mmr is None else int(mmr[:-1]) * MIB
    return [{"name": "api", "max_memory_restart": mmr, "max_memory_restart_bytes": nbytes, "max_old_space_size": heap,
             "restart": True}]


def plan(w, *procs):
    now = jlist_apps(jlist(*procs))
    return role_plan(w, now, {"api": [FILE]}, {FILE: base64.b64encode(TEXT.encode()).decode()},
                     {FILE: {"uid": 0, "gid": 0, "mode": "0644"}})[0]


def test_a_threshold_and_heap_that_fit_are_planned_with_the_edit():
    p = plan(want("200M", 96), proc(101, 80), proc(102, 70))
    assert p["refusal"] is None and p["action"] == "reload" and p["instances"] == 2
    assert p["file_changed"] and p["live_differs"] and p["max_memory_restart_mb"] == 200 and p["max_old_space_size"] == 96
    edited = json.loads(p["text"])["apps"][0]
    assert edited["max_memory_restart"] == "200M" and edited["node_args"] in ("--max-old-space-size=96", ["--max-old-space-size=96"])


def test_the_threshold_refusal_is_the_sizing_plans_rule():
    # 80 MiB held: the plan needs 80 + 8 MiB margin = 88 MiB; 88M passes, 87M does not
    assert plan(want("88M"), proc(101, 80))["refusal"] is None
    assert plan(want("87M"), proc(101, 80))["refusal"] == (
        "max_memory_restart 87M (87 MiB) is under what one instance holds now plus the margin "
        "(80 MiB + 8 MiB = 88 MiB): PM2 would restart it forever")


def test_the_heap_refusal_is_the_sizing_plans_rule_also_against_the_threshold_pm2_runs_now():
    assert plan(want("200M", 150), proc(101, 80))["refusal"] is None
    assert plan(want("200M", 151), proc(101, 80))["refusal"].startswith(
        "max_old_space_size 151 MiB is above 75% of max_memory_restart 200M (150 MiB)")
    # only a heap wanted: PM2's live threshold (100 MiB) is the one it must fit under
    assert plan(want(heap=76), proc(101, 80, 100 * MIB))["refusal"].startswith(
        "max_old_space_size 76 MiB is above 75% of max_memory_restart 100M (75 MiB)")


def test_what_pm2_already_runs_is_not_applied_again():
    done = TEXT.replace('"instances": 2,', '"instances": 2,\n      "max_memory_restart": "200M",')
    now = jlist_apps(jlist(proc(101, 80, 200 * MIB)))
    p = role_plan(want("200M"), now, {"api": [FILE]}, {FILE: base64.b64encode(done.encode()).decode()}, {FILE: {}})[0]
    assert not p["live_differs"] and not p["file_changed"] and p["refusal"] is None


# --- cron_restart: the scheduled restart, read from jlist, written to the file, compared with what PM2 runs ---------

def cron_proc(pid, cron):
    p = proc(pid, 80)
    if cron is not None:
        p["pm2_env"]["cron_restart"] = cron
    return p


def test_jlist_reads_cron_restart_and_takes_0_for_none():
    apps = jlist_apps(jlist(cron_proc(101, "0 4 * * *"), cron_proc(102, "0"), cron_proc(103, None)))
    assert [a["cron_restart"] for a in apps] == ["0 4 * * *", None, None]


def test_a_cron_restart_is_written_and_applied_then_already_set():
    w = [dict(want()[0], cron_restart="0 4 * * *")]
    first = plan(w, cron_proc(101, None), cron_proc(102, None))
    assert first["refusal"] is None and first["file_changed"] and first["needs_apply"]
    assert json.loads(first["text"])["apps"][0]["cron_restart"] == "0 4 * * *" and first["cron_restart"] == "0 4 * * *"
    running = [cron_proc(101, "0 4 * * *"), cron_proc(102, "0 4 * * *")]
    now = jlist_apps(jlist(*running))
    again = role_plan(w, now, {"api": [FILE]}, {FILE: base64.b64encode(first["text"].encode()).decode()},
                      {FILE: {"uid": 0, "gid": 0, "mode": "0644"}})[0]
    assert not again["file_changed"] and not again["needs_apply"]
    # one instance still on the old pattern: PM2 must apply it
    assert plan(w, cron_proc(101, "0 4 * * *"), cron_proc(102, "0 3 * * *"))["needs_apply"]


# --- preflight and want: the role's input, checked before any host query -------------------------------------------

GOOD = [{"name": "api", "max_memory_restart": "300M", "max_old_space_size": 128, "cron_restart": "*/5 * * * *",
         "ecosystem_file": "/srv/api/ecosystem.config.js", "restart": True}, {"name": "web", "max_memory_restart": 200}]


def test_preflight_accepts_good_input():
    assert preflight(GOOD) == [] and preflight(GOOD, "app_user", "/home/app/.pm2", "/usr/local/bin/pm2", "30") == []


@pytest.mark.parametrize("args, message", [
    (([],), "pm2_apps must be a non-empty list"),
    (("api",), "pm2_apps must be a non-empty list"),
    ((["api"],), 'pm2_apps[0] "api" is not a mapping'),
    (([{"name": "api", "max_memory_restart": "300M", "cpu": 1}],), "pm2_apps[0] has unknown key(s) cpu"),
    (([{"name": "-api", "max_memory_restart": "300M"}],), 'name "-api" is not a PM2 app name'),
    (([{"name": "a\nb", "max_memory_restart": "300M"}],), 'name "a\\nb" is not a PM2 app name'),
    (([{"name": "api"}],), '"api" sets none of max_memory_restart, max_old_space_size, cron_restart'),
    (([{"name": "api", "max_memory_restart": "300m"}],), 'max_memory_restart "300m" is not in PM2 notation'),
    (([{"name": "api", "max_memory_restart": True}],), "max_memory_restart true is not in PM2 notation"),
    (([{"name": "api", "max_old_space_size": 5}],), "max_old_space_size 5 is not a number of MiB"),
    (([{"name": "api", "cron_restart": "0 4 * *"}],), 'cron_restart "0 4 * *" is not a 5-field cron pattern'),
    (([{"name": "api", "cron_restart": "0 4 * * *; reboot"}],), "is not a 5-field cron pattern"),
    (([{"name": "api", "cron_restart": "0 4 * * *\nx"}],), "is not a 5-field cron pattern"),
    (([{"name": "api", "cron_restart": "@daily"}],), "is not a 5-field cron pattern"),
    (([{"name": "api", "cron_restart": 0}],), "cron_restart 0 is not a 5-field cron pattern"),
    (([{"name": "api", "max_old_space_size": 64, "ecosystem_file": "/srv/../etc/x.json"}],), "ecosystem_file"),
    (([{"name": "api", "max_old_space_size": 64, "ecosystem_file": "/srv/app/run.sh"}],), "ending in .json"),
    (([{"name": "api", "max_old_space_size": 64, "restart": "yes"}],), 'restart "yes" is not true or false'),
    (([{"name": "api", "max_old_space_size": 64}, {"name": "api", "max_old_space_size": 64}],), "names repeat"),
    ((GOOD, "Root"), 'pm2_user "Root" is not a user name'),
    ((GOOD, "root", "/root/.pm2/"), 'pm2_home "/root/.pm2/" is not null or an absolute normalised path'),
    ((GOOD, "root", None, "bin/pm2"), 'pm2_executable "bin/pm2" is not pm2'),
    ((GOOD, "root", None, "pm2", 0), "pm2_online_timeout 0 is not 1 to 9999 seconds"),
])
def test_preflight_names_each_bad_value(args, message):
    errors = preflight(*args)
    assert any(message in e for e in errors), errors


def test_want_keeps_pm2s_notation_and_takes_a_bare_number_as_mib():
    got = role_want(GOOD)
    assert got[0] == {"name": "api", "max_memory_restart": "300M", "max_memory_restart_bytes": 300 * MIB,
                      "max_memory_restart_mb": 300.0, "max_old_space_size": 128, "cron_restart": "*/5 * * * *",
                      "ecosystem_file": "/srv/api/ecosystem.config.js", "restart": True}
    assert got[1]["max_memory_restart"] == "200M" and got[1]["restart"] is False and got[1]["cron_restart"] is None
    assert role_want([{"name": "a", "max_memory_restart": "512000K"}], True)[0]["max_memory_restart_mb"] == 500.0
    assert role_want([{"name": "a", "max_old_space_size": "96", "restart": False}], True)[0] == {
        "name": "a", "max_memory_restart": None, "max_memory_restart_bytes": None, "max_memory_restart_mb": None,
        "max_old_space_size": 96, "cron_restart": None, "ecosystem_file": None, "restart": False}
