# -*- coding: utf-8 -*-
"""oom_kills_recent when the logs cannot support the count (#32): the reason said truly, the kernel's per-cgroup
counters used for the unit's count."""

import pytest

from ansible_collections.headroom.memory.plugins.plugin_utils.triage.attribution import log_coverage, unread_reason
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.engine import context
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.common import merge_thresholds
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.oom import oom_kills_recent
from ansible_collections.headroom.memory.tests.unit.plugins.plugin_utils.triage.test_triage_facts import (
    healthy, kill)

READ = {"name": "kmsg", "status": "read", "lines": 900, "msg": ""}
TIMED_OUT = {"name": "journal", "status": "error", "lines": 0, "msg": "journalctl timed out after 60s"}
DENIED = {"name": "journal", "status": "denied", "lines": 0, "msg": "not root nor in group systemd-journal"}


def storm_facts(logged=21, since_boot=484, counter=484, sources=(READ,)):
    facts = healthy()
    facts["cgroup"]["limited"] = [{"cgroup": "/system.slice/hog.service", "unit": "hog.service", "limit_mb": 64,
                                   "usage_mb": 60, "oom_kill": counter}]
    facts["oom"]["events"] = [kill(pid=n) for n in range(logged)]
    facts["oom"]["counts"] = {"by_comm": {"hog": logged}, "by_unit": {"hog.service": logged}, "by_killer": {}}
    facts["oom"]["kills_since_boot"] = since_boot
    facts["oom"]["kernel_kills_logged_since_boot"] = logged
    facts["oom"]["sources"] = list(sources)
    return facts


def run(facts):
    thresholds = merge_thresholds({})
    return oom_kills_recent(facts, thresholds, context(facts, thresholds))


def test_a_rolled_over_ring_buffer_is_named_and_the_units_counter_counts():
    [f] = run(storm_facts())
    text = " ".join(f["evidence"])
    assert f["title"].startswith("484 OOM kill(s) by the kernel's counters")
    assert "the logs hold 21 of the kernel's 484 OOM kills since boot" in text and "rolled out" in text
    assert "hog.service: the kernel counted 484 OOM kill(s) in its cgroup (oom_kill" in text
    assert "become" not in text


def test_a_journal_timeout_is_a_timeout_not_a_matter_of_privileges():
    [f] = run(storm_facts(sources=(READ, TIMED_OUT)))
    text = " ".join(f["evidence"])
    assert "the journal read timed out (journalctl timed out after 60s)" in text
    assert "become" not in text and "rolled out" not in text


def test_a_denied_read_says_become():
    assert unread_reason(DENIED).endswith("become: true reads it")
    assert unread_reason(READ) is None and unread_reason({"name": "syslog", "status": "absent"}) is None


def test_logs_that_hold_every_kill_since_boot_are_taken_as_they_are():
    # the cgroup's counter is larger (it also counts kills before the window), but nothing is missing
    [f] = run(storm_facts(logged=21, since_boot=21, counter=484))
    assert f["title"].startswith("21 OOM kill(s) in the window")
    assert not any("cannot support" in line for line in f["evidence"])
    assert log_coverage(storm_facts(logged=21, since_boot=21))["supported"] is True


@pytest.mark.parametrize("since_boot, sources, supported", [
    (None, (READ,), True),            # no count, every source read: nothing says kills are missing
    (None, (READ, TIMED_OUT), False),  # no count and a source not read: cannot tell
    (484, (READ, TIMED_OUT), False),
])
def test_supported_only_when_nothing_says_kills_are_missing(since_boot, sources, supported):
    facts = storm_facts(since_boot=since_boot, sources=sources)
    if since_boot is None:
        facts["oom"]["kernel_kills_logged_since_boot"] = None
    assert log_coverage(facts)["supported"] is supported


def test_a_counter_no_larger_than_the_logs_adds_nothing():
    coverage = log_coverage(storm_facts(counter=5))
    assert coverage["supported"] is False and coverage["units"] == []
    assert log_coverage(storm_facts(counter=True))["units"] == []  # a boolean is no count
