# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the pm2 role: thin over plugin_utils/pm2 (ecosystem.py, plan.py, role.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible_collections.headroom.memory.plugins.plugin_utils.lazy_import import LazyModule

# imported on first use: ansible loads this file in every worker that looks up any headroom.memory filter
ecosystem = LazyModule("ansible_collections.headroom.memory.plugins.plugin_utils.pm2.ecosystem")
pm2 = LazyModule("ansible_collections.headroom.memory.plugins.plugin_utils.pm2.plan")
role = LazyModule("ansible_collections.headroom.memory.plugins.plugin_utils.pm2.role")


def pm2_ecosystem_edit(text, format, app, settings):  # pylint: disable=redefined-builtin
    """``{text, changed, error}``: the ecosystem file with the app's max_memory_restart and heap flag set."""
    return ecosystem.edit(text, format, app, settings)


def pm2_ecosystem_format(path):
    """json, yaml or js from an ecosystem file's name; an error for a name PM2 would not read as one."""
    fmt = ecosystem.file_format(path)
    if fmt is None:
        raise AnsibleFilterError("pm2: %r is not an ecosystem file name PM2 reads (.json, .yml, .yaml, .config.js, "
                                 ".config.cjs, .config.mjs)" % (path,))
    return fmt


def pm2_plan(app_facts, host_view, max_memory_restart=None, max_old_space_size=None, peak_mb=None, steady_mb=None,
             unit_limit_mb=None, reserve_mb=None, unit_use_mb=None):
    """The sized max_memory_restart and heap ceiling of one PM2 app (errors in the result, with the numbers)."""
    if not isinstance(host_view, dict):
        raise AnsibleFilterError("pm2_plan needs ansible_facts['headroom'] (memory, cgroup, processes), got %s"
                                 % type(host_view).__name__)
    return pm2.plan(app_facts, host_view, max_memory_restart=max_memory_restart,
                    max_old_space_size=max_old_space_size, peak_mb=peak_mb, steady_mb=steady_mb,
                    unit_limit_mb=unit_limit_mb, reserve_mb=reserve_mb, unit_use_mb=unit_use_mb)


def pm2_jlist_apps(stdout):
    """``pm2 jlist`` output reduced to the keys the role uses (never the apps' environment)."""
    return role.jlist_apps(stdout)


def pm2_preflight(apps, user="root", home=None, executable="pm2", timeout=60):
    """Errors in the role's input that need no host (empty list when all is well): for the preflight."""
    return role.preflight(apps, user, home, executable, timeout)


def pm2_want(apps, restart=False):
    """The role's preflighted pm2_apps normalised (sizes in MiB, PM2's notation kept, restart resolved)."""
    return role.want(apps, restart)


def pm2_role_plan(want, now, files, texts, stats):
    """Each wanted app's edit, live comparison and refusal (the plan's own rules)."""
    try:
        return role.role_plan(want, now, files, texts, stats)
    except ValueError as e:
        raise AnsibleFilterError(str(e))


class FilterModule(object):
    def filters(self):
        return {
            "pm2_ecosystem_edit": pm2_ecosystem_edit,
            "pm2_ecosystem_format": pm2_ecosystem_format,
            "pm2_plan": pm2_plan,
            "pm2_jlist_apps": pm2_jlist_apps,
            "pm2_role_plan": pm2_role_plan,
            "pm2_preflight": pm2_preflight,
            "pm2_want": pm2_want,
        }
