# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Line splitting for every time-stamp prefix. Real lines come from tests/unit/fixtures/oom; lines marked
SYNTHETIC are built from the format's documentation where no real sample was at hand."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import calendar
import json
import os
import time

import pytest

from ansible_collections.headroom.memory.plugins.module_utils.oom.lines import (
    FUTURE_SKEW, local_epoch, split_json, split_kmsg, split_line, syslog_epoch, utc_epoch)

FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'fixtures', 'oom')
REF = time.mktime((2026, 11, 25, 23, 0, 0, 0, 0, -1))


pytestmark = pytest.mark.usefixtures('utc')  # conftest.py


def first_line(prefix, contains):
    for name in os.listdir(FIXTURES):
        if name.startswith(prefix):
            with open(os.path.join(FIXTURES, name), encoding='utf-8') as f:
                for line in f:
                    if contains in line:
                        return line
    raise AssertionError('no %r in %s' % (contains, prefix))


def epoch(y, mo, d, h, mi, s):
    return time.mktime((y, mo, d, h, mi, s, 0, 0, -1))


def test_raw_dmesg_uptime():
    wall, up, ident, pid, msg = split_line(first_line('101', 'invoked oom-killer'))
    assert (wall, up, ident, pid) == (None, 160.084212, None, None)
    assert msg.startswith('python3 invoked oom-killer: gfp_mask=0xcc0')


def test_dmesg_r_priority_prefix():
    wall, up, ident, _pid, msg = split_line(first_line('204', 'Killed process'))
    assert (wall, up, ident) == (None, 7144.224173, None)
    assert msg.startswith('Memory cgroup out of memory: Killed process 14811 (my hog (x))')


def test_dmesg_T_local_time():
    wall, up, _ident, _pid, msg = split_line(first_line('202', 'invoked oom-killer'))
    assert wall == epoch(2026, 11, 25, 22, 10, 8) and up is None
    assert msg.startswith('my hog (x) invoked oom-killer')


def test_dmesg_time_format_iso():
    wall, up, _ident, _pid, msg = split_line(first_line('203', 'Killed process'))
    assert wall == pytest.approx(epoch(2026, 11, 25, 22, 10, 8) + 0.224173)
    assert up is None
    assert msg.startswith('Memory cgroup out of memory: Killed process 14811')


def test_kmsg_record_and_saved_kmsg_line():
    line = first_line('205', 'Killed process')
    up, msg = split_kmsg(line.encode())
    assert up == pytest.approx(7144.224173)
    assert msg.startswith('Memory cgroup out of memory: Killed process 14811 (my hog (x))')
    assert split_line(line)[1] == pytest.approx(7144.224173)
    # a record with device properties as continuation lines (SYNTHETIC, format of Documentation/ABI/testing/dev-kmsg)
    up, msg = split_kmsg(b'6,339,5140900,-;NET: Registered protocol family 10\n SUBSYSTEM=net\n DEVICE=+net:lo\n')
    assert (up, msg) == (5.1409, 'NET: Registered protocol family 10')
    assert split_kmsg(b'garbage without header') is None
    # the message may hold ';' (only the first one ends the header); usec is the third field, flags may be absent
    assert split_kmsg('6,340,2500000,-;a;b=c') == (2.5, 'a;b=c')
    assert split_kmsg('6,341,2500000;no flags field') == (2.5, 'no flags field')
    assert split_kmsg('6,342;too short') is None and split_kmsg('6,343,soon,-;x') is None


def test_syslog_with_printk_time_year_from_reference():
    wall, up, ident, pid, msg = split_line(first_line('002', 'Killed process'), REF)
    assert wall == epoch(2026, 4, 12, 10, 23, 59)
    assert up == 668192.383946 and ident == 'kernel' and pid is None
    assert msg.startswith('Killed process 62185, UID 48, (httpd)')


def test_syslog_year_rolls_back_for_december_lines_read_in_january():
    jan = epoch(2027, 1, 3, 12, 0, 0)
    assert syslog_epoch(12, 31, 23, 59, 0, jan) == epoch(2026, 12, 31, 23, 59, 0)
    assert syslog_epoch(1, 2, 12, 0, 0, jan) == epoch(2027, 1, 2, 12, 0, 0)
    assert syslog_epoch(2, 30, 12, 0, 0, jan) is None and syslog_epoch(13, 1, 12, 0, 0, jan) is None


def test_journal_short_and_dotted_hostname():
    wall, up, ident, _pid, msg = split_line(first_line('028', 'Killed process'), REF)
    assert wall == epoch(2026, 10, 22, 0, 27, 58) and up is None and ident == 'kernel'
    assert msg.startswith('Out of memory: Killed process 449360 (python)')


def test_journal_short_with_pid_ident():
    wall, _up, ident, pid, msg = split_line(first_line('039', 'systemd-oomd[840]'), REF)
    assert (ident, pid) == ('systemd-oomd', 840)
    assert wall == epoch(2025, 12, 18, 19, 34, 56)
    assert msg.startswith('Killed /user.slice/')


