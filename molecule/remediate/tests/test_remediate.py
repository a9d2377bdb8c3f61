# -*- coding: utf-8 -*-
"""remediate applied the fixable fleet's remedies and proved them (remediate.json: each finding per instance
fixed only where this run's remedy for it changed something, else pending restart, not re-checked or remaining,
with the reason), and the breaking fleet
stopped after its canary batch: the next batch's host was never touched, and the stopped run's remediate.json
says what the canary changed and why it stopped."""

import json
from pathlib import Path

import pytest
import testinfra
import yaml

ROOT = Path(__file__).resolve().parents[3]
WORK = ROOT / ".work" / "remediate"
DROPIN = "/etc/systemd/system/remediate-oomhog.service.d"
HOG_MAX = str(32 << 20)
OVERRIDE = "/etc/systemd/system.control/remediate-oomhog.service.d/50-MemoryMax.conf"


def on(name):
    return testinfra.get_host("podman://" + name)


@pytest.fixture(scope="module")
def outcome():
    # the first apply's remediate.json (converge keeps it: the idempotence step's apply rewrites the file)
    return dict((h["host"], h) for h in json.loads((WORK / "first-apply.json").read_text())["hosts"])


def rows(outcome, host, fid):
    return [r for r in outcome[host]["findings"] if r["id"] == fid]


def state(outcome, host, fid):
    [row] = rows(outcome, host, fid)
    return row["state"], row["reason"]


def test_swap_missing_in_a_container_is_left_to_the_host_and_no_swap_file_is_made(outcome):
    # the container shares its host's kernel: a swap file made here would be the host's swap (issue 32)
    host = on("remediate-noswap")
    got, why = state(outcome, "remediate-noswap", "swap_missing")
    assert got == "remaining" and why.startswith("no role of this collection fixes it: This host is a podman container")
    assert "The levers are the host's swap and sysctls" in why
    assert outcome["remediate-noswap"]["status"] == "ok"
    remedy = yaml.safe_load((WORK / "first-report" / "remedy-vars" / "remediate-noswap.yml").read_text())
    assert [k for k in remedy if k.startswith("swap_")] == []
    assert not host.file("/swapfile").exists
    assert not host.file("/etc/fstab").contains("^/swapfile")


def _bytes(text):
    """Redis' own size units (plain bytes, kb, mb, gb: powers of 1024)."""
    units = {"kb": 1 << 10, "mb": 1 << 20, "gb": 1 << 30}
    text = text.strip().lower()
    return int(text[:-2]) * units[text[-2:]] if text[-2:] in units else int(text)


def test_redis_was_sized_live_and_in_its_file_within_the_reported_share(outcome):
    host = on("remediate-noswap")
    [redis] = [r for r in rows(outcome, "remediate-noswap", "database_oversized") if r["instance"] == "redis"]
    # fixed: the database role changed this instance in this run, and the re-diagnosis no longer sees it
    assert redis["state"] == "fixed" and redis["reason"].startswith("database: redis (redis): maxmemory=")
    remedy = yaml.safe_load((WORK / "first-report" / "remedy-vars" / "remediate-noswap.yml").read_text())
    share = _bytes(next(i["memory"] for i in remedy["database_instances"] if i["engine"] == "redis")[:-1] + "mb")
    live = int(host.check_output("redis-cli CONFIG GET maxmemory").split()[-1])
    assert 0 < live <= share < 1 << 30  # it was 4 GiB in a 1 GiB container
    lines = [ln.split() for ln in host.file("/etc/redis/redis.conf").content_string.splitlines()
             if ln.startswith("maxmemory ")]
    assert len(lines) == 1 and _bytes(lines[0][1]) == live


def test_postgresql_got_its_file_and_waits_for_the_restart_that_was_not_allowed(outcome):
    host = on("remediate-noswap")
    findings = rows(outcome, "remediate-noswap", "database_oversized")
    # two instances of one finding: each has its own state, never fixed and pending at once
    assert sorted(r["state"] for r in findings) == ["fixed", "pending restart"]
    assert len(set(r["instance"] for r in findings)) == 2
    [pending] = [r for r in findings if r["state"] == "pending restart"]
    assert "postgresql" in pending["instance"] and pending["instance"] != "redis"
    assert "remediate_restart: false" in pending["reason"] and "postgresql" in pending["reason"]
    live = host.check_output("runuser -u postgres -- psql -tAc 'SHOW shared_buffers'")
    assert live == "768MB"  # not restarted: the planted value still runs
    # the role's file, read after the planted 10-... one, sets a smaller shared_buffers for the next start
    role_file = host.file("/etc/postgresql/15/main/conf.d/50-headroom-memory.conf").content_string
    [line] = [ln for ln in role_file.splitlines() if ln.startswith("shared_buffers")]
    assert line.split("=", 1)[1].strip().strip("'") != "768MB"
    pending_value = host.check_output("runuser -u postgres -- psql -tAc "
                                      "\"SELECT setting || ':' || pending_restart FROM pg_settings WHERE name = 'shared_buffers'\"")
    assert pending_value.endswith(":true")  # PostgreSQL itself says the new value waits for a restart
    assert host.service("postgresql@15-main").is_running


