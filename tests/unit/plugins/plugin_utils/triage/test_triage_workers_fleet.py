# -*- coding: utf-8 -*-
"""workers_oversubscribed on fleet-shaped hosts (issue #32): the reserve scales with the host, and a gunicorn whose
count is set on its unit's command line gets the exact change instead of a workers role remedy it would refuse."""

from ansible_collections.headroom.memory.plugins.plugin_utils.triage.gate import gate
from ansible_collections.headroom.memory.tests.unit.plugins.plugin_utils.triage.test_triage_facts import (
    group, healthy, proc)
from ansible_collections.headroom.memory.tests.unit.plugins.plugin_utils.triage.test_triage_workers import run


def gunicorn_host(total=16384, limit=384, workers=9, source="command line", others=(("tini", 1, 5),),
                  pss=55):
    """gunicorn in app.service, measured with PSS: 55 MiB per worker, 15 shared + a 10 MiB master."""
    facts = healthy()
    facts["memory"]["total_mb"] = total
    facts["cgroup"]["limit_mb"] = limit
    gun = dict(group("gunicorn", workers + 1, 70), pss_max_mb=pss, uss_avg_mb=40, shared_max_mb=15, measured=workers,
               parent={"pid": 30, "rss_mb": 60, "uss_mb": 10})
    facts["process_groups"] = [group(c, n, avg) for c, n, avg in others] + [gun]
    facts["processes"] = [proc("gunicorn", 70, pid=30 + i, unit="app.service") for i in range(workers + 1)]
    facts["settings"] = {"databases": [], "workers": [
        {"kind": "gunicorn", "comm": "gunicorn", "pid": 30, "unit": "app.service", "files_read": 0, "problems": [],
         "settings": {"workers": workers, "source": source}}]}
    return facts


def test_a_384_mib_container_gets_a_worker_count_and_the_execstart_change():
    # share 384 - 5 (tini) - 64 reserve = 315 MiB: floor((315 - 25) / 55) = 5 workers fit (the old fixed 256 MiB
    # reserve left 123 MiB: "not even 2 workers", no count at all)
    [f] = run(gunicorn_host())
    assert f["title"] == "gunicorn workers (--workers / GUNICORN_CMD_ARGS / WEB_CONCURRENCY) = 9 does not fit in " \
                         "315 MiB (5 fit)"
    assert "auto: 384 MiB (cgroup) - 5 MiB other processes - 64 MiB reserve = 315 MiB" in f["evidence"][2]
    assert "gunicorn's worker count is set by: command line (app.service's ExecStart)" in f["evidence"]
    # the workers role would refuse this layout: no role remedy, the exact change instead
    assert f["remedy"]["role"] is None and f["remedy"]["vars"] == {}
    text = f["remedy"]["text"]
    assert "5 fit (floor((315 MiB share - 25 MiB shared) / 55 MiB per worker) = 5)" in text
    assert "app.service sets `--workers 9` on gunicorn's command line (ExecStart)" in text
    assert "change `--workers 9` to `--workers 5` in its ExecStart (`systemctl edit app.service`" in text
    assert f["remedy"]["settings"][0]["value"] == 5


def test_where_the_role_can_set_the_count_it_gets_the_pool():
    for source in ("GUNICORN_CMD_ARGS", "WEB_CONCURRENCY", "config file (not read: it is Python)", "default"):
        [f] = run(gunicorn_host(source=source))
        assert f["remedy"]["vars"] == {"workers_pools": [{"kind": "gunicorn", "unit": "app.service"}]}
        assert "gunicorn's worker count is set by: %s" % source in f["evidence"]
        assert "ExecStart" not in f["remedy"]["text"]


def test_the_command_line_finding_passes_the_gate_without_remedy_vars():
    facts = gunicorn_host()
    result = gate(facts, run(facts))
    assert "workers_pools" not in result["vars"]


def test_a_64_gib_server_keeps_the_server_reserve():
    facts = gunicorn_host(total=65536, limit=None, workers=300, others=(("java", 1, 50000),), pss=400)
    [f] = run(facts)
    assert "auto: 65536 MiB (MemTotal) - 50000 MiB other processes - 3276 MiB reserve = 12260 MiB" in f["evidence"][2]
    assert f["remedy"]["settings"][0]["value"] == (12260 - 25) // 400  # 30 fit
