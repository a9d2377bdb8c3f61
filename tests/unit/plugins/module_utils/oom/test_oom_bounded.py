# -*- coding: utf-8 -*-
"""memory_facts lists only the newest oom_max_events OOM events (#29 item 4): 50,000 kills in a log give a
bounded event list whose totals and counts still count every kill."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.headroom.memory.plugins.module_utils.oom.history import check_kill_count, collect_oom_history
from ansible_collections.headroom.memory.plugins.modules import memory_facts
from ansible_collections.headroom.memory.tests.unit.plugins.modules.module_args import run_module
from ansible_collections.headroom.memory.plugins.module_utils.oom.options import (
    MAX_EVENTS_DEFAULT, MAX_EVENTS_LIMIT, check_max_events)

KILLS = 50000
LINE = ("2026-11-25T%02d:%02d:%02d+0000 vm kernel: Memory cgroup out of memory: Killed process %d (%s) "
        "total-vm:75176kB, anon-rss:65280kB, file-rss:6664kB, shmem-rss:0kB, UID:0 pgtables:192kB oom_score_adj:0\n")


def kill_log(path, kills=KILLS):
    """``kills`` kernel kills one second apart from 00:00:00, of pids 10000..; every tenth one of 'java'."""
    with open(str(path), "w") as out:
        for n in range(kills):
            out.write(LINE % (n // 3600, n // 60 % 60, n % 60, 10000 + n, "java" if n % 10 == 0 else "python3"))
    return str(path)


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    log = kill_log(tmp_path_factory.mktemp("oom") / "kern.log")
    return collect_oom_history(sources=["files"], files=[log], since="all", now=0.0, boot_time=0.0)


def test_fifty_thousand_kills_list_the_newest_two_hundred_and_count_them_all(big):
    assert len(big["events"]) == MAX_EVENTS_DEFAULT == 200
    assert big["total"] == KILLS and big["dropped"] == KILLS - 200
    assert [e["victim"]["pid"] for e in big["events"]] == list(range(10000 + KILLS - 200, 10000 + KILLS))
    assert big["events"][-1]["time"] == "2026-11-25T13:53:19Z"  # the newest: kill 49,999 at 13:53:19
    assert big["counts"]["by_comm"] == {"java": KILLS // 10, "python3": KILLS - KILLS // 10}
    assert big["counts"]["by_killer"] == {"kernel": KILLS}
    assert len(json.dumps(big)) < 200000  # not the 84 MB of JSON of the issue


def test_the_cap_is_an_option(tmp_path):
    log = kill_log(tmp_path / "kern.log", 30)
    few = collect_oom_history(sources=["files"], files=[log], since="all", now=0.0, boot_time=0.0, max_events=5)
    assert [e["victim"]["pid"] for e in few["events"]] == list(range(10025, 10030))
    assert (few["total"], few["dropped"], sum(few["counts"]["by_comm"].values())) == (30, 25, 30)
    everything = collect_oom_history(sources=["files"], files=[log], since="all", now=0.0, boot_time=0.0, max_events=30)
    assert (len(everything["events"]), everything["total"], everything["dropped"]) == (30, 30, 0)


def test_a_host_without_kills_has_zero_totals(tmp_path):
    log = tmp_path / "kern.log"
    log.write_text("2026-11-25T00:00:00+0000 vm kernel: eth0: link up\n")
    none = collect_oom_history(sources=["files"], files=[str(log)], since="all", now=0.0, boot_time=0.0)
    assert (none["events"], none["total"], none["dropped"]) == ([], 0, 0)


@pytest.mark.parametrize("bad", [0, -1, MAX_EVENTS_LIMIT + 1, "200", 2.5, None, True])
def test_a_bad_cap_is_refused_naming_the_value_before_anything_is_read(bad, tmp_path):
    with pytest.raises(ValueError, match=r"oom_max_events: expected a whole number from 1 to 100000, got %s"
                       % repr(bad).replace(".", r"\.")):
        collect_oom_history(sources=["files"], files=[str(tmp_path / "never-read.log")], since="all",
                            now=0.0, boot_time=0.0, max_events=bad)
    assert check_max_events(MAX_EVENTS_LIMIT) == MAX_EVENTS_LIMIT


def test_memory_facts_passes_oom_max_events_and_refuses_a_bad_one(capsys, tmp_path):
    log = kill_log(tmp_path / "kern.log", 12)
    args = {"gather_subset": ["oom"], "oom_sources": ["files"], "oom_files": [log], "oom_since": "all"}
    oom = run_module(capsys, memory_facts.main, dict(args, oom_max_events=4))[1]["ansible_facts"]["headroom"]["oom"]
    assert (len(oom["events"]), oom["total"], oom["dropped"], oom["events"][-1]["victim"]["pid"]) == (4, 12, 8, 10011)
    failed = run_module(capsys, memory_facts.main, dict(args, oom_max_events=0))[1]
    assert failed["failed"] is True
    assert failed["msg"] == "oom_max_events: expected a whole number from 1 to 100000, got 0"


def test_the_kernels_count_is_checked_against_every_logged_kill_not_only_the_listed_ones(tmp_path):
    # 30 kernel kills since boot, 5 listed: the logs claim 30, so a kernel that counted 10 was not the writer of all
    log = kill_log(tmp_path / "kern.log", 30)
    few = collect_oom_history(sources=["files"], files=[log], since="all", now=0.0, boot_time=0.0, max_events=5)
    assert (len(few["events"]), few["kernel_kills_logged_since_boot"]) == (5, 30)
    checked = check_kill_count(few, 10, 0.0)
    assert checked["kills_implausible"] is True and checked["kernel_kills_logged_since_boot"] == 30
    assert "the logs hold 30 kernel OOM kills since boot but the kernel counted 10" in checked["kills_notice"]
    assert check_kill_count(dict(few), 30, 0.0)["kills_implausible"] is False
