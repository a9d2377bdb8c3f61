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

from ansible_collections.headroom.memory.plugins.plugin_utils.triage import engine as triage_engine
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


class _Counted(dict):
    """Stands for a lazy dict of ansible-core 2.19, whose every read runs the templar's access hooks: counts reads."""

    reads = 0

    def __getitem__(self, key):
        _Counted.reads += 1
        return dict.__getitem__(self, key)

    def get(self, key, default=None):
        _Counted.reads += 1
        return dict.get(self, key, default)

    def items(self):
        for key in dict.keys(self):
            yield key, self[key]


def _counted(value):
    if isinstance(value, dict):
        return _Counted((k, _counted(v)) for k, v in value.items())
    if isinstance(value, list):
        return [_counted(v) for v in value]
    return value


def _containers(value):
    if isinstance(value, dict):
        yield type(value)
        for item in value.values():
            yield from _containers(item)
    elif isinstance(value, (list, tuple)):
        yield type(value)
        for item in value:
            yield from _containers(item)


def test_fleet_input_is_read_once_and_the_rules_get_plain_containers(monkeypatch):
    facts = sick()
    plain = TRIAGE["triage_fleet"]([{"host": "a", "facts": facts}], "30d", 0, "2026-11-25T12:00:00Z")
    entry = _counted({"host": "a", "facts": facts})
    keys = sum(len(d) for d in _dicts(entry))
    _Counted.reads = 0
    report = TRIAGE["triage_fleet"]([entry], "30d", 0, "2026-11-25T12:00:00Z")
    assert report == plain
    # one read per key of every dict of the input, not one per rule that looks at it
    assert keys > 100 and _Counted.reads == keys
    seen = []
    monkeypatch.setattr(triage_engine, "triage_fleet", lambda entries, **kw: seen.append(entries) or {})
    TRIAGE["triage_fleet"]([_counted({"host": "a", "facts": facts})])
    assert set(_containers(seen[0])) == {list, dict}


def _dicts(value):
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _dicts(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _dicts(item)
