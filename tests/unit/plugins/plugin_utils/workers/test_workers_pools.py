# -*- coding: utf-8 -*-
"""workers pools: detection, completion, and plan_all's record, tolerance and refusals."""

import pytest

from ansible_collections.headroom.memory.plugins.plugin_utils.workers import files, pools
from ansible_collections.headroom.memory.plugins.plugin_utils.workers.plan import WorkersError

DEFAULTS = {"memory": "auto", "min": 2, "max": 64, "reload": True, "restart": False}
POOL_FILE = "[www]\nuser = www-data\npm = dynamic\npm.max_children = 50\npm.start_servers = 20\n" \
            "pm.min_spare_servers = 10\npm.max_spare_servers = 30\n"
PHP = {"comm": "php-fpm8.2", "count": 11, "rss_mb": 600, "rss_mb_avg": 55, "rss_mb_max": 70, "pss_avg_mb": 30,
       "pss_max_mb": 40, "uss_avg_mb": 25, "shared_max_mb": 20, "measured": 10,
       "parent": {"pid": 9, "rss_mb": 30, "pss_mb": 8, "uss_mb": 5}}
APACHE = {"comm": "apache2", "count": 6, "rss_mb_max": 20, "pss_max_mb": 19, "uss_avg_mb": 18, "shared_max_mb": 0,
          "measured": 5, "parent": {"pid": 7, "rss_mb": 20, "pss_mb": 20, "uss_mb": 0}}
FACTS = {"process_groups": [PHP, APACHE,
                            {"comm": "gunicorn", "count": 4, "rss_mb_max": 30, "pss_max_mb": 30, "uss_avg_mb": 25,
                             "shared_max_mb": 0, "measured": 3, "parent": {"pid": 8, "rss_mb": 20, "uss_mb": 0}},
                            {"comm": "sshd", "count": 1}],
         "processes": [{"comm": "gunicorn", "unit": "app.service"}, {"comm": "php-fpm8.2", "unit": "php8.2-fpm.service"}]}


