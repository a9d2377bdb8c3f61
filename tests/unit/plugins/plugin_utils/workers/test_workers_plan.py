# -*- coding: utf-8 -*-
"""workers plan: per-worker cost, the count arithmetic, php-fpm's own checks, Apache and gunicorn settings."""

import itertools

import pytest

from ansible_collections.headroom.memory.plugins.plugin_utils.workers import plan
from ansible_collections.headroom.memory.plugins.plugin_utils.workers.plan import WorkersError

PHP_GROUP = {"comm": "php-fpm8.2", "count": 41, "rss_mb": 2480, "rss_mb_avg": 60, "rss_mb_max": 91,
             "pss_avg_mb": 21, "pss_max_mb": 34, "uss_avg_mb": 12, "shared_max_mb": 30, "measured": 40,
             "parent": {"pid": 811, "rss_mb": 38, "pss_mb": 9, "uss_mb": 4}}


def test_cost_is_the_larger_of_max_pss_and_avg_uss_plus_shared_once():
    per_worker, fixed, basis = plan.worker_cost(PHP_GROUP)
    assert per_worker == 34 and fixed == 30 + 4
    assert "34" in basis and "12" in basis
    uss_heavy = dict(PHP_GROUP, pss_max_mb=10, uss_avg_mb=15)
    assert plan.worker_cost(uss_heavy)[0] == 15


def test_load_evidence_tells_grown_workers_from_fresh_forks():
    # parent RSS 38 MiB: the floor is max(4, 38 * 25 // 100 = 9) MiB
    assert plan.load_evidence(PHP_GROUP)[0]  # average USS 12 >= 9
    grown, why = plan.load_evidence(dict(PHP_GROUP, uss_avg_mb=8))
    assert not grown and why.startswith("idle: average USS 8 MiB < 9 MiB") and "largest PSS 34 MiB < 47 MiB" in why
    # one busy worker among idle ones: its PSS above the parent's RSS + the floor is evidence
    grown, why = plan.load_evidence(dict(PHP_GROUP, uss_avg_mb=2, pss_max_mb=47))
    assert grown and "largest PSS 47 MiB >= parent's RSS 38 + 9 MiB" in why
    assert not plan.load_evidence(dict(PHP_GROUP, uss_avg_mb=2, pss_max_mb=46))[0]
    # a small parent: the absolute floor of 4 MiB holds
    small = dict(PHP_GROUP, parent={"pid": 1, "rss_mb": 8, "pss_mb": 2, "uss_mb": 1})
    assert not plan.load_evidence(dict(small, uss_avg_mb=3, pss_max_mb=11))[0]
    assert plan.load_evidence(dict(small, uss_avg_mb=4))[0]
    # no PSS, no parent, nothing measured: no evidence
    for group in ({"comm": "apache2", "count": 6, "rss_mb_max": 20}, dict(PHP_GROUP, parent=None), None,
                  dict(PHP_GROUP, uss_avg_mb=None)):
        grown, why = plan.load_evidence(group)
        assert not grown and "no evidence of load" in why


def test_cost_without_pss_falls_back_to_rss_max_and_given_cost_wins():
    assert plan.worker_cost({"comm": "gunicorn", "count": 1, "rss_mb_max": 50})[:2] == (50, 0)
    assert plan.worker_cost(PHP_GROUP, per_worker=80)[:2] == (80, 34)
    with pytest.raises(WorkersError, match="per_worker"):
        plan.worker_cost(None)


def test_count_arithmetic():
    r = plan.worker_count(1000, 34, 34, minimum=2, maximum=64)
    assert r["count"] == r["fit"] == (1000 - 34) // 34
    assert "floor((1000 MiB share - 34 MiB shared) / 34 MiB per worker) = 28" in r["arithmetic"]
    assert plan.worker_count(1000, 34, 34, 2, 10)["count"] == 10
    assert plan.worker_count(1000, 0, 10, 2, 64, cpu_cap=5)["count"] == 5
    assert plan.worker_count(1000, 0, 10, 7, 64, cpu_cap=5)["count"] == 7  # min wins over the CPU cap


def test_count_refuses_with_the_numbers_when_min_does_not_fit():
    with pytest.raises(WorkersError) as e:
        plan.worker_count(200, 30, 80, minimum=3, maximum=10, label="php_fpm pool www")
    msg = str(e.value)
    assert "php_fpm pool www" in msg and "min 3" in msg and "30 MiB shared + 3 x 80 MiB = 270 MiB" in msg
    assert "200 MiB" in msg and "Nothing was changed" in msg
    with pytest.raises(WorkersError):
        plan.worker_count(20, 30, 1, minimum=1)  # the shared part alone is over the share


def test_gunicorn_cpu_cap():
    assert plan.gunicorn_cpu_cap(2) == 5
    assert plan.gunicorn_cpu_cap(0) == 3


@pytest.mark.parametrize("count", list(range(1, 70)) + [255, 256, 257, 1000])
def test_php_fpm_settings_pass_php_fpm_checks_for_every_count(count):
    s = plan.php_fpm_settings(count)
    assert plan.php_fpm_errors(s) == []
    assert s["pm.max_children"] == count
    lo, hi = s["pm.min_spare_servers"], s["pm.max_spare_servers"]
    assert 1 <= lo <= hi <= count and lo <= s["pm.start_servers"] <= hi
    assert s["pm.start_servers"] == lo + (hi - lo) // 2  # php-fpm's own default
    ondemand = {"pm": "ondemand", "pm.max_children": count, "pm.max_requests": 500}
    assert plan.php_fpm_settings(count, pm="ondemand") == ondemand


