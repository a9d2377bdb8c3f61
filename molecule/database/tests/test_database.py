# -*- coding: utf-8 -*-
"""The database scenario's end state, read from the live servers: every value the role reported is the value
the server runs with, the two engines of a host split one share, and the broken configuration injected by
side_effect was refused while the servers kept serving.

database-bookworm runs PostgreSQL 15 + MariaDB 10.11, database-trixie MariaDB 11.8 + Redis (molecule.yml)."""

import json

import pytest
import testinfra
import yaml

RESULT = "/var/tmp/headroom-database-result.json"
PG_FILE = "/etc/postgresql/15/main/conf.d/50-headroom-memory.conf"
MARIADB_FILE = "/etc/mysql/mariadb.conf.d/90-headroom-memory.cnf"


def _result(host):
    return json.loads(host.file(RESULT).content_string)


def _instance(host, engine):
    found = [i for i in _result(host)["instances"] if i["engine"] == engine]
    assert len(found) == 1, _result(host)
    return found[0]


# the engines each host runs, and the MariaDB series Debian ships there
ENGINES = {"bookworm": ["mariadb", "postgresql"], "trixie": ["mariadb", "redis"]}
MARIADB_SERIES = {"bookworm": "10.11.", "trixie": "11.8."}
OS_RESERVE_MB = 256
LIMIT_MB = 2048


def _release(host):
    return host.backend.get_hostname().rsplit("-", 1)[-1]


def _runs(host, engine):
    return engine in ENGINES[_release(host)]


def _psql(host, sql):
    return host.check_output("runuser -u postgres -- psql -X -A -t -c %s", sql).strip()


def _mariadb(host, sql):
    return host.check_output("mariadb --protocol=socket -N -B -e %s", sql).strip()


def _redis(host, *args):
    return host.check_output("redis-cli " + " ".join(["%s"] * len(args)), *args).splitlines()


def _kb(shown):
    for unit, factor in (("kB", 1), ("MB", 1024), ("GB", 1024 * 1024)):
        if shown.endswith(unit):
            return int(shown[:-len(unit)]) * factor
    raise AssertionError("not a memory value: %r" % shown)


# MySQLTuner's peak terms, as MySQLTuner names them (server buffers + per-thread buffers x max_connections)
PEAK_SERVER = ("key_buffer_size", "innodb_buffer_pool_size", "innodb_log_buffer_size", "query_cache_size",
               "aria_pagecache_buffer_size")
PEAK_PER_THREAD = ("read_buffer_size", "read_rnd_buffer_size", "sort_buffer_size", "thread_stack", "join_buffer_size",
                   "binlog_cache_size")
PEAK_VARIABLES = PEAK_SERVER + PEAK_PER_THREAD + ("tmp_table_size", "max_heap_table_size", "max_connections")


def _cgroup_limit_mb(host):
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        f = host.file(path)
        if f.exists and f.content_string.strip().isdigit():
            return int(f.content_string.strip()) // (1024 * 1024)
    return None


def test_the_two_engines_split_one_share(host):
    instances = _result(host)["instances"]
    assert sorted(i["engine"] for i in instances) == ENGINES[_release(host)]
    shares = [i["share_mb"] for i in instances]
    assert shares[0] == shares[1]
    limit = _cgroup_limit_mb(host)
    assert limit == LIMIT_MB
    # both shares together stay within the container's limit minus the OS reserve
    assert sum(shares) <= limit - OS_RESERVE_MB
    for inst in instances:
        assert "(cgroup)" in inst["share_arithmetic"] and "/ 2 auto instances" in inst["share_arithmetic"]
        assert inst["share_arithmetic"].endswith("= %d MiB" % inst["share_mb"])


def test_each_engine_stays_within_its_half(host):
    """What each engine may use at worst, as the role computed it from the live values, fits its own share."""
    worst = {}
    for inst in _result(host)["instances"]:
        if inst["engine"] == "postgresql":
            worst["postgresql"] = inst["worst_case_kb"] * 1024
        elif inst["engine"] == "mariadb":
            worst["mariadb"] = inst["peak"]["peak"]
        else:
            worst["redis"] = inst["settings"]["maxmemory"]
        assert worst[inst["engine"]] <= inst["share_mb"] * 1024 * 1024, inst["engine"]
    assert sum(worst.values()) <= (LIMIT_MB - OS_RESERVE_MB) * 1024 * 1024