def share_of(mb):
    calls = []

    def share(pool, own, instances, unit_limit_mb):
        calls.append((pool["name"], tuple(own), instances, unit_limit_mb))
        return {"share_mb": mb // instances, "arithmetic": "share %d MiB" % (mb // instances)}
    return share, calls


def test_detect_and_complete():
    found = pools.detect(FACTS)
    assert found == [{"kind": "apache_prefork", "comm": "apache2"},
                     {"kind": "gunicorn", "comm": "gunicorn", "unit": "app.service"},
                     {"kind": "php_fpm", "comm": "php-fpm8.2"}]
    php = pools.with_pool_files(found[2:], [[{"path": "/etc/php/8.2/fpm/pool.d/www.conf"}]])
    done = pools.complete(found[:2] + php, DEFAULTS)
    assert [(p["name"], p["unit"], p["dest"]) for p in done] == [
        ("apache2", "apache2.service", pools.APACHE_CONF),
        ("app", "app.service", "/etc/systemd/system/app.service.d/headroom-workers.conf"),
        ("php8.2-fpm", "php8.2-fpm.service", "/etc/php/8.2/fpm/pool.d/www.conf")]
    assert done[2]["binary"] == "/usr/sbin/php-fpm8.2" and done[2]["min"] == 2
    with pytest.raises(WorkersError, match="2 pool files"):
        pools.with_pool_files(found[2:], [[{"path": "/a.conf"}, {"path": "/b.conf"}]])
    with pytest.raises(WorkersError, match="needs config"):
        pools.complete([{"kind": "php_fpm", "comm": "php-fpm8.2"}], DEFAULTS)


def php_pool(**extra):
    pool = {"kind": "php_fpm", "config": "/etc/php/8.2/fpm/pool.d/www.conf"}
    pool.update(extra)
    return pools.complete([pool], DEFAULTS)


def test_plan_php_fpm_writes_a_consistent_pool_with_its_record():
    share, calls = share_of(1000)
    (p,) = pools.plan_all(php_pool(), FACTS, 2, {"/etc/php/8.2/fpm/pool.d/www.conf": POOL_FILE}, {}, share)
    assert p["error"] is None and calls == [("php8.2-fpm", ("php-fpm8.2",), 1, None)]
    assert p["count"] == (1000 - 25) // 40 and p["current_count"] == 50 and not p["kept"]
    www = files.php_fpm_pool_read(p["content"], "www")
    assert www["pm.max_children"] == str(p["count"]) and www["user"] == "www-data"
    assert "; headroom.memory.workers per_worker_mb=40 fixed_mb=25" in p["content"]
    # the second run measures fresh workers (smaller): the record keeps the count
    fresh = dict(FACTS, process_groups=[dict(PHP, pss_max_mb=12, uss_avg_mb=8, shared_max_mb=10)])
    (again,) = pools.plan_all(php_pool(), fresh, 2, {"/etc/php/8.2/fpm/pool.d/www.conf": p["content"]}, {}, share)
    assert again["content"] == p["content"] and again["kept"] and again["count"] == p["count"]
    # grown workers lower it beyond the tolerance
    grown = dict(FACTS, process_groups=[dict(PHP, pss_max_mb=80)])
    (lower,) = pools.plan_all(php_pool(), grown, 2, {"/etc/php/8.2/fpm/pool.d/www.conf": p["content"]}, {}, share)
    assert lower["count"] == (1000 - 25) // 80 and "per_worker_mb=80" in lower["content"]


def test_plan_refusals_carry_the_numbers():
    share, _calls = share_of(100)
    (p,) = pools.plan_all(php_pool(), FACTS, 2, {"/etc/php/8.2/fpm/pool.d/www.conf": POOL_FILE}, {}, share)
    assert "even min 2 workers do not fit" in p["error"] and "105 MiB" in p["error"] and p["content"] is None
    (p,) = pools.plan_all(php_pool(), FACTS, 2, {}, {}, share)
    assert "missing or empty" in p["error"]
    (p,) = pools.plan_all(php_pool(pool="api"), FACTS, 2, {"/etc/php/8.2/fpm/pool.d/www.conf": POOL_FILE}, {}, share)
    assert "holds the pools www" in p["error"]
    g = pools.complete([{"kind": "gunicorn", "unit": "app.service"}], DEFAULTS)
    units = {"app.service": {"LoadState": "loaded", "ExecStart": "{ path=/usr/bin/gunicorn ; argv[]=/usr/bin/gunicorn -w 9 app:app ; }"}}
    (p,) = pools.plan_all(g, FACTS, 2, {}, units, share_of(1000)[0])
    assert p["error"].startswith("gunicorn pool app: app.service sets `-w 9` on gunicorn's command line (ExecStart)")
    assert "remove `-w 9` (then headroom.memory.workers sets the count) in its ExecStart" in p["error"] and "`systemctl edit app.service`" in p["error"]
    assert p["error"].endswith("Nothing was changed.") and p["content"] is None
    (p,) = pools.plan_all(g, FACTS, 2, {}, {"app.service": {"LoadState": "not-found"}}, share_of(1000)[0])
    assert "is not-found" in p["error"]


def test_cli_refusals_from_the_preflight_loop():
    shown = [{"item": {"kind": "gunicorn", "unit": "app.service"},
              "stdout_lines": ["ExecStart={ path=/usr/bin/gunicorn ; argv[]=/usr/bin/gunicorn --workers 9 --bind :8000 "
                               "app:app ; ignore_errors=no ; start_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }"]},
             {"item": {"kind": "gunicorn", "unit": "api.service"},
              "stdout_lines": ["ExecStart={ path=/usr/bin/gunicorn ; argv[]=/usr/bin/gunicorn -c /etc/api.py api:app ; }"]},
             {"item": {"kind": "gunicorn", "unit": "x.service"}, "stdout_lines": []}]
    [refusal] = pools.cli_refusals(shown)
    assert refusal.startswith("app.service sets `--workers 9` on gunicorn's command line (ExecStart)")
    assert refusal.endswith("Nothing was changed.")
    assert pools.cli_refusals([]) == [] and pools.cli_refusals(None) == []


def test_plan_auto_split_cpu_cap_and_unit_limit():
    done = pools.complete([{"kind": "gunicorn", "unit": "app.service", "max": 64},
                           {"kind": "apache_prefork", "memory": "40%"}], DEFAULTS)
    share, calls = share_of(1200)
    units = {"app.service": {"LoadState": "loaded", "MemoryMax": str(512 * 1048576), "ExecStart": "gunicorn app:app"},
             "apache2.service": {"LoadState": "loaded", "MemoryMax": "infinity"}}
    g, a = pools.plan_all(done, FACTS, 2, {}, units, share)
    assert calls[0] == ("app", ("apache2", "gunicorn"), 1, 512)  # one auto pool: the whole auto budget
    assert calls[1][2:] == (1, None)
    assert g["count"] == 5 and g["cpu_cap"] == 5 and "2 x cores + 1 = 5" in g["arithmetic"]
    assert 'GUNICORN_CMD_ARGS=--workers 5 --max-requests 1000 --max-requests-jitter 50' in g["content"]
    assert a["count"] == 63 and "MaxRequestWorkers 63" in a["content"]  # 1200 // 19 MiB (largest PSS)
    assert a["load_evidence"] == "grown: average USS 18 MiB >= 5 MiB" and not a["left_alone"]


def test_unit_properties():
    assert pools.unit_properties(["LoadState=loaded", "ExecStart={ a=b }", "junk"]) == {
        "LoadState": "loaded", "ExecStart": "{ a=b }"}


IDLE_PHP = dict(PHP, count=6, pss_max_mb=9, uss_avg_mb=2, shared_max_mb=20)  # parent RSS 30: the floor is 7 MiB


def test_idle_workers_never_raise_the_count():
    share, _calls = share_of(1000)
    idle = dict(FACTS, process_groups=[IDLE_PHP])
    small = POOL_FILE.replace("pm.max_children = 50", "pm.max_children = 8").replace("= 20", "= 4") \
        .replace("= 10", "= 2").replace("= 30", "= 6")
    # idle workers compute (1000 - 25) // 9 = 108 > the file's 8: the pool is left alone and says why
    (p,) = pools.plan_all(php_pool(), idle, 2, {"/etc/php/8.2/fpm/pool.d/www.conf": small}, {}, share)
    assert p["error"] is None and p["left_alone"] and p["kept"] and p["content"] is None and p["count"] == 8
    assert p["load_evidence"].startswith("idle: average USS 2 MiB < 7 MiB")
    assert "the computed 64 is not below the current 8, so nothing is changed" in p["arithmetic"]  # max 64
    # the same idle workers may lower a count that does not fit even at their idle cost
    (p,) = pools.plan_all(php_pool(max=200), idle, 2, {"/etc/php/8.2/fpm/pool.d/www.conf": POOL_FILE}, {},
                          share_of(300)[0])
    assert not p["left_alone"] and p["count"] == (300 - 25) // 9 == 30 and p["current_count"] == 50
    assert "lowering only" in p["arithmetic"] and "pm.max_children = 30" in p["content"]
    # grown workers (the same pool under load) do raise it
    (p,) = pools.plan_all(php_pool(), FACTS, 2, {"/etc/php/8.2/fpm/pool.d/www.conf": small}, {}, share)
    assert not p["left_alone"] and p["count"] == (1000 - 25) // 40 > 8
    # a given per_worker is no measurement: not held back
    (p,) = pools.plan_all(php_pool(per_worker=50), idle, 2, {"/etc/php/8.2/fpm/pool.d/www.conf": small}, {}, share)
    assert not p["left_alone"] and p["count"] == (1000 - 25) // 50 and p["load_evidence"] == "per_worker given"


def test_idle_workers_without_a_count_in_the_file_lower_only_below_the_running_workers():
    g = pools.complete([{"kind": "gunicorn", "unit": "app.service", "max": 64}], DEFAULTS)
    units = {"app.service": {"LoadState": "loaded", "ExecStart": "gunicorn app:app"}}
    idle = dict(IDLE_PHP, comm="gunicorn", count=13)  # 12 workers and their master
    # 5 workers (2 x 2 cores + 1) is below the 12 running: written
    (p,) = pools.plan_all(g, dict(FACTS, process_groups=[idle]), 2, {}, units, share_of(1000)[0])
    assert not p["left_alone"] and p["count"] == 5 and "--workers 5" in p["content"]
    # 5 is not below the 3 running: left alone, nothing written, the count stays unknown
    (p,) = pools.plan_all(g, dict(FACTS, process_groups=[dict(idle, count=4)]), 2, {}, units, share_of(1000)[0])
    assert p["left_alone"] and p["content"] is None and p["count"] is None
    assert "is not below the current 3" in p["arithmetic"]
