# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""OOM events assembled from REAL log text (tests/unit/fixtures/oom, see its README for the sources).

Expectations are those of tests/unit/fixtures/oom/README.md (copied from the shared samples' index) and,
for the 2xx captures, what the capture script did (see CAPTURE.md). Synthetic lines are marked as such.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import time

import pytest

from ansible_collections.headroom.memory.plugins.module_utils.oom.events import EVENT_KEYS, VICTIM_KEYS, build_history
from ansible_collections.headroom.memory.plugins.module_utils.oom.lines import split_json, split_line

FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'unit', 'fixtures', 'oom')
REF = time.mktime((2026, 11, 25, 23, 0, 0, 0, 0, -1))


pytestmark = pytest.mark.usefixtures('utc')  # conftest.py


def fixture_path(prefix):
    names = [n for n in os.listdir(FIXTURES) if n.startswith(prefix)]
    assert len(names) == 1, names
    return os.path.join(FIXTURES, names[0])


def records_of(prefix):
    records = []
    with open(fixture_path(prefix), encoding='utf-8') as f:
        for line in f:
            if line.startswith('{'):
                records.extend(split_json(line))
            else:
                records.append(split_line(line, REF))
    return records


def history(*prefixes):
    return build_history([('file:' + p, records_of(p)) for p in prefixes])


def kills(events):
    return [(e['victim']['pid'], e['victim']['comm']) for e in events]


def test_every_event_has_exactly_the_schema():
    events, counts = history('002', '006', '016', '018', '031', '039', '043', '045', '052', '101')
    assert events
    for event in events:
        assert tuple(sorted(event)) == tuple(sorted(EVENT_KEYS))
        assert tuple(sorted(event['victim'])) == tuple(sorted(VICTIM_KEYS))
        assert event['trigger'] is None or sorted(event['trigger']) == sorted(
            ['pid', 'comm', 'gfp_mask', 'order', 'oom_score_adj'])
        assert event['killer'] in ('kernel', 'systemd-oomd', 'earlyoom')
        assert event['scope'] in (None, 'global', 'memcg')
        assert isinstance(event['complete'], bool)
        assert event['sources']
    assert sorted(counts) == ['by_comm', 'by_killer', 'by_unit']


def test_002_rhel6_kill_process_then_killed_uid_comma():
    events, _unused = history('002')
    assert len(events) == 1
    e = events[0]
    assert (e['victim']['pid'], e['victim']['comm'], e['victim']['uid']) == (62185, 'httpd', 48)
    assert e['victim']['anon_rss_kb'] == 198916
    assert e['victim']['total_vm_kb'] == 732728
    assert e['victim']['file_rss_kb'] == 2288
    assert e['victim']['shmem_rss_kb'] is None
    assert (e['scope'], e['killer'], e['complete']) == ('global', 'kernel', True)
    assert e['uptime_s'] == pytest.approx(668192.383946)
    assert e['time'] == '2026-04-12T10:23:59Z'


def test_006_rhel7_memcg_repeated_kills_and_cut_off_selection():
    events, counts = history('006')
    complete = [e for e in events if e['complete']]
    assert kills(complete) == [(42452, 'memcg_test_1'), (42453, 'memcg_test_1'), (42474, 'memcg_test_1'),
                               (42471, 'memcg_test_1'), (42468, 'memcg_test_1')]
    assert all(e['victim']['anon_rss_kb'] == 96 and e['victim']['uid'] == 0 for e in complete)
    # the first Killed line has no selection line before it: its scope is not guessed
    assert complete[0]['scope'] is None
    assert all(e['scope'] == 'memcg' for e in complete[1:])
    # the 6th selection line (42469) has no Killed line: listed, but not complete
    cut = [e for e in events if not e['complete']]
    assert kills(cut) == [(42469, 'memcg_test_1')]
    assert cut[0]['victim']['anon_rss_kb'] is None
    assert counts['by_killer'] == {'kernel': 6}


