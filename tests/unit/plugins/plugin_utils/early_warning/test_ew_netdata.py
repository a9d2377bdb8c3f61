# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Netdata alarms: Netdata's health syntax, the thresholds equal to the Prometheus rules' (one source),
the Prometheus ``for`` windows as lookups, every value checked before it reaches the file."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

import pytest
import yaml

from ansible_collections.headroom.memory.plugins.filter.early_warning import early_warning_netdata
from ansible_collections.headroom.memory.plugins.plugin_utils.early_warning.inputs import (
    input_errors, netdata_options, thresholds_of)
from ansible_collections.headroom.memory.plugins.plugin_utils.early_warning.netdata import (
    health_conf, netdata_alarms, option_errors)
from ansible_collections.headroom.memory.plugins.plugin_utils.early_warning.rules import alert_rules

HERE = os.path.dirname(__file__)
DEFAULTS = os.path.join(HERE, "..", "..", "..", "..", "..", "roles", "early_warning", "defaults", "main.yml")
# Netdata 1.37's health keys (health_config.c), and a line as its parser reads it: "key: value"
KEYS = ("alarm", "template", "on", "class", "type", "component", "os", "hosts", "lookup", "calc", "units", "every",
        "warn", "crit", "info", "to")
LINE = re.compile(r"^ *([a-z]+): (\S.*)$")


@pytest.fixture(scope="module")
def defaults():
    with open(DEFAULTS) as f:
        return yaml.safe_load(f)


@pytest.fixture(scope="module")
def thresholds(defaults):
    return thresholds_of(defaults)


def _blocks(text):
    """The file parsed back as Netdata reads it: a list of {key: value} per alarm, in order."""
    blocks = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        match = LINE.match(line)
        assert match, line
        key, value = match.groups()
        assert key in KEYS, key
        if key in ("alarm", "template"):
            blocks.append({})
        assert key not in blocks[-1], (key, line)
        blocks[-1][key] = value
    return blocks


def _rule_numbers(thresholds):
    """alert name -> the number its PromQL expression compares with."""
    rules = alert_rules(thresholds)["groups"][0]["rules"]
    return dict((r["alert"], float(r["expr"].rsplit(" ", 1)[-1])) for r in rules if r["expr"][-1].isdigit())


def _number(condition):
    return float(condition.rsplit(" ", 1)[-1])


def test_defaults_render_netdata_syntax(defaults):
    text = early_warning_netdata(defaults)
    blocks = _blocks(text)
    assert [b.get("alarm") or b.get("template") for b in blocks] == [
        "headroom_memory_available", "headroom_memory_pressure", "headroom_memory_swap_used",
        "headroom_memory_swap_io", "headroom_memory_oom_kill", "headroom_memory_unit_near_limit"]
    assert [b["on"] for b in blocks] == ["mem.available", "system.memory_full_pressure", "system.swap",
                                         "system.swapio", "mem.oom_kill", "cgroup.mem_usage"]
    assert "template" in blocks[-1]
    for block in blocks:
        assert block["every"] == "10s" and block["to"] == "sysadmin" and block["os"] == "linux"
        assert re.match(r"^(min|max|sum|average) -[1-9][0-9]*[smh] unaligned (absolute )?of [a-z]+(,[a-z]+)?( 60)?$",
                        block["lookup"])
        assert "delay" not in block  # the status is the condition, as a Prometheus alert's
    assert text.endswith("\n") and "\n\n\n" not in text


