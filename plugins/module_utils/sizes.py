# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Size strings as people and systemd write them, to and from bytes; every size formatter of the collection.

Units are binary, as systemd and util-linux read them: K/KB/KiB = 1024, M/MB/MiB = 1024**2, and so on
up to T. A bare number is bytes. Only what a caller allows is accepted: a percentage of a total
(``75%``, as systemd's MemoryMax= takes it) and ``infinity``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

UNITS = {"": 1, "B": 1}
for _i, _u in enumerate("KMGT", start=1):
    for _suffix in (_u, _u + "B", _u + "IB"):
        UNITS[_suffix] = 1024 ** _i

# a byte count from here (2**62, 4 EiB) up is "no limit": cgroup v1 prints PAGE_COUNTER_MAX * PAGE_SIZE
# (9223372036854771712 with 4 KiB pages, a little less with bigger pages), systemd the uint64 maximum
UNLIMITED_BYTES = 2 ** 62
MIB = 1024 ** 2

_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$")
_PERCENT_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")


class SizeError(ValueError):
    """A size string that cannot be read; the message says what was expected."""


def parse_size(value, total=None, allow_percent=False, allow_infinity=False):
    """Return ``value`` in bytes (int), or None for ``infinity`` when allowed.

    ``value`` may be an int (bytes) or a string such as ``512M``, ``2G``, ``2GiB``, ``1.5G``; with
    ``allow_percent`` also ``75%`` of ``total`` bytes. Raises SizeError with a readable message.
    """
    if isinstance(value, bool):
        raise SizeError("size %r is a boolean, not a size" % (value,))
    if isinstance(value, int):
        if value < 0:
            raise SizeError("size %d is negative" % value)
        return value
    if isinstance(value, float):
        if value < 0:
            raise SizeError("size %r is negative" % value)
        return int(value)
    if not isinstance(value, str):
        raise SizeError("size %r is not a string or a number" % (value,))
    text = value.strip()
    if allow_infinity and text.lower() == "infinity":
        return None
    m = _PERCENT_RE.match(text)
    if m:
        if not allow_percent:
            raise SizeError("size %r: a percentage is not accepted here" % value)
        if total is None:
            raise SizeError("size %r: a percentage needs a known total" % value)
        pct = float(m.group(1))
        if pct > 100:
            raise SizeError("size %r: a percentage above 100%% is not a share of the total" % value)
        return int(total * pct / 100)
    m = _SIZE_RE.match(text)
    if not m or m.group(2).upper() not in UNITS:
        accepted = "bytes or a number with K, M, G or T (binary units, e.g. 512M, 2G, 2GiB)"
        if allow_percent:
            accepted += ", a percentage such as 75%"
        if allow_infinity:
            accepted += ", or infinity"
        raise SizeError("size %r is not understood: use %s" % (value, accepted))
    return int(float(m.group(1)) * UNITS[m.group(2).upper()])


def format_size(nbytes):
    """Return the shortest exact form of ``nbytes``: ``2G``, ``512M``, ``1536K`` or plain bytes."""
    if nbytes is None:
        return "infinity"
    for unit in "TGMK":
        factor = UNITS[unit]
        if nbytes >= factor and nbytes % factor == 0:
            return "%d%s" % (nbytes // factor, unit)
    return str(nbytes)


def format_bytes(nbytes):
    """Bytes as a figure for messages: whole MiB (one decimal below 10 MiB); ``unknown`` for None."""
    if nbytes is None:
        return "unknown"
    if abs(nbytes) < 10 * MIB and nbytes % MIB:
        return "%.1f MiB" % (nbytes / float(MIB))
    return "%d MiB" % (nbytes // MIB)


def format_mb(mb):
    """A MiB count for people: ``812 MiB``, ``3.4 GiB``; ``?`` when unknown."""
    if mb is None:
        return "?"
    if abs(mb) >= 1024:
        return "%.1f GiB" % (mb / 1024.0)
    return "%d MiB" % mb


def size_string_mb(mb, step=None):
    """A MiB count rounded up to ``step`` MiB as a systemd/role size string: ``768M``, ``2G``. Without a
    step: 16M steps under 512M, 64M steps under 4G, 256M steps above."""
    mb = int(mb)
    if step is None:
        step = 16 if mb < 512 else (64 if mb < 4096 else 256)
    if step:
        mb = max(step, -(-mb // step) * step)
    if mb % 1024 == 0:
        return "%dG" % (mb // 1024)
    return "%dM" % mb


def to_mb(nbytes):
    """Bytes to whole MiB, rounded down; None stays None."""
    return None if nbytes is None else int(nbytes) // MIB


def kb_to_mb(kbytes):
    """kB (as /proc prints them, binary) to whole MiB, rounded down; None stays None."""
    return None if kbytes is None else int(kbytes) // 1024