def test_016_parenthesised_comm_and_reaper_lines_are_not_kills():
    events, counts = history('016')
    assert kills(events) == [(15784, 'python3'), (15925, '(resolved)'), (15783, 'python3'), (15934, '(resolved)')]
    assert [e['victim']['anon_rss_kb'] for e in events] == [4288, 4064, 4288, 4064]
    assert all(e['scope'] == 'global' and e['victim']['uid'] is None for e in events)
    assert counts['by_comm'] == {'python3': 2, '(resolved)': 2}


def test_018_memcg_kill_then_head_of_next_report():
    events, _unused = history('018')
    assert len(events) == 2
    kill, head = events
    assert (kill['victim']['pid'], kill['victim']['comm'], kill['victim']['uid']) == (63214, 'uwsgi', 0)
    assert kill['victim']['anon_rss_kb'] == 164992
    assert kill['victim']['shmem_rss_kb'] == 92
    assert kill['victim']['pgtables_kb'] == 1372
    assert kill['victim']['oom_score_adj'] == 986
    assert kill['scope'] == 'memcg' and kill['complete'] is True
    assert head['complete'] is False
    assert head['victim']['pid'] is None
    assert head['trigger'] == {'pid': 63635, 'comm': 'uwsgi', 'gfp_mask': '0xcc0(GFP_KERNEL)', 'order': 0,
                               'oom_score_adj': 986}
    assert head['uptime_s'] == pytest.approx(7093.543707)


def test_024_single_letter_comm_sacrifice_child():
    events, _unused = history('024')
    assert kills(events) == [(27438, 'R')]
    assert events[0]['victim']['anon_rss_kb'] == 1041924
    assert events[0]['scope'] == 'global'


def test_028_three_kills_in_one_second_without_selection_lines():
    events, _unused = history('028')
    assert kills(events) == [(449360, 'python'), (449361, 'python'), (449479, 'python')]
    assert [e['victim']['anon_rss_kb'] for e in events] == [80352, 85128, 90404]
    assert [e['victim']['pgtables_kb'] for e in events] == [368, 376, 400]
    assert all(e['scope'] == 'global' and e['trigger'] is None for e in events)


def test_031_container_task_killed_by_global_oom_gets_container_id():
    events, counts = history('031')
    assert len(events) == 1
    e = events[0]
    cid = 'd1dfb06deee8498945c4fa337c6ec6d8336755e2f7be147ec3ec9190bfe224cc'
    assert (e['victim']['pid'], e['victim']['comm'], e['victim']['anon_rss_kb']) == (50111, 'main', 197036)
    assert e['constraint'] == 'CONSTRAINT_NONE'
    assert e['scope'] == 'global'
    assert e['oom_memcg'] is None
    assert e['task_memcg'] == '/docker/' + cid
    assert e['unit'] == cid
    assert counts['by_unit'] == {cid: 1}


def test_039_systemd_oomd_kill_has_cgroup_no_pid_and_notice_is_not_a_second_kill():
    events, counts = history('039')
    assert len(events) == 1
    e = events[0]
    assert e['killer'] == 'systemd-oomd'
    assert e['cgroup'] == ('/user.slice/user-1001.slice/user@1001.service/app.slice/app-org.gnome.Terminal.slice/'
                           'vte-spawn-dbb4a75e-031f-480d-924b-5de5af7579d2.scope')
    assert e['unit'] == 'vte-spawn-dbb4a75e-031f-480d-924b-5de5af7579d2.scope'
    assert e['victim']['pid'] is None and e['victim']['anon_rss_kb'] is None
    assert e['scope'] is None and e['constraint'] is None
    assert e['complete'] is True
    assert counts['by_killer'] == {'systemd-oomd': 1}


def test_043_pid1_notices_without_kernel_lines_give_one_incomplete_kernel_event():
    events, counts = history('043')
    assert len(events) == 1
    e = events[0]
    assert (e['killer'], e['unit'], e['complete']) == ('kernel', 'postgresql.service', False)
    assert e['victim']['pid'] is None
    assert counts['by_unit'] == {'postgresql.service': 1}


def test_045_earlyoom_repeated_sigterm_same_pid_is_one_event():
    events, counts = history('045')
    assert len(events) == 1
    e = events[0]
    assert (e['killer'], e['victim']['pid'], e['victim']['comm']) == ('earlyoom', 5874, 'bash')
    assert e['time'] is None and e['uptime_s'] is None
    assert counts['by_killer'] == {'earlyoom': 1}


