# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""OOM events: the tolerances and tie-breaks that decide whether two lines are one kill, at their edges
(issue #10: mutation testing found them unpinned). SYNTHETIC records built from the kernel's, earlyoom's,
systemd-oomd's and systemd's format strings (see test_oom_events.py for the real captures); records are
``(wall, uptime, ident, pid, msg)`` as oom.lines returns them."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.headroom.memory.plugins.module_utils.oom.events import (
    EARLYOOM_REPEAT, NOTICE_ANY_TOLERANCE, NOTICE_UNIT_TOLERANCE, OOMD_TOLERANCE, SHARED_REPORT, UPTIME_TOLERANCE,
    WALL_TOLERANCE, build_history, count_events, events_from_records, is_oom_record, new_event)

T0 = 1764000000.0  # 2025-11-24T16:00:00Z


def killed(pid=77, comm='hog', anon=5555, prefix='Out of memory: '):
    return ('%sKilled process %d (%s) total-vm:9000kB, anon-rss:%dkB, file-rss:10kB, shmem-rss:0kB, UID:0 '
            'pgtables:8kB oom_score_adj:0' % (prefix, pid, comm, anon))


def kern(msg, wall=None, up=None):
    return (wall, up, 'kernel', None, msg)


def invoked(comm='hog'):
    return '%s invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0' % comm


def notice(unit, wall, oomd=False):
    text = 'systemd-oomd killed 3 process(es) in this unit.' if oomd else \
        'A process of this unit has been killed by the OOM killer.'
    return (wall, None, 'systemd', 1, '%s: %s' % (unit, text))


def pids(events):
    return [e['victim']['pid'] for e in events]


def test_the_tolerances_are_the_documented_ones():
    assert (UPTIME_TOLERANCE, WALL_TOLERANCE, EARLYOOM_REPEAT, OOMD_TOLERANCE) == (1.0, 300.0, 60.0, 5.0)
    assert (NOTICE_UNIT_TOLERANCE, NOTICE_ANY_TOLERANCE, SHARED_REPORT) == (60.0, 10.0, 1.0)


# --- the same kill in several sources -----------------------------------------------------------------------

@pytest.mark.parametrize('delta, merged', [(0.0, True), (1.0, True), (1.5, False)])
def test_kernel_times_within_one_second_are_one_kill(delta, merged):
    events, _c = build_history([('a', [kern(killed(), up=100.0)]), ('b', [kern(killed(), up=100.0 + delta)])])
    assert len(events) == (1 if merged else 2)


@pytest.mark.parametrize('delta, merged', [(300.0, True), (301.0, False)])
def test_wall_times_within_five_minutes_are_one_kill(delta, merged):
    events, _c = build_history([('a', [kern(killed(), wall=T0)]), ('b', [kern(killed(), wall=T0 + delta)])])
    assert len(events) == (1 if merged else 2)
    if merged:
        assert events[0]['sources'] == ['a', 'b']


def test_a_kernel_time_that_disagrees_splits_even_when_the_wall_times_agree():
    events, _c = build_history([('a', [kern(killed(), wall=T0, up=100.0)]),
                                ('b', [kern(killed(), wall=T0, up=200.0)])])
    assert len(events) == 2
    # and a wall time that disagrees splits when the kernel times agree
    events, _c = build_history([('a', [kern(killed(), wall=T0, up=100.0)]),
                                ('b', [kern(killed(), wall=T0 + 400, up=100.0)])])
    assert len(events) == 2


def test_one_size_that_differs_or_another_name_splits_a_kill():
    for other in (killed(anon=1), killed(comm='other'), killed(pid=78),
                  killed().replace('total-vm:9000kB', 'total-vm:9001kB')):
        events, _c = build_history([('a', [kern(killed(), up=100.0)]), ('b', [kern(other, up=100.0)])])
        assert len(events) == 2, other
    # file-rss is not compared (it moves while the kernel reclaims)
    events, _c = build_history([('a', [kern(killed(), up=100.0)]),
                                ('b', [kern(killed().replace('file-rss:10kB', 'file-rss:11kB'), up=100.0)])])
    assert len(events) == 1


