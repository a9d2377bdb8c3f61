# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The formats added for the held-out corpus (#29 item 8), each on its own, and what they must not do."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.headroom.memory.plugins.module_utils.oom.events import build_history
from ansible_collections.headroom.memory.plugins.module_utils.oom.kernel import parse_kernel
from ansible_collections.headroom.memory.plugins.module_utils.oom.lines import UNTRUSTED, split_line

REAPED = 'oom_reaper: reaped process %d (node), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB'
KILLED = 'Out of memory: Killed process %d (node) total-vm:9000kB, anon-rss:5555kB, file-rss:0kB, shmem-rss:0kB'


def kern(msg, up):
    return (None, up, 'kernel', None, msg)


def victims(records):
    return [(e['victim']['pid'], e['victim']['comm'], e['complete']) for e in build_history([('k', records)])[0]]


def test_rhel5_killed_line_ends_in_a_period():
    kind, fields = parse_kernel('Out of memory: Killed process 6287, UID 48, (httpd).')
    assert (kind, fields['pid'], fields['comm'], fields['uid'], fields['scope']) == ('killed', 6287, 'httpd', 48, 'global')
    assert parse_kernel('Killed process 6287 (httpd).. more') is None


def test_an_oom_reaper_line_alone_is_its_kill():
    assert victims([kern(REAPED % 5151, 9.0)]) == [(5151, 'node', True)]


def test_an_oom_reaper_line_after_its_kill_adds_nothing():
    assert victims([kern(KILLED % 5151, 9.0), kern(REAPED % 5151, 9.1)]) == [(5151, 'node', True)]


def test_an_oom_reaper_line_after_its_summary_adds_nothing():
    summary = 'oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,' \
              'task_memcg=/,task=node,pid=5151,uid=0'
    assert victims([kern(summary, 9.0), kern(REAPED % 5151, 9.1)]) == [(5151, 'node', True)]


@pytest.mark.parametrize('line, ident, up, msg', [
    ('kern  :err   : [ 3101.220330] Out of memory: Killed process 1 (x)', 'kernel', 3101.22033,
     'Out of memory: Killed process 1 (x)'),
    ('kern  :info  : oom-kill:constraint=CONSTRAINT_NONE', 'kernel', None, 'oom-kill:constraint=CONSTRAINT_NONE'),
    # a program's record in the ring buffer is not the kernel's report
    ('user  :warn  : [ 12.5] Out of memory: Killed process 1 (x)', UNTRUSTED + 'dmesg-user', 12.5,
     'Out of memory: Killed process 1 (x)'),
    ('daemon:info  : [ 12.5] Killed process 1 (x)', UNTRUSTED + 'dmesg-daemon', 12.5, 'Killed process 1 (x)'),
])
def test_dmesg_x_prefix(line, ident, up, msg):
    assert split_line(line) == (None, up, ident, None, msg)


def test_a_forged_dmesg_x_record_is_no_event():
    assert victims([split_line('user  :err   : [ 12.5] Out of memory: Killed process 1 (x)')]) == []
