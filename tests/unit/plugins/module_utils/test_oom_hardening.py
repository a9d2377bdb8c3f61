# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 11: kills are never invented from text inside other messages, pathological lines cost linear time,
syslog years never lie in the future, and the recall misses (a known victim is complete, the kernel's
pr_cont-split summary, every earlyoom wording since 1.0) are read.

earlyoom lines are SYNTHETIC from the format strings of earlyoom's kill.c/main.c at the commits named
(github.com/rfjakob/earlyoom, read with git log -p); the colon-terminated time stamp prefix and the
no-uid wording are as quoted in earlyoom issues #205 and #131."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.headroom.memory.plugins.module_utils.oom.events import build_history
from ansible_collections.headroom.memory.plugins.module_utils.oom.kernel import parse_kernel, parse_killed
from ansible_collections.headroom.memory.plugins.module_utils.oom.lines import local_epoch, split_line, syslog_epoch
from ansible_collections.headroom.memory.plugins.module_utils.oom.userspace import parse_userspace

pytestmark = pytest.mark.usefixtures('utc')  # conftest.py

FAKE = 'Killed process 1 (systemd) total-vm:1kB, anon-rss:1kB, file-rss:0kB, shmem-rss:0kB'


def events_of(lines, ref=None):
    records = [split_line(line, ref) for line in lines]
    return build_history([('file:x', records)])[0]


# 1. invented kills -------------------------------------------------------------------------------------------

@pytest.mark.parametrize('line', [
    "[  100.1] process 'e' launched '/tmp/Killed process 1 (systemd) total-vm:1kB' with NULL argv: empty string added",
    '[  100.2] audit: type=1400 audit(1.2:3): apparmor="DENIED" name="/tmp/' + FAKE + '" pid=7 comm="sh"',
    'Nov 30 10:00:00 host kernel: [  9.1] EXT4-fs (sda1): mounted filesystem ' + FAKE,
    'Nov 30 10:00:00 host kernel: usb 1-1: Product: ' + FAKE,
    '2026-11-30T10:00:00+0000 host kernel: Out of memory: Kill process 1 (systemd) score 1 or sacrifice child '
    '-- x Memory cgroup out of memory: Kill process 1 (systemd) score 9 or sacrifice child',
    '[  100.3] bash[77]: segfault at 0 ip Out of memory: Kill process 1 (systemd) score 1 or sacrifice child',
])
def test_kill_text_inside_another_kernel_message_is_no_kill(line):
    assert events_of([line]) == []


def test_kill_text_inside_raw_earlyoom_output_stays_an_earlyoom_kill():
    line = 'sending SIGTERM to process 4242 uid 1000 "' + FAKE + '": oom_score 900, VmRSS 10 MiB, cmdline "x"'
    events = events_of([line])
    assert [(e['killer'], e['victim']['pid']) for e in events] == [('earlyoom', 4242)]


def test_genuine_kill_lines_at_line_start_still_parse():
    for msg in ('Killed process 5 (a b) total-vm:8kB, anon-rss:4kB, file-rss:0kB, shmem-rss:0kB',
                'Out of memory: Killed process 5 (a) total-vm:8kB, anon-rss:4kB, file-rss:0kB, shmem-rss:0kB, UID:0',
                'Memory cgroup out of memory: Killed process 5 (a) total-vm:8kB, anon-rss:4kB, file-rss:0kB',
                'Out of memory (oom_kill_allocating_task): Killed process 5 (a) total-vm:8kB, anon-rss:4kB'):
        assert parse_kernel(msg)[0] == 'killed', msg


_KERNEL_NOISE = st.sampled_from([
    "process 'e' launched '", 'audit: type=1400 audit(1.2:3): apparmor="DENIED" name="', 'usb 1-1: Product: ',
    'EXT4-fs (sda1): ', 'bash[7]: segfault at 0 ip ', 'x ', '', ' ', 'systemd[1]: ', 'veth0: renamed from "',
])
_KILL_TEXT = st.sampled_from([
    FAKE, 'Out of memory: ' + FAKE, 'Memory cgroup out of memory: ' + FAKE,
    'Out of memory: Kill process 1 (systemd) score 1 or sacrifice child',
    'Memory cgroup out of memory: Kill process 1 (x) score 5 or sacrifice child',
])
_PREFIX = st.sampled_from(['', '[  12.345678] ', '<3>[  12.3] ', 'Nov 29 10:00:00 host kernel: ',
                           'Nov 29 10:00:00 host kernel: [  12.3] ', '2026-11-29T10:00:00+0000 host kernel: ',
                           '4,345,7144220898,-;', '[  12.3] host kernel: '])


