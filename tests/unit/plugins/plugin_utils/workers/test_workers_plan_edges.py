# -*- coding: utf-8 -*-
"""workers plan at its edges (found by mutation testing, tests/MUTATION.md): every refusal word for word (they
are the role's failure messages), the defaults of a pool (min 1, max 64, max_requests per server), the spare
rules of php-fpm and Apache at the counts where each term of the formula decides, and the plan's own fields."""

import pytest

from ansible_collections.headroom.memory.plugins.plugin_utils.workers import plan
from ansible_collections.headroom.memory.plugins.plugin_utils.workers.plan import WorkersError

PHP_CONF = "/etc/php/8.2/fpm/pool.d/www.conf"


def problems_of(pool):
    return plan.pool_errors([pool])


# --- pool_errors: one problem at a time, the whole message --------------------------------------------------------

@pytest.mark.parametrize("pool,message", [
    ("text", "workers_pools[0] is not a mapping: 'text'"),
    ({"kind": "gunicorn", "unit": "a.service", "colour": 1, "age": 2},
     "workers_pools[0]: unknown key(s) age, colour; known: " + ", ".join(plan.POOL_KEYS)),
    ({"kind": "nginx"}, "workers_pools[0]: kind 'nginx' must be one of php_fpm, apache_prefork, gunicorn"),
    ({"kind": "php_fpm", "comm": "php fpm"},
     "workers_pools[0]: comm 'php fpm' must be letters, digits and . _ @ : - (at most 100)"),
    ({"kind": "php_fpm", "pool": "www;x"},
     "workers_pools[0]: pool 'www;x' must be letters, digits and . _ @ : - (at most 100)"),
    ({"kind": "gunicorn", "unit": "app"},
     "workers_pools[0]: unit 'app' must be a systemd service name such as app.service"),
    ({"kind": "php_fpm", "config": "/etc/php/../x.conf"},
     "workers_pools[0]: config '/etc/php/../x.conf' must be an absolute path of letters, digits and . _ / @ + - "
     "without '..'"),
    ({"kind": "php_fpm", "config": "/etc/php/8.2/fpm/pool.d/www"},
     "workers_pools[0]: config '/etc/php/8.2/fpm/pool.d/www' is not a php-fpm pool file (*.conf)"),
    ({"kind": "gunicorn"},
     "workers_pools[0]: a gunicorn pool needs its unit (the systemd service that starts gunicorn)"),
    ({"kind": "php_fpm", "memory": "0%"},
     "workers_pools[0]: memory '0%': a percentage must be above 0 and at most 100"),
    ({"kind": "php_fpm", "min": 0}, "workers_pools[0]: min 0 must be an integer of at least 1"),
    ({"kind": "php_fpm", "max": 0}, ["workers_pools[0]: max 0 must be an integer of at least 1",
                                     "workers_pools[0]: min 1 is above max 0"]),  # the default min 1
    ({"kind": "php_fpm", "per_worker": 0}, "workers_pools[0]: per_worker 0 must be an integer of at least 1"),
    ({"kind": "php_fpm", "max_requests": -1}, "workers_pools[0]: max_requests -1 must be an integer of at least 0"),
    ({"kind": "php_fpm", "max_requests_jitter": "5"},
     "workers_pools[0]: max_requests_jitter '5' must be an integer of at least 0"),
    ({"kind": "php_fpm", "min": 4, "max": 3}, "workers_pools[0]: min 4 is above max 3"),
    # the defaults: min 1 and max 64
    ({"kind": "php_fpm", "min": 65}, "workers_pools[0]: min 65 is above max 64"),
    ({"kind": "apache_prefork", "max": 20001}, "workers_pools[0]: max 20001 is above Apache prefork's limit of 20000"),
    ({"kind": "apache_prefork", "pm": "static"},
     "workers_pools[0]: pm 'static' is a php_fpm setting, one of static, dynamic, ondemand"),
    ({"kind": "php_fpm", "pm": "always"},
     "workers_pools[0]: pm 'always' is a php_fpm setting, one of static, dynamic, ondemand"),
    ({"kind": "php_fpm", "reload": "yes"}, "workers_pools[0]: reload 'yes' must be true or false"),
    ({"kind": "php_fpm", "restart": 1}, "workers_pools[0]: restart 1 must be true or false"),
])
def test_each_pool_problem_word_for_word(pool, message):
    assert problems_of(pool) == (message if isinstance(message, list) else [message])


