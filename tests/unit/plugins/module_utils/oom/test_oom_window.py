# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bounded OOM build (#29 item 4): build_history_bounded gives what build_history gives, cut to the newest
max_events, while holding a window of events rather than every one.

Compared against build_history itself: every fixture log alone and all of them as sources of one host, and
streams made of real fixture reports repeated at random gaps (some closer than the merge and notice tolerances),
read as one source or as two sources that saw the same kills, with systemd's notices in one of them."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import random

import pytest

from ansible_collections.headroom.memory.plugins.module_utils.oom.events import build_history
from ansible_collections.headroom.memory.plugins.module_utils.oom.window import build_history_bounded
from ansible_collections.headroom.memory.plugins.module_utils.oom.since import logged_kernel_kills
from ansible_collections.headroom.memory.plugins.module_utils.oom.sources import read_log_file

FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'fixtures', 'oom')
LINE = ("%s vm kernel: Memory cgroup out of memory: Killed process %d (%s) "
        "total-vm:75176kB, anon-rss:65280kB, file-rss:6664kB, shmem-rss:0kB, UID:0 pgtables:192kB oom_score_adj:0")

pytestmark = pytest.mark.usefixtures('utc')  # conftest.py


def fixture_records():
    out = []
    for name in sorted(os.listdir(FIXTURES)):
        if name.endswith('.log'):
            state, records = read_log_file(os.path.join(FIXTURES, name))
            assert state['status'] == 'read'
            out.append((name, records))
    return out


def expected(per_source, since, max_events, boot_time):
    events, counts = build_history(per_source, since)
    return {'events': events[-max_events:], 'total': len(events), 'counts': counts,
            'kernel_kills_logged_since_boot': logged_kernel_kills(events, boot_time)}


def check_same(per_source, since=None, max_events=200, boot_time=0.0):
    want = expected(per_source, since, max_events, boot_time)
    got = build_history_bounded(per_source, since, max_events, boot_time)
    assert dict((k, got[k]) for k in want) == want
    return got


@pytest.mark.parametrize('max_events', [1, 3, 200])
def test_every_fixture_alone_gives_what_build_history_gives(max_events):
    for name, records in fixture_records():
        check_same([(name, records)], max_events=max_events)
        check_same([(name, records)], since=1.7e9, max_events=max_events, boot_time=1.76e9)


def test_all_fixtures_as_the_sources_of_one_host():
    got = check_same(fixture_records(), max_events=5)
    assert got['bounded'] is False  # raw dmesg files have no wall-clock time: built whole, the same figures


def timed(records):
    return [r for r in records if r[0] is not None]


def stream(rng, reports, count, gap):
    """``count`` reports picked from ``reports`` (records of one report file each), each moved to start ``gap()``
    seconds after the previous one (the same pids again: far apart they are other kills, close together one)."""
    out = []
    now = 1.8e9
    for n in range(count):
        records = rng.choice(reports)
        start = records[0][0]
        for wall, up, ident, pid, msg in records:
            out.append((now + (wall - start), None if up is None else up + now - 1.7e9, ident, pid, msg))
        now += gap()
    out.sort(key=lambda r: r[0])  # a log in time order: reports that overlap in time interleave their lines
    return out


def jitter(rng, records):
    """The same records as another source saw them: wall clock moved by under a second, uptime kept."""
    shift = rng.uniform(-0.5, 0.5)
    return [(wall + shift, up, ident, pid, msg) for wall, up, ident, pid, msg in records]