def test_without_comparable_times_equal_sizes_decide():
    # one source has only the wall clock, the other only the kernel time: the sizes are the evidence
    events, _c = build_history([('a', [kern(killed(), wall=T0)]), ('b', [kern(killed(), up=100.0)])])
    assert len(events) == 1 and events[0]['uptime_s'] == 100.0 and events[0]['time'] is not None
    # a victim without sizes (an oom-kill: summary only) has no evidence: kept apart
    summary = 'oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,' \
              'task_memcg=/,task=hog,pid=77,uid=0'
    events, _c = build_history([('a', [kern(invoked(), wall=T0), kern(summary, wall=T0)]),
                                ('b', [kern(invoked(), up=100.0), kern(summary, up=100.0)])])
    assert len(events) == 2 and all(e['complete'] and e['victim']['anon_rss_kb'] is None for e in events)


@pytest.mark.parametrize('delta, merged', [(60.0, True), (61.0, False)])
def test_earlyoom_signalling_a_pid_again_within_a_minute_is_one_kill(delta, merged):
    line = 'sending SIGTERM to process 5874 uid 1000 "bash": oom_score 900, VmRSS 3160 MiB'
    records = [(T0, None, 'earlyoom', 9, line), (T0 + delta, None, 'earlyoom', 9, line.replace('TERM', 'KILL'))]
    events, counts = build_history([('j', records)])
    assert len(events) == (1 if merged else 2)
    assert events[0]['victim'] == dict(events[0]['victim'], pid=5874, comm='bash', uid=1000)
    assert events[0]['uptime_s'] is None and events[0]['complete'] is True
    assert counts['by_killer'] == {'earlyoom': len(events)}


def test_earlyoom_with_another_name_for_the_pid_is_another_kill():
    records = [(T0, None, 'earlyoom', 9, 'sending SIGTERM to process 5874 "bash": badness 9, VmRSS 1 MiB'),
               (T0 + 1, None, 'earlyoom', 9, 'sending SIGTERM to process 5874 "java": badness 9, VmRSS 1 MiB')]
    assert len(build_history([('j', records)])[0]) == 2


@pytest.mark.parametrize('delta, merged', [(5.0, True), (6.0, False)])
def test_systemd_oomd_kills_of_one_cgroup_within_five_seconds_are_one(delta, merged):
    line = 'Killed /user.slice/user-1000.slice/app.scope due to memory pressure for /user.slice being 60% > 50%'
    records = [(T0, None, 'systemd-oomd', 5, line), (T0 + delta, None, 'systemd-oomd', 5, line)]
    events, _c = build_history([('j', records)])
    assert len(events) == (1 if merged else 2)
    assert events[0]['cgroup'] == '/user.slice/user-1000.slice/app.scope' and events[0]['unit'] == 'app.scope'
    assert events[0]['killer'] == 'systemd-oomd' and events[0]['victim']['pid'] is None
    other = line.replace('app.scope', 'other.scope')
    assert len(build_history([('j', [(T0, None, 'systemd-oomd', 5, line), (T0, None, 'systemd-oomd', 5, other)])])[0]) == 2


def test_the_same_pid_from_two_killers_is_two_events():
    records = [kern(killed(pid=5874, comm='bash'), wall=T0),
               (T0, None, 'earlyoom', 9, 'sending SIGTERM to process 5874 "bash": badness 9, VmRSS 1 MiB')]
    events, counts = build_history([('j', records)])
    assert len(events) == 2 and counts['by_killer'] == {'kernel': 1, 'earlyoom': 1}


# --- which time a merged kill keeps -------------------------------------------------------------------------

def test_the_better_wall_time_wins_a_merge():
    # a fraction of a second beats whole seconds, and a kernel time stamp beats both
    whole = [kern(killed(), wall=T0)]
    fraction = [kern(killed(), wall=T0 + 0.25)]
    stamped = [kern(killed(), wall=T0 + 0.75, up=100.0)]
    assert build_history([('a', whole), ('b', fraction)])[0][0]['time'] == '2025-11-24T16:00:00.250000Z'
    assert build_history([('a', fraction), ('b', stamped)])[0][0]['time'] == '2025-11-24T16:00:00.750000Z'
    assert build_history([('a', whole), ('b', stamped)])[0][0]['time'] == '2025-11-24T16:00:00.750000Z'
    # equally good: the first (oldest) one stays
    later = [kern(killed(), wall=T0 + 1)]
    assert build_history([('a', later), ('b', whole)])[0][0]['time'] == '2025-11-24T16:00:00Z'
    frac_later = [kern(killed(), wall=T0 + 1.5)]
    assert build_history([('a', frac_later), ('b', fraction)])[0][0]['time'] == '2025-11-24T16:00:00.250000Z'


