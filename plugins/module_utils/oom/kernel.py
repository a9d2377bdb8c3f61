# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Recognise the lines of a kernel OOM-killer report, kernels 2.6.32 to 6.x.

``parse_kernel(msg)`` takes one kernel message (prefixes already removed by oom.lines) and returns
``(kind, fields)`` or None:

- ``invoked``: ``<comm> invoked oom-killer: gfp_mask=..., [nodemask=...,] order=N, oom_[score_]adj=N``
  -> comm, gfp_mask, order, oom_score_adj (None when only the old oom_adj is printed)
- ``cpu``: ``CPU: 1 [UID: 0] PID: 5013 Comm: <comm> Not tainted`` / ``Pid: 11342, comm: <comm> Not tainted``
  -> pid, comm (the task that invoked the killer)
- ``select``: ``[Memory cgroup ]Out of memory: Kill process N (<comm>) score S or sacrifice child`` -> pid, comm, scope
- ``constraint``: ``oom-kill:constraint=...,task=<comm>,pid=N,uid=N`` -> constraint, oom_memcg, task_memcg,
  global_oom, comm, pid, uid (``partial`` True when the line was cut before ``task=``)
- ``cont``: a piece of a split ``oom-kill:`` line (``,oom_memcg=...``, ``,task=...,pid=...,uid=...``)
- ``task_in``: ``Task in <memcg> killed as a result of limit of <memcg>`` -> task_memcg, oom_memcg
- ``killed``: ``Killed process`` in every layout (RHEL 5's ``Out of memory: Killed process N, UID N, (comm).`` ends in a
  period) -> pid, comm, uid, total_vm_kb, anon_rss_kb, file_rss_kb,
  shmem_rss_kb, pgtables_kb, oom_score_adj, scope
- ``reaped``: ``oom_reaper: reaped process N (<comm>), now ...`` -> pid, comm
- ``group``: ``Tasks in <memcg> are going to be killed due to memory.oom.group set`` -> memcg (the kill lines
  that follow, of other pids, belong to the same report)

A process name may hold spaces, brackets and parentheses (``my hog (test)``, ``runc:[2:INIT]``,
``(resolved)`` printed as ``((resolved))``): the name is cut at the fields that follow it, never at the
first ``)``.

