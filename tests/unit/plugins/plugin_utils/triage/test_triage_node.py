# -*- coding: utf-8 -*-
"""Node.js and PM2: node_heap_unbounded, pm2_restart_threshold_missing, pm2_restart_loop, OOM kills named by PM2
app, the gate's and remedy_vars' pm2_apps bounds, and the reports with hostile app names."""

import json

import pytest
import yaml

from ansible_collections.headroom.memory.plugins.plugin_utils.report.files import report_files
from ansible_collections.headroom.memory.plugins.plugin_utils.report.svg_charts import esc, report_text
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.attribution import (
    attribute_pm2, pm2_owner, victim_label)
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.common import ThresholdError, merge_thresholds
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.engine import context, triage_entry, triage_fleet
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.facts_shape import facts_problems
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.gate import gate, recheck
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.leak import (
    SCHEDULED_RESTART_CRON, leak_suspect, scheduled_restart_pm2_apps)
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.node import (
    node_heap_unbounded, pm2_restart_loop, pm2_restart_threshold_missing, size_pm2)
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.oom import oom_kills_recent
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.remedy_vars import remedy_errors
from ansible_collections.headroom.memory.tests.unit.plugins.plugin_utils.triage.test_triage_facts import (
    healthy, kill, proc)

UNIT = "pm2-root.service"


def app(name="api", pm_id=0, pid=4321, memory_mb=150, status="online", instances=1, mode="fork", threshold=None,
        heap=None, default_heap=2048, restarts=0, unstable=0, unit=UNIT):
    """One entry of memory_facts' pm2.apps (the contract's shape)."""
    return {"name": name, "pm_id": pm_id, "pid": pid, "status": status, "memory_mb": memory_mb, "restarts": restarts,
            "unstable_restarts": unstable, "exec_mode": mode, "instances": instances,
            "max_memory_restart_mb": threshold, "heap_mb": heap, "heap_source": "flag" if heap else "default",
            "default_heap_mb": default_heap, "node_args": ["--max-old-space-size=%d" % heap] if heap else [],
            "node_version": "18.19.0", "ecosystem_file": "/srv/app/ecosystem.config.js", "cwd": "/srv/app",
            "user": "root", "home": "/root/.pm2", "unit": unit}


def small_host(*apps):
    """A 2 GiB VPS (1 GiB available) running PM2 under pm2-root.service."""
    facts = healthy()
    facts["memory"].update(total_mb=2048, available_mb=1024)
    facts["pm2"] = {"daemons": [{"home": "/root/.pm2", "user": "root", "uid": 0, "pid": 1200, "version": "5.4.2"}],
                    "apps": list(apps)}
    for a in apps:
        if a.get("pid"):
            facts["processes"].append(proc("node", a["memory_mb"], pid=a["pid"], unit=a.get("unit")))
    return facts


def run(rule, facts, sample2=None, **overrides):
    thresholds = merge_thresholds(overrides)
    return rule(facts, thresholds, context(facts, thresholds, sample2=sample2, interval_s=60 if sample2 else None))


def gated(facts):
    """The host as diagnose reports it: findings after the gate, and remedy_vars."""
    return triage_entry({"host": "vps", "facts": facts})


def cluster():
    return [app(pm_id=0, pid=4321, instances=2, mode="cluster"), app(pm_id=1, pid=4322, instances=2, mode="cluster")]


# --- node_heap_unbounded -----------------------------------------------------------------------------------------

def test_a_cluster_app_whose_default_heaps_exceed_its_share_is_named_and_gets_a_heap():
    facts = small_host(*cluster())
    [f] = run(node_heap_unbounded, facts)
    assert f["id"] == "node_heap_unbounded" and f["title"] == "Node heap unbounded: PM2 app api (ids 0, 1)"
    assert "2 instance(s)" in f["evidence"][0] and "4.0 GiB in all" in f["evidence"][0]
    # the pm2 role's plan: the threshold at what an instance holds (150 MiB) plus the margin, the heap 75% of it
    assert f["remedy"]["role"] == "headroom.memory.pm2"
    assert f["remedy"]["vars"] == {"pm2_apps": [{"name": "api", "max_memory_restart": "176M", "max_old_space_size": 132}]}
    host = gated(facts)
    assert host["remedy_vars"]["pm2_apps"] == [{"name": "api", "max_memory_restart": "176M", "max_old_space_size": 132}]


