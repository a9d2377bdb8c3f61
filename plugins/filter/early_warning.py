# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the headroom.memory.early_warning role: thin over plugin_utils.early_warning."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible.utils.unsafe_proxy import wrap_var

from ansible_collections.headroom.memory.plugins.plugin_utils.early_warning.inputs import (
    earlyoom_settings, input_errors, netdata_options, thresholds_of)
from ansible_collections.headroom.memory.plugins.plugin_utils.early_warning.killer import (
    cgroup_version, earlyoom_argv, earlyoom_errors, earlyoom_lists, exec_start, name_errors, units_from_show)
from ansible_collections.headroom.memory.plugins.plugin_utils.early_warning.netdata import health_conf
from ansible_collections.headroom.memory.plugins.plugin_utils.early_warning.rules import alert_rules


def early_warning_errors(inputs):
    """Every problem with the role's inputs (a mapping of variable name to value); empty when all is well."""
    return input_errors(inputs)


def early_warning_rules(inputs):
    """The Prometheus rules file (as data) from the role's inputs: thresholds and early_warning_rules_labels.

    Marked unsafe: the annotations hold Prometheus templates (``{{ $labels.instance }}``), which ansible-core
    2.16 would otherwise template again wherever the fact is used (``unexpected char '$'``)."""
    try:
        return wrap_var(alert_rules(thresholds_of(inputs), inputs.get("early_warning_rules_labels")))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise AnsibleFilterError("early_warning_rules: %s" % exc)


def early_warning_netdata(inputs):
    """Netdata health.d alarms (text) from the role's inputs: the rules' thresholds, the netdata options."""
    try:
        return health_conf(thresholds_of(inputs), netdata_options(inputs))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise AnsibleFilterError("early_warning_netdata: %s" % exc)


def early_warning_earlyoom(show_text, inputs, binary="/usr/bin/earlyoom"):
    """earlyoom's plan: {prefer, avoid, argv, exec_start} from ``systemctl show`` of this collection's units."""
    prefer = list(inputs.get("early_warning_earlyoom_prefer") or [])
    avoid = list(inputs.get("early_warning_earlyoom_avoid") or [])
    settings = earlyoom_settings(inputs)
    errors = (name_errors(prefer, "early_warning_earlyoom_prefer") + name_errors(avoid, "early_warning_earlyoom_avoid")
              + earlyoom_errors(settings))
    if errors:
        raise AnsibleFilterError("early_warning_earlyoom: %s" % "; ".join(errors))
    units = units_from_show(show_text) if inputs.get("early_warning_earlyoom_from_units") else []
    prefer, avoid = earlyoom_lists(units, prefer, avoid)
    argv = earlyoom_argv(settings, prefer, avoid)
    return {"prefer": prefer, "avoid": avoid, "argv": argv, "exec_start": exec_start(binary, argv),
            "units": [u["unit"] for u in units]}


def early_warning_cgroup_version(mountinfo):
    """'1', '2', 'hybrid' or None from /proc/self/mountinfo text."""
    return cgroup_version(mountinfo)


class FilterModule(object):
    def filters(self):
        return {
            "early_warning_errors": early_warning_errors,
            "early_warning_rules": early_warning_rules,
            "early_warning_netdata": early_warning_netdata,
            "early_warning_earlyoom": early_warning_earlyoom,
            "early_warning_cgroup_version": early_warning_cgroup_version,
        }