def test_a_merge_fills_what_the_first_source_lacks():
    head = [kern(invoked('java'), up=100.0),
            kern('oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,'
                 'oom_memcg=/system.slice/a.service,task_memcg=/system.slice/a.service,task=java,pid=77,uid=33',
                 up=100.0),
            kern(killed(comm='java', prefix='Memory cgroup out of memory: ').replace(', UID:0', ''), up=100.0)]
    bare = [kern(killed(comm='java', prefix='').replace(', UID:0', ''), wall=T0)]
    events, counts = build_history([('a', bare), ('b', head)])
    [e] = events
    assert (e['scope'], e['constraint'], e['oom_memcg'], e['task_memcg'], e['unit']) == (
        'memcg', 'CONSTRAINT_MEMCG', '/system.slice/a.service', '/system.slice/a.service', 'a.service')
    assert e['victim']['uid'] == 33 and e['uptime_s'] == 100.0 and e['time'] == '2025-11-24T16:00:00Z'
    assert e['trigger']['comm'] == 'java' and e['sources'] == ['a', 'b']
    assert counts == {'by_comm': {'java': 1}, 'by_unit': {'a.service': 1}, 'by_killer': {'kernel': 1}}


def test_the_uptime_is_kept_to_the_microsecond():
    [e] = build_history([('k', [kern(killed(), up=100.12345678)])])[0]
    assert e['uptime_s'] == 100.123457


# --- one report, several kill lines -----------------------------------------------------------------------

@pytest.mark.parametrize('delta', [0.0, 1.0, 1.5])
def test_another_victims_kill_an_instant_later_never_borrows_the_header(delta):
    # under a kill storm the kernel rate-limits the report header: the next victim's kill line stands alone
    records = [kern(invoked(), up=300.0), kern(killed(pid=1), up=300.0), kern(killed(pid=2), up=300.0 + delta)]
    events = build_history([('k', records)])[0]
    assert pids(events) == [1, 2]
    assert events[0]['trigger'] is not None and events[1]['trigger'] is None


@pytest.mark.parametrize('delta', [0.0, 1.0, 2.0])
def test_without_kernel_times_another_victims_kill_never_borrows_the_header(delta):
    records = [kern(invoked(), wall=T0), kern(killed(pid=1), wall=T0), kern(killed(pid=2), wall=T0 + delta)]
    events = build_history([('k', records)])[0]
    assert events[1]['trigger'] is None


def test_a_second_kill_with_no_time_at_all_starts_a_report_of_its_own():
    records = [kern(invoked()), kern(killed(pid=1)), kern(killed(pid=2))]
    events = build_history([('k', records)])[0]
    assert [e['trigger'] is not None for e in events] == [True, False]


def test_the_trigger_pid_comes_only_from_the_cpu_line_of_its_own_comm():
    records = [kern(invoked('java'), up=1.0), kern('CPU: 0 PID: 12 Comm: other Not tainted 6.1.0 #1', up=1.0),
               kern('CPU: 0 PID: 13 Comm: java Not tainted 6.1.0 #1', up=1.0),
               kern('CPU: 1 PID: 14 Comm: java Not tainted 6.1.0 #1', up=1.0), kern(killed(), up=1.0),
               kern('CPU: 1 PID: 15 Comm: java Not tainted 6.1.0 #1', up=1.0)]
    [e] = build_history([('k', records)])[0]
    assert e['trigger'] == {'pid': 13, 'comm': 'java', 'gfp_mask': '0xcc0(GFP_KERNEL)', 'order': 0, 'oom_score_adj': 0}


def test_a_cpu_line_without_a_report_is_ignored():
    records = [kern('CPU: 0 PID: 12 Comm: x Not tainted 6.1.0 #1', up=1.0), kern(killed(), up=2.0)]
    [e] = build_history([('k', records)])[0]
    assert e['trigger'] is None


def test_a_second_summary_line_starts_a_new_report():
    summary = 'oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/,' \
              'task=%s,pid=%d,uid=0'
    records = [kern(invoked(), up=1.0), kern(summary % ('a', 1), up=1.0), kern(summary % ('b', 2), up=1.0)]
    events = build_history([('k', records)])[0]
    assert [(e['victim']['pid'], e['victim']['comm'], e['complete'], e['scope']) for e in events] == [
        (1, 'a', True, 'global'), (2, 'b', True, 'global')]
    assert events[0]['trigger']['comm'] == 'hog' and events[1]['trigger'] is None