def test_an_explicit_heap_or_defaults_that_fit_are_silent():
    assert run(node_heap_unbounded, small_host(app(heap=256))) == []
    assert run(node_heap_unbounded, small_host(app(default_heap=512))) == []  # 512 MiB fits the room
    assert run(node_heap_unbounded, healthy()) == []


def test_a_pm2_unit_with_a_limit_sizes_from_the_limit():
    facts = small_host(app(default_heap=1024))
    facts["cgroup"]["limited"].append({"cgroup": "/system.slice/" + UNIT, "unit": UNIT, "limit_mb": 512, "usage_mb": 200})
    [f] = run(node_heap_unbounded, facts)
    assert "the memory limit of pm2-root.service" in f["evidence"][0]
    # only what else runs in the unit counts against its 512 MiB (the host's other processes live outside it): the
    # unit holds 200 MiB, the app its own share of that, and the threshold and heap fit under the unit's limit
    assert f["remedy"]["role"] == "headroom.memory.pm2"
    [item] = f["remedy"]["vars"]["pm2_apps"]
    mmr = int(item["max_memory_restart"].rstrip("M"))
    assert mmr <= 512 - 64 and item["max_old_space_size"] <= mmr * 3 // 4


def test_a_node_service_without_pm2_gets_the_heap_roles_remedy():
    facts = healthy()
    node = proc("node", 200, pid=3300, unit="web.service")
    node.update(node_heap_mb=4144, node_heap_source="default")
    facts["processes"].append(node)
    facts["cgroup"]["limited"].append({"cgroup": "/system.slice/web.service", "unit": "web.service", "limit_mb": 1024,
                                       "usage_mb": 250})
    [f] = run(node_heap_unbounded, facts)
    assert f["title"] == "Node heap unbounded: unit web.service"
    assert f["remedy"]["role"] == "headroom.memory.heap"
    assert f["remedy"]["vars"] == {"heap_services": [{"unit": "web.service", "runtime": "node", "max": "608M"}]}
    assert gated(facts)["remedy_vars"]["heap_services"] == [{"unit": "web.service", "runtime": "node", "max": "608M"}]
    node["node_heap_source"] = "NODE_OPTIONS"
    assert run(node_heap_unbounded, facts) == []


def test_a_pm2_daemons_unit_never_gets_node_options_even_without_the_pm2_subset():
    facts = healthy()
    for pid, comm in ((1200, "PM2 v5.4.2: God"), (4321, "node")):
        node = proc(comm, 200, pid=pid, unit="pm2-deploy.service")
        node.update(node_heap_mb=4144, node_heap_source="default")
        facts["processes"].append(node)
    facts["cgroup"]["limited"].append({"cgroup": "/system.slice/pm2-deploy.service", "unit": "pm2-deploy.service",
                                       "limit_mb": 512, "usage_mb": 400})
    assert run(node_heap_unbounded, facts) == []


def test_a_node_process_of_a_pm2_app_is_not_counted_twice_as_a_service():
    facts = small_host(app(heap=256))
    facts["processes"][-1].update(node_heap_mb=2048, node_heap_source="default")
    assert run(node_heap_unbounded, facts) == []


# --- attribution -------------------------------------------------------------------------------------------------

def test_a_kill_in_pm2s_unit_with_one_app_is_that_app():
    facts = small_host(app())
    event = kill(comm="node", unit=UNIT, pid=999)
    assert pm2_owner(event, facts) == {"pm2_app": "api", "pm2_id": 0}
    assert victim_label(attribute_pm2([event], facts)[0]) == "PM2 app api (id 0)"


