# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter boolean_errors: thin over plugin_utils/booleans.py (the one rule for a role's true/false variable)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.headroom.memory.plugins.plugin_utils.booleans import bool_errors


def boolean_errors(values):
    """[message] per ``{variable: value}`` item whose value Ansible's ``bool`` does not read as true or false."""
    if not isinstance(values, dict):
        raise AnsibleFilterError("boolean_errors: expected a mapping of variable: value, got %s" % type(values).__name__)
    return bool_errors(dict(values))


class FilterModule(object):
    def filters(self):
        return {"boolean_errors": boolean_errors}