def test_postgresql_runs_with_what_the_role_reported(host):
    if not _runs(host, "postgresql"):
        pytest.skip("PostgreSQL runs on the bookworm host only")
    pg = _instance(host, "postgresql")
    assert pg["settings"]["max_connections"] == 20
    for name, value in pg["settings"].items():
        assert _psql(host, "SHOW %s" % name) == str(value), name
    # the planted 512MB is gone: shared_buffers is a quarter of the share (PGTune), restarted because allowed
    assert _kb(_psql(host, "SHOW shared_buffers")) == pg["share_mb"] * 1024 // 4
    assert pg["restarted"] is True and pg["pending_restart"] == [] and pg["restart_required"] is False
    assert _psql(host, "SELECT count(*) FROM pg_settings WHERE pending_restart") == "0"
    # the worst case fits the share
    assert pg["worst_case_kb"] <= pg["share_mb"] * 1024
    assert host.file(PG_FILE).contains("Managed by headroom.memory.database")


def test_mariadb_runs_with_what_the_role_reported(host):
    # both hosts: MariaDB 10.11 (bookworm) and 11.8 (trixie) resize and round the buffer pool differently
    assert _mariadb(host, "SELECT @@version").startswith(MARIADB_SERIES[_release(host)])
    db = _instance(host, "mariadb")
    pool = db["settings"]["innodb_buffer_pool_size"]
    assert int(_mariadb(host, "SELECT @@innodb_buffer_pool_size")) == pool
    assert pool < 1024 ** 3  # the planted 1G is gone
    for name, value in db["settings"].items():
        assert int(_mariadb(host, "SELECT @@%s" % name)) == value, name
    # MySQLTuner's peak, recomputed from the live variables, is the one the role reported and fits the share
    names = ", ".join("'%s'" % k for k in PEAK_VARIABLES)
    shown = _mariadb(host, "SHOW GLOBAL VARIABLES WHERE Variable_name IN (%s)" % names)
    live = dict(line.split("\t") for line in shown.splitlines())
    per_thread = sum(int(live.get(k, 0)) for k in PEAK_PER_THREAD) + min(
        int(live["tmp_table_size"]), int(live["max_heap_table_size"]))
    server = sum(int(live.get(k, 0)) for k in PEAK_SERVER)
    assert server + per_thread * int(live["max_connections"]) == db["peak"]["peak"]
    assert db["peak"]["peak"] <= db["share_mb"] * 1024 * 1024
    # the settings only a start applies (the Aria page cache) were applied by the allowed restart
    assert db["restarted"] is True and db["restart_pending"] == [] and db["restart_required"] is False
    assert host.file(MARIADB_FILE).contains("innodb_buffer_pool_size = %d" % pool)