def test_a_kill_matched_by_pid_names_the_instance():
    facts = small_host(*cluster())
    assert pm2_owner(kill(comm="node", unit=None, pid=4322, memcg="/user.slice"), facts) == {"pm2_app": "api", "pm2_id": 1}
    # two instances in the unit and no pid: the app, not which id
    assert pm2_owner(kill(comm="node", unit=UNIT, pid=1), facts) == {"pm2_app": "api", "pm2_id": None}
    assert victim_label({"pm2_app": "api", "pm2_id": None}) == "PM2 app api"


@pytest.mark.parametrize("event", [
    kill(comm="node", unit=UNIT, pid=1),            # two app names in the unit: the kernel's record cannot tell
    kill(comm="postgres", unit=UNIT, pid=4321),     # not a node process
    kill(comm="node", unit="other.service", pid=1),  # another unit
])
def test_kills_that_cannot_be_told_apart_stay_node(event):
    facts = small_host(app(), app(name="worker", pm_id=1, pid=4400))
    assert pm2_owner(event, facts) is None
    assert "pm2_app" not in attribute_pm2([event], facts)[0]


def test_the_oom_finding_and_the_timeline_say_the_app_not_node():
    facts = small_host(app())
    facts["oom"]["events"] = [kill(comm="node", unit=UNIT, pid=777, time="2026-11-20T10:0%d:00Z" % n) for n in range(2)]
    [f] = run(oom_kills_recent, facts)
    assert "PM2 app api (id 0) \u00d72" in f["evidence"][0] and f["title"].endswith("most often PM2 app api (id 0)")
    assert any(e.startswith("last: PM2 app api (id 0) (pid 777)") for e in f["evidence"])
    [event, _second] = gated(facts)["events"]
    assert event["pm2_app"] == "api" and event["pm2_id"] == 0 and event["label"] == "PM2 app api (id 0)"
    assert event["comm"] == "node"


# --- pm2_restart_threshold_missing -------------------------------------------------------------------------------

def test_an_oom_killed_app_without_a_threshold_gets_one_sized_from_its_memory():
    facts = small_host(app(memory_mb=150))
    facts["oom"]["events"] = [kill(comm="node", unit=UNIT, pid=777, anon_kb=600 * 1024)]
    [f] = run(pm2_restart_threshold_missing, facts)
    assert f["title"] == "PM2 app without a memory threshold: PM2 app api (id 0)"
    assert "OOM-killed 1 time(s)" in f["evidence"][0] and "601 MiB" in f["evidence"][0]
    # the pm2 plan: the peak (the kill's 601 MiB) plus diagnose's drift margin, within the app's share
    assert f["remedy"]["vars"] == {"pm2_apps": [{"name": "api", "max_memory_restart": "704M"}]}
    [item] = gated(facts)["remedy_vars"]["pm2_apps"]
    assert item["max_memory_restart"] == "704M"  # the largest that passes, over node_heap_unbounded's 176M


def test_a_leak_between_two_samples_by_pid_fires_and_a_threshold_in_place_is_silent():
    facts = small_host(app(memory_mb=150))
    second = [dict(p, rss_mb=260) if p["pid"] == 4321 else p for p in facts["processes"]]
    [f] = run(pm2_restart_threshold_missing, facts, sample2=second)
    assert "grew from 150 MiB to 260 MiB" in f["evidence"][0]
    assert f["remedy"]["vars"]["pm2_apps"][0]["max_memory_restart"] == "288M"  # the second sample's 260 + margin
    facts["pm2"]["apps"][0]["max_memory_restart_mb"] = 300
    assert run(pm2_restart_threshold_missing, facts, sample2=second) == []
    assert run(pm2_restart_threshold_missing, small_host(app())) == []  # neither leaked nor killed


