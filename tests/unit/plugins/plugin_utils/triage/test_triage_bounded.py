# -*- coding: utf-8 -*-
"""Triage over a host with tens of thousands of OOM kills (#29 item 4): the kill counts are the window's
totals (memory_facts' oom.total, its oom.dropped counted), the report lists the newest events only, and a
fleet with 50,000 listed events (facts from an older memory_facts, or a hostile host) stays fast and small."""

import time

from ansible_collections.headroom.memory.plugins.module_utils.oom.options import MAX_EVENTS_DEFAULT
from ansible_collections.headroom.memory.plugins.plugin_utils.report.html_page import render_html
from ansible_collections.headroom.memory.plugins.plugin_utils.report.markdown_page import render_markdown
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.engine import triage_fleet, triage_host
from ansible_collections.headroom.memory.tests.unit.plugins.plugin_utils.triage.test_triage_facts import (
    healthy, kill)

KILLS = 50000


def killing(listed, dropped):
    """A host whose hog.service was killed ``listed + dropped`` times, the newest ``listed`` listed."""
    facts = healthy()
    start = dropped
    stamp = "2026-11-%02dT%02d:%02d:%02dZ"
    facts["oom"]["events"] = [kill(pid=n, time=stamp % (2 + n // 86400, n // 3600 % 24, n // 60 % 60, n % 60))
                              for n in range(start, start + listed)]
    facts["oom"]["total"], facts["oom"]["dropped"] = listed + dropped, dropped
    facts["oom"]["counts"] = {"by_comm": {"hog": listed + dropped}, "by_unit": {"hog.service": listed + dropped},
                              "by_killer": {"kernel": listed + dropped}}
    return facts


def test_the_kill_counts_are_the_windows_totals_not_the_listed_events():
    facts = killing(MAX_EVENTS_DEFAULT, KILLS - MAX_EVENTS_DEFAULT)
    [f] = [f for f in triage_host(facts) if f["id"] == "oom_kills_recent"]
    assert f["severity"] == "critical"
    assert f["title"] == "50000 OOM kill(s) in the window, most often hog"
    assert f["evidence"][0].startswith("50000 kill(s) since 2026-11-01 00:00:00 UTC; the newest 200 listed: hog \u00d7200")
    assert "every kill of the window by process: hog \u00d750000" in f["evidence"]
    report = triage_fleet([{"host": "a", "facts": facts}, {"host": "b", "facts": killing(3, 0)}],
                          generated="2026-11-25T12:00:00Z")
    hosts = dict((h["host"], h) for h in report["hosts"])
    assert hosts["a"]["summary"]["kills"] == KILLS and len(hosts["a"]["events"]) == MAX_EVENTS_DEFAULT
    assert hosts["b"]["summary"]["kills"] == 3 and len(hosts["b"]["events"]) == 3
    assert report["totals"]["kills"] == KILLS + 3
    assert "50000 kill(s) in window" in render_html(report)
    assert "50000 OOM kill(s) in the window." in render_markdown(report)


def test_with_a_cgroup_prefix_the_unlisted_kills_are_not_counted():
    facts = killing(10, 500)
    [f] = [f for f in triage_host(facts, {"oom_cgroup_prefix": "/system.slice"}) if f["id"] == "oom_kills_recent"]
    assert f["title"].startswith("10 OOM kill(s)")  # the 500 unlisted ones name no cgroup the prefix could match


def test_fifty_thousand_listed_events_are_cut_to_the_newest_and_stay_fast():
    facts = killing(KILLS, 0)
    t0 = time.time()
    report = triage_fleet([{"host": "a", "facts": facts}], generated="2026-11-25T12:00:00Z")
    page = render_html(report)
    took = time.time() - t0
    [host] = report["hosts"]
    assert host["summary"]["kills"] == KILLS and report["totals"]["kills"] == KILLS
    assert [e["pid"] for e in host["events"]] == list(range(KILLS - MAX_EVENTS_DEFAULT, KILLS))
    [f] = [f for f in host["findings"] if f["id"] == "oom_kills_recent"]
    assert f["title"] == "50000 OOM kill(s) in the window, most often hog"
    assert len(page) < 1000000  # the page was 10 MB
    assert took < 30  # the diagnose took 97 s


def test_unlisted_kills_without_counts_still_count():
    facts = killing(5, 20)
    facts["oom"]["counts"] = {"by_comm": None}
    [f] = [f for f in triage_host(facts) if f["id"] == "oom_kills_recent"]
    assert f["title"] == "25 OOM kill(s) in the window, most often hog"
    assert not any(e.startswith("every kill of the window") for e in f["evidence"])
