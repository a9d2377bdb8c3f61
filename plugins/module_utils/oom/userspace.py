# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Recognise the user-space OOM killers' lines and systemd's notices about OOM kills.

``parse_userspace(ident, msg)`` returns ``(kind, fields)`` or None:

- ``oomd``: systemd-oomd killed (or, newer, "Marked ... for killing") a cgroup:
  ``Killed /x.scope due to memory pressure for /y being 51.07% > 50.00% for > 20s with reclaim activity``,
  ``Killed /x due to swap used (N) / total (N) being more than 90.00%``,
  ``Marked /x for killing due to memory used (N) / total (N) and swap used (N) / total (N) being more than ...``
  -> cgroup, reason
- ``earlyoom``: earlyoom sent a signal, in every wording of its kill.c/main.c since 1.0 (git history of
  github.com/rfjakob/earlyoom): 1.0 ``Killing process 5874 bash`` (SIGKILL), 1.1 ``Killing process: bash,
  pid: 5874, badness: 538, VmRSS: 3160 MiB`` (SIGKILL), 1.2 ``Killing process 'bash' with signal 15, pid:
  5874, badness: 538, VmRSS: 3160 MiB``, 1.3-rc ``killing process 27541 "bash" with signal 15: badness 550,
  VmRSS 7609 MiB``, 1.3 ``sending SIGTERM to process 12006 "python3": badness 209, VmRSS 2891 MiB``, 1.4
  adds ``uid N``, 1.8 ``oom_score`` for ``badness`` and ``cmdline "..."``, 2025 ``oom_score_adj N``
  -> pid, comm, uid (None before 1.4), signal. The command line is never kept (it may hold secrets).
  ``escalating to SIGKILL`` names no pid: the SIGTERM/SIGKILL pair of one pid is one kill (oom_events).
- ``notice``: a systemd manager's note about a unit: ``x.service: A process of this unit has been killed
  by the OOM killer.`` (killer ``kernel``), ``x.scope: systemd-oomd killed 12 process(es) in this unit.``
  (``systemd-oomd``), ``x.service: Failed with result 'oom-kill'.`` (killer None: systemd gives a unit that
  result after the kernel's kills and after systemd-oomd's alike) -> unit, killer. A notice is not a kill of
  its own: it names the unit of a kill the kernel or systemd-oomd made. A notice naming an invalid unit
  (``<img/src=x>.service``) is no notice: systemd never writes one.

``ident`` is the syslog identifier (None when the line had no header: then the text alone decides).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.headroom.memory.plugins.module_utils.lazy_re import LazyPattern
from ansible_collections.headroom.memory.plugins.module_utils.systemd.unit_names import unit_name_error

_OOMD_RE = LazyPattern(
    r'^(?:Killed|Marked) (?P<cgroup>/.*?) (?:for killing )?due to (?P<reason>memory pressure|swap used|memory used)')
_EARLYOOM_OLD_RE = LazyPattern(
    r"^Killing process '(?P<comm>.*)' with signal (?P<sig>\d+), pid: (?P<pid>\d+)(?:, (?:badness|oom_score): -?\d+)?")
_EARLYOOM_NEW_RE = LazyPattern(
    r'^sending (?P<sig>SIG[A-Z]+|\d+[^ ]*) to process (?P<pid>\d+)(?: uid (?P<uid>\d+))? "(?P<comm>.*)": '
    r'(?:badness|oom_score) -?\d+')
_EARLYOOM_RC_RE = LazyPattern(
    r'^killing process (?P<pid>\d+) "(?P<comm>.*)" with signal (?P<sig>\d+): badness -?\d+')
_EARLYOOM_V11_RE = LazyPattern(r'^Killing process: (?P<comm>.*), pid: (?P<pid>\d+), badness: -?\d+')
_EARLYOOM_V10_RE = LazyPattern(r'^Killing process (?P<pid>\d+) (?P<comm>.+)$')
_NOTICE_RE = LazyPattern(
    r"^(?P<unit>[^\s:]+\.(?:service|scope|slice|socket|mount|swap)): "
    r"(?:A process of this unit has been killed by the OOM killer|(?P<result>Failed with result 'oom-kill')"
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
            uid = m.group('uid')
            return 'earlyoom', {'pid': int(m.group('pid')), 'comm': m.group('comm'),
                                'uid': int(uid) if uid is not None else None, 'signal': m.group('sig')}
        for pattern in (_EARLYOOM_OLD_RE, _EARLYOOM_RC_RE):
            m = pattern.match(msg)
            if m:
                return 'earlyoom', {'pid': int(m.group('pid')), 'comm': m.group('comm'), 'uid': None,
                                    'signal': _SIGNALS.get(m.group('sig'), m.group('sig'))}
        for pattern in (_EARLYOOM_V11_RE, _EARLYOOM_V10_RE):
            m = pattern.match(msg)
            if m:
                return 'earlyoom', {'pid': int(m.group('pid')), 'comm': m.group('comm'), 'uid': None,
                                    'signal': 'SIGKILL'}
    if ident in (None, 'systemd'):
        m = _NOTICE_RE.match(msg)
        # systemd names only valid units: a notice naming another was not written by systemd
        if m and unit_name_error(m.group('unit')) is None:
            if m.group('oomd'):
                killer = 'systemd-oomd'
            elif m.group('result'):
                killer = None
            else:
                killer = 'kernel'
            return 'notice', {'unit': m.group('unit'), 'killer': killer}
    return None