def test_052_earlyoom_newest_wording_comm_with_space_and_no_cmdline():
    events, _unused = history('052')
    assert len(events) == 1
    e = events[0]
    assert (e['killer'], e['victim']['pid'], e['victim']['comm'], e['victim']['uid']) == (
        'earlyoom', 1024668, 'Web Content', 1000)
    assert 'firefox' not in repr(e)


def test_101_three_memcg_kills_trigger_thread_differs_from_victim():
    events, counts = history('101')
    assert kills(events) == [(5013, 'python3'), (11181, 'Web Content'), (15464, 'my hog (test)')]
    assert [e['victim']['anon_rss_kb'] for e in events] == [65280, 48128, 65152]
    assert [e['victim']['oom_score_adj'] for e in events] == [0, 500, 250]
    assert [e['oom_memcg'] for e in events] == ['/oomtest', '/oomtest2', '/oomtest3']
    assert [e['task_memcg'] for e in events] == ['/oomtest', '/oomtest2', '/oomtest3']
    assert all(e['constraint'] == 'CONSTRAINT_MEMCG' and e['scope'] == 'memcg' for e in events)
    assert [(e['trigger']['pid'], e['trigger']['comm']) for e in events] == [
        (5013, 'python3'), (11672, 'python3'), (15505, 'alloc worker')]
    assert all(e['trigger']['gfp_mask'] == '0xcc0(GFP_KERNEL)' and e['trigger']['order'] == 0 for e in events)
    assert events[2]['trigger']['oom_score_adj'] == 250
    assert all(e['unit'] is None for e in events)
    assert all(e['time'] is None for e in events)  # raw dmesg: kernel time only
    assert [e['uptime_s'] for e in events] == [160.087502, 193.384325, 231.78356]
    assert counts['by_killer'] == {'kernel': 3}


def test_107_short_iso_and_111_json_give_the_same_three_kills():
    for prefix in ('107', '111'):
        events, _unused = history(prefix)
        assert kills(events) == [(5013, 'python3'), (11181, 'Web Content'), (15464, 'my hog (test)')], prefix
        assert events[2]['trigger']['comm'] == 'alloc worker'


def test_111_json_time_is_the_kernel_event_time_not_ingestion():
    events, _unused = history('111')
    # __REALTIME_TIMESTAMP of the first two kills is the same ingestion instant; the events are 33 s apart
    assert [e['uptime_s'] for e in events] == [160.087502, 193.384325, 231.78356]
    assert events[0]['time'] == '2026-11-25T19:10:21.935257Z'
    assert events[1]['time'] == '2026-11-25T19:10:55.232080Z'


def test_cross_source_dedupe_dmesg_short_iso_json_is_one_event_each():
    events, counts = history('101', '107', '111')
    assert kills(events) == [(5013, 'python3'), (11181, 'Web Content'), (15464, 'my hog (test)')]
    for e in events:
        assert sorted(e['sources']) == ['file:101', 'file:107', 'file:111']
        assert e['complete'] is True
    # wall time from the json source (kernel time + boot), not from short-iso's ingestion time
    assert events[0]['time'] == '2026-11-25T19:10:21.935257Z'
    assert counts['by_comm'] == {'python3': 1, 'Web Content': 1, 'my hog (test)': 1}


def test_captured_kills_with_odd_comms_across_every_dmesg_format():
    expected = [(14811, 'my hog (x)'), (14829, 'runc:[2:INIT]'), (14830, '(resolved)')]
    for prefix in ('201', '202', '203', '204', '205'):
        events, _unused = history(prefix)
        assert kills(events) == expected, prefix
        assert [e['victim']['oom_score_adj'] for e in events] == [300, 0, 100], prefix
        assert [e['trigger']['comm'] for e in events] == ['my hog (x)', 'runc:[2:INIT]', 'hog worker 1'], prefix
        assert events[2]['trigger']['pid'] == 14831, prefix
    merged, _unused = history('201', '202', '203', '204', '205')
    assert kills(merged) == expected
    assert all(len(e['sources']) == 5 for e in merged)
    assert merged[0]['time'] == '2026-11-25T22:10:08.224173Z'


