# -*- coding: utf-8 -*-
"""containers_limits through the remedy gate, remedy_vars' allow-list, remediate's recheck and health gate, the
facts shape of the containers subset, and the report renderers with hostile container names (issue #27)."""

import json

import pytest

from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

try:  # ansible-core 2.19+ templates only strings marked as trusted templates; 2.16 templates every string
    from ansible.template import trust_as_template
except ImportError:
    def trust_as_template(text):
        return text

from ansible_collections.headroom.memory.plugins.filter.triage import FilterModule
from ansible_collections.headroom.memory.plugins.plugin_utils.remediate.plan import (
    RemediateError, containers_stopped, health_problems, roles_for, vars_text)
from ansible_collections.headroom.memory.plugins.plugin_utils.report.console_table import table_lines
from ansible_collections.headroom.memory.plugins.plugin_utils.report.files import report_files
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.engine import check_facts, TriageError, triage_fleet
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.facts_shape import facts_problems
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.gate import gate, recheck
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.remedy_vars import remedy_errors
from ansible_collections.headroom.memory.tests.unit.plugins.plugin_utils.triage.test_triage_containers import (
    COMPOSE, JOB, WEB, ctr, with_containers)

FILE = "remedy-vars/web1.yml"
HOSTILE = ("<img src=x onerror=alert(1)>", "{{ lookup('pipe','id') }}", "{% raw %}x", "web;rm -rf /", "-web", "a" * 129, "",
           "we b", "web\n", "../web")


def proposing(fid, **item):
    return {"id": fid, "severity": "warning", "title": "t", "evidence": [],
            "remedy": {"text": "", "role": "headroom.memory.containers", "vars": {"containers_limits": [item]}, "settings": []}}


def web_host(**kw):
    """A 16 GB host running web (200 MiB, peak 300 MiB, no limit): the other processes hold 1029 MiB."""
    return with_containers([ctr("web", WEB, source=COMPOSE, **kw)])


def test_a_limit_above_use_and_within_the_host_passes():
    result = gate(web_host(), [proposing("container_without_limit", name="web", memory="304M")])
    assert result["vars"] == {"containers_limits": [{"name": "web", "memory": "304M"}]} and result["withheld"] == []


def test_a_container_absent_from_the_facts_is_withheld_whole():
    result = gate(web_host(), [proposing("container_without_limit", name="api", memory="304M", memory_swap="608M")])
    assert result["vars"] == {}
    [w] = result["withheld"]
    assert w["item"] == "api" and w["setting"] is None
    assert w["reason"] == "container 'api' is not among the docker/podman containers memory_facts saw on the host"
    facts = web_host()
    del facts["containers"]
    [w] = gate(facts, [proposing("container_without_limit", name="web", memory="304M")])["withheld"]
    assert w["reason"].endswith("(its facts have no containers subset)")


def test_a_cgroup_only_container_or_one_name_twice_is_withheld():
    facts = with_containers([ctr("web", WEB), ctr("web", JOB, runtime="podman")])
    [w] = gate(facts, [proposing("x", name="web", memory="304M")])["withheld"]
    assert w["reason"].startswith("container name 'web' is not one container here: web (docker")
    kube = with_containers([ctr("k8s_web", WEB, source={"kind": "kubernetes", "kube_pod": "web-0"})])
    [w] = gate(kube, [proposing("x", name="k8s_web", memory="304M")])["withheld"]
    assert w["reason"].startswith("container 'k8s_web' is run by Kubernetes: the kubelet owns its limits")


def test_a_limit_under_what_the_container_holds_plus_margin_is_withheld():
    result = gate(web_host(), [proposing("x", name="web", memory="208M")])
    assert result["vars"] == {}
    [w] = result["withheld"]
    assert w["setting"] == "memory" and w["value"] == "208M"
    assert w["reason"] == ("memory 208 MiB is below what container web holds now (200 MiB, working set) plus a 20 MiB "
                           "margin: it would be killed at once")
    [w] = gate(web_host(use=10, peak=10), [proposing("x", name="web", memory="16M")])["withheld"]
    assert "below the floor of 32 MiB" in w["reason"]