def test_a_pm2_app_leaking_between_two_samples_is_left_to_pm2_not_limited_in_the_daemons_unit():
    """Seen live in molecule/pm2: a leaking PM2 app is a leak suspect in pm2-root.service, and leak_suspect proposed a
    MemoryMax for that unit (every app of the daemon throttled and killed, the daemon restarted to apply it). The
    PM2 rule sizes the app's own threshold instead; leak_suspect keeps the evidence and proposes nothing there."""
    facts = small_host(app(memory_mb=150), app(name="web", pm_id=1, pid=4400, memory_mb=90))
    second = [dict(p, rss_mb=260) if p["pid"] == 4321 else p for p in facts["processes"]]
    [leak] = run(leak_suspect, facts, sample2=second)
    assert leak["remedy"]["role"] is None and not leak["remedy"]["vars"], leak["remedy"]
    assert "PM2 restarts a PM2 app at its max_memory_restart" in leak["remedy"]["text"]
    assert any("PM2 app api runs under PM2 (pm2-root.service)" in e and "no limit is proposed for pm2-root.service" in e
               for e in leak["evidence"]), leak["evidence"]
    [pm2] = run(pm2_restart_threshold_missing, facts, sample2=second)
    assert pm2["remedy"]["vars"] == {"pm2_apps": [{"name": "api", "max_memory_restart": "288M"}]}
    report = gated(dict(facts, processes=facts["processes"]))
    assert "service_limits_units" not in (report.get("remedy_vars") or {})
    # kills in the daemon's unit (no pid to match: PM2 restarted the app) are PM2's too
    facts = small_host(app(memory_mb=150))
    facts["oom"]["events"] = [kill(comm="node", unit=UNIT, pid=700 + i, anon_kb=(300 + 100 * i) * 1024) for i in range(3)]
    [leak] = run(leak_suspect, facts)
    assert not leak["remedy"]["vars"] and any("no limit is proposed for pm2-root.service" in e for e in leak["evidence"])
    # a leak in another service is still contained there
    facts = small_host(app(memory_mb=150))
    facts["processes"].append(proc("java", 400, pid=9000, unit="api.service"))
    second = [dict(p, rss_mb=560) if p["pid"] == 9000 else p for p in facts["processes"]]
    [leak] = run(leak_suspect, facts, sample2=second)
    assert [i["unit"] for i in leak["remedy"]["vars"]["service_limits_units"]] == ["api.service"]


def test_no_threshold_is_proposed_when_none_fits_above_what_the_app_holds():
    # the app holds 1000 MiB of a 2 GiB host whose other processes hold 949: no share is left above its use
    facts = small_host(app(memory_mb=1000, default_heap=256))
    facts["oom"]["events"] = [kill(comm="node", unit=UNIT, pid=777, anon_kb=1100 * 1024)]
    [f] = run(pm2_restart_threshold_missing, facts)
    assert f["remedy"]["role"] is None and not f["remedy"]["vars"]
    assert any("no threshold proposed: api: no max_memory_restart fits: one instance holds 1000 MiB now" in e
               for e in f["evidence"])


def test_the_gate_withholds_a_threshold_under_what_the_app_holds_it_would_restart_forever():
    out = gate(small_host(app(memory_mb=290)), finding_with([{"name": "api", "max_memory_restart": "256M"}]))
    assert out["vars"] == {}
    [w] = out["withheld"]
    assert w["reason"] == ("max_memory_restart 256 MiB is under what PM2 app api holds now (290 MiB) plus a 29 MiB "
                           "margin: PM2 would restart it again and again")


# --- pm2_restart_loop --------------------------------------------------------------------------------------------

def test_unstable_restarts_make_a_loop_and_errored_is_critical():
    [f] = run(pm2_restart_loop, small_host(app(restarts=3, unstable=2)))
    assert f["severity"] == "warning" and f["title"] == "PM2 restart loop: PM2 app api (id 0)"
    assert "3 restart(s), 2 unstable" in f["evidence"][0]
    assert f["remedy"]["role"] is None  # nothing says memory: read the logs
    [f] = run(pm2_restart_loop, small_host(app(status="errored", pid=None, memory_mb=0, restarts=15)))
    assert f["severity"] == "critical"