def test_php_fpm_got_the_count_that_fits_and_reloaded_to_it(outcome):
    host = on("remediate-noswap")
    got, why = state(outcome, "remediate-noswap", "workers_oversubscribed")
    assert got == "fixed" and why.startswith("workers: php_fpm ") and "(was 40)" in why, why
    remedy = yaml.safe_load((WORK / "first-report" / "remedy-vars" / "remediate-noswap.yml").read_text())
    assert remedy["workers_pools"] == [{"kind": "php_fpm", "config": "/etc/php/8.2/fpm/pool.d/www.conf"}]
    # php-fpm's own view of its configuration: the pool's children, now below the 40 planted
    dump = host.check_output("php-fpm8.2 -tt 2>&1")
    [children] = [int(ln.split("=")[-1]) for ln in dump.splitlines() if "pm.max_children" in ln]
    assert 1 <= children < 40
    # a graceful reload: the master prepare started still runs (its workers were replaced), it was not restarted
    assert host.service("php8.2-fpm").is_running
    master = host.check_output("systemctl show -p MainPID --value php8.2-fpm.service")
    assert master == host.file("/root/php-fpm-prepare.pid").content_string.strip()


def test_the_hog_got_its_limits_and_its_kill_history_remains_with_the_reason(outcome):
    host = on("remediate-oom")
    assert host.file(DROPIN).is_directory
    assert host.check_output("systemctl show -p MemoryMax --value remediate-oomhog.service") != HOG_MAX
    # the re-diagnosis reads the same window, which still holds the kills before the fix, and the hog was not
    # killed again: that alone proves nothing, so not re-checked (neither fixed nor remaining)
    got, why = state(outcome, "remediate-oom", "oom_kills_recent")
    assert got == "not re-checked" and "no kill since the first diagnosis" in why
    assert outcome["remediate-oom"]["status"] == "ok"


def test_every_state_has_a_reason_and_the_table_shows_each_instance(outcome):
    for host in outcome.values():
        for row in host["findings"]:
            assert row["state"] in ("fixed", "pending restart", "gone (not by this run)", "not re-checked",
                                    "remaining", "new") and row["reason"]
    text = (WORK / "first-apply.txt").read_text().splitlines()
    assert text[0].split() == ["HOST", "STATE", "FINDING", "WHY"]
    assert any(line.split()[:3] == ["remediate-noswap", "fixed", "database_oversized[redis]"] for line in text)
    assert any(line.split()[:4] == ["remediate-noswap", "pending", "restart", "database_oversized[postgresql-15-main]"]
               for line in text)


def test_the_rediagnosis_report_was_written_by_diagnose():
    after = json.loads((WORK / "remediate-report" / "after" / "report.json").read_text())
    first = json.loads((WORK / "first-report" / "report.json").read_text())
    # the same window and sampling as the diagnosis it is compared with
    assert (after["window"], after["sample_interval_s"]) == (first["window"], first["sample_interval_s"])
    assert sorted(h["host"] for h in after["hosts"]) == ["remediate-noswap", "remediate-oom"]
    [swap] = [f for h in after["hosts"] if h["host"] == "remediate-noswap" for f in h["findings"] if f["id"] == "swap_missing"]
    assert swap["remedy"]["role"] is None and swap["remedy"]["vars"] == {} and swap["severity"] == "info"
    assert (WORK / "remediate-report" / "after" / "index.html").is_file()


def test_the_jvm_got_its_heap_in_a_drop_in_and_was_not_restarted(outcome):
    host = on("remediate-oom")
    assert "JAVA_TOOL_OPTIONS=-Xmx" in host.check_output("systemctl show -p Environment --value remediate-java.service")
    pid = host.check_output("systemctl show -p MainPID --value remediate-java.service")
    assert int(pid) > 0
    # the running JVM is the one prepare started: remediate_restart was false, so no restart
    assert "JAVA_TOOL_OPTIONS" not in host.file("/proc/%s/environ" % pid).content_string
    got, why = state(outcome, "remediate-oom", "jvm_heap_unbounded")
    assert got == "pending restart" and why.startswith("needs a restart that was not allowed")
    assert "remediate-java.service" in why


