# -*- coding: utf-8 -*-
"""One host's malformed facts never abort the fleet (#31 finding 7): every field of a realistic host replaced
by wrong types and extremes; the bad host is failed with a message naming the field (or triaged normally
when the value is harmless), the good host beside it is reported as if alone, and the reports render."""

import copy
import json
import os
import re
import shutil

import pytest

from ansible_collections.headroom.memory.plugins.filter.triage import triage as triage_filter
from ansible_collections.headroom.memory.plugins.modules import memory_facts
from ansible_collections.headroom.memory.plugins.plugin_utils.report.console_table import table_lines
from ansible_collections.headroom.memory.plugins.plugin_utils.report.html_page import render_html
from ansible_collections.headroom.memory.plugins.plugin_utils.report.markdown_page import render_markdown
from ansible_collections.headroom.memory.plugins.plugin_utils.triage import engine
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.engine import triage_fleet
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.facts_shape import facts_problems
from ansible_collections.headroom.memory.tests.unit.plugins.plugin_utils.triage.test_triage_facts import (
    group, healthy, kill, proc)
from ansible_collections.headroom.memory.tests.unit.plugins.modules.module_args import run_module
# host: memory_facts' fixture /proc tree, as a pytest fixture
from ansible_collections.headroom.memory.tests.unit.plugins.modules.test_memory_facts import (  # noqa: F401 pylint: disable=unused-import
    FIXTURES, host)

GENERATED = "2026-11-25T12:00:00Z"
HUGE = "x" * 1000000
BAD_VALUES = (None, "str", 7, -7, 1e308, [1, "x"], {"k": "v"}, HUGE)


def busy():
    """A small host every rule has something to read on: low memory, no swap, a JVM without -Xmx in a limited
    unit killed three times with a growing anon-rss, PostgreSQL with its settings, a worker pool."""
    facts = healthy()
    facts["memory"].update(total_mb=2000, available_mb=150)
    facts["swap"].update(total_mb=0, free_mb=0, used_mb=0)
    facts["processes"].insert(0, proc("java", 1200, pid=77, unit="shop.service", cmdline="java -jar shop.jar"))
    facts["processes"].append(proc("postgres", 300, pid=88, unit="postgresql@15-main.service"))
    facts["processes"].append(proc("php-fpm8.2", 60, pid=99, unit="php8.2-fpm.service"))
    facts["process_groups"] += [group("postgres", 8, 20, 40), group("php-fpm8.2", 6, 60)]
    facts["cgroup"]["limited"] = [{"cgroup": "/system.slice/shop.service", "unit": "shop.service", "limit_mb": 1500,
                                   "usage_mb": 1250, "working_set_mb": 1200, "oom_kill": 3}]
    facts["oom"]["events"] = [kill("java", "shop.service", anon_kb=500000 * (n + 1), pid=n + 1,
                                   time="2026-11-20T10:0%d:00Z" % n) for n in range(3)]
    facts["oom"]["counts"] = {"by_comm": {"java": 3}, "by_unit": {"shop.service": 3}, "by_killer": {"kernel": 3}}
    facts["settings"] = {"databases": [{"engine": "postgresql", "pid": 88, "unit": "postgresql@15-main.service",
                                        "version": 15, "cluster": "15/main", "files_read": 1, "problems": [],
                                        "settings": {"shared_buffers": 768 * 1024, "max_connections": 300,
                                                     "work_mem": 64 * 1024}, "explicit": ["shared_buffers"]}]}
    return facts


def paths(value, prefix=()):
    """Every path (a tuple of keys and indexes) in ``value``, containers and leaves."""
    found = []
    if isinstance(value, dict):
        children = value.items()
    elif isinstance(value, list):
        children = enumerate(value)
    else:
        children = ()
    for key, sub in children:
        found.append(prefix + (key,))
        found.extend(paths(sub, prefix + (key,)))
    return found


def dotted(path):
    text = ""
    for part in path:
        text += "[%d]" % part if isinstance(part, int) else ("." if text else "") + part
    return text


def replaced(facts, path, value):
    facts = copy.deepcopy(facts)
    target = facts
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return facts


