# -*- coding: utf-8 -*-
"""The filters are thin: they pass through to plugin_utils and turn bad input into AnsibleFilterError."""

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.headroom.memory.plugins.filter.report_render import FilterModule as ReportFilters
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar
from ansible.utils.unsafe_proxy import wrap_var

try:  # ansible-core 2.19+ templates only strings marked as trusted templates; 2.16 templates every string
    from ansible.template import trust_as_template
except ImportError:
    def trust_as_template(text):
        return text

from ansible_collections.headroom.memory.plugins.filter.triage import FilterModule as TriageFilters, unsafe
from ansible_collections.headroom.memory.tests.unit.plugins.plugin_utils.triage.test_triage import sick
from ansible_collections.headroom.memory.tests.unit.plugins.plugin_utils.triage.test_triage_facts import healthy

TRIAGE = TriageFilters().filters()
REPORT = ReportFilters().filters()


def test_filter_names():
    assert sorted(TRIAGE) == ["triage", "triage_fleet"]
    assert sorted(REPORT) == ["report_html", "report_markdown", "report_remedy_vars", "report_table"]


def test_triage_filter_returns_findings():
    assert TRIAGE["triage"](healthy()) == []
    ids = [f["id"] for f in TRIAGE["triage"](sick(), {"swap_missing_max_ram_mb": 1024})]
    assert "oom_kills_recent" in ids and "swap_missing" not in ids


def test_triage_filter_second_sample_with_interval_as_text():
    later = [dict(p) for p in healthy()["processes"]]
    later[0]["rss_mb"] = 2000
    [f] = TRIAGE["triage"](healthy(), None, later, "30")
    assert f["id"] == "leak_suspect" and "in 30s" in f["evidence"][0]


@pytest.mark.parametrize("args, message", [
    ((None,), "expects the headroom facts"),
    ((healthy(), {"nope": 1}), "unknown key 'nope'"),
    ((healthy(), None, None, "soon"), "whole number of seconds"),
])
def test_triage_filter_errors_are_clear(args, message):
    with pytest.raises(AnsibleFilterError, match=message):
        TRIAGE["triage"](*args)


def test_fleet_and_renderers_chain():
    report = TRIAGE["triage_fleet"]([{"host": "a", "facts": sick()}], "30d", 0, "2026-11-25T12:00:00Z")
    assert report["sample_interval_s"] is None
    assert REPORT["report_table"](report)[2].startswith("a ")
    assert REPORT["report_html"](report).startswith("<!DOCTYPE html>")
    assert REPORT["report_markdown"](report).startswith("# headroom.memory")
    assert REPORT["report_remedy_vars"](report["hosts"][0]).startswith("# Suggested")


def test_renderers_refuse_other_input():
    with pytest.raises(AnsibleFilterError, match="triage_fleet"):
        REPORT["report_html"]({"hosts": []})
    with pytest.raises(AnsibleFilterError, match="one entry"):
        REPORT["report_remedy_vars"]("a")
    with pytest.raises(AnsibleFilterError, match="list of host entries"):
        TRIAGE["triage_fleet"]({"host": "a"})


class _Lazy(list):
    """Stands for ansible-core 2.19's lazy list: built by the templar, refusing construction by anyone else."""

    def __init__(self, *args):  # pylint: disable=super-init-not-called
        raise TypeError("Direct construction of lazy containers is not supported.")


def _lazy(items):
    value = list.__new__(_Lazy)
    list.extend(value, items)
    return value


def test_results_with_a_lazy_list_from_the_input_are_made_plain_then_marked_unsafe():
    result = {"hosts": [{"host": "web1", "evidence": _lazy(["{{ lookup('pipe', 'id') }}"])}], "pair": ("a", 1)}
    with pytest.raises(TypeError):
        wrap_var(result)  # what the filters did: wrap_var rebuilds the list by calling its type
    marked = unsafe(result)
    evidence = marked["hosts"][0]["evidence"]
    assert not isinstance(evidence, _Lazy) and evidence == ["{{ lookup('pipe', 'id') }}"] and marked["pair"] == ("a", 1)
    # used as a fact, the hostile line is data: never templated again on the controller
    templar = Templar(loader=DataLoader(), variables={"report": marked})
    assert templar.template(trust_as_template("{{ report.hosts[0].evidence[0] }}")) == "{{ lookup('pipe', 'id') }}"
