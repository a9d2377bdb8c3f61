# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the headroom.memory.remediate role: thin over plugin_utils/remediate/plan.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.headroom.memory.plugins.plugin_utils.lazy_import import LazyModule

# imported on first use: ansible loads this file in every worker that looks up any headroom.memory filter
plan = LazyModule("ansible_collections.headroom.memory.plugins.plugin_utils.remediate.plan")
proof = LazyModule("ansible_collections.headroom.memory.plugins.plugin_utils.remediate.proof")
remedy_file = LazyModule("ansible_collections.headroom.memory.plugins.plugin_utils.remediate.remedy_file")
files = LazyModule("ansible_collections.headroom.memory.plugins.plugin_utils.report.files")
common = LazyModule("ansible_collections.headroom.memory.plugins.plugin_utils.triage.common")


def remediate_roles(doc, name="remedy-vars", facts=None, host=None):
    """[{role, vars}] in the order remediate applies them; only what diagnose proposes, and with ``facts``
    only sizes the remedy gate still passes on the host."""
    try:
        return plan.roles_for(doc, name, facts, host)
    except plan.RemediateError as exc:
        raise AnsibleFilterError(str(exc))


def remediate_remedy_read(report_dir, host, report, allow_edited=False):
    """The host's remedy-vars document: the regular file inside the report directory, as diagnose wrote it."""
    if not isinstance(allow_edited, bool):
        raise AnsibleFilterError("remediate_remedy_read: allow_edited must be true or false, got %r" % (allow_edited,))
    try:
        return remedy_file.read_remedy(report_dir, host, report, allow_edited)
    except plan.RemediateError as exc:
        raise AnsibleFilterError(str(exc))


def remediate_report_problems(report, host, facts, max_age_h=24):
    """Why this report may not drive this host ([] when it may)."""
    return plan.report_problems(report, host, facts, max_age_s=float(max_age_h) * 3600)


def remediate_health(before, after, running_before, services_after, thresholds=None, check_mode=False):
    """The health gate's problems for one host ([] when healthy)."""
    try:
        return plan.health_problems(before, after, running_before, services_after, thresholds, bool(check_mode))
    except (plan.RemediateError, common.ThresholdError) as exc:
        raise AnsibleFilterError(str(exc))


def remediate_outcome(before, after, applied=None):
    """Each finding per host and instance: fixed, pending restart, gone (not by this run), not re-checked,
    remaining or new, with the reason."""
    return proof.outcome(before, after, applied)


def remediate_applied(hosts, hostvars):
    """Per host what remediate applied (__remediate_applied) and what each role it ran changed."""
    return proof.applied_hosts(hosts, hostvars)


def remediate_table(data, kind="outcome"):
    """The outcome (kind=outcome), plan (kind=plan) or a stopped run's record (kind=stopped) as console lines."""
    if kind == "plan":
        return plan.plan_lines(data)
    if kind == "stopped":
        return plan.stopped_lines(data)
    if kind == "outcome":
        return proof.outcome_lines(data)
    raise AnsibleFilterError("remediate_table: kind must be outcome, plan or stopped, got %r" % (kind,))


def remediate_changes(facts, role):
    """What a remedy role reported it changes, from its result facts."""
    return plan.role_changes(role, facts)


def remediate_plan_rows(hosts, hostvars):
    """[{host, roles: [{role, vars, changes}]}] for the plan table."""
    return plan.plan_rows(hosts, hostvars)


def remediate_stopped(hosts, hostvars):
    """The record of a run that stopped during the apply: per host ok, failed (why) or stopped, and what
    each role changed."""
    return plan.stopped_record(hosts, hostvars)


def remediate_remedy_path(host):
    """remedy-vars/<host>.yml as diagnose wrote it for this inventory hostname."""
    return files.remedy_path(host)


class FilterModule(object):
    """headroom.memory.remediate filters."""

    def filters(self):
        return {
            "remediate_roles": remediate_roles,
            "remediate_report_problems": remediate_report_problems,
            "remediate_health": remediate_health,
            "remediate_outcome": remediate_outcome,
            "remediate_applied": remediate_applied,
            "remediate_table": remediate_table,
            "remediate_changes": remediate_changes,
            "remediate_remedy_path": remediate_remedy_path,
            "remediate_remedy_read": remediate_remedy_read,
            "remediate_plan_rows": remediate_plan_rows,
            "remediate_stopped": remediate_stopped,
        }
