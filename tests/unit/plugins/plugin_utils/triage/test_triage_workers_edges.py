# -*- coding: utf-8 -*-
"""workers_oversubscribed: each finding word for word and the edges of every line it draws (issue #10: a
mutation run found them unpinned). The hosts are those of test_triage_workers(_settings); the arithmetic of each
case is worked out beside it."""

import pytest

from ansible_collections.headroom.memory.plugins.plugin_utils.triage.workers import masters, workers_pool
from ansible_collections.headroom.memory.tests.unit.plugins.plugin_utils.triage.test_triage_facts import (
    group, healthy, kill, proc)
from ansible_collections.headroom.memory.tests.unit.plugins.plugin_utils.triage.test_triage_workers import pool, run
from ansible_collections.headroom.memory.tests.unit.plugins.plugin_utils.triage.test_triage_workers_settings import (
    PHP, UNIT, php_host)

WWW = {"kind": "php_fpm", "config": "/etc/php/8.2/fpm/pool.d/www.conf"}
SHARE = ("the pool's share (the workers role's arithmetic): 639 MiB: auto: 877 MiB (cgroup) - 129 MiB other "
         "processes - 109 MiB reserve = 639 MiB, / 1 instance = 639 MiB")
BASIS = "per worker: max(largest PSS 30, average USS 25) MiB over 5 workers"
BACKSTOP = "headroom.memory.service_limits keeps a MemoryHigh/MemoryMax backstop on the unit."


# --- judged by the configured count -------------------------------------------------------------------

def test_configured_finding_word_for_word():
    assert run(php_host()) == [{
        "id": "workers_oversubscribed", "severity": "critical",
        "title": "php-fpm pm.max_children = 40 does not fit in 639 MiB (20 fit)",
        "evidence": ["php-fpm pm.max_children = 40: 40 \u00d7 30 MiB per worker + 15 MiB shared = 1.2 GiB at full load",
                     BASIS, SHARE, "floor((639 MiB share - 15 MiB shared) / 30 MiB per worker) = 20"],
        "remedy": {"text": "Configured for more workers than memory allows: php-fpm pm.max_children = 20 fits "
                           "(floor((639 MiB share - 15 MiB shared) / 30 MiB per worker) = 20); headroom.memory.workers "
                           "sets it, from the workers' measured PSS/USS.",
                   "role": "headroom.memory.workers", "vars": {"workers_pools": [WWW]},
                   "settings": [{"service": "php-fpm", "setting": "pm.max_children", "value": 20, "per_worker_mb": 30,
                                 "room_mb": 624}]}}]


def test_a_killed_worker_larger_than_measured_word_for_word():
    [f] = run(php_host(kills=[kill(comm=PHP, unit=UNIT, anon_kb=80 * 1024)]))
    assert f["title"] == "php-fpm pm.max_children = 40 does not fit in 639 MiB (7 fit)"
    assert f["evidence"] == [
        "php-fpm pm.max_children = 40: 40 \u00d7 80 MiB per worker + 15 MiB shared = 3.1 GiB at full load",
        BASIS + "; raised to the largest killed php-fpm8.2's anon-rss 80 MiB", SHARE,
        "a php-fpm8.2 worker was OOM-killed holding 80 MiB of its own (anon-rss)",
        "floor((639 MiB share - 15 MiB shared) / 80 MiB per worker) = 7"]
    assert f["remedy"]["text"] == (
        "Configured for more workers than memory allows: php-fpm pm.max_children = 7 fits (floor((639 MiB share - "
        "15 MiB shared) / 80 MiB per worker) = 7); headroom.memory.workers sets it, from the workers' measured "
        "PSS/USS raised to the killed worker's size.")


def test_a_killed_worker_of_exactly_the_measured_size_does_not_raise_it():
    [f] = run(php_host(kills=[kill(comm=PHP, unit=UNIT, anon_kb=30 * 1024)]))
    assert f["evidence"][1] == BASIS and f["remedy"]["vars"] == {"workers_pools": [WWW]}
    assert f["evidence"][3] == "a php-fpm8.2 worker was OOM-killed holding 30 MiB of its own (anon-rss)"
    assert f["severity"] == "critical"  # a kill makes it critical even below the memory there is


