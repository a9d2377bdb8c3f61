# -*- coding: utf-8 -*-
"""The database scenario's end state, read from the live servers: every value the role reported is the value
the server runs with, the two engines of a host split one share, and the broken configuration injected by
side_effect was refused while the servers kept serving."""

import json

import pytest

RESULT = "/var/tmp/headroom-database-result.json"
PG_FILE = "/etc/postgresql/15/main/conf.d/50-headroom-memory.conf"
MARIADB_FILE = "/etc/mysql/mariadb.conf.d/90-headroom-memory.cnf"


def _result(host):
    return json.loads(host.file(RESULT).content_string)


def _instance(host, engine):
    found = [i for i in _result(host)["instances"] if i["engine"] == engine]
    assert len(found) == 1, _result(host)
    return found[0]


def _is_pg(host):
    return host.backend.get_hostname().endswith("bookworm")


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


def _cgroup_limit_mb(host):
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        f = host.file(path)
        if f.exists and f.content_string.strip().isdigit():
            return int(f.content_string.strip()) // (1024 * 1024)
    return None


def test_the_two_engines_split_one_share(host):
    instances = _result(host)["instances"]
    assert sorted(i["engine"] for i in instances) == (["postgresql", "redis"] if _is_pg(host) else ["mariadb", "redis"])
    shares = [i["share_mb"] for i in instances]
    assert shares[0] == shares[1]
    limit = _cgroup_limit_mb(host)
    assert limit in (1024, 2048)
    # both shares together stay within the container's limit minus the OS reserve
    assert sum(shares) <= limit - 256
    for inst in instances:
        assert "(cgroup)" in inst["share_arithmetic"] and "/ 2 auto instances" in inst["share_arithmetic"]
        assert inst["share_arithmetic"].endswith("= %d MiB" % inst["share_mb"])


def test_postgresql_runs_with_what_the_role_reported(host):
    if not _is_pg(host):
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
    if _is_pg(host):
        pytest.skip("MariaDB runs on the trixie host only")
    db = _instance(host, "mariadb")
    pool = db["settings"]["innodb_buffer_pool_size"]
    assert int(_mariadb(host, "SELECT @@innodb_buffer_pool_size")) == pool
    assert pool < 1024 ** 3  # the planted 1G is gone
    for name, value in db["settings"].items():
        assert int(_mariadb(host, "SELECT @@%s" % name)) == value, name
    # MySQLTuner's peak fits the share
    assert db["peak"]["peak"] <= db["share_mb"] * 1024 * 1024
    assert host.file(MARIADB_FILE).contains("innodb_buffer_pool_size = %d" % pool)


def test_redis_runs_with_what_the_role_reported(host):
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


def test_broken_configuration_was_refused_and_the_servers_serve(host):
    if _is_pg(host):
        assert host.file("/etc/postgresql/15/main/conf.d/20-broken.conf").exists
        assert _psql(host, "SELECT 1") == "1"
        assert host.service("postgresql@15-main").is_running
    else:
        assert host.file("/etc/mysql/mariadb.conf.d/70-broken.cnf").exists
        assert _mariadb(host, "SELECT 1") == "1"
        assert host.service("mariadb").is_running
    assert _redis(host, "PING") == ["PONG"]
