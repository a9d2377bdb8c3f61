# -*- coding: utf-8 -*-
"""leak_suspect: growing anon-rss kill after kill, or RSS growth between two samples."""

import pytest

from ansible_collections.headroom.memory.plugins.plugin_utils.triage.engine import context, triage_entry
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.common import ThresholdError, merge_thresholds
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.leak import (
    SCHEDULED_RESTART_PERIOD, leak_suspect, scheduled_restart_units)
from ansible_collections.headroom.memory.tests.unit.plugins.plugin_utils.triage.test_triage_facts import (
    healthy, kill, proc)

MB = 1024


def run(facts, sample2=None, interval=None, **overrides):
    thresholds = merge_thresholds(overrides)
    return leak_suspect(facts, thresholds, context(facts, thresholds, sample2, interval))


def test_growing_anon_rss_across_kills_is_a_leak():
    facts = healthy()
    facts["oom"]["events"] = [kill(comm="worker", unit="api.service", scope="global", anon_kb=a * MB, pid=p)
                              for p, a in ((1, 1000), (2, 1400), (3, 2100))]
    [f] = run(facts)
    assert f["id"] == "leak_suspect"
    assert "worker (api.service) killed 3 times" in f["evidence"][0]
    assert "1000 MiB \u2192 1.4 GiB \u2192 2.1 GiB" in f["evidence"][0]
    # cgroup v2: throttled at what it reached, killed a quarter above, and kept out of swap (where it would grow on)
    assert f["remedy"]["vars"]["service_limits_units"] == [{"unit": "api.service", "memory_high": "2112M", "memory_max": "2688M",
                                                            "memory_swap_max": "0", "restart": "on-failure"}]
    assert "MemorySwapMax=0" in f["remedy"]["text"]


def test_on_cgroup_v1_a_leak_is_contained_by_memory_max_alone():
    """No MemoryHigh or MemorySwapMax on v1 (systemd applies neither there): the MemoryMax a quarter above."""
    facts = healthy()
    facts["cgroup"]["version"] = "1"
    facts["oom"]["events"] = [kill(comm="worker", unit="api.service", scope="global", anon_kb=a * MB, pid=p)
                              for p, a in ((1, 1000), (2, 1400), (3, 2100))]
    [f] = run(facts)
    assert f["remedy"]["vars"]["service_limits_units"] == [{"unit": "api.service", "memory_max": "2688M",
                                                            "restart": "on-failure"}]


def test_kills_at_the_same_size_are_a_limit_not_a_leak():
    facts = healthy()
    facts["oom"]["events"] = [kill(anon_kb=65000 + n, pid=n) for n in range(4)]
    assert run(facts) == []


def test_one_kill_is_not_a_series():
    facts = healthy()
    facts["oom"]["events"] = [kill(anon_kb=500 * MB)]
    assert run(facts) == []


def test_rss_growth_between_two_samples_is_a_leak():
    facts = healthy()
    later = [dict(p) for p in facts["processes"]]
    later[0]["rss_mb"] = 1100  # app: 900 -> 1100 MiB in 60 s
    [f] = run(facts, later, 60)
    # no sample times in the facts: the configured wait, and the evidence says so
    assert f["evidence"][0] == ("app (pid 900, app.service) grew from 900 MiB to 1.1 GiB in 60s (200.0 MiB/min; "
                                "from the configured wait: the samples' times are unknown)")


def test_leak_rate_uses_the_time_measured_between_the_samples():
    facts = healthy()
    facts["processes_uptime_s"] = 1000.0
    later = [dict(p) for p in facts["processes"]]
    later[0]["rss_mb"] = 1100
    thresholds = merge_thresholds({})
    # configured 60 s, but the second sample was read 80 s after the first (module run times): 150 MiB/min
    [f] = leak_suspect(facts, thresholds, context(facts, thresholds, later, 60, sample2_uptime_s=1080.0))
    assert f["evidence"][0] == "app (pid 900, app.service) grew from 900 MiB to 1.1 GiB in 80s (150.0 MiB/min)"
    # a second sample "before" the first (another boot, bad data) is not a measurement: back to the wait
    [f] = leak_suspect(facts, thresholds, context(facts, thresholds, later, 60, sample2_uptime_s=900.0))
    assert "configured wait" in f["evidence"][0]


def test_a_leak_pushed_into_swap_is_still_a_leak():
    """Under reclaim the kernel swaps the leak out: RSS stays put while the process grows; counting both
    finds it, and the evidence says swap was counted."""
    facts = healthy()
    facts["processes"][0]["swap_mb"] = 0
    later = [dict(p) for p in facts["processes"]]
    later[0]["rss_mb"], later[0]["swap_mb"] = 880, 200  # 900 MiB -> 880 + 200 MiB swapped
    [f] = run(facts, later, 60)
    assert f["evidence"][0].startswith("app (pid 900, app.service) grew from 900 MiB to 1.1 GiB (resident and swapped)")
    assert f["remedy"]["vars"]["service_limits_units"][0]["memory_high"] == "1088M"  # sized with its swap
    later[0]["swap_mb"] = 100  # +80 MiB: under 10 %
    assert run(facts, later, 60) == []


