# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Database shares at their edges (found by mutation testing, tests/MUTATION.md): the refusals word for word,
a given reserve reaching the explicit shares too, shares that exactly fill what is available, and the
last run's share kept down to 1 MiB."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.headroom.memory.plugins.plugin_utils.database import instances
from ansible_collections.headroom.memory.plugins.plugin_utils.database.shares import SharesError, shares

GROUPS = [{"comm": "postgres", "count": 8, "rss_mb": 900}, {"comm": "redis-server", "count": 1, "rss_mb": 300},
          {"comm": "php-fpm8.2", "count": 10, "rss_mb": 600}, {"comm": "systemd", "count": 3, "rss_mb": 40}]


def facts(total=4096, limit=None):
    return {"memory": {"total_mb": total}, "cgroup": {"limit_mb": limit}, "process_groups": GROUPS}


def entries(*raw):
    found, errors = instances.normalise(list(raw))
    assert errors == []
    return found


def test_a_given_reserve_applies_to_the_explicit_shares_too():
    # postgres alone is listed: redis, php-fpm and systemd (940 MiB) are the others; 4096 - 940 - 100 = 3056
    got = shares(entries({"engine": "postgresql", "memory": "3056M"}), facts(), reserve_mb=100)
    assert [s["share_mb"] for s in got] == [3056]  # exactly what is available: accepted
    # with the default reserve (256 MiB) the same share is 156 MiB over
    with pytest.raises(SharesError):
        shares(entries({"engine": "postgresql", "memory": "3056M"}), facts())


def test_an_explicit_share_keeps_its_own_arithmetic_and_the_fields():
    got = shares(entries({"engine": "postgresql", "memory": "1G"}, {"engine": "redis"}), facts())
    pg, redis = got
    assert pg["arithmetic"] == ("1G = 1024 MiB of 4096 MiB (MemTotal) - 640 MiB other processes - 256 MiB reserve "
                                "= 3200 MiB")
    assert redis["arithmetic"] == ("auto: 4096 MiB (MemTotal) - 640 MiB other processes - 256 MiB reserve - 1024 MiB "
                                   "explicit shares = 2176 MiB, / 1 auto instance = 2176 MiB")
    assert sorted(pg) == ["arithmetic", "available_mb", "file_arithmetic", "instance", "others", "others_mb", "reserve_mb",
                          "share_mb", "total_mb", "total_source"]
    assert pg["file_arithmetic"] == "1G: 1024 MiB, of 4096 MiB (MemTotal) less the other processes and a 256 MiB reserve"
    assert pg["instance"]["engine"] == "postgresql" and redis["instance"]["engine"] == "redis"
    for s in got:
        assert (s["total_mb"], s["total_source"], s["others_mb"], s["reserve_mb"], s["available_mb"]) == \
            (4096, "MemTotal", 640, 256, 3200)
        assert [o["comm"] for o in s["others"]] == ["php-fpm8.2", "systemd"]


def test_one_mib_left_is_a_share():
    # 941 - 940 others - 0 reserve = 1 MiB for one auto instance
    assert [s["share_mb"] for s in shares(entries({"engine": "postgresql"}), facts(total=941), reserve_mb=0)] == [1]


def test_refusals_word_for_word():
    with pytest.raises(SharesError) as err:
        shares(entries({"engine": "postgresql", "memory": "90%"}), facts())
    assert str(err.value) == (
        "database memory share: memory 90% = 3686 MiB would take memory the other processes use: only 4096 MiB "
        "(MemTotal) - 940 MiB other processes - 256 MiB reserve = 2900 MiB are available; nothing was changed")
    with pytest.raises(SharesError) as err:
        shares(entries({"engine": "postgresql", "memory": "900M"}, {"engine": "redis", "memory": "900M"}),
               facts(limit=2048))
    assert str(err.value) == (
        "database memory share: the explicit shares (postgresql 900M, redis 900M) add up to 1800 MiB, more than the "
        "1152 MiB available (auto: 2048 MiB (cgroup) - 640 MiB other processes - 256 MiB reserve = 1152 MiB, / 1 "
        "instance = 1152 MiB); nothing was changed")
    with pytest.raises(SharesError) as err:
        shares(entries({"engine": "postgresql"}, {"engine": "redis", "memory": "1152M"}), facts(limit=2048))
    assert str(err.value) == (
        "database memory share: auto: 2048 MiB (cgroup) - 640 MiB other processes - 256 MiB reserve - 1152 MiB "
        "explicit shares = 0 MiB, / 1 auto instance = 0 MiB leaves nothing for postgresql; nothing was changed")


def test_kept_share_sentence():
    got = shares(entries({"engine": "postgresql"}, {"engine": "redis"}), facts(), previous={"postgresql": 1590})
    assert got[0]["arithmetic"] == (
        "auto: 4096 MiB (MemTotal) - 640 MiB other processes - 256 MiB reserve = 3200 MiB, / 2 auto instances = "
        "1600 MiB; kept the last run's 1590 MiB (within 16 MiB or 2 %)")


@pytest.mark.parametrize("previous,share", [(1, 1), (0, 10), (True, 10)])
def test_a_small_share_keeps_a_positive_last_share_only(previous, share):
    """10 MiB for one auto instance: a last share of 1 MiB is within 16 MiB and kept; 0 or a boolean are not."""
    got = shares(entries({"engine": "postgresql"}), {"memory": {"total_mb": 950}, "cgroup": {},
                                                     "process_groups": GROUPS}, reserve_mb=0,
                 previous={"postgresql": previous})
    assert got[0]["share_mb"] == share