def test_journal_short_iso():
    wall, up, ident, _pid, msg = split_line(first_line('107', 'Killed process'))
    assert wall == epoch(2026, 11, 25, 19, 11, 5) and up is None and ident == 'kernel'
    assert msg.startswith('Memory cgroup out of memory: Killed process 5013')


def test_synthetic_rfc3339_rsyslog_and_short_iso_precise():
    # SYNTHETIC: rsyslog RSYSLOG_FileFormat and journalctl -o short-iso-precise
    wall, up, ident, _pid, msg = split_line(
        '2026-11-25T19:11:05.123456+01:00 web1 kernel: [  160.087502] Memory cgroup out of memory: Killed process 1 (a)')
    assert wall == pytest.approx(epoch(2026, 11, 25, 18, 11, 5) + 0.123456)
    assert (up, ident) == (160.087502, 'kernel')
    assert msg == 'Memory cgroup out of memory: Killed process 1 (a)'
    wall, _up, _ident, _pid, _msg = split_line('2026-11-25T19:11:05.5+0000 vm kernel: x')
    assert wall == pytest.approx(epoch(2026, 11, 25, 19, 11, 5) + 0.5)


def test_synthetic_short_precise_and_short_monotonic():
    # SYNTHETIC: journalctl -o short-precise / -o short-monotonic
    wall, _up, ident, _pid, msg = split_line('Nov 25 19:11:05.250000 vm kernel: Killed process 1 (a)', REF)
    assert wall == pytest.approx(epoch(2026, 11, 25, 19, 11, 5) + 0.25)
    assert ident == 'kernel' and msg == 'Killed process 1 (a)'
    wall, up, ident, pid, msg = split_line('[  160.087502] vm kernel: Killed process 1 (a)')
    assert (wall, up, ident, pid, msg) == (None, 160.087502, 'kernel', None, 'Killed process 1 (a)')
    _wall, up, ident, pid, msg = split_line('[ 3000.5] vm earlyoom[1308]: sending SIGTERM to process 5 uid 0 "x": '
                                            'oom_score 1, VmRSS 1 MiB')
    assert (up, ident, pid) == (3000.5, 'earlyoom', 1308)


def test_dmesg_line_that_looks_like_a_header_is_not_one():
    wall, up, ident, _pid, msg = split_line(first_line('101', 'veth0 (unregistering)'))
    assert (wall, ident) == (None, None)
    assert up == pytest.approx(223.177552)
    assert msg == 'veth0 (unregistering): left allmulticast mode'


def test_synthetic_printk_caller_ids():
    # SYNTHETIC: CONFIG_PRINTK_CALLER output of dmesg and of the console
    for line in ('[  160.084212] [    T71] java invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0',
                 '[  160.084212][    T71] java invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0',
                 '<4>[  160.084212] [  C3] java invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0'):
        _wall, up, _ident, _pid, msg = split_line(line)
        assert up == 160.084212
        assert msg.startswith('java invoked oom-killer'), line


def test_json_kernel_entry_uses_source_monotonic_time():
    line = first_line('111', 'Killed process 5013')
    records = split_json(line)
    assert len(records) == 1
    wall, up, ident, _pid, msg = records[0]
    entry = json.loads(line)
    assert ident == 'kernel'
    assert up == int(entry['_SOURCE_MONOTONIC_TIMESTAMP']) / 1e6
    expected = (int(entry['__REALTIME_TIMESTAMP']) - int(entry['__MONOTONIC_TIMESTAMP'])
                + int(entry['_SOURCE_MONOTONIC_TIMESTAMP'])) / 1e6
    assert wall == pytest.approx(expected)
    assert wall < int(entry['__REALTIME_TIMESTAMP']) / 1e6 - 40  # ingested 43 s after the event
    assert msg.startswith('Memory cgroup out of memory: Killed process 5013 (python3)')


def test_json_message_with_newline_is_split():
    records = split_json(first_line('111', 'Per memcg swappiness'))
    assert len(records) == 1  # the second line of MESSAGE is whitespace only
    assert records[0][4].startswith('Per memcg swappiness does not exist')


def test_synthetic_json_byte_array_message_and_userspace_ident():
    # SYNTHETIC: journald exports non-UTF-8 MESSAGE as an array of bytes
    msg = list(b'sending SIGTERM to process 7 uid 0 "b\xffd": oom_score 9, VmRSS 1 MiB\nsecond line')
    line = json.dumps({'MESSAGE': msg, 'SYSLOG_IDENTIFIER': 'earlyoom', '_PID': '55', '_COMM': 'earlyoom', '_UID': '61200',
                       '_SYSTEMD_UNIT': 'earlyoom.service', '_TRANSPORT': 'stdout',
                       '__REALTIME_TIMESTAMP': '1795633865725584', '__MONOTONIC_TIMESTAMP': '203877829'})
    records = split_json(line)
    assert [r[4] for r in records] == ['sending SIGTERM to process 7 uid 0 "b\ufffdd": oom_score 9, VmRSS 1 MiB',
                                       'second line']
    assert records[0][:4] == (1795633865.725584, None, 'earlyoom', 55)