def fleet(bad):
    return triage_fleet([{"host": "bad", "facts": bad}, {"host": "good", "facts": busy()}], generated=GENERATED)


GOOD_ALONE = triage_fleet([{"host": "good", "facts": busy()}], generated=GENERATED)["hosts"][0]
CASES = [(p, i) for p in paths(busy()) for i in range(len(BAD_VALUES))]


def test_the_fixture_is_clean_and_busy():
    assert facts_problems(busy()) == []
    assert len({f["id"] for f in GOOD_ALONE["findings"]}) >= 6
    assert len(CASES) > 1000


@pytest.mark.parametrize("path,which", CASES, ids=["%s=%d" % (dotted(p), i) for p, i in CASES])
def test_a_malformed_field_fails_only_its_host_and_names_the_field(path, which):
    report = fleet(replaced(busy(), path, BAD_VALUES[which]))
    hosts = dict((h["host"], h) for h in report["hosts"])
    assert hosts["good"] == GOOD_ALONE
    bad = hosts["bad"]
    assert bad["status"] in ("ok", "failed")
    if bad["status"] == "failed":
        # the field itself, or the key or item in it that is now wrong
        assert re.match(r"malformed headroom facts: %s[:.\[]" % re.escape(dotted(path)), bad["message"]), bad["message"]
        assert bad["findings"] == [] and bad["summary"] is None
        assert report["totals"]["failed"] == 1 and report["hosts"][0]["host"] == "bad"
    else:  # a harmless value: the host is triaged, and every report draws it
        assert render_html(report) and render_markdown(report) and table_lines(report)
    json.dumps(report)


@pytest.mark.parametrize("path,value,message", [
    (("memory",), "str", "memory: expected a mapping, got str"),
    (("memory", "total_mb"), "2000", "memory.total_mb: expected a number, got str"),
    (("memory", "total_mb"), 1e308, "memory.total_mb: 1e+308 is out of range"),
    (("memory", "available_mb"), -7, "memory.available_mb: expected a number of at least 0, got -7"),
    (("processes",), {"k": "v"}, "processes: expected a list, got dict"),
    (("processes", 0), "java", "processes[0]: expected a mapping, got str"),
    (("processes", 0, "comm"), 7, "processes[0].comm: expected a string, got int"),
    (("processes", 0, "cmdline"), HUGE, "processes[0].cmdline: expected a string or a list of strings, got a text of 1000000"),
    (("processes", 0, "cmdline"), ["java", 7], "processes[0].cmdline: expected a string or a list of strings, got list"),
    (("oom", "events", 0, "victim"), [1, "x"], "oom.events[0].victim: expected a mapping, got list"),
    (("oom", "events", 0, "complete"), "yes", "oom.events[0].complete: expected true or false, got str"),
    (("sysctl", "vm.swappiness"), "60", "sysctl.vm.swappiness: expected a number, got str"),
    (("pressure", "some", "avg60"), float("nan"), "pressure.some.avg60: expected a finite number, got nan"),
])
def test_the_failed_host_renders_in_every_report_with_its_message(path, value, message):
    report = fleet(replaced(busy(), path, value))
    bad = next(h for h in report["hosts"] if h["host"] == "bad")
    assert bad["status"] == "failed" and message in bad["message"]
    assert report["totals"] == dict(report["totals"], hosts=2, ok=1, failed=1)
    shown = message.split(" (")[0].replace("1e+308 is out of range", "1e+308")
    assert shown in render_html(report)
    assert shown.replace("_", "\\_").replace("[", "\\[").replace("]", "\\]") in render_markdown(report) \
        or shown in render_markdown(report)
    assert any(line.startswith("bad") and "FAILED: malformed headroom facts" in line for line in table_lines(report))
    assert any(h["host"] == "good" and h["findings"] for h in report["hosts"])