def test_captured_service_and_kubepods_paths_name_unit_and_container():
    events, counts = history('211', '212', '213')
    assert kills(events) == [(14976, 'hog svc'), (14977, 'java')]
    assert events[0]['unit'] == 'hrcap-oom.service'
    assert events[0]['task_memcg'] == '/hrcap.slice/hrcap-oom.service'
    assert events[1]['unit'] == '4b5d6c0e7f8a9b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c'
    assert events[1]['victim']['oom_score_adj'] == 900
    assert counts['by_unit']['hrcap-oom.service'] == 1
    assert all(len(e['sources']) == 3 for e in events)


# ---- synthetic sequences (built from the kernel's and systemd's format strings) ----

def _kill_line(pid, comm, anon, prefix='Memory cgroup out of memory: '):
    return ('%sKilled process %d (%s) total-vm:75176kB, anon-rss:%dkB, file-rss:6664kB, shmem-rss:0kB, UID:0 '
            'pgtables:192kB oom_score_adj:0' % (prefix, pid, comm, anon))


def test_synthetic_pid_reuse_far_apart_stays_two_events():
    a = [split_line('Nov 20 10:00:00 h kernel: ' + _kill_line(4242, 'worker', 1000), REF)]
    b = [split_line('Nov 24 10:00:00 h kernel: ' + _kill_line(4242, 'worker', 1000), REF)]
    events, counts = build_history([('file:a', a), ('file:b', b)])
    assert len(events) == 2
    assert counts['by_comm'] == {'worker': 2}


def test_synthetic_same_kill_wall_clock_only_and_uptime_only_merge_by_sizes():
    wall_only = [split_line('[Wed Nov 25 22:10:08 2026] ' + _kill_line(77, 'hog', 5555))]
    up_only = [split_line('[ 7144.224173] ' + _kill_line(77, 'hog', 5555))]
    other = [split_line('[ 9144.224173] ' + _kill_line(77, 'hog', 6666))]
    events, _unused = build_history([('file:T', wall_only), ('kmsg', up_only), ('file:x', other)])
    assert len(events) == 2
    merged = [e for e in events if len(e['sources']) == 2][0]
    assert sorted(merged['sources']) == ['file:T', 'kmsg']
    assert merged['time'] == '2026-11-25T22:10:08Z' and merged['uptime_s'] == pytest.approx(7144.224173)


def test_synthetic_noise_between_report_lines_does_not_break_it():
    lines = [
        'Nov 25 10:00:00 h kernel: [  100.000001] java invoked oom-killer: gfp_mask=0x6200ca(GFP_HIGHUSER_MOVABLE), '
        'nodemask=(null), order=0, oom_score_adj=0',
        'Nov 25 10:00:00 h sshd[12]: Accepted publickey for deploy from 10.0.0.1 port 22 ssh2',
        'Nov 25 10:00:00 h kernel: [  100.000002] CPU: 3 PID: 999 Comm: java Not tainted 4.19.0-8-amd64 #1 Debian',
        'Nov 25 10:00:00 h dockerd[5]: level=info msg="Killed process 1 (fake) is not a kernel line"',
        'Nov 25 10:00:00 h kernel: [  100.000003] oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,'
        'mems_allowed=0,global_oom,task_memcg=/system.slice/app.service,task=java,pid=999,uid=1000',
        'Nov 25 10:00:00 h CRON[7]: (root) CMD (true)',
        'Nov 25 10:00:00 h kernel: [  100.000004] Out of memory: Killed process 999 (java) total-vm:100kB, '
        'anon-rss:50kB, file-rss:0kB, shmem-rss:0kB, UID:1000 pgtables:4kB oom_score_adj:0',
    ]
    events, _unused = build_history([('file:x', [split_line(line, REF) for line in lines])])
    assert len(events) == 1
    e = events[0]
    assert e['trigger']['pid'] == 999 and e['trigger']['gfp_mask'] == '0x6200ca(GFP_HIGHUSER_MOVABLE)'
    assert (e['scope'], e['constraint'], e['unit']) == ('global', 'CONSTRAINT_NONE', 'app.service')
    assert e['victim']['uid'] == 1000


