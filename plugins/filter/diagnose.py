# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the headroom.memory.diagnose role's preflight: thin over module_utils/oom/since.py and
plugin_utils/triage/common.py (the thresholds, their types and ranges)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.headroom.memory.plugins.module_utils.oom.since import since_error
from ansible_collections.headroom.memory.plugins.plugin_utils.lazy_import import LazyModule

# imported on first use: ansible loads this file in every worker that looks up any headroom.memory filter
common = LazyModule("ansible_collections.headroom.memory.plugins.plugin_utils.triage.common")


def diagnose_since_errors(value, name="diagnose_since"):
    """What is wrong with a diagnose_since value, by the rule memory_facts applies on the host: [] or [message]."""
    error = since_error(value, time.time(), name)
    return [error] if error else []


def diagnose_thresholds_errors(value):
    """What is wrong with a diagnose_thresholds value (keys, types, ranges, order), by the rule triage applies: []
    or [message naming the key and the value]."""
    return common.threshold_errors(value)


class FilterModule(object):
    def filters(self):
        return {"diagnose_since_errors": diagnose_since_errors, "diagnose_thresholds_errors": diagnose_thresholds_errors}
