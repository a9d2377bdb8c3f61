# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.headroom.memory.plugins.plugin_utils.service_limits.plan import (
    dropin_path, live_changes, max_key, notes_for, plan, preflight, refusals_for, render_body, report,
    resolve_item, restart_needed, span_seconds)
from ansible_collections.headroom.memory.plugins.module_utils.systemd.unit_memory import INFINITY

MIB = 1024 * 1024
GIB = 1024 * MIB
HOST_V1 = {"mem_total": 24 * GIB, "swap_total": 2 * GIB, "cgroup": "v1", "systemd_version": 252}
HOST_V2 = dict(HOST_V1, cgroup="v2", systemd_version=257)
OPTS = {"margin": 64 * MIB, "allow_unkillable": False, "allow_missing_units": False,
        "clear_runtime_overrides": False}


def running(current=20 * MIB, live_max=INFINITY, oom=0, props=None, overrides=None, live=None):
    """A unit as unit_memory_info reports it."""
    return {
        "load_state": "loaded", "active_state": "active", "main_pid": 4242, "memory_current": current,
        "live": live if live is not None else {"MemoryMax": live_max}, "oom_score_adj": oom,
        "props": props or {"MemoryMax": "infinity", "MemoryLimit": "infinity", "OOMScoreAdjust": "0"},
        "overrides": overrides or [],
    }


def values(settings):
    return dict((k, v["value"]) for k, v in settings.items())


def test_resolve_sizes_percent_and_infinity():
    unit, state, settings, errors = resolve_item(
        {"unit": "app", "memory_max": "75%", "memory_high": "1.5G", "memory_low": 1048576,
         "memory_swap_max": "infinity"}, 24 * GIB, 2 * GIB)
    assert (unit, state, errors) == ("app.service", "present", [])
    assert values(settings) == {"MemoryMax": 18 * GIB, "MemoryHigh": 1536 * MIB, "MemoryLow": MIB,
                                "MemorySwapMax": INFINITY}
    assert settings["MemoryMax"]["text"] == "18G"
    assert settings["MemorySwapMax"]["text"] == "infinity"


def test_swap_percent_is_of_swap():
    _u, _s, settings, errors = resolve_item({"unit": "app", "memory_swap_max": "50%"}, 24 * GIB, 2 * GIB)
    assert errors == [] and settings["MemorySwapMax"]["value"] == GIB


@pytest.mark.parametrize("item,message", [
    ({"unit": "app", "memory_max": "lots"}, "memory_max: size 'lots' is not understood"),
    ({"unit": "app", "memory_max": "150%"}, "above 100%"),
    ({"unit": "app", "oom_score_adjust": 1001}, "oom_score_adjust 1001 is not an integer from -1000 to 1000"),
    ({"unit": "app", "oom_score_adjust": True}, "oom_score_adjust True"),
    ({"unit": "app", "oom_policy": "maybe"}, "oom_policy 'maybe' is not one of continue, stop, kill"),
    ({"unit": "app", "restart": "sometimes"}, "restart 'sometimes'"),
    ({"unit": "app", "restart_sec": "soon"}, "restart_sec 'soon' is not a time span"),
    ({"unit": "app", "state": "gone"}, "state 'gone'"),
    ({"unit": "app", "memmax": "1G"}, "unknown field(s) memmax"),
    ({"unit": "user.slice", "oom_score_adjust": 5}, "applies to .service units only"),
    ({"unit": "foo.timer", "memory_max": "1G"}, "this unit type takes no memory settings"),
])
def test_resolve_errors(item, message):
    errors = resolve_item(item, 24 * GIB)[3]
    assert any(message in e for e in errors), errors


def test_resolve_rejects_non_items():
    assert resolve_item("app", GIB)[3] == ["item 'app' is not a dict"]
    assert "has no unit" in resolve_item({"memory_max": "1G"}, GIB)[3][0]