Only the kernel's own report lines count: every pattern is anchored at the start of the message (after the
transport prefix oom_lines removed) and reads the fields in the kernel's order, so that kill text inside
another kernel message (a path in "process 'x' launched '...'", an audit record's ``name=``, a USB product
string) is never taken for a kill. The ``invoked oom-killer`` line's comm is at most ``COMM_MAX``
characters (the kernel's TASK_COMM_LEN is 16 bytes), in every line. Every pattern runs in time linear in the message:
no pattern is searched at every position of a line, and the greedy process-name groups only backtrack
over one line once.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

COMM_MAX = 64  # characters: 15 bytes of comm, each possibly printed as a 4-character \\xNN escape
_INVOKED_RE = re.compile(r'^(?P<comm>.{1,%d}?) invoked oom-killer: (?P<rest>gfp_mask=.*)$' % COMM_MAX)
_GFP_RE = re.compile(r'gfp_mask=(?P<gfp>0x[0-9a-fA-F]+(?:\([^)]*\))?)')
_ORDER_RE = re.compile(r'\border=(?P<order>-?\d+)')
_SCORE_ADJ_RE = re.compile(r'\boom_score_adj=(?P<adj>-?\d+)')
_CPU_RE = re.compile(
    r'^(?:CPU: \d+ (?:UID: \d+ )?PID: (?P<pid>\d+) Comm: |Pid: (?P<pid2>\d+), comm: )(?P<comm>.*?)'
    r'(?: veid: \d+)?(?: (?:Not tainted|Tainted:)|$)')
_SELECT_RE = re.compile(
    r'^(?P<pfx>Memory cgroup out of memory|Out of memory(?: \([^)]*\))?): [Kk]ill process (?P<pid>\d+) '
    r'\((?P<comm>.{0,%d})\) score (?P<score>-?\d+) or (?:sacrifice|a) child\s*$' % COMM_MAX)
_KILLED_RE = re.compile(
    r'^(?:(?P<pfx>Memory cgroup out of memory|Out of memory(?: \([^)]*\))?): )?Killed process (?P<pid>\d+)'
    r'(?:, UID (?P<uid6>\d+),)? \((?P<comm>.{0,%d})\)'
    r'(?P<rest>(?:,? (?:UID \d+,|total-vm:|vsz:|anon-rss:).*)?)\.?$' % COMM_MAX)
_KB_RE = re.compile(r'(total-vm|vsz|anon-rss|file-rss|shmem-rss|pgtables):(\d+)kB')
_UID_RE = re.compile(r'\bUID[: ](\d+)')
_ADJ_RE = re.compile(r'\boom_score_adj:(-?\d+)')
_PID_UID_END_RE = re.compile(r',pid=(?P<pid>-?\d+),uid=(?P<uid>\d+)\s*$')
_TASK_RE = re.compile(r'(?:^|(?<=\W))task=')
_CONT_RE = re.compile(r'^,?(?:cpuset=|mems_allowed=|global_oom|oom_memcg=|task_memcg=|task=)')
_TASK_IN_RE = re.compile(r'^Task in (?P<task>.*) killed as a result of limit of (?P<oom>.*?)\s*$')
_GROUP_RE = re.compile(r'^Tasks in (?P<memcg>.*) are going to be killed due to memory\.oom\.group set\s*$')
_REAPED_RE = re.compile(r'^oom_reaper: reaped process (?P<pid>\d+) \((?P<comm>.*)\), now ')

_KB_FIELDS = {
    'total-vm': 'total_vm_kb', 'vsz': 'total_vm_kb', 'anon-rss': 'anon_rss_kb', 'file-rss': 'file_rss_kb',
    'shmem-rss': 'shmem_rss_kb', 'pgtables': 'pgtables_kb',
}


def _scope_of(prefix):
    if not prefix:
        return None
    return 'memcg' if prefix.startswith('Memory cgroup') else 'global'


def parse_oom_kill(text):
    """Fields of an ``oom-kill:constraint=...`` line (joined when it was split)."""
    fields = {'constraint': None, 'oom_memcg': None, 'task_memcg': None, 'global_oom': False,
              'comm': None, 'pid': None, 'uid': None, 'partial': True}
    m = re.match(r'oom-kill:constraint=(\w+)', text)
    if m:
        fields['constraint'] = m.group(1)
    head = text
    end = _PID_UID_END_RE.search(text)
    task = _TASK_RE.search(text, 0, end.start()) if end else None
    if task:
        head = text[:task.start()]
        if head.endswith(','):
            head = head[:-1]
        fields.update(comm=text[task.end():end.start()], pid=int(end.group('pid')), uid=int(end.group('uid')),
                      partial=False)
    fields['global_oom'] = ',global_oom' in head or head.startswith('global_oom')
    m = re.search(r'(?:^|,)oom_memcg=(.*?)(?=,task_memcg=|$)', head)
    if m:
        fields['oom_memcg'] = m.group(1)
    m = re.search(r'(?:^|,)task_memcg=(.*)$', head)
    if m:
        fields['task_memcg'] = m.group(1)
    return fields


def parse_killed(msg):
    """Fields of a ``Killed process`` line, or None."""
    m = _KILLED_RE.match(msg)
    if not m:
        return None
    fields = {'pid': int(m.group('pid')), 'comm': m.group('comm'), 'uid': None, 'total_vm_kb': None,
              'anon_rss_kb': None, 'file_rss_kb': None, 'shmem_rss_kb': None, 'pgtables_kb': None,
              'oom_score_adj': None, 'scope': _scope_of(m.group('pfx'))}
    rest = m.group('rest') or ''
    if m.group('uid6') is not None:
        fields['uid'] = int(m.group('uid6'))
    for key, value in _KB_RE.findall(rest):
        fields[_KB_FIELDS[key]] = int(value)
    u = _UID_RE.search(rest)
    if u:
        fields['uid'] = int(u.group(1))
    a = _ADJ_RE.search(rest)
    if a:
        fields['oom_score_adj'] = int(a.group(1))
    return fields


def parse_kernel(msg):
    """Classify one kernel message -> (kind, fields) or None (see the module docstring)."""
    if not msg:
        return None
    msg = msg.strip()
    if 'invoked oom-killer' in msg:
        m = _INVOKED_RE.match(msg)
        if m:
            rest = m.group('rest')
            gfp = _GFP_RE.search(rest)
            order = _ORDER_RE.search(rest)
            adj = _SCORE_ADJ_RE.search(rest)
            return 'invoked', {
                'comm': m.group('comm'),
                'gfp_mask': gfp.group('gfp') if gfp else None,
                'order': int(order.group('order')) if order else None,
                'oom_score_adj': int(adj.group('adj')) if adj else None,
            }
        return None
    if msg.startswith('oom-kill:'):
        return 'constraint', parse_oom_kill(msg)
    if 'Killed process' in msg:
        fields = parse_killed(msg)
        return ('killed', fields) if fields else None
    if 'ill process' in msg:
        m = _SELECT_RE.match(msg)
        if m:
            return 'select', {'pid': int(m.group('pid')), 'comm': m.group('comm'), 'scope': _scope_of(m.group('pfx'))}
        return None
    if msg.startswith('CPU: ') or msg.startswith('Pid: '):
        m = _CPU_RE.match(msg)
        if m:
            return 'cpu', {'pid': int(m.group('pid') or m.group('pid2')), 'comm': m.group('comm')}
        return None
    if msg.startswith('oom_reaper: '):
        m = _REAPED_RE.match(msg)
        if m:
            return 'reaped', {'pid': int(m.group('pid')), 'comm': m.group('comm')}
        return None
    if msg.startswith('Tasks in '):
        m = _GROUP_RE.match(msg)
        return ('group', {'memcg': m.group('memcg')}) if m else None
    if msg.startswith('Task in '):
        m = _TASK_IN_RE.match(msg)
        if m:
            return 'task_in', {'task_memcg': m.group('task'), 'oom_memcg': m.group('oom')}
        return None
    if _CONT_RE.match(msg):
        return 'cont', {'text': msg}
    return None