def test_synthetic_split_oom_kill_line_is_joined():
    lines = [
        '[  200.000001] bash invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0',
        '[  200.000002] oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,'
        'oom_memcg=/system.slice/db.service,task_memcg=/system.slice/db.service',
        '[  200.000003] ,task=postgres,pid=321,uid=105',
        '[  200.000004] Memory cgroup out of memory: Killed process 321 (postgres) total-vm:1000kB, anon-rss:900kB, '
        'file-rss:0kB, shmem-rss:0kB, UID:105 pgtables:8kB oom_score_adj:0',
    ]
    events, _unused = build_history([('kmsg', [split_line(line) for line in lines])])
    assert len(events) == 1
    e = events[0]
    assert (e['oom_memcg'], e['task_memcg'], e['unit']) == (
        '/system.slice/db.service', '/system.slice/db.service', 'db.service')
    assert e['scope'] == 'memcg'


def test_synthetic_task_in_line_gives_memcgs_on_old_kernels():
    lines = [
        'Mar  1 10:00:00 h kernel: [  50.1] java invoked oom-killer: gfp_mask=0xd0, order=0, oom_score_adj=0',
        'Mar  1 10:00:00 h kernel: [  50.2] Task in /docker/' + 'a' * 64 + ' killed as a result of limit of /docker/'
        + 'a' * 64,
        'Mar  1 10:00:00 h kernel: [  50.3] Memory cgroup out of memory: Kill process 31 (java) score 999 or sacrifice child',
        'Mar  1 10:00:00 h kernel: [  50.4] Killed process 31 (java) total-vm:100kB, anon-rss:90kB, file-rss:1kB',
    ]
    events, _unused = build_history([('file:m', [split_line(line, REF) for line in lines])])
    assert len(events) == 1
    e = events[0]
    assert (e['scope'], e['unit'], e['task_memcg']) == ('memcg', 'a' * 64, '/docker/' + 'a' * 64)
    assert e['trigger']['gfp_mask'] == '0xd0'


def test_synthetic_pid1_fanout_annotates_kernel_event_with_leaf_unit():
    lines = [
        '2026-11-25T10:00:00+00:00 h kernel: Memory cgroup out of memory: Killed process 4000 (hog) total-vm:100kB, '
        'anon-rss:90kB, file-rss:1kB, shmem-rss:0kB, UID:0 pgtables:4kB oom_score_adj:0',
        '2026-11-25T10:00:01+00:00 h systemd[1]: hog-test.service: A process of this unit has been killed by the OOM '
        'killer.',
        '2026-11-25T10:00:01+00:00 h systemd[1]: system.slice: A process of this unit has been killed by the OOM killer.',
        '2026-11-25T10:00:01+00:00 h systemd[1]: -.slice: A process of this unit has been killed by the OOM killer.',
        "2026-11-25T10:00:01+00:00 h systemd[1]: hog-test.service: Failed with result 'oom-kill'.",
    ]
    events, counts = build_history([('journal', [split_line(line) for line in lines])])
    assert len(events) == 1
    assert events[0]['unit'] == 'hog-test.service'
    assert events[0]['victim']['pid'] == 4000
    assert counts['by_unit'] == {'hog-test.service': 1}


def test_oomd_kill_and_its_oom_kill_result_are_one_oomd_event():
    # the journal of a Debian 12 VM (systemd 252) after systemd-oomd killed a thrashing unit (molecule/cgroup-v2);
    # trixie's systemd 257 wrote the same lines
    lines = [
        '2026-12-01T05:14:01+00:00 vm systemd-oomd[412]: Killed /hr.slice/hr-oomd.slice/hr-thrash.service due to '
        'memory pressure for /hr.slice/hr-oomd.slice being 20.50% > 10.00% for > 5s with reclaim activity',
        '2026-12-01T05:14:01+00:00 vm systemd[1]: hr-thrash.service: systemd-oomd killed 1 process(es) in this unit.',
        '2026-12-01T05:14:01+00:00 vm systemd[1]: hr-thrash.service: Main process exited, code=killed, status=9/KILL',
        "2026-12-01T05:14:01+00:00 vm systemd[1]: hr-thrash.service: Failed with result 'oom-kill'.",
    ]
    events, counts = build_history([('journal', [split_line(line) for line in lines])])
    assert [(e['killer'], e['unit'], e['cgroup']) for e in events] == [
        ('systemd-oomd', 'hr-thrash.service', '/hr.slice/hr-oomd.slice/hr-thrash.service')]
    assert counts['by_killer'] == {'systemd-oomd': 1}


