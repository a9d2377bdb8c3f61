# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one true/false rule of the roles' preflights: what Ansible's own ``bool`` reads (issue #29.7: ``-e
early_warning_collector=false`` was refused), used by early_warning's inputs and the boolean_errors filter."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.headroom.memory.plugins.filter.booleans import FilterModule, boolean_errors
from ansible_collections.headroom.memory.plugins.plugin_utils.booleans import as_bool, bool_errors
from ansible_collections.headroom.memory.plugins.plugin_utils.early_warning.inputs import input_errors

DEFAULTS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "roles", "early_warning", "defaults",
                        "main.yml")


@pytest.mark.parametrize("value, expected", [
    (True, True), (False, False), ("true", True), ("false", False), ("False", False), ("TRUE", True),
    ("yes", True), ("no", False), ("on", True), ("off", False), ("1", True), ("0", False), (1, True), (0, False),
    ("t", True), ("f", False), ("y", True), ("n", False),
    ("maybe", None), ("", None), (None, None), (2, None), (1.0, None), ([], None), ({}, None), (" false ", False),
])
def test_what_ansibles_bool_reads_and_nothing_else(value, expected):
    assert as_bool(value) is expected


def test_errors_name_each_variable_and_value():
    assert bool_errors({"a": "false", "b": True}) == []
    assert bool_errors({"b": "maybe", "a": 2}) == [
        "a must be true or false (yes/no, on/off and 1/0 are read as Ansible reads them), got 2",
        "b must be true or false (yes/no, on/off and 1/0 are read as Ansible reads them), got 'maybe'"]


def test_the_filter_is_thin_and_registered():
    assert FilterModule().filters()["boolean_errors"] is boolean_errors
    assert boolean_errors({"database_backup": "no"}) == []
    assert len(boolean_errors({"database_backup": "maybe"})) == 1
    with pytest.raises(AnsibleFilterError, match="expected a mapping"):
        boolean_errors(["database_backup"])


@pytest.mark.parametrize("key", ["early_warning_collector", "early_warning_earlyoom_from_units"])
def test_early_warning_accepts_the_strings_extra_vars_give(key):
    with open(DEFAULTS) as f:
        defaults = yaml.safe_load(f)
    for given in ("false", "true", "no", "yes", "0", "1"):
        assert input_errors(dict(defaults, **{key: given})) == [], given
    [error] = input_errors(dict(defaults, **{key: "nope"}))
    assert error.startswith("%s must be true or false" % key) and "'nope'" in error