def test_a_name_used_twice_is_named_once_per_repeat():
    pools = [{"kind": "php_fpm", "name": "www"}, {"kind": "php_fpm", "name": "api"}, {"kind": "php_fpm", "name": "www"}]
    assert plan.pool_errors(pools) == ["workers_pools[2]: name 'www' is used twice"]


@pytest.mark.parametrize("pool", [
    {"kind": "php_fpm", "config": PHP_CONF, "min": 1, "max": 1},  # min == max
    {"kind": "php_fpm", "max": 1},  # default min 1
    {"kind": "php_fpm", "min": 64},  # default max 64
    {"kind": "php_fpm", "per_worker": 1, "max_requests": 0, "max_requests_jitter": 0, "pm": "ondemand",
     "reload": True, "restart": False, "memory": 1},
    {"kind": "apache_prefork", "config": "/etc/apache2/mods-available/mpm_prefork", "max": 20000},
    {"kind": "gunicorn", "unit": "app.service", "comm": "gunicorn", "pool": "app:main"},
])
def test_pools_at_the_edges_are_accepted(pool):
    assert problems_of(pool) == []


# --- memory specs ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [1, "0.5%", "1", "1M"])
def test_the_smallest_memory_specs_are_accepted(value):
    assert plan.memory_spec_error(value) is None


@pytest.mark.parametrize("value,message", [
    (None, "memory None is not auto, a percentage or a size"),
    (False, "memory False is not auto, a percentage or a size"),
    (0, "memory 0 MiB must be above 0"),
    ("0", "memory '0' must be above 0"),
    ("0.9%", None),
    ("100.5%", "memory '100.5%': a percentage must be above 0 and at most 100"),
])
def test_memory_spec_messages(value, message):
    assert plan.memory_spec_error(value) == message


def test_memory_spec_passes_the_size_parsers_reason_on():
    error = plan.memory_spec_error("lots")
    assert error.endswith(", a percentage such as 40% or auto") and "'lots'" in error


# --- worker cost and load evidence ----------------------------------------------------------------------------------

GROUP = {"comm": "php-fpm8.2", "pss_max_mb": 34, "uss_avg_mb": 12, "shared_max_mb": 30, "measured": 40,
         "rss_mb_max": 91, "parent": {"rss_mb": 38, "uss_mb": 4}}


def test_fixed_part_counts_what_is_there():
    assert plan.worker_cost(dict(GROUP, shared_max_mb=None))[1] == 4  # the parent's USS alone
    assert plan.worker_cost(dict(GROUP, parent=None))[1] == 30  # the shared part alone
    # no USS average: the largest PSS alone is the cost
    assert plan.worker_cost(dict(GROUP, pss_max_mb=0, uss_avg_mb=None))[0] == 1  # never below 1 MiB


def test_cost_basis_sentences():
    assert plan.worker_cost(GROUP)[2] == "max(largest PSS 34, average USS 12) MiB over 40 workers"
    assert plan.worker_cost(dict(GROUP, uss_avg_mb=None, measured=None))[2] == \
        "max(largest PSS 34, average USS 0) MiB over 0 workers"
    rss = {"comm": "apache2", "rss_mb_max": 20}
    assert plan.worker_cost(rss) == (20, 0, "largest RSS 20 MiB (no PSS measured)")
    assert plan.worker_cost(rss, 50) == (50, 0, "given 50 MiB per worker (measured: largest RSS 20 MiB (no PSS "
                                                "measured))")
    assert plan.worker_cost({"comm": "gunicorn"}, 50) == (50, 0, "given 50 MiB per worker (measured: nothing)")