def test_many_restarts_fire_from_the_threshold_and_few_do_not():
    assert run(pm2_restart_loop, small_host(app(restarts=9))) == []
    assert run(pm2_restart_loop, small_host(app(restarts=10)))
    assert run(pm2_restart_loop, small_host(app(restarts=4)), pm2_restarts_warn=4)


def test_a_loop_from_a_threshold_under_what_the_app_needs_raises_it():
    facts = small_host(app(memory_mb=190, threshold=200, restarts=40, default_heap=256))
    [f] = run(pm2_restart_loop, facts)
    assert "holds 190 MiB with max_memory_restart 200 MiB" in f["evidence"][1]
    assert f["remedy"]["vars"] == {"pm2_apps": [{"name": "api", "max_memory_restart": "224M"}]}
    assert gated(facts)["remedy_vars"]["pm2_apps"] == [{"name": "api", "max_memory_restart": "224M"}]


def test_sizing_is_the_pm2_roles_plan():
    facts = small_host(*cluster())
    assert size_pm2(facts, cluster()) == {"max_memory_restart": "176M", "max_old_space_size": 132, "errors": []}
    assert size_pm2(facts, cluster(), peak_mb=300)["max_memory_restart"] == "336M"  # 300 + 2 x 15, 16M steps
    assert size_pm2(facts, [app(memory_mb=5000)])["errors"]


# --- the gate ----------------------------------------------------------------------------------------------------

def finding_with(items):
    return [{"id": "pm2_restart_threshold_missing", "severity": "warning", "title": "t", "evidence": [],
             "remedy": {"text": "", "role": "headroom.memory.pm2", "vars": {"pm2_apps": items}, "settings": []}}]


def test_the_gate_refuses_an_app_the_host_does_not_run():
    out = gate(small_host(app()), finding_with([{"name": "ghost", "max_memory_restart": "300M"}]))
    assert out["vars"] == {}
    [w] = out["withheld"]
    assert w["item"] == "ghost" and "not among the apps memory_facts listed" in w["reason"]


@pytest.mark.parametrize("item, why", [
    ({"name": "api", "max_memory_restart": "3G"}, "the kernel would kill first"),
    ({"name": "api", "max_memory_restart": "16M"}, "below the floor"),
    ({"name": "api", "max_old_space_size": 4096}, "75% at most"),
])
def test_the_gate_withholds_sizes_out_of_bounds(item, why):
    out = gate(small_host(app()), finding_with([item]))
    assert out["vars"] == {}
    [w] = out["withheld"]
    assert why in w["reason"], w["reason"]


def test_the_gate_picks_the_largest_passing_value_and_recheck_uses_the_facts_now():
    findings = finding_with([{"name": "api", "max_memory_restart": "256M", "max_old_space_size": 200}])
    findings += finding_with([{"name": "api", "max_memory_restart": "320M", "max_old_space_size": 300}])
    facts = small_host(app())
    assert gate(facts, findings)["vars"] == {"pm2_apps": [{"name": "api", "max_memory_restart": "320M",
                                                           "max_old_space_size": 300}]}
    doc = {"pm2_apps": [{"name": "api", "max_memory_restart": "320M"}]}
    assert recheck(facts, doc) == []
    facts["pm2"]["apps"][0]["memory_mb"] = 310  # grew since the report
    [problem] = recheck(facts, doc)
    assert "again and again" in problem["reason"]
    del facts["pm2"]
    assert recheck(facts, doc) == []  # no pm2 reading: nothing to check it against