def test_several_pools_word_for_word():
    [f] = run(php_host(pools=("api", "www")))
    assert (f["remedy"]["role"], f["remedy"]["vars"]) == (None, {})
    assert f["remedy"]["text"] == (
        "Configured for more workers than memory allows: set php-fpm pm.max_children = 20 (floor((639 MiB share - "
        "15 MiB shared) / 30 MiB per worker) = 20) in the service's configuration, or list the pool in "
        "headroom.memory.workers' workers_pools.")


def test_not_one_worker_fits_word_for_word():
    [f] = run(php_host(kills=[kill(comm=PHP, unit=UNIT, anon_kb=700 * 1024)]))
    assert f["id"] == "workers_oversubscribed" and f["title"] == "php-fpm pm.max_children = 40 does not fit in 639 MiB"
    assert f["evidence"][-1] == (
        "php-fpm8.2: even min 2 workers do not fit: 15 MiB shared + 2 x 700 MiB = 1415 MiB needed, the share is "
        "639 MiB (floor((639 MiB share - 15 MiB shared) / 700 MiB per worker) = 0).")
    assert f["remedy"]["text"] == (
        "Fewer than 2 php-fpm8.2 workers (the least headroom.memory.workers sets, its workers_min) fit in the "
        "pool's share: no worker count is offered. Move the service to a host (or container) with more memory, "
        "or lower what each worker holds (PHP memory_limit, the application's caches).")


def test_the_roles_tolerance_at_equality_is_kept():
    # a 661 MiB container: share 661 - 129 - 82 (1/8) = 450 MiB; 15 + 16 x 30 = 495 = 450 x 1.1 is kept, 17 is not
    facts = php_host(max_children=16)
    facts["cgroup"]["limit_mb"] = 661
    assert run(facts) == []
    facts = php_host(max_children=17)
    facts["cgroup"]["limit_mb"] = 661
    assert [f["title"] for f in run(facts)] == ["php-fpm pm.max_children = 17 does not fit in 450 MiB (14 fit)"]


def test_a_pool_needing_exactly_the_memory_there_is_is_a_warning():
    facts = php_host(max_children=30)  # 15 + 30 x 30 = 915 = 1044 - 129 the others hold
    facts["cgroup"]["limit_mb"] = 1044
    assert [f["severity"] for f in run(facts)] == ["warning"]


def gunicorn_master(unit, workers, source="GUNICORN_CMD_ARGS"):
    return {"kind": "gunicorn", "comm": "gunicorn", "pid": 30, "unit": unit, "files_read": 0, "problems": [],
            "settings": {"workers": workers, "source": source}}


def test_a_master_that_cannot_be_judged_or_is_kept_does_not_stop_the_others():
    facts = php_host()
    facts["process_groups"] = [g for g in facts["process_groups"] if g["comm"] != PHP] + [group("gunicorn", 13, 50, 60)]
    php_master = dict(facts["settings"]["workers"][0], comm="php-fpm8.3")  # no process group: no cost, skipped
    facts["settings"]["workers"] = [php_master, gunicorn_master("zeta.service", 12), gunicorn_master("app.service", 12)]
    found = run(facts)
    # the three masters share 1024 - (nginx 120 + sshd 9) - 256 = 639 MiB: 213 each (the one that cannot be
    # judged still holds its share); 12 x 60 MiB (largest RSS, no PSS) does not fit, floor(213 / 60) = 3 do
    assert [f["title"] for f in found] == [
        "gunicorn workers (--workers / GUNICORN_CMD_ARGS / WEB_CONCURRENCY) = 12 does not fit in 213 MiB (3 fit)"] * 2
    # one pool list for every finding, sorted by kind and unit
    both = [{"kind": "gunicorn", "unit": "app.service"}, {"kind": "gunicorn", "unit": "zeta.service"}]
    assert [f["remedy"]["vars"] for f in found] == [{"workers_pools": both}] * 2
    # a first master the role keeps does not end the loop either
    facts["settings"]["workers"][1]["settings"]["workers"] = 1
    assert len(run(facts)) == 1