def test_no_process_message_names_the_command():
    with pytest.raises(WorkersError) as e:
        plan.worker_cost({"comm": "php-fpm8.2"})
    assert str(e.value) == ("no php-fpm8.2 process runs, so its per-worker cost is unknown: start it or give "
                            "per_worker")
    with pytest.raises(WorkersError) as e:
        plan.worker_cost({})
    assert str(e.value).startswith("no worker process runs,")


def test_load_evidence_edges():
    # floor = max(4, 38 * 25 // 100 = 9): an average USS of exactly 9 MiB is grown
    assert plan.load_evidence(dict(GROUP, uss_avg_mb=9)) == (True, "grown: average USS 9 MiB >= 9 MiB")
    assert plan.load_evidence(dict(GROUP, uss_avg_mb=2, pss_max_mb=47)) == (
        True, "grown: largest PSS 47 MiB >= parent's RSS 38 + 9 MiB")
    assert plan.load_evidence({"pss_max_mb": 1, "uss_avg_mb": 1, "parent": {"rss_mb": 0}}) == (
        False, "no PSS/USS of the workers and their parent was read, so there is no evidence of load")


# --- the count ------------------------------------------------------------------------------------------------------

def test_count_defaults_are_min_1_and_max_64():
    r = plan.worker_count(10000, 0, 10)
    assert r == {"count": 64, "fit": 1000,
                 "arithmetic": "floor((10000 MiB share - 0 MiB shared) / 10 MiB per worker) = 1000; "
                               "capped by max 64 -> 64"}
    assert plan.worker_count(10, 0, 10)["count"] == 1  # one worker fits: min 1


def test_count_without_a_cap_says_none():
    r = plan.worker_count(100, 0, 25, minimum=4, maximum=4, cpu_cap=4)  # fit == max == cap: nothing capped
    assert r == {"count": 4, "fit": 4, "arithmetic": "floor((100 MiB share - 0 MiB shared) / 25 MiB per worker) = 4"}


def test_count_with_both_caps_names_both():
    r = plan.worker_count(1000, 0, 10, minimum=1, maximum=20, cpu_cap=5)
    assert r["count"] == 5
    assert r["arithmetic"].endswith("= 100; capped by max 20, 2 x cores + 1 = 5 -> 5")


def test_one_mib_of_room_holds_a_one_mib_worker():
    assert plan.worker_count(31, 30, 1)["count"] == 1


def test_per_worker_cost_of_one_mib_is_accepted_and_below_refused():
    assert plan.worker_count(64, 0, 1)["count"] == 64
    with pytest.raises(WorkersError) as e:
        plan.worker_count(64, 0, 0, label="gunicorn pool app")
    assert str(e.value) == "gunicorn pool app: per-worker cost 0 MiB must be at least 1"


def test_refusal_word_for_word():
    with pytest.raises(WorkersError) as e:
        plan.worker_count(200, 30, 80, minimum=3, maximum=10, label="php_fpm pool www")
    assert str(e.value) == (
        "php_fpm pool www: even min 3 workers do not fit: 30 MiB shared + 3 x 80 MiB = 270 MiB needed, the share is "
        "200 MiB (floor((200 MiB share - 30 MiB shared) / 80 MiB per worker) = 2). Nothing was changed.")


