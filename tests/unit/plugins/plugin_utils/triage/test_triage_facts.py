# -*- coding: utf-8 -*-
"""Hand-built memory_facts output for the triage tests (``healthy()`` and event/process builders), and the
tests of what every rule shares: thresholds, the effective memory view, the host's own OOM events."""

import copy

import pytest

from ansible_collections.headroom.memory.plugins.plugin_utils.triage.common import (
    DEFAULT_THRESHOLDS, ThresholdError, databases, fmt_mb, memory_view, merge_thresholds, own_events,
    size_str, victim_rss_mb)

HEALTHY = {
    "memory": {"total_mb": 16000, "available_mb": 11000, "free_mb": 6000, "used_mb": 5000, "buffers_mb": 200,
               "cached_mb": 4500, "shmem_mb": 100, "slab_mb": 400, "committed_as_mb": 6000,
               "commit_limit_mb": 10000, "hugepages_total": 0, "hugepages_free": 0},
    "swap": {"total_mb": 2048, "free_mb": 2000, "used_mb": 48,
             "devices": [{"path": "/swapfile", "type": "file", "size_mb": 2048, "used_mb": 48, "priority": -2}]},
    "sysctl": {"vm.swappiness": 60, "vm.vfs_cache_pressure": 100, "vm.overcommit_memory": 0,
               "vm.overcommit_ratio": 50, "vm.min_free_kbytes": 67584, "vm.panic_on_oom": 0,
               "vm.oom_kill_allocating_task": 0, "kernel.dmesg_restrict": 1},
    "pressure": {"some": {"avg10": 0.0, "avg60": 0.1, "avg300": 0.0, "total_us": 100},
                 "full": {"avg10": 0.0, "avg60": 0.0, "avg300": 0.0, "total_us": 50}},
    "vmstat": {"oom_kill": 0, "pswpin": 0, "pswpout": 0, "pgmajfault": 1000},
    "cgroup": {"version": "2", "limit_mb": None, "usage_mb": 5000, "swap_limit_mb": None, "oom_kill": 0,
               "limited": [], "unlimited_containers": []},
    "processes": [
        {"pid": 900, "comm": "app", "user": "app", "rss_mb": 900, "swap_mb": 0, "oom_score": 60,
         "oom_score_adj": 0, "unit": "app.service", "cgroup": "/system.slice/app.service", "cmdline": "/usr/bin/app --serve"},
        {"pid": 700, "comm": "nginx", "user": "www-data", "rss_mb": 40, "swap_mb": 0, "oom_score": 3,
         "oom_score_adj": 0, "unit": "nginx.service", "cgroup": "/system.slice/nginx.service", "cmdline": "nginx: worker"},
        {"pid": 500, "comm": "sshd", "user": "root", "rss_mb": 9, "swap_mb": 0, "oom_score": 1,
         "oom_score_adj": 0, "unit": "ssh.service", "cgroup": "/system.slice/ssh.service", "cmdline": "sshd: /usr/sbin/sshd"},
    ],
    "process_groups": [
        {"comm": "app", "count": 1, "rss_mb": 900, "rss_mb_avg": 900, "rss_mb_max": 900},
        {"comm": "nginx", "count": 3, "rss_mb": 120, "rss_mb_avg": 40, "rss_mb_max": 40},
        {"comm": "sshd", "count": 1, "rss_mb": 9, "rss_mb_avg": 9, "rss_mb_max": 9},
    ],
    "oom": {"since": "2026-11-01T00:00:00Z", "kills_since_boot": 0, "events": [],
            "counts": {"by_comm": {}, "by_unit": {}, "by_killer": {}},
            "sources": [{"name": "kmsg", "status": "read", "lines": 800, "msg": ""}]},
}


def healthy():
    """A deep copy of a healthy 16 GB host: no rule fires on it."""
    return copy.deepcopy(HEALTHY)


