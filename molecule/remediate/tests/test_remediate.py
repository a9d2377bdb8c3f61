# -*- coding: utf-8 -*-
"""remediate applied the fixable fleet's remedies and proved them (remediate.json), and the breaking fleet
stopped after its canary batch: the next batch's host was never touched."""

import json
from pathlib import Path

import pytest
import testinfra

ROOT = Path(__file__).resolve().parents[3]
WORK = ROOT / ".work" / "remediate"
DROPIN = "/etc/systemd/system/remediate-oomhog.service.d"
HOG_MAX = str(32 << 20)


def on(name):
    return testinfra.get_host("podman://" + name)


@pytest.fixture(scope="module")
def outcome():
    return dict((h["host"], h) for h in json.loads((WORK / "remediate-report" / "remediate.json").read_text())["hosts"])


def test_swap_missing_was_fixed_by_the_swap_file(outcome):
    host = on("remediate-noswap")
    assert "swap_missing" in outcome["remediate-noswap"]["fixed"]
    assert outcome["remediate-noswap"]["status"] == "ok"
    assert "/swapfile" in host.file("/proc/swaps").content_string
    assert host.file("/etc/fstab").contains("^/swapfile")


def test_the_hog_got_its_limits_and_its_kill_history_remains_with_the_reason(outcome):
    host = on("remediate-oom")
    assert host.file(DROPIN).is_directory
    assert host.check_output("systemctl show -p MemoryMax --value remediate-oomhog.service") != HOG_MAX
    remaining = dict((r["id"], r["reason"]) for r in outcome["remediate-oom"]["remaining"])
    assert remaining["oom_kills_recent"].startswith("reads the OOM history of the window")
    assert outcome["remediate-oom"]["status"] == "ok"


def test_the_rediagnosis_report_was_written_by_diagnose():
    after = json.loads((WORK / "remediate-report" / "after" / "report.json").read_text())
    assert sorted(h["host"] for h in after["hosts"]) == ["remediate-noswap", "remediate-oom"]
    assert "swap_missing" not in [f["id"] for h in after["hosts"] for f in h["findings"]]
    assert (WORK / "remediate-report" / "after" / "index.html").is_file()


def test_the_canary_was_applied_and_its_broken_neighbour_is_down():
    host = on("remediate-fragile")
    assert host.file(DROPIN).is_directory
    assert not host.service("remediate-fragile.service").is_running


def test_the_host_of_the_next_batch_was_never_touched():
    host = on("remediate-later")
    assert not host.file(DROPIN).exists
    assert host.check_output("systemctl show -p MemoryMax --value remediate-oomhog.service") == HOG_MAX
    assert not (WORK / "breaking-remediate-report" / "remediate.json").exists()