@pytest.mark.parametrize('seed', range(12))
def test_random_streams_of_real_reports_give_what_build_history_gives(seed):
    rng = random.Random(seed)
    reports = [timed(r) for _n, r in fixture_records()]
    reports = [r for r in reports if r and all(x[0] is not None for x in r)
               and sorted(x[0] for x in r) == [x[0] for x in r]]
    assert len(reports) >= 10
    gaps = [lambda: rng.uniform(0, 5), lambda: rng.uniform(0, 400), lambda: rng.choice([0.0, 0.5, 61.0, 301.0, 900])]
    records = stream(rng, reports, 60, gaps[seed % 3])
    for max_events in (1, 7, 200):
        one = check_same([('journal', records)], max_events=max_events, boot_time=1.8e9 + 600)
        assert one['bounded'] is True
        # kmsg holds only the kernel's lines; the journal the same kills a little apart, and systemd's notices
        kmsg = [r for r in records if r[2] == 'kernel']
        two = check_same([('kmsg', jitter(rng, kmsg)), ('journal', records)], max_events=max_events,
                         since=1.8e9 + 300, boot_time=1.8e9)
        assert two['bounded'] is True


def test_out_of_order_sources_and_notices_of_two_sources_are_built_whole_with_the_same_figures():
    rng = random.Random(7)
    reports = [timed(r) for n, r in fixture_records() if n.startswith(('039', '043', '107', '016'))]
    records = stream(rng, reports, 30, lambda: 200.0)
    backwards = records[len(records) // 2:] + records[:len(records) // 2]
    assert check_same([('file', backwards)], max_events=5)['bounded'] is False
    notices_twice = check_same([('journal', records), ('syslog', jitter(rng, records))], max_events=5)
    assert notices_twice['bounded'] is False


def kill_records(kills, per_second=1):
    out = []
    for n in range(kills):
        wall = 1.8e9 + n // per_second
        comm = 'java' if n % 10 == 0 else 'python3'
        out.append((wall, None, 'kernel', None, LINE.split(' kernel: ', 1)[1] % (10000 + n, comm)))
    return out


def test_the_window_stays_the_same_size_however_many_kills_the_log_holds():
    held = []
    for kills in (2000, 10000):
        got = build_history_bounded([('file', kill_records(kills))], None, 200, 0.0)
        assert got['bounded'] is True
        assert got['total'] == kills and len(got['events']) == 200
        assert [e['victim']['pid'] for e in got['events']] == list(range(10000 + kills - 200, 10000 + kills))
        assert got['counts'] == {'by_comm': {'java': kills // 10, 'python3': kills - kills // 10},
                                 'by_unit': {}, 'by_killer': {'kernel': kills}}
        assert got['kernel_kills_logged_since_boot'] == kills
        held.append(got['held'])
    # 200 kept, and the kills of the last ~7 minutes (one a second) that a later line could still merge or name
    assert held[0] == held[1] < 200 + 7 * 60


def test_the_listed_events_never_exceed_the_cap_when_times_differ():
    records = kill_records(1500, per_second=1)
    for cap in (1, 10, 200, 1499, 1500, 2000):
        got = build_history_bounded([('file', records)], None, cap, None)
        assert len(got['events']) == min(cap, 1500) and got['total'] == 1500
        assert got['held'] <= cap + 7 * 60 and got['kernel_kills_logged_since_boot'] is None


def test_kills_in_one_second_are_held_only_while_they_tie():
    # whole-second syslog times: 50 kills a second; the events of the cap's oldest second are held until it is known
    # which of them are the newest (their order comes from build_history's list, known at the end)
    records = kill_records(3000, per_second=50)
    got = check_same([('file', records)], max_events=120)
    assert got['bounded'] is True and got['held'] < 120 + 50 + 50 * 7 * 60


def test_a_notice_a_second_makes_one_group_and_the_window_stays_small():
    # systemd's notice after every kill, a second apart: build_history makes one group of all of them (each
    # notice within a second of the last); that group can name only the kills near its first notice, so the
    # others are let go as before
    records = []
    for n, (wall, up, ident, pid, msg) in enumerate(kill_records(3000)):
        records.append((wall, up, ident, pid, msg))
        records.append((wall, None, 'systemd', 1, 'app-%d.service: A process of this unit has been killed by the OOM '
                                                  'killer.' % (n % 7)))
    got = check_same([('journal', records)], max_events=50)
    assert got['bounded'] is True and got['total'] == 3000
    assert got['held'] < 50 + 7 * 60 + 2 * 60