def kill(comm="hog", unit="hog.service", scope="memcg", anon_kb=65536, time="2026-11-20T10:00:00Z", pid=4242,
         memcg=None, killer="kernel"):
    """One OOM event as memory_facts reports it."""
    path = memcg if memcg is not None else "/system.slice/%s" % unit if unit else None
    return {"time": time, "uptime_s": 100.0, "killer": killer, "scope": scope,
            "constraint": "CONSTRAINT_MEMCG" if scope == "memcg" else "CONSTRAINT_NONE",
            "victim": {"pid": pid, "comm": comm, "uid": 0, "total_vm_kb": anon_kb * 2, "anon_rss_kb": anon_kb,
                       "file_rss_kb": 1024, "shmem_rss_kb": 0, "pgtables_kb": 100, "oom_score_adj": 0},
            "trigger": {"pid": pid, "comm": comm, "gfp_mask": "0xcc0(GFP_KERNEL)", "order": 0, "oom_score_adj": 0},
            "oom_memcg": path if scope == "memcg" else "/", "task_memcg": path, "cgroup": None, "unit": unit,
            "complete": True, "sources": ["kmsg"]}


def proc(comm, rss_mb, pid=1000, unit=None, cmdline=None, adj=0):
    """One listed process."""
    return {"pid": pid, "comm": comm, "user": "root", "rss_mb": rss_mb, "swap_mb": 0, "oom_score": 10,
            "oom_score_adj": adj, "unit": unit, "cgroup": "/system.slice/%s" % unit if unit else "/",
            "cmdline": cmdline}


def group(comm, count, avg, peak=None):
    """One process group."""
    return {"comm": comm, "count": count, "rss_mb": count * avg, "rss_mb_avg": avg, "rss_mb_max": peak or avg}


def test_thresholds_merge_over_defaults_and_convert_numbers():
    merged = merge_thresholds({"available_warn_pct": "20", "psi_some_avg60_warn": 5, "oom_cgroup_prefix": "/x"})
    assert merged["available_warn_pct"] == 20
    assert merged["psi_some_avg60_warn"] == 5.0
    assert merged["oom_cgroup_prefix"] == "/x"
    assert merged["available_crit_pct"] == DEFAULT_THRESHOLDS["available_crit_pct"]
    assert merge_thresholds(None) == DEFAULT_THRESHOLDS


@pytest.mark.parametrize("bad, message", [
    ({"availble_warn_pct": 10}, "unknown key 'availble_warn_pct'"),
    ({"available_warn_pct": "lots"}, "expected a number"),
    ({"available_warn_pct": True}, "expected a number"),
    ({"worker_comms": "php-fpm"}, "expected a list of strings"),
    ({"oom_cgroup_prefix": 3}, "expected a string or null"),
])
def test_bad_thresholds_are_refused_with_a_clear_message(bad, message):
    with pytest.raises(ThresholdError, match=message):
        merge_thresholds(bad)


def test_memory_view_is_the_host_without_a_cgroup_limit():
    view = memory_view(healthy())
    assert view == {"total_mb": 16000, "available_mb": 11000, "available_pct": 68.8, "scope": "host"}


def test_memory_view_is_the_cgroup_inside_a_limited_container():
    facts = healthy()
    facts["cgroup"].update(limit_mb=1024, usage_mb=900)
    assert memory_view(facts) == {"total_mb": 1024, "available_mb": 124, "available_pct": 12.1, "scope": "cgroup"}


def test_memory_view_unknown_values_stay_none():
    assert memory_view({}) == {"total_mb": None, "available_mb": None, "available_pct": None, "scope": "host"}


def test_own_events_keeps_everything_without_a_prefix():
    facts = healthy()
    facts["oom"]["events"] = [kill(memcg="/libpod_parent/libpod-aaa/system.slice/x.service"), kill(memcg="/other")]
    assert len(own_events(facts, merge_thresholds())) == 2


def test_own_events_with_a_prefix_keeps_only_the_hosts_cgroup_tree():
    facts = healthy()
    mine = kill(memcg="/libpod_parent/libpod-aaa/system.slice/x.service")
    facts["oom"]["events"] = [mine, kill(memcg="/libpod_parent/libpod-aaab/system.slice/x.service"),
                              kill(unit=None, memcg="")]
    assert own_events(facts, merge_thresholds({"oom_cgroup_prefix": "/libpod_parent/libpod-aaa/"})) == [mine]


