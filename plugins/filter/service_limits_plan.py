# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the service_limits role: thin over plugin_utils/service_limits/plan.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible_collections.headroom.memory.plugins.plugin_utils.lazy_import import LazyModule
from ansible_collections.headroom.memory.plugins.module_utils.sizes import SizeError

# imported on first use: ansible loads this file in every worker that looks up any headroom.memory filter
limits_plan = LazyModule("ansible_collections.headroom.memory.plugins.plugin_utils.service_limits.plan")


def _info(info):
    if not isinstance(info, dict) or "units" not in info or "host" not in info:
        raise AnsibleFilterError("service_limits filters need the registered result of headroom.memory.unit_memory_info")
    return info


def service_limits_preflight(items, margin="auto"):
    """Errors in the role's input that need no host (empty list when all is well): for the preflight."""
    return limits_plan.preflight(items, margin)


def service_limits_plan(items, info, margin="auto", allow_unkillable=False, allow_missing_units=False,
                        clear_runtime_overrides=False):
    """The plan for a service_limits_units list against the units' state."""
    info = _info(info)
    if not isinstance(items, list):
        raise AnsibleFilterError("service_limits_units must be a list, got %s" % type(items).__name__)
    try:
        margin = limits_plan.margin_bytes(margin)
    except SizeError as e:
        raise AnsibleFilterError("service_limits_margin: %s" % e)
    return limits_plan.plan(items, info["units"], info["host"], {
        "margin": margin,
        "allow_unkillable": bool(allow_unkillable),
        "allow_missing_units": bool(allow_missing_units),
        "clear_runtime_overrides": bool(clear_runtime_overrides),
    })


def service_limits_live(the_plan, info):
    """What to push to running units with systemctl set-property --runtime."""
    info = _info(info)
    return limits_plan.live_changes(the_plan, info["units"], the_plan.get("cgroup"), the_plan.get("systemd_version"))


def service_limits_restart(the_plan, info):
    """Units whose running process lacks a setting that applies only at start."""
    return limits_plan.restart_needed(the_plan, _info(info)["units"])


def service_limits_report(units, live, restarts, written=None):
    """Per-unit result: the plan plus what was pushed live, why a restart is needed and whether its drop-in changed."""
    return limits_plan.report(units, live, restarts, written)


class FilterModule(object):
    def filters(self):
        return {
            "service_limits_plan": service_limits_plan,
            "service_limits_preflight": service_limits_preflight,
            "service_limits_live": service_limits_live,
            "service_limits_restart": service_limits_restart,
            "service_limits_report": service_limits_report,
        }
