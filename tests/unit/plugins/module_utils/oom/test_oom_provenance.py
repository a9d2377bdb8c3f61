# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue #31 finding 1: an OOM line counts only from its own writer, and the kernel's count bounds the logged kills.

Every crafted line of the issue is here verbatim in shape: what a user's ``logger`` writes must never become a kill,
a unit notice or (through it) a remedy; what the kernel and the daemons write must still count.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.headroom.memory.plugins.module_utils.oom.events import build_history
from ansible_collections.headroom.memory.plugins.module_utils.oom import sources as oom_sources
from ansible_collections.headroom.memory.plugins.module_utils.oom.history import check_kill_count, collect_oom_history
from ansible_collections.headroom.memory.plugins.module_utils.oom.lines import (
    journal_ident, line_ident, split_json, split_line)
from ansible_collections.headroom.memory.plugins.module_utils.oom.since import iso_utc
from ansible_collections.headroom.memory.plugins.module_utils.oom.sources import read_log_file
from ansible_collections.headroom.memory.plugins.modules import memory_facts

KILL = ('Out of memory: Killed process 4242 (hog) total-vm:10kB, anon-rss:5kB, file-rss:1kB, shmem-rss:0kB, UID:0 '
        'pgtables:4kB oom_score_adj:0')
IMG_UNIT = '<img/src=x/onerror=alert(1)>.service'
JINJA_UNIT = "{{ lookup('pipe','id') }}.service"
# what each identifier's parser reads: a kill or a unit notice
CLAIMS = {
    'kernel': KILL,
    'systemd-oomd': 'Killed /system.slice/%s due to memory pressure for /system.slice being 60.00%% > 50.00%% for > 20s '
                    'with reclaim activity' % JINJA_UNIT,
    'earlyoom': 'sending SIGTERM to process 4242 uid 0 "hog": badness 900, VmRSS 3000 MiB',
    'systemd': '%s: A process of this unit has been killed by the OOM killer.' % IMG_UNIT,
}
REAL = 1795633865.725584


def entry(ident, msg, **fields):
    """A ``journalctl -o json`` line; the trusted fields (_UID, _PID, _COMM...) as journald would set them."""
    data = {'MESSAGE': msg, 'SYSLOG_IDENTIFIER': ident, '__REALTIME_TIMESTAMP': str(int(REAL * 1e6)),
            '__MONOTONIC_TIMESTAMP': '203877829'}
    data.update(fields)
    return json.dumps(data)


def history(lines):
    records = []
    for line in lines:
        records.extend(split_json(line) if line.startswith('{') else [split_line(line, REAL)])
    return build_history([('test', records)])[0]


# --- text log lines (syslog, kern.log, journal short) ---

def test_a_kernel_line_with_a_pid_is_a_program_not_the_kernel(tmp_path):
    forged = 'Dec  7 10:00:00 host kernel[4242]: ' + KILL
    real = 'Dec  7 10:00:01 host kernel: ' + KILL.replace('4242', '4343')
    assert split_line(forged, REAL)[2:4] == ('untrusted:kernel', 4242)
    path = tmp_path / 'kern.log'
    path.write_text(forged + '\n' + real + '\n')
    state, records = read_log_file(str(path))
    assert state['status'] == 'read' and state['lines'] == 2
    assert [r[2] for r in records] == ['kernel']  # the forged line is not even kept
    (event,) = history([forged, real])
    assert event['victim']['pid'] == 4343


@pytest.mark.parametrize('header', ['systemd[4242]', 'systemd'])
def test_a_systemd_notice_not_from_pid1_is_not_a_unit_kill(header):
    line = 'Dec  7 10:00:00 host %s: %s' % (header, CLAIMS['systemd'])
    assert split_line(line, REAL)[2] == 'untrusted:systemd'
    assert history([line]) == []


def test_pid1_notice_and_the_kernels_own_lines_in_a_file_still_count():
    lines = ['Dec  7 10:00:00 host kernel: Memory cgroup out of memory: ' + KILL.split(': ', 1)[1],
             'Dec  7 10:00:00 host systemd[1]: pg.service: A process of this unit has been killed by the OOM killer.']
    (event,) = history(lines)
    assert event['killer'] == 'kernel' and event['unit'] == 'pg.service' and event['victim']['pid'] == 4242


