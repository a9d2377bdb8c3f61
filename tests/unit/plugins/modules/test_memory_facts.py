# -*- coding: utf-8 -*-
"""memory_facts: gather_subset resolution, argument checks, and main() run on the fixture /proc trees."""

import json
import os
import shutil

import pytest
from ansible_collections.headroom.memory.tests.unit.plugins.modules.module_args import run_module

from ansible_collections.headroom.memory.plugins.module_utils.facts.subsets import SUBSETS, resolve_subsets
from ansible_collections.headroom.memory.plugins.modules import memory_facts
from ansible_collections.headroom.memory.tests.unit.plugins.module_utils.facts.test_processes import add_process

ALL = set(SUBSETS)


@pytest.mark.parametrize("requested, expected", [
    (["all"], ALL),
    (None, ALL),
    ([], ALL),
    (["!oom"], ALL - {"oom"}),
    (["!oom", "!processes"], ALL - {"oom", "processes"}),
    (["memory"], {"memory"}),
    (["memory", "cgroup"], {"memory", "cgroup"}),
    (["all", "!oom"], ALL - {"oom"}),
    (["!all"], set()),
    (["!all", "oom"], {"oom"}),           # as setup: what is named explicitly survives !all
    (["oom", "!oom"], {"oom"}),
    ([" memory "], {"memory"}),
])
def test_resolve_subsets_like_setup(requested, expected):
    assert resolve_subsets(requested) == expected


@pytest.mark.parametrize("requested", [["hardware"], ["memory", "!bogus"], ["min"]])
def test_unknown_subset_is_a_clear_error(requested):
    with pytest.raises(ValueError, match="gather_subset: unknown .*choose from all, memory, swap"):
        resolve_subsets(requested)


def run(capsys, args):
    return run_module(capsys, memory_facts.main, args)[1]


FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "proc")


@pytest.fixture
def host(tmp_path, monkeypatch):
    """A /proc tree: the Debian 12 host's files (meminfo, swaps, sysctls, PSI, vmstat, stat), a podman
    container's cgroup v1 view, and a few processes (one of them with the module's own pid)."""
    proc = tmp_path / "proc"
    shutil.copytree(os.path.join(FIXTURES, "debian12-host"), str(proc))
    (proc / "self").mkdir()
    shutil.copy(os.path.join(FIXTURES, "podman-v1-container", "mountinfo"), str(proc / "self" / "mountinfo"))
    shutil.copy(os.path.join(FIXTURES, "podman-v1-container", "self-cgroup"), str(proc / "self" / "cgroup"))
    add_process(proc, 1, "systemd", 12000, cgroup="0::/init.scope\n")
    add_process(proc, 500, "mysqld", 2 * 1024 * 1024, cgroup="0::/system.slice/mariadb.service\n",
                cmdline=["/usr/sbin/mysqld", "--password=hunter2"])
    add_process(proc, 600, "php-fpm8.2", 61440)
    add_process(proc, 601, "php-fpm8.2", 61450)
    add_process(proc, os.getpid(), "python3", 4 * 1024 * 1024)  # the module itself: biggest, left out
    monkeypatch.setattr(memory_facts, "PROC", str(proc))
    monkeypatch.setattr(memory_facts, "ROOTFS", str(tmp_path / "root"))
    return proc


def meminfo_mb(key):
    with open(os.path.join(FIXTURES, "debian12-host", "meminfo")) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) // 1024
    raise KeyError(key)


def test_everything_but_oom_from_the_fixture_tree(host, capsys, monkeypatch):
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    result = run(capsys, {"gather_subset": ["!oom"], "top": 2})
    assert result["changed"] is False
    facts = result["ansible_facts"]["headroom"]
    assert set(facts) == {"memory", "vmstat", "swap", "sysctl", "pressure", "cgroup", "processes", "process_groups",
                          "processes_uptime_s", "settings", "containers", "pm2"}
    assert facts["pm2"] == {"daemons": [], "apps": []}  # no daemon in the tree: nothing asked
    assert facts["processes_uptime_s"] == 12345.67  # the fixture's /proc/uptime
    memory = facts["memory"]
    assert memory["total_mb"] == meminfo_mb("MemTotal") and memory["available_mb"] == meminfo_mb("MemAvailable")
    assert abs(memory["used_mb"] - (meminfo_mb("MemTotal") - meminfo_mb("MemAvailable"))) <= 1  # kB difference, rounded
    assert facts["swap"] == {"total_mb": 0, "free_mb": 0, "used_mb": 0, "devices": []}
    assert facts["vmstat"] == {"oom_kill": 5, "pswpin": 0, "pswpout": 0, "pgmajfault": 1964}
    assert facts["sysctl"]["vm.swappiness"] == 60 and facts["sysctl"]["kernel.dmesg_restrict"] == 1
    assert facts["pressure"]["some"] == {"avg10": 0.0, "avg60": 0.0, "avg300": 0.0, "total_us": 5491}
    assert facts["pressure"]["full"]["total_us"] == 4612
    assert facts["cgroup"]["version"] == "hybrid"  # the container's mountinfo has v1 controllers and a cgroup2 mount
    assert [p["pid"] for p in facts["processes"]] == [500, 601]   # top 2 by RSS, the module's own pid left out
    assert facts["processes"][0]["unit"] == "mariadb.service" and "cmdline" not in facts["processes"][0]
    groups = dict((g["comm"], g) for g in facts["process_groups"])
    assert groups["php-fpm8.2"]["count"] == 2 and "python3" not in groups
    assert sum(g["count"] for g in facts["process_groups"]) == 4
    # no daemon socket, no podman storage and no container cgroup under the fixture root: no engine asked
    assert facts["containers"]["list"] == [] and facts["containers"]["total"] == 0
    assert all(e["skipped"] and e["containers"] == 0 for e in facts["containers"]["engines"].values())