def test_masters_take_a_positive_whole_count_and_apache_on_prefork_only():
    def m(kind, settings):
        return {"kind": kind, "comm": kind, "settings": settings}
    listed = [m("apache", {"mpm": "prefork", "processes": True}), m("php_fpm", {"max_children": 0}),
              m("gunicorn", {"workers": 1}), m("php_fpm", {"max_children": None}), m("gunicorn", {"workers": "5"}),
              m("apache", {"mpm": "prefork", "processes": 150}), m("apache", {"mpm": "event", "processes": 16}),
              m("uwsgi", {"workers": 4})]
    found = masters({"settings": {"workers": listed}})
    assert [(x["kind"], count) for x, count in found] == [("gunicorn", 1), ("apache", 150)]


@pytest.mark.parametrize("comm, unit, entry", [
    ("php-fpm8.2", None, WWW),
    ("php-fpm", None, None),
    ("php-fpmx.2", None, None),
    ("python3.11", "app.service", None),
    ("apache2", None, {"kind": "apache_prefork"}),
    ("gunicorn", "app.service", {"kind": "gunicorn", "unit": "app.service"}),
    ("gunicorn", None, None),
])
def test_workers_pool_entries(comm, unit, entry):
    assert workers_pool(comm, unit) == entry


# --- judged by the live count x average RSS -----------------------------------------------------------

def test_live_finding_with_the_service_limits_backstop_word_for_word():
    # 10 x 100 = 1000 MiB: above the 90 % fit line of its 1000 MiB limit, exactly the limit: a warning
    assert run(pool("uwsgi", 10, 100, "uwsgi.service", limit=1000)) == [{
        "id": "workers_oversubscribed", "severity": "warning", "title": "10 uwsgi workers do not fit in 1000 MiB",
        "evidence": ["10 uwsgi workers \u00d7 100 MiB average RSS = 1000 MiB (largest 100 MiB)",
                     "room: the memory limit of uwsgi.service = 1000 MiB; fit line 90%",
                     "7 workers fit in 75% of the room"],
        "remedy": {"text": "More workers than memory allows: set uwsgi processes = 7 (75% of 1000 MiB at 100 MiB each) "
                           "in the service's configuration; " + BACKSTOP,
                   "role": "headroom.memory.service_limits",
                   "vars": {"service_limits_units": [{"unit": "uwsgi.service", "memory_high": "960M",
                                                      "memory_max": "1G"}]},
                   "settings": [{"service": "uwsgi", "setting": "processes", "value": 7, "per_worker_mb": 100,
                                 "room_mb": 1000}]}}]


def test_live_finding_for_the_workers_role_word_for_word():
    facts = pool("apache2", 150, 80, "apache2.service")
    facts["memory"]["available_mb"] = 500  # room = 500 + 150 x 80
    facts["process_groups"][-1]["rss_mb_max"] = 95
    [f] = run(facts)
    assert f["title"] == "150 apache2 workers do not fit in 12.2 GiB"
    assert f["evidence"] == ["150 apache2 workers \u00d7 80 MiB average RSS = 11.7 GiB (largest 95 MiB)",
                             "room: available + its own = 12.2 GiB; fit line 90%", "117 workers fit in 75% of the room"]
    assert f["remedy"]["text"] == (
        "More workers than memory allows: set apache2 MaxRequestWorkers = 117 (75% of 12.2 GiB at 80 MiB each), or "
        "let headroom.memory.workers size it from the workers' measured PSS/USS (run it while the pool serves its "
        "usual load); " + BACKSTOP)


@pytest.mark.parametrize("count, avg, limit, fits", [
    (5, 900, 1000, 1),     # 75 % of 1000 holds no 900 MiB worker: still 1
    (100, 1, 64, 48),      # 1 MiB workers: 48 of them in 75 % of 64
])
def test_live_fit_counts(count, avg, limit, fits):
    [f] = run(pool("uwsgi", count, avg, "uwsgi.service", limit=limit))
    assert (f["remedy"]["settings"][0]["value"], f["remedy"]["settings"][0]["per_worker_mb"]) == (fits, avg)
    assert f["severity"] == "critical"


