# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Recognise the user-space OOM killers' lines and systemd's notices about OOM kills.

``parse_userspace(ident, msg)`` returns ``(kind, fields)`` or None:

- ``oomd``: systemd-oomd killed (or, newer, "Marked ... for killing") a cgroup:
  ``Killed /x.scope due to memory pressure for /y being 51.07% > 50.00% for > 20s with reclaim activity``,
  ``Killed /x due to swap used (N) / total (N) being more than 90.00%``,
  ``Marked /x for killing due to memory used (N) / total (N) and swap used (N) / total (N) being more than ...``
  -> cgroup, reason
- ``earlyoom``: earlyoom sent a signal, from its oldest wording
  (``Killing process 'bash' with signal 15, pid: 5874, badness: 538, VmRSS: 3160 MiB``) to its newest
  (``sending SIGTERM to process 1024668 uid 1000 "Web Content": oom_score 823, VmRSS 79 MiB, cmdline "..."``)
  -> pid, comm, uid, signal. The command line is never kept (it may hold secrets).
- ``notice``: a systemd manager's note about a unit: ``x.service: A process of this unit has been killed
  by the OOM killer.``, ``x.service: Failed with result 'oom-kill'.``, ``x.scope: systemd-oomd killed 12
  process(es) in this unit.`` -> unit, killer (``kernel`` or ``systemd-oomd``). A notice is not a kill of
  its own: it names the unit of a kill the kernel or systemd-oomd made.

``ident`` is the syslog identifier (None when the line had no header: then the text alone decides).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.headroom.memory.plugins.module_utils.lazy_re import LazyPattern

_OOMD_RE = LazyPattern(
    r'^(?:Killed|Marked) (?P<cgroup>/.*?) (?:for killing )?due to (?P<reason>memory pressure|swap used|memory used)')
_EARLYOOM_OLD_RE = LazyPattern(
    r"^Killing process '(?P<comm>.*)' with signal (?P<sig>\d+), pid: (?P<pid>\d+)(?:, (?:badness|oom_score): -?\d+)?")
_EARLYOOM_NEW_RE = LazyPattern(
    r'^sending (?P<sig>SIG[A-Z]+|\d+[^ ]*) to process (?P<pid>\d+) uid (?P<uid>\d+) "(?P<comm>.*)": '
    r'(?:badness|oom_score) -?\d+')
_NOTICE_RE = LazyPattern(
    r"^(?P<unit>[^\s:]+\.(?:service|scope|slice|socket|mount|swap)): "
    r"(?:A process of this unit has been killed by the OOM killer|Failed with result 'oom-kill'"
    r"|(?P<oomd>systemd-oomd killed (?:\d+|some) process\(es\) in this unit))")
_SIGNALS = {'15': 'SIGTERM', '9': 'SIGKILL'}


def parse_userspace(ident, msg):
    """Classify one user-space message -> (kind, fields) or None (see the module docstring)."""
    if not msg:
        return None
    msg = msg.strip()
    if ident in (None, 'systemd-oomd'):
        m = _OOMD_RE.match(msg)
        if m:
            return 'oomd', {'cgroup': m.group('cgroup'), 'reason': m.group('reason')}
    if ident in (None, 'earlyoom'):
        m = _EARLYOOM_NEW_RE.match(msg)
        if m:
            return 'earlyoom', {'pid': int(m.group('pid')), 'comm': m.group('comm'), 'uid': int(m.group('uid')),
                                'signal': m.group('sig')}
        m = _EARLYOOM_OLD_RE.match(msg)
        if m:
            return 'earlyoom', {'pid': int(m.group('pid')), 'comm': m.group('comm'), 'uid': None,
                                'signal': _SIGNALS.get(m.group('sig'), m.group('sig'))}
    if ident in (None, 'systemd'):
        m = _NOTICE_RE.match(msg)
        if m:
            return 'notice', {'unit': m.group('unit'), 'killer': 'systemd-oomd' if m.group('oomd') else 'kernel'}
    return None
