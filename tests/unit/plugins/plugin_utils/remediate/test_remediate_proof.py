# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""remediate's proof: every state a finding can end in (fixed only by this run's targeted remedy), each reason
word for word, one finding in two instances, what each role says it changed, and the table; the leak and kill
cases on real triage output (triage_fleet over the triage tests' facts)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type


from ansible_collections.headroom.memory.plugins.plugin_utils.remediate.proof import (
    GONE, NEW, PENDING, REMAINING, STATES, UNCHECKED, applied_hosts, changed_items, instance_of, outcome, outcome_lines,
    pair)
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.engine import triage_fleet
from ansible_collections.headroom.memory.tests.unit.plugins.plugin_utils.triage.test_triage_facts import (
    healthy, kill, proc)

GENERATED = "2026-11-30T11:00:00Z"


def finding(fid, role="headroom.memory.database", severity="warning", **remedy):
    rem = dict(remedy)
    if role is not None:
        rem["role"] = role
    return {"id": fid, "severity": severity, "remedy": rem}


def pg():
    return finding("database_oversized", severity="critical",
                   vars={"database_instances": [{"engine": "postgresql", "name": "15-main", "memory": "300M"}]})


def redis():
    return finding("database_oversized",
                   vars={"database_instances": [{"engine": "redis", "name": "redis", "memory": "200M"}]})


def doc(findings, status="ok", sampled=False, events=None, generated=GENERATED, **extra):
    return dict({"generated": generated, "window": "2h", "sample_interval_s": None, "hosts": [
        dict({"host": "h", "status": status, "findings": list(findings), "sampled": sampled, "events": events or []},
             **extra)]})


DB_CHANGED = {"status": "ok", "roles": ["database"], "changed": {"database": [["redis"], ["15-main", "pg.service"]]},
              "said": {"database": ["redis (redis): maxmemory=200 MiB", "15-main (postgresql): shared_buffers=64MB"]}}


def judged(before, after, done):
    [host] = outcome(before, after, {"h": done} if done is not None else None)["hosts"]
    return [(r["id"], r["instance"], r["state"], r["reason"]) for r in host["findings"]]


def one(f, after_findings, done, **after_kw):
    [(_fid, _inst, state, reason)] = judged(doc([f]), doc(after_findings, **after_kw), done)
    return state, reason


# --- fixed: the targeted remedy changed the item, and the evidence is gone -----------------------------------

def test_fixed_only_when_the_role_changed_this_item_in_this_run():
    assert one(redis(), [], DB_CHANGED) == ("fixed", "database: redis (redis): maxmemory=200 MiB")
    # the role's result names the item but no sentence does: said so plainly
    assert one(redis(), [], dict(DB_CHANGED, said={})) == ("fixed", "database: changed redis in this run")
    # the finding names the pool's file, the role's sentence its name: the same item
    pool = finding("workers_oversubscribed", role="headroom.memory.workers",
                   vars={"workers_pools": [{"kind": "php_fpm", "config": "/p.conf"}]})
    assert one(pool, [], {"status": "ok", "roles": ["workers"], "changed": {"workers": [["www", "/p.conf"], ["b"]]},
                          "said": {"workers": ["php_fpm www: 9 workers (was 40)", "php_fpm b: 2 workers (was 4)"]}}) == (
        "fixed", "workers: php_fpm www: 9 workers (was 40)")
    # a role whose result does not itemise (pm2): its word
    pm2 = finding("pm2_restart_loop", role="headroom.memory.pm2", vars={"pm2_apps": [{"name": "web"}]})
    assert one(pm2, [], {"status": "ok", "roles": ["pm2"], "changed": {"pm2": None}}) == (
        "fixed", "pm2 was applied (its result does not say what changed)")
    # the containers role names each container it limited, with its sentence
    containers = finding("container_without_limit", role="headroom.memory.containers",
                         vars={"containers_limits": [{"name": "web", "memory": "64M"}]})
    assert one(containers, [], {"status": "ok", "roles": ["containers"], "changed": {"containers": [["web"]]},
                                "said": {"containers": ["web (docker): memory 64 MiB, memory+swap 128 MiB; was no limit"]}}) == (
        "fixed", "containers: web (docker): memory 64 MiB, memory+swap 128 MiB; was no limit")
    assert one(containers, [], {"status": "ok", "roles": ["containers"], "changed": {"containers": [["db"]]}})[0] == GONE
    # a finding that names no item: any change of its role
    assert one(finding("x", role="headroom.memory.swap"), [],
               {"status": "ok", "roles": ["swap"], "changed": {"swap": [["/swapfile"]]}})[0] == "fixed"


def test_gone_without_this_run_s_remedy_is_not_fixed_word_for_word():
    assert one(redis(), [], {"status": "ok", "roles": ["database"], "changed": {"database": [["other"]]}}) == (
        GONE, "database ran and changed nothing for it in this run (already in place)")
    assert one(redis(), [], {"status": "ok", "roles": ["database"], "changed": {"database": []}})[0] == GONE
    assert one(redis(), [], {"status": "ok", "roles": ["swap"]}) == (
        GONE, "database was not applied here (its variables were not in remedy-vars)")
    assert one(redis(), [], None) == (
        GONE, "database was not applied: the run stopped before this host's batch, or it was not in the play")
    assert one(redis(), [], dict(DB_CHANGED, status="failed", msg="health gate: x")) == (
        GONE, "the host failed during remediate (health gate: x): its changes are not counted")
    assert one(redis(), [], dict(DB_CHANGED, status="failed"))[1].endswith("(see the run): its changes are not counted")
    assert one(finding("swap_missing", role=None), [], DB_CHANGED) == (GONE, "no remedy of this run targets it")
    # kills that left the window: time did that, not the remedy
    assert one(finding("oom_kills_recent", role="headroom.memory.service_limits"), [],
               {"status": "ok", "roles": ["service_limits"], "changed": {"service_limits": [["hog.service"]]}},
               since="2026-11-30T09:00:00Z") == (
        GONE, "the kills it read left the window (2026-11-30T09:00:00Z): that is time, not the remedy")


# --- not re-checked ------------------------------------------------------------------------------------------

def test_a_host_not_read_again_has_every_finding_not_re_checked():
    before = doc([pg(), redis()])
    for after, why in ((doc([], status="unreachable", message="ssh: timeout"),
                        "could not diagnose the host again (unreachable: ssh: timeout)"),
                       ({"hosts": []}, "could not diagnose the host again (not in the re-diagnosis)")):
        assert [(s, r) for _i, _n, s, r in judged(before, after, DB_CHANGED)] == [(UNCHECKED, why)] * 2


def test_kills_the_window_still_holds_are_not_re_checked_unless_a_kill_followed():
    hist = finding("oom_kills_recent", role="headroom.memory.service_limits")
    old = {"time": "2026-11-30T10:00:00Z", "label": "hog"}
    assert one(hist, [hist], DB_CHANGED, events=[old], since="2026-11-30T09:00:00Z") == (
        UNCHECKED, "reads the kills since 2026-11-30T09:00:00Z, which still holds the kills before the apply; no kill "
                   "since the first diagnosis (2026-11-30T11:00:00Z): that alone proves nothing yet")
    new = {"time": "2026-11-30T11:05:00.25Z", "label": "hog"}
    assert one(hist, [hist], DB_CHANGED, events=[new, old, dict(new, label="java")]) == (
        REMAINING, "2 kill(s) since the first diagnosis (2026-11-30T11:00:00Z): hog, java")
    # a kill without a time: whether one followed is unknown, never "no kill"
    state, why = one(hist, [hist], DB_CHANGED, events=[{"time": None, "label": "hog"}])
    assert state == UNCHECKED and "whether a kill followed the first diagnosis is unknown" in why
    # a first report without a time: the same
    [(_i, _n, state, why)] = judged(doc([hist], generated="?"), doc([hist], events=[new]), DB_CHANGED)
    assert state == UNCHECKED and "unknown" in why and "2h" in why  # the window of the first report when no since


def test_a_leak_found_from_two_samples_is_not_re_checked_by_a_single_sample():
    leak = finding("leak_suspect", role="headroom.memory.service_limits",
                   vars={"service_limits_units": [{"unit": "drip.service", "memory_max": "640M"}]})
    done = {"status": "ok", "roles": ["service_limits"], "changed": {"service_limits": [["drip.service"]]}}
    assert one(leak, [], done, sampled=False) == (
        UNCHECKED, "the leak was found from growth between two samples and the re-diagnosis took no second sample on "
                   "this host: it cannot see it")
    assert one(leak, [], done, sampled=True)[0] == "fixed"
    # sampled again and still growing: remaining; not sampled and still there (from kills): the kill history rule
    assert one(leak, [leak], done, sampled=True)[0] == REMAINING
    assert one(leak, [leak], done, sampled=False)[0] == UNCHECKED


def test_the_leak_case_on_real_triage_output():
    facts = healthy()
    facts["processes"].append(proc("python3", 400, pid=692, unit="drip.service"))
    grown = [dict(p) for p in facts["processes"]]
    grown[-1]["rss_mb"] = 475
    before = triage_fleet([{"host": "h", "facts": facts, "result": {}, "sample2": grown}], since="2h",
                          interval_s=50, generated=GENERATED)
    [leak] = [f for f in before["hosts"][0]["findings"] if f["id"] == "leak_suspect"]
    assert before["hosts"][0]["sampled"] is True and instance_of(leak) == "drip.service"
    done = {"status": "ok", "roles": ["service_limits"], "changed": {"service_limits": [["drip.service"]]}}
    single = triage_fleet([{"host": "h", "facts": facts, "result": {}}], since="2h", generated=GENERATED)
    assert single["hosts"][0]["sampled"] is False
    assert [r[2] for r in judged(before, single, done) if r[0] == "leak_suspect"] == [UNCHECKED]
    calm = triage_fleet([{"host": "h", "facts": facts, "result": {}, "sample2": facts["processes"]}], since="2h",
                        interval_s=50, generated=GENERATED)
    assert [r[2] for r in judged(before, calm, done) if r[0] == "leak_suspect"] == ["fixed"]
    still = triage_fleet([{"host": "h", "facts": facts, "result": {}, "sample2": grown}], since="2h", interval_s=50,
                         generated=GENERATED)
    assert [r[2] for r in judged(before, still, done) if r[0] == "leak_suspect"] == [REMAINING]


def test_kills_on_real_triage_output_stay_not_re_checked_until_a_new_kill():
    facts = healthy()
    facts["oom"]["events"] = [kill(pid=1, time="2026-11-30T10:30:00Z")]
    before = triage_fleet([{"host": "h", "facts": facts, "result": {}}], since="2h", generated=GENERATED)
    assert "oom_kills_recent" in [f["id"] for f in before["hosts"][0]["findings"]]
    done = {"status": "ok", "roles": ["service_limits"], "changed": {"service_limits": [["hog.service"]]}}
    states = dict((r[0], r[2]) for r in judged(before, before, done))
    assert states["oom_kills_recent"] == UNCHECKED
    facts["oom"]["events"].append(kill(pid=2, time="2026-11-30T11:10:00Z"))
    after = triage_fleet([{"host": "h", "facts": facts, "result": {}}], since="2h", generated="2026-11-30T11:20:00Z")
    states = dict((r[0], (r[2], r[3])) for r in judged(before, after, done))
    assert states["oom_kills_recent"] == (REMAINING, "1 kill(s) since the first diagnosis (2026-11-30T11:00:00Z): hog")


# --- remaining and pending restart -------------------------------------------------------------------------

def test_each_reason_a_finding_remains_word_for_word():
    ok = {"status": "ok", "roles": ["swap"]}
    assert one(redis(), [redis()], {"status": "failed", "msg": "disk full"}) == (
        REMAINING, "not fixed: the host failed during remediate (disk full)")
    assert one(redis(), [redis()], None) == (
        REMAINING, "not applied: the run stopped before this host's batch, or it was not in the play")
    contained = finding("leak_suspect", role=None)
    assert one(contained, [contained], ok, sampled=True) == (REMAINING, (
        "contained by its unit's memory limit; no role of this collection fixes the leak itself: fix the program "
        "or recycle it (max_requests, pm.max_requests, a timer restart)"))
    withheld = finding("swap_missing", withheld=["a restart", "no MemoryMax"])
    assert one(withheld, [withheld], ok) == (REMAINING, "withheld by the remedy gate: a restart; no MemoryMax")
    sets = finding("x", role=None, settings=[{"setting": "vm.swappiness", "value": 10, "service": "sysctl"}])
    assert one(sets, [sets], ok) == (REMAINING, "no role of this collection changes it: set vm.swappiness = 10 (sysctl)")
    text = finding("x", role=None, text="add RAM")
    assert one(text, [text], ok) == (REMAINING, "no role of this collection fixes it: add RAM")
    assert one(finding("x", role=None), [finding("x", role=None)], ok)[1] == (
        "no role of this collection fixes it: see the report")
    assert one(redis(), [redis()], ok) == (REMAINING, "database was not applied here (its variables were not in remedy-vars)")
    assert one(redis(), [redis()], DB_CHANGED) == (
        REMAINING, "database was applied and the finding remains: diagnose again once the service has settled")


def test_pending_restart_when_its_remedy_waits_for_a_restart_that_was_not_allowed():
    waiting = dict(DB_CHANGED, restart_required=["15-main", "other"], restart_allowed=False)
    assert one(pg(), [], waiting) == (PENDING, (
        "fixed in the configuration; the running service keeps the old setting until the restart that was not allowed "
        "(remediate_restart: false): 15-main"))
    assert one(pg(), [pg()], waiting) == (PENDING, "needs a restart that was not allowed (remediate_restart: false): 15-main")
    # allowed, or only another unit waits: not pending
    assert one(pg(), [], dict(waiting, restart_allowed=True))[0] == "fixed"
    assert one(pg(), [], dict(waiting, restart_required=["other"]))[0] == "fixed"


# --- two instances of one finding, new findings, pairing -----------------------------------------------------

def test_two_instances_of_one_finding_each_have_their_own_state():
    waiting = dict(DB_CHANGED, restart_required=["15-main"], restart_allowed=False)
    assert judged(doc([pg(), redis()]), doc([]), waiting) == [
        ("database_oversized", "15-main", PENDING, "fixed in the configuration; the running service keeps the old "
         "setting until the restart that was not allowed (remediate_restart: false): 15-main"),
        ("database_oversized", "redis", "fixed", "database: redis (redis): maxmemory=200 MiB")]
    # one instance still there: only it remains
    got = judged(doc([pg(), redis()]), doc([redis()]), DB_CHANGED)
    assert [(i, s) for _f, i, s, _r in got] == [("15-main", "fixed"), ("redis", REMAINING)]
    lines = outcome_lines(outcome(doc([pg(), redis()]), doc([]), {"h": waiting}))
    assert lines[1].split()[:4] == ["h", "pending", "restart", "database_oversized[15-main]"]
    assert lines[2].split()[:3] == ["h", "fixed", "database_oversized[redis]"]


def test_pairing_by_instance_then_by_id_and_new_findings():
    a, b = redis(), finding("database_oversized", vars={"database_instances": [{"name": "other"}]})
    assert pair([a], [b]) == [(a, b)]  # the same id whose item changed is the same finding, never gone
    assert pair([a, pg()], [pg()]) == [(a, None), (pg(), pg())]
    n = finding("swap_missing", role=None)
    assert pair([], [n]) == [(None, n)]
    assert judged(doc([]), doc([n]), DB_CHANGED) == [("swap_missing", "", NEW, "appeared since the first diagnosis")]
    assert instance_of(finding("x", role=None, settings=[{"service": "sysctl"}, {"service": "a"}, {}])) == "a, sysctl"
    assert instance_of({"id": "x"}) == ""
    assert instance_of(finding("x", vars={"w": [{"kind": "php_fpm", "config": "/p.conf"}, "s"], "n": 5})) == "/p.conf"


def test_totals_count_every_state_and_empty_input():
    result = outcome(doc([pg(), redis(), finding("swap_missing", role=None)]), doc([finding("new", role=None)]),
                     {"h": DB_CHANGED})
    assert result["totals"] == {"fixed": 2, PENDING: 0, GONE: 1, UNCHECKED: 0, REMAINING: 0, NEW: 1}
    assert result["window"] == "2h" and result["hosts"][0]["status"] == "ok"
    assert outcome(None, None)["totals"] == dict((s, 0) for s in STATES)


# --- what each role says it changed ---------------------------------------------------------------------------

def test_changed_items_per_role_from_their_results():
    assert changed_items("swap", {"swap_result": {"files": [{"path": "/a", "changed": True},
                                                            {"path": "/b", "changed": False}]}}) == [["/a"]]
    assert changed_items("service_limits", {"service_limits_result": {"units": [
        {"unit": "a.service", "live_pushed": ["MemoryMax=1G"]}, {"unit": "b.service", "restart_required": True},
        {"unit": "c.service", "live_pushed": [], "restart_required": False},
        # cgroup v2: the drop-in written and applied at daemon-reload, nothing pushed, no restart
        {"unit": "d.service", "live_pushed": [], "restart_required": False, "dropin_changed": True}]}}) == [
            ["a.service"], ["b.service"], ["d.service"]]
    assert changed_items("heap", {"heap_restart_required": ["j.service"]}) == [["j.service"]]
    assert changed_items("database", {"database_result": {"instances": [
        {"name": "redis", "backup_file": "/etc/redis/redis.conf.1.bak"},
        {"name": "pg", "unit": "pg.service", "restart_required": True},
        {"name": "calm", "backup_file": None, "restarted": False, "restart_required": False}]}}) == [
            ["redis"], ["pg", "pg.service"]]
    assert changed_items("workers", {"workers_result": {"pools": [
        {"kind": "php_fpm", "name": "www", "unit": "php-fpm.service", "dest": "/p.conf", "changed": True},
        {"name": "calm", "changed": False}]}}) == [["www", "php-fpm.service", "/p.conf"]]
    assert changed_items("containers", {"containers_result": {"containers": [
        {"name": "web", "changed": True, "file": None}, {"name": "shop", "changed": False, "file_changed": True,
                                                         "file": "/srv/c.yml"},
        {"name": "calm", "changed": False, "file_changed": False}]}}) == [["web"], ["shop", "/srv/c.yml"]]
    for role in ("containers", "pm2", "swap", "database"):
        assert changed_items(role, {}) is None


def test_applied_hosts_keeps_extra_keys_and_marks_hosts_not_run():
    hostvars = {"a": {"__remediate_applied": {"status": "ok", "roles": ["swap", "pm2"], "per_role": {"swap": "ok"}},
                      "swap_result": {"files": [{"path": "/swapfile", "outcome": "created", "changed": True}]}},
                "b": {}}
    got = applied_hosts(["a", "b"], hostvars)
    assert got["b"] == {"status": "not run"}
    assert got["a"]["per_role"] == {"swap": "ok"} and got["a"]["changed"] == {"swap": [["/swapfile"]], "pm2": None}
    assert got["a"]["said"] == {"swap": ["swap file /swapfile: created"], "pm2": []}


# --- the table ------------------------------------------------------------------------------------------------

def test_outcome_lines_word_for_word():
    result = {"hosts": [
        {"host": "web1", "findings": [{"id": "database_oversized", "instance": "redis", "state": "fixed", "reason": "r1"},
                                      {"id": "swap_missing", "instance": "", "state": GONE, "reason": "r2"}]},
        {"host": "web2", "findings": []}],
        "totals": {"fixed": 1, GONE: 1}}
    assert outcome_lines(result) == [
        "HOST                      STATE                   FINDING                                       WHY",
        "web1                      fixed                   database_oversized[redis]                     r1",
        "web1                      gone (not by this run)  swap_missing                                  r2",
        "web2                      ok                      -                                             no finding before or after",
        "1 fixed, 0 pending restart, 1 gone (not by this run), 0 not re-checked, 0 remaining, 0 new"]
    assert outcome_lines({})[-1] == "0 fixed, 0 pending restart, 0 gone (not by this run), 0 not re-checked, 0 remaining, 0 new"


def test_table_text_has_its_control_characters_replaced():
    lines = outcome_lines({"hosts": [{"host": "h\x1b", "findings": [
        {"id": "f\n", "instance": "i\x00", "state": REMAINING, "reason": "a\rb <x> it's"}]}]})
    assert all("\x1b" not in line and "\n" not in line and "\r" not in line and "\x00" not in line for line in lines)
    assert lines[1].split() == ["h\ufffd", "remaining", "f\ufffd[i\ufffd]", "a\ufffdb", "<x>", "it's"]