def test_a_summary_after_a_kill_starts_a_new_report():
    summary = 'oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/x,' \
              'task_memcg=/x,task=b,pid=2,uid=0'
    records = [kern(invoked(), up=1.0), kern(killed(pid=1, comm='a'), up=1.0), kern(summary, up=1.0)]
    events = build_history([('k', records)])[0]
    assert [(e['victim']['pid'], e['complete'], e['scope']) for e in events] == [(1, True, 'global'), (2, True, 'memcg')]
    assert events[0]['oom_memcg'] is None and events[1]['oom_memcg'] == '/x'


def test_a_split_summary_takes_a_bare_cgroup_path_after_an_equals_sign():
    records = [kern(invoked(), up=1.0),
               kern('oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=', up=1.0),
               kern('/system.slice/db.service', up=1.0),
               kern(',task_memcg=', up=1.0), kern('/system.slice/db.service/x', up=1.0),
               kern(',task=pg,pid=5,uid=7', up=1.0)]
    [e] = build_history([('k', records)])[0]
    assert (e['oom_memcg'], e['task_memcg']) == ('/system.slice/db.service', '/system.slice/db.service/x')
    assert (e['victim']['pid'], e['victim']['comm'], e['victim']['uid'], e['complete']) == (5, 'pg', 7, True)
    assert e['unit'] == 'db.service'


def test_a_piece_that_is_not_a_bare_path_is_not_joined():
    head = kern('oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=', up=1.0)
    for piece in ('/system.slice/a b', 'system.slice/a'):
        [e] = build_history([('k', [kern(invoked(), up=1.0), head, kern(piece, up=1.0)])])[0]
        assert e['oom_memcg'] in (None, ''), piece
    # a piece after a complete summary is not joined either
    full = kern('oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/a,'
                'task_memcg=/a,task=x,pid=1,uid=0', up=1.0)
    [e] = build_history([('k', [kern(invoked(), up=1.0), full, kern('/b', up=1.0)])])[0]
    assert e['oom_memcg'] == '/a'


def test_a_continuation_without_a_comma_gets_one():
    records = [kern(invoked(), up=1.0),
               kern('oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0', up=1.0),
               kern('global_oom,task_memcg=/u.slice,task=z,pid=3,uid=0', up=1.0)]
    [e] = build_history([('k', records)])[0]
    assert (e['task_memcg'], e['victim']['pid'], e['scope']) == ('/u.slice', 3, 'global')


def test_a_report_cut_off_after_its_selection_line_keeps_the_selection():
    records = [kern(invoked(), wall=T0, up=5.0),
               kern('Memory cgroup out of memory: Kill process 9 (x) score 1 or sacrifice child', wall=T0, up=5.0)]
    [e] = build_history([('k', records)])[0]
    assert (e['victim']['pid'], e['victim']['comm'], e['scope'], e['complete']) == (9, 'x', 'memcg', False)
    assert e['uptime_s'] == 5.0 and e['trigger']['comm'] == 'hog'
    # a lone selection line has its own time
    [e] = build_history([('k', [kern('Out of memory: Kill process 9 (x) score 1 or sacrifice child', up=7.0)])])[0]
    assert (e['uptime_s'], e['scope'], e['victim']['pid'], e['trigger']) == (7.0, 'global', 9, None)


def test_a_killed_line_takes_the_uid_of_the_summary_only_for_its_own_pid():
    summary = 'oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/,' \
              'task=hog,pid=%d,uid=55'
    no_uid = killed().replace(', UID:0', '')
    [e] = build_history([('k', [kern(invoked(), up=1.0), kern(summary % 77, up=1.0), kern(no_uid, up=1.0)])])[0]
    assert e['victim']['uid'] == 55
    # pid 78's own header was suppressed: it takes nothing of 77's, whose kill is known from its summary alone
    events = build_history([('k', [kern(invoked(), up=1.0), kern(summary % 78, up=1.0), kern(no_uid, up=1.0)])])[0]
    assert sorted((e['victim']['pid'], e['victim']['uid'], e['trigger'] is not None, e['complete']) for e in events) \
        == [(77, None, False, True), (78, 55, True, True)]


# --- systemd's notices --------------------------------------------------------------------------------------

def unit_kill(wall, unit='a.service'):
    return [kern(invoked(), wall=wall),
            kern('oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,'
                 'oom_memcg=/system.slice/%s,task_memcg=/system.slice/%s,task=hog,pid=77,uid=0' % (unit, unit), wall=wall),
            kern(killed(prefix='Memory cgroup out of memory: '), wall=wall)]