def test_line_ident_rules():
    assert line_ident('kernel', None) == 'kernel'
    assert line_ident('kernel', 0) == 'untrusted:kernel'
    assert line_ident('systemd', 1) == 'systemd'
    assert line_ident('systemd', None) == 'untrusted:systemd'
    assert line_ident('earlyoom', 77) == 'earlyoom' and line_ident('sshd', 5) == 'sshd'


def test_a_notice_naming_an_invalid_unit_is_no_notice_even_from_pid1():
    line = 'Dec  7 10:00:00 host systemd[1]: %s: A process of this unit has been killed by the OOM killer.' % IMG_UNIT
    assert history([line]) == []
    assert history([line.replace(IMG_UNIT, 'X.service')])[0]['unit'] == 'X.service'


def test_user_space_lines_of_the_syslog_files_count_only_when_the_journal_cannot_be_read(tmp_path, monkeypatch):
    # what `logger -t systemd-oomd ...` and `logger -t systemd --id=1 ...` leave in /var/log/syslog
    (tmp_path / 'syslog').write_text(
        'Dec  7 10:00:00 host systemd-oomd[4242]: %s\n' % CLAIMS['systemd-oomd']
        + 'Dec  7 10:00:00 host systemd[1]: X.service: A process of this unit has been killed by the OOM killer.\n'
        + 'Dec  7 10:00:01 host kernel: %s\n' % KILL)
    monkeypatch.setattr(oom_sources, 'which', lambda prog: '/usr/bin/' + prog)
    monkeypatch.setattr(oom_sources, 'system_journal_visible', lambda: True)

    def collect(journal_answer):
        result = collect_oom_history(sources=['journal', 'syslog'], since='all', now=REAL, boot_time=REAL - 86400 * 30,
                                     run_command=lambda args, **kw: journal_answer, log_dir=str(tmp_path))
        return sorted((e['killer'], e['unit'] or '') for e in result['events'])

    # journal read (it holds the daemons' own lines, here none): only the kernel's line of the file counts
    assert collect((0, '', '')) == [('kernel', '')]
    # no journal: the file is all there is
    assert collect((1, '', 'Permission denied')) == [('kernel', 'X.service'), ('systemd-oomd', JINJA_UNIT)]


# --- journal entries ---

@pytest.mark.parametrize('uid', ['0', '1000'])
@pytest.mark.parametrize('ident', sorted(CLAIMS))
def test_a_syslog_transport_entry_claiming_a_watched_name_is_no_kill(ident, uid):
    # `logger -t <ident>` from any uid: journald records _TRANSPORT=syslog and logger's own pid and comm
    line = entry(ident, CLAIMS[ident], _TRANSPORT='syslog', _UID=uid, _PID='4242', _COMM='logger',
                 _SYSTEMD_UNIT='session-3.scope', SYSLOG_PID='1')
    (record,) = split_json(line)
    assert record[2] == 'untrusted:' + ident
    assert history([line]) == []


def test_a_logger_written_pid1_notice_names_no_unit():
    # `logger -t systemd --id=1 'X.service: A process of this unit has been killed by the OOM killer.'`
    for unit in (IMG_UNIT, 'X.service'):
        line = entry('systemd', '%s: A process of this unit has been killed by the OOM killer.' % unit,
                     _TRANSPORT='syslog', _UID='1000', _PID='4242', _COMM='logger', SYSLOG_PID='1')
        assert history([line]) == []


def test_an_entry_naming_no_program_is_not_read_as_bare_text():
    data = json.loads(entry('x', KILL, _TRANSPORT='journal'))
    del data['SYSLOG_IDENTIFIER']
    assert journal_ident(data) == 'untrusted:'
    assert history([json.dumps(data)]) == []


