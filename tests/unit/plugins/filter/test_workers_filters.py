# -*- coding: utf-8 -*-
"""workers filters: the plan with the real memory_share, and the filters' errors."""

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.headroom.memory.plugins.filter import workers as flt

FACTS = {
    "memory": {"total_mb": 4096},
    "cgroup": {"limit_mb": 1024},
    "process_groups": [
        {"comm": "php-fpm8.2", "count": 11, "rss_mb": 500, "rss_mb_avg": 45, "rss_mb_max": 60, "pss_avg_mb": 30,
         "pss_max_mb": 35, "uss_avg_mb": 28, "shared_max_mb": 10, "measured": 10,
         "parent": {"pid": 5, "rss_mb": 20, "pss_mb": 6, "uss_mb": 2}},
        {"comm": "systemd", "count": 1, "rss_mb": 40},
        {"comm": "mysqld", "count": 1, "rss_mb": 300},
    ],
}
POOL = "[www]\npm = dynamic\npm.max_children = 40\npm.start_servers = 10\npm.min_spare_servers = 5\n" \
       "pm.max_spare_servers = 20\n"


def test_plan_with_the_shared_memory_share():
    pools = flt.workers_complete([{"kind": "php_fpm", "config": "/etc/php/8.2/fpm/pool.d/www.conf"}],
                                 {"memory": "auto", "min": 2, "max": 64, "reload": True, "restart": False})
    (p,) = flt.workers_plan(pools, FACTS, 2, {"/etc/php/8.2/fpm/pool.d/www.conf": POOL},
                            {"php8.2-fpm.service": {"LoadState": "loaded", "MemoryMax": "infinity"}}, 10, 300)
    assert p["error"] is None
    # 1024 (cgroup) - 340 others (systemd, mysqld; php-fpm is the pool's own) - 300 reserve = 384
    assert p["share"]["share_mb"] == 384 and p["share"]["total_source"] == "cgroup"
    assert p["count"] == (384 - 12) // 35
    assert "pm.max_children = %d" % p["count"] in p["content"]


def test_plan_refuses_a_percentage_that_takes_what_others_use():
    pools = flt.workers_complete([{"kind": "php_fpm", "config": "/etc/php/8.2/fpm/pool.d/www.conf",
                                   "memory": "90%"}],
                                 {"memory": "auto", "min": 2, "max": 64, "reload": True, "restart": False})
    (p,) = flt.workers_plan(pools, FACTS, 2, {"/etc/php/8.2/fpm/pool.d/www.conf": POOL}, {}, 10, 300)
    assert p["error"] and "90%" in p["error"]


def test_filter_errors():
    defaults = {"memory": "auto", "min": 2, "max": 64, "reload": True, "restart": False}
    with pytest.raises(AnsibleFilterError, match="needs config"):
        flt.workers_complete([{"kind": "php_fpm"}], defaults)
    assert flt.workers_pool_errors([{"kind": "x"}])
    assert flt.FilterModule().filters()["workers_plan"] is flt.workers_plan