@pytest.mark.parametrize('delta, attached', [(60.0, True), (61.0, False)])
def test_a_notice_names_a_kill_of_its_unit_up_to_a_minute_away(delta, attached):
    events, counts = build_history([('j', unit_kill(T0) + [notice('a.service', T0 + delta)])])
    assert len(events) == (1 if attached else 2)
    assert events[0]['sources'] == ['j'] and events[0]['unit'] == 'a.service'
    if not attached:
        assert (events[1]['victim']['pid'], events[1]['complete'], events[1]['unit']) == (None, False, 'a.service')
        assert counts['by_unit'] == {'a.service': 2}


@pytest.mark.parametrize('delta, attached', [(10.0, True), (11.0, False)])
def test_a_notice_names_a_kill_of_no_unit_up_to_ten_seconds_away(delta, attached):
    events, _c = build_history([('j', [kern(killed(), wall=T0), notice('b.service', T0 + delta)])])
    assert len(events) == (1 if attached else 2)
    assert events[0]['unit'] == ('b.service' if attached else None)


def test_a_notice_from_another_source_is_listed_as_a_source_of_the_kill():
    events, _c = build_history([('kmsg', unit_kill(T0)), ('journal', [notice('a.service', T0 + 1)])])
    assert len(events) == 1 and events[0]['sources'] == ['kmsg', 'journal']


def test_the_nearest_kill_of_the_unit_gets_the_notice_and_a_named_one_beats_an_unnamed_one():
    far = unit_kill(T0)
    near = [kern(invoked(), wall=T0 + 20), kern(killed(pid=88), wall=T0 + 20)]
    events, _c = build_history([('k', far + near), ('j', [notice('a.service', T0 + 21)])])
    # the unnamed kill is nearer, but a kill inside a.service's cgroup ranks first
    assert [(e['victim']['pid'], e['unit'], e['sources']) for e in events] == [
        (77, 'a.service', ['k', 'j']), (88, None, ['k'])]
    a = unit_kill(T0)
    b = [(w, u, i, p, m.replace('pid=77', 'pid=78').replace('process 77', 'process 78')) for w, u, i, p, m in unit_kill(T0 + 30)]
    events, _c = build_history([('k', a + b), ('j', [notice('a.service', T0 + 25)])])
    assert [e['sources'] for e in events] == [['k'], ['k', 'j']]


def test_a_notice_finds_its_unit_in_a_cgroup_path_below_it():
    records = [kern(invoked(), wall=T0),
               kern('oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,'
                    'oom_memcg=/system.slice/app.slice,task_memcg=/system.slice/app.slice/w.service,task=hog,pid=77,uid=0',
                    wall=T0),
               kern(killed(), wall=T0), notice('app.slice', T0 + 30)]
    events, _c = build_history([('j', records)])
    assert len(events) == 1 and events[0]['unit'] == 'w.service'


def test_notices_a_second_apart_are_one_fan_out_and_two_seconds_apart_are_two():
    one = [notice('a.service', T0), notice('system.slice', T0 + 1)]
    assert [e['unit'] for e in build_history([('j', one)])[0]] == ['a.service']
    two = [notice('a.service', T0), notice('b.service', T0 + 2)]
    assert [e['unit'] for e in build_history([('j', two)])[0]] == ['a.service', 'b.service']
    # the same instant in two sources: one fan-out each, one kill
    events = build_history([('j1', [notice('a.service', T0)]), ('j2', [notice('a.service', T0)])])[0]
    assert len(events) == 1 and events[0]['sources'] == ['j1', 'j2']


def test_an_oomd_notice_names_only_an_oomd_kill():
    line = 'Killed /system.slice/a.service due to memory pressure for /system.slice being 60% > 50%'
    records = [(T0, None, 'systemd-oomd', 5, line), kern(killed(), wall=T0), notice('a.service', T0 + 1, oomd=True)]
    events, counts = build_history([('j', records)])
    assert counts['by_killer'] == {'systemd-oomd': 1, 'kernel': 1}
    assert [(e['killer'], e['unit']) for e in events] == [('systemd-oomd', 'a.service'), ('kernel', None)]
    [e] = build_history([('j', [notice('x.scope', T0, oomd=True)])])[0]
    assert (e['killer'], e['unit'], e['complete']) == ('systemd-oomd', 'x.scope', False)