def test_a_daemon_of_a_users_own_manager_is_not_the_system_daemon():
    # a user's own earlyoom (systemd --user unit): journald names it in _SYSTEMD_USER_UNIT, not _SYSTEMD_UNIT
    line = entry('earlyoom', CLAIMS['earlyoom'], _TRANSPORT='stdout', _UID='1000', _PID='900', _COMM='earlyoom',
                 _SYSTEMD_UNIT='user@1000.service', _SYSTEMD_USER_UNIT='earlyoom.service')
    assert history([line]) == []
    # the right unit but a login user's uid, or the right unit but another program
    assert history([entry('earlyoom', CLAIMS['earlyoom'], _TRANSPORT='stdout', _UID='1000', _PID='900',
                          _COMM='earlyoom', _SYSTEMD_UNIT='earlyoom.service')]) == []
    assert history([entry('earlyoom', CLAIMS['earlyoom'], _TRANSPORT='stdout', _UID='0', _PID='900',
                          _COMM='python3', _SYSTEMD_UNIT='earlyoom.service')]) == []


def test_the_real_writers_still_count():
    kernel = entry('kernel', KILL, _TRANSPORT='kernel', _SOURCE_MONOTONIC_TIMESTAMP='203877829')
    notice = entry('systemd', 'pg.service: A process of this unit has been killed by the OOM killer.',
                   _TRANSPORT='journal', _UID='0', _PID='1', _COMM='systemd', _SYSTEMD_UNIT='init.scope')
    # systemd-oomd runs as its own system user (systemd-oom), earlyoom under DynamicUser
    oomd = entry('systemd-oomd', 'Killed /system.slice/web.service due to memory pressure for /system.slice being '
                 '60.00% > 50.00% for > 20s with reclaim activity', _TRANSPORT='journal', _UID='988', _PID='700',
                 _COMM='systemd-oomd', _SYSTEMD_UNIT='systemd-oomd.service')
    early = entry('earlyoom', CLAIMS['earlyoom'].replace('4242', '5151'), _TRANSPORT='stdout', _UID='61234',
                  _PID='800', _COMM='earlyoom', _SYSTEMD_UNIT='earlyoom.service')
    events = history([kernel, notice, oomd, early])
    assert sorted((e['killer'], e['unit'] or '') for e in events) == [
        ('earlyoom', ''), ('kernel', 'pg.service'), ('systemd-oomd', 'web.service')]


# --- the kernel's own count ---

def kernel_event(when, killer='kernel'):
    return {'killer': killer, 'time': iso_utc(when) if when is not None else None}


def test_more_kernel_kills_since_boot_than_the_kernel_counted_is_flagged():
    boot = 1795600000.0
    events = [kernel_event(boot + 10), kernel_event(boot + 20.5), kernel_event(boot - 3600),  # one of the last boot
              kernel_event(boot + 30, 'earlyoom'), kernel_event(None)]
    oom = check_kill_count({'events': events}, 1, boot)
    assert oom['kills_since_boot'] == 1 and oom['kernel_kills_logged_since_boot'] == 2
    assert oom['kills_implausible'] is True
    assert oom['kills_notice'] == ('the logs hold 2 kernel OOM kills since boot but the kernel counted 1 (oom_kill in '
                                   '/proc/vmstat): some of those lines were not written by the kernel')
    oom = check_kill_count({'events': events}, 2, boot)
    assert oom['kills_implausible'] is False and oom['kills_notice'] is None
    # unknown counter (kernel < 4.13) or boot time: nothing to compare, nothing flagged
    assert check_kill_count({'events': events}, None, boot)['kills_implausible'] is False
    oom = check_kill_count({'events': events}, 0, None)
    assert oom['kernel_kills_logged_since_boot'] is None and oom['kills_implausible'] is False


def test_memory_facts_flags_the_count_against_proc_vmstat(tmp_path):
    boot = 1795600000
    (tmp_path / 'vmstat').write_text('pgmajfault 5\noom_kill 0\n')
    (tmp_path / 'stat').write_text('cpu 1 2 3\nbtime %d\n' % boot)
    (tmp_path / 'meminfo').write_text('MemTotal: 1024 kB\n')
    facts = memory_facts.gather({'oom'}, {'top': 10, 'cmdline': False}, proc=str(tmp_path),
                                oom_collector=lambda params: {'events': [kernel_event(boot + 60)]})
    oom = facts['oom']
    assert oom['kills_since_boot'] == 0 and oom['kernel_kills_logged_since_boot'] == 1 and oom['kills_implausible']