def test_restart_sec_forms():
    for given, text in ((5, "5s"), ("500ms", "500ms"), ("1min 30s", "1min 30s"), ("2", "2")):
        settings = resolve_item({"unit": "a", "restart_sec": given}, GIB)[2]
        assert settings["RestartSec"]["text"] == text


def test_absent_item_ignores_settings():
    unit, state, settings, errors = resolve_item({"unit": "a", "state": "absent", "memory_max": "x"}, GIB)
    assert (state, settings, errors) == ("absent", {}, [])


def test_refuse_memory_max_under_current_plus_margin_with_numbers():
    settings = resolve_item({"unit": "app", "memory_max": "80M"}, 24 * GIB)[2]
    refused = refusals_for("app.service", settings, running(current=20 * MIB), OPTS)
    assert len(refused) == 1
    msg = refused[0]
    # 80M <= 20M + 64M: every number is in the message
    assert "83886080 bytes" in msg and "MemoryCurrent 20971520 bytes" in msg and "67108864 bytes" in msg
    assert "= 88080384 bytes" in msg and "force: true" in msg


def test_memory_max_just_above_current_plus_margin_is_fine():
    settings = resolve_item({"unit": "app", "memory_max": 20 * MIB + 64 * MIB + 1}, 24 * GIB)[2]
    assert refusals_for("app.service", settings, running(current=20 * MIB), OPTS) == []


def test_force_and_unchanged_limit_skip_the_current_check():
    settings = resolve_item({"unit": "app", "memory_max": "48M"}, 24 * GIB)[2]
    assert refusals_for("app.service", settings, running(current=40 * MIB), dict(OPTS, force=True)) == []
    # the live limit already is 48M (a second run while the service is near its limit): nothing changes
    assert refusals_for("app.service", settings, running(current=40 * MIB, live_max=48 * MIB), OPTS) == []
    # a stopped unit has no MemoryCurrent
    stopped = dict(running(current=None), active_state="inactive")
    assert refusals_for("app.service", settings, stopped, OPTS) == []


def test_refuse_unkillable_unless_allowed():
    settings = resolve_item({"unit": "db", "oom_score_adjust": -1000}, GIB)[2]
    assert "unkillable" in refusals_for("db.service", settings, running(), OPTS)[0]
    assert refusals_for("db.service", settings, running(), dict(OPTS, allow_unkillable=True)) == []
    assert refusals_for("db.service", resolve_item({"unit": "db", "oom_score_adjust": -999}, GIB)[2],
                        running(), OPTS) == []


def test_refuse_high_above_max_with_numbers():
    settings = resolve_item({"unit": "a", "memory_max": "150M", "memory_high": "200M"}, 24 * GIB)[2]
    msg = refusals_for("a.service", settings, running(), OPTS)[0]
    assert "memory_high 200M (209715200 bytes) is above memory_max 150M (157286400 bytes)" in msg
    equal = resolve_item({"unit": "a", "memory_max": "150M", "memory_high": "150M"}, 24 * GIB)[2]
    assert refusals_for("a.service", equal, running(), OPTS) == []


def test_refuse_missing_unit_unless_allowed():
    missing = {"load_state": "not-found", "active_state": "inactive"}
    settings = resolve_item({"unit": "later", "memory_max": "1G"}, 24 * GIB)[2]
    assert "does not exist (LoadState=not-found)" in refusals_for("later.service", settings, missing, OPTS)[0]
    assert refusals_for("later.service", settings, missing, dict(OPTS, allow_missing_units=True)) == []
    assert "LoadState=unknown" in refusals_for("later.service", settings, None, OPTS)[0]


