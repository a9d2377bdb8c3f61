# -*- coding: utf-8 -*-
"""workers_oversubscribed by the pools' own settings (memory_facts' settings.workers): the configured count x
the workers role's per-worker cost (or a killed worker's anon-rss, when larger) against the pool's share."""

from ansible_collections.headroom.memory.plugins.plugin_utils.triage.gate import gate
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.workers import configured_pools
from ansible_collections.headroom.memory.plugins.plugin_utils.workers.plan import pool_errors, worker_count
from ansible_collections.headroom.memory.tests.unit.plugins.plugin_utils.triage.test_triage_facts import (
    group, healthy, kill)
from ansible_collections.headroom.memory.tests.unit.plugins.plugin_utils.triage.test_triage_workers import run

PHP = "php-fpm8.2"
UNIT = "php8.2-fpm.service"


def php_host(max_children=40, pools=("www",), live=6, kills=()):
    """An 877 MiB container: nginx 120 + sshd 9 MiB besides a php-fpm pool measured with PSS (30 MiB per worker,
    10 shared + a 5 MiB master). The pool's share: 877 - 129 - 109 reserve (1/8) = 639 MiB."""
    facts = healthy()
    facts["cgroup"]["limit_mb"] = 877
    facts["memory"]["available_mb"] = 700
    facts["processes"] = [p for p in facts["processes"] if p["comm"] != "app"]
    php = dict(group(PHP, live, 35), pss_max_mb=30, uss_avg_mb=25, shared_max_mb=10, measured=live - 1,
               parent={"pid": 10, "rss_mb": 20, "uss_mb": 5})
    facts["process_groups"] = [g for g in facts["process_groups"] if g["comm"] != "app"] + [php]
    per_pool = [{"name": n, "pm": "dynamic", "max_children": max_children // len(pools)} for n in pools]
    facts["settings"] = {"databases": [], "workers": [
        {"kind": "php_fpm", "comm": PHP, "pid": 10, "unit": UNIT, "files_read": 2, "problems": [],
         "settings": {"pools": per_pool, "max_children": sum(p["max_children"] for p in per_pool)}}]}
    facts["oom"]["events"] = list(kills)
    return facts


def test_configured_children_that_do_not_fit_get_the_roles_count():
    [f] = run(php_host())
    assert f["severity"] == "critical"  # 15 + 40 x 30 = 1215 MiB > 877 - 129 MiB the others hold
    assert f["title"] == "php-fpm pm.max_children = 40 does not fit in 639 MiB (20 fit)"
    assert f["remedy"]["settings"] == [{"service": "php-fpm", "setting": "pm.max_children", "value": 20,
                                        "per_worker_mb": 30, "room_mb": 624}]
    assert worker_count(639, 15, 30, 1, 64)["count"] == 20  # the role's own arithmetic
    assert f["remedy"]["vars"] == {"workers_pools": [{"kind": "php_fpm", "config": "/etc/php/8.2/fpm/pool.d/www.conf"}]}
    assert pool_errors(f["remedy"]["vars"]["workers_pools"]) == []
    assert "877 MiB" in f["evidence"][2] and "109 MiB reserve" in f["evidence"][2]


def test_it_fires_on_an_idle_pool_the_live_count_would_pass():
    facts = php_host(live=3)
    assert run(facts)  # 3 running; 40 allowed
    facts["settings"]["workers"] = []
    assert run(facts) == []  # by the live count alone: nothing


def test_children_that_fit_are_fine_and_the_live_rule_does_not_judge_the_pool_again():
    facts = php_host(max_children=15, live=16)  # 15 + 15 x 30 = 465 <= 90% of 639
    facts["process_groups"][-1]["rss_mb_avg"] = 60  # 16 x 60 RSS would fail the live rule
    facts["memory"]["available_mb"] = 100
    assert run(facts) == []


def test_a_killed_worker_raises_the_per_worker_cost_and_the_role_is_given_it():
    [f] = run(php_host(kills=[kill(comm=PHP, unit=UNIT, anon_kb=80 * 1024)]))
    st = f["remedy"]["settings"][0]
    assert (st["value"], st["per_worker_mb"]) == (7, 80)  # (639 - 15) // 80
    assert f["remedy"]["vars"]["workers_pools"] == [
        {"kind": "php_fpm", "config": "/etc/php/8.2/fpm/pool.d/www.conf", "per_worker": 80}]
    assert pool_errors(f["remedy"]["vars"]["workers_pools"]) == []
    assert any("OOM-killed holding 80 MiB" in e for e in f["evidence"])
    # a smaller kill record does not lower the measured cost
    [f] = run(php_host(kills=[kill(comm=PHP, unit=UNIT, anon_kb=8 * 1024)]))
    assert f["remedy"]["settings"][0]["per_worker_mb"] == 30 and f["severity"] == "critical"
    assert "per_worker" not in f["remedy"]["vars"]["workers_pools"][0]


def test_a_kill_of_another_comm_is_not_this_pools_peak():
    [f] = run(php_host(kills=[kill(comm="python3", unit="x.service", anon_kb=500 * 1024)]))
    assert f["remedy"]["settings"][0]["per_worker_mb"] == 30


def test_when_not_one_worker_fits_no_count_is_offered():
    [f] = run(php_host(kills=[kill(comm=PHP, unit=UNIT, anon_kb=700 * 1024)]))
    assert f["severity"] == "critical" and f["remedy"]["role"] is None and f["remedy"]["settings"] == []
    assert "even min 2 workers do not fit" in " ".join(f["evidence"])
    assert f["title"] == "php-fpm pm.max_children = 40 does not fit in 639 MiB"


def test_one_worker_is_not_offered_because_the_role_would_refuse_it():
    """(639 - 15) // 400 = 1 fits, but the workers role sets at least its workers_min of 2: a remedy of 1 would be
    refused by the role it names, so none is offered, and the text says why."""
    [f] = run(php_host(kills=[kill(comm=PHP, unit=UNIT, anon_kb=400 * 1024)]))
    assert worker_count(639, 15, 400, 1, 64)["count"] == 1
    assert f["severity"] == "critical" and f["remedy"]["role"] is None and f["remedy"]["settings"] == []
    assert "even min 2 workers do not fit: 15 MiB shared + 2 x 400 MiB = 815 MiB needed" in " ".join(f["evidence"])
    assert f["remedy"]["text"].startswith("Fewer than 2 php-fpm8.2 workers (the least headroom.memory.workers sets")
    # two that just fit are offered
    [f] = run(php_host(kills=[kill(comm=PHP, unit=UNIT, anon_kb=312 * 1024)]))
    assert f["remedy"]["settings"][0]["value"] == 2 and f["remedy"]["role"] == "headroom.memory.workers"


def test_several_pools_get_the_count_but_no_guessed_pool_file():
    [f] = run(php_host(pools=("api", "www")))
    assert f["remedy"]["role"] is None and f["remedy"]["settings"][0]["value"] == 20
    assert "workers_pools" in f["remedy"]["text"]


def test_the_offered_count_passes_the_remedy_gate():
    facts = php_host()
    findings = run(facts)
    result = gate(facts, findings)
    assert result["withheld"] == []


def test_apache_is_judged_on_prefork_only_and_gunicorn_within_its_units_limit():
    facts = php_host()
    facts["settings"]["workers"] = [
        {"kind": "apache", "comm": "apache2", "pid": 20, "unit": "apache2.service", "files_read": 5, "problems": [],
         "settings": {"mpm": "event", "max_request_workers": 400, "server_limit": 16, "threads_per_child": 25,
                      "processes": 16}},
        {"kind": "gunicorn", "comm": "gunicorn", "pid": 30, "unit": "app.service", "files_read": 0, "problems": [],
         "settings": {"workers": 12, "source": "WEB_CONCURRENCY"}}]
    facts["process_groups"] = [g for g in facts["process_groups"] if g["comm"] != PHP] + [
        group("apache2", 5, 40), group("gunicorn", 13, 50, peak=60)]
    facts["cgroup"]["limited"].append({"cgroup": "/system.slice/app.service", "unit": "app.service",
                                       "limit_mb": 736, "usage_mb": 300})
    found, judged = configured_pools(facts, facts["oom"]["events"])
    assert judged == {"gunicorn"}  # Apache event is left to the live rule
    [f] = found
    # the unit's 736 MiB is below the container's 877 MiB, so the share is 736 - (nginx 120 + sshd 9 +
    # apache 200) - 92 reserve (1/8) = 315 MiB; without PSS a worker costs its largest RSS, 60 MiB
    st = f["remedy"]["settings"][0]
    assert (st["setting"].split()[0], st["value"], st["per_worker_mb"], st["room_mb"]) == ("workers", 5, 60, 315)
    assert f["remedy"]["vars"] == {"workers_pools": [{"kind": "gunicorn", "unit": "app.service"}]}


def test_a_count_the_role_would_keep_is_no_finding_and_one_above_is():
    """The role keeps a current count within its tolerance (10 %) of its share: 15 + 22 x 30 = 675 <= 639 x 1.1."""
    from ansible_collections.headroom.memory.plugins.plugin_utils.workers.pools import TOLERANCE_PCT
    assert TOLERANCE_PCT == 10
    assert run(php_host(max_children=22)) == []
    [f] = run(php_host(max_children=23))  # 705 MiB > 702.9
    assert f["severity"] == "warning" and f["remedy"]["settings"][0]["value"] == 20  # 705 <= 877 - 129
    [f] = run(php_host(max_children=24))  # 15 + 24 x 30 = 735 <= 748: still a warning
    assert f["severity"] == "warning"
    [f] = run(php_host(max_children=25))  # 765 > 748: the container runs out at full load
    assert f["severity"] == "critical"
