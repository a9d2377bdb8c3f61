# -*- coding: utf-8 -*-
"""The sizing verdict (ram_insufficient, ram_tight, ram_needed_mb) on fleet-shaped hosts built from the triage
fixtures: small containers, a big server with one hog, a database server that only fits once tuned."""

import re

from ansible_collections.headroom.memory.plugins.plugin_utils.budget import default_reserve_mb
from ansible_collections.headroom.memory.plugins.plugin_utils.report.console_table import table_lines
from ansible_collections.headroom.memory.plugins.plugin_utils.report.html_page import render_html
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.common import fmt_mb, merge_thresholds
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.engine import (
    context, merge_remedy_vars, triage_fleet, triage_host)
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.sizing import (
    database_floor_mb, ram_insufficient, ram_needed_mb, ram_tight, verdict)
from ansible_collections.headroom.memory.tests.unit.plugins.plugin_utils.triage.test_triage_facts import (
    group, healthy, kill, proc)

PG_UNIT = "postgresql@15-main.service"


def run(rule, facts, sample2=None):
    thresholds = merge_thresholds()
    return rule(facts, thresholds, context(facts, thresholds, sample2, 60 if sample2 else None))


def needed(facts, sample2=None):
    thresholds = merge_thresholds()
    return ram_needed_mb(facts, thresholds, context(facts, thresholds, sample2, 60 if sample2 else None))


def small_container(app_mb, postgres=True, limit_mb=1024):
    """A container limited to ``limit_mb`` on a 16 GB host: one app process and, optionally, a small PostgreSQL."""
    facts = healthy()
    facts["cgroup"].update(limit_mb=limit_mb, usage_mb=min(app_mb + 100, limit_mb), limited=[], units=[])
    facts["processes"] = [proc("gunicorn", app_mb, pid=10, unit="app.service")]
    facts["process_groups"] = [group("gunicorn", 1, app_mb)]
    if postgres:
        facts["processes"].append(proc("postgres", 60, pid=20, unit=PG_UNIT))
        facts["process_groups"].append(group("postgres", 6, 15, 60))
    return facts


def big_server_with_a_hog(hog_mb):
    """A 64 GiB server whose one hog (hog.service) was killed three times, each time bigger, and is back."""
    facts = healthy()
    facts["memory"].update(total_mb=65536, available_mb=max(65536 - hog_mb - 1100, 0))
    facts["processes"].insert(0, proc("hog", hog_mb, pid=4242, unit="hog.service"))
    facts["process_groups"].insert(0, group("hog", 1, hog_mb))
    facts["oom"]["events"] = [kill(anon_kb=kb, pid=n, time="2026-11-20T10:0%d:00Z" % n)
                              for n, kb in enumerate((20 << 20, 40 << 20, 60 << 20))]
    return facts


def database_server(ram_mb=32768, pg_mb=20000, workers=80):
    """PostgreSQL holding ``pg_mb`` (its cgroup's working set) and a php-fpm pool of 150 MiB workers."""
    facts = healthy()
    facts["memory"].update(total_mb=ram_mb, available_mb=1500)
    facts["processes"] += [proc("postgres", 2000, pid=2000, unit=PG_UNIT),
                           proc("php-fpm8.2", 160, pid=3000, unit="php8.2-fpm.service")]
    facts["process_groups"] += [group("postgres", 12, 500, 2000), group("php-fpm8.2", workers, 150, 160)]
    facts["cgroup"]["units"] = [{"cgroup": "/system.slice/%s" % PG_UNIT, "unit": PG_UNIT, "limit_mb": None,
                                 "usage_mb": pg_mb + 500, "working_set_mb": pg_mb, "pressure": None}]
    return facts


def test_postgresql_floor_is_the_default_shared_buffers_and_a_few_work_mem():
    assert database_floor_mb("postgresql", 5000) == (208, "shared_buffers 128 MiB + 10 connections x work_mem 4 MiB x 2")


def test_mariadb_floor_is_mysqltuners_peak_of_one_chunk_small_caches_and_a_few_connections():
    # server buffers: pool 128 + key 16 + log 16 + query cache 1 + aria 16 = 177 MiB; per thread 3012 KiB of buffers
    # + 16 MiB tmp table = 19396 KiB, x 10 connections: (177 x 1024 + 193960) KiB = 366 MiB
    mb, how = database_floor_mb("mariadb", 9000)
    assert mb == 366 and "server buffers 177 MiB" in how and "10 connections x 19396 KiB" in how


def test_redis_floor_is_its_live_dataset_and_mongodb_the_roles_smallest_share():
    assert database_floor_mb("redis", 3000)[0] == 3000
    assert database_floor_mb("mongodb", 9000)[0] == 512


