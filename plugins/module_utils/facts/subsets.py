# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``gather_subset`` of headroom.memory.memory_facts, resolved the way ansible.builtin.setup does it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

SUBSETS = ("memory", "swap", "sysctl", "pressure", "cgroup", "processes", "oom", "settings", "containers", "pm2")


def resolve_subsets(requested, valid=SUBSETS):
    """The set of subset names to gather for a ``gather_subset`` list.

    ``all`` adds every subset, a name adds itself, ``!name`` removes it and ``!all`` removes everything
    but what is named explicitly (``[!all, oom]`` is just oom). When nothing is added (only exclusions,
    or an empty list) the start is ``all``, as in setup: ``[!oom]`` means everything but oom.
    Raises ValueError naming any unknown entry.
    """
    added, excluded, explicit, unknown = set(), set(), set(), []
    for item in requested or []:
        name = str(item).strip()
        exclude = name.startswith("!")
        if exclude:
            name = name[1:].strip()
        if name == "all":
            target = set(valid)
        elif name in valid:
            target = {name}
        else:
            unknown.append(str(item))
            continue
        (excluded if exclude else added).update(target)
        if not exclude and name != "all":
            explicit.add(name)
    if unknown:
        raise ValueError(
            "gather_subset: unknown %s %s; choose from all, %s, each optionally with a leading '!'"
            % ("entry" if len(unknown) == 1 else "entries", ", ".join(repr(u) for u in unknown), ", ".join(valid)))
    if not added:
        added = set(valid)
    return added - (excluded - explicit)
