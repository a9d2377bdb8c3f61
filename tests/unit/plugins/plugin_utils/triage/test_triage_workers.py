# -*- coding: utf-8 -*-
"""workers_oversubscribed: count x average RSS against the unit's limit or what is available."""

from ansible_collections.headroom.memory.plugins.plugin_utils.triage.engine import context
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.common import merge_thresholds
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.workers import (
    worker_setting, workers_oversubscribed)
from ansible_collections.headroom.memory.tests.unit.plugins.plugin_utils.triage.test_triage_facts import (
    group, healthy, proc)


def run(facts, **overrides):
    thresholds = merge_thresholds(overrides)
    return workers_oversubscribed(facts, thresholds, context(facts, thresholds))


def pool(comm, count, avg, unit, limit=None):
    facts = healthy()
    facts["process_groups"].append(group(comm, count, avg))
    facts["processes"] += [proc(comm, avg, pid=2000 + n, unit=unit) for n in range(min(count, 5))]
    if limit:
        facts["cgroup"]["limited"].append({"cgroup": "/system.slice/" + unit, "unit": unit, "limit_mb": limit,
                                           "usage_mb": limit // 2})
    return facts


def test_php_fpm_pool_over_its_units_limit_names_pm_max_children():
    [f] = run(pool("php-fpm8.2", 40, 60, "php8.2-fpm.service", limit=2048))
    assert f["id"] == "workers_oversubscribed" and f["severity"] == "critical"  # 2400 > 2048
    assert f["remedy"]["settings"] == [{"service": "php-fpm", "setting": "pm.max_children", "value": 25,
                                        "per_worker_mb": 60, "room_mb": 2048}]
    assert f["remedy"]["role"] == "headroom.memory.workers"
    assert f["remedy"]["vars"] == {"workers_pools": [
        {"kind": "php_fpm", "config": "/etc/php/8.2/fpm/pool.d/www.conf"}]}
    assert "40 php-fpm8.2 workers \u00d7 60 MiB average RSS = 2.3 GiB" in f["evidence"][0]


def test_pool_that_fits_its_limit_is_fine():
    assert run(pool("php-fpm8.2", 20, 60, "php8.2-fpm.service", limit=2048)) == []


def test_without_a_limit_the_room_is_available_plus_its_own():
    facts = pool("apache2", 150, 80, "apache2.service")
    facts["memory"]["available_mb"] = 500  # room = 500 + 12000
    [f] = run(facts)
    assert f["severity"] == "warning"  # 12000 > 90% of 12500, < 12500
    assert f["remedy"]["settings"][0]["setting"] == "MaxRequestWorkers"
    assert f["remedy"]["settings"][0]["value"] == 117  # 75% of 12500 / 80
    assert f["remedy"]["role"] == "headroom.memory.workers"
    assert f["remedy"]["vars"] == {"workers_pools": [{"kind": "apache_prefork"}]}


def test_gunicorn_in_a_unit_gets_a_ready_workers_pool_and_other_pools_the_backstop():
    [f] = run(pool("gunicorn", 13, 200, "app.service", limit=1024))
    assert f["remedy"]["vars"] == {"workers_pools": [{"kind": "gunicorn", "unit": "app.service"}]}
    # the pool entry passes the role's own preflight check
    from ansible_collections.headroom.memory.plugins.plugin_utils.workers.plan import pool_errors
    assert pool_errors(f["remedy"]["vars"]["workers_pools"]) == []
    [f] = run(pool("uwsgi", 13, 200, "uwsgi.service", limit=1024))
    assert f["remedy"]["role"] == "headroom.memory.service_limits"


def test_few_processes_or_non_worker_comms_are_ignored():
    assert run(pool("php-fpm8.2", 3, 900, "php.service", limit=1024)) == []
    assert run(pool("postgres", 40, 60, "pg.service", limit=1024)) == []


def test_python_workers_map_to_their_pool_setting():
    assert worker_setting("python3")[1].startswith("worker count (gunicorn --workers")
    assert worker_setting("gunicorn")[1].startswith("workers")
    assert worker_setting("something")[1] == "worker count"


def test_a_pool_in_a_limited_unit_is_measured_without_the_same_comm_elsewhere():
    # 12 python3 workers in a 224M unit, plus the one python3 that runs Ansible's module outside it
    facts = healthy()
    facts["process_groups"].append(group("python3", 13, 22))
    facts["processes"] += [proc("python3", 23, pid=3000 + n, unit="workers.service") for n in range(12)]
    facts["processes"].append(proc("python3", 12, pid=4000, unit=None))
    facts["cgroup"]["limited"].append({"cgroup": "/system.slice/workers.service", "unit": "workers.service",
                                       "limit_mb": 224, "usage_mb": 190})
    [f] = run(facts)
    assert f["severity"] == "critical"  # 12 x 23 = 276 > 224
    assert f["evidence"][0].startswith("12 python3 workers \u00d7 23 MiB average RSS = 276 MiB")
    assert "the memory limit of workers.service = 224 MiB" in f["evidence"][1]


def test_every_pool_of_a_host_reaches_remedy_vars_ready_for_the_workers_role():
    from ansible_collections.headroom.memory.plugins.plugin_utils.triage.gate import gate
    from ansible_collections.headroom.memory.plugins.plugin_utils.workers.plan import pool_errors
    from ansible_collections.headroom.memory.plugins.plugin_utils.workers.pools import complete
    facts = pool("php-fpm8.2", 40, 60, "php8.2-fpm.service", limit=2048)
    facts["process_groups"].append(group("apache2", 150, 80))
    facts["processes"] += [proc("apache2", 80, pid=3000 + n, unit="apache2.service") for n in range(5)]
    facts["cgroup"]["limited"].append({"cgroup": "/system.slice/apache2.service", "unit": "apache2.service",
                                       "limit_mb": 4096, "usage_mb": 2048})
    found = run(facts)
    assert sorted(f["title"].split()[1] for f in found) == ["apache2", "php-fpm8.2"]
    both = [{"kind": "apache_prefork"}, {"kind": "php_fpm", "config": "/etc/php/8.2/fpm/pool.d/www.conf"}]
    assert [f["remedy"]["vars"] for f in found] == [{"workers_pools": both}] * 2
    # the gate offers one agreed workers_pools (different lists would cancel each other out)
    gated = gate(facts, found)
    assert gated["vars"]["workers_pools"] == both and gated["withheld"] == []
    # and the role takes it as it is
    assert pool_errors(both) == []
    done = complete(both, {"memory": "auto", "min": 1, "max": 64, "reload": True, "restart": False})
    assert [p["unit"] for p in done] == ["apache2.service", "php8.2-fpm.service"]