def test_several_leaf_units_of_one_fan_out_each_name_a_kill():
    events = build_history([('j', [notice('a.service', T0), notice('b.service', T0), notice('system.slice', T0)])])[0]
    assert sorted(e['unit'] for e in events) == ['a.service', 'b.service']


# --- ordering, window, counts ------------------------------------------------------------------------------

def test_events_of_unknown_wall_time_come_last_by_kernel_time():
    records = [('a', [kern(killed(pid=1), up=50.0)]), ('b', [kern(killed(pid=2), wall=T0 + 10)]),
               ('c', [kern(killed(pid=3), wall=T0)]), ('d', [kern(killed(pid=4), up=10.0)]),
               ('e', [kern(killed(pid=5))])]
    events = build_history(records)[0]
    assert pids(events) == [3, 2, 5, 4, 1]


def test_the_window_keeps_an_event_exactly_at_its_start():
    records = [('a', [kern(killed(pid=1), wall=T0 - 1)]), ('b', [kern(killed(pid=2), wall=T0)])]
    assert pids(build_history(records, since=T0)[0]) == [2]
    assert pids(build_history(records)[0]) == [1, 2]


def test_counts_skip_unknown_names_and_units():
    a, b, c = new_event('kernel'), new_event('earlyoom'), new_event('kernel')
    a['victim']['comm'], a['unit'] = 'x', 'u.service'
    c['victim']['comm'] = 'x'
    assert count_events([a, b, c]) == {'by_comm': {'x': 2}, 'by_unit': {'u.service': 1},
                                       'by_killer': {'kernel': 2, 'earlyoom': 1}}


def test_new_event_has_every_key_unknown():
    e = new_event('earlyoom')
    assert e['killer'] == 'earlyoom' and e['complete'] is False and e['sources'] == []
    assert all(v is None for v in e['victim'].values()) and e['trigger'] is None and e['time'] is None


def test_is_oom_record_by_identifier():
    assert is_oom_record((None, 1.0, None, None, killed()))
    assert is_oom_record((None, 1.0, 'kernel', None, killed()))
    assert not is_oom_record((None, 1.0, 'sshd', 3, killed()))
    assert is_oom_record((None, None, 'earlyoom', 3, 'sending SIGTERM to process 1 "a": badness 9, VmRSS 1 MiB'))
    assert not is_oom_record((None, None, 'kernel', None, 'sending SIGTERM to process 1 "a": badness 9, VmRSS 1 MiB'))
    assert is_oom_record((None, None, None, None, 'a.service: A process of this unit has been killed by the OOM killer.'))
    assert not is_oom_record((None, None, 'kernel', None, 'eth0: link up'))


def test_a_user_space_line_without_an_identifier_is_still_read():
    events, notices = events_from_records(
        [(T0, None, None, None, 'sending SIGTERM to process 5 "a": badness 9, VmRSS 1 MiB'),
         (T0, None, None, None, 'a.service: A process of this unit has been killed by the OOM killer.')], 's')
    assert [(e['killer'], e['victim']['pid'], e['sources'], e['complete']) for e in events] == [('earlyoom', 5, ['s'], True)]
    assert notices == [{'wall': T0, 'unit': 'a.service', 'killer': 'kernel', 'source': 's', 'seq': 0}]
    # and a kernel-looking line from another program is not a kill
    assert events_from_records([(T0, None, 'dockerd', 3, killed())], 's') == ([], [])


# --- a report cut off in one source and whole in another -------------------------------------------------

def cut_head(up):
    return [kern(invoked('gunicorn'), up=up), kern('CPU: 0 PID: 600 Comm: gunicorn Not tainted 6.1.0 #1', up=up)]


def whole(up, pid=601):
    return cut_head(up) + [kern(killed(pid=pid, comm='gunicorn'), up=up)]


@pytest.mark.parametrize('first', ['cut', 'whole'])
def test_a_report_cut_off_in_one_source_merges_into_the_whole_one_by_its_trigger(first):
    # the first one read is the older one (events are merged oldest first)
    sources = {'cut': ('kmsg', cut_head(300.0 if first == 'cut' else 300.5)),
               'whole': ('file:k', whole(300.0 if first == 'whole' else 300.5))}
    order = [sources[first], sources['whole' if first == 'cut' else 'cut']]
    [e] = build_history(order)[0]
    assert (e['victim']['pid'], e['complete'], e['trigger']['pid']) == (601, True, 600)
    assert sorted(e['sources']) == ['file:k', 'kmsg']