def test_php_fpm_errors_are_php_fpms():
    base = {"pm": "dynamic", "pm.max_children": 5, "pm.min_spare_servers": 1, "pm.max_spare_servers": 3,
            "pm.start_servers": 2}
    assert plan.php_fpm_errors(base) == []
    cases = [
        ({"pm.max_children": 0}, "pm.max_children(0) must be a positive value"),
        ({"pm.min_spare_servers": 0}, "pm.min_spare_servers(0) must be a positive value"),
        ({"pm.max_spare_servers": 6}, "cannot be greater than pm.max_children(5)"),
        ({"pm.min_spare_servers": 4, "pm.start_servers": 4}, "pm.max_spare_servers(3) must not be less than"),
        ({"pm.start_servers": 4}, "pm.start_servers(4) must not be less than pm.min_spare_servers(1)"),
    ]
    for change, message in cases:
        errors = plan.php_fpm_errors(dict(base, **change))
        assert any(message in e for e in errors), (change, errors)
    assert plan.php_fpm_errors(dict(base, **{"pm": "static", "pm.max_spare_servers": 99})) == []


def test_apache_prefork_server_limit_only_above_256():
    s = plan.apache_prefork_settings(150)
    assert s["MaxRequestWorkers"] == 150 and "ServerLimit" not in s and s["MaxConnectionsPerChild"] == 10000
    assert s["MinSpareServers"] < s["MaxSpareServers"] <= 150
    s = plan.apache_prefork_settings(300, 500)
    assert s["ServerLimit"] == 300 and s["MaxRequestWorkers"] == 300 and s["MaxConnectionsPerChild"] == 500
    s = plan.apache_prefork_settings(1)
    assert s["StartServers"] == s["MinSpareServers"] == 1
    with pytest.raises(WorkersError):
        plan.apache_prefork_settings(20001)


def test_gunicorn_settings():
    s = plan.gunicorn_settings(3, 1000, 50)
    assert s["GUNICORN_CMD_ARGS"] == "--workers 3 --max-requests 1000 --max-requests-jitter 50"
    assert s["WEB_CONCURRENCY"] == 3
    assert plan.gunicorn_settings(4, 0, 0)["GUNICORN_CMD_ARGS"] == "--workers 4"


def test_plan_pool_php_fpm_and_gunicorn():
    p = plan.plan_pool({"kind": "php_fpm", "name": "www", "min": 2, "max": 64}, PHP_GROUP, 1000, 2, "share 1000 MiB")
    assert p["count"] == (1000 - 34) // 34 and p["settings"]["pm.max_children"] == p["count"]
    assert p["arithmetic"].startswith("share 1000 MiB; floor(")
    g = plan.plan_pool({"kind": "gunicorn", "name": "app", "min": 1, "max": 64},
                       {"comm": "gunicorn", "count": 13, "rss_mb_max": 40, "pss_max_mb": 20, "uss_avg_mb": 15,
                        "shared_max_mb": 10, "measured": 12, "parent": {"uss_mb": 5}}, 1000, 2)
    assert g["count"] == 5 and g["fit"] == (1000 - 15) // 20 and g["cpu_cap"] == 5
    assert g["settings"]["max_requests_jitter"] == 50
    with pytest.raises(WorkersError, match="apache_prefork pool web: even min 10"):
        plan.plan_pool({"kind": "apache_prefork", "name": "web", "min": 10, "max": 150},
                       {"comm": "apache2", "rss_mb_max": 100}, 500, 2)


def test_memory_specs():
    for good in ("auto", "40%", "100%", "512M", "1.5G", 256):
        assert plan.memory_spec_error(good) is None, good
    for bad in ("0%", "101%", "lots", "-1G", 0, True, None, "512M; rm -rf /"):
        assert plan.memory_spec_error(bad), bad


def test_pool_errors_name_every_bad_value():
    assert plan.pool_errors([]) == []
    assert plan.pool_errors([{"kind": "php_fpm", "config": "/etc/php/8.2/fpm/pool.d/www.conf", "min": 2, "max": 8},
                             {"kind": "gunicorn", "unit": "app.service", "memory": "30%"}]) == []
    bad = [{"kind": "nginx"}, {"kind": "php_fpm", "config": "/etc/php/../shadow.conf"},
           {"kind": "php_fpm", "config": "relative.conf", "min": 9, "max": 3},
           {"kind": "gunicorn"}, {"kind": "apache_prefork", "name": "a b", "memory": "200%", "colour": 1},
           {"kind": "gunicorn", "unit": "x.service; reboot", "restart": "yes"}, "text",
           {"kind": "apache_prefork", "pm": "dynamic", "max": 30000}]
    problems = plan.pool_errors(bad)
    text = "\n".join(problems)
    for needle in ("kind 'nginx'", "'/etc/php/../shadow.conf'", "'relative.conf'", "min 9 is above max 3",
                   "needs its unit", "name 'a b'", "200%", "colour", "'x.service; reboot'", "restart 'yes'",
                   "workers_pools[6] is not a mapping", "pm 'dynamic' is a php_fpm setting", "max 30000"):
        assert needle in text, needle
    assert plan.pool_errors("x") == ["workers_pools must be a list, got str"]
    assert any("used twice" in p for p in plan.pool_errors([{"kind": "gunicorn", "unit": "a.service", "name": "n"}] * 2))


def test_counts_never_exceed_max_or_share():
    for share, fixed, per, lo, hi in itertools.product((300, 1000, 4096), (0, 50), (7, 64), (1, 2), (4, 64)):
        try:
            r = plan.worker_count(share, fixed, per, lo, hi)
        except WorkersError:
            assert fixed + lo * per > share
            continue
        assert lo <= r["count"] <= hi and fixed + r["count"] * per <= share