def test_a_limit_above_what_the_host_can_give_is_withheld():
    [w] = gate(web_host(), [proposing("x", name="web", memory="16G")])["withheld"]
    assert w["reason"].startswith("memory 16.0 GiB is above what the host can give container web: 15.6 GiB (MemTotal)")


def test_swap_and_reservation_are_bounded_by_the_memory_offered():
    result = gate(web_host(), [proposing("x", name="web", memory="304M", memory_swap="256M", memory_reservation="512M")])
    assert result["vars"] == {"containers_limits": [{"name": "web", "memory": "304M"}]}
    reasons = dict((w["setting"], w["reason"]) for w in result["withheld"])
    assert reasons["memory_swap"].startswith("memory_swap 256 MiB is below the memory limit 304 MiB")
    assert reasons["memory_reservation"] == "memory_reservation 512 MiB is above the memory limit 304 MiB"
    ok = gate(web_host(), [proposing("x", name="web", memory="304M", memory_swap="608M", memory_reservation="256M")])
    assert ok["vars"]["containers_limits"] == [{"name": "web", "memory": "304M", "memory_swap": "608M",
                                                "memory_reservation": "256M"}]
    # without its memory the item is nothing to apply
    assert gate(web_host(), [proposing("x", name="web", memory="8M", memory_swap="608M")])["vars"] == {}


def test_two_findings_proposing_one_container_get_the_largest_that_passes():
    result = gate(web_host(), [proposing("a", name="web", memory="304M"), proposing("b", name="web", memory="16G")])
    assert result["vars"] == {"containers_limits": [{"name": "web", "memory": "304M"}]}
    assert [w["findings"] for w in result["withheld"]] == [["b"]]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_are_refused_by_the_allow_list_and_the_gate(name):
    errors = remedy_errors("containers_limits", [{"name": name, "memory": "304M"}])
    assert errors == [(0, "name", "is not a docker/podman container name ([A-Za-z0-9][A-Za-z0-9_.-]*, at most 128 characters)")]
    facts = with_containers([ctr(name, WEB)])  # even when the facts hold the name
    result = gate(facts, [proposing("x", name=name, memory="304M")])
    assert result["vars"] == {} and "not offered to remediate" in result["withheld"][0]["reason"]


@pytest.mark.parametrize("item, reason", [
    ({"name": "web", "memory": "304M", "persist": True}, "is not a key diagnose proposes"),
    ({"name": "web", "memory": "304M", "force": True}, "is not a key diagnose proposes"),
    ({"name": "web", "memory": "lots"}, "is not a size such as 512M or 2G"),
    ({"name": "web", "memory": "-1"}, "is not a size such as 512M or 2G"),
    ({"name": "web", "memory": "304M", "memory_swap": -1}, "is not a size such as 512M or 2G"),
    ({"name": "web"}, "has no memory"),
    ({"memory": "304M"}, "has no name"),
])
def test_remedy_vars_refuse_unknown_keys_and_bad_values(item, reason):
    errors = remedy_errors("containers_limits", [item])
    assert any(r.startswith(reason) for _i, _k, r in errors), errors
    with pytest.raises(RemediateError) as exc:
        roles_for({"containers_limits": [item]}, FILE)
    assert "refused. Nothing was changed." in str(exc.value)


@pytest.mark.parametrize("variable, value", [("containers_persist", True), ("containers_backup", False),
                                             ("containers_manifests", [{"path": "/etc/passwd", "container": "x",
                                                                        "memory": "1G"}])])
def test_the_roles_other_variables_never_come_from_a_report(variable, value):
    with pytest.raises(RemediateError) as exc:
        roles_for({variable: value, "containers_limits": [{"name": "web", "memory": "304M"}]}, FILE)
    assert "is not a variable diagnose proposes" in str(exc.value)