def test_render_body_order_and_v1_mapping():
    settings = resolve_item({"unit": "app", "restart": "on-failure", "memory_high": "80M", "memory_max": "96M",
                             "oom_score_adjust": 300, "restart_sec": 1}, 24 * GIB)[2]
    body = render_body("app.service", settings, "v1", 252)
    assert body == ("[Service]\nMemoryMax=96M\nMemoryHigh=80M\nOOMScoreAdjust=300\nRestart=on-failure\n"
                    "RestartSec=1s\n")
    # systemd before 231 does not know MemoryMax= on v1
    assert "MemoryLimit=96M" in render_body("app.service", settings, "v1", 219)
    assert render_body("user.slice", resolve_item({"unit": "user.slice", "memory_max": "1G"}, GIB)[2], "v2", 257) \
        == "[Slice]\nMemoryMax=1G\n"


def test_max_key():
    assert max_key("v1", 219) == "MemoryLimit"
    assert max_key("v1", 230) == "MemoryLimit"  # systemd learnt MemoryMax= in v231
    assert max_key("v1", 231) == "MemoryMax"
    assert max_key("v2", 219) == "MemoryMax"
    assert max_key("v1", None) == "MemoryMax"


def test_notes_say_what_v1_does_not_enforce():
    settings = resolve_item({"unit": "a", "memory_max": "1G", "memory_high": "800M", "memory_low": "100M",
                             "oom_policy": "kill"}, 24 * GIB)[2]
    notes, not_enforced = notes_for(settings, "v1", 252)
    assert not_enforced == ["MemoryHigh", "MemoryLow"]
    assert any("memory.limit_in_bytes" in n for n in notes)
    assert any("MemoryHigh=, MemoryLow= written" in n and "NOT enforced" in n for n in notes)
    assert any("memory.oom.group" in n for n in notes)
    assert notes_for(settings, "v2", 257) == ([], [])
    assert "MemoryLimit= written instead" in notes_for(settings, "v1", 219)[0][0]


def test_v2_without_swap_accounting_says_swap_max_is_not_enforced_and_never_pushes_it():
    """cgroup v2 with swap accounting off: the unit's cgroup has no memory.swap.max (unit_memory_info reads
    None). MemorySwapMax= is reported NOT enforced, and the live push leaves it out instead of repeating
    set-property on every run (which would never be idempotent)."""
    live = {"MemoryMax": INFINITY, "MemoryHigh": INFINITY, "MemorySwapMax": None, "MemoryLow": 0}
    infos = {"a.service": running(live=live)}
    the_plan = plan([{"unit": "a", "memory_max": "96M", "memory_high": "80M", "memory_swap_max": 0}],
                    infos, HOST_V2, OPTS)
    unit = the_plan["units"][0]
    assert unit["not_enforced"] == ["MemorySwapMax"]
    assert any("MemorySwapMax= written" in n and "NOT enforced" in n and "memory.swap.max" in n
               for n in unit["notes"])
    assert live_changes(the_plan, infos, "v2", 257)[0]["keys"] == ["MemoryMax", "MemoryHigh"]
    # with the file there, all three are enforced and pushed
    live["MemorySwapMax"] = INFINITY
    the_plan = plan([{"unit": "a", "memory_max": "96M", "memory_high": "80M", "memory_swap_max": 0}],
                    infos, HOST_V2, OPTS)
    assert the_plan["units"][0]["not_enforced"] == [] and the_plan["units"][0]["notes"] == []
    assert live_changes(the_plan, infos, "v2", 257)[0]["keys"] == ["MemoryMax", "MemoryHigh", "MemorySwapMax"]