def test_small_container_that_cannot_hold_app_and_database_says_how_much_it_needs():
    facts = small_container(800)
    reserve = default_reserve_mb(1024)
    [f] = run(ram_insufficient, facts)
    total = 800 + 208 + reserve
    assert f["id"] == "ram_insufficient" and f["severity"] == "warning"  # the services alone fit, not with the reserve
    assert f["title"] == "RAM insufficient: needs at least %s (has 1.0 GiB)" % fmt_mb(total)
    first = f["evidence"][0]
    assert first.startswith("needs at least") and "the container's limit" in first
    assert "the services at their minimum 1008 MiB + OS reserve %d MiB = " % reserve in first
    assert any(e.startswith("postgresql (postgres): at least 208 MiB = shared_buffers 128 MiB") for e in f["evidence"])
    assert any(e.startswith("other processes: 800 MiB steady (RSS, or PSS where read, of 1 group(s): gunicorn 800 MiB)") for e in f["evidence"])
    # no remedy pretends that tuning gets there
    assert f["remedy"]["role"] is None and f["remedy"]["vars"] == {} and f["remedy"]["settings"] == []
    assert "No tuning makes these services fit" in f["remedy"]["text"]
    assert merge_remedy_vars([f], facts) == {}
    assert run(ram_tight, facts) == []
    assert needed(facts) == total


def test_small_container_that_fits_is_silent_and_still_has_a_figure():
    facts = small_container(300, postgres=False)
    assert run(ram_insufficient, facts) == [] and run(ram_tight, facts) == []
    assert needed(facts) == 300 + default_reserve_mb(1024)


def test_services_alone_over_the_memory_are_critical():
    facts = small_container(1000, limit_mb=1024)
    [f] = run(ram_insufficient, facts)
    assert f["severity"] == "critical"


def test_redis_dataset_cannot_be_tuned_away():
    facts = healthy()
    facts["memory"].update(total_mb=4096, available_mb=100)
    facts["processes"] = [proc("redis-server", 3000, pid=5, unit="redis-server.service"),
                          proc("java", 1200, pid=6, unit="shop.service")]
    facts["process_groups"] = [group("redis-server", 1, 3000), group("java", 1, 1200)]
    [f] = run(ram_insufficient, facts)
    assert f["severity"] == "critical" and "needs at least 4.4 GiB (has 4.0 GiB)" in f["title"]
    assert any("Redis cannot hold less than it stores" in e for e in f["evidence"])


def test_big_server_with_one_leaking_hog_is_not_called_too_small():
    facts = big_server_with_a_hog(63000)  # the leak took it near the top: as measured, it does not fit
    ids = [f["id"] for f in triage_host(facts)]
    assert "leak_suspect" in ids and "ram_insufficient" not in ids and "ram_tight" not in ids
    others = 900 + 120 + 9
    assert needed(facts) == others + default_reserve_mb(65536)
    result = verdict(facts, merge_thresholds(), context(facts, merge_thresholds()))
    assert any(line == "hog (hog.service): leaking (killed again and again, growing), left out: its steady size is "
               "unknown (holds 61.5 GiB now)" for line in result["lines"])


def test_a_process_caught_growing_between_samples_counts_at_its_first_sample_size():
    facts = small_container(300, postgres=False)
    second = [dict(facts["processes"][0], rss_mb=900)]  # grew by 600 MiB in a minute
    result = verdict(facts, merge_thresholds(), context(facts, merge_thresholds(), second, 60))
    assert result["needed_mb"] == 300 + default_reserve_mb(1024)
    assert "gunicorn (pid 10): leaking, counted at its first-sample size 300 MiB (it grew to 900 MiB)" in result["lines"]


def test_database_server_that_fits_once_tuned_says_which_remedy_gets_there():
    facts = database_server()
    assert run(ram_insufficient, facts) == []
    [f] = run(ram_tight, facts)
    reserve = default_reserve_mb(32768)
    least = 208 + 2 * 160 + 900 + 120 + 9 + reserve
    assert f["id"] == "ram_tight" and f["severity"] == "info"
    assert f["title"] == "RAM is tight: the services fit only once tuned (need at least %s of 32.0 GiB)" % fmt_mb(least)
    assert f["evidence"][1] == ("tuning gets there: postgresql: 19.5 GiB -> 208 MiB frees 19.3 GiB "
                                "(the remedy of database_oversized)")
    assert not any("php-fpm8.2 pool:" in e and e.startswith("tuning") for e in f["evidence"])  # one step is enough
    assert "php-fpm8.2 pool: at least 320 MiB = 2 workers x 160 MiB + 0 MiB shared" in " ".join(f["evidence"])
    assert f["remedy"]["role"] is None and "apply the remedies of database_oversized" in f["remedy"]["text"]
    assert needed(facts) == least


