# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The memory share of one service instance: how much it may have on the host it runs on.

Every sizing role (database, workers) starts from here, so the rule is written once:

    total     = the smallest of MemTotal, the container's (cgroup) limit and the unit's MemoryMax
    others    = the measured RSS of every process group that is not the service's own
    reserve   = an OS reserve (page cache, kernel, agents) that scales with total (default_reserve_mb) unless given
    available = total - others - reserve

and the share of one instance is

    memory: auto   -> available // instances
    memory: 40%    -> 40 % of total
    memory: 2G     -> 2 GiB

A share larger than ``available`` would take memory that the other processes measurably use: refused.
PGTune, innodb_dedicated_server and gunicorn's own advice all assume a dedicated host; this is what makes
them safe on a shared one.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.headroom.memory.plugins.module_utils.sizes import SizeError, parse_size

MIB = 1024 * 1024
RESERVE_MIN_MB = 256   # the reserve of a server (2 GiB and more) never goes below this ...
RESERVE_PCT = 5        # ... and grows with 5 % of its memory above 5 GiB
RESERVE_SMALL_PCT = 12.5  # a small host or container reserves 1/8 of its memory (up to the 256 MiB at 2 GiB) ...
RESERVE_FLOOR_MB = 64  # ... but never less than this


class BudgetError(ValueError):
    """A share that cannot be given; the message names the value and the numbers."""