# --- php-fpm --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("count,lo,hi", [
    (3, 1, 2),     # max(lo + 1, 3 // 3 = 1) = 2
    (16, 2, 5),    # 16 // 8 = 2; 16 // 3 = 5
    (24, 3, 8),    # 24 // 3 = 8
    (64, 8, 21),
    (1, 1, 1),     # min(count, ...) keeps max_spare at 1
])
def test_php_fpm_spares_follow_the_rule(count, lo, hi):
    """min_spare = max(1, count // 8), max_spare = min(count, max(min_spare + 1, count // 3)), start in between."""
    s = plan.php_fpm_settings(count)
    assert (s["pm.min_spare_servers"], s["pm.max_spare_servers"], s["pm.start_servers"]) == (lo, hi, lo + (hi - lo) // 2)


def test_php_fpm_settings_refuse_what_php_fpm_refuses():
    with pytest.raises(WorkersError) as e:
        plan.php_fpm_settings(0)
    assert str(e.value).startswith("php-fpm would refuse {") and \
        str(e.value).endswith("}: pm.max_children(0) must be a positive value")


@pytest.mark.parametrize("change,errors", [
    ({"pm.max_children": "5"}, ["pm.max_children('5') must be a positive value"]),
    ({"pm.min_spare_servers": None}, ["pm.min_spare_servers(None) must be a positive value"]),
    ({"pm.max_spare_servers": None}, ["pm.max_spare_servers(None) must be a positive value"]),
    ({"pm.max_spare_servers": 0}, ["pm.max_spare_servers(0) must be a positive value"]),
    ({"pm.min_spare_servers": 4, "pm.start_servers": None},
     ["pm.max_spare_servers(3) must not be less than pm.min_spare_servers(4)"]),
    ({"pm.start_servers": 4},
     ["pm.start_servers(4) must not be less than pm.min_spare_servers(1) and not greater than "
      "pm.max_spare_servers(3)"]),
    ({"pm.max_spare_servers": 6, "pm.start_servers": 6},
     ["pm.min_spare_servers(1) and pm.max_spare_servers(6) cannot be greater than pm.max_children(5)"]),
])
def test_php_fpm_errors_word_for_word(change, errors):
    """The pool's pm defaults to dynamic, as php-fpm's does: the spares are checked without a pm key."""
    base = {"pm.max_children": 5, "pm.min_spare_servers": 1, "pm.max_spare_servers": 3, "pm.start_servers": 2}
    assert plan.php_fpm_errors(dict(base, **change)) == errors


# --- Apache prefork and gunicorn ------------------------------------------------------------------------------------

@pytest.mark.parametrize("count,lo,max_spare", [
    (1, 1, 2),     # max(lo + 1, min(10, 0))
    (10, 2, 5),    # 10 // 4 = 2; min(10, 10 // 2 = 5)
    (20, 5, 10),   # 20 // 4 = 5
    (24, 5, 10),    # min(5, 24 // 4 = 6) = 5; min(10, 12) = 10
    (40, 5, 10),
])
def test_apache_spares_follow_the_rule(count, lo, max_spare):
    """Start = MinSpare = max(1, min(5, count // 4)); MaxSpare = max(MinSpare + 1, min(10, count // 2))."""
    s = plan.apache_prefork_settings(count)
    assert (s["StartServers"], s["MinSpareServers"], s["MaxSpareServers"]) == (lo, lo, max_spare)


def test_apache_server_limit_edges():
    assert "ServerLimit" not in plan.apache_prefork_settings(256)
    assert plan.apache_prefork_settings(257)["ServerLimit"] == 257
    assert plan.apache_prefork_settings(20000)["ServerLimit"] == 20000
    with pytest.raises(WorkersError) as e:
        plan.apache_prefork_settings(20001)
    assert str(e.value) == "MaxRequestWorkers 20001 is above Apache prefork's limit of 20000"


def test_gunicorn_defaults():
    assert plan.gunicorn_settings(3) == {
        "workers": 3, "max_requests": 1000, "max_requests_jitter": 50,
        "GUNICORN_CMD_ARGS": "--workers 3 --max-requests 1000 --max-requests-jitter 50", "WEB_CONCURRENCY": 3}


# --- plan_pool ------------------------------------------------------------------------------------------------------

SMALL = {"comm": "php-fpm8.2", "pss_max_mb": 10, "uss_avg_mb": 5, "shared_max_mb": 0, "measured": 3,
         "parent": {"rss_mb": 20, "uss_mb": 0}}


def test_plan_pool_fields():
    p = plan.plan_pool({"kind": "php_fpm", "name": "www"}, SMALL, 10000, 2)
    assert p == {
        "kind": "php_fpm", "name": "www", "count": 64, "fit": 1000, "share_mb": 10000, "per_worker_mb": 10,
        "fixed_mb": 0, "basis": "max(largest PSS 10, average USS 5) MiB over 3 workers", "cpu_cap": None,
        "settings": plan.php_fpm_settings(64, "dynamic", 500),
        "arithmetic": "floor((10000 MiB share - 0 MiB shared) / 10 MiB per worker) = 1000; capped by max 64 -> 64; "
                      "per worker: max(largest PSS 10, average USS 5) MiB over 3 workers",
    }


def test_plan_pool_default_min_is_one():
    assert plan.plan_pool({"kind": "php_fpm", "name": "www"}, SMALL, 10, 2)["count"] == 1


def test_plan_pool_passes_pm_and_max_requests_on():
    p = plan.plan_pool({"kind": "php_fpm", "name": "www", "pm": "static", "max_requests": 200}, SMALL, 100, 2)
    assert p["settings"] == {"pm": "static", "pm.max_children": 10, "pm.max_requests": 200}
    a = plan.plan_pool({"kind": "apache_prefork", "name": "web", "max_requests": 300}, SMALL, 100, 2)
    assert a["settings"]["MaxConnectionsPerChild"] == 300
    assert plan.plan_pool({"kind": "apache_prefork", "name": "web"}, SMALL, 100, 2)["settings"][
        "MaxConnectionsPerChild"] == 10000


def test_plan_pool_gunicorn_jitter_is_a_twentieth_unless_given():
    pool = {"kind": "gunicorn", "name": "app", "unit": "app.service", "max_requests": 110}
    assert plan.plan_pool(pool, SMALL, 100, 1)["settings"]["max_requests_jitter"] == 5  # 110 // 20
    assert plan.plan_pool(dict(pool, max_requests_jitter=0), SMALL, 100, 1)["settings"]["max_requests_jitter"] == 0


def test_plan_pool_labels_its_refusals():
    with pytest.raises(WorkersError) as e:
        plan.plan_pool({"kind": "php_fpm", "comm": "php-fpm8.2"}, {"comm": "php-fpm8.2"}, 100)
    assert str(e.value) == ("php_fpm pool php-fpm8.2: no php-fpm8.2 process runs, so its per-worker cost is unknown: "
                            "start it or give per_worker")
    with pytest.raises(WorkersError) as e:
        plan.plan_pool({"kind": "gunicorn"}, None, 100)
    assert str(e.value).startswith("gunicorn pool ?: no worker process runs")


def test_plan_pool_caps_at_the_pools_max_and_defaults_to_one_core():
    assert plan.plan_pool({"kind": "php_fpm", "name": "www", "max": 3}, SMALL, 1000)["count"] == 3
    g = plan.plan_pool({"kind": "gunicorn", "name": "app", "unit": "app.service"}, SMALL, 1000)
    assert g["cpu_cap"] == 3 and g["count"] == 3  # 2 x 1 core + 1


def test_shared_part_over_the_share_says_no_worker_fits():
    with pytest.raises(WorkersError) as e:
        plan.worker_count(20, 30, 1, label="php_fpm pool www")
    assert "(floor((20 MiB share - 30 MiB shared) / 1 MiB per worker) = 0)" in str(e.value)


def test_apache_max_spare_of_an_odd_count_is_whole():
    assert plan.apache_prefork_settings(7)["MaxSpareServers"] == 3  # max(2, min(10, 7 // 2))


def test_a_config_path_ending_in_dot_dot_is_refused():
    assert problems_of({"kind": "apache_prefork", "config": "/etc/apache2/.."}) == [
        "workers_pools[0]: config '/etc/apache2/..' must be an absolute path of letters, digits and . _ / @ + - "
        "without '..'"]
