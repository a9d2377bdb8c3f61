# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kernel OOM report lines, 2.6.32 to 6.x. Real lines from tests/unit/fixtures/oom; SYNTHETIC lines follow the
format strings of mm/oom_kill.c of the kernel version named in the test."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.headroom.memory.plugins.module_utils.oom.kernel import parse_kernel, parse_oom_kill
from ansible_collections.headroom.memory.plugins.module_utils.oom.lines import split_line

FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'fixtures', 'oom')


def real_msgs(prefix, contains):
    out = []
    for name in sorted(os.listdir(FIXTURES)):
        if name.startswith(prefix):
            with open(os.path.join(FIXTURES, name), encoding='utf-8') as f:
                for line in f:
                    if contains in line:
                        out.append(split_line(line)[4])
    assert out, (prefix, contains)
    return out


def test_invoked_6x_and_thread_comm_with_space():
    kind, f = parse_kernel(real_msgs('101', 'alloc worker invoked')[0])
    assert kind == 'invoked'
    assert f == {'comm': 'alloc worker', 'gfp_mask': '0xcc0(GFP_KERNEL)', 'order': 0, 'oom_score_adj': 250}


def test_invoked_comm_with_brackets_and_parens():
    assert parse_kernel(real_msgs('201', 'runc:[2:INIT] invoked')[0])[1]['comm'] == 'runc:[2:INIT]'
    assert parse_kernel(real_msgs('201', 'my hog (x) invoked')[0])[1]['comm'] == 'my hog (x)'


def test_synthetic_invoked_old_layouts():
    # SYNTHETIC 2.6.32 (oom_adj only), RHEL6 (both), 4.9 (nodemask), sysrq/memcg order=-1
    kind, f = parse_kernel('java invoked oom-killer: gfp_mask=0x201da, order=0, oom_adj=0')
    assert kind == 'invoked' and f['gfp_mask'] == '0x201da' and f['oom_score_adj'] is None and f['order'] == 0
    f = parse_kernel('httpd invoked oom-killer: gfp_mask=0x201da, order=0, oom_adj=0, oom_score_adj=0')[1]
    assert f['oom_score_adj'] == 0
    f = parse_kernel('stress invoked oom-killer: gfp_mask=0x24201ca(GFP_HIGHUSER_MOVABLE|__GFP_COLD), '
                     'nodemask=0-1, order=0, oom_score_adj=-17')[1]
    assert f == {'comm': 'stress', 'gfp_mask': '0x24201ca(GFP_HIGHUSER_MOVABLE|__GFP_COLD)', 'order': 0,
                 'oom_score_adj': -17}
    f = parse_kernel('kworker/0:1 invoked oom-killer: gfp_mask=0x0(), nodemask=(null), order=-1, oom_score_adj=0')[1]
    assert f['order'] == -1 and f['gfp_mask'] == '0x0()' and f['comm'] == 'kworker/0:1'


def test_cpu_line_gives_trigger_pid():
    kind, f = parse_kernel(real_msgs('101', 'Comm: alloc worker')[0])
    assert (kind, f) == ('cpu', {'pid': 15505, 'comm': 'alloc worker'})
    assert parse_kernel(real_msgs('018', 'Comm: uwsgi')[0])[1] == {'pid': 63635, 'comm': 'uwsgi'}
    # SYNTHETIC 2.6.32 layout
    assert parse_kernel('Pid: 11342, comm: java Not tainted 2.6.32-431.el6.x86_64 #1')[1] == {
        'pid': 11342, 'comm': 'java'}
    assert parse_kernel('CPU: 2 PID: 7 Comm: a b Tainted: G        W  O 5.10.0 #1')[1] == {'pid': 7, 'comm': 'a b'}


def test_killed_rhel6_uid_comma_layout():
    kind, f = parse_kernel(real_msgs('002', 'Killed process')[0])
    assert kind == 'killed'
    assert f == {'pid': 62185, 'comm': 'httpd', 'uid': 48, 'total_vm_kb': 732728, 'anon_rss_kb': 198916,
                 'file_rss_kb': 2288, 'shmem_rss_kb': None, 'pgtables_kb': None, 'oom_score_adj': None, 'scope': None}


def test_killed_rhel7_comm_then_uid_layout():
    f = parse_kernel(real_msgs('006', 'Killed process 42452')[0])[1]
    assert (f['pid'], f['comm'], f['uid'], f['anon_rss_kb'], f['shmem_rss_kb']) == (42452, 'memcg_test_1', 0, 96, 0)


