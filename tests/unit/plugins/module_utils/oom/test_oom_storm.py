# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A REAL kill storm (fixture 231, capture/capture_storm.py): two memcg-limited services killed at once, the
kernel rate-limiting the report header. A kill is counted on a unit only by its own header (by pid)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.headroom.memory.plugins.module_utils.oom.events import build_history
from ansible_collections.headroom.memory.plugins.module_utils.oom.kernel import parse_kernel
from ansible_collections.headroom.memory.plugins.module_utils.oom.lines import split_line

FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'unit', 'fixtures', 'oom')
STORM = '231-capture-6.18-dmesg-kill-storm-two-memcg-v1-services-suppressed-headers.log'

pytestmark = pytest.mark.usefixtures('utc')  # conftest.py


def storm_records():
    with open(os.path.join(FIXTURES, STORM), encoding='utf-8') as f:
        return [split_line(line) for line in f]


def headers_by_pid(records):
    """pid -> unit, from the ``oom-kill:`` summaries of the fixture (the ground truth of each report)."""
    found = {}
    for record in records:
        parsed = parse_kernel(record[4])
        if parsed and parsed[0] == 'constraint' and parsed[1]['pid'] is not None:
            found[parsed[1]['pid']] = parsed[1]['task_memcg'].rsplit('/', 1)[-1]
    return found


def test_the_fixture_is_a_storm_with_suppressed_headers():
    records = storm_records()
    text = [r[4] for r in records]
    assert any(t.endswith('callbacks suppressed') and t.startswith('oom_kill_process: ') for t in text)
    killed = [t for t in text if 'Killed process' in t]
    assert len(killed) > len(headers_by_pid(records))


def test_every_kill_is_counted_once_and_only_on_its_own_unit():
    records = storm_records()
    truth = headers_by_pid(records)
    events, counts = build_history([('dmesg', records)])
    assert len(events) == sum(1 for r in records if 'Killed process' in r[4]) == 24
    for event in events:
        pid, comm = event['victim']['pid'], event['victim']['comm']
        if pid in truth:
            assert event['unit'] == truth[pid], (pid, comm)
            assert event['trigger'] is not None
        else:
            # its header was suppressed: no unit rather than the previous report's (another service's)
            assert event['unit'] is None and event['trigger'] is None and event['oom_memcg'] is None, (pid, comm)
        if comm in ('hog-a', 'hog-b') and event['unit'] is not None:
            assert event['unit'] == 'hrstorm-%s.service' % comm[-1]
    unknown = [e['victim']['pid'] for e in events if e['unit'] is None]
    assert unknown == [13641, 13675, 13632, 13631]
    assert sum(counts['by_unit'].values()) == 20


def test_the_old_pairing_would_have_counted_hog_a_on_service_b():
    # the kill right after service b's report (0.05 s later) is service a's process: it is not b's
    events = build_history([('dmesg', storm_records())])[0]
    [event] = [e for e in events if e['victim']['pid'] == 13641]
    assert (event['victim']['comm'], event['unit'], event['scope']) == ('hog-a', None, 'memcg')


def test_a_summary_names_its_victim_even_when_its_kill_line_is_lost():
    records = [r for r in storm_records() if 'Killed process 13648 ' not in r[4]]
    events = build_history([('dmesg', records)])[0]
    [event] = [e for e in events if e['victim']['pid'] == 13648]
    assert (event['complete'], event['unit'], event['victim']['comm']) == (True, 'hrstorm-b.service', 'hog-b')
    [other] = [e for e in events if e['victim']['pid'] == 13641]
    assert other['unit'] is None


def _kern(msg, up):
    return (None, up, 'kernel', None, msg)


def test_an_old_kernels_suppressed_report_keeps_its_selection_for_the_sacrificed_child():
    # 3.x: the header (Task in) was suppressed; the selection names the parent, the kill its child
    records = [_kern('Memory cgroup out of memory: Kill process 100 (php-fpm) score 900 or sacrifice child', 5.0),
               _kern('Killed process 101 (php-fpm) total-vm:9000kB, anon-rss:5000kB, file-rss:0kB', 5.0)]
    [event] = build_history([('k', records)])[0]
    assert (event['victim']['pid'], event['scope'], event['unit']) == (101, 'memcg', None)
