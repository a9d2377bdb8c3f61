# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""systemd-oomd, earlyoom and systemd notices: each wording's fields, the identifier that selects each parser,
and the signal names (issue #10: a mutation run found them unpinned). SYNTHETIC lines from the format strings
of systemd src/oom/oomd-manager.c, src/core/unit.c and earlyoom kill.c (the versions test_oom_userspace.py names)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.headroom.memory.plugins.module_utils.oom.userspace import parse_userspace

OOMD = 'Killed /system.slice/a.service due to memory pressure for /system.slice being 60.00% > 50.00%'
NEW = 'sending SIGTERM to process 42 uid 1000 "app": oom_score 900, VmRSS 3000 MiB'
OLD = "Killing process 'bash' with signal 15, pid: 5874, badness: 538, VmRSS: 3160 MiB"
RC = 'killing process 27541 "bash" with signal 15: badness 550, VmRSS 7609 MiB'
V11 = 'Killing process: bash, pid: 5874, badness: 538, VmRSS: 3160 MiB'
V10 = 'Killing process 5874 bash'
NOTICE = 'a.service: A process of this unit has been killed by the OOM killer.'


@pytest.mark.parametrize('ident, msg, kind', [
    (None, OOMD, 'oomd'), ('systemd-oomd', OOMD, 'oomd'), ('earlyoom', OOMD, None), ('systemd', OOMD, None),
    (None, NEW, 'earlyoom'), ('earlyoom', NEW, 'earlyoom'), ('systemd-oomd', NEW, None), ('systemd', NEW, None),
    ('earlyoom', OLD, 'earlyoom'), ('earlyoom', RC, 'earlyoom'), ('earlyoom', V11, 'earlyoom'),
    ('earlyoom', V10, 'earlyoom'), ('systemd', V10, None), ('kernel', V10, None),
    (None, NOTICE, 'notice'), ('systemd', NOTICE, 'notice'), ('earlyoom', NOTICE, None),
    ('systemd-oomd', NOTICE, None), ('kernel', NOTICE, None),
])
def test_each_parser_reads_only_its_own_identifier(ident, msg, kind):
    got = parse_userspace(ident, msg)
    assert (got[0] if got else None) == kind


@pytest.mark.parametrize('msg, fields', [
    (OOMD, {'cgroup': '/system.slice/a.service', 'reason': 'memory pressure'}),
    ('Killed /a b.scope due to swap used (1) / total (2) being more than 90.00%',
     {'cgroup': '/a b.scope', 'reason': 'swap used'}),
    ('Marked /x.scope for killing due to memory used (1) / total (2)', {'cgroup': '/x.scope', 'reason': 'memory used'}),
    ('  ' + OOMD + '  ', {'cgroup': '/system.slice/a.service', 'reason': 'memory pressure'}),
])
def test_oomd_fields(msg, fields):
    assert parse_userspace('systemd-oomd', msg) == ('oomd', fields)


@pytest.mark.parametrize('msg', [
    'Killed x.scope due to memory pressure', 'Killed /x.scope because of memory pressure',
    'Killed /x.scope due to cpu pressure', 'Failed to kill /x.scope due to memory pressure', '', None,
])
def test_oomd_lines_that_are_not_kills(msg):
    assert parse_userspace('systemd-oomd', msg) is None


@pytest.mark.parametrize('msg, fields', [
    (NEW, {'pid': 42, 'comm': 'app', 'uid': 1000, 'signal': 'SIGTERM'}),
    ('sending SIGKILL to process 7 "a b": badness -5, VmRSS 1 MiB',
     {'pid': 7, 'comm': 'a b', 'uid': None, 'signal': 'SIGKILL'}),
    ('sending 15 to process 7 "x": badness 1', {'pid': 7, 'comm': 'x', 'uid': None, 'signal': '15'}),
    (OLD, {'pid': 5874, 'comm': 'bash', 'uid': None, 'signal': 'SIGTERM'}),
    (OLD.replace('signal 15', 'signal 9'), {'pid': 5874, 'comm': 'bash', 'uid': None, 'signal': 'SIGKILL'}),
    (OLD.replace('signal 15', 'signal 2'), {'pid': 5874, 'comm': 'bash', 'uid': None, 'signal': '2'}),
    ("Killing process 'a' with signal 9, pid: 3", {'pid': 3, 'comm': 'a', 'uid': None, 'signal': 'SIGKILL'}),
    (RC, {'pid': 27541, 'comm': 'bash', 'uid': None, 'signal': 'SIGTERM'}),
    (RC.replace('signal 15', 'signal 9'), {'pid': 27541, 'comm': 'bash', 'uid': None, 'signal': 'SIGKILL'}),
    (V11, {'pid': 5874, 'comm': 'bash', 'uid': None, 'signal': 'SIGKILL'}),
    (V10, {'pid': 5874, 'comm': 'bash', 'uid': None, 'signal': 'SIGKILL'}),
    ('Killing process 12 my app', {'pid': 12, 'comm': 'my app', 'uid': None, 'signal': 'SIGKILL'}),
])
def test_earlyoom_fields_of_every_wording(msg, fields):
    assert parse_userspace('earlyoom', msg) == ('earlyoom', fields)


@pytest.mark.parametrize('msg', [
    'sending SIGTERM to process x "a": badness 1', 'sending SIGTERM to process 1 "a"', 'Killing process 12',
    'Killing process: a, pid: x, badness: 1', 'killing process 1 "a" with signal x: badness 1',
    'escalating to SIGKILL after 0.5 seconds', 'mem avail: 100 of 200 MiB',
])
def test_earlyoom_lines_that_are_not_kills(msg):
    assert parse_userspace('earlyoom', msg) is None


@pytest.mark.parametrize('msg, fields', [
    (NOTICE, {'unit': 'a.service', 'killer': 'kernel'}),
    # systemd gives this result after systemd-oomd's kills too (seen on Debian 12 and 13 VMs): it names no killer
    ("b.scope: Failed with result 'oom-kill'.", {'unit': 'b.scope', 'killer': None}),
    ('user-1000.slice: A process of this unit has been killed by the OOM killer.',
     {'unit': 'user-1000.slice', 'killer': 'kernel'}),
    ('c.socket: systemd-oomd killed 3 process(es) in this unit.', {'unit': 'c.socket', 'killer': 'systemd-oomd'}),
    ('d.mount: systemd-oomd killed some process(es) in this unit.', {'unit': 'd.mount', 'killer': 'systemd-oomd'}),
    ('dev-sda2.swap: A process of this unit has been killed by the OOM killer.', {'unit': 'dev-sda2.swap',
                                                                                  'killer': 'kernel'}),
])
def test_notice_fields(msg, fields):
    assert parse_userspace('systemd', msg) == ('notice', fields)


@pytest.mark.parametrize('msg', [
    'a.timer: A process of this unit has been killed by the OOM killer.', "a.service: Failed with result 'timeout'.",
    'a b.service: A process of this unit has been killed by the OOM killer.',
    'a.service: systemd-oomd killed many process(es) in this unit.', 'a.service: Main process exited.',
])
def test_systemd_lines_that_are_not_notices(msg):
    assert parse_userspace('systemd', msg) is None
