# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the headroom.memory.swap role: thin over module_utils.swap_size and swap_sysctl."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.headroom.memory.plugins.module_utils.swap.size import size_errors
from ansible_collections.headroom.memory.plugins.plugin_utils.swap.sysctl_plan import sysctl_plan


def swap_entries(entries):
    """Normalise swap_files entries: state defaults to present, size to auto, priority to None."""
    if not isinstance(entries, list):
        raise AnsibleFilterError("swap_entries: expected a list of {path, size, priority, state}, got %s" % type(entries).__name__)
    out = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise AnsibleFilterError("swap_entries: entry %r is not a mapping" % (entry,))
        item = {"state": "present", "size": "auto", "priority": None}
        item.update(dict((k, v) for k, v in entry.items() if v is not None))
        out.append(item)
    return out


def swap_size_errors(entries, policy="vps"):
    """Readable problems with swap_files entries and the size policy; an empty list when all is well."""
    try:
        entries = swap_entries(entries)
    except AnsibleFilterError as e:
        return [str(e)]
    errors = size_errors(entries, policy)
    paths = [e.get("path") for e in entries]
    for p in sorted(set(x for x in paths if paths.count(x) > 1 and isinstance(x, str))):
        errors.append("path %s is listed more than once" % p)
    return errors


def swap_sysctl_plan(found, default_name, override=False):
    """Our sysctl.d file name and the files that override it at boot, from ansible.builtin.find's files."""
    paths = [f["path"] if isinstance(f, dict) else f for f in (found or [])]
    return sysctl_plan(paths, default_name, bool(override))


def swap_summary(results):
    """Per-file outcome (created/resized/removed/activated/reprioritized/unchanged) from swapfile loop results."""
    words = {"create": "created", "recreate": "created", "resize": "resized", "remove": "removed",
             "activate": "activated", "reprioritize": "reprioritized", "none": "unchanged"}
    out = []
    for r in results or []:
        if r.get("skipped"):
            continue
        outcome = words.get(r.get("action"), "unchanged")
        if outcome == "unchanged" and r.get("changed"):
            outcome = "updated"
        out.append({"path": r.get("path"), "outcome": outcome, "changed": bool(r.get("changed")),
                    "size_bytes": r.get("size_bytes"), "active": r.get("active"), "priority": r.get("priority"),
                    "method": r.get("method"), "fstab_line": r.get("fstab_line")})
    return out


class FilterModule(object):
    def filters(self):
        return {
            "swap_entries": swap_entries,
            "swap_size_errors": swap_size_errors,
            "swap_sysctl_plan": swap_sysctl_plan,
            "swap_summary": swap_summary,
        }