def test_a_cut_off_report_far_from_the_kill_or_of_another_trigger_stays_apart():
    far = build_history([('kmsg', cut_head(100.0)), ('file:k', whole(300.0))])[0]
    assert [(e['victim']['pid'], e['complete']) for e in far] == [(None, False), (601, True)]
    other = [(w, u, i, p, m.replace('PID: 600', 'PID: 700')) for w, u, i, p, m in cut_head(300.0)]
    apart = build_history([('kmsg', other), ('file:k', whole(300.0))])[0]
    assert sorted((e['victim']['pid'] or 0, e['trigger']['pid']) for e in apart) == [(0, 700), (601, 600)]


def test_two_cut_off_reports_of_one_trigger_in_two_sources_are_one():
    [e] = build_history([('kmsg', cut_head(300.0)), ('file:k', cut_head(300.2))])[0]
    assert (e['victim']['pid'], e['complete'], e['trigger']['pid'], sorted(e['sources'])) == (
        None, False, 600, ['file:k', 'kmsg'])


def test_kills_of_one_trigger_with_different_victims_stay_apart():
    events = build_history([('kmsg', whole(300.0, pid=601)), ('file:k', whole(300.0, pid=602))])[0]
    assert sorted(pids(events)) == [601, 602]


# --- survivors of the first edge run -------------------------------------------------------------------------

def test_a_cut_off_report_keeps_its_wall_time_from_the_head_or_the_selection():
    [e] = build_history([('k', [kern(invoked(), wall=T0)])])[0]
    assert (e['time'], e['complete']) == ('2025-11-24T16:00:00Z', False)
    sel = 'Out of memory: Kill process 9 (x) score 1 or sacrifice child'
    [e] = build_history([('k', [kern(sel, wall=T0 + 5)])])[0]
    assert (e['time'], e['victim']['pid']) == ('2025-11-24T16:00:05Z', 9)


def test_two_selections_without_a_kill_are_two_cut_off_reports():
    sel = 'Out of memory: Kill process %d (x) score 1 or sacrifice child'
    events = build_history([('k', [kern(sel % 1, up=1.0), kern(sel % 2, up=1.0)])])[0]
    assert [(e['victim']['pid'], e['complete']) for e in events] == [(1, False), (2, False)]


@pytest.mark.parametrize('time', [{'wall': T0}, {'up': 9.0}])
def test_a_selection_an_instant_after_a_kill_is_a_report_of_its_own(time):
    sel = 'Out of memory: Kill process %d (hog) score 1 or sacrifice child'
    records = [kern(invoked(), **time), kern(sel % 1, **time), kern(killed(pid=1), **time), kern(sel % 2, **time),
               kern(killed(pid=2), **time)]
    events = build_history([('k', records)])[0]
    # a header serves one selection: the second one's own header was suppressed
    assert [(e['victim']['pid'], e['trigger'] is not None) for e in events] == [(1, True), (2, False)]


def test_an_old_task_in_line_gives_both_memcgs_and_the_memcg_scope():
    records = [kern(invoked(), up=1.0), kern('Task in /a/b killed as a result of limit of /a', up=1.0),
               kern(killed(prefix=''), up=1.0)]
    [e] = build_history([('k', records)])[0]
    assert (e['task_memcg'], e['oom_memcg'], e['scope']) == ('/a/b', '/a', 'memcg')


def test_a_piece_after_a_whole_summary_changes_nothing():
    full = kern('oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/a,'
                'task_memcg=/a/t,task=x,pid=1,uid=0', up=1.0)
    [e] = build_history([('k', [kern(invoked(), up=1.0), full, kern('task_memcg=/other', up=1.0)])])[0]
    assert (e['oom_memcg'], e['task_memcg'], e['victim']['pid']) == ('/a', '/a/t', 1)


def test_user_space_text_from_another_program_is_not_a_kill():
    line = 'sending SIGTERM to process 5 "a": badness 9, VmRSS 1 MiB'
    assert events_from_records([(T0, None, 'cron', 3, line)], 's') == ([], [])
    assert not is_oom_record((T0, None, 'cron', 3, line))
    assert not is_oom_record((T0, None, 'cron', 3, NOTICE_LINE))


NOTICE_LINE = 'a.service: A process of this unit has been killed by the OOM killer.'


def test_summaries_alone_at_the_same_kernel_time_are_one_kill():
    summary = 'oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,' \
              'task_memcg=/,task=hog,pid=77,uid=0'
    events = build_history([('a', [kern(invoked(), up=100.0), kern(summary, up=100.0)]),
                            ('b', [kern(invoked(), up=100.5), kern(summary, up=100.5)])])[0]
    assert len(events) == 1 and events[0]['sources'] == ['a', 'b']