def test_remediate_takes_containers_in_their_place_and_rechecks_against_the_host_now():
    doc = {"containers_limits": [{"name": "web", "memory": "304M"}], "swap_swappiness": 10}
    assert [r["role"] for r in roles_for(doc, FILE)] == ["swap", "containers"]
    assert roles_for(doc, FILE, web_host(), "web1")[1] == {"role": "containers", "vars": {"containers_limits": doc["containers_limits"]}}
    assert recheck(web_host(), doc) == []
    grown = web_host(use=400, peak=400)  # it grew since the report
    [problem] = recheck(grown, doc)
    assert problem["setting"] == "memory" and "below what container web holds now (400 MiB" in problem["reason"]
    [gone] = recheck(with_containers([]), doc)
    assert gone["setting"] is None and "not among the docker/podman containers" in gone["reason"]
    with pytest.raises(RemediateError) as exc:
        roles_for(doc, FILE, grown, "web1")
    assert "the remedy gate withholds it on the host as it is now: containers_limits web memory '304M'" in str(exc.value)
    assert vars_text(doc) == "containers_limits: web memory=304M; swap_swappiness: 10"


def test_health_gate_every_container_running_before_still_runs():
    before = with_containers([ctr("web", WEB, source=COMPOSE), ctr(None, JOB, runtime="kubepods", image=None, state=None)])
    # compose re-created web under a new id: the same container for the gate
    after = with_containers([ctr("web", "e" * 64, source=COMPOSE), ctr(None, JOB, runtime="kubepods", image=None, state=None)])
    assert containers_stopped(before, after) == [] and health_problems(before, after, [], {}) == []
    stopped = with_containers([ctr("web", WEB, source=COMPOSE, state="exited", oom_killed=True)])
    problems = health_problems(before, stopped, [], {}, check_mode=True)
    assert problems == ["container(s) running before and not now: web (docker, image nginx:1.25, compose service shop/web), "
                        "now exited; kubepods container bbbbbbbbbbbb (kubepods, cgroup /kubepods/burstable/pod1234/%s), "
                        "now gone" % JOB]


def test_health_gate_an_engine_unread_after_is_no_proof_and_old_facts_are_not_compared():
    before = web_host()
    after = web_host()
    after["containers"]["engines"]["docker"]["error"] = "permission denied on /var/run/docker.sock"
    after["containers"]["list"] = []
    assert containers_stopped(before, after) == [
        "container(s) running before whose state is unknown now: web (docker, image nginx:1.25, compose service "
        "shop/web) (docker could not be read after the batch: permission denied on /var/run/docker.sock)"]
    after["containers"]["engines"]["docker"].update(error=None, skipped="no docker daemon socket")
    assert containers_stopped(before, after)[0].endswith("(docker could not be read after the batch: no docker daemon socket)")
    del after["containers"]["engines"]["docker"]
    assert containers_stopped(before, after)[0].endswith("(docker could not be read after the batch: the engine is gone)")
    del after["containers"]
    assert containers_stopped(before, after) == []
    capped = web_host()
    capped["containers"].update(list=[], total=250)  # more containers than the list holds: web may just be cut
    assert containers_stopped(before, capped) == []


@pytest.mark.parametrize("mutate, problem", [
    (lambda c: c["containers"].update(list="web"), "containers.list: expected a list, got str"),
    (lambda c: c["containers"]["list"][0].update(limit_mb=-1), "containers.list[0].limit_mb: expected a number of at least 0"),
    (lambda c: c["containers"]["list"][0].update(name="x" * 5000), "containers.list[0].name: a name of 5000 characters"),
    (lambda c: c["containers"]["list"][0].update(image="nginx\x1b[2J"), "containers.list[0].image: a name with a control"),
    (lambda c: c["containers"]["list"][0].update(oom_killed="yes"), "containers.list[0].oom_killed: expected true or false"),
    (lambda c: c["containers"]["list"][0]["source"].update(compose_files=["/a"] * 33),
     "containers.list[0].source.compose_files: a list of 33 items (at most 32)"),
    (lambda c: c["containers"].update(list=[dict(c["containers"]["list"][0]) for _i in range(201)]),
     "containers.list: a list of 201 items (at most 200)"),
    (lambda c: c["containers"]["engines"].update(docker="yes"), "containers.engines.docker: expected a mapping"),
])
def test_the_containers_facts_are_checked_before_any_rule(mutate, problem):
    facts = web_host()
    assert facts_problems(facts) == []
    mutate(facts)
    assert any(p.startswith(problem) for p in facts_problems(facts)), facts_problems(facts)
    with pytest.raises(TriageError):
        check_facts(facts)


