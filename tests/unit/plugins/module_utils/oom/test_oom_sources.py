# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading the sources and the public entry point collect_oom_history().

Logs are the real fixtures (tests/unit/fixtures/oom) written into a temporary /var/log; commands are answered
by a recording fake ``run_command`` that returns real journalctl/dmesg output; /dev/kmsg is the real one when
this test runs as root (skipped otherwise)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import bz2
import errno
import gzip
import lzma
import os
import shutil
import time

import pytest

from ansible_collections.headroom.memory.plugins.module_utils.oom import sources as oom_sources
from ansible_collections.headroom.memory.plugins.module_utils.oom.history import collect_oom_history
from ansible_collections.headroom.memory.plugins.module_utils.oom.options import resolve_sources
from ansible_collections.headroom.memory.plugins.module_utils.oom.sources import (
    read_journal, read_kmsg, read_log_file, syslog_files)

FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'fixtures', 'oom')
JOURNAL_VISIBLE = oom_sources.system_journal_visible


def fixture(prefix):
    names = [n for n in os.listdir(FIXTURES) if n.startswith(prefix)]
    assert len(names) == 1
    return os.path.join(FIXTURES, names[0])


def text(prefix):
    with open(fixture(prefix), encoding='utf-8') as f:
        return f.read()


class FakeRun(object):
    """Answers commands by program name with canned (rc, out, err); records every call."""

    def __init__(self, answers):
        self.answers = answers
        self.calls = []

    def __call__(self, args, environ_update=None, **kwargs):
        self.calls.append((list(args), dict(environ_update or {})))
        prog = [a for a in args if os.path.basename(a) in self.answers][0]
        answer = self.answers[os.path.basename(prog)]
        if callable(answer):
            return answer(args)
        return answer


@pytest.fixture(autouse=True)
def commands_found(utc, monkeypatch):  # pylint: disable=unused-argument,redefined-outer-name
    """In UTC (conftest.py), with journalctl and dmesg found and the system journal visible."""
    monkeypatch.setattr(oom_sources, 'which', lambda prog: '/usr/bin/' + prog)
    monkeypatch.setattr(oom_sources, 'system_journal_visible', lambda: True)  # whoever runs the tests


def test_real_dev_kmsg_when_root():
    if not os.access('/dev/kmsg', os.R_OK) or os.geteuid() != 0:
        pytest.skip('needs root and /dev/kmsg')
    state, records = read_kmsg('/dev/kmsg', boot_time=1000.0)
    assert state['status'] == 'read' and state['lines'] == len(records) > 0
    wall, up, ident, _pid, msg = records[0]
    assert ident == 'kernel' and up >= 0 and wall == pytest.approx(1000.0 + up)
    assert isinstance(msg, str)


def test_kmsg_denied_and_absent(monkeypatch, tmp_path):
    state, records = read_kmsg(str(tmp_path / 'nope'))
    assert (state['status'], records) == ('absent', [])

    def deny(path, flags):
        raise OSError(errno.EPERM, 'Operation not permitted')
    monkeypatch.setattr(oom_sources.os, 'open', deny)
    state, records = read_kmsg('/dev/kmsg')
    assert state == {'name': 'kmsg', 'status': 'denied', 'lines': 0, 'msg': '/dev/kmsg: Operation not permitted'}


def test_journal_command_is_an_argument_list_with_c_locale_grep_and_since():
    run = FakeRun({'journalctl': (0, text('111'), '')})
    since = time.mktime((2026, 10, 26, 22, 0, 0, 0, 0, -1))
    state, records = read_journal(run, since=since)
    assert state == {'name': 'journal', 'status': 'read', 'lines': 250, 'msg': ''}
    assert len(run.calls) == 1
    args, env = run.calls[0]
    assert args[:2] == ['/usr/bin/timeout', '60']
    assert args[2:7] == ['/usr/bin/journalctl', '-o', 'json', '--no-pager', '-q']
    assert args[args.index('--since') + 1] == '2026-10-26 22:00:00'
    assert '--grep' in args and '_TRANSPORT=kernel' in args and 'SYSLOG_IDENTIFIER=earlyoom' in args
    assert env['LANG'] == 'C' and env['LC_ALL'] == 'C'
    assert any('Killed process 15464 (my hog (test))' in r[4] for r in records)