def test_a_merge_fills_the_trigger_fields_the_first_source_lacks():
    a = [kern(invoked('gunicorn'), wall=T0), kern(killed(pid=601, comm='gunicorn'), wall=T0)]
    b = [kern(invoked('gunicorn'), up=5.0), kern('CPU: 0 PID: 600 Comm: gunicorn Not tainted 6.1.0 #1', up=5.0),
         kern(killed(pid=601, comm='gunicorn'), up=5.0)]
    [e] = build_history([('a', a), ('b', b)])[0]
    assert e['trigger']['pid'] == 600 and e['trigger']['comm'] == 'gunicorn'


def test_an_event_without_any_time_sorts_before_kernel_times_under_one_second():
    events = build_history([('a', [kern(killed(pid=1), up=0.5)]), ('b', [kern(killed(pid=2))])])[0]
    assert pids(events) == [2, 1]


def test_a_summary_only_report_keeps_its_wall_time():
    summary = 'oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,' \
              'task_memcg=/,task=hog,pid=77,uid=0'
    [e] = build_history([('k', [kern(summary, wall=T0)])])[0]
    assert (e['time'], e['victim']['pid'], e['complete']) == ('2025-11-24T16:00:00Z', 77, True)


def test_a_continuation_that_starts_with_a_key_is_joined_with_a_comma():
    records = [kern(invoked(), up=1.0),
               kern('oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0', up=1.0),
               kern('task_memcg=/u.slice/a.service,task=z,pid=3,uid=0', up=1.0)]
    [e] = build_history([('k', records)])[0]
    assert (e['task_memcg'], e['unit'], e['victim']['pid']) == ('/u.slice/a.service', 'a.service', 3)


def test_a_summary_without_sizes_merges_with_the_kill_line_of_another_source():
    summary = 'oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,' \
              'task_memcg=/,task=hog,pid=77,uid=0'
    events = build_history([('a', [kern(invoked(), up=100.0), kern(summary, up=100.0)]),
                            ('b', [kern(killed(), up=100.2)])])[0]
    assert len(events) == 1 and events[0]['victim']['anon_rss_kb'] == 5555 and events[0]['sources'] == ['a', 'b']


def test_cut_off_reports_of_one_trigger_pid_but_another_name_stay_apart():
    other = [kern(invoked('celery'), up=300.0), kern('CPU: 0 PID: 600 Comm: celery Not tainted 6.1.0 #1', up=300.0)]
    events = build_history([('kmsg', cut_head(300.0)), ('file:k', other)])[0]
    assert sorted(e['trigger']['comm'] for e in events) == ['celery', 'gunicorn']


def test_a_slice_notice_two_seconds_after_a_service_notice_is_a_fan_out_of_its_own():
    # a fan-out of its own, and alone: a slice's lone notice is no kill (a slice holds no process)
    events = build_history([('j', [notice('a.service', T0), notice('system.slice', T0 + 2)])])[0]
    assert [(e['unit'], e['time']) for e in events] == [('a.service', '2025-11-24T16:00:00Z')]
    events = build_history([('j', [notice('a.service', T0), notice('b.service', T0 + 2)])])[0]
    assert [(e['unit'], e['time']) for e in events] == [('a.service', '2025-11-24T16:00:00Z'),
                                                        ('b.service', '2025-11-24T16:00:02Z')]


def test_a_notice_looks_past_kills_of_other_killers_and_units_and_far_kills_of_its_unit():
    oomd = (T0, None, 'systemd-oomd', 5, 'Killed /system.slice/x.service due to memory pressure for / being 60% > 50%')
    other = unit_kill(T0 + 1, 'b.service')
    mine = [(w, u, i, p, m.replace('pid=77', 'pid=78').replace('process 77', 'process 78'))
            for w, u, i, p, m in unit_kill(T0 + 2)]
    events = build_history([('k', [oomd] + other + mine), ('j', [notice('a.service', T0 + 3)])])[0]
    assert [(e['unit'], e['sources']) for e in events] == [('x.service', ['k']), ('b.service', ['k']),
                                                           ('a.service', ['k', 'j'])]
    far = unit_kill(T0 - 200)
    events = build_history([('k', far + mine), ('j', [notice('a.service', T0 + 3)])])[0]
    assert [e['sources'] for e in events] == [['k'], ['k', 'j']]