def test_json_not_an_entry():
    assert split_json('not json') == []
    assert split_json('[1, 2]') == []
    assert split_json('{"MESSAGE": null}') == []


def test_unknown_text_is_a_bare_message():
    assert split_line('mem avail:  759 of 5875 MiB (12 %)\n') == (None, None, None, None,
                                                                  'mem avail:  759 of 5875 MiB (12 %)')


def test_kmsg_bytes_that_are_not_utf8_are_replaced_not_fatal():
    assert split_kmsg(b'6,344,1000000,-;bad \xff byte') == (1.0, u'bad \ufffd byte')


def test_a_line_loses_only_its_line_end():
    assert split_line('<6>[    1.000000] ends with X \r\n')[4] == 'ends with X '
    assert split_line('<6>[    1.000000] ends with X\n')[4] == 'ends with X'


@pytest.mark.parametrize('tz, offset', [('Z', 0), (None, 0), ('+0100', 3600), ('-05:30', -19800), ('+05:45', 20700)])
def test_utc_offsets_east_are_subtracted(tz, offset):
    assert utc_epoch(2026, 11, 25, 12, 0, 0, tz) == calendar.timegm((2026, 11, 25, 12, 0, 0, 0, 0, 0)) - offset


def test_a_lowercase_z_is_not_an_offset():
    assert utc_epoch(2026, 11, 25, 12, 0, 0, 'z') is None


@pytest.mark.parametrize('fields', [(13, 1, 0, 0, 0), (0, 1, 0, 0, 0), (1, 32, 0, 0, 0), (1, 0, 0, 0, 0),
                                    (1, 1, 24, 0, 0), (1, 1, 0, 60, 0), (1, 1, 0, 0, 62)])
def test_impossible_local_times_are_none(fields):
    assert local_epoch(2026, *fields) is None


def test_a_leap_second_is_a_local_time():
    assert local_epoch(2026, 12, 31, 23, 59, 61) == epoch(2027, 1, 1, 0, 0, 1)


def test_a_syslog_time_exactly_at_the_skew_is_this_year():
    ref = epoch(2026, 11, 30, 12, 0, 0)
    assert FUTURE_SKEW == 600
    assert syslog_epoch(11, 30, 12, 10, 0, ref) == ref + FUTURE_SKEW
    assert syslog_epoch(11, 30, 12, 10, 1, ref) == epoch(2025, 11, 30, 12, 10, 1)


def test_journal_entry_of_a_program_takes_its_own_time_and_the_comm_and_syslog_pid():
    entry = {'MESSAGE': 'low memory', '_COMM': 'earlyoom', 'SYSLOG_PID': '12', '__REALTIME_TIMESTAMP': '9000000',
             '_UID': '0', '_SYSTEMD_UNIT': 'earlyoom.service',
             '__MONOTONIC_TIMESTAMP': '100', '_SOURCE_REALTIME_TIMESTAMP': '1500000', '_SOURCE_MONOTONIC_TIMESTAMP': '5'}
    assert split_json(json.dumps(entry)) == [(1.5, None, 'earlyoom', 12, 'low memory')]
    del entry['_SOURCE_REALTIME_TIMESTAMP']
    assert split_json(json.dumps(entry))[0][0] == 9.0  # ingestion time when the source time is missing


def test_journal_kernel_transport_makes_a_kernel_entry_with_the_printk_uptime():
    entry = {'MESSAGE': '[   12.500000] Out of memory', '_TRANSPORT': 'kernel', 'SYSLOG_IDENTIFIER': 'other',
             '__REALTIME_TIMESTAMP': '9000000'}
    assert split_json(json.dumps(entry)) == [(9.0, 12.5, 'kernel', None, 'Out of memory')]
    # the journal's own printk time wins over the prefix; without __MONOTONIC_TIMESTAMP no boot offset
    entry['_SOURCE_MONOTONIC_TIMESTAMP'] = '5000000'
    assert split_json(json.dumps(entry)) == [(9.0, 5.0, 'kernel', None, 'Out of memory')]


@pytest.mark.parametrize('line, wall', [
    ('Nov 25 22:10:08.250000 host kernel: x', epoch(2026, 11, 25, 22, 10, 8) + 0.25),              # short-precise
    ('2026-11-25T22:10:08.500000 host kernel: x', epoch(2026, 11, 25, 22, 10, 8) + 0.5),           # no offset: local
    ('2026-11-25T22:10:08,220898+01:00 x', calendar.timegm((2026, 11, 25, 21, 10, 8, 0, 0, 0)) + 0.220898),  # dmesg iso
])
def test_fractions_and_offsets_reach_the_wall_time(line, wall):
    assert split_line(line, REF)[0] == pytest.approx(wall, abs=1e-6)


def test_a_kmsg_copy_line_gives_the_uptime_in_seconds():
    assert split_line('4,345,7144220898,-;msg') == (None, 7144.220898, None, None, 'msg')
