# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The memory share of each database instance on a host, from the collection's one budget rule
(plugin_utils/budget.memory_share): instances with an explicit size or percentage take theirs, the
``auto`` ones split what is left equally. Every database process on the host is the databases' own, so none
of them counts among the 'other processes'."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.headroom.memory.plugins.plugin_utils.budget import BudgetError, memory_share
from ansible_collections.headroom.memory.plugins.plugin_utils.database.instances import own_comms


class SharesError(ValueError):
    """A share that cannot be given; the message has the numbers."""


# An auto share within this much of the one the last run gave is kept as it was: the RSS of the other
# processes drifts by a few MiB between runs, and a second run must not resize every setting for that.
KEEP_MB = 16
KEEP_PCT = 2


def _kept(previous, name, share_mb):
    prev = (previous or {}).get(name)
    if isinstance(prev, int) and not isinstance(prev, bool) and prev > 0 and \
            abs(prev - share_mb) <= max(KEEP_MB, share_mb * KEEP_PCT // 100):
        return prev
    return None


def shares(entries, facts, reserve_mb=None, previous=None):
    """[{instance, share_mb, arithmetic, budget}] for normalised database_instances entries.

    ``previous`` ({name: share_mb} of the last run) keeps an auto share that moved by at most KEEP_MB or
    KEEP_PCT %.
    """
    own = own_comms(entries)
    try:
        base = memory_share("auto", facts, own_comms=own, instances=1, reserve_mb=reserve_mb)
        fixed = []
        for entry in entries:
            if str(entry["memory"]).strip().lower() != "auto":
                fixed.append((entry, memory_share(entry["memory"], facts, own_comms=own, reserve_mb=reserve_mb)))
    except BudgetError as e:
        raise SharesError("database memory share: %s; nothing was changed" % e)
    fixed_total = sum(b["share_mb"] for _e, b in fixed)
    available = base["available_mb"]
    if fixed_total > available:
        raise SharesError(
            "database memory share: the explicit shares (%s) add up to %d MiB, more than the %d MiB available "
            "(%s); nothing was changed" % (
                ", ".join("%s %s" % (e["name"], e["memory"]) for e, _b in fixed), fixed_total, available,
                base["arithmetic"]))
    autos = [e for e in entries if str(e["memory"]).strip().lower() == "auto"]
    rest = available - fixed_total
    out = []
    for entry in entries:
        match = [b for e, b in fixed if e is entry]
        if match:
            budget = match[0]
            share_mb = budget["share_mb"]
            arithmetic = budget["arithmetic"]
        else:
            share_mb = rest // len(autos)
            budget = base
            arithmetic = "auto: %d MiB (%s) - %d MiB other processes - %d MiB reserve%s = %d MiB, / %d auto " \
                         "instance%s = %d MiB" % (
                             base["total_mb"], base["total_source"], base["others_mb"], base["reserve_mb"],
                             " - %d MiB explicit shares" % fixed_total if fixed_total else "", rest, len(autos),
                             "" if len(autos) == 1 else "s", share_mb)
            if share_mb <= 0:
                raise SharesError("database memory share: %s leaves nothing for %s; nothing was changed"
                                  % (arithmetic, entry["name"]))
            kept = _kept(previous, entry["name"], share_mb)
            if kept is not None and kept != share_mb:
                arithmetic += "; kept the last run's %d MiB (within %d MiB or %d %%)" % (kept, KEEP_MB, KEEP_PCT)
                share_mb = kept
        # the file's comment leaves out the other processes' MiB, which move between runs: written there, a
        # second run would rewrite (and reload) an unchanged configuration
        file_arithmetic = ("%s: %d MiB, of %d MiB (%s) less the other processes and a %d MiB reserve"
                           % (entry["memory"], share_mb, budget["total_mb"], budget["total_source"],
                              budget["reserve_mb"]))
        out.append({"instance": entry, "share_mb": share_mb, "arithmetic": arithmetic,
                    "file_arithmetic": file_arithmetic,
                    "total_mb": budget["total_mb"], "total_source": budget["total_source"],
                    "others_mb": budget["others_mb"], "others": budget["others"], "reserve_mb": budget["reserve_mb"],
                    "available_mb": available})
    return out