def test_settings_subset_reads_the_servers_config_files(host, capsys, tmp_path):
    shutil.copytree(os.path.join(FIXTURES, "..", "database", "root"), str(tmp_path / "root"))
    result = run(capsys, {"gather_subset": ["settings"]})
    facts = result["ansible_facts"]["headroom"]
    assert set(facts) == {"settings"}
    [server] = facts["settings"]["databases"]
    assert server["engine"] == "mysql" and server["pid"] == 500 and server["unit"] == "mariadb.service"
    assert server["settings"]["innodb_buffer_pool_size"] == 6 * 1024 ** 3
    assert "hunter2" not in json.dumps(result)


def test_one_subset_returns_only_its_keys(host, capsys):
    facts = run(capsys, {"gather_subset": ["processes"], "top": 1, "cmdline": True})["ansible_facts"]["headroom"]
    assert set(facts) == {"processes", "process_groups", "processes_uptime_s"}
    (mysqld,) = facts["processes"]
    assert mysqld["cmdline"] == "/usr/sbin/mysqld --password=********"


def test_cmdline_heap_only_returns_a_jvms_flags_and_nothing_else(host, capsys):
    """Issue 29: diagnose asks only for what it uses, so that a secret the redaction misses stays on the host."""
    add_process(host, 700, "java", 3 * 1024 * 1024, cgroup="0::/system.slice/app.service\n",
                cmdline=["/usr/bin/java", "-Xmx2g", "-Dapp.key=N0tRedacted1", "-XX:MaxRAMPercentage=50", "-jar",
                         "app.jar", "--auth-key", "N0tRedacted2"])
    facts = run(capsys, {"gather_subset": ["processes"], "top": 2, "cmdline": True,
                         "cmdline_heap_only": True})["ansible_facts"]["headroom"]
    java, mysqld = facts["processes"]
    assert java["cmdline"] == "/usr/bin/java -Xmx2g -XX:MaxRAMPercentage=50"
    assert mysqld["cmdline"] is None
    assert "N0tRedacted" not in json.dumps(facts) and "hunter2" not in json.dumps(facts)
    # without the option the same JVM's whole (redacted) command line is returned
    whole = run(capsys, {"gather_subset": ["processes"], "top": 1, "cmdline": True})["ansible_facts"]["headroom"]
    assert "app.jar" in whole["processes"][0]["cmdline"]


def test_pss_only_when_asked_and_only_for_groups(capsys):
    plain = run(capsys, {"gather_subset": ["processes"], "top": 0})["ansible_facts"]["headroom"]
    assert all("pss_max_mb" not in g for g in plain["process_groups"])
    facts = run(capsys, {"gather_subset": ["processes"], "top": 0, "pss": True})["ansible_facts"]["headroom"]
    groups = facts["process_groups"]
    assert all(("pss_max_mb" in g) == (g["count"] > 1) for g in groups)
    assert any(g.get("measured") for g in groups)  # this machine runs some program twice


def test_check_mode_returns_the_same_facts(host, capsys):
    args = {"gather_subset": ["memory", "sysctl"]}
    normal = run(capsys, args)["ansible_facts"]["headroom"]
    checked = run(capsys, dict(args, _ansible_check_mode=True))
    assert checked["changed"] is False
    assert checked["ansible_facts"]["headroom"] == normal
    assert set(normal) == {"memory", "vmstat", "sysctl"}


