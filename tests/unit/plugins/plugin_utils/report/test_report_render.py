# -*- coding: utf-8 -*-
"""The renderers: console table, report.md, index.html (parses, self-contained), remedy-vars YAML."""

import json
import math
import re
from html.parser import HTMLParser

import pytest
import yaml

from ansible_collections.headroom.memory.plugins.plugin_utils.report.html_page import render_html
from ansible_collections.headroom.memory.plugins.plugin_utils.report.markdown_page import render_markdown
from ansible_collections.headroom.memory.plugins.plugin_utils.report.svg_charts import human_time, parse_time
from ansible_collections.headroom.memory.plugins.plugin_utils.report.console_table import table_lines
from ansible_collections.headroom.memory.plugins.plugin_utils.report.yaml_writer import remedy_document, to_yaml
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.engine import triage_fleet
from ansible_collections.headroom.memory.tests.unit.plugins.plugin_utils.triage.test_triage import sick
from ansible_collections.headroom.memory.tests.unit.plugins.plugin_utils.triage.test_triage_facts import healthy


def report():
    return triage_fleet([
        {"host": "web<1>", "facts": sick()},
        {"host": "db1", "facts": healthy()},
        {"host": "gone", "facts": None, "result": {"unreachable": True, "msg": "Failed to connect"}},
    ], since="30d", generated="2026-11-25T12:00:00Z")


class Collector(HTMLParser):
    def __init__(self):
        HTMLParser.__init__(self)
        self.tags, self.stack, self.text = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in ("meta", "br", "img", "link", "input", "hr", "rect", "circle", "line", "path"):
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if tag in ("rect", "circle", "line", "path"):
            return
        assert self.stack and self.stack[-1] == tag, "unbalanced </%s>, open: %s" % (tag, self.stack[-3:])
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def test_table_has_a_row_per_host_and_a_totals_line():
    lines = table_lines(report())
    assert lines[0].split() == ["HOST", "RAM", "RAM", "NEEDED", "AVAILABLE", "SWAP", "KILLS", "WORST", "FINDING"]
    assert lines[2].startswith("gone") and "UNREACHABLE: Failed to connect" in lines[2]
    # RAM needed: 1029 MiB of processes + the budget's reserve for its 2000 MiB (250 MiB) = 1279 MiB
    assert re.match(r"^web<1>\s+2.0 GiB\s+1\.2 GiB\s+150 MiB \(8%\)\s+none\s+3\s+CRITICAL oom_kills_recent \(\+\d\)$", lines[3])
    assert re.match(r"^db1\s+15\.6 GiB .* ok$", lines[4])
    assert lines[-1].startswith("3 host(s): 2 ok, 1 unreachable, 0 failed")
    col = lines[0].index("SWAP")
    assert lines[3].index("none") == col and lines[1][col - 2:col + 1] == "  -"  # columns line up


def test_html_parses_balanced_and_is_self_contained():
    text = render_html(report())
    parser = Collector()
    parser.feed(text)
    parser.close()
    assert parser.stack == []
    tags = [t for t, _a in parser.tags]
    assert "script" not in tags and "link" not in tags and "img" not in tags
    assert not re.search(r"(?:src|href)=\"(?:https?:)?//", text)
    assert tags.count("svg") >= 5  # fleet timeline, memory + top processes of web<1>, memory + processes of db1
    body = "".join(parser.text)
    assert "web<1>" in body and "&lt;" not in body  # escaped in the source, text again once parsed
    assert "Failed to connect" in body
    assert "Nothing found: this host has headroom." in body
    assert "headroom.memory.heap" in body and "swap_files:" in body


def test_html_timeline_merges_kills_closer_than_a_dot_and_counts_them():
    # sick() has 3 kills within 2 minutes, 5 days before the report: one dot marked 3
    parser = Collector()
    parser.feed(render_html(report()))
    assert sum(1 for t, _a in parser.tags if t == "circle") == 1
    assert [a.get("class") for t, a in parser.tags if t == "text" and a.get("class") == "count"] == ["count"]


def test_html_timeline_has_a_dot_per_kill_when_they_are_apart():
    facts = sick()
    for n, event in enumerate(facts["oom"]["events"]):
        event["time"] = "2026-11-%02dT10:00:00Z" % (10 + 4 * n)
    parser = Collector()
    parser.feed(render_html(triage_fleet([{"host": "h", "facts": facts}], generated="2026-11-25T12:00:00Z")))
    assert sum(1 for t, _a in parser.tags if t == "circle") == 3


