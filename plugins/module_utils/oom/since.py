# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read the ``oom_since`` option: how far back to look for OOM kills.

``parse_since(value, now, boot_time)`` -> epoch seconds (UTC) of the cutoff, or None for ``all``:

- ``90m``, ``24h``, ``7d``, ``2w`` (minutes, hours, days, weeks before ``now``),
- an ISO-8601 date (``2026-11-01``, midnight UTC) or date and time (``2026-11-01T10:00``,
  ``2026-11-01 10:00:00+01:00``, ``...Z``; without an offset the time is UTC),
- ``boot``: the host's boot time, ``all``: no cutoff.

Bad input raises ValueError with a message that names the option and says what is accepted.
``since_error(value, now, name)`` is the same check for a preflight, before any host is read.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import re

_REL_RE = re.compile(r'^(\d+)\s*([mhdw])$')
_UNIT_SECONDS = {'m': 60, 'h': 3600, 'd': 86400, 'w': 7 * 86400}
_ACCEPTED = "use a duration such as 90m, 24h, 7d or 2w, an ISO-8601 date or date and time, 'boot' or 'all'"


def parse_iso(text):
    """Epoch seconds of an ISO-8601 date or date and time (UTC when it names no offset), or None."""
    value = text.strip()
    if value.endswith(('Z', 'z')):
        value = value[:-1] + '+00:00'
    # Python < 3.11 fromisoformat() does not read '+0100'
    m = re.match(r'^(.*[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?)([+-]\d\d)(\d\d)$', value)
    if m:
        value = '%s%s:%s' % m.groups()
    try:
        if re.match(r'^\d{4}-\d\d-\d\d$', value):
            stamp = datetime.datetime.strptime(value, '%Y-%m-%d')
        else:
            stamp = datetime.datetime.fromisoformat(value)
    except ValueError:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=datetime.timezone.utc)
    return stamp.timestamp()


def parse_since(value, now, boot_time=None, name='oom_since'):
    """Cutoff epoch (float) for ``value``, or None for 'all'. ``now``/``boot_time``: epoch seconds.

    ``name``: the option or variable that the error messages name.
    """
    if value is None:
        raise ValueError('%s is empty: %s' % (name, _ACCEPTED))
    text = str(value).strip().lower()
    if not text:
        raise ValueError('%s is empty: %s' % (name, _ACCEPTED))
    if text == 'all':
        return None
    if text == 'boot':
        if boot_time is None:
            raise ValueError("%s 'boot': the boot time of this host is unknown" % name)
        return float(boot_time)
    m = _REL_RE.match(text)
    if m:
        return float(now) - int(m.group(1)) * _UNIT_SECONDS[m.group(2)]
    if re.match(r'^-\s*\d', text):
        raise ValueError('%s %r: a duration cannot be negative; %s' % (name, value, _ACCEPTED))
    cutoff = parse_iso(str(value))
    if cutoff is None:
        raise ValueError('%s %r is not understood: %s' % (name, value, _ACCEPTED))
    if cutoff > float(now) + 60:
        raise ValueError('%s %r is in the future' % (name, value))
    return cutoff


def since_error(value, now, name='oom_since'):
    """parse_since's message for a bad ``value``, or None; 'boot' passes (no host has been read yet)."""
    try:
        parse_since(value, now, now, name)
    except ValueError as e:
        return str(e)
    return None


def iso_utc(epoch):
    """Epoch seconds -> '2026-11-25T19:10:21.931967Z' (no fraction when whole seconds); None out of range."""
    try:
        stamp = datetime.datetime.fromtimestamp(round(epoch, 6), tz=datetime.timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None
    return stamp.replace(tzinfo=None).isoformat() + 'Z'


BOOT_SKEW = 2.0  # seconds a kill's computed wall time may lie before the boot time (/proc/stat's btime is whole seconds)


def logged_since_boot(time_text, boot_time):
    """Whether an event whose ``time`` is ``time_text`` (ISO-8601, or None) lies at or after ``boot_time``."""
    when = parse_iso(time_text) if time_text else None
    return when is not None and when >= boot_time - BOOT_SKEW


def logged_kernel_kills(events, boot_time):
    """How many of ``events`` the kernel made at or after ``boot_time`` (None when the boot time is unknown)."""
    if boot_time is None:
        return None
    return len([e for e in events or () if e.get('killer') == 'kernel' and logged_since_boot(e.get('time'), boot_time)])