def test_helpers_format_sizes_for_people_and_roles():
    assert fmt_mb(812) == "812 MiB"
    assert fmt_mb(3482) == "3.4 GiB"
    assert fmt_mb(None) == "?"
    assert size_str(700) == "704M"
    assert size_str(2048) == "2G"
    assert size_str(10) == "16M"
    assert size_str(4100) == "4352M"
    assert victim_rss_mb(kill(anon_kb=65536)) == 65


def test_databases_size_postgres_by_its_largest_process_and_others_by_sum():
    facts = healthy()
    facts["process_groups"] += [group("postgres", 10, 300, 2000), group("redis-server", 2, 500)]
    facts["processes"].append(proc("postgres", 2000, unit="postgresql@15-main.service"))
    found = dict((d["engine"], d) for d in databases(facts))
    assert found["postgresql"]["rss_mb"] == 2000
    assert found["postgresql"]["unit"] == "postgresql@15-main.service"
    assert found["redis"]["rss_mb"] == 1000
    assert found["redis"]["unit"] is None


def test_limits_entry_throttles_with_memory_high_on_cgroup_v2_only():
    from ansible_collections.headroom.memory.plugins.plugin_utils.triage.common import limits_entry
    v2 = healthy()
    assert limits_entry(v2, "a.service", 900) == {"unit": "a.service", "memory_high": "960M"}
    assert limits_entry(v2, "a.service", 900, 1200, restart="on-failure") == {
        "unit": "a.service", "memory_high": "960M", "memory_max": "1216M", "restart": "on-failure"}
    v1 = healthy()
    v1["cgroup"]["version"] = "hybrid"
    assert limits_entry(v1, "a.service", 900) == {"unit": "a.service", "memory_max": "1152M"}
    assert limits_entry(v1, "a.service", 900, 1200) == {"unit": "a.service", "memory_max": "1216M"}


def test_unit_memory_is_the_cgroup_counter_not_the_sum_of_rss():
    from ansible_collections.headroom.memory.plugins.plugin_utils.triage.common import unit_use_mb, unit_room_mb
    from ansible_collections.headroom.memory.plugins.plugin_utils.triage.engine import triage_entry
    facts = healthy()
    # 10 PostgreSQL processes of 450 MiB RSS each: mostly the same shared buffers, counted ten times
    facts["processes"] += [proc("postgres", 450, pid=2000 + n, unit="postgresql.service") for n in range(10)]
    assert unit_use_mb(facts, "postgresql.service") == (4500, "RSS of its listed processes")
    facts["cgroup"]["units"] = [{"cgroup": "/system.slice/postgresql.service", "unit": "postgresql.service",
                                 "limit_mb": None, "usage_mb": 900, "working_set_mb": 610, "pressure": None}]
    assert unit_use_mb(facts, "postgresql.service") == (610, "cgroup working set")
    [pg] = [u for u in triage_entry({"host": "h", "facts": facts})["units"] if u["unit"] == "postgresql.service"]
    assert pg["usage_mb"] == 610 and pg["rss_mb"] == 4500  # the per-process view stays, as such
    # the room it can get: RAM minus what everything else holds (16000 - (5000 - 610))
    assert unit_room_mb(facts, "postgresql.service")[0] == 11610


def test_databases_are_sized_by_their_units_cgroup_counter():
    facts = healthy()
    facts["processes"].append(proc("postgres", 700, pid=2000, unit="postgresql.service"))
    facts["process_groups"].append({"comm": "postgres", "count": 12, "rss_mb": 8000, "rss_mb_avg": 666, "rss_mb_max": 700})
    assert databases(facts)[0]["rss_mb"] == 700 and databases(facts)[0]["source"] == "RSS"
    facts["cgroup"]["units"] = [{"cgroup": "/system.slice/postgresql.service", "unit": "postgresql.service",
                                 "limit_mb": None, "usage_mb": 1400, "working_set_mb": 1100, "pressure": None}]
    assert databases(facts)[0]["rss_mb"] == 1100 and databases(facts)[0]["source"] == "cgroup working set"