def test_pm2_subset_and_node_heap_through_the_module(host, capsys, monkeypatch):
    from ansible_collections.headroom.memory.plugins.module_utils.node import pm2
    add_process(host, 700, "PM2 v5.4.3: God", 60000, uid=1000, cgroup="0::/system.slice/pm2-deploy.service\n",
                cmdline=["PM2 v5.4.3: God Daemon (/home/deploy/.pm2)"])
    add_process(host, 701, "node", 3 * 1024 * 1024, uid=1000, cgroup="0::/system.slice/pm2-deploy.service\n",
                cmdline=["node", "--max-old-space-size=384", "server.js"])
    status = host / "701" / "status"
    status.write_text(status.read_text().replace("PPid:\t1\n", "PPid:\t700\n"))  # the daemon's child
    asked = []

    def ask(home, uid, root):
        asked.append((home, uid))
        return [{"name": "api", "pm_id": 0, "pid": 701, "pm2_env": {
            "status": "online", "exec_mode": "fork_mode", "node_args": ["--max-old-space-size=384"], "restart_time": 2,
            "unstable_restarts": 0, "node_version": "20.19.2", "env": {"SECRET": "x"}}}]
    monkeypatch.setattr(pm2, "rpc_call", ask)
    facts = run(capsys, {"gather_subset": ["pm2", "processes"], "top": 1})["ansible_facts"]["headroom"]
    assert asked == [("/home/deploy/.pm2", 1000)]
    daemon = facts["pm2"]["daemons"][0]
    assert (daemon["pid"], daemon["uid"], daemon["version"], daemon["error"]) == (700, 1000, "5.4.3", None)
    app = facts["pm2"]["apps"][0]
    assert (app["name"], app["pid"], app["memory_mb"], app["heap_mb"], app["heap_source"], app["unit"], app["restarts"]) == (
        "api", 701, 3072, 384, "flag", "pm2-deploy.service", 2)
    assert "SECRET" not in json.dumps(facts)
    node = facts["processes"][0]
    assert (node["pid"], node["node_heap_mb"], node["node_heap_source"]) == (701, 384, "flag")


def test_this_machine_answers_in_the_same_shape(capsys):
    """One run on the live /proc: the module works on a real kernel, not only on fixtures."""
    facts = run(capsys, {"gather_subset": ["memory", "swap"]})["ansible_facts"]["headroom"]
    assert set(facts) == {"memory", "vmstat", "swap"} and facts["memory"]["total_mb"] > 0


def test_bad_subset_fails_before_reading(capsys):
    result = run(capsys, {"gather_subset": ["hardware"]})
    assert result["failed"] is True
    assert "unknown entry 'hardware'" in result["msg"]


def test_negative_top_fails(capsys):
    result = run(capsys, {"top": -1, "gather_subset": ["processes"]})
    assert result["failed"] is True and "top must be 0 or more" in result["msg"]


def test_bad_oom_source_is_rejected_by_the_spec(capsys):
    result = run(capsys, {"oom_sources": ["dmesg"]})
    assert result["failed"] is True and "oom_sources" in result["msg"]


def test_gather_with_nothing_selected_is_empty():
    assert memory_facts.gather(set(), {"top": 10, "cmdline": False}) == {}


DMESG = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "proc", "memory-facts-bookworm-dmesg.log")
UNIT = "headroom-oomtest-memory-facts-bookworm-222232.service"


def test_oom_from_files_only(capsys):
    """A real kill captured from the molecule scenario's ring buffer, read back through the module."""
    result = run(capsys, {"gather_subset": ["oom"], "oom_sources": ["files"], "oom_files": [DMESG],
                          "oom_since": "all"})
    oom = result["ansible_facts"]["headroom"]["oom"]
    assert set(result["ansible_facts"]["headroom"]) == {"oom"}
    assert oom["since"] is None
    assert isinstance(oom["kills_since_boot"], int)  # from this machine's /proc/vmstat
    (event,) = oom["events"]
    assert event["killer"] == "kernel" and event["scope"] == "memcg" and event["unit"] == UNIT
    assert event["victim"]["comm"] == "python3" and event["victim"]["pid"] == 12937
    assert event["victim"]["anon_rss_kb"] == 48896
    assert oom["counts"]["by_unit"] == {UNIT: 1}
    assert [s["status"] for s in oom["sources"]] == ["read"]


def test_bad_oom_since_fails_before_reading(capsys):
    result = run(capsys, {"gather_subset": ["oom"], "oom_since": "yesterday"})
    assert result["failed"] is True and "oom_since" in result["msg"]


def test_files_source_without_files_fails(capsys):
    result = run(capsys, {"gather_subset": ["oom"], "oom_sources": ["files"]})
    assert result["failed"] is True and "oom_files" in result["msg"]


def test_oom_options_are_not_checked_when_oom_is_not_gathered(capsys):
    result = run(capsys, {"gather_subset": ["!oom"], "oom_since": "yesterday"})
    assert "failed" not in result and "oom" not in result["ansible_facts"]["headroom"]


def test_uptime_of_the_sample_from_proc(tmp_path):
    (tmp_path / "uptime").write_text("86412.37 170000.00\n")
    assert memory_facts.read_uptime(str(tmp_path)) == 86412.37
    (tmp_path / "uptime").write_text("garbage\n")
    assert memory_facts.read_uptime(str(tmp_path)) is None
    assert memory_facts.read_uptime(str(tmp_path / "missing")) is None