def test_journal_without_grep_support_falls_back_and_filters_here():
    def journalctl(args):
        if '--grep' in args:
            return 1, '', 'Compiled without pattern matching support'
        return 0, text('111'), ''
    run = FakeRun({'journalctl': journalctl})
    state, records = read_journal(run)
    assert len(run.calls) == 2 and '--grep' not in run.calls[1][0]
    assert state['status'] == 'read'
    assert 0 < state['lines'] < 250  # only the entries holding a marker (or a trigger's CPU line) are parsed
    assert any('Killed process 11181 (Web Content)' in r[4] for r in records)
    assert not any(r[4].startswith('total_pgfault') for r in records)


def test_journal_errors():
    state, _unused = read_journal(FakeRun({'journalctl': (124, '', '')}))
    assert state['status'] == 'error' and 'timed out' in state['msg']
    state, _unused = read_journal(FakeRun({'journalctl': (1, '', 'No journal files were found.')}))
    assert state['status'] == 'absent'
    state, _unused = read_journal(FakeRun({'journalctl': (1, '', '')}))  # --grep matched nothing
    assert (state['status'], state['lines']) == ('read', 0)


def test_plain_gzip_bzip2_xz_and_truncated_gzip(tmp_path):
    raw = text('101').encode()
    variants = {'k.log': raw, 'k.log.1.gz': gzip.compress(raw), 'k.log.2.bz2': bz2.compress(raw),
                'k.log.3.xz': lzma.compress(raw)}
    for name, data in variants.items():
        (tmp_path / name).write_bytes(data)
        state, records = read_log_file(str(tmp_path / name))
        assert state['status'] == 'read', name
        assert sum('Killed process' in r[4] for r in records) == 3, name
    cut = gzip.compress(raw * 400)  # 5 MiB uncompressed: the first 1 MiB blocks are whole
    (tmp_path / 'cut.gz').write_bytes(cut[:len(cut) * 2 // 3])
    state, records = read_log_file(str(tmp_path / 'cut.gz'))
    assert state['status'] == 'error' and 'cut.gz' in state['msg']
    assert sum('Killed process' in r[4] for r in records) >= 3 * 100  # what was read before the cut is kept


def test_unreadable_file_is_denied_not_fatal(monkeypatch, tmp_path):
    path = tmp_path / 'kern.log'
    path.write_text(text('002'))

    def deny(p):
        raise IOError(errno.EACCES, 'Permission denied')
    monkeypatch.setattr(oom_sources, '_open_log', deny)
    state, records = read_log_file(str(path))
    assert (state['status'], records) == ('denied', [])


def test_rotated_files_older_than_the_cutoff_are_skipped(tmp_path):
    now = time.time()
    for name, age_days in (('kern.log', 90), ('kern.log.1', 3), ('kern.log.2.gz', 10), ('kern.log.3.gz', 40),
                           ('syslog', 0), ('messages-20260901', 80), ('daemon.log', 0)):
        p = tmp_path / name
        p.write_bytes(b'x\n')
        os.utime(str(p), (now - age_days * 86400, now - age_days * 86400))
    found = [os.path.basename(p) for p in syslog_files(str(tmp_path), since=now - 30 * 86400)]
    assert found == ['kern.log', 'kern.log.1', 'kern.log.2.gz', 'syslog']
    assert len(syslog_files(str(tmp_path), since=None)) == 6


def _var_log(tmp_path):
    log = tmp_path / 'log'
    log.mkdir()
    shutil.copy(fixture('002'), str(log / 'messages'))
    (log / 'kern.log.2.gz').write_bytes(gzip.compress(text('031').encode()))
    shutil.copy(fixture('039'), str(log / 'syslog'))
    return log


def test_collect_auto_reads_every_source_and_falls_back_to_dmesg(tmp_path):
    log = _var_log(tmp_path)
    run = FakeRun({'dmesg': (0, text('201'), ''), 'journalctl': (0, text('111'), '')})
    result = collect_oom_history(sources=['auto'], since='all', now=time.time(), boot_time=1795633661.0,
                                 run_command=run, kmsg_path=str(tmp_path / 'no-kmsg'), log_dir=str(log))
    states = dict((s['name'], s['status']) for s in result['sources'])
    assert states == {'kmsg': 'absent', 'dmesg': 'read', 'journal': 'read', 'file:%s/kern.log.2.gz' % log: 'read',
                      'file:%s/messages' % log: 'read', 'file:%s/syslog' % log: 'read'}
    assert result['since'] is None
    comms = result['counts']['by_comm']
    assert comms == {'httpd': 1, 'main': 1, 'python3': 1, 'Web Content': 1, 'my hog (test)': 1, 'my hog (x)': 1,
                     'runc:[2:INIT]': 1, '(resolved)': 1}
    # the journal was read: the syslog files' user-space lines (039's systemd-oomd kill) cannot prove their writer
    assert result['counts']['by_killer'] == {'kernel': 8}
    dmesg_events = [e for e in result['events'] if e['sources'] == ['dmesg']]
    assert len(dmesg_events) == 3
    assert dmesg_events[0]['time'] == '2026-11-25T21:06:45.224173Z'  # boot_time 19:07:41 + kernel time 7144.224173
    for call_args, env in run.calls:
        assert isinstance(call_args, list) and env['LC_ALL'] == 'C'
    # without the journal they are all there is: the systemd-oomd kill counts
    run = FakeRun({'dmesg': (0, text('201'), ''), 'journalctl': (1, '', 'Failed to open journal: Permission denied')})
    result = collect_oom_history(sources=['auto'], since='all', now=time.time(), boot_time=1795633661.0,
                                 run_command=run, kmsg_path=str(tmp_path / 'no-kmsg'), log_dir=str(log))
    assert dict((s['name'], s['status']) for s in result['sources'])['journal'] == 'denied'
    assert result['counts']['by_killer'] == {'kernel': 5, 'systemd-oomd': 1}


def test_collect_files_only_reads_only_oom_files(tmp_path):
    (tmp_path / 'a.log').write_text(text('045'))
    (tmp_path / 'b.log.gz').write_bytes(gzip.compress(text('052').encode()))
    run = FakeRun({})
    result = collect_oom_history(sources=['files'], files=[str(tmp_path / '*.log*'), str(tmp_path / 'missing.log')],
                                 since='all', now=time.time(), boot_time=0.0, run_command=run)
    assert run.calls == []
    assert [(s['name'].rsplit('/', 1)[-1], s['status']) for s in result['sources']] == [
        ('a.log', 'read'), ('b.log.gz', 'read'), ('missing.log', 'absent')]
    assert result['counts']['by_comm'] == {'bash': 1, 'Web Content': 1}
    assert result['counts']['by_killer'] == {'earlyoom': 2}


def test_collect_since_cuts_old_events_and_reports_the_cutoff(tmp_path):
    (tmp_path / 'a.log').write_text(text('107'))
    now = time.mktime((2026, 11, 25, 20, 0, 0, 0, 0, -1))
    result = collect_oom_history(sources=['files'], files=[str(tmp_path / 'a.log')], since='1h', now=now,
                                 boot_time=0.0)
    assert result['since'] == '2026-11-25T19:00:00Z'
    assert len(result['events']) == 3
    result = collect_oom_history(sources=['files'], files=[str(tmp_path / 'a.log')], since='2026-11-25T19:11:30Z',
                                 now=now, boot_time=0.0)
    assert [e['victim']['comm'] for e in result['events']] == ['my hog (test)']


def test_bad_options_fail_before_reading():
    run = FakeRun({})
    with pytest.raises(ValueError, match="unknown value.*'dmesg'"):
        collect_oom_history(sources=['dmesg'], run_command=run)
    with pytest.raises(ValueError, match='oom_files'):
        collect_oom_history(sources=['files'], files=[], run_command=run)
    with pytest.raises(ValueError, match='oom_since'):
        collect_oom_history(sources=['journal'], since='last tuesday', run_command=run, now=0, boot_time=0)
    assert run.calls == []
    assert resolve_sources(['auto'], []) == {'kmsg', 'journal', 'syslog'}
    assert resolve_sources(['kmsg', 'files'], ['x']) == {'kmsg', 'files'}


def test_journal_denied_for_a_user_outside_the_journal_groups(monkeypatch):
    monkeypatch.setattr(oom_sources, 'system_journal_visible', JOURNAL_VISIBLE)
    monkeypatch.setattr(oom_sources.os, 'geteuid', lambda: 1000)
    monkeypatch.setattr(oom_sources.os, 'getegid', lambda: 1000)
    monkeypatch.setattr(oom_sources.os, 'getgroups', lambda: [1000])
    run = FakeRun({'journalctl': (0, text('111'), '')})
    state, records = read_journal(run)
    assert (state['status'], records, run.calls) == ('denied', [], [])
    assert 'systemd-journal' in state['msg']
