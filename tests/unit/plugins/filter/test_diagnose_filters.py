# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The diagnose role's preflight filter: the oom_since rule of memory_facts, on the controller."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.headroom.memory.plugins.filter.diagnose import (
    FilterModule, diagnose_since_errors, diagnose_thresholds_errors)
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.common import DEFAULT_THRESHOLDS, THRESHOLD_RANGES


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


@pytest.mark.parametrize("value, words", [
    ({"available_crit_pct": 500}, "diagnose_thresholds.available_crit_pct: 500 is out of range: from 0 to 100"),
    ({"available_warn_pct": -1}, "diagnose_thresholds.available_warn_pct: -1 is out of range"),
    ({"psi_full_avg60_crit": 100.5}, "diagnose_thresholds.psi_full_avg60_crit: 100.5 is out of range"),
    ({"oom_kills_crit": 0}, "oom_kills_crit: 0 is out of range: from 1 to 1000000"),
    ({"protected_score_adj": 900}, "protected_score_adj: 900 is out of range: from -1000 to 0"),
    ({"swappiness_target": 201}, "swappiness_target: 201 is out of range: from 0 to 200"),
    ({"availble_warn_pct": 10}, "unknown key 'availble_warn_pct'"),
    ({"available_warn_pct": "lots"}, "available_warn_pct: expected a number, got 'lots'"),
    ("not a dict", "must be a dict"),
])
def test_bad_thresholds_give_one_message_naming_the_key_and_value(value, words):
    errors = diagnose_thresholds_errors(value)
    assert len(errors) == 1 and words in errors[0], errors


@pytest.mark.parametrize("value", [{}, None, {"available_warn_pct": "20", "available_crit_pct": 0},
                                   {"psi_full_avg60_warn": 5, "psi_full_avg60_crit": 5}, {"protected_score_adj": -1000},
                                   {"oom_cgroup_prefix": "/libpod_parent/libpod-abc/"}])
def test_good_thresholds_pass_and_the_filter_is_registered(value):
    assert diagnose_thresholds_errors(value) == []
    assert FilterModule().filters()["diagnose_thresholds_errors"] is diagnose_thresholds_errors


def test_every_numeric_threshold_has_a_range_that_holds_its_default():
    for key, default in DEFAULT_THRESHOLDS.items():
        if isinstance(default, (int, float)) and not isinstance(default, bool):
            low, high = THRESHOLD_RANGES[key]
            assert low <= default <= high, key
    assert set(THRESHOLD_RANGES) <= set(DEFAULT_THRESHOLDS)
