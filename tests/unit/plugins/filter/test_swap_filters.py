# -*- coding: utf-8 -*-
"""The swap role's filters: entries normalised, problems listed, results summarised."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.headroom.memory.plugins.filter.swap_filters import (
    FilterModule, swap_entries, swap_size_errors, swap_summary, swap_sysctl_plan)


def test_entries_get_defaults():
    assert swap_entries([{"path": "/s"}, {"path": "/t", "size": "1G", "priority": 3, "state": "absent"}]) == [
        {"path": "/s", "state": "present", "size": "auto", "priority": None},
        {"path": "/t", "state": "absent", "size": "1G", "priority": 3}]
    with pytest.raises(AnsibleFilterError):
        swap_entries("nope")


def test_size_errors_include_duplicates():
    assert swap_size_errors([{"path": "/s", "size": "1G"}, {"path": "/s", "size": "2G"}]) == [
        "path /s is listed more than once"]
    assert swap_size_errors("nope") == ["swap_entries: expected a list of {path, size, priority, state}, got str"]
    assert swap_size_errors([{"path": "/s", "size": "12 parsecs"}])[0].startswith("entry 0 (/s): size '12 parsecs'")


def test_sysctl_plan_takes_find_results():
    assert swap_sysctl_plan([{"path": "/etc/sysctl.d/99-x.conf"}], "90-headroom-swap.conf")["overriders"] == [
        "/etc/sysctl.d/99-x.conf"]


def test_summary():
    results = [
        {"path": "/a", "action": "create", "changed": True, "size_bytes": 1, "active": True, "priority": 1},
        {"path": "/b", "action": "none", "changed": True},
        {"path": "/c", "action": "none", "changed": False},
        {"skipped": True},
    ]
    assert [r["outcome"] for r in swap_summary(results)] == ["created", "updated", "unchanged"]
    assert set(FilterModule().filters()) == {"swap_entries", "swap_size_errors", "swap_sysctl_plan", "swap_summary"}
