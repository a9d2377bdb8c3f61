# -*- coding: utf-8 -*-
"""The settings subset: database servers found in /proc, their config files read from their command lines
(fixtures: a Debian PostgreSQL cluster, a MariaDB my.cnf tree, a redis.conf), numbers out only."""

import json
import shutil
from pathlib import Path

from ansible_collections.headroom.memory.plugins.module_utils.facts.settings import postgres_args, read_databases
from ansible_collections.headroom.memory.tests.unit.plugins.module_utils.facts.test_processes import add_process

ROOT = Path(__file__).resolve().parents[3] / "fixtures" / "database" / "root"
PG_ARGS = ["/usr/lib/postgresql/15/bin/postgres", "-D", "/var/lib/postgresql/15/main", "-c",
           "config_file=/etc/postgresql/15/main/postgresql.conf"]


def child(proc, pid, name, parent, **kw):
    d = add_process(proc, pid, name, 1000, **kw)
    (d / "status").write_text((d / "status").read_text().replace("PPid:\t1\n", "PPid:\t%d\n" % parent))


def fleet(tmp_path):
    proc = tmp_path / "proc"
    proc.mkdir()
    add_process(proc, 1, "systemd", 12000, cgroup="0::/init.scope\n")
    add_process(proc, 100, "postgres", 30000, cgroup="0::/system.slice/system-postgresql.slice/postgresql@15-main.service\n",
                cmdline=PG_ARGS)
    for pid in (101, 102, 103):  # backends: their titles are rewritten, their parent is the postmaster
        child(proc, pid, "postgres", 100, cmdline=["postgres: 15/main: checkpointer "])
    add_process(proc, 200, "mariadbd", 90000, cgroup="0::/system.slice/mariadb.service\n",
                cmdline=["/usr/sbin/mariadbd", "--password=hunter2"])
    add_process(proc, 300, "redis-server", 5000, cgroup="0::/system.slice/redis-server.service\n",
                cmdline=["/usr/bin/redis-server 127.0.0.1:6379", "", ""])
    add_process(proc, 400, "postgres", 5000, cmdline=["postgres", "-D", "relative/dir"])
    return proc


def test_every_server_once_with_its_numbers(tmp_path):
    found = read_databases(str(fleet(tmp_path)), str(ROOT))
    by_pid = dict((s["pid"], s) for s in found)
    assert sorted(by_pid) == [100, 200, 300, 400]
    pg = by_pid[100]
    assert pg["engine"] == "postgresql" and pg["version"] == 15 and pg["cluster"] == "15/main"
    assert pg["unit"] == "postgresql@15-main.service"
    assert pg["settings"]["shared_buffers"] == 768 * 1024 and pg["settings"]["work_mem"] == 32 * 1024
    assert pg["files_read"] == 3 and pg["problems"] == []
    maria = by_pid[200]
    assert maria["engine"] == "mariadb" and maria["settings"]["innodb_buffer_pool_size"] == 6 * 1024 ** 3
    redis = by_pid[300]
    assert redis["config"] == "default path" and redis["settings"]["maxmemory"] == 2 * 1024 ** 3
    # a postgres someone started with a relative data directory: nothing is read for it
    assert by_pid[400]["settings"] == {} and by_pid[400]["problems"]
    assert "hunter2" not in json.dumps(found)


def test_postmaster_arguments_in_every_form():
    assert postgres_args(PG_ARGS) == ("/var/lib/postgresql/15/main", "/etc/postgresql/15/main/postgresql.conf", [])
    assert postgres_args(["postgres", "-D/srv/pg", "--shared_buffers=1GB", "-cwork_mem=8MB", "-c", "bogus"]) == (
        "/srv/pg", "/srv/pg/postgresql.conf", [("shared_buffers", "1GB"), ("work_mem", "8MB")])


def test_a_redis_config_named_on_its_command_line(tmp_path):
    proc = tmp_path / "proc"
    proc.mkdir()
    root = tmp_path / "root"
    shutil.copytree(str(ROOT), str(root))
    (root / "etc" / "redis" / "other.conf").write_text("maxmemory 64mb\n")
    add_process(proc, 300, "redis-server", 5000, cmdline=["/usr/bin/redis-server", "/etc/redis/other.conf"])
    [redis] = read_databases(str(proc), str(root))
    assert redis["config"] == "command line" and redis["settings"]["maxmemory"] == 64 * 1024 ** 2
    assert redis["explicit"] == ["maxmemory"]