@settings(max_examples=400, deadline=None)
@given(_PREFIX, _KERNEL_NOISE, st.text(alphabet=st.characters(blacklist_categories=('Cs', 'Cc')), max_size=12),
       _KILL_TEXT, st.text(alphabet=st.characters(blacklist_categories=('Cs', 'Cc')), max_size=12))
def test_property_kill_text_embedded_in_non_oom_kernel_lines_gives_no_event(prefix, noise, before, kill, after):
    body = noise + before
    if not body.strip():
        body = 'x '  # the kill text must be inside another message, not the message itself
    assert events_of([prefix + body + kill + after], ref=time.time()) == []


# 2. pathological lines: linear time ------------------------------------------------------------------------------

def _cost(func, text):
    start = time.perf_counter()
    func(text)
    return time.perf_counter() - start


@pytest.mark.parametrize('unit', ['Killed process 1 ((((', 'Killed process 1 (', ') total-vm:',
                                  'Out of memory: Kill process 1 (x', 'oom-kill:task=', ',task=a,pid=1'])
def test_two_megabyte_pathological_line_costs_about_what_a_plain_line_of_that_length_costs(unit):
    size = 2 * 1024 * 1024
    line = (unit * (size // len(unit) + 1))[:size]
    baseline = unit + '.' * (size - len(unit))  # the same kind of line, with nothing to backtrack over
    assert parse_kernel(line) in (None, ) or parse_kernel(line)[0] in ('killed', 'select', 'constraint', 'cont')
    assert parse_killed(line) is None or parse_killed(line)['pid'] == 1
    slow = min(_cost(parse_kernel, line), _cost(parse_kernel, line))
    base = min(_cost(parse_kernel, baseline), _cost(parse_kernel, baseline))
    # quadratic behaviour on 2 MiB costs ~10^5 times a linear pass (18 s before the fix); allow generous noise
    assert slow < 20 * max(base, 0.02), (unit, slow, base)


def test_long_kill_line_output_is_still_right():
    comm = '((x) (y))' + ')' * 6  # 15 characters, as long as a comm gets
    fields = parse_killed('Killed process 7 (%s) total-vm:8kB, anon-rss:4kB, file-rss:0kB, shmem-rss:0kB' % comm)
    assert (fields['pid'], fields['comm'], fields['anon_rss_kb']) == (7, comm, 4)


# 3. syslog years ------------------------------------------------------------------------------------------------

def test_a_syslog_date_after_today_is_last_year():
    now = local_epoch(2026, 11, 30, 12, 0, 0)
    assert syslog_epoch(12, 1, 12, 0, 0, now) == local_epoch(2025, 12, 1, 12, 0, 0)
    wall = split_line('Dec  1 10:00:00 host kernel: x', now)[0]
    assert wall <= now + 86400


def test_a_syslog_time_later_today_is_last_year_beyond_the_skew():
    now = local_epoch(2026, 11, 30, 12, 0, 0)
    wall = split_line('Nov 30 23:59:00 host kernel: x', now)[0]
    assert wall < now
    assert split_line('Nov 30 12:04:00 host kernel: x', now)[0] == local_epoch(2026, 11, 30, 12, 4, 0)  # skew


def test_new_year_log_read_in_january():
    now = local_epoch(2027, 1, 2, 12, 0, 0)
    assert split_line('Dec 31 23:00:00 host kernel: x', now)[0] == local_epoch(2026, 12, 31, 23, 0, 0)


def test_feb_29_goes_to_the_last_leap_year_not_march():
    now = local_epoch(2026, 11, 30, 12, 0, 0)
    wall = split_line('Feb 29 10:00:00 host kernel: x', now)[0]
    assert time.localtime(wall)[:3] == (2024, 2, 29)
    now = local_epoch(2028, 3, 1, 12, 0, 0)
    assert time.localtime(split_line('Feb 29 10:00:00 host kernel: x', now)[0])[:3] == (2028, 2, 29)


def test_since_window_does_not_count_a_future_dated_kill():
    now = local_epoch(2026, 11, 30, 12, 0, 0)
    line = 'Dec  1 10:00:00 host kernel: Killed process 5 (a) total-vm:8kB, anon-rss:4kB, file-rss:0kB'
    records = [split_line(line, now)]
    events = build_history([('f', records)], since=now - 3600)[0]
    assert events == []


# recall: a known victim is complete -------------------------------------------------------------------------------

SUMMARY = ('oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/oomtest,'
           'task_memcg=/oomtest,task=python3,pid=5013,uid=0')


def test_summary_without_killed_line_is_complete_with_missing_sizes_null():
    events = events_of(['[  10.0] python3 invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0',
                        '[  10.1] ' + SUMMARY])
    assert len(events) == 1
    e = events[0]
    assert e['complete'] is True
    assert (e['victim']['pid'], e['victim']['comm'], e['victim']['uid']) == (5013, 'python3', 0)
    assert e['victim']['anon_rss_kb'] is None and e['victim']['total_vm_kb'] is None


@pytest.mark.parametrize('cut', [
    ('oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/oomtest,'
     'task_memcg=/oomtest', ',task=python3,pid=5013,uid=0'),
    ('oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=',
     '/oomtest,task_memcg=/oomtest,task=python3,pid=5013,uid=0'),
    ('oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/oomtest,task_memcg=',
     '/oomtest', ',task=python3,pid=5013,uid=0'),
])
def test_pr_cont_split_summary_is_joined_and_complete(cut):
    lines = ['[  10.0] python3 invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0']
    lines += ['[  10.1] ' + piece for piece in cut]
    events = events_of(lines)
    assert len(events) == 1
    e = events[0]
    assert (e['complete'], e['oom_memcg'], e['task_memcg']) == (True, '/oomtest', '/oomtest')
    assert (e['victim']['pid'], e['victim']['comm']) == (5013, 'python3')


def test_report_cut_before_the_victim_is_still_incomplete():
    events = events_of(['[  10.0] python3 invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0'])
    assert [e['complete'] for e in events] == [False]


# recall: earlyoom, every wording from 1.0 to today ----------------------------------------------------------------

@pytest.mark.parametrize('msg, pid, comm, uid, signal', [
    # v1.0 (58b66a3^): fprintf(stderr, "Killing process %d %s\n", victim_pid, victim_name)
    ('Killing process 5874 bash', 5874, 'bash', None, None),
    # v1.1 (58b66a3): "Killing process: %s, pid: %d, badness: %d, VmRSS: %lu MiB"
    ('Killing process: Web Content, pid: 5874, badness: 538, VmRSS: 3160 MiB', 5874, 'Web Content', None, None),
    # v1.2 (bcd1ad4): "Killing process '%s' with signal %d, pid: %d, badness: %d, VmRSS: %lu MiB"
    ("Killing process 'bash' with signal 15, pid: 5874, badness: 538, VmRSS: 3160 MiB", 5874, 'bash', None, 'SIGTERM'),
    # 4c68c6a (v1.3-rc1): "killing process %d \"%s\" with signal %d: badness %d, VmRSS %lu MiB"
    ('killing process 27541 "bash" with signal 15: badness 550, VmRSS 7609 MiB', 27541, 'bash', None, 'SIGTERM'),
    # v1.3 (8c6fdb1): "sending %s to process %d \"%s\": badness %d, VmRSS %lu MiB"
    ('sending SIGTERM to process 12006 "python3": badness 209, VmRSS 2891 MiB', 12006, 'python3', None, 'SIGTERM'),
    # v1.4 (522fdd1): with uid
    ('sending SIGKILL to process 696 uid 1001 "ipfs": badness 757, VmRSS 637 MiB', 696, 'ipfs', 1001, 'SIGKILL'),
    # v1.8 (5c452f9, 7534065): oom_score, cmdline
    ('sending SIGTERM to process 7378 uid 1000 "tail": oom_score 156, VmRSS 4962 MiB, cmdline "tail -f /x"',
     7378, 'tail', 1000, 'SIGTERM'),
    # cbf0bb2 (2025): oom_score_adj
    ('sending SIGTERM to process 7 uid 0 "a b": oom_score 5, oom_score_adj 100, VmRSS 1 MiB, cmdline "a"',
     7, 'a b', 0, 'SIGTERM'),
])
def test_every_earlyoom_kill_wording(msg, pid, comm, uid, signal):
    kind, fields = parse_userspace(None, msg)
    assert kind == 'earlyoom'
    assert (fields['pid'], fields['comm'], fields['uid']) == (pid, comm, uid)
    if signal:
        assert fields['signal'] == signal
    assert parse_userspace('earlyoom', msg)[1] == fields


def test_earlyoom_stdout_with_colon_terminated_time_stamps_and_escalation_is_one_kill():
    # earlyoom issue #205: a wrapper's "Jun 12 06:39:16: " prefix; kill_wait escalates to SIGKILL (95a6bdb)
    ref = local_epoch(2026, 6, 20, 0, 0, 0)
    lines = ['Jun 12 06:39:16: low memory! at or below SIGTERM limits: mem 10.00%, swap 15.00%',
             'Jun 12 06:39:16: sending SIGTERM to process 696 uid 1001 "ipfs": badness 757, VmRSS 637 MiB',
             'Jun 12 06:39:26: escalating to SIGKILL after 10.0 seconds',
             'Jun 12 06:39:26: sending SIGKILL to process 696 uid 1001 "ipfs": badness 799, VmRSS 656 MiB',
             'Jun 12 06:39:27: process 696 exited after 10.300 seconds']
    events = events_of(lines, ref)
    assert [(e['killer'], e['victim']['pid'], e['victim']['uid']) for e in events] == [('earlyoom', 696, 1001)]
    assert events[0]['time'] == '2026-06-12T06:39:16Z'
    iso = ['2026-06-12 06:39:16: sending SIGTERM to process 696 "ipfs": badness 757, VmRSS 637 MiB',
           '2026-06-12T08:39:18.5+02:00: sending SIGKILL to process 696 "ipfs": badness 757, VmRSS 637 MiB']
    events = events_of(iso, ref)
    assert [(e['killer'], e['victim']['pid']) for e in events] == [('earlyoom', 696)]


def test_earlyoom_colour_codes_on_a_terminal_copy():
    # msg.c color_log: "\033[31m" ... "\033[0m" around warn() when stderr is a tty
    lines = ['\x1b[31msending SIGTERM to process 9 uid 0 "x": oom_score 1, VmRSS 1 MiB, cmdline "x"',
             '\x1b[0m\x1b[31mprocess 9 exited after 0.100 seconds', '\x1b[0mmem avail: 1 of 2 MiB (50.00%)']
    events = events_of(lines)
    assert [(e['killer'], e['victim']['pid']) for e in events] == [('earlyoom', 9)]


# sources: special files, budgets, truncated compressed files ------------------------------------------------

KILL_LINE = ('[  10.0] Out of memory: Killed process %d (hog) total-vm:8kB, anon-rss:4kB, file-rss:0kB, '
             'shmem-rss:0kB, UID:0 pgtables:4kB oom_score_adj:0\n')


def _read(path, **kw):
    from ansible_collections.headroom.memory.plugins.module_utils.oom.sources import read_log_file
    return read_log_file(str(path), **kw)


def test_a_fifo_is_refused_without_blocking(tmp_path):
    import os
    fifo = tmp_path / 'pipe'
    os.mkfifo(str(fifo))  # open() of a FIFO with no writer blocks forever without O_NONBLOCK
    state, records = _read(fifo)
    assert (state['status'], records) == ('error', [])
    assert 'not a regular file' in state['msg'] and str(fifo) in state['msg']


def test_dev_zero_is_refused():
    state, records = _read('/dev/zero')
    assert (state['status'], records) == ('error', [])
    assert 'not a regular file' in state['msg']


def test_a_symlink_to_a_device_is_refused(tmp_path):
    link = tmp_path / 'kern.log'
    link.symlink_to('/dev/zero')
    assert _read(link)[0]['status'] == 'error'


def test_size_budget_stops_a_huge_file_and_keeps_what_was_read(tmp_path):
    path = tmp_path / 'big.log'
    with open(str(path), 'w') as f:
        for pid in range(1, 2001):
            f.write(KILL_LINE % pid)
            f.write('x' * 2000 + '\n')
    state, records = _read(path, max_bytes=1 << 20)
    assert state['status'] == 'error' and 'budget' in state['msg']
    assert 0 < len(records) < 2000


def test_time_budget(tmp_path, monkeypatch):
    from ansible_collections.headroom.memory.plugins.module_utils.oom import sources as oom_sources
    path = tmp_path / 'k.log'
    path.write_text(''.join(KILL_LINE % pid for pid in range(1, 50)) * 200)
    clock = iter(range(0, 10 ** 6, 100))
    monkeypatch.setattr(oom_sources, '_monotonic', lambda: next(clock))
    state, _unused = _read(path, max_seconds=50, chunk=4096)
    assert state['status'] == 'error' and 'budget' in state['msg']


@pytest.mark.parametrize('compress', ['gzip', 'bz2', 'lzma'])
def test_truncated_small_compressed_file_yields_its_readable_kills(tmp_path, compress):
    import bz2
    import gzip
    import lzma
    mod = {'gzip': gzip, 'bz2': bz2, 'lzma': lzma}[compress]
    raw = ''.join(KILL_LINE % pid for pid in range(1, 5000)).encode()
    # bzip2 decodes whole blocks only: small blocks (100 kB) so that whole ones precede the cut
    data = mod.compress(raw, 1) if compress == 'bz2' else mod.compress(raw)
    path = tmp_path / 'kern.log.1'
    path.write_bytes(data[:len(data) * 3 // 4])
    state, records = _read(path)
    assert state['status'] == 'error' and 'truncated' in state['msg']
    pids = [int(r[4].split()[5]) for r in records]
    assert len(pids) > 50 and pids == list(range(1, len(pids) + 1))