def test_small_or_relative_growth_and_new_pids_are_not_leaks():
    facts = healthy()
    later = [dict(p) for p in facts["processes"]]
    later[0]["rss_mb"] = 940  # +40 MiB but < 10%
    later[1]["rss_mb"] = 60   # +20 MiB: < 32 MiB
    later.append(proc("new", 5000, pid=31337))
    assert run(facts, later, 60) == []


def test_a_leak_already_contained_by_its_units_limit_gets_no_larger_limit():
    """Each diagnose would otherwise propose 1.25 x whatever the leak had reached, and remediate would apply it."""
    facts = healthy()
    facts["cgroup"]["limited"].append({"cgroup": "/system.slice/app.service", "unit": "app.service", "limit_mb": 1200,
                                       "usage_mb": 1100})
    later = [dict(p) for p in facts["processes"]]
    later[0]["rss_mb"] = 1100
    [f] = run(facts, later, 60)
    assert f["id"] == "leak_suspect" and f["severity"] == "warning"
    assert f["remedy"]["role"] is None and f["remedy"]["vars"] == {}
    assert "app.service is contained by its own memory limit (1.2 GiB)" in f["evidence"][-1]
    assert "already keeps it from taking the host" in f["remedy"]["text"]
    # the same leak without the limit gets one
    facts["cgroup"]["limited"] = []
    [f] = run(facts, later, 60)
    assert f["remedy"]["vars"]["service_limits_units"][0]["unit"] == "app.service"


def _leaking_app():
    facts = healthy()
    later = [dict(p) for p in facts["processes"]]
    later[0]["rss_mb"] = 1100
    return facts, later


def run_accepting(facts, later, units):
    thresholds = merge_thresholds()
    return leak_suspect(facts, thresholds, context(facts, thresholds, later, 60, restart_units=units))


def test_a_scheduled_restart_is_proposed_only_for_a_unit_the_operator_listed():
    facts, later = _leaking_app()
    [f] = run_accepting(facts, later, ["app"])  # "app" is app.service
    [item] = f["remedy"]["vars"]["service_limits_units"]
    assert item["unit"] == "app.service" and item["restart_every"] == SCHEDULED_RESTART_PERIOD == "1d"
    assert item["memory_max"] and item["restart"] == "on-failure"
    assert "stop-gap" in f["remedy"]["text"] and "app.service is restarted every 1d" in f["remedy"]["text"]
    for units in (None, [], ["other.service"]):
        [f] = run_accepting(facts, later, units)
        assert "restart_every" not in f["remedy"]["vars"]["service_limits_units"][0]
        assert "stop-gap" not in f["remedy"]["text"]


def test_a_contained_leak_listed_for_a_scheduled_restart_gets_the_restart_alone():
    facts, later = _leaking_app()
    facts["cgroup"]["limited"].append({"cgroup": "/system.slice/app.service", "unit": "app.service", "limit_mb": 1200,
                                       "usage_mb": 1100})
    [f] = run_accepting(facts, later, ["app.service"])
    assert f["remedy"]["role"] == "headroom.memory.service_limits"
    assert f["remedy"]["vars"] == {"service_limits_units": [{"unit": "app.service", "restart_every": "1d"}]}


def test_no_leak_no_scheduled_restart():
    facts = healthy()
    assert run_accepting(facts, [dict(p) for p in facts["processes"]], ["app.service"]) == []


@pytest.mark.parametrize("value, shown", [
    ("app.service", "must be a list of service names, got str 'app.service'"),
    (["../etc/passwd"], "'../etc/passwd' is not a service name"),
    (["app.slice"], "'app.slice' is not a service name (a scheduled restart applies to .service units only)"),
    ([""], "'' is not a service name"),
    ([None], "None is not a service name"),
])
def test_a_malformed_list_of_accepted_units_stops_the_run_naming_the_value(value, shown):
    with pytest.raises(ThresholdError) as exc:
        scheduled_restart_units(value)
    assert "diagnose_scheduled_restart_units" in str(exc.value) and shown in str(exc.value)


def test_the_fleet_report_carries_the_scheduled_restart_through_the_gate():
    facts, later = _leaking_app()
    entry = {"host": "h", "facts": facts, "result": {}, "sample2": later, "scheduled_restart_units": ["app.service"]}
    host = triage_entry(entry, 60)
    assert host["remedy_vars"]["service_limits_units"][0]["restart_every"] == "1d"
    with pytest.raises(ThresholdError):
        triage_entry(dict(entry, scheduled_restart_units=["bad/name"]), 60)