# --- remedy_vars -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("item, key", [
    ({"name": "-rf", "max_memory_restart": "300M"}, "name"),
    ({"name": "<script>", "max_memory_restart": "300M"}, "name"),
    ({"name": "{{ lookup('pipe','id') }}", "max_memory_restart": "300M"}, "name"),
    ({"name": "a" * 65, "max_memory_restart": "300M"}, "name"),
    ({"name": "api", "max_memory_restart": "lots"}, "max_memory_restart"),
    ({"name": "api", "max_old_space_size": 8}, "max_old_space_size"),
    ({"name": "api", "max_old_space_size": True}, "max_old_space_size"),
    ({"name": "api", "max_old_space_size": "256"}, "max_old_space_size"),
    ({"name": "api", "ecosystem_file": "/srv/app/ecosystem.json"}, "ecosystem_file"),
    ({"max_memory_restart": "300M"}, None),
])
def test_remedy_vars_refuse_what_a_report_may_not_set(item, key):
    errors = remedy_errors("pm2_apps", [item])
    assert errors and errors[0][0] == 0 and errors[0][1] == key


def test_remedy_vars_take_a_plain_item_and_a_node_heap_service():
    assert remedy_errors("pm2_apps", [{"name": "api-v2.worker@1", "max_memory_restart": "300M",
                                       "max_old_space_size": 256}]) == []
    assert remedy_errors("heap_services", [{"unit": "web.service", "runtime": "node", "max": "608M"}]) == []
    assert remedy_errors("heap_services", [{"unit": "web.service", "runtime": "python", "max": "608M"}])


# --- facts shape -------------------------------------------------------------------------------------------------

def test_the_facts_shape_checks_the_pm2_subset_and_the_node_heap_fields():
    facts = small_host(app())
    assert facts_problems(facts) == []
    facts["pm2"]["apps"][0]["memory_mb"] = "lots"
    facts["pm2"]["apps"][0]["node_args"] = "--max-old-space-size=1"
    facts["processes"][0]["node_heap_mb"] = -1
    assert facts_problems(facts) == ["processes[0].node_heap_mb: expected a number of at least 0, got -1",
                                     "pm2.apps[0].memory_mb: expected a number, got str",
                                     "pm2.apps[0].node_args: expected a list, got str"]


# --- reports with hostile app names ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["<script>alert(1)</script>", "{{ lookup('pipe', 'id') }}"])
def test_app_names_render_escaped_and_never_reach_remedy_vars(name):
    facts = small_host(app(name=name, memory_mb=150))
    facts["oom"]["events"] = [kill(comm="node", unit=UNIT, pid=777, anon_kb=600 * 1024)]
    report = triage_fleet([{"host": "vps", "facts": facts}], generated="2026-11-25T12:00:00Z")
    [host] = report["hosts"]
    [f] = [x for x in host["findings"] if x["id"] == "pm2_restart_threshold_missing"]
    assert name in f["title"] and f["remedy"]["role"] is None and "a PM2 app name of letters" in f["remedy"]["withheld"][0]
    files = report_files(report)
    assert "<script>alert" not in files["index.html"] and esc(name) in files["index.html"]
    assert "<script>alert" not in files["report.md"] and report_text(name, "md") in files["report.md"]
    [again] = [x for x in json.loads(files["report.json"])["hosts"][0]["findings"] if x["id"] == f["id"]]
    assert again["title"] == f["title"]  # JSON keeps the name as data: json.dumps escapes it
    remedy = yaml.safe_load(files["remedy-vars/vps.yml"])
    assert not (remedy or {}).get("pm2_apps")
    assert "lookup" not in "".join(line for line in files["remedy-vars/vps.yml"].splitlines() if not line.startswith("#"))


# --- cron_restart: the scheduled restart, only for the apps the operator listed, only beside the PM2 leak finding ---

def run_listing(facts, apps, sample2=None):
    thresholds = merge_thresholds()
    ctx = context(facts, thresholds, sample2=sample2, interval_s=60 if sample2 else None, restart_pm2_apps=apps)
    return pm2_restart_threshold_missing(facts, thresholds, ctx)