def hostile_fleet():
    names = [ctr("<img src=x onerror=alert(1)>", WEB, image="<script>alert(2)</script>"),
             ctr("{{ lookup('pipe','id') }}", JOB, image="{% raw %}{{ 7*7 }}", source=dict(COMPOSE, compose_service="{{ 7*7 }}"))]
    return [{"host": "web1", "facts": with_containers(names), "result": {}}]


def test_the_renderers_escape_hostile_container_names_and_images():
    report = triage_fleet(hostile_fleet(), generated="2026-12-07T12:00:00Z")
    [entry] = report["hosts"]
    [f] = [f for f in entry["findings"] if f["id"] == "container_without_limit"]
    assert f["remedy"]["vars"] == {}  # no docker name: nothing a remedy may carry
    assert "<img src=x onerror=alert(1)>" in f["evidence"][0]  # the finding keeps the text; the renderers escape it
    files = report_files(report)
    html, md = files["index.html"], files["report.md"]
    for raw in ("<img src=x", "<script>alert(2)"):
        assert raw not in html and raw not in md
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "&lt;script&gt;alert(2)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in md and "image &lt;script&gt;" in md
    assert "{{ lookup(&#x27;pipe&#x27;,&#x27;id&#x27;) }}" in html
    # the fleet table still works: the host's row names its worst finding
    [row] = [line for line in table_lines(report) if line.startswith("web1 ")]
    assert row.endswith("WARNING container_without_limit")
    data = json.loads(files["report.json"])
    assert any("{{ lookup('pipe','id') }}" in e for h in data["hosts"] for f in h["findings"] for e in f["evidence"])
    assert not [n for n in files if n.startswith("remedy-vars/")] or "lookup" not in "".join(
        files[n] for n in files if n.startswith("remedy-vars/"))


def test_the_fleet_report_is_never_templated_again_when_used_as_a_fact():
    """the diagnose role keeps triage_fleet's result with set_fact and hands it on: a Jinja-looking label read
    from a host must reach the files as text, never be evaluated on the controller (ansible-core 2.16 templates
    every string of a fact that is not marked unsafe)."""
    report = FilterModule().filters()["triage_fleet"](hostile_fleet(), generated="2026-12-07T12:00:00Z")
    templar = Templar(loader=DataLoader(), variables={"report": report})
    text = templar.template(trust_as_template("{{ report | to_json }}"))
    assert "{{ lookup('pipe','id') }}" in text and "compose service shop/{{ 7*7 }}" in text
    assert "{% raw %}{{ 7*7 }}" in text and "shop/49" not in text
    # the files are written from the same (unsafe-marked) data as they are from the plain one
    assert report_files(report)["report.md"] == report_files(triage_fleet(hostile_fleet(), generated="2026-12-07T12:00:00Z"))["report.md"]


def test_outcome_says_why_a_container_kill_finding_remains_after_remediate():
    from ansible_collections.headroom.memory.plugins.plugin_utils.remediate.proof import outcome
    tight = {"id": "container_limit_too_tight", "severity": "warning",
             "remedy": {"role": "headroom.memory.containers", "vars": {"containers_limits": [{"name": "api", "memory": "384M"}]}}}
    before = {"generated": "2026-11-30T11:00:00Z", "hosts": [{"host": "h", "status": "ok", "findings": [tight]}]}
    result = outcome(before, before, {"h": {"status": "ok", "roles": ["containers"]}})
    [row] = result["hosts"][0]["findings"]
    assert row["state"] == "not re-checked" and row["instance"] == "api"
    assert "and the container's own kill counter (it clears when the container is re-created" in row["reason"]
