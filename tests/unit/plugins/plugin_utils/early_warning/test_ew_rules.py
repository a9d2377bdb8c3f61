# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The alert rules: thresholds agree with diagnose's, promtool accepts the file and its rule unit tests
(input series -> expected alerts, tests/unit/fixtures/early_warning/rules-test.yml) pass for every alert."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import subprocess

import pytest
import yaml

from ansible_collections.headroom.memory.plugins.plugin_utils.triage.common import DEFAULT_THRESHOLDS
from ansible_collections.headroom.memory.plugins.plugin_utils.early_warning.inputs import (
    THRESHOLD_NAMES, input_errors, thresholds_of)
from ansible_collections.headroom.memory.plugins.plugin_utils.early_warning.rules import (
    THRESHOLD_KEYS, alert_rules, threshold_errors)

HERE = os.path.dirname(__file__)
ROOT = os.path.join(HERE, "..", "..", "..", "..", "..")
DEFAULTS = os.path.join(ROOT, "roles", "early_warning", "defaults", "main.yml")
RULES_TEST = os.path.join(ROOT, "tests", "unit", "fixtures", "early_warning", "rules-test.yml")
# role threshold -> the diagnose_thresholds key it must agree with
SHARED = {
    "available_warn_pct": "available_warn_pct",
    "available_crit_pct": "available_crit_pct",
    "psi_full_avg60_warn": "psi_full_avg60_warn",
    "psi_full_avg60_crit": "psi_full_avg60_crit",
}


@pytest.fixture(scope="module")
def defaults():
    with open(DEFAULTS) as f:
        return yaml.safe_load(f)


def test_thresholds_agree_with_diagnose(defaults):
    thresholds = thresholds_of(defaults)
    for ours, theirs in SHARED.items():
        assert thresholds[ours] == DEFAULT_THRESHOLDS[theirs], ours
    # every threshold the rules read is a role variable, and nothing else is taken for one
    assert sorted(thresholds) == sorted(THRESHOLD_KEYS) == sorted(THRESHOLD_NAMES)


def test_defaults_are_valid(defaults):
    assert input_errors(defaults) == []


@pytest.mark.parametrize("key,value,words", [
    ("available_warn_pct", 0, "above 0 and below 100"),
    ("available_crit_pct", 101, "above 0 and below 100"),
    ("available_crit_pct", 20, "must not be above available_warn_pct"),
    ("psi_full_avg60_warn", "2", "number"),
    ("available_for", "5 minutes", "duration"),
    ("oom_window", "0m", "duration"),
    ("swap_io_pages_per_s", -5, "above 0"),
    ("psi_full_avg60_warn", True, "number"),
])
def test_bad_thresholds_are_named(defaults, key, value, words):
    thresholds = dict(thresholds_of(defaults), **{key: value})
    errors = threshold_errors(thresholds)
    assert errors and any(key in e and words in e for e in errors), errors
    with pytest.raises(ValueError):
        alert_rules(thresholds)


def test_missing_and_unknown_thresholds(defaults):
    thresholds = thresholds_of(defaults)
    del thresholds["oom_window"]
    thresholds["typo_pct"] = 3
    errors = threshold_errors(thresholds)
    assert any("oom_window is missing" in e for e in errors)
    assert any("typo_pct is not a threshold" in e for e in errors)


@pytest.mark.parametrize("labels,words", [
    ({"severity": "page"}, "set by the rules"),
    ({"bad-name": "x"}, "label name"),
    ({"__x": "x"}, "label name"),
    ({"team": 3}, "plain string"),
    ({"team": "{{ lookup('pipe', 'id') }}"}, "plain string"),
    ("team=ops", "mapping"),
])
def test_bad_labels(defaults, labels, words):
    errors = threshold_errors(thresholds_of(defaults), labels)
    assert any(words in e for e in errors), errors


def test_labels_on_every_alert(defaults):
    rules = alert_rules(thresholds_of(defaults), {"team": "sre"})["groups"][0]["rules"]
    assert all(r["labels"]["team"] == "sre" and r["labels"]["severity"] in ("warning", "critical") for r in rules)


def test_thresholds_reach_the_expressions(defaults):
    thresholds = dict(thresholds_of(defaults), available_crit_pct=7, unit_limit_pct=95, oom_window="1h")
    rules = dict((r["alert"], r) for r in alert_rules(thresholds)["groups"][0]["rules"])
    assert rules["HeadroomMemoryAvailableCritical"]["expr"] == "headroom_memory_available_ratio < 0.07"
    assert rules["HeadroomUnitNearMemoryMax"]["expr"].endswith("> 0.95")
    assert "[1h]" in rules["HeadroomOOMKill"]["expr"] and "< 3600" in rules["HeadroomOOMKill"]["expr"]


def write_rules(tmp_path, defaults):
    rules = alert_rules(thresholds_of(defaults), {})
    path = tmp_path / "rules.yml"
    path.write_text(yaml.safe_dump(rules, sort_keys=False))
    shutil.copy(RULES_TEST, str(tmp_path / "rules-test.yml"))
    return rules


def test_promtool_checks_the_rules_file(tmp_path, defaults, promtool):
    rules = write_rules(tmp_path, defaults)
    proc = subprocess.run([promtool, "check", "rules", str(tmp_path / "rules.yml")], capture_output=True, check=False)
    out = (proc.stdout + proc.stderr).decode()
    assert proc.returncode == 0, out
    assert "SUCCESS: %d rules found" % len(rules["groups"][0]["rules"]) in out


def test_every_alert_has_rule_unit_tests(defaults):
    with open(RULES_TEST) as f:
        spec = yaml.safe_load(f)
    tested = set()
    for test in spec["tests"]:
        for case in test["alert_rule_test"]:
            if case["exp_alerts"]:
                tested.add(case["alertname"])
    alerts = set(r["alert"] for r in alert_rules(thresholds_of(defaults))["groups"][0]["rules"])
    assert tested == alerts


def test_promtool_rule_unit_tests_pass(tmp_path, defaults, promtool):
    write_rules(tmp_path, defaults)
    proc = subprocess.run([promtool, "test", "rules", "rules-test.yml"], cwd=str(tmp_path), capture_output=True, check=False)
    out = (proc.stdout + proc.stderr).decode()
    assert proc.returncode == 0, out
    assert "SUCCESS" in out


def test_promtool_rule_unit_tests_catch_a_wrong_threshold(tmp_path, defaults, promtool):
    # the rule tests are real: with another threshold the expected alerts no longer match
    write_rules(tmp_path, dict(defaults, early_warning_available_warn_pct=11))
    proc = subprocess.run([promtool, "test", "rules", "rules-test.yml"], cwd=str(tmp_path), capture_output=True, check=False)
    assert proc.returncode != 0
