# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the headroom.memory.containers role's live update: thin over plugin_utils/containers/live.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.headroom.memory.plugins.plugin_utils.lazy_import import LazyModule

# imported on first use: ansible loads this file in every worker that looks up any headroom.memory filter
live = LazyModule("ansible_collections.headroom.memory.plugins.plugin_utils.containers.live")


def containers_limit_errors(limits):
    """Readable problems with containers_limits; [] when every entry is valid."""
    return live.limit_errors(limits)


def containers_live_targets(limits, inspected, unit_sources=None, proc_text=None):
    """The named containers as their engines and cgroups show them (see plugin_utils/containers/live.py)."""
    found = live.targets(limits, inspected)
    found = live.with_unit_files(found, unit_sources or {})
    return found if proc_text is None else live.cgroup_files(found, proc_text)


def containers_live_paths(targets, what):
    """The files the role reads next: ``proc`` (/proc/<pid>/cgroup), ``counters`` (cgroup files) or ``units``."""
    table = {"proc": live.proc_paths, "counters": live.counter_paths, "units": live.unit_paths}
    if what not in table:
        raise AnsibleFilterError("containers_live_paths: what must be one of %s, got %r" % (", ".join(table), what))
    return table[what](targets)


def containers_live_plan(targets, counters_text, facts, reserve_mb=None):
    """One row per container: use, wanted, changed, the update argv, or the refusal (error)."""
    try:
        return live.plan(targets, counters_text, facts, reserve_mb)
    except live.LiveError as e:
        raise AnsibleFilterError("containers_live_plan: %s" % e)


def containers_live_readback(rows, targets, counters_text):
    """Problems found reading the limits back from inspect and the cgroup files; [] when all are set."""
    return live.readback(rows, targets, counters_text)


def containers_live_report(row, files, written):
    """One entry of containers_result.containers: the plan row, its file and whether that was written."""
    return live.report(row, files, written)


def containers_manifest_errors(manifests):
    """Readable problems with containers_manifests; [] when every entry is valid."""
    return live.manifest_errors(manifests)


def containers_manifest_limits(entry):
    """The file editor's limits of one containers_manifests entry."""
    return live.manifest_limits(entry)


class FilterModule(object):
    def filters(self):
        return {
            "containers_limit_errors": containers_limit_errors,
            "containers_live_targets": containers_live_targets,
            "containers_live_paths": containers_live_paths,
            "containers_live_plan": containers_live_plan,
            "containers_live_readback": containers_live_readback,
            "containers_live_report": containers_live_report,
            "containers_manifest_errors": containers_manifest_errors,
            "containers_manifest_limits": containers_manifest_limits,
        }