def test_plan_collects_refusals_and_overrides():
    ov = {"path": "/etc/systemd/system.control/app.service.d/50-MemoryMax.conf", "key": "MemoryMax",
          "value": "314572800", "runtime": False, "other_keys": []}
    other = {"path": "/run/systemd/system.control/app.service.d/50-Mixed.conf", "key": "MemoryHigh",
             "value": "1G", "runtime": True, "other_keys": ["CPUQuota"]}
    infos = {"app.service": running(overrides=[ov, other]), "db.service": running()}
    items = [{"unit": "app", "memory_max": "96M", "memory_high": "90M"},
             {"unit": "db", "oom_score_adjust": -1000},
             {"unit": "app", "memory_max": "1G"}]
    result = plan(items, infos, HOST_V1, dict(OPTS, clear_runtime_overrides=True))
    assert [u["unit"] for u in result["units"]] == ["app.service", "db.service"]
    assert any("unkillable" in r for r in result["refusals"])
    assert any("listed twice" in r for r in result["refusals"])
    app = result["units"][0]
    assert app["dropin"] == dropin_path("app.service") == \
        "/etc/systemd/system/app.service.d/50-headroom-memory.conf"
    assert app["remove_overrides"] == [ov["path"]]
    assert any("removed" in n for n in app["notes"])
    assert any("kept: the file also sets CPUQuota" in n for n in app["notes"])
    # without clearing, nothing is removed and the note says how to
    kept = plan(items[:1], infos, HOST_V1, OPTS)["units"][0]
    assert kept["remove_overrides"] == []
    assert any("service_limits_clear_runtime_overrides" in n for n in kept["notes"])


def test_plan_absent_unit():
    result = plan([{"unit": "app", "state": "absent"}], {"app.service": running()}, HOST_V1, OPTS)
    assert result["refusals"] == []
    assert result["units"][0]["body"] is None and result["units"][0]["state"] == "absent"


def test_live_changes_push_only_what_differs():
    infos = {"a.service": running(live_max=INFINITY), "b.service": running(live_max=96 * MIB),
             "c.service": dict(running(), active_state="inactive")}
    the_plan = plan([{"unit": "a", "memory_max": "96M", "memory_high": "80M"}, {"unit": "b", "memory_max": "96M"},
                     {"unit": "c", "memory_max": "96M"}], infos, HOST_V1, OPTS)
    changes = live_changes(the_plan, infos, "v1", 252)
    # v1: only memory.limit_in_bytes exists; b already holds it; c is not running
    assert changes == [{"unit": "a.service", "args": ["MemoryMax=100663296"], "keys": ["MemoryMax"],
                        "live": {"MemoryMax": INFINITY},
                        "runtime_files": ["/run/systemd/system.control/a.service.d/50-MemoryMax.conf"]}]


def test_live_changes_v2_and_old_systemd():
    live = {"MemoryMax": INFINITY, "MemoryHigh": INFINITY, "MemorySwapMax": INFINITY, "MemoryLow": 0}
    infos = {"a.service": running(live=live)}
    the_plan = plan([{"unit": "a", "memory_max": "96M", "memory_high": "80M"}], infos, HOST_V2, OPTS)
    assert live_changes(the_plan, infos, "v2", 257)[0]["args"] == ["MemoryMax=100663296", "MemoryHigh=83886080"]
    old = plan([{"unit": "a", "memory_max": "96M"}], infos, dict(HOST_V1, systemd_version=219), OPTS)
    assert live_changes(old, infos, "v1", 219)[0]["args"] == ["MemoryLimit=100663296"]


def test_live_changes_leave_kept_overrides_alone():
    ov = {"path": "/run/systemd/system.control/a.service.d/50-MemoryMax.conf", "key": "MemoryMax",
          "value": "1G", "runtime": True, "other_keys": []}
    infos = {"a.service": running(overrides=[ov])}
    the_plan = plan([{"unit": "a", "memory_max": "96M"}], infos, HOST_V1, OPTS)
    assert live_changes(the_plan, infos, "v1", 252) == []
    cleared = plan([{"unit": "a", "memory_max": "96M"}], infos, HOST_V1, dict(OPTS, clear_runtime_overrides=True))
    assert live_changes(cleared, infos, "v1", 252)[0]["keys"] == ["MemoryMax"]