def test_killed_5x_and_6x_layouts():
    f = parse_kernel(real_msgs('016', '((resolved))')[0])[1]
    assert (f['comm'], f['scope'], f['uid']) == ('(resolved)', 'global', None)
    f = parse_kernel(real_msgs('018', 'Killed process')[0])[1]
    assert (f['uid'], f['pgtables_kb'], f['oom_score_adj'], f['shmem_rss_kb'], f['scope']) == (0, 1372, 986, 92, 'memcg')
    f = parse_kernel(real_msgs('201', 'Killed process 14829')[0])[1]
    assert (f['comm'], f['anon_rss_kb']) == ('runc:[2:INIT]', 65132)
    f = parse_kernel(real_msgs('101', 'Killed process 15464')[0])[1]
    assert (f['comm'], f['oom_score_adj']) == ('my hog (test)', 250)


def test_synthetic_killed_bare_and_oldest():
    # SYNTHETIC: 3.x bare layout, 2.6.3x "vsz:" and name-only layouts, oom_kill_allocating_task prefix
    f = parse_kernel('Killed process 27438 (R) total-vm:38349780kB, anon-rss:1041924kB, file-rss:4kB')[1]
    assert (f['pid'], f['comm'], f['total_vm_kb'], f['shmem_rss_kb'], f['scope']) == (27438, 'R', 38349780, None, None)
    f = parse_kernel('Killed process 3190 (my (odd) proc) vsz:100kB, anon-rss:50kB, file-rss:0kB')[1]
    assert (f['comm'], f['total_vm_kb']) == ('my (odd) proc', 100)
    f = parse_kernel('Killed process 12 (a) b))')[1]
    assert (f['pid'], f['comm']) == (12, 'a) b)')
    f = parse_kernel('Out of memory (oom_kill_allocating_task): Killed process 9 (x) total-vm:1kB, anon-rss:1kB, '
                     'file-rss:0kB, shmem-rss:0kB')[1]
    assert f['scope'] == 'global'


def test_select_lines():
    kind, f = parse_kernel(real_msgs('002', 'Kill process')[0])
    assert (kind, f) == ('select', {'pid': 62185, 'comm': 'httpd', 'scope': 'global'})
    assert parse_kernel(real_msgs('006', 'Kill process 42469')[0])[1]['scope'] == 'memcg'
    # SYNTHETIC: pre-2.6.36 wording
    assert parse_kernel('Out of memory: kill process 3190 (java (x)) score 3300 or a child')[1]['comm'] == 'java (x)'


def test_oom_kill_line_memcg_and_global():
    kind, f = parse_kernel(real_msgs('101', 'task=my hog (test)')[0])
    assert kind == 'constraint'
    assert f == {'constraint': 'CONSTRAINT_MEMCG', 'oom_memcg': '/oomtest3', 'task_memcg': '/oomtest3',
                 'global_oom': False, 'comm': 'my hog (test)', 'pid': 15464, 'uid': 0, 'partial': False}
    f = parse_kernel(real_msgs('031', 'oom-kill:')[0])[1]
    assert f['global_oom'] is True and f['oom_memcg'] is None
    assert f['task_memcg'].startswith('/docker/d1dfb06d') and (f['comm'], f['pid']) == ('main', 50111)


def test_synthetic_split_oom_kill_line():
    kind, f = parse_kernel('oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0')
    assert kind == 'constraint' and f['partial'] is True and f['pid'] is None
    assert parse_kernel(',global_oom,task_memcg=/user.slice,task=a,b,pid=5,uid=0')[0] == 'cont'
    joined = parse_oom_kill('oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0'
                            ',global_oom,task_memcg=/user.slice,task=a,b,pid=5,uid=0')
    assert (joined['comm'], joined['pid'], joined['task_memcg'], joined['global_oom']) == ('a,b', 5, '/user.slice', True)


def test_synthetic_task_in_and_reaper():
    kind, f = parse_kernel('Task in /system.slice/my app.service killed as a result of limit of /system.slice')
    assert (kind, f) == ('task_in', {'task_memcg': '/system.slice/my app.service', 'oom_memcg': '/system.slice'})
    kind, f = parse_kernel(real_msgs('016', 'oom_reaper: reaped process 15925')[0])
    assert (kind, f) == ('reaped', {'pid': 15925, 'comm': '(resolved)'})


def test_unrelated_kernel_lines_are_ignored():
    for msg in real_msgs('101', 'podman0') + real_msgs('101', 'Memory cgroup stats') + ['', '   ', 'Call Trace:']:
        assert parse_kernel(msg) is None, msg


def test_invoked_line_without_a_readable_gfp_mask_or_order():
    assert parse_kernel('x invoked oom-killer: gfp_mask=?') == (
        'invoked', {'comm': 'x', 'gfp_mask': None, 'order': None, 'oom_score_adj': None})
