# -*- coding: utf-8 -*-
"""Issue 11 (smaller items): remedy file names unique per inventory hostname, an empty report directory
refused, bad diagnose_thresholds values named by their key."""

import os

import pytest

from ansible_collections.headroom.memory.plugins.plugin_utils.report.files import remedy_path, report_files
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.engine import triage_fleet
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.common import ThresholdError, merge_thresholds
from ansible_collections.headroom.memory.tests.unit.plugins.plugin_utils.triage.test_triage_facts import healthy


def test_hosts_that_differ_only_in_unsafe_characters_get_different_remedy_files():
    names = ["a:b", "a_b", "a/b", "a b", "a\\b", "A_B", "a..b", "..", "."]
    paths = [remedy_path(n) for n in names]
    assert len(set(p.lower() for p in paths)) == len(names), paths
    for p in paths:
        assert p.startswith("remedy-vars/") and p.endswith(".yml") and "/" not in p[len("remedy-vars/"):]
        assert not os.path.basename(p).startswith(".")


def test_a_safe_name_keeps_its_plain_file_name():
    assert remedy_path("web1.example.com") == "remedy-vars/web1.example.com.yml"
    assert remedy_path("db_2") == "remedy-vars/db_2.yml"


def test_report_files_has_one_remedy_file_per_host_even_for_colliding_slugs():
    report = triage_fleet([{"host": h, "facts": healthy()} for h in ("a:b", "a_b", "a/b")],
                          generated="2026-11-25T12:00:00Z")
    remedies = [p for p in report_files(report) if p.startswith("remedy-vars/")]
    assert len(remedies) == 3


@pytest.mark.parametrize("bad, key", [
    ({"available_warn_pct": None}, "available_warn_pct"),
    ({"worker_comms": ["php-fpm(["]}, "worker_comms"),
    ({"protected_comms": ["*sshd"]}, "protected_comms"),
    ({"oom_kills_crit": "three"}, "oom_kills_crit"),
    ({"worker_comms": "php-fpm"}, "worker_comms"),
    ({"oom_cgroup_prefix": 5}, "oom_cgroup_prefix"),
    ({"database_warn_pct": float("nan")}, "database_warn_pct"),
])
def test_bad_threshold_values_name_their_key(bad, key):
    with pytest.raises(ThresholdError, match="diagnose_thresholds.%s" % key):
        merge_thresholds(bad)


@pytest.mark.parametrize("bad", ["available_warn_pct=5", ["available_warn_pct"], 5])
def test_thresholds_that_are_not_a_dict(bad):
    with pytest.raises(ThresholdError, match="diagnose_thresholds must be a dict"):
        merge_thresholds(bad)


def test_empty_report_dir_is_refused(tmp_path, monkeypatch):
    from ansible_collections.headroom.memory.plugins.plugin_utils.report.files import write_all
    monkeypatch.chdir(str(tmp_path))
    for dest in ("", "   ", None):
        with pytest.raises(ValueError, match="report directory"):
            write_all(dest, {"index.html": "x"})
    assert os.listdir(str(tmp_path)) == []