def test_the_canary_was_applied_and_its_broken_neighbour_is_down():
    host = on("remediate-fragile")
    assert host.file(DROPIN).is_directory
    assert not host.service("remediate-fragile.service").is_running


def test_the_host_of_the_next_batch_was_never_touched():
    host = on("remediate-later")
    assert not host.file(DROPIN).exists
    assert host.check_output("systemctl show -p MemoryMax --value remediate-oomhog.service") == HOG_MAX


def test_the_stopped_run_recorded_what_the_canary_changed_and_why_it_stopped():
    report = WORK / "breaking-remediate-report"
    record = json.loads((report / "remediate.json").read_text())
    hosts = dict((h["host"], h) for h in record["hosts"])
    assert record["stopped"] is True and record["failed"] == ["remediate-fragile"]
    fragile = hosts["remediate-fragile"]
    assert fragile["status"] == "failed" and fragile["changed"].get("service_limits")
    assert "health gate: unit(s) running before and failed now: remediate-fragile.service" in fragile["msg"]
    assert hosts["remediate-later"]["status"] == "stopped" and hosts["remediate-later"]["changed"] == {}
    assert (report / "remediate.txt").read_text().startswith("remediate stopped during the apply: remediate-fragile failed")


def _record(name):
    return dict((h["host"], h) for h in json.loads((WORK / name / "remediate.json").read_text())["hosts"])


def test_a_later_role_that_refuses_in_its_plan_leaves_the_host_unchanged():
    # issue 32, partial apply: service_limits would have written the hog's drop-in; database refused in its plan
    later = _record("partial-remediate-report")["remediate-later"]
    assert later["status"] == "failed" and later["changed"] == {} and later["rolled_back"] == []
    assert later["msg"].startswith("database refused in its plan, before any change (")
    assert later["msg"].endswith("Nothing was changed on this host: no remedy role was applied")
    host = on("remediate-later")
    assert not host.file(DROPIN).exists
    assert host.check_output("systemctl show -p MemoryMax --value remediate-oomhog.service") == HOG_MAX


def test_a_failed_apply_put_the_drop_in_back_and_says_what_stayed_changed():
    # side_effect.yml compared the drop-ins' sha256 before and after: equal; the record says so and what stayed
    fragile = _record("rollback-remediate-report")["remediate-fragile"]
    assert fragile["status"] == "failed" and fragile["msg"].startswith("heap failed during the apply (")
    restored = [r for r in fragile["rolled_back"] if r["action"] == "restored"]
    assert restored and all(r["role"] == "service_limits" for r in restored)
    # the drop-in service_limits rewrote, and the set-property override it deleted (issue 32)
    assert sorted(r["path"] for r in restored if not r["path"].startswith(DROPIN + "/")) == [OVERRIDE]
    assert any(r["path"].startswith(DROPIN + "/") for r in restored)
    assert on("remediate-fragile").file(OVERRIDE).contains("^MemoryMax=")
    # the drop-in was put back and the unit runs with its old limit again: a reading, and no change left
    assert fragile["changed"] == {}
    live = [r["reading"] for r in fragile["read_back"] if r["role"] == "service_limits"]
    assert len(live) == 1 and live[0].startswith("remediate-oomhog.service: live now ")
    host = on("remediate-fragile")
    shown = host.check_output("systemctl show -p MemoryMax --value remediate-oomhog.service")
    assert ("MemoryMax=%s" % shown) in live[0]
    assert not host.file(DROPIN + "/50-headroom-heap.conf").content_string  # heap's write never landed


def test_jobs_that_ended_with_success_during_the_batch_passed_the_health_gate(outcome):
    # issue 31 finding 5: prepare started them on remediate-oom; they ran until its batch wrote the hog's drop-in,
    # so they were running at the gate's first reading and ended with success before its second
    host = on("remediate-oom")
    for job in ("job", "transient"):
        assert host.file("/root/remediate-%s.done" % job).is_file
    assert host.check_output("systemctl show -p ActiveState --value remediate-job.service") == "inactive"
    assert host.check_output("systemctl show -p Result --value remediate-job.service") == "success"
    assert host.check_output("systemctl show -p LoadState --value remediate-transient.service") == "not-found"
    assert outcome["remediate-oom"]["status"] == "ok"
    for name in ("first-apply.json", "first-apply.txt"):
        text = (WORK / name).read_text()
        assert "remediate-job" not in text and "remediate-transient" not in text
