# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Split one log line into its time stamps, the program that wrote it and the message.

Every function here takes text as it was written by one of the tools an ops engineer copies OOM
reports from, and returns a record ``(wall, uptime, ident, pid, msg)``:

- ``wall``: seconds since the epoch (UTC, float) or None when the line carries no wall-clock time,
- ``uptime``: the kernel's own time stamp in seconds (``[ 123.456]``, /dev/kmsg, the journal's
  ``_SOURCE_MONOTONIC_TIMESTAMP``) or None,
- ``ident``: the syslog identifier (``kernel``, ``systemd-oomd``, ``earlyoom``, ``systemd``...) or None
  when the line has no syslog header (raw ``dmesg`` output, earlyoom's stdout); a claim of ``kernel``,
  ``systemd`` or a killer daemon that its source does not prove is ``untrusted:<ident>`` (``line_ident``,
  ``journal_ident``), which no parser reads,
- ``pid``: the pid in ``ident[pid]:`` (int) or None,
- ``msg``: the message, without any prefix.

Formats: ``dmesg`` (``[ 123.456]``, with ``<3>`` priorities and ``[T71]``/``[C3]`` caller ids),
``dmesg -T``, ``dmesg --time-format iso``, BSD syslog (year inferred from a reference time), RFC 3339
syslog, journalctl ``short``, ``short-precise``, ``short-iso``, ``short-iso-precise``,
``short-monotonic`` and ``json``, and /dev/kmsg records (also as lines of a saved copy), and a program's
raw output behind a colon-terminated time stamp (``Jun 12 06:39:16: msg``, ``2026-06-12 06:39:16: msg``, as
wrappers of earlyoom's stdout write it; terminal colour codes at a line's start are dropped). Local times
(syslog, ``dmesg -T``, journal ``short``) are read in the local time zone of the host running this code.
A syslog time stamp without a year is placed in the latest year that puts it no later than the reference
time plus ``FUTURE_SKEW`` seconds (``Feb 29`` in the latest leap year that does).
Nothing here raises on bad input: an unknown line comes back as a message without times.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import calendar
import json
import re
import time

from ansible_collections.headroom.memory.plugins.module_utils.lazy_re import LazyPattern

MONTHS = {
    'Jan': 1, 'Feb': 2, 'Mar': 3, 'Apr': 4, 'May': 5, 'Jun': 6,
    'Jul': 7, 'Aug': 8, 'Sep': 9, 'Oct': 10, 'Nov': 11, 'Dec': 12,
}
_MON = r'(?P<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)'
_IDENT = r'(?P<ident>[^\s\[\]:]+)(?:\[(?P<pid>\d+)\])?:(?: |$)'
# "Nov 25 10:00:00 host ident[pid]: msg", journal short / short-precise
_BSD_RE = LazyPattern(
    r'^' + _MON + r' +(?P<day>\d{1,2}) (?P<h>\d\d):(?P<mi>\d\d):(?P<s>\d\d)(?:\.(?P<frac>\d{1,9}))? '
    r'(?P<host>\S+) ' + _IDENT + r'(?P<msg>.*)$', re.S)
# a program's output behind a wrapper's time stamp: "Jun 12 06:39:16: msg"
_BSD_COLON_RE = LazyPattern(
    r'^' + _MON + r' +(?P<day>\d{1,2}) (?P<h>\d\d):(?P<mi>\d\d):(?P<s>\d\d)(?:\.(?P<frac>\d{1,9}))?: (?P<msg>.*)$', re.S)
# "2026-06-12 06:39:16: msg", "2026-06-12T06:39:18.5+02:00: msg"
_ISO_COLON_RE = LazyPattern(
    r'^(?P<y>\d{4})-(?P<mo>\d\d)-(?P<d>\d\d)[T ](?P<h>\d\d):(?P<mi>\d\d):(?P<s>\d\d)(?:[.,](?P<frac>\d{1,9}))?'
    r'(?P<tz>Z|[+-]\d\d:?\d\d)?: (?P<msg>.*)$', re.S)
_SGR_RE = re.compile(r'^(?:\x1b\[[0-9;]*m)+')
# "2026-11-25T19:11:05+0000 host kernel: msg" (journal short-iso[-precise], rsyslog RFC 3339)
_ISO_SYSLOG_RE = LazyPattern(
    r'^(?P<y>\d{4})-(?P<mo>\d\d)-(?P<d>\d\d)[T ](?P<h>\d\d):(?P<mi>\d\d):(?P<s>\d\d)(?:\.(?P<frac>\d{1,9}))?'
    r'(?P<tz>Z|[+-]\d\d:?\d\d)? (?P<host>\S+) ' + _IDENT + r'(?P<msg>.*)$', re.S)
# dmesg --time-format iso: "2026-11-25T22:10:08,220898+00:00 msg"
_DMESG_ISO_RE = LazyPattern(
    r'^(?P<y>\d{4})-(?P<mo>\d\d)-(?P<d>\d\d)T(?P<h>\d\d):(?P<mi>\d\d):(?P<s>\d\d),(?P<frac>\d{1,9})'
    r'(?P<tz>Z|[+-]\d\d:?\d\d) ?(?P<msg>.*)$', re.S)
# dmesg -T: "[Wed Nov 25 22:10:08 2026] msg"
_DMESG_T_RE = LazyPattern(
    r'^\[(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ' + _MON + r' +(?P<day>\d{1,2}) (?P<h>\d\d):(?P<mi>\d\d):(?P<s>\d\d) '
    r'(?P<y>\d{4})\] ?(?P<msg>.*)$', re.S)
# journal short-monotonic: "[  160.084212] host kernel: msg"; only the programs this module reads, so that
# a dmesg line such as "[ 1.2] veth0 (unregistering): left" is not taken for a syslog header.
_MONO_SYSLOG_RE = LazyPattern(
    r'^\[ *(?P<up>\d+\.\d+)\] (?P<host>\S+) (?P<ident>kernel|systemd-oomd|earlyoom|systemd)(?:\[(?P<pid>\d+)\])?: ?'
    r'(?P<msg>.*)$', re.S)
# what the kernel (printk) and dmesg put before a message: "<3>", "[ 123.456]", "[  T71]"/"[C3]"
# a copy of /dev/kmsg: "4,345,7144220898,-;msg"
# dmesg -x (--decode): "kern  :err   : [ 3101.220330] msg"; only the kern facility is the kernel's own
_DMESG_X_RE = LazyPattern(
    r'^(?P<fac>kern|user|mail|daemon|auth|syslog|lpr|news|uucp|cron|authpriv|ftp|local[0-7]) *:'
    r'(?:emerg|alert|crit|err|warn|notice|info|debug) *: ?(?P<msg>.*)$', re.S)
_KMSG_LINE_RE = LazyPattern(r'^\d{1,3},\d+,(?P<usec>\d+),[^;]*;(?P<msg>.*)$', re.S)
_KPREFIX_RE = re.compile(r'^(?:<(?P<pri>\d{1,3})>)?(?:\[ *(?P<up>\d+\.\d+)\])?(?: ?\[ *[TC]\d+\])? ?', re.S)


def _frac(text):
    """'123' -> 0.123; None -> 0."""
    if not text:
        return 0.0
    return int(text) / (10 ** len(text))


def _tz_seconds(tz):
    """'+0100', '-05:30', 'Z' -> offset east of UTC in seconds."""
    if not tz or tz == 'Z':
        return 0
    sign = -1 if tz[0] == '-' else 1
    digits = tz[1:].replace(':', '')
    return sign * (int(digits[:2]) * 3600 + int(digits[2:4]) * 60)


def utc_epoch(y, mo, d, h, mi, s, tz):
    """Epoch seconds of a calendar time with a UTC offset like '+0000'; None when impossible."""
    try:
        return calendar.timegm((y, mo, d, h, mi, s, 0, 0, 0)) - _tz_seconds(tz)
    except (ValueError, OverflowError, TypeError):
        return None


def local_epoch(y, mo, d, h, mi, s):
    """Epoch seconds of a local calendar time (the host's time zone); None when impossible."""
    if not (1 <= mo <= 12 and 1 <= d <= 31 and 0 <= h <= 23 and 0 <= mi <= 59 and 0 <= s <= 61):
        return None
    try:
        return time.mktime((y, mo, d, h, mi, s, 0, 0, -1))
    except (ValueError, OverflowError, TypeError):
        return None


FUTURE_SKEW = 600  # seconds a syslog time may lie after the reference (clocks, a file's mtime granularity)


def syslog_epoch(mon, day, h, mi, s, ref):
    """Epoch of a syslog 'Mon DD hh:mm:ss' written at or before ``ref`` (epoch; a file's mtime or now), or None.

    The latest year that puts it no later than ``ref + FUTURE_SKEW`` (a log spanning New Year read in
    January; ``Dec  1`` read on 30 Nov is last year's); ``Feb 29`` only in a leap year.
    """
    if not 1 <= mon <= 12:
        return None
    year = time.localtime(ref).tm_year
    for y in range(year, year - 9, -1):
        if not 1 <= day <= calendar.monthrange(y, mon)[1]:
            continue
        t = local_epoch(y, mon, day, h, mi, s)
        if t is None:
            return None
        if t <= ref + FUTURE_SKEW:
            return t
    return None


def split_kernel_prefix(msg):
    """Strip '<pri>', '[ uptime]' and a printk caller id from a kernel message -> (uptime or None, msg)."""
    m = _KPREFIX_RE.match(msg)
    if not m or m.end() == 0:
        return None, msg
    up = m.group('up')
    return (float(up) if up is not None else None), msg[m.end():]


def split_line(line, ref=None):
    """Split one text log line -> (wall, uptime, ident, pid, msg). ``ref``: epoch used to infer syslog years."""
    line = line.rstrip('\r\n')
    if line[:1] == '\x1b':
        line = _SGR_RE.sub('', line)
    wall = None
    ident = None
    pid = None
    up = None
    msg = line
    m = None
    first = line[:1]
    if first.isalpha():
        m = _BSD_RE.match(line)
        colon = None if m else _BSD_COLON_RE.match(line)
        if m or colon:
            m = m or colon
            wall = syslog_epoch(MONTHS[m.group('mon')], int(m.group('day')), int(m.group('h')), int(m.group('mi')),
                                int(m.group('s')), ref if ref is not None else time.time())
            if wall is not None:
                wall += _frac(m.group('frac'))
            if colon:
                return wall, None, None, None, colon.group('msg')
        else:
            decoded = _DMESG_X_RE.match(line)
            if decoded:
                up, msg = split_kernel_prefix(decoded.group('msg'))
                if decoded.group('fac') != 'kern':
                    # a program's record in the ring buffer (written to /dev/kmsg): not the kernel's report
                    return None, up, UNTRUSTED + 'dmesg-' + decoded.group('fac'), None, msg
                return None, up, 'kernel', None, msg
    elif first.isdigit():
        m = _KMSG_LINE_RE.match(line)
        if m:
            return None, int(m.group('usec')) / 1e6, None, None, m.group('msg')
        m = _DMESG_ISO_RE.match(line)
        if m:
            wall = utc_epoch(int(m.group('y')), int(m.group('mo')), int(m.group('d')), int(m.group('h')),
                             int(m.group('mi')), int(m.group('s')), m.group('tz'))
            if wall is not None:
                wall += _frac(m.group('frac'))
            up, msg = split_kernel_prefix(m.group('msg'))
            return wall, up, None, None, msg
        m = _ISO_SYSLOG_RE.match(line)
        colon = None if m else _ISO_COLON_RE.match(line)
        if m or colon:
            m = m or colon
            args = (int(m.group('y')), int(m.group('mo')), int(m.group('d')), int(m.group('h')),
                    int(m.group('mi')), int(m.group('s')))
            if m.group('tz'):
                wall = utc_epoch(*(args + (m.group('tz'),)))
            else:
                wall = local_epoch(*args)
            if wall is not None:
                wall += _frac(m.group('frac'))
            if colon:
                return wall, None, None, None, colon.group('msg')
    elif first == '[':
        m = _DMESG_T_RE.match(line)
        if m:
            wall = local_epoch(int(m.group('y')), MONTHS[m.group('mon')], int(m.group('day')), int(m.group('h')),
                               int(m.group('mi')), int(m.group('s')))
            up, msg = split_kernel_prefix(m.group('msg'))
            return wall, up, None, None, msg
        m = _MONO_SYSLOG_RE.match(line)
        if m:
            up = float(m.group('up'))
    if m:
        pid = int(m.group('pid')) if m.group('pid') else None
        ident = line_ident(m.group('ident'), pid)
        msg = m.group('msg')
    if ident is None or ident == 'kernel':
        kup, msg = split_kernel_prefix(msg)
        if kup is not None:
            up = kup
    return wall, up, ident, pid, msg


# Provenance (issue #31): only the kernel writes kernel records, only a killer daemon writes that daemon's lines.
# An identifier claimed without proof becomes UNTRUSTED + the claim, which no parser reads.
UNTRUSTED = 'untrusted:'
WATCHED_IDENTS = ('kernel', 'systemd-oomd', 'earlyoom', 'systemd')
# the unit each user-space killer runs as (journald's _SYSTEMD_UNIT, from the sender's cgroup: only root moves a
# process there); systemd itself is PID 1
DAEMON_UNITS = {'systemd-oomd': 'systemd-oomd.service', 'earlyoom': 'earlyoom.service'}
# uids a daemon may run as: root, system users (systemd-oomd runs as systemd-oom) and systemd's DynamicUser range
# (earlyoom.service sets DynamicUser=true); a login user's uid never passes
SYSTEM_UID_MAX = 999
DYNAMIC_UIDS = (61184, 65519)


def _system_uid(value):
    try:
        uid = int(value)
    except (TypeError, ValueError):
        return False
    return 0 <= uid <= SYSTEM_UID_MAX or DYNAMIC_UIDS[0] <= uid <= DYNAMIC_UIDS[1]


def line_ident(ident, pid):
    """The identifier a text log line's ``ident[pid]:`` header may be believed for.

    The kernel logs with no pid (``kernel:``; ``kernel[4242]:`` is a program's ``logger -t kernel``), systemd's
    notices come from PID 1 (``systemd[1]:``). Anything else claiming those names is marked UNTRUSTED. A text file
    cannot prove more: any user's ``logger -t systemd --id=1`` line reads like PID 1's (so oom.history takes only
    kernel lines from the syslog files when the journal was read, and the remedy gate checks the unit exists).
    """
    if ident == 'kernel' and pid is not None:
        return UNTRUSTED + ident
    if ident == 'systemd' and pid != 1:
        return UNTRUSTED + ident
    return ident


def journal_ident(entry):
    """The identifier a journal entry (dict of ``journalctl -o json``) may be believed for.

    ``kernel`` only for ``_TRANSPORT=kernel``; ``systemd`` only from PID 1 as root (``_PID``, ``_UID``, ``_COMM``
    are journald's own trusted fields); ``systemd-oomd``/``earlyoom`` only from their own unit (``_SYSTEMD_UNIT``),
    program (``_COMM``) and a system uid. Another entry claiming one of those names, or naming no program at
    all (so the message text alone would decide), is UNTRUSTED.
    """
    if entry.get('_TRANSPORT') == 'kernel':
        return 'kernel'
    ident = _text(entry.get('SYSLOG_IDENTIFIER')) or _text(entry.get('_COMM'))
    if not ident:
        return UNTRUSTED
    comm = _text(entry.get('_COMM'))
    if ident in WATCHED_IDENTS or comm in WATCHED_IDENTS:
        uid = _text(entry.get('_UID'))
        if ident == 'systemd' and comm == 'systemd' and _text(entry.get('_PID')) == '1' and uid == '0':
            return ident
        if ident in DAEMON_UNITS and comm == ident and _text(entry.get('_SYSTEMD_UNIT')) == DAEMON_UNITS[ident] \
                and _system_uid(uid):
            return ident
        return UNTRUSTED + ident
    return ident


def split_kmsg(record):
    """One /dev/kmsg record 'pri,seq,usec,flags;message\\n KEY=value...' -> (uptime, msg) or None.

    Continuation lines (device properties, starting with a space) are dropped. Non-printable bytes stay
    escaped as the kernel writes them (\\xNN).
    """
    if isinstance(record, bytes):
        record = record.decode('utf-8', 'replace')
    head, sep, rest = record.partition(';')
    if not sep:
        return None
    fields = head.split(',')
    if len(fields) < 3:
        return None
    try:
        usec = int(fields[2])
    except ValueError:
        return None
    msg = rest.split('\n', 1)[0]
    return usec / 1e6, msg


def _usec(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _text(value):
    """journald field value: str, or a byte array (list of ints) for non-UTF-8 data, or null."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        try:
            return bytes(v & 0xFF for v in value if isinstance(v, int)).decode('utf-8', 'replace')
        except (TypeError, ValueError):
            return None
    return None


def split_json(line):
    """One ``journalctl -o json`` line -> list of records, one per line of MESSAGE ([] if not an entry).

    Time: a kernel entry's own time is ``_SOURCE_MONOTONIC_TIMESTAMP`` (the printk time, µs); its wall
    time is computed as ``__REALTIME_TIMESTAMP - __MONOTONIC_TIMESTAMP + _SOURCE_MONOTONIC_TIMESTAMP``
    (the boot's wall-clock start plus the event's uptime), because journald may ingest the ring buffer late.
    Other entries use ``_SOURCE_REALTIME_TIMESTAMP``, else ``__REALTIME_TIMESTAMP`` (ingestion).
    """
    try:
        entry = json.loads(line)
    except ValueError:
        return []
    if not isinstance(entry, dict):
        return []
    msg = _text(entry.get('MESSAGE'))
    if msg is None:
        return []
    ident = journal_ident(entry)
    pid = _usec(_text(entry.get('_PID')) or _text(entry.get('SYSLOG_PID')))
    real = _usec(entry.get('__REALTIME_TIMESTAMP'))
    mono = _usec(entry.get('__MONOTONIC_TIMESTAMP'))
    src_mono = _usec(entry.get('_SOURCE_MONOTONIC_TIMESTAMP'))
    src_real = _usec(entry.get('_SOURCE_REALTIME_TIMESTAMP'))
    up = None
    wall = None
    if ident == 'kernel' and src_mono is not None:
        up = src_mono / 1e6
        if real is not None and mono is not None:
            wall = (real - mono + src_mono) / 1e6
    if wall is None:
        if src_real is not None:
            wall = src_real / 1e6
        elif real is not None:
            wall = real / 1e6
    records = []
    for part in msg.split('\n'):
        if part.strip():
            if ident == 'kernel':
                kup, part = split_kernel_prefix(part)
                if up is None and kup is not None:
                    up = kup
            records.append((wall, up, ident, pid, part))
    return records
