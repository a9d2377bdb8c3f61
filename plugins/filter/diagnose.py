# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the headroom.memory.diagnose role's preflight: thin over module_utils/oom/since.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.headroom.memory.plugins.module_utils.oom.since import since_error


def diagnose_since_errors(value, name="diagnose_since"):
    """What is wrong with a diagnose_since value, by the rule memory_facts applies on the host: [] or [message]."""
    error = since_error(value, time.time(), name)
    return [error] if error else []


class FilterModule(object):
    def filters(self):
        return {"diagnose_since_errors": diagnose_since_errors}
