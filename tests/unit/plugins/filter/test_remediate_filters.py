# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The remediate filters stay thin: errors become AnsibleFilterError, every filter is registered."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type


import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.headroom.memory.plugins.filter.remediate import (
    FilterModule, remediate_health, remediate_remedy_path, remediate_roles, remediate_table)


def test_every_filter_is_registered():
    assert sorted(FilterModule().filters()) == [
        "remediate_applied", "remediate_changes", "remediate_health", "remediate_outcome", "remediate_plan_rows",
        "remediate_remedy_path", "remediate_remedy_read", "remediate_report_problems", "remediate_roles",
        "remediate_stopped", "remediate_table"]


def test_a_foreign_variable_is_a_filter_error_naming_the_file():
    with pytest.raises(AnsibleFilterError, match="remedy-vars/web1.yml: 'ansible_become_exe' is not a variable"):
        remediate_roles({"ansible_become_exe": "sh -c id"}, "remedy-vars/web1.yml")


def test_bad_thresholds_and_a_bad_table_kind_are_filter_errors():
    with pytest.raises(AnsibleFilterError, match="unknown key"):
        remediate_health({}, {}, [], {}, {"nope": 1})
    with pytest.raises(AnsibleFilterError, match="service_facts' services"):
        remediate_health({}, {}, [], ["a.service"])
    with pytest.raises(AnsibleFilterError, match="kind must be outcome, plan or stopped"):
        remediate_table({}, "html")


def test_the_remedy_path_is_diagnose_s():
    assert remediate_remedy_path("web1") == "remedy-vars/web1.yml"
    assert remediate_remedy_path("Web/1").startswith("remedy-vars/web_1-")
