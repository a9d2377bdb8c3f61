# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Database shares from the collection's budget rule: the database processes are never 'others', explicit
shares are taken first and the auto ones split the rest, with the arithmetic."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.headroom.memory.plugins.plugin_utils.database import instances
from ansible_collections.headroom.memory.plugins.plugin_utils.database.shares import SharesError, shares


def facts(total=4096, limit=None, groups=None):
    return {"memory": {"total_mb": total}, "cgroup": {"limit_mb": limit},
            "process_groups": groups if groups is not None else [
                {"comm": "postgres", "count": 8, "rss_mb": 900}, {"comm": "redis-server", "count": 1, "rss_mb": 300},
                {"comm": "php-fpm8.2", "count": 10, "rss_mb": 600}, {"comm": "systemd", "count": 3, "rss_mb": 40}]}


def entries(*raw):
    found, errors = instances.normalise(list(raw))
    assert errors == []
    return found


def test_two_auto_instances_split_what_others_leave():
    got = shares(entries({"engine": "postgresql"}, {"engine": "redis"}), facts())
    # 4096 - (600 + 40 others; postgres and redis are the databases' own) - 256 reserve = 3200 -> 1600 each
    assert [s["share_mb"] for s in got] == [1600, 1600]
    assert got[0]["others_mb"] == 640 and got[0]["reserve_mb"] == 256 and got[0]["available_mb"] == 3200
    assert got[0]["arithmetic"] == ("auto: 4096 MiB (MemTotal) - 640 MiB other processes - 256 MiB reserve = 3200 MiB, "
                                    "/ 2 auto instances = 1600 MiB")


def test_explicit_share_first_then_auto_takes_the_rest():
    got = shares(entries({"engine": "postgresql"}, {"engine": "redis", "memory": "512M"}), facts(limit=2048))
    # container limit 2048 < MemTotal: 2048 - 640 - 256 = 1152; redis 512; postgres 640
    assert [s["share_mb"] for s in got] == [640, 512]
    assert "(cgroup)" in got[0]["arithmetic"] and "- 512 MiB explicit shares = 640 MiB" in got[0]["arithmetic"]


def test_explicit_shares_over_available_refused_with_numbers():
    with pytest.raises(SharesError) as err:
        shares(entries({"engine": "postgresql", "memory": "900M"}, {"engine": "redis", "memory": "900M"}),
               facts(limit=2048))
    assert "add up to 1800 MiB, more than the 1152 MiB available" in str(err.value)
    with pytest.raises(SharesError) as err:
        shares(entries({"engine": "postgresql", "memory": "90%"}), facts())
    assert "nothing was changed" in str(err.value)


def test_reserve_given():
    got = shares(entries({"engine": "mariadb"}), facts(), reserve_mb=1000)
    # postgres and redis are not listed: their RSS counts among the others here
    assert got[0]["share_mb"] == 4096 - (900 + 300 + 600 + 40) - 1000


@pytest.mark.parametrize("previous,kept", [(1590, 1590), (1632, 1632), (1633, None), (1500, None), (None, None)])
def test_last_runs_share_kept_within_16_mib_or_2_pct(previous, kept):
    """1600 MiB: 2 % = 32 MiB is more than 16, so 1568..1632 is kept."""
    got = shares(entries({"engine": "postgresql"}, {"engine": "redis"}), facts(),
                 previous={"postgresql": previous} if previous else None)
    assert got[0]["share_mb"] == (kept or 1600)
    assert got[1]["share_mb"] == 1600
    assert ("kept the last run's" in got[0]["arithmetic"]) is bool(kept)


def test_the_files_text_does_not_move_with_the_other_processes():
    """The share line written into the configuration file: a second run whose other processes hold 1 MiB more
    keeps the last share and must write the same file (the database idempotence run once rewrote and reloaded
    PostgreSQL and MariaDB over 37 -> 38 MiB in that comment)."""
    groups = [{"comm": "postgres", "count": 8, "rss_mb": 900}, {"comm": "systemd", "count": 3, "rss_mb": 37}]
    first = shares(entries({"engine": "postgresql"}, {"engine": "redis"}), facts(limit=2048, groups=groups))
    groups[1]["rss_mb"] = 38
    again = shares(entries({"engine": "postgresql"}, {"engine": "redis"}), facts(limit=2048, groups=groups),
                   previous=dict((s["instance"]["name"], s["share_mb"]) for s in first))
    assert first[0]["arithmetic"] != again[0]["arithmetic"]  # this run's figures, for the result and the log
    assert [s["file_arithmetic"] for s in again] == [s["file_arithmetic"] for s in first] == [
        "auto: 877 MiB, of 2048 MiB (cgroup) less the other processes and a 256 MiB reserve"] * 2
