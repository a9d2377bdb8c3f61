# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the headroom.memory.remediate role, all or nothing per host: thin over
plugin_utils/remediate/phases.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.headroom.memory.plugins.plugin_utils.lazy_import import LazyModule

# imported on first use: ansible loads this file in every worker that looks up any headroom.memory filter
phases = LazyModule("ansible_collections.headroom.memory.plugins.plugin_utils.remediate.phases")


def remediate_planned_files(facts, role):
    """The files the plan of ``role`` will write, from the host's variables after its phase_plan."""
    return phases.planned_files(role, facts)


def remediate_snapshot(stats):
    """The planned files as they are before the apply, from a stat loop's results."""
    try:
        return phases.snapshot(stats)
    except ValueError as exc:
        raise AnsibleFilterError(str(exc))


def remediate_rollback(before, now_stats):
    """Which copied files to restore and which to remove after a failed apply."""
    return phases.rollback(before, now_stats)


def remediate_apply_failed(applied, failed_role, done, facts, files_by_role, undone, left=None, live_results=None):
    """The host's record after a failure during the apply: what was put back, what stayed changed."""
    return phases.apply_failed(applied, failed_role, done, facts, files_by_role, undone, left, live_results)


def remediate_plan_refused(applied, role, why):
    """The host's record when a role refused in its plan: nothing was changed."""
    return phases.plan_refused(applied, role, why)


class FilterModule(object):
    """headroom.memory.remediate filters of the plan and apply phases."""

    def filters(self):
        return {
            "remediate_planned_files": remediate_planned_files,
            "remediate_snapshot": remediate_snapshot,
            "remediate_rollback": remediate_rollback,
            "remediate_apply_failed": remediate_apply_failed,
            "remediate_plan_refused": remediate_plan_refused,
        }