def test_redis_runs_with_what_the_role_reported(host):
    if not _runs(host, "redis"):
        pytest.skip("Redis runs on the trixie host only")
    redis = _instance(host, "redis")
    assert _redis(host, "CONFIG", "GET", "maxmemory") == ["maxmemory", str(redis["settings"]["maxmemory"])]
    assert _redis(host, "CONFIG", "GET", "maxmemory-policy") == [
        "maxmemory-policy", redis["settings"]["maxmemory-policy"]]
    # Debian's redis.conf saves RDB snapshots: persistence on, so half the share and noeviction
    assert redis["persistent"] is True
    assert redis["settings"]["maxmemory"] == redis["share_mb"] // 2 * 1024 * 1024
    assert redis["settings"]["maxmemory-policy"] == "noeviction"
    # persisted: the file says the same, in mb
    conf = host.file("/etc/redis/redis.conf").content_string.splitlines()
    assert "maxmemory %dmb" % (redis["settings"]["maxmemory"] // (1024 * 1024)) in conf
    assert "maxmemory-policy noeviction" in conf
    assert redis["backup_file"] and host.file(redis["backup_file"]).exists


REDIS_LINK = "/etc/redis/redis.conf"
REDIS_REAL = "/etc/redis/real/redis.conf"


def test_redis_config_kept_its_link_mode_and_owner_and_the_server_restarts_on_it(host):
    # issue 31 finding 6: prepare made Redis's config a link to a root:root 0644 file (mode: preserve wrote 0600)
    if not _runs(host, "redis"):
        pytest.skip("Redis runs on the trixie host only")
    link, real = host.file(REDIS_LINK), host.file(REDIS_REAL)
    assert link.is_symlink and link.linked_to == REDIS_REAL
    assert real.is_file and not real.is_symlink
    assert (real.user, real.group, real.mode) == ("root", "root", 0o644)
    redis = _instance(host, "redis")
    assert redis["file"] == REDIS_REAL
    assert "maxmemory %dmb" % (redis["settings"]["maxmemory"] // (1024 * 1024)) in real.content_string.splitlines()
    # side_effect restarted redis-server after the run: the redis user read the root-owned file and runs with its limit
    started = host.check_output("systemctl show -p ActiveEnterTimestamp --timestamp=unix redis-server.service")
    assert started.startswith("ActiveEnterTimestamp=@"), started
    assert int(started.split("@", 1)[1]) > host.file(RESULT).mtime.timestamp()
    assert host.service("redis-server").is_running
    assert _redis(host, "CONFIG", "GET", "maxmemory") == ["maxmemory", str(redis["settings"]["maxmemory"])]


def test_a_fifo_config_file_was_refused_naming_it(host):
    # side_effect gave the role /etc/redis/fifo.conf, a FIFO: refused in preflight, before a read could block
    if not _runs(host, "redis"):
        pytest.skip("Redis runs on the trixie host only")
    said = host.file("/var/tmp/headroom-database-fifo-refusal.txt").content_string
    assert "database_instances fifo: config_file /etc/redis/fifo.conf is a FIFO (named pipe), not a regular file" in said
    assert "Nothing was changed" in said
    assert host.file("/etc/redis/fifo.conf").is_pipe


def test_broken_configuration_was_refused_and_the_servers_serve(host):
    # side_effect broke PostgreSQL where it runs, else MariaDB
    pg = _runs(host, "postgresql")
    assert host.file("/etc/postgresql/15/main/conf.d/20-broken.conf").exists is pg
    assert host.file("/etc/mysql/mariadb.conf.d/70-broken.cnf").exists is not pg
    if pg:
        assert _psql(host, "SELECT 1") == "1"
        assert host.service("postgresql@15-main").is_running
    assert _mariadb(host, "SELECT 1") == "1"
    assert host.service("mariadb").is_running
    if _runs(host, "redis"):
        assert _redis(host, "PING") == ["PONG"]


def test_mongodb_config_kept_its_link_mode_and_owner_and_the_mongodb_user_reads_it():
    # issue 31 finding 6: side_effect linked /etc/mongod.conf to a root:root 0644 file on database-bookworm and ran
    # the role's MongoDB edit (config-only: no mongod here); the edit lands in the target, the link stays
    host = testinfra.get_host("podman://database-bookworm")
    link, real = host.file("/etc/mongod.conf"), host.file("/etc/mongodb/mongod.conf")
    assert link.is_symlink and link.linked_to == "/etc/mongodb/mongod.conf"
    assert real.is_file and not real.is_symlink
    assert (real.user, real.group, real.mode) == ("root", "root", 0o644)
    [mongo] = json.loads(host.file("/var/tmp/headroom-database-mongodb-result.json").content_string)["instances"]
    assert mongo["file"] == "/etc/mongodb/mongod.conf" and mongo["backup_file"].startswith("/etc/mongodb/mongod.conf.")
    cache = mongo["settings"]["storage.wiredTiger.engineConfig.cacheSizeGB"]
    text = host.check_output("runuser -u mongodb -- cat /etc/mongod.conf")
    assert "Managed by headroom.memory.database: cacheSizeGB = " in text
    conf = yaml.safe_load(text)
    assert conf["storage"]["wiredTiger"]["engineConfig"]["cacheSizeGB"] == cache > 0
    # the rest of the file is kept
    assert conf["storage"]["dbPath"] == "/var/lib/mongodb" and conf["net"] == {"port": 27017, "bindIp": "127.0.0.1"}