def test_an_oom_kill_result_alone_is_kept_as_an_incomplete_kernel_kill_but_never_joins_earlyoom():
    lines = [
        '2026-12-01T05:14:00+00:00 vm earlyoom[90]: sending SIGTERM to process 77 uid 0 "hog": badness 900, VmRSS 900 MiB',
        "2026-12-01T05:14:01+00:00 vm systemd[1]: hog.service: Failed with result 'oom-kill'.",
    ]
    events, _unused = build_history([('journal', [split_line(line) for line in lines])])
    assert sorted((e['killer'], e['unit'], e['complete']) for e in events) == [
        ('earlyoom', None, True), ('kernel', 'hog.service', False)]


def test_a_slice_only_fan_out_names_the_kill_it_echoes_by_its_deepest_slice():
    """A scope gone before systemd read its counter leaves only its slices' notices: they name the kernel's
    kill of that moment (by the deepest slice)."""
    lines = [
        '2026-11-25T10:00:00+00:00 h kernel: ' + _kill_line(4242, 'worker', 1000, prefix='Out of memory: '),
        '2026-11-25T10:00:01+00:00 h systemd[1]: user-1000.slice: A process of this unit has been killed by the OOM '
        'killer.',
        '2026-11-25T10:00:01+00:00 h systemd[1]: user.slice: A process of this unit has been killed by the OOM killer.',
    ]
    events, _unused = build_history([('journal', [split_line(line) for line in lines])])
    assert [(e['killer'], e['unit'], e['victim']['pid'], e['complete']) for e in events] == [
        ('kernel', 'user-1000.slice', 4242, True)]


def test_a_slice_notice_with_no_kill_to_name_is_no_kill():
    """systemd 252 wrote this on the bookworm VM minutes after the last kill, after a daemon-reload, while
    nothing was killed: a slice holds no process, so alone its notice is a counter read again. Counted, it
    failed remediate's health gate with a kill that never happened."""
    lines = [
        '2026-12-01T08:13:50+00:00 vm systemd[1]: system.slice: A process of this unit has been killed by the OOM '
        'killer.',
        '2026-12-01T08:14:10+00:00 h systemd[1]: user-1000.slice: A process of this unit has been killed by the OOM '
        'killer.',
        '2026-12-01T08:14:10+00:00 h systemd[1]: user.slice: A process of this unit has been killed by the OOM killer.',
    ]
    assert build_history([('journal', [split_line(line) for line in lines])])[0] == []
    # a unit's lone notice is still kept: its kill's kernel record may have left the ring buffer
    unit = '2026-12-01T08:15:00+00:00 vm systemd[1]: hr.service: A process of this unit has been killed by the OOM killer.'
    [event] = build_history([('journal', [split_line(line) for line in lines + [unit]])])[0]
    assert (event['killer'], event['unit'], event['complete']) == ('kernel', 'hr.service', False)


def test_since_drops_old_events_but_keeps_events_of_unknown_time():
    old = [split_line('Nov 01 10:00:00 h kernel: ' + _kill_line(1, 'old', 1), REF)]
    new = [split_line('Nov 25 10:00:00 h kernel: ' + _kill_line(2, 'new', 1), REF)]
    unknown = [split_line('[  5.0] ' + _kill_line(3, 'dmesg', 1))]
    cutoff = time.mktime((2026, 11, 20, 0, 0, 0, 0, 0, -1))
    events, counts = build_history([('a', old), ('b', new), ('c', unknown)], since=cutoff)
    assert kills(events) == [(2, 'new'), (3, 'dmesg')]
    assert counts['by_comm'] == {'new': 1, 'dmesg': 1}


