# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The memory share: total, others, reserve, split, and the refusals that name their numbers."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.headroom.memory.plugins.plugin_utils.budget import (
    BudgetError, default_reserve_mb, memory_share)


def facts(total=4096, limit=None, groups=None):
    return {
        "memory": {"total_mb": total},
        "cgroup": {"limit_mb": limit},
        "process_groups": groups if groups is not None else [
            {"comm": "postgres", "count": 8, "rss_mb": 900},
            {"comm": "java", "count": 1, "rss_mb": 700},
            {"comm": "systemd-journal", "count": 1, "rss_mb": 40},
            {"comm": "sshd", "count": 2, "rss_mb": 12},
        ],
    }


def test_reserve_scales_with_the_host():
    # the docstring's table: a 384 MiB container is not a 64 GiB server
    assert default_reserve_mb(384) == 64          # 1/8 = 48, raised to the 64 MiB floor
    assert default_reserve_mb(256) == 64
    assert default_reserve_mb(600) == 75          # 1/8
    assert default_reserve_mb(1024) == 128        # 1/8
    assert default_reserve_mb(2048) == 256        # 1/8 meets the server rule: no step
    assert default_reserve_mb(2040) == 255
    assert default_reserve_mb(5120) == 256        # server rule: max(256, 5 %)
    assert default_reserve_mb(5140) == 257
    assert default_reserve_mb(8192) == 409
    assert default_reserve_mb(65536) == 3276


def test_reserve_never_falls_as_the_host_grows():
    last = 0
    for total in range(128, 70000, 7):
        reserve = default_reserve_mb(total)
        assert reserve >= last and reserve < total
        last = reserve


def test_a_384_mib_container_leaves_room_for_its_service():
    # a gunicorn container of 384 MiB: the old fixed 256 MiB reserve left 128 MiB, now 384 - 20 - 64 = 300
    g = [{"comm": "gunicorn", "count": 6, "rss_mb": 260}, {"comm": "tini", "count": 1, "rss_mb": 20}]
    r = memory_share("auto", facts(total=65536, limit=384, groups=g), own_comms=["gunicorn"])
    assert (r["total_mb"], r["total_source"], r["reserve_mb"], r["share_mb"]) == (384, "cgroup", 64, 300)


def test_auto_is_total_minus_others_minus_reserve():
    r = memory_share("auto", facts(), own_comms=["postgres"])
    assert r["total_mb"] == 4096 and r["total_source"] == "MemTotal"
    assert r["others_mb"] == 752                      # java + journald + sshd, not postgres itself
    assert r["reserve_mb"] == 256
    assert r["available_mb"] == 4096 - 752 - 256
    assert r["share_mb"] == 3088
    assert [o["comm"] for o in r["others"]] == ["java", "systemd-journal", "sshd"]
    assert "4096 MiB (MemTotal) - 752 MiB other processes - 256 MiB reserve = 3088 MiB" in r["arithmetic"]


def test_auto_is_split_between_instances_rounding_down():
    r = memory_share("auto", facts(), own_comms=["postgres", "redis-server"], instances=3)
    assert r["share_mb"] == 3088 // 3 == 1029
    assert r["instances"] == 3


def test_own_processes_of_other_instances_are_not_others():
    # two engines on one host: each names both engines' comms as its own, so neither counts the other
    g = [{"comm": "postgres", "count": 5, "rss_mb": 300}, {"comm": "redis-server", "count": 1, "rss_mb": 200}]
    r = memory_share("auto", facts(total=2048, groups=g), own_comms=["postgres", "redis-server"], instances=2)
    assert r["others_mb"] == 0 and r["share_mb"] == (2048 - 256) // 2


def test_container_limit_and_unit_limit_cap_the_total():
    r = memory_share("auto", facts(limit=1024, groups=[]))
    assert (r["total_mb"], r["total_source"], r["share_mb"]) == (1024, "cgroup", 1024 - 128)
    r = memory_share("auto", facts(limit=1024, groups=[]), unit_limit_mb=600)
    assert (r["total_mb"], r["total_source"], r["share_mb"]) == (600, "unit", 600 - 75)
    # a limit above MemTotal does not raise the total
    r = memory_share("auto", facts(total=2048, limit=8192, groups=[]))
    assert (r["total_mb"], r["total_source"]) == (2048, "MemTotal")


@pytest.mark.parametrize("spec,mb", [("1G", 1024), ("512M", 512), ("1.5G", 1536), (700, 700), ("25%", 1024),
                                     ("12.5%", 512), ("2GiB", 2048)])
def test_explicit_sizes_and_percentages(spec, mb):
    r = memory_share(spec, facts(), own_comms=["postgres"])
    assert r["share_mb"] == mb
    assert r["memory"] == spec


def test_explicit_share_over_what_is_available_is_refused_with_the_numbers():
    with pytest.raises(BudgetError) as e:
        memory_share("3500M", facts(), own_comms=["postgres"])
    msg = str(e.value)
    assert "3500M" in msg and "3500 MiB" in msg and "752 MiB other processes" in msg and "= 3088 MiB" in msg


def test_auto_with_nothing_left_is_refused():
    g = [{"comm": "java", "count": 1, "rss_mb": 900}]
    with pytest.raises(BudgetError, match="leaves nothing"):
        memory_share("auto", facts(total=1024, groups=g))


@pytest.mark.parametrize("spec", ["", "lots", "0", "0%", "101%", "-5%", "12Q", None, True, [], "-1G", 0, -3])
def test_bad_specs_are_named(spec):
    with pytest.raises(BudgetError) as e:
        memory_share(spec, facts(), own_comms=["postgres"])
    assert repr(spec) in str(e.value)


@pytest.mark.parametrize("kw", [{"instances": 0}, {"instances": "2"}, {"instances": True},
                                {"unit_limit_mb": 0}, {"unit_limit_mb": "1G"}, {"reserve_mb": -1},
                                {"reserve_mb": 1.5}])
def test_bad_arguments_are_named(kw):
    with pytest.raises(BudgetError) as e:
        memory_share("auto", facts(), **kw)
    assert repr(list(kw.values())[0]) in str(e.value)


def test_explicit_reserve_is_used():
    r = memory_share("auto", facts(groups=[]), reserve_mb=0)
    assert r["share_mb"] == 4096


@pytest.mark.parametrize("bad", [{}, {"memory": {}}, {"memory": {"total_mb": 0}},
                                 {"memory": {"total_mb": 1024}}])
def test_missing_facts_say_which_subset(bad):
    with pytest.raises(BudgetError, match="memory_facts"):
        memory_share("auto", bad)