def test_harmless_values_are_triaged_normally():
    for path, value in ((("processes", 0, "cmdline"), None), (("processes", 0, "cmdline"), ["java", "-Xmx1g"]),
                        (("oom", "events", 0, "trigger"), None),
                        (("sysctl", "vm.swappiness"), 7), (("memory", "slab_mb"), 0)):
        host = fleet(replaced(busy(), path, value))["hosts"]
        assert [h["status"] for h in host] == ["ok", "ok"]


def test_a_rule_that_raises_fails_its_host_naming_the_rule_and_the_exception(monkeypatch):
    def broken(facts, thresholds, ctx):
        if facts["memory"]["total_mb"] == 1:
            raise KeyError("boom")
        return []
    broken.__name__ = "swap_missing"
    monkeypatch.setattr(engine, "RULES", tuple(broken if r.__name__ == "swap_missing" else r for r in engine.RULES))
    bad = busy()
    bad["memory"]["total_mb"] = 1
    report = fleet(bad)
    hosts = dict((h["host"], h) for h in report["hosts"])
    assert hosts["bad"]["status"] == "failed"
    assert hosts["bad"]["message"] == "rule swap_missing failed on these facts: KeyError: 'boom'"
    assert hosts["good"]["status"] == "ok" and hosts["good"]["findings"]


def test_a_failure_outside_the_rules_fails_its_host_naming_the_exception(monkeypatch):
    def broken(facts):
        raise ZeroDivisionError("division by zero")
    monkeypatch.setattr(engine, "_top_units", broken)
    report = triage_fleet([{"host": "bad", "facts": busy()}], generated=GENERATED)
    assert report["hosts"][0]["status"] == "failed"
    assert report["hosts"][0]["message"] == "triage failed on these facts: ZeroDivisionError: division by zero"


def test_the_single_host_filter_refuses_malformed_facts_naming_the_field():
    from ansible.errors import AnsibleFilterError
    with pytest.raises(AnsibleFilterError, match=r"malformed headroom facts: swap\.total_mb: expected a number"):
        triage_filter(replaced(busy(), ("swap", "total_mb"), "big"))


def test_a_malformed_second_sample_fails_the_host_naming_it():
    report = triage_fleet([{"host": "bad", "facts": busy(), "sample2": [{"pid": "77"}]}], generated=GENERATED)
    assert report["hosts"][0]["status"] == "failed"
    assert "sample2[0].pid: expected a number, got str" in report["hosts"][0]["message"]


@pytest.mark.parametrize("facts", ["str", 7, [1, "x"], 1e308])
def test_facts_that_are_not_a_mapping_fail_their_host(facts):
    report = triage_fleet([{"host": "bad", "facts": facts, "result": {"failed": False, "msg": ""}},
                           {"host": "good", "facts": busy()}], generated=GENERATED)
    bad, good = report["hosts"]
    assert bad["host"] == "bad" and bad["status"] == "failed"
    assert bad["message"].startswith("malformed headroom facts: facts: expected a mapping")
    assert good == GOOD_ALONE


def test_keys_that_are_not_short_strings_are_named():
    facts = busy()
    facts["oom"]["counts"]["by_comm"][HUGE] = 1
    facts["sysctl"][7] = 1
    problems = facts_problems(facts)
    assert "sysctl: key 7 is not a string of at most 65536 characters" in problems
    assert any(p.startswith("oom.counts.by_comm: key 'xxxx") for p in problems)


def test_real_memory_facts_output_has_the_shape(host, capsys, tmp_path):  # noqa: F811 pylint: disable=redefined-outer-name,unused-argument
    """What memory_facts returns from the fixture /proc tree with a MariaDB config, and on this machine."""
    shutil.copytree(os.path.join(FIXTURES, "..", "database", "root"), str(tmp_path / "root"))
    args = {"gather_subset": ["all", "!oom"], "cmdline": True, "pss": True}
    facts = run_module(capsys, memory_facts.main, args)[1]["ansible_facts"]["headroom"]
    assert facts["settings"]["databases"] and facts["processes"]
    assert facts_problems(facts) == []
    this_machine = memory_facts.gather({"memory", "swap", "sysctl", "pressure", "cgroup", "processes"},
                                       {"top": 10, "cmdline": True}, proc="/proc")
    assert facts_problems(this_machine) == []
