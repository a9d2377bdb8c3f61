# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The marker pre-filter at its edges (issue #10: a mutation run found them unpinned): a marker at the very
start of a block or line, the K/k before "ill", each phrase, exactly CONTEXT lines of context, a summary
line that is whole (no context owed), the carry of a partial line across blocks and its MAX_LINE cut."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import io

import pytest

from ansible_collections.headroom.memory.plugins.module_utils.oom import scan as oom_scan
from ansible_collections.headroom.memory.plugins.module_utils.oom.scan import CONTEXT, PHRASES, iter_marked_lines, marked


def kept(data, chunk=1 << 20):
    return list(iter_marked_lines(io.BytesIO(data), chunk=chunk))


def test_the_constants():
    assert (oom_scan.CHUNK, oom_scan.MAX_LINE, CONTEXT) == (1 << 20, 1 << 16, 3)
    assert oom_scan.GREP_PATTERN == '[Kk]ill|sending SIG|oom_reaper: reaped'


@pytest.mark.parametrize('line', [
    'x invoked oom-killer: gfp_mask=0x0', 'oom-kill:constraint=CONSTRAINT_NONE,task=a,pid=1,uid=0',
    'Out of memory: Kill process 1 (a) score 1 or sacrifice child', 'Memory cgroup out of memory: kill process 1 (a)',
    'Killed process 1 (a) total-vm:1kB', 'Killing process 5874 bash', 'killing process 1 "a" with signal 15',
    'Task in /a killed as a result of limit of /a', 'Killed /a.scope due to memory pressure',
    'Marked /a.scope for killing due to memory used', 'a.service: A process of this unit has been killed by the OOM killer.',
    "a.service: Failed with result 'oom-kill'.", 'a.scope: systemd-oomd killed 3 process(es) in this unit.',
    'sending SIGTERM to process 1 "a": badness 1',
])
@pytest.mark.parametrize('chunk', [4, 1 << 20])
def test_every_report_phrase_is_kept_alone_first_and_after_noise(line, chunk):
    data = line.encode()
    assert kept(data, chunk) == [data]
    assert kept(data + b'\n', chunk) == [data]
    assert kept(b'noise\n' + data + b'\n', chunk) == [data]
    assert marked(line)


@pytest.mark.parametrize('line', [
    'ill process 1', 'xill process 1', 'Kill /a.scope', 'skill: killall', 'killed as a result', 'Killed process',
    'will kill everything', 'kill -9 1', 'Killing', 'sending SIGNAL',
])
def test_lines_near_a_phrase_are_dropped(line):
    expect = [line.encode()] if marked(line) else []
    assert kept(line.encode()) == expect
    assert kept(b'x\n' + line.encode() + b'\n') == expect


def test_ill_at_the_start_of_the_data_is_not_a_kill():
    assert kept(b'illed process 1 (a)\n') == []
    assert kept(b'x\nilled process 1 (a)\n') == []


def test_head_phrases_need_their_five_bytes_before_kill():
    assert kept(b'OOM killer\n') == [b'OOM killer']
    assert kept(b'OM killer\n') == []
    assert kept(b'for killing\n') == [b'for killing']
    assert kept(b'or killing\n') == []


def test_a_summary_that_ends_with_its_uid_owes_no_context_a_cut_one_does():
    whole = b'oom-kill:constraint=CONSTRAINT_NONE,cpuset=/,task=a,pid=1,uid=0  '
    cut = b'oom-kill:constraint=CONSTRAINT_NONE,cpuset=/,mems_allowed=0'
    tail = b'\n,task=a,pid=1,uid=0\nnoise 2\nnoise 3\nnoise 4\n'
    assert kept(whole + tail) == [whole.rstrip(b' ') + b'  ']
    assert kept(cut + tail) == [cut, b',task=a,pid=1,uid=0', b'noise 2', b'noise 3']


@pytest.mark.parametrize('chunk', [3, 50, 1 << 20])
def test_exactly_context_lines_follow_a_head(chunk):
    head = b'x invoked oom-killer: gfp_mask=0x0'
    data = head + b'\n' + b''.join(b'line %d\n' % i for i in range(1, 6))
    assert kept(data, chunk) == [head, b'line 1', b'line 2', b'line 3']


