# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the heap role: thin over plugin_utils/heap/plan.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible_collections.headroom.memory.plugins.plugin_utils.lazy_import import LazyModule

# imported on first use: ansible loads this file in every worker that looks up any headroom.memory filter
heap = LazyModule("ansible_collections.headroom.memory.plugins.plugin_utils.heap.plan")
from ansible_collections.headroom.memory.plugins.module_utils.systemd.unit_names import unit_name


def _info(info):
    if not isinstance(info, dict) or "units" not in info or "host" not in info:
        raise AnsibleFilterError("heap filters need the registered result of headroom.memory.unit_memory_info")
    return info


def heap_plan(items, info, java_versions=None):
    """The plan for a heap_services list against the units' state.

    java_versions: the registered loop results of ``java -version`` (each with item.unit and stderr),
    or a dict {unit: version text}.
    """
    info = _info(info)
    if not isinstance(items, list):
        raise AnsibleFilterError("heap_services must be a list, got %s" % type(items).__name__)
    versions = {}
    if isinstance(java_versions, dict):
        versions = dict((unit_name(k), v) for k, v in java_versions.items())
    else:
        for result in java_versions or []:
            unit = ((result or {}).get("item") or {}).get("unit")
            if unit:
                versions[unit_name(unit)] = "%s\n%s" % (result.get("stderr") or "", result.get("stdout") or "")
    return heap.plan(items, info["units"], info["host"], versions)


def heap_preflight(items):
    """Errors in heap_services that need no host (empty list when all is well): for the preflight."""
    return heap.preflight(items)


def heap_edit_default(text, variable, flags):
    """An /etc/default file's text with the variable carrying the heap flags."""
    try:
        return heap.edit_default_file(text, variable, flags)
    except ValueError as e:
        raise AnsibleFilterError("heap: %s" % e)


def heap_default_files(seen, targets=None):
    """The /etc/default files to edit (a link at its target) with the mode, owner and group each keeps, and the
    errors of those refused, from stat (follow: false) of the files and of the links' targets."""
    if not isinstance(seen, list) or not isinstance(targets or [], list):
        raise AnsibleFilterError("heap_default_files needs the results of two stat loops (lists)")
    try:
        return heap.default_files(seen, targets)
    except (KeyError, TypeError) as e:
        raise AnsibleFilterError("heap_default_files: a stat result without item.unit and item.path (%s)" % e)


def heap_restart(the_plan, info, changed_paths=None):
    """Units whose running process started before its heap file changed (or will change in check mode)."""
    info = _info(info)
    changed = set(changed_paths or [])
    out = []
    for unit_plan in the_plan.get("units", []):
        unit_info = info["units"].get(unit_plan["unit"]) or {}
        mtime = info.get("paths", {}).get(unit_plan["path"])
        if unit_info.get("active_state") != "active":
            continue
        if unit_plan["path"] in changed or heap.restart_needed(unit_info, [mtime]):
            out.append(unit_plan["unit"])
    return out


class FilterModule(object):
    def filters(self):
        return {
            "heap_plan": heap_plan,
            "heap_preflight": heap_preflight,
            "heap_edit_default": heap_edit_default,
            "heap_default_files": heap_default_files,
            "heap_restart": heap_restart,
        }