def default_reserve_mb(total_mb):
    """The OS reserve of a host (or container) of ``total_mb`` MiB: max(64, min(total / 8, max(256, 5 % of total))).

    What the reserve is for: the page cache the services' own code and files need, the kernel's slab and page
    tables, and the watermarks the kernel keeps free; every process (agents, sshd, journald) is measured
    separately as "others". All of these grow with the memory there is, so a fixed 256 MiB, right for a server,
    takes two thirds of a 384 MiB container (whose kernel is not even inside it) and leaves a gunicorn pool
    there no room for two workers. The rule, in three parts:

    - servers (>= 2 GiB) keep the collection's earlier rule, max(256 MiB, 5 %): the sizing notes' "5-10 % of RAM
      for the OS and agents" (sizing-rules.md section 9), agents being counted apart here;
    - below 2 GiB the reserve is 1/8 (12.5 %) of the memory, so it meets the 256 MiB at 2 GiB with no step;
    - never below 64 MiB: the page cache a small service's code and libraries need to run without thrashing.

    ====================  ===================================  =======
    total                  rule                                 reserve
    ====================  ===================================  =======
    384 MiB container      1/8 = 48 MiB, raised to the floor     64 MiB
    1 GiB                  1/8                                  128 MiB
    2 GiB                  1/8 = 256 MiB                        256 MiB
    8 GiB                  5 % (above 256 MiB)                  409 MiB
    64 GiB                 5 %                                 3276 MiB
    ====================  ===================================  =======
    """
    return max(RESERVE_FLOOR_MB, min(int(total_mb * RESERVE_SMALL_PCT // 100),
                                     max(RESERVE_MIN_MB, total_mb * RESERVE_PCT // 100)))


def usable_total(facts, unit_limit_mb=None):
    """Return (total_mb, source): the smallest of MemTotal, the cgroup limit and the unit's MemoryMax."""
    memory = (facts or {}).get("memory") or {}
    total = memory.get("total_mb")
    if not isinstance(total, int) or isinstance(total, bool) or total <= 0:
        raise BudgetError("the host's facts have no memory.total_mb (gather memory_facts with the memory subset)")
    candidates = [(total, "MemTotal")]
    limit = ((facts or {}).get("cgroup") or {}).get("limit_mb")
    if isinstance(limit, int) and not isinstance(limit, bool) and limit > 0:
        candidates.append((limit, "cgroup"))
    if unit_limit_mb is not None:
        if not isinstance(unit_limit_mb, int) or isinstance(unit_limit_mb, bool) or unit_limit_mb <= 0:
            raise BudgetError("unit_limit_mb %r is not a positive number of MiB" % (unit_limit_mb,))
        candidates.append((unit_limit_mb, "unit"))
    return min(candidates, key=lambda c: c[0])


def others_rss(facts, own_comms=()):
    """Return (others_mb, top): the RSS of every process group not named in ``own_comms``, biggest first."""
    groups = (facts or {}).get("process_groups")
    if groups is None:
        raise BudgetError("the host's facts have no process_groups (gather memory_facts with the processes subset)")
    own = set(own_comms or ())
    others = [g for g in groups if g.get("comm") not in own]
    others.sort(key=lambda g: g.get("rss_mb") or 0, reverse=True)
    total = sum(int(g.get("rss_mb") or 0) for g in others)
    top = [{"comm": g.get("comm"), "count": g.get("count"), "rss_mb": g.get("rss_mb")} for g in others[:5]]
    return total, top


def _spec_mb(memory, total_mb):
    """A size or percentage spec in MiB, or None for ``auto``; sizes.parse_size reads both."""
    if isinstance(memory, str) and memory.strip().lower() == "auto":
        return None
    if isinstance(memory, int) and not isinstance(memory, bool):
        value = memory  # a bare number is MiB here, as in the roles' documentation
    else:
        try:
            value = parse_size(memory, total=total_mb * MIB, allow_percent=True) // MIB
        except SizeError as exc:
            raise BudgetError("memory %r is not auto, a percentage or a size (512M, 2G): %s" % (memory, exc))
    if value <= 0:
        raise BudgetError("memory %r is not a positive size" % (memory,))
    return value


def memory_share(memory, facts, own_comms=(), instances=1, unit_limit_mb=None, reserve_mb=None):
    """Return the share of one service instance in MiB with the arithmetic behind it (see the module doc).

    ``facts`` is ``ansible_facts['headroom']`` from memory_facts (memory, cgroup, processes subsets).
    Raises BudgetError naming the bad value, or the numbers when the share does not fit.
    """
    if not isinstance(instances, int) or isinstance(instances, bool) or instances < 1:
        raise BudgetError("instances %r is not a whole number of at least 1" % (instances,))
    total_mb, source = usable_total(facts, unit_limit_mb)
    if reserve_mb is None:
        reserve_mb = default_reserve_mb(total_mb)
    elif not isinstance(reserve_mb, int) or isinstance(reserve_mb, bool) or reserve_mb < 0:
        raise BudgetError("reserve_mb %r is not a whole number of MiB (0 or more)" % (reserve_mb,))
    others_mb, top = others_rss(facts, own_comms)
    available_mb = total_mb - others_mb - reserve_mb
    spec = _spec_mb(memory, total_mb)
    where = "%d MiB (%s) - %d MiB other processes - %d MiB reserve = %d MiB" % (
        total_mb, source, others_mb, reserve_mb, available_mb)
    if spec is None:
        share_mb = available_mb // instances if available_mb > 0 else 0
        arithmetic = "auto: %s, / %d instance%s = %d MiB" % (
            where, instances, "" if instances == 1 else "s", share_mb)
        if share_mb <= 0:
            raise BudgetError("memory auto leaves nothing for the service: %s" % where)
    else:
        share_mb = spec
        arithmetic = "%s = %d MiB of %s" % (memory, share_mb, where)
        if share_mb > available_mb:
            raise BudgetError(
                "memory %s = %d MiB would take memory the other processes use: only %s are available"
                % (memory, share_mb, where))
    return {
        "share_mb": share_mb,
        "total_mb": total_mb,
        "total_source": source,
        "others_mb": others_mb,
        "others": top,
        "reserve_mb": reserve_mb,
        "available_mb": available_mb,
        "instances": instances,
        "memory": memory,
        "arithmetic": arithmetic,
    }
