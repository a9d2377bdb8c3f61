# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PM2 sizing: the threshold between current use plus the margin and the app's share, the heap under it."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.headroom.memory.plugins.plugin_utils.pm2.plan import mmr_mb, plan, plan_errors


def host(total=2048, limit=None, node=400):
    return {"memory": {"total_mb": total}, "cgroup": {"limit_mb": limit}, "process_groups": [
        {"comm": "node", "count": 3, "rss_mb": node}, {"comm": "postgres", "count": 5, "rss_mb": 300},
        {"comm": "sshd", "count": 1, "rss_mb": 10}]}


API = [{"name": "api", "instances": 2, "memory_mb": 150, "exec_mode": "cluster"},
       {"name": "api", "instances": 2, "memory_mb": 120, "exec_mode": "cluster"}]


def test_proposal_is_the_peak_plus_the_drift_margin_and_the_heap_three_quarters_of_it():
    p = plan(API, host())
    # 2048 - 310 others - (400 node - 270 this app) - 256 reserve = 1352, / 2 instances = 676 per instance
    assert p["share_mb"] == 676 and p["instances"] == 2 and p["use_mb"] == 150
    assert "1352 MiB, / 2 instances = 676 MiB" in p["arithmetic"]
    assert p["max_memory_restart"] == "176M"   # 150 + 2 x 8 MiB = 166, rounded up to 16 MiB steps
    assert p["max_old_space_size"] == 132      # 75 % of 176
    assert p["errors"] == [] and p["notes"] == []


def test_a_peak_above_the_share_is_capped_at_the_share():
    p = plan(API, host(), peak_mb=900)
    assert p["max_memory_restart"] == "676M" and p["max_memory_restart_mb"] == 676 and p["max_old_space_size"] == 507
    assert "the threshold is the share, 676 MiB per instance" in p["notes"][0]


def test_cluster_instances_times_the_threshold_fit_the_share():
    one = plan([dict(API[0], instances=1)], host())
    four = plan([dict(API[0], instances=4)], host())
    assert one["share_mb"] == 2048 - 310 - 250 - 256   # all Node but this app's 150 MiB counts as others
    assert four["share_mb"] == one["share_mb"] // 4 and four["max_memory_restart_mb"] * 4 <= one["share_mb"]


def test_a_threshold_under_current_use_is_refused_with_the_numbers():
    p = plan(API, host(), max_memory_restart="100M")
    assert p["errors"] == ["api: max_memory_restart 100M (100 MiB) is under what one instance holds now plus the margin "
                           "(150 MiB + 8 MiB = 158 MiB): PM2 would restart it forever"]
    assert p["max_memory_restart"] is None and p["max_old_space_size"] is None


def test_a_threshold_above_the_share_is_refused():
    p = plan(API, host(), max_memory_restart="1G")
    assert "max_memory_restart 1G (1024 MiB) per instance is more than the app's share" in p["errors"][0]
    assert "= 676 MiB" in p["errors"][0]


def test_a_heap_above_three_quarters_of_the_threshold_is_refused():
    p = plan(API, host(), max_memory_restart="300M", max_old_space_size=250)
    assert p["errors"] == ["api: max_old_space_size 250 MiB is above 75% of max_memory_restart 300M (225 MiB): V8's young "
                           "generation, code, buffers and native memory need the rest"]
    ok = plan(API, host(), max_memory_restart="300M", max_old_space_size=200)
    assert ok["errors"] == [] and ok["max_memory_restart"] == "300M" and ok["max_old_space_size"] == 200


def test_no_room_at_all():
    p = plan([{"name": "api", "instances": 1, "memory_mb": 600}], host(total=1024, node=600))
    assert "no max_memory_restart fits: one instance holds 600 MiB now and needs at least 630 MiB" in p["errors"][0]


def test_the_unit_and_container_limits_bound_the_share():
    assert plan(API, host(limit=1024))["share_mb"] == (1024 - 310 - 130 - 128) // 2
    assert plan(API, host(), unit_limit_mb=768)["share_mb"] == (768 - 310 - 130 - 96) // 2


@pytest.mark.parametrize("facts, kwargs, message", [
    ([], {}, "the app's facts are empty"),
    ([{"name": "a"}, {"name": "b"}], {}, "name a, b, not one app"),
    (API, {"peak_mb": "big"}, "peak_mb 'big' is not a whole number"),
    (API, {"max_memory_restart": "1.5G"}, "is not PM2's notation"),
    (API, {"max_old_space_size": 0}, "is not a whole number of MiB between 1"),
])
def test_bad_input_is_named(facts, kwargs, message):
    p = plan(facts, host(), **kwargs)
    assert any(message in e for e in p["errors"]), p["errors"]


def test_missing_facts_are_named():
    assert "process_groups" in plan(API, {"memory": {"total_mb": 1024}})["errors"][0]
    assert "memory.total_mb" in plan(API, {})["errors"][0]


def test_notation():
    assert (mmr_mb("300M"), mmr_mb("1G"), mmr_mb("512000K"), mmr_mb("300"), mmr_mb("3g")) == (300, 1024, 500, None, None)
    assert plan_errors([{"errors": ["a"]}, {"errors": []}, None, {"errors": ["b"]}]) == ["a", "b"]
