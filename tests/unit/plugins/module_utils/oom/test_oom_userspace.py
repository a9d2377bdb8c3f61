# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""systemd-oomd, earlyoom and systemd notices. Real lines from tests/unit/fixtures/oom; SYNTHETIC ones follow
the format strings of systemd src/oom/oomd-manager.c and earlyoom kill.c of the versions named."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.headroom.memory.plugins.module_utils.oom.lines import split_line
from ansible_collections.headroom.memory.plugins.module_utils.systemd.unit_names import slice_depth, unit_from_cgroup
from ansible_collections.headroom.memory.plugins.module_utils.oom.userspace import parse_userspace

FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'fixtures', 'oom')


def real(prefix, contains):
    for name in sorted(os.listdir(FIXTURES)):
        if name.startswith(prefix):
            with open(os.path.join(FIXTURES, name), encoding='utf-8') as f:
                for line in f:
                    if contains in line:
                        _w, _u, ident, _p, msg = split_line(line)
                        return ident, msg
    raise AssertionError((prefix, contains))


def test_oomd_memory_pressure_real():
    kind, f = parse_userspace(*real('039', 'systemd-oomd[840]'))
    assert kind == 'oomd' and f['reason'] == 'memory pressure'
    assert f['cgroup'].endswith('/vte-spawn-dbb4a75e-031f-480d-924b-5de5af7579d2.scope')


def test_synthetic_oomd_swap_and_newer_wordings():
    # SYNTHETIC: systemd 248 swap kill, systemd >= 253 "Marked ... for killing"
    kind, f = parse_userspace('systemd-oomd', 'Killed /system.slice/build.service due to swap used (7516192768) / '
                                              'total (8589934592) being more than 90.00%')
    assert (kind, f) == ('oomd', {'cgroup': '/system.slice/build.service', 'reason': 'swap used'})
    kind, f = parse_userspace('systemd-oomd', 'Marked /user.slice/user-1000.slice/user@1000.service/app.slice/x.scope '
                                              'for killing due to memory pressure for /user.slice/user-1000.slice/'
                                              'user@1000.service being 62.10% > 50.00% for > 20s with reclaim activity')
    assert kind == 'oomd' and f['cgroup'].endswith('/x.scope')
    kind, f = parse_userspace('systemd-oomd', 'Marked /system.slice/a.service for killing due to memory used (1) / '
                                              'total (2) and swap used (3) / total (4) being more than 90.00%')
    assert f == {'cgroup': '/system.slice/a.service', 'reason': 'memory used'}


def test_earlyoom_oldest_wording_real():
    kind, f = parse_userspace(*real('045', 'Killing process'))
    assert (kind, f) == ('earlyoom', {'pid': 5874, 'comm': 'bash', 'uid': None, 'signal': 'SIGTERM'})


def test_earlyoom_newest_wording_real_drops_cmdline():
    kind, f = parse_userspace(*real('052', 'sending SIGTERM'))
    assert (kind, f) == ('earlyoom', {'pid': 1024668, 'comm': 'Web Content', 'uid': 1000, 'signal': 'SIGTERM'})


def test_synthetic_earlyoom_middle_wordings_and_quotes_in_name():
    # SYNTHETIC: earlyoom 1.2-1.6 ("badness"), 1.7 (oom_score + cmdline), SIGKILL escalation
    assert parse_userspace('earlyoom', 'sending SIGTERM to process 42 uid 1000 "my "odd" app": badness 900, '
                                       'VmRSS 3000 MiB')[1]['comm'] == 'my "odd" app'
    f = parse_userspace(None, 'sending SIGKILL to process 42 uid 0 "x": oom_score 5, oom_score_adj 0, badness 9 KiB, '
                              'VmRSS 1 MiB, ordering x, cmdline "x --password=hunter2"')[1]
    assert f == {'pid': 42, 'comm': 'x', 'uid': 0, 'signal': 'SIGKILL'}
    assert parse_userspace('earlyoom', 'escalating to SIGKILL after 0.5 seconds') is None
    assert parse_userspace('earlyoom', 'kill_release: pid=1024668: process_mrelease pidfd=4 success') is None


def test_notices():
    kind, f = parse_userspace(*real('043', 'killed by the OOM killer'))
    assert (kind, f) == ('notice', {'unit': 'postgresql.service', 'killer': 'kernel'})
    # the result names no killer: systemd sets it after systemd-oomd's kills too
    kind, f = parse_userspace(*real('043', "result 'oom-kill'"))
    assert (kind, f) == ('notice', {'unit': 'postgresql.service', 'killer': None})
    # 039's notice comes from a user's manager (systemd[1837]), not PID 1: its header is not believed, the text
    # itself still parses (the kill is systemd-oomd's own line in the same file)
    ident, msg = real('039', 'systemd-oomd killed 12')
    assert ident == 'untrusted:systemd' and parse_userspace(ident, msg) is None
    kind, f = parse_userspace('systemd', msg)
    assert f == {'unit': 'vte-spawn-dbb4a75e-031f-480d-924b-5de5af7579d2.scope', 'killer': 'systemd-oomd'}
    assert parse_userspace(*real('043', 'Main process exited')) is None


def test_ident_selects_the_parser():
    assert parse_userspace('dockerd', 'Killed /system.slice/x.service due to memory pressure for / being 1%') is None
    assert parse_userspace('kernel', 'sending SIGTERM to process 1 uid 0 "a": badness 1, VmRSS 1 MiB') is None


def test_unit_from_cgroup_paths():
    cid = 'f' * 64
    assert unit_from_cgroup('/libpod_parent/libpod-%s/system.slice/hog.service' % cid) == 'hog.service'
    assert unit_from_cgroup('/docker/' + cid) == cid
    assert unit_from_cgroup('/system.slice/docker-%s.scope' % cid) == cid
    assert unit_from_cgroup('/machine.slice/libpod-%s.scope/container' % cid) == cid
    assert unit_from_cgroup('/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice/'
                            'cri-containerd-%s.scope' % cid) == cid
    assert unit_from_cgroup('/kubepods/burstable/pod6f1c/' + cid) == cid
    assert unit_from_cgroup('/system.slice/nginx.service/payload') == 'nginx.service'
    assert unit_from_cgroup('/user.slice/user-1000.slice') == 'user-1000.slice'
    assert unit_from_cgroup('/oomtest') is None
    assert unit_from_cgroup('/') is None
    assert unit_from_cgroup(None) is None


def test_slice_depth():
    assert [slice_depth(u) for u in ('-.slice', 'user.slice', 'user-1000.slice')] == [0, 1, 2]