def test_synthetic_oom_group_kills_share_the_report_and_a_late_kill_does_not():
    # SYNTHETIC (mm/oom_kill.c >= 4.19 with memory.oom.group=1): one report, several kill lines an instant apart
    lines = [
        '[  300.000001] gunicorn invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0',
        '[  300.000002] CPU: 0 PID: 600 Comm: gunicorn Not tainted 6.1.0-13-amd64 #1 Debian 6.1.55-1',
        '[  300.000003] oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,'
        'oom_memcg=/system.slice/web.service,task_memcg=/system.slice/web.service,task=gunicorn,pid=601,uid=33',
        '[  300.000004] ' + _kill_line(601, 'gunicorn', 100),
        '[  300.000005] Tasks in /system.slice/web.service are going to be killed due to memory.oom.group set',
        '[  300.000006] ' + _kill_line(600, 'gunicorn', 90),
        '[  300.000007] ' + _kill_line(602, 'gunicorn', 80),
        '[  390.000000] ' + _kill_line(603, 'gunicorn', 70),
    ]
    events, counts = build_history([('kmsg', [split_line(line) for line in lines])])
    assert kills(events) == [(601, 'gunicorn'), (600, 'gunicorn'), (602, 'gunicorn'), (603, 'gunicorn')]
    assert all(e['trigger']['pid'] == 600 and e['unit'] == 'web.service' for e in events[:3])
    assert events[3]['trigger'] is None and events[3]['oom_memcg'] is None
    assert counts['by_comm'] == {'gunicorn': 4}


def test_synthetic_sacrifice_child_kill_of_another_pid_is_one_event():
    # SYNTHETIC (2.6.32 .. 4.x): the selected parent sacrifices a child, whose pid is the one killed
    lines = [
        'Jan  5 03:00:00 h kernel: [ 10.1] php-fpm invoked oom-killer: gfp_mask=0x201da, order=0, oom_score_adj=0',
        'Jan  5 03:00:00 h kernel: [ 10.2] Out of memory: Kill process 700 (php-fpm) score 900 or sacrifice child',
        'Jan  5 03:00:00 h kernel: [ 10.3] Killed process 701 (php-fpm) total-vm:300kB, anon-rss:200kB, file-rss:1kB',
    ]
    events, _unused = build_history([('file:m', [split_line(line, REF) for line in lines])])
    assert kills(events) == [(701, 'php-fpm')]
    assert (events[0]['scope'], events[0]['complete'], events[0]['trigger']['comm']) == ('global', True, 'php-fpm')


def test_synthetic_selection_after_a_kill_of_the_same_second_is_kept_incomplete():
    lines = [
        '[ 20.1] a invoked oom-killer: gfp_mask=0x201da, order=0, oom_score_adj=0',
        '[ 20.2] Out of memory: Kill process 10 (a) score 9 or sacrifice child',
        '[ 20.3] Killed process 10 (a) total-vm:3kB, anon-rss:2kB, file-rss:1kB',
        '[ 20.4] Out of memory: Kill process 11 (b) score 8 or sacrifice child',
    ]
    events, _unused = build_history([('kmsg', [split_line(line) for line in lines])])
    assert [(e['victim']['pid'], e['complete']) for e in events] == [(10, True), (11, False)]
    assert events[1]['trigger'] is None and events[1]['scope'] == 'global'


def test_captured_kill_inside_podman_systemd_container_and_swapoff_trigger():
    events, _unused = history('221')
    assert kills(events) == [(12937, 'python3'), (20404, 'python3')]
    assert events[0]['unit'] == 'headroom-oomtest-memory-facts-bookworm-222232.service'
    assert events[0]['task_memcg'].startswith('/libpod_parent/libpod-55759d66')
    assert events[1]['unit'] == 'run-p3620-i117628.service'
    assert (events[1]['trigger']['comm'], events[1]['trigger']['pid']) == ('swapoff', 22900)
    assert events[1]['trigger']['gfp_mask'] == '0x100cca(GFP_HIGHUSER_MOVABLE)'
    assert events[1]['victim']['anon_rss_kb'] == 35328