def test_min_count_and_fit_line_at_equality():
    assert len(run(pool("uwsgi", 4, 300, "uwsgi.service", limit=1000))) == 1  # exactly workers_min_count
    assert run(pool("uwsgi", 9, 100, "uwsgi.service", limit=1000)) == []  # 900 = the 90 % line


def test_members_of_each_limited_unit_are_averaged_on_their_own():
    facts = healthy()
    facts["process_groups"].append(group("uwsgi", 6, 90))
    facts["processes"] += [proc("uwsgi", r, pid=3000 + n, unit="a.service") for n, r in enumerate([100, 101, 102, None])]
    facts["processes"] += [proc("uwsgi", 50, pid=3100 + n, unit="b.service") for n in range(2)]
    for unit, limit in (("a.service", 300), ("b.service", 100)):
        facts["cgroup"]["limited"].append({"cgroup": "/system.slice/" + unit, "unit": unit, "limit_mb": limit,
                                           "usage_mb": 10})
    assert [f["evidence"][0] for f in run(facts, workers_min_count=2)] == [
        "4 uwsgi workers \u00d7 75 MiB average RSS = 300 MiB (largest 90 MiB)",  # (100 + 101 + 102 + 0) // 4
        "2 uwsgi workers \u00d7 50 MiB average RSS = 100 MiB (largest 90 MiB)"]
    facts["cgroup"]["limited"][-2]["limit_mb"] = 400  # a.service fits now; b.service is still judged
    assert [f["title"] for f in run(facts, workers_min_count=2)] == ["2 uwsgi workers do not fit in 100 MiB"]


def test_available_is_the_room_only_without_a_limited_unit():
    facts = pool("php-fpm8.2", 40, 60, "php8.2-fpm.service", limit=2048)
    facts["memory"]["available_mb"] = 100
    assert [f["title"] for f in run(facts)] == ["40 php-fpm8.2 workers do not fit in 2.0 GiB"]


def test_an_unlimited_pool_gets_its_one_units_backstop_and_none_across_units():
    facts = pool("uwsgi", 40, 100, "uwsgi.service")
    facts["memory"]["available_mb"] = 100  # room 100 + 4000
    [f] = run(facts)
    assert f["remedy"]["vars"] == {"service_limits_units": [
        {"unit": "uwsgi.service", "memory_high": "3712M", "memory_max": "4352M"}]}
    assert f["evidence"][1] == "room: available + its own = 4.0 GiB; fit line 90%"
    facts["processes"].append(proc("uwsgi", 100, pid=2999, unit="other.service"))
    [f] = run(facts)
    assert (f["remedy"]["role"], f["remedy"]["vars"]) == (None, {})
    assert f["remedy"]["text"].endswith("in the service's configuration; " + BACKSTOP)


def test_the_pool_list_is_sorted_by_config_within_a_kind():
    facts = healthy()
    for comm, unit in (("php-fpm8.3", "php8.3-fpm.service"), ("php-fpm8.2", "php8.2-fpm.service")):
        facts["process_groups"].append(group(comm, 40, 60))
        facts["processes"] += [proc(comm, 60, pid=2000 + n + len(facts["processes"]), unit=unit) for n in range(5)]
        facts["cgroup"]["limited"].append({"cgroup": "/system.slice/" + unit, "unit": unit, "limit_mb": 2048,
                                           "usage_mb": 1024})
    found = run(facts)
    assert [f["title"] for f in found] == ["40 php-fpm8.3 workers do not fit in 2.0 GiB",
                                           "40 php-fpm8.2 workers do not fit in 2.0 GiB"]
    assert found[0]["remedy"]["vars"] == {"workers_pools": [
        {"kind": "php_fpm", "config": "/etc/php/8.2/fpm/pool.d/www.conf"},
        {"kind": "php_fpm", "config": "/etc/php/8.3/fpm/pool.d/www.conf"}]}