def test_live_changes_absent_unit_follows_systemd_config():
    """After the drop-in is removed, the live limit must go back to what the unit's own config says."""
    props = {"MemoryMax": "infinity", "MemoryLimit": "infinity", "OOMScoreAdjust": "0"}
    infos = {"a.service": running(live_max=96 * MIB, props=props)}
    the_plan = plan([{"unit": "a", "state": "absent"}], infos, HOST_V1, OPTS)
    assert live_changes(the_plan, infos, "v1", 252)[0]["args"] == ["MemoryMax=infinity"]
    # the unit's own MemoryLimit= (v1) is the target when MemoryMax is unset
    props_limit = dict(props, MemoryLimit="536870912")
    infos = {"a.service": running(live_max=96 * MIB, props=props_limit)}
    assert live_changes(the_plan, infos, "v1", 252)[0]["args"] == ["MemoryMax=536870912"]


def test_restart_needed_only_for_start_time_settings():
    infos = {"a.service": running(oom=0), "b.service": running(oom=300),
             "c.service": dict(running(oom=0), active_state="inactive", main_pid=None)}
    items = [{"unit": "a", "oom_score_adjust": 300, "restart": "on-failure"},
             {"unit": "b", "oom_score_adjust": 300}, {"unit": "c", "oom_score_adjust": 300},
             {"unit": "a2", "restart": "always", "memory_max": "1G"}]
    infos["a2.service"] = running()
    the_plan = plan(items, infos, HOST_V1, OPTS)
    needed = restart_needed(the_plan, infos)
    assert [n["unit"] for n in needed] == ["a.service"]
    assert "OOMScoreAdjust=300 applies at start" in needed[0]["reasons"][0]
    assert "oom_score_adj 0" in needed[0]["reasons"][0]


def test_restart_needed_after_removal_uses_systemd_config():
    infos = {"a.service": running(oom=300, props={"OOMScoreAdjust": "0"})}
    the_plan = plan([{"unit": "a", "state": "absent"}], infos, HOST_V1, OPTS)
    assert [n["unit"] for n in restart_needed(the_plan, infos)] == ["a.service"]


def test_report_merges_live_and_restart():
    infos = {"a.service": running(oom=0)}
    the_plan = plan([{"unit": "a", "memory_max": "96M", "oom_score_adjust": 5}], infos, HOST_V1, OPTS)
    live = live_changes(the_plan, infos, "v1", 252)
    rep = report(the_plan["units"], live, restart_needed(the_plan, infos))
    assert rep[0]["live_pushed"] == ["MemoryMax=100663296"]
    assert rep[0]["restart_required"] is True
    assert "body" not in rep[0] and "remove_overrides" not in rep[0]
    assert rep[0]["settings"] == {"MemoryMax": 96 * MIB, "OOMScoreAdjust": 5}
    assert rep[0]["dropin_changed"] is False
    # cgroup v2: the written drop-in is applied at daemon-reload, nothing pushed, no restart - still a change
    assert report(the_plan["units"], [], [], ["a.service"])[0]["dropin_changed"] is True


# restart_every: systemd's own scheduled restart (RuntimeMaxSec=), a stop-gap while a leak is found

@pytest.mark.parametrize("value,seconds", [
    ("1d", 86400), ("12h", 43200), ("1h 30min", 5400), ("15s", 15), (15, 15), ("3600", 3600), ("2 weeks", 1209600),
    (" 1H ", 3600),
])
def test_span_seconds(value, seconds):
    assert span_seconds(value) == seconds


@pytest.mark.parametrize("value", ["", "soon", "1.5h", "-1h", "1d;rm", "1 fortnight", 0, -5, True, None, ["1d"],
                                   "1d\n[Service]", "9" * 10, "1 " * 40 + "s"])
def test_span_seconds_refuses(value):
    assert span_seconds(value) is None