def test_thresholds_equal_the_prometheus_rules(thresholds):
    blocks = dict((b.get("alarm") or b.get("template"), b) for b in _blocks(health_conf(thresholds)))
    prom = _rule_numbers(thresholds)
    avail = blocks["headroom_memory_available"]
    assert _number(avail["warn"]) / 100 == prom["HeadroomMemoryAvailableLow"] == 0.15
    assert _number(avail["crit"]) / 100 == prom["HeadroomMemoryAvailableCritical"] == 0.10
    psi = blocks["headroom_memory_pressure"]
    assert _number(psi["warn"]) / 100 == prom["HeadroomMemoryPressureHigh"]
    assert _number(psi["crit"]) / 100 == prom["HeadroomMemoryPressureCritical"]
    assert _number(blocks["headroom_memory_swap_used"]["warn"]) / 100 == prom["HeadroomSwapNearlyFull"]
    assert _number(blocks["headroom_memory_unit_near_limit"]["warn"]) / 100 == prom["HeadroomUnitNearMemoryMax"]
    assert blocks["headroom_memory_oom_kill"]["warn"] == "$this > 0"
    # thrashing: KiB/s in and out over the swap window, in 4 KiB pages, against the rule's pages a second
    swapio = blocks["headroom_memory_swap_io"]
    assert swapio["calc"] == "$this / 4" and _number(swapio["warn"]) == prom["HeadroomSwapThrashing"] == 1000
    assert swapio["lookup"] == "average -%s unaligned absolute of in,out" % thresholds["swap_for"]
    # the windows are the rules' "for" (and the OOM rule's increase window)
    rules = dict((r["alert"], r) for r in alert_rules(thresholds)["groups"][0]["rules"])
    assert " -%s " % rules["HeadroomMemoryAvailableLow"]["for"] in avail["lookup"]
    assert avail["lookup"].startswith("max ")  # highest share below the line = below it the whole window
    assert " -%s " % rules["HeadroomMemoryPressureHigh"]["for"] in psi["lookup"]
    assert " -%s " % rules["HeadroomSwapNearlyFull"]["for"] in blocks["headroom_memory_swap_used"]["lookup"]
    assert " -%s " % rules["HeadroomUnitNearMemoryMax"]["for"] in blocks["headroom_memory_unit_near_limit"]["lookup"]
    assert "[%s]" % thresholds["oom_window"] in rules["HeadroomOOMKill"]["expr"]
    assert blocks["headroom_memory_oom_kill"]["lookup"] == "sum -%s unaligned of kills" % thresholds["oom_window"]


def test_changed_thresholds_follow(thresholds):
    changed = dict(thresholds, available_warn_pct=99, available_crit_pct=97.5, available_for="20s", unit_for="1h")
    blocks = _blocks(health_conf(changed, {"to": "ops sre", "every": 2}))
    assert blocks[0]["warn"] == "$this < 99" and blocks[0]["crit"] == "$this < 97.5"
    assert blocks[0]["lookup"] == "max -20s unaligned of avail"
    assert blocks[-1]["lookup"] == "min -1h unaligned of ram"
    assert all(b["to"] == "ops sre" and b["every"] == "2s" for b in blocks)


def test_header_comes_first_and_must_be_comments(thresholds):
    text = health_conf(thresholds, header="#\n# Ansible managed\n#\n")
    assert text.startswith("#\n# Ansible managed\n#\n\n")
    with pytest.raises(ValueError, match="comment lines"):
        health_conf(thresholds, header="alarm: evil\n")


@pytest.mark.parametrize("options,words", [
    ({"to": "sysadmin\n  crit: 1"}, "early_warning_netdata_to"),
    ({"to": "a#b"}, "early_warning_netdata_to"),
    ({"to": ""}, "early_warning_netdata_to"),
    ({"to": "ops  sre"}, "early_warning_netdata_to"),
    ({"every": 0}, "early_warning_netdata_every"),
    ({"every": True}, "early_warning_netdata_every"),
    ({"every": "10s"}, "early_warning_netdata_every"),
])
def test_bad_options_refused(thresholds, options, words):
    with pytest.raises(ValueError, match=words):
        netdata_alarms(thresholds, options)


def test_bad_thresholds_refused(thresholds):
    with pytest.raises(ValueError, match="available_for must be a duration"):
        health_conf(dict(thresholds, available_for="5m\n  crit: $this > 0"))
    with pytest.raises(ValueError, match="unit_limit_pct"):
        health_conf(dict(thresholds, unit_limit_pct=100))


def test_role_inputs_checked(defaults):
    assert option_errors(netdata_options(defaults)) == []
    bad = dict(defaults, early_warning_netdata="maybe", early_warning_netdata_missing="ignore",
               early_warning_netdata_config_dir="/etc/net data", early_warning_netdata_to="a\nb")
    errors = "; ".join(input_errors(bad))
    for name in ("early_warning_netdata must be true or false", "early_warning_netdata_missing must be one of",
                 "early_warning_netdata_config_dir must be an absolute path", "early_warning_netdata_to"):
        assert name in errors


def test_filter_error_names_itself(defaults):
    from ansible.errors import AnsibleFilterError
    with pytest.raises(AnsibleFilterError, match="early_warning_netdata: .*early_warning_netdata_every"):
        early_warning_netdata(dict(defaults, early_warning_netdata_every=0))