@pytest.mark.parametrize('chunk', [3, 50, 1 << 20])
def test_a_head_inside_the_context_restarts_it(chunk):
    head = b'x invoked oom-killer: gfp_mask=0x0'
    data = head + b'\nline 1\n' + head + b'\n' + b''.join(b'line %d\n' % i for i in range(2, 7))
    assert kept(data, chunk) == [head, b'line 1', head, b'line 2', b'line 3', b'line 4']


@pytest.mark.parametrize('chunk', [5, 17, 64])
def test_marker_lines_split_across_blocks_are_whole(chunk):
    lines = [b'noise %d' % i for i in range(10)]
    lines[3] = b'[ 1.0] Out of memory: Killed process 7 (a b) total-vm:10kB'
    lines[7] = b'sending SIGKILL to process 9 "z": badness 1'
    assert kept(b'\n'.join(lines) + b'\n', chunk) == [lines[3], lines[7]]
    assert kept(b'\n'.join(lines), chunk) == [lines[3], lines[7]]


def test_two_markers_on_one_line_keep_it_once():
    line = b'Killed process 1 (a) then sending SIGTERM and Killed process 2 (b)'
    assert kept(line + b'\n' + line) == [line, line]


def test_a_partial_line_is_carried_and_cut_at_max_line(monkeypatch):
    monkeypatch.setattr(oom_scan, 'MAX_LINE', 40)
    long = b'Killed process 1 (a) ' + b'y' * 200
    assert len(long) == 221
    # blocks of 8: the carry stops growing at 40 bytes; the block holding the newline adds its 5 bytes before it
    assert kept(long + b'\nKilled process 2 (b)\n', chunk=8) == [long[:40] + long[216:], b'Killed process 2 (b)']
    # a block with no newline at all is carried whole up to MAX_LINE
    got = kept(b'Killed process 3 (c) ' + b'z' * 100, chunk=1000)
    assert got == [(b'Killed process 3 (c) ' + b'z' * 100)[:40]]


def test_phrases_are_the_scan_markers():
    assert 'Killed process' in PHRASES and 'sending SIG' in PHRASES and 'OOM killer' in PHRASES
    assert not marked('nothing here') and marked('x oom-kill y')


@pytest.mark.parametrize('line', [
    b'killed /system.slice/x.service', b'Killed as a result of limit', b'a for kill switch', b'the OOM kill',
    b'systemd-oomd kill list',
])
def test_a_marker_hit_without_its_phrase_is_dropped(line):
    # the byte scan flags K/k + "ill" + a tail (or a head + "ill"); the phrase test then decides, case and all
    assert kept(line + b'\n') == [] and kept(b'x\n' + line + b'\n') == []
    assert kept(line + b'\nKilled process 1 (a)\n') == [b'Killed process 1 (a)']


@pytest.mark.parametrize('line', [b'Killed process 1 (a)', b'earlyoom: sending SIGTERM to process 1'])
def test_a_marker_after_an_empty_first_line(line):
    assert kept(b'\n' + line + b'\n') == [line]


def test_every_sending_sig_line_of_a_block_is_kept():
    lines = [b'earlyoom: sending SIGTERM to process %d' % n for n in range(3)]
    assert kept(b'\n'.join(lines) + b'\n') == lines


@pytest.mark.parametrize('line', [b'earlyoom: sending SIGTERM to process 1', b'Killed process 1 (a)'])
def test_a_marker_first_in_a_block_after_a_carried_line(line):
    first = b'y' * 70 + b'\n'  # longer than the chunk: carried into the next block
    data = first + line + b'\n' + b'z' * 80 + b'\n'
    assert kept(data, chunk=64) == [line]


def test_an_empty_context_line_first_in_a_block():
    head = b'x invoked oom-killer: gfp_mask=0x0'
    data = head + b'\n' + b'\nKilled process 1 (a)\nnext\nlater\n'
    assert kept(data, chunk=len(head) + 1) == [head, b'', b'Killed process 1 (a)', b'next']


def test_a_block_starting_with_the_newline_of_a_long_carried_line():
    # the carried line is cut at MAX_LINE; the marker right after its newline is still read
    assert kept(b'a' * 70000 + b'\nKilled process 1 (a)\n', chunk=70000) == [b'Killed process 1 (a)']
