# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The diagnose role's preflight filter: the oom_since rule of memory_facts, on the controller."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.headroom.memory.plugins.filter.diagnose import FilterModule, diagnose_since_errors


@pytest.mark.parametrize("value", ["30d", "90m", "boot", "all", "2026-11-01", "2026-11-01T10:00:00Z"])
def test_valid_values_have_no_errors(value):
    assert diagnose_since_errors(value) == []


@pytest.mark.parametrize("value, words", [
    ("bogus", "diagnose_since 'bogus' is not understood"), ("", "diagnose_since is empty"),
    ("-1d", "cannot be negative"), ("9999-01-01", "in the future"), ("7x; rm -rf /", "not understood"),
])
def test_bad_values_give_one_message_naming_the_variable(value, words):
    errors = diagnose_since_errors(value)
    assert len(errors) == 1 and words in errors[0] and errors[0].startswith("diagnose_since")


def test_the_name_is_configurable_and_the_filter_is_registered():
    assert diagnose_since_errors("x", "my_since")[0].startswith("my_since 'x'")
    assert FilterModule().filters()["diagnose_since_errors"] is diagnose_since_errors