def test_database_server_with_room_is_silent():
    facts = database_server(ram_mb=65536)
    assert run(ram_tight, facts) == [] and run(ram_insufficient, facts) == []


def test_facts_without_process_groups_give_no_verdict():
    facts = healthy()
    facts["process_groups"] = []
    assert run(ram_insufficient, facts) == [] and needed(facts) is None
    ctx = {"view": {"total_mb": "lots", "scope": "host"}, "events": [], "sample2": None}
    assert verdict(healthy(), merge_thresholds(), ctx) is None


def test_garbage_sizes_in_the_facts_count_as_nothing():
    facts = small_container(300, postgres=False)
    facts["process_groups"].append({"comm": "x", "count": 1, "rss_mb": float("nan")})
    facts["process_groups"].append({"comm": "y", "count": 1, "rss_mb": True})
    assert needed(facts) == 300 + default_reserve_mb(1024)


def test_fleet_summary_and_table_show_ram_needed_so_the_owner_sees_which_host_to_upgrade():
    report = triage_fleet([
        {"host": "tiny-db", "facts": small_container(800)},
        {"host": "tiny-ok", "facts": small_container(300, postgres=False)},
        {"host": "big", "facts": big_server_with_a_hog(20000)},
    ], generated="2026-11-25T12:00:00Z")
    summaries = dict((h["host"], h["summary"]) for h in report["hosts"])
    assert summaries["tiny-ok"]["ram_needed_mb"] == 300 + default_reserve_mb(1024)
    assert summaries["tiny-db"]["ram_needed_mb"] > summaries["tiny-db"]["ram_mb"]
    assert "ram_insufficient" in report["rules"] and "ram_tight" in report["rules"]
    lines = table_lines(report)
    assert lines[0].split()[:4] == ["HOST", "RAM", "RAM", "NEEDED"]
    row = next(line for line in lines if line.startswith("tiny-db"))
    assert re.search(r"1\.0 GiB\*\s+1\.\d GiB!\s", row)
    assert "! the services need more than the host has" in lines[-1] or "! the services need" in " ".join(lines)
    html = render_html(report)
    assert "<th style=\"text-align:right\">RAM needed</th>" in html
    assert 'title="more than the host has"' in html


def test_small_container_with_a_php_pool_and_mariadb_fits_once_the_database_is_tuned():
    from ansible_collections.headroom.memory.tests.unit.plugins.plugin_utils.triage.test_triage_workers_settings import (
        php_host)
    facts = php_host(live=6)  # a small container: nginx 120 + sshd 9, php-fpm 6 x 35 MiB (PSS 30, 10 shared + 5 master)
    facts["processes"].append(proc("mariadbd", 700, pid=30, unit="mariadb.service"))
    facts["process_groups"].append(group("mariadbd", 1, 700))
    result = verdict(facts, merge_thresholds(), context(facts, merge_thresholds()))
    assert "php-fpm8.2 pool: at least 75 MiB = 2 workers x 30 MiB + 15 MiB shared (per worker: max(largest PSS 30, " \
           "average USS 25) MiB over 5 workers) (6 workers hold 210 MiB now)" in result["lines"]
    assert result["needed_mb"] == 75 + 366 + 120 + 9 + default_reserve_mb(result["total_mb"])
    [f] = run(ram_tight, facts)
    assert f["evidence"][1] == "tuning gets there: mariadb: 700 MiB -> 366 MiB frees 334 MiB (the remedy of database_oversized)"
    assert run(ram_insufficient, facts) == []


def test_a_group_whose_pss_was_read_counts_its_shared_pages_once():
    facts = small_container(100, postgres=False)
    facts["process_groups"].append(dict(group("chrome", 10, 80), pss_avg_mb=30))  # 800 MiB RSS, 300 MiB PSS
    assert needed(facts) == 100 + 300 + default_reserve_mb(1024)


def test_the_ram_needed_cell_says_unknown_for_what_is_not_a_number():
    from ansible_collections.headroom.memory.plugins.plugin_utils.report.console_table import ram_needed
    assert ram_needed({"ram_needed_mb": None, "ram_mb": 1024}) == "-"
    assert ram_needed({"ram_needed_mb": "<b>", "ram_mb": 1024}) == "-"
    assert ram_needed({"ram_needed_mb": 2048, "ram_mb": 1024}) == "2.0 GiB!"
    assert ram_needed({"ram_needed_mb": 512, "ram_mb": 1024}) == "512 MiB"
    assert ram_needed({"ram_needed_mb": 2048, "ram_mb": None}) == "2.0 GiB"