def killed_app(memory_mb=150):
    facts = small_host(app(memory_mb=memory_mb))
    facts["oom"]["events"] = [kill(comm="node", unit=UNIT, pid=777, anon_kb=600 * 1024)]
    return facts


def test_a_scheduled_restart_is_proposed_only_for_a_pm2_app_the_operator_listed():
    [f] = run_listing(killed_app(), ["api"])
    assert f["remedy"]["vars"] == {"pm2_apps": [{"name": "api", "max_memory_restart": "704M",
                                                 "cron_restart": SCHEDULED_RESTART_CRON}]}
    assert SCHEDULED_RESTART_CRON == "0 4 * * *"
    assert "stop-gap" in f["remedy"]["text"] and "api is restarted by PM2 every day at 04:00" in f["remedy"]["text"]
    for apps in (None, [], ["web"]):
        [f] = run_listing(killed_app(), apps)
        assert "cron_restart" not in f["remedy"]["vars"]["pm2_apps"][0] and "stop-gap" not in f["remedy"]["text"]


def test_a_listed_app_gets_the_scheduled_restart_even_when_no_threshold_fits():
    facts = small_host(app(memory_mb=1000, default_heap=256))
    facts["oom"]["events"] = [kill(comm="node", unit=UNIT, pid=777, anon_kb=1100 * 1024)]
    [f] = run_listing(facts, ["api"])
    assert f["remedy"]["role"] == "headroom.memory.pm2"
    assert f["remedy"]["vars"] == {"pm2_apps": [{"name": "api", "cron_restart": "0 4 * * *"}]}


def test_no_leak_or_a_threshold_in_place_no_scheduled_restart():
    assert run_listing(small_host(app()), ["api"]) == []
    facts = killed_app()
    facts["pm2"]["apps"][0]["max_memory_restart_mb"] = 700  # PM2 restarts it at its threshold already
    assert run_listing(facts, ["api"]) == []


@pytest.mark.parametrize("value, shown", [
    ("api", "must be a list of PM2 app names, got str 'api'"),
    (["-api"], "'-api' is not a PM2 app name"),
    (["a b"], "'a b' is not a PM2 app name"),
    ([None], "None is not a PM2 app name"),
])
def test_a_malformed_list_of_pm2_apps_stops_the_run_naming_the_value(value, shown):
    with pytest.raises(ThresholdError) as exc:
        scheduled_restart_pm2_apps(value)
    assert "diagnose_scheduled_restart_pm2_apps" in str(exc.value) and shown in str(exc.value)


def test_the_fleet_report_carries_the_cron_restart_through_the_gate_and_remediate_takes_it():
    entry = {"host": "vps", "facts": killed_app(), "scheduled_restart_pm2_apps": ["api"]}
    host = triage_entry(entry)
    [item] = host["remedy_vars"]["pm2_apps"]
    assert item["cron_restart"] == "0 4 * * *" and remedy_errors("pm2_apps", [item]) == []
    with pytest.raises(ThresholdError):
        triage_entry(dict(entry, scheduled_restart_pm2_apps=["bad name"]))


def test_the_gate_withholds_two_different_cron_patterns_and_remediate_refuses_a_bad_one():
    two = finding_with([{"name": "api", "cron_restart": "0 4 * * *"}]) + [
        dict(finding_with([{"name": "api", "cron_restart": "0 3 * * *"}])[0], id="other")]
    out = gate(small_host(app()), two)
    assert out["vars"] == {} and "findings propose different values" in out["withheld"][0]["reason"]
    assert gate(small_host(app()), finding_with([{"name": "api", "cron_restart": "0 4 * * *"}]))["vars"] == {
        "pm2_apps": [{"name": "api", "cron_restart": "0 4 * * *"}]}
    for bad in ("0 4 * * * reboot", "@daily", "0 4 * *", 5):
        [(index, key, reason)] = remedy_errors("pm2_apps", [{"name": "api", "cron_restart": bad}])
        assert (index, key) == (0, "cron_restart") and "5-field cron pattern" in reason