def test_markdown_has_each_host_finding_and_remedy():
    text = render_markdown(report())
    assert text.startswith("# headroom.memory diagnose report")
    assert "## web&lt;1&gt;" in text and "## db1" in text  # a name is text, never markup (issue 11) and "**unreachable**: Failed to connect" in text
    assert "`jvm_heap_unbounded`" in text and "```yaml" in text
    assert "Generated 2026-11-25 12:00 UTC" in text


def test_remedy_document_is_yaml_that_loads_back_to_the_vars():
    host = report()["hosts"][1]
    text = remedy_document(host)
    assert text.startswith("# Suggested by headroom.memory.diagnose for web<1>.")
    assert yaml.safe_load(text) == host["remedy_vars"]


def test_yaml_writer_quotes_what_would_change_meaning():
    value = {"a": "yes", "b": "1.5", "c": "x: y", "d": "512M", "e": [], "f": {}, "g": None, "h": -900,
             "i": [{"k": "v", "l": ["m", 1]}], "j": "#x"}
    assert yaml.safe_load(to_yaml(value)) == value
    assert "d: 512M" in to_yaml(value)


def test_report_data_is_json():
    assert json.loads(json.dumps(report()))["totals"]["hosts"] == 3


def test_times_for_people():
    assert human_time("2026-11-25T22:23:06.648148Z") == "2026-11-25 22:23 UTC"
    assert human_time("2026-11-25T23:23:06+01:00") == "2026-11-25 22:23 UTC"
    assert human_time("30d") == "30d"
    assert parse_time(None) is None and parse_time("2026-13-40T00:00:00Z") is None


def test_table_says_what_a_host_could_not_read():
    facts = healthy()
    facts["oom"]["sources"].append({"name": "kmsg", "status": "denied", "lines": 0, "msg": "dmesg_restrict"})
    lines = table_lines(triage_fleet([{"host": "h", "facts": facts}]))
    assert lines[-1] == "h: could not read kmsg (denied) (the OOM history may be incomplete; become: true reads it)"


def test_yaml_writer_puts_the_naming_key_of_an_item_first():
    text = to_yaml({"service_limits_units": [{"memory_max": "224M", "unit": "w.service"}]})
    assert text == "---\nservice_limits_units:\n  - unit: w.service\n    memory_max: 224M\n"


TRICKY = ["12:30", "0x1F", "0o17", "0b101", ".inf", "-.inf", ".nan", ".NaN", "2026-12-07", "2026-12-07T10:00:00Z",
          "@x", "`x", "!x", "&x", "*x", "%x", "|", ">", "?", "-", "- x", "~", "null", "Null", "NULL", "", " ", " x",
          "x ", "yes", "No", "ON", "y", "Y", "1_000", "+1", "-1", "1e3", "1.5", "0777", "=", "<<", "x #y", "#x",
          "a: b", "a:", "[x]", "{x}", "x,y", "'x'", '"x"', "a\nb", "\t", "\u2028", "512M", "1.5G", "2GiB", "/swapfile",
          "php8.2-fpm.service", "user@1000.service", "x" * 300]


@pytest.mark.parametrize("value", TRICKY)
def test_yaml_writer_round_trips_tricky_strings_as_strings(value):
    for doc in ({"k": value}, [value], {value: 1}):
        assert yaml.safe_load(to_yaml(doc)) == doc
    back = yaml.safe_load(to_yaml({"k": value}))["k"]
    assert isinstance(back, str) and back == value


@pytest.mark.parametrize("value", [0, -900, 2 ** 63, 1.5, -0.25, 1e20, 1e-05, float("inf"), float("-inf"), True, False, None])
def test_yaml_writer_round_trips_numbers_booleans_and_null_with_their_type(value):
    back = yaml.safe_load(to_yaml({"k": value}))["k"]
    assert back == value and type(back) is type(value)


def test_yaml_writer_nan_reads_back_as_nan():
    back = yaml.safe_load(to_yaml({"k": float("nan")}))["k"]
    assert isinstance(back, float) and math.isnan(back)


def test_yaml_writer_keeps_the_safe_shapes_plain():
    assert to_yaml({"a": "12:30", "b": "512M", "c": "/swapfile", "d": "0x1F", "e": "@x", "f": 1e20}) == (
        '---\na: "12:30"\nb: 512M\nc: /swapfile\nd: "0x1F"\ne: "@x"\nf: 1.0e+20\n')


def test_table_says_become_only_for_a_denied_read():
    facts = healthy()
    facts["oom"]["sources"].append({"name": "journal", "status": "error", "lines": 0,
                                    "msg": "journalctl timed out after 60s"})
    lines = table_lines(triage_fleet([{"host": "h", "facts": facts}]))
    assert lines[-1] == "h: could not read journal (error) (the OOM history may be incomplete)"
