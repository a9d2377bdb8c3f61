# -*- coding: utf-8 -*-
"""The workers scenario, read from the live hosts: the role's counts are the live configuration of php-fpm,
Apache prefork and gunicorn, check mode changed nothing, and under the same load as before the container's
memory cgroup never reaches its limit (no OOM kill, no failed charge, peak usage below the limit)."""

import json
import re

import testinfra

BEFORE = {"php_fpm": 40, "apache_prefork": 150, "gunicorn": 12}  # what prepare.yml configured
CGROUP = "/sys/fs/cgroup/memory"


def _json(host, path):
    return json.loads(host.file(path).content_string)


def _php(host):
    return "8.2" if host.backend.get_hostname().endswith("bookworm") else "8.4"


def _pools(host):
    return dict((p["kind"], p) for p in _json(host, "/root/workers-result.json")["pools"])


def _int(host, path):
    return int(host.file(path).content_string.split()[0])


def test_check_mode_left_every_file_as_prepare_did(host):
    check = _json(host, "/root/workers-check.json")
    assert check["checksums"] == _json(host, "/root/workers-before.json")
    assert sorted(p["kind"] for p in check["pools"]) == sorted(_pools(host))
    assert all(p["changed"] for p in check["pools"])  # check mode reported the change it did not make


def test_more_workers_were_configured_than_fit_and_the_new_count_fits(host):
    pools = _pools(host)
    expected = {"php_fpm", "apache_prefork"} if _php(host) == "8.2" else {"php_fpm", "gunicorn"}
    assert set(pools) == expected
    for kind, p in pools.items():
        assert p["per_worker_mb"] >= 10, p  # measured on grown workers, not idle ones
        assert p["load_evidence"].startswith("grown: "), p  # and the role saw it (idle ones never raise a count)
        assert not p["left_alone"], p
        assert BEFORE[kind] * p["per_worker_mb"] + p["fixed_mb"] > p["share_mb"], p
        # a count kept from the first run may exceed the new measurement by the role's tolerance (10 %)
        room = p["share_mb"] * 110 // 100 if p["kept"] else p["share_mb"]
        assert p["count"] * p["per_worker_mb"] + p["fixed_mb"] <= room, p
        assert 2 <= p["count"] < BEFORE[kind]
        assert "floor((%d MiB share" % p["share_mb"] in p["arithmetic"]
    if "gunicorn" in pools:
        assert pools["gunicorn"]["count"] <= pools["gunicorn"]["cpu_cap"]


def test_php_fpm_runs_the_new_pool(host):
    php = _php(host)
    p = _pools(host)["php_fpm"]
    out = host.run("php-fpm%s -tt" % php)
    assert out.rc == 0, out.stderr
    live = dict(re.findall(r"\]\s+NOTICE:\s+\t(pm[.a-z_]*) = (\S+)", out.stderr))
    assert int(live["pm.max_children"]) == p["count"]
    for key in ("pm.start_servers", "pm.min_spare_servers", "pm.max_spare_servers", "pm.max_requests"):
        assert int(live[key]) == p["settings"][key]
    assert host.service("php%s-fpm" % php).is_running
    backups = host.run("ls /etc/php/%s/fpm/pool.d/ | grep -c '^www\\.conf\\..*~$'" % php).stdout.strip()
    assert backups == "1"  # converge made one; check mode and the idempotence run made none


def _on(name):
    """One named host: a test of a server that only that host runs takes it instead of the ``host`` fixture,
    so it runs once, on the host that has the server (never as an empty pass on the other)."""
    return testinfra.get_host("podman://" + name)


def test_apache_prefork_has_its_conf_enabled():
    host = _on("workers-bookworm")
    p = _pools(host)["apache_prefork"]
    conf = host.file("/etc/apache2/conf-available/headroom-workers.conf").content_string
    assert "    MaxRequestWorkers %d\n" % p["count"] in conf
    assert host.file("/etc/apache2/conf-enabled/headroom-workers.conf").is_symlink
    includes = host.run("apache2ctl -t -D DUMP_INCLUDES")
    assert includes.rc == 0 and "conf-enabled/headroom-workers.conf" in includes.stdout
    assert host.service("apache2").is_running


def test_gunicorn_runs_the_new_count():
    host = _on("workers-trixie")
    p = _pools(host)["gunicorn"]
    env = host.run("systemctl show -p Environment app.service").stdout
    assert "GUNICORN_CMD_ARGS=--workers %d " % p["count"] in env
    assert "WEB_CONCURRENCY=%d" % p["count"] in env
    assert int(host.run("pgrep -c -x gunicorn").stdout) == p["count"] + 1  # restarted: the master and its workers


def test_under_the_same_load_the_container_stays_under_its_limit(host):
    pools = _pools(host)
    php = _php(host)
    second = "http://127.0.0.1/grow.php" if "apache_prefork" in pools else "http://127.0.0.1:8000/"
    other = pools.get("apache_prefork") or pools["gunicorn"]
    comm = "apache2" if "apache_prefork" in pools else "gunicorn"
    # the converge runs' own bounded loads end within 45 s; wait for them, so this load is the only one
    assert host.run("for i in $(seq 120); do pgrep -f '[w]orkers_load.py' >/dev/null || exit 0; sleep 1; done; exit 1").rc == 0
    limit = _int(host, CGROUP + "/memory.limit_in_bytes")
    oom_before = int(re.search(r"oom_kill (\d+)", host.file(CGROUP + "/memory.oom_control").content_string).group(1))
    host.run("echo 0 > %s/memory.max_usage_in_bytes; echo 0 > %s/memory.failcnt" % (CGROUP, CGROUP))
    cmd = (
        "python3 /usr/local/lib/workers_load.py /run/php/php{php}-fpm.sock --requests {pr} --concurrency {pc} --seconds 60 > /tmp/load-php & "
        "python3 /usr/local/lib/workers_load.py {second} --requests {sr} --concurrency {sc} --seconds 60 > /tmp/load-second & "
        "(for i in $(seq 40); do echo $(pgrep -c -x php-fpm{php}) $(pgrep -c -x {comm}); sleep 0.5; done) > /tmp/counts & "
        "wait"
    ).format(php=php, pr=pools["php_fpm"]["count"] * 6, pc=pools["php_fpm"]["count"] * 2, second=second,
             sr=other["count"] * 6, sc=other["count"] * 2, comm=comm)
    assert host.run("sh -c %s" % _quote(cmd)).rc == 0
    for name in ("/tmp/load-php", "/tmp/load-second"):
        load = json.loads(host.file(name).content_string)
        assert load["ok"] > 0 and load["failed"] == 0, (name, load)
    counts = [tuple(int(x) for x in line.split()) for line in host.file("/tmp/counts").content_string.splitlines()]
    assert max(c[0] for c in counts) <= pools["php_fpm"]["count"] + 1  # the master and at most max_children
    assert max(c[1] for c in counts) <= other["count"] + 1
    oom_after = int(re.search(r"oom_kill (\d+)", host.file(CGROUP + "/memory.oom_control").content_string).group(1))
    peak = _int(host, CGROUP + "/memory.max_usage_in_bytes")
    assert oom_after == oom_before
    assert _int(host, CGROUP + "/memory.failcnt") == 0, "the cgroup hit its limit (peak %d of %d)" % (peak, limit)
    assert peak < limit


def _quote(text):
    return "'" + text.replace("'", "'\"'\"'") + "'"
