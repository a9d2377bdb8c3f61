# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rules a unit's memory limit must pass, written once: diagnose's remedy gate proposes by them
(plugin_utils/triage/gate.py) and the service_limits role refuses by them (plugin_utils/service_limits/plan.py),
so that a remedy in remedy-vars is one the role accepts on an unchanged host.

- **Floor**: no MemoryMax (or MemoryHigh) below ``LIMIT_FLOOR`` (32 MiB), whatever the live readings say, and 0
  never (systemd ignores 0 as out of range and the unit runs unlimited). A unit with no reading (stopped,
  failed, accounting off: the ones remediation targets) is checked against this floor alone. Why 32 MiB: a
  cgroup's limit counts the page cache of the binaries and libraries the service maps, its kernel memory and
  its children, not only its heap. Docker refuses container limits under 6 MiB because not even a runtime
  starts under that; a systemd service (the smallest real daemons, sshd, chronyd or a small Go or Python
  service, hold 5-30 MiB with their libraries) needs more, and a limit that low is a typo (1M for 1G) far more
  often than a plan. 32 MiB is the smallest limit this collection writes.
- **Margin**: a MemoryMax leaves the unit ``MARGIN_PCT`` % of what it holds now, at least ``MARGIN_MIN``
  above it (``apply_margin``); the role refuses below that. Diagnose proposes with ``DRIFT_FACTOR`` times that
  margin (``proposal_margin``): the difference is room for the unit to grow between the diagnosis and the apply.
  "What it holds" is the cgroup's working set (usage minus the inactive page cache, which the kernel reclaims
  before it kills) where known, else its usage.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

MIB = 1024 * 1024
LIMIT_FLOOR = 32 * MIB
MARGIN_PCT = 5
MARGIN_MIN = 8 * MIB
DRIFT_FACTOR = 2


def apply_margin(use):
    """The room (bytes) a MemoryMax must leave above ``use`` bytes for the role to apply it."""
    return max(int(use) * MARGIN_PCT // 100, MARGIN_MIN)


def proposal_margin(use):
    """The room (bytes) diagnose leaves above ``use`` bytes when it proposes a MemoryMax: the role's margin
    plus as much again for drift."""
    return DRIFT_FACTOR * apply_margin(use)


def floor_error(unit, key, nbytes, origin=None):
    """Why a ``key`` (MemoryMax, MemoryHigh) of ``nbytes`` is below the floor, or None; ``origin`` is the value
    as the user wrote it."""
    if not isinstance(nbytes, int) or isinstance(nbytes, bool) or nbytes >= LIMIT_FLOOR:
        return None
    written = "" if origin is None or str(origin) == str(nbytes) else "%s, " % origin
    if nbytes <= 0:
        return ("%s: %s=%s%d bytes is refused: systemd ignores 0 as out of range and the unit would run unlimited "
                "while the role reported success; the smallest limit is %d MiB" % (
                    unit, key, written, nbytes, LIMIT_FLOOR // MIB))
    return ("%s: %s=%s%d bytes is below the floor of %d MiB: no service starts and stays up under it (its binaries, "
            "libraries and kernel memory count too); a stopped unit would be killed the moment it starts"
            % (unit, key, written, nbytes, LIMIT_FLOOR // MIB))
