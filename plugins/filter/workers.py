# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the headroom.memory.workers role: thin over plugin_utils.workers (plan, pools) and the
shared memory share (plugin_utils.budget)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.headroom.memory.plugins.plugin_utils.workers.plan import WorkersError, pool_errors
from ansible_collections.headroom.memory.plugins.plugin_utils.workers.pools import (
    TOLERANCE_PCT, cli_refusals, complete, detect, plan_all, unit_properties, with_pool_files)


def workers_pool_errors(pools, default_memory="auto"):
    """Readable problems with workers_pools; [] when every entry is valid."""
    return pool_errors(pools, default_memory)


def workers_detect(facts):
    """The pools running on a host, from its memory_facts (php-fpmX.Y, apache2, gunicorn groups)."""
    return detect(facts or {})


def workers_with_pool_files(detected, file_lists):
    """Detected php_fpm pools with config set to their version's only pool file."""
    try:
        return with_pool_files(detected, file_lists)
    except WorkersError as e:
        raise AnsibleFilterError(str(e))


def workers_unit_properties(lines):
    """``systemctl show`` output lines as a dict."""
    return unit_properties(lines)


def workers_cli_refusals(results):
    """Refusals of gunicorn pools whose unit's ExecStart sets --workers/-w (from a registered systemctl show loop)."""
    return cli_refusals(results)


def workers_complete(pools, defaults):
    """workers_pools with every key derived (comm, unit, dest, binary, name, memory, min, max, ...)."""
    try:
        return complete(pools, defaults)
    except WorkersError as e:
        raise AnsibleFilterError(str(e))


def workers_plan(pools, facts, cores=1, texts=None, units=None, tolerance_pct=TOLERANCE_PCT, reserve_mb=None):
    """One plan per completed pool (count, settings, arithmetic, new file content), or its error."""
    from ansible_collections.headroom.memory.plugins.plugin_utils.budget import memory_share

    def share(pool, own, instances, unit_limit_mb):
        return memory_share(pool["memory"], facts, own_comms=own, instances=instances,
                            unit_limit_mb=unit_limit_mb, reserve_mb=reserve_mb)

    return plan_all(pools, facts or {}, int(cores or 1), texts or {}, units or {}, share, int(tolerance_pct))


class FilterModule(object):
    def filters(self):
        return {
            "workers_pool_errors": workers_pool_errors,
            "workers_detect": workers_detect,
            "workers_complete": workers_complete,
            "workers_with_pool_files": workers_with_pool_files,
            "workers_unit_properties": workers_unit_properties,
            "workers_cli_refusals": workers_cli_refusals,
            "workers_plan": workers_plan,
        }