def test_restart_every_writes_runtime_max_with_spread_and_restart():
    the_plan = plan([{"unit": "leaky", "restart_every": "1d"}], {"leaky.service": running()}, HOST_V2, OPTS)
    assert the_plan["refusals"] == []
    unit = the_plan["units"][0]
    assert unit["body"] == ("[Service]\nRestart=on-failure\nRuntimeMaxSec=86400s\n"
                            "RuntimeRandomizedExtraSec=8640s\n")
    assert unit["settings"]["RuntimeMaxSec"] == 86400
    assert any("stop-gap" in n and "restarted at once" in n for n in unit["notes"])


def test_restart_every_second_run_writes_the_same_file():
    # read back after our drop-in: the unit now says Restart=on-failure, and the file must not change
    first = plan([{"unit": "leaky", "restart_every": "15s"}], {"leaky.service": running()}, HOST_V2, OPTS)
    after = running(props={"MemoryMax": "infinity", "OOMScoreAdjust": "0", "Restart": "on-failure"})
    second = plan([{"unit": "leaky", "restart_every": "15s"}], {"leaky.service": after}, HOST_V2, OPTS)
    assert first["units"][0]["body"] == second["units"][0]["body"]
    assert "RuntimeMaxSec=15s\nRuntimeRandomizedExtraSec=1s" in first["units"][0]["body"]


@pytest.mark.parametrize("own", ["always", "on-abnormal"])
def test_restart_every_keeps_a_restart_that_covers_timeouts(own):
    info = running(props={"MemoryMax": "infinity", "OOMScoreAdjust": "0", "Restart": own})
    unit = plan([{"unit": "leaky", "restart_every": "1d"}], {"leaky.service": info}, HOST_V2, OPTS)["units"][0]
    assert "Restart=" not in unit["body"] and "RuntimeMaxSec=86400s" in unit["body"]


def test_restart_every_explicit_restart_is_kept():
    unit = plan([{"unit": "leaky", "restart_every": "1d", "restart": "always"}], {"leaky.service": running()},
                HOST_V2, OPTS)["units"][0]
    assert "Restart=always\n" in unit["body"]


def test_restart_every_without_randomized_extra_before_250():
    host = dict(HOST_V2, systemd_version=247)
    unit = plan([{"unit": "leaky", "restart_every": "1d"}], {"leaky.service": running()}, host, OPTS)["units"][0]
    assert "RuntimeMaxSec=86400s\n" in unit["body"] and "RuntimeRandomized" not in unit["body"]
    assert any("no RuntimeRandomizedExtraSec= (since 250)" in n for n in unit["notes"])


@pytest.mark.parametrize("item,message", [
    ({"unit": "app", "restart_every": "5s"}, "restart_every '5s' (5 s) is not from 10 s to 366 days"),
    ({"unit": "app", "restart_every": "400d"}, "is not from 10 s"),
    ({"unit": "app", "restart_every": "daily"}, "restart_every 'daily' is not a time span"),
    ({"unit": "app", "restart_every": "1d\nExecStart=/bin/sh"}, "is not a time span"),
    ({"unit": "app", "restart_every": "1d", "restart": "no"}, "restart 'no' does not start the unit again"),
    ({"unit": "app", "restart_every": "1d", "restart": "on-success"}, "use on-failure, on-abnormal, always"),
    ({"unit": "app.slice", "restart_every": "1d"}, "restart_every applies to .service units only"),
])
def test_restart_every_preflight_refusals(item, message):
    errors = preflight([item])
    assert any(message in e for e in errors), errors


def test_restart_every_refused_on_oneshot():
    info = running(props={"MemoryMax": "infinity", "OOMScoreAdjust": "0", "Restart": "no", "Type": "oneshot"})
    the_plan = plan([{"unit": "job", "restart_every": "1h"}], {"job.service": info}, HOST_V2, OPTS)
    assert any("Type=oneshot" in r for r in the_plan["refusals"])


def test_restart_every_needs_no_restart_of_the_running_unit():
    the_plan = plan([{"unit": "leaky", "restart_every": "1d"}], {"leaky.service": running()}, HOST_V2, OPTS)
    assert restart_needed(the_plan, {"leaky.service": running()}) == []
