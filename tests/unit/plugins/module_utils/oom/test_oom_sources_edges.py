# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading the sources, at the edges a mutation run found unpinned (issue #10): each errno's status, every
journalctl/dmesg exit the readers tell apart, /dev/kmsg's EAGAIN/EPIPE/EINVAL, the byte and time budgets at
equality, concatenated compressed members, and the user's file patterns. Commands are answered by a fake
``run_command`` (the real programs' output is in test_oom_sources.py); /dev/kmsg reads are scripted."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import bz2
import errno
import gzip
import itertools
import os
import time

import pytest

from ansible_collections.headroom.memory.plugins.module_utils.oom import sources as oom_sources
from ansible_collections.headroom.memory.plugins.module_utils.oom.sources import (
    JOURNAL_MATCHES, _Budget, expand_files, journal_args, read_dmesg, read_journal, read_kmsg, read_log_file,
    syslog_files)

REAL_VISIBLE = oom_sources.system_journal_visible  # before the fixture below stands in for it
REAL_OPEN, REAL_READ = os.open, os.read
KILL = ('Out of memory: Killed process %d (hog) total-vm:10kB, anon-rss:5kB, file-rss:1kB, shmem-rss:0kB, UID:0 '
        'pgtables:4kB oom_score_adj:0')


class Run(object):
    """Answers every command with the next (rc, out, err); records the arguments."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls = []

    def __call__(self, args, environ_update=None):
        self.calls.append((list(args), dict(environ_update or {})))
        return self.answers.pop(0)


@pytest.fixture(autouse=True)
def found(utc, monkeypatch):  # pylint: disable=unused-argument
    monkeypatch.setattr(oom_sources, 'which', lambda prog: '/usr/bin/' + prog)
    monkeypatch.setattr(oom_sources, 'system_journal_visible', lambda: True)


# --- /dev/kmsg ----------------------------------------------------------------------------------------------

def scripted_kmsg(monkeypatch, reads):
    """os.open gives a real descriptor (/dev/null); os.read on it returns or raises ``reads`` in turn."""
    fds = []
    script = list(reads)

    def fake_open(path, flags):
        assert flags & os.O_NONBLOCK
        fds.append(REAL_OPEN('/dev/null', os.O_RDONLY))
        return fds[-1]

    def fake_read(fd, n):
        if fd not in fds:
            return REAL_READ(fd, n)
        item = script.pop(0) if script else OSError(errno.EAGAIN, 'again')
        if isinstance(item, OSError):
            raise item
        return item
    monkeypatch.setattr(oom_sources.os, 'open', fake_open)
    monkeypatch.setattr(oom_sources.os, 'read', fake_read)


def rec(seq, usec, msg):
    return ('6,%d,%d,-;%s\n SUBSYSTEM=x\n' % (seq, usec, msg)).encode()


def test_kmsg_goes_on_over_overwritten_and_invalid_records_and_stops_at_eagain(monkeypatch):
    scripted_kmsg(monkeypatch, [rec(1, 1500000, KILL % 1), OSError(errno.EPIPE, 'pipe'), OSError(errno.EINVAL, 'inval'),
                                b'no separator', rec(2, 2000000, KILL % 2), OSError(errno.EAGAIN, 'again'),
                                rec(3, 3000000, KILL % 3)])
    state, records = read_kmsg('/dev/kmsg', boot_time=1000.0)
    assert state == {'name': 'kmsg', 'status': 'read', 'lines': 2, 'msg': ''}
    assert records == [(1001.5, 1.5, 'kernel', None, KILL % 1), (1002.0, 2.0, 'kernel', None, KILL % 2)]


def test_kmsg_without_a_boot_time_has_no_wall_time_and_an_empty_read_ends(monkeypatch):
    scripted_kmsg(monkeypatch, [rec(1, 5, 'x'), b'', rec(2, 6, 'y')])
    state, records = read_kmsg('/dev/kmsg', name='ring')
    assert state['name'] == 'ring' and records == [(None, 5e-06, 'kernel', None, 'x')]


def test_kmsg_read_error_keeps_the_records_before_it(monkeypatch):
    scripted_kmsg(monkeypatch, [rec(1, 5, 'x'), OSError(errno.EIO, 'Input/output error'), rec(2, 6, 'y')])
    state, records = read_kmsg('/dev/kmsg')
    assert state == {'name': 'kmsg', 'status': 'error', 'lines': 1, 'msg': '/dev/kmsg: Input/output error'}
    assert len(records) == 1
    scripted_kmsg(monkeypatch, [OSError(errno.EPERM, 'Operation not permitted')])
    assert read_kmsg('/dev/kmsg')[0]['status'] == 'denied'


def test_kmsg_stops_after_its_record_budget(monkeypatch):
    monkeypatch.setattr(oom_sources, 'KMSG_MAX_RECORDS', 3)
    scripted_kmsg(monkeypatch, [rec(i, i, 'r%d' % i) for i in range(10)])
    assert read_kmsg('/dev/kmsg')[0]['lines'] == 3
    assert oom_sources.KMSG_MAX_RECORDS == 3 and oom_sources.COMMAND_TIMEOUT == 60


@pytest.mark.parametrize('code, state', [
    (errno.ENOENT, 'absent'), (errno.ENXIO, 'absent'), (errno.ENODEV, 'absent'), (errno.ENOTDIR, 'absent'),
    (errno.EACCES, 'denied'), (errno.EPERM, 'denied'), (errno.EIO, 'error'), (errno.EBUSY, 'error'),
])
def test_each_open_errno_has_its_status(monkeypatch, code, state):
    def fail(path, flags):
        raise OSError(code, os.strerror(code))
    monkeypatch.setattr(oom_sources.os, 'open', fail)
    got, records = read_kmsg('/dev/kmsg')
    assert got == {'name': 'kmsg', 'status': state, 'lines': 0, 'msg': '/dev/kmsg: %s' % os.strerror(code)}
    assert records == []


# --- dmesg --------------------------------------------------------------------------------------------------

def test_dmesg_runs_under_timeout_in_the_c_locale_and_adds_the_boot_time():
    run = Run((0, '[  10.5] ' + KILL % 1 + '\n[Wed Nov 25 22:10:08 2026] ' + KILL % 2 + '\n', ''))
    state, records = read_dmesg(run, boot_time=1000.0, timeout=7.9)
    assert run.calls == [(['/usr/bin/timeout', '7', '/usr/bin/dmesg'], {'LANG': 'C', 'LC_ALL': 'C', 'LC_MESSAGES': 'C'})]
    assert state == {'name': 'dmesg', 'status': 'read', 'lines': 2, 'msg': ''}
    assert records[0] == (1010.5, 10.5, 'kernel', None, KILL % 1)
    assert records[1][0] == time.mktime((2026, 11, 25, 22, 10, 8, 0, 0, -1)) and records[1][1] is None
    assert read_dmesg(Run((0, '[  10.5] x\n', '')))[1] == [(None, 10.5, 'kernel', None, 'x')]


def test_dmesg_without_timeout_runs_alone(monkeypatch):
    monkeypatch.setattr(oom_sources, 'which', lambda prog: None if prog == 'timeout' else '/bin/' + prog)
    run = Run((0, '', ''))
    assert read_dmesg(run, name='d') == ({'name': 'd', 'status': 'read', 'lines': 0, 'msg': ''}, [])
    assert run.calls[0][0] == ['/bin/dmesg']


@pytest.mark.parametrize('answer, state, msg', [
    ((1, '', 'dmesg: read kernel buffer failed: Operation not permitted\nmore'), 'denied',
     'dmesg: read kernel buffer failed: Operation not permitted'),
    ((1, '', 'dmesg: Permission denied'), 'denied', 'dmesg: Permission denied'),
    ((3, '', ''), 'error', 'rc=3'),
    ((2, '', '  \n'), 'error', 'rc=2'),
    ((124, '', ''), 'error', 'dmesg timed out after 60s'),
    ((1, '', 'dmesg: klogctl failed: Invalid argument'), 'error', 'dmesg: klogctl failed: Invalid argument'),
])
def test_dmesg_failures(answer, state, msg):
    assert read_dmesg(Run(answer)) == ({'name': 'dmesg', 'status': state, 'lines': 0, 'msg': msg}, [])


def test_dmesg_not_installed(monkeypatch):
    monkeypatch.setattr(oom_sources, 'which', lambda prog: None)
    run = Run()
    assert read_dmesg(run) == ({'name': 'dmesg', 'status': 'absent', 'lines': 0, 'msg': 'dmesg not found'}, [])
    assert read_journal(run) == ({'name': 'journal', 'status': 'absent', 'lines': 0, 'msg': 'journalctl not found'}, [])
    assert run.calls == []


# --- journalctl ---------------------------------------------------------------------------------------------

def test_journal_args_without_since_or_grep():
    assert journal_args('/j') == ['/j', '-o', 'json', '--no-pager', '-q', '--grep', oom_sources.JOURNAL_GREP] + list(
        JOURNAL_MATCHES)
    assert journal_args('/j', grep=False) == ['/j', '-o', 'json', '--no-pager', '-q'] + list(JOURNAL_MATCHES)
    assert JOURNAL_MATCHES[0] == '_TRANSPORT=kernel' and JOURNAL_MATCHES.count('+') == 3


def entry(msg, ident='kernel'):
    return '{"MESSAGE": "%s", "SYSLOG_IDENTIFIER": "%s", "_TRANSPORT": "kernel", "__REALTIME_TIMESTAMP": "1"}' % (
        msg, ident)


@pytest.mark.parametrize('err', ['Invalid --grep pattern', 'PCRE2 support missing', 'journalctl: unrecognized option',
                                 'Compiled without PATTERN matching'])
def test_journal_falls_back_when_grep_is_not_supported(err):
    run = Run((1, '', err), (0, entry(KILL % 1) + '\n', ''))
    state, records = read_journal(run)
    assert '--grep' in run.calls[0][0] and '--grep' not in run.calls[1][0]
    assert (state['status'], state['lines'], len(records)) == ('read', 1, 1)


def test_journal_does_not_retry_on_another_error_or_a_timeout():
    run = Run((1, '', 'Failed to open journal: Permission denied'))
    assert read_journal(run) == ({'name': 'journal', 'status': 'denied', 'lines': 0,
                                  'msg': 'Failed to open journal: Permission denied'}, [])
    assert len(run.calls) == 1
    run = Run((124, '', 'grep'))
    assert read_journal(run, timeout=9) == ({'name': 'journal', 'status': 'error', 'lines': 0,
                                             'msg': 'journalctl timed out after 9s'}, [])
    assert len(run.calls) == 1 and run.calls[0][0][:2] == ['/usr/bin/timeout', '9']


@pytest.mark.parametrize('answer, state, msg', [
    ((1, '', 'Operation not permitted'), 'denied', 'Operation not permitted'),
    ((1, '', 'something else'), 'error', 'something else'),
    ((1, entry(KILL % 1) + '\n', ''), 'error', 'journalctl rc=1'),
    ((2, '', ''), 'error', 'journalctl rc=2'),
    ((0, 'No journal files were found.\n', ''), 'absent', 'no journal files'),
])
def test_journal_failures(answer, state, msg):
    assert read_journal(Run(answer)) == ({'name': 'journal', 'status': state, 'lines': 0, 'msg': msg}, [])


def test_journal_timed_out_on_the_fallback():
    run = Run((1, '', 'pcre'), (124, '', ''))
    assert read_journal(run)[0]['msg'] == 'journalctl timed out after 60s'


def test_journal_without_grep_exit_1_is_an_error():
    run = Run((1, '', 'grep unsupported'), (1, '', ''))
    assert read_journal(run)[0] == {'name': 'journal', 'status': 'error', 'lines': 0, 'msg': 'journalctl rc=1'}


def test_journal_warnings_are_kept_only_when_nothing_was_read():
    assert read_journal(Run((0, '', 'Warning: some journal files were not opened')))[0] == {
        'name': 'journal', 'status': 'read', 'lines': 0, 'msg': 'Warning: some journal files were not opened'}
    assert read_journal(Run((0, entry(KILL % 1), 'Warning: x')))[0]['msg'] == ''


def test_journal_reads_only_json_lines_and_filters_here_without_grep():
    out = '\n'.join(['-- No entries --', entry(KILL % 1), entry('CPU: 0 PID: 5 Comm: a Not tainted'),
                     entry('unrelated'), entry(',task=a,pid=5,uid=0'), entry('Pid: 5, comm: a Not tainted')])
    state, records = read_journal(Run((0, out, '')))
    assert state['lines'] == 5 and len(records) == 5
    state, records = read_journal(Run((1, '', 'no pattern support'), (0, out, '')))
    assert state['lines'] == 4 and [r[4] for r in records] == [
        KILL % 1, 'CPU: 0 PID: 5 Comm: a Not tainted', ',task=a,pid=5,uid=0', 'Pid: 5, comm: a Not tainted']


@pytest.mark.parametrize('euid, groups, names, visible', [
    (0, [], {}, True), (1000, [4], {'adm': 4}, True), (1000, [], {'systemd-journal': 1000}, True),
    (1000, [5], {'wheel': 5}, True), (1000, [4], {}, False), (1000, [7], {'adm': 4, 'wheel': 10}, False),
])
def test_system_journal_visible(monkeypatch, euid, groups, names, visible):
    import grp
    import collections
    group = collections.namedtuple('group', 'gr_gid')

    def getgrnam(name):
        if name not in names:
            raise KeyError(name)
        return group(names[name])
    monkeypatch.setattr(oom_sources.os, 'geteuid', lambda: euid)
    monkeypatch.setattr(oom_sources.os, 'getegid', lambda: 1000)
    monkeypatch.setattr(oom_sources.os, 'getgroups', lambda: groups)
    monkeypatch.setattr(grp, 'getgrnam', getgrnam)
    assert oom_sources.JOURNAL_GROUPS == ('systemd-journal', 'adm', 'wheel')
    assert REAL_VISIBLE() is visible


# --- log files ----------------------------------------------------------------------------------------------

def test_a_file_of_exactly_the_byte_budget_is_read_whole(tmp_path):
    data = (KILL % 1 + '\n').encode()
    path = tmp_path / 'k.log'
    path.write_bytes(data)
    state, records = read_log_file(str(path), max_bytes=len(data))
    assert (state['status'], state['lines'], len(records)) == ('read', 1, 1)
    path.write_bytes(data + b'x')
    state, records = read_log_file(str(path), max_bytes=len(data))
    assert state == {'name': 'file:%s' % path, 'status': 'error', 'lines': 1,
                     'msg': '%s: stopped after %d bytes: size budget reached (kills before are kept)' % (path, len(data))}
    assert len(records) == 1


def test_the_budget_reads_no_more_than_its_bytes():
    import io
    b = _Budget(io.BytesIO(b'abcdef'), 4, 60)
    assert (b.read(3), b.read(3), b.read(3), b.exceeded) == (b'abc', b'd', b'', 'size')
    b = _Budget(io.BytesIO(b'abcd'), 4, 60)
    assert (b.read(10), b.read(10), b.exceeded) == (b'abcd', b'', None)


def test_the_time_budget_message(tmp_path, monkeypatch):
    path = tmp_path / 'k.log'
    path.write_text(KILL % 1 + '\n')
    clock = itertools.chain([0.0], itertools.repeat(100.0))  # the budget starts at 0, every read is at 100
    monkeypatch.setattr(oom_sources, '_monotonic', lambda: next(clock))
    state, records = read_log_file(str(path), max_seconds=30)
    assert state['msg'] == '%s: stopped after 30s: time budget reached (kills before are kept)' % path
    assert records == []
    clock = itertools.chain([0.0], itertools.repeat(30.0))
    monkeypatch.setattr(oom_sources, '_monotonic', lambda: next(clock))
    assert read_log_file(str(path), max_seconds=30)[0]['status'] == 'read'  # at the deadline: still reading


def test_concatenated_gzip_and_bzip2_members_are_all_read(tmp_path):
    for name, mod in (('k.gz', gzip), ('k.bz2', bz2)):
        path = tmp_path / name
        path.write_bytes(mod.compress((KILL % 1 + '\n').encode()) + mod.compress((KILL % 2 + '\n').encode()))
        state, records = read_log_file(str(path), name='x')
        assert state == {'name': 'x', 'status': 'read', 'lines': 2, 'msg': ''}, name
        assert [r[4] for r in records] == [KILL % 1, KILL % 2], name


def test_a_truncated_gzip_says_so(tmp_path):
    data = gzip.compress(''.join(KILL % i + '\n' for i in range(1, 200)).encode())
    path = tmp_path / 'k.gz'
    path.write_bytes(data[:-8])  # the trailer (CRC, size) cut off
    state, _records = read_log_file(str(path))
    assert state['msg'] == '%s: compressed data truncated (kills before the cut are kept)' % path


def test_only_oom_lines_are_kept_from_a_file(tmp_path):
    path = tmp_path / 'k.log'
    path.write_text('Nov 25 10:00:00 h kernel: ' + KILL % 1 + '\nNov 25 10:00:00 h sshd[1]: ' + KILL % 2 + '\n'
                    + '{"MESSAGE": "%s", "_TRANSPORT": "kernel"}\n' % (KILL % 3)
                    + '{"MESSAGE": "%s", "SYSLOG_IDENTIFIER": "sshd"}\n' % (KILL % 4))
    state, records = read_log_file(str(path))
    assert state['lines'] == 4 and [r[4] for r in records] == [KILL % 1, KILL % 3]


def test_a_file_that_is_not_a_log_of_magic_bytes_is_plain(tmp_path):
    path = tmp_path / 'k.log'
    path.write_bytes(b'BZ' + b'\n' + (KILL % 1).encode() + b'\n')
    assert read_log_file(str(path))[0]['status'] == 'read'
    assert read_log_file(str(tmp_path / 'none'))[0] == {
        'name': 'file:%s' % (tmp_path / 'none'), 'status': 'absent', 'lines': 0,
        'msg': '%s: No such file or directory' % (tmp_path / 'none')}


def test_a_corrupt_compressed_file_is_an_error_not_a_crash(tmp_path):
    for name, data in (('k.gz', b'\x1f\x8b' + b'\x00' * 40), ('k.bz2', b'BZh9' + b'\x00' * 40),
                       ('k.xz', b'\xfd7zXZ\x00' + b'\x00' * 40)):
        path = tmp_path / name
        path.write_bytes(data)
        state, records = read_log_file(str(path))
        assert state['status'] == 'error' and state['msg'].startswith(str(path) + ': ') and records == [], name


# --- which files -------------------------------------------------------------------------------------------

def test_syslog_files_skip_directories_and_keep_live_files_whatever_their_age(tmp_path):
    now = time.time()
    for name in ('kern.log', 'messages', 'syslog', 'syslog.1', 'kern.log.9.gz'):
        (tmp_path / name).write_text('x')
        os.utime(str(tmp_path / name), (now - 100 * 86400, now - 100 * 86400))
    (tmp_path / 'syslog.d').mkdir()
    assert [os.path.basename(p) for p in syslog_files(str(tmp_path), since=now)] == ['kern.log', 'messages', 'syslog']
    # a rotated file written exactly at the cutoff is read
    os.utime(str(tmp_path / 'syslog.1'), (now - 10, now - 10))
    assert 'syslog.1' in [os.path.basename(p) for p in syslog_files(str(tmp_path), since=now - 10)]
    assert 'syslog.1' not in [os.path.basename(p) for p in syslog_files(str(tmp_path), since=now - 9)]
    assert [os.path.basename(p) for p in syslog_files(str(tmp_path))] == [
        'kern.log', 'kern.log.9.gz', 'messages', 'syslog', 'syslog.1']


def test_expand_files_globs_paths_and_missing(tmp_path, monkeypatch):
    for name in ('a1.log', 'a2.log', 'b.log'):
        (tmp_path / name).write_text('x')
    (tmp_path / 'a3.log').mkdir()
    monkeypatch.setenv('HOME', str(tmp_path))
    paths, missing = expand_files([str(tmp_path / 'a?.log'), str(tmp_path / '[ab]*.log'), '~/b.log',
                                   str(tmp_path / 'zz*'), str(tmp_path / 'none.log'), str(tmp_path / 'a3.log')])
    assert paths == [str(tmp_path / n) for n in ('a1.log', 'a2.log', 'b.log')] + [str(tmp_path / 'a3.log')]
    assert missing == [str(tmp_path / 'zz*'), str(tmp_path / 'none.log')]
    assert expand_files(None) == ([], [])
