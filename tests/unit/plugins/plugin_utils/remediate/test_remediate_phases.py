# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""remediate, all or nothing per host: the files each role's plan will write, the snapshot and the rollback of a
failed apply, and the host's record - a refused plan changed nothing, a failed apply says what was put back and
what stayed changed."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.headroom.memory.plugins.filter.remediate_phases import (
    remediate_apply_failed, remediate_plan_refused, remediate_planned_files, remediate_rollback, remediate_snapshot)
from ansible.errors import AnsibleFilterError
from ansible_collections.headroom.memory.plugins.plugin_utils.remediate.phases import (
    LIVE, apply_failed, plan_refused, planned_files, rollback, snapshot)
from ansible_collections.headroom.memory.plugins.plugin_utils.remediate.plan import ROLES, stopped_lines, stopped_record

DROPIN = "/etc/systemd/system/app.service.d/50-headroom-memory.conf"
HEAP = "/etc/systemd/system/app.service.d/60-headroom-heap.conf"
OVERRIDE = "/etc/systemd/system.control/app.service.d/50-MemoryMax.conf"


def applied():
    return {"status": "failed", "msg": "Write the drop-ins: Permission denied", "roles": ["service_limits", "heap"],
            "restart_required": [], "restart_allowed": False}


def stat(path, exists=True, checksum="aa", isreg=True):
    if not exists:
        return {"item": path, "stat": {"exists": False}}
    return {"item": path, "stat": {"exists": True, "isreg": isreg, "checksum": checksum, "pw_name": "root",
                                   "gr_name": "root", "mode": "0644"}}


def test_every_role_names_the_files_its_plan_will_write():
    facts = {
        "__swap_manageable": True, "swap_files": [{"path": "/swapfile"}],
        "__swap_sysctl": {"name": "90-headroom-swap.conf", "remove": ["/etc/sysctl.d/99-sysctl_headroom-swap.conf"]},
        "__service_limits_plan": {"units": [{"unit": "app.service", "dropin": DROPIN, "remove_overrides": [OVERRIDE]}]},
        "__heap_plan": {"units": [{"unit": "app.service", "path": HEAP}]},
        "__database_plans": [{"name": "pg", "engine": "postgresql"}, {"name": "my", "engine": "mariadb"},
                             {"name": "r", "engine": "redis"}],
        "__database_live": {"pg": {"cluster": {"conf_dir": "/etc/postgresql/15/main"}}},
        "__database_file_names": {"pg_conf_name": "50-headroom-memory.conf",
                                  "mariadb_conf": "/etc/mysql/mariadb.conf.d/60-headroom-memory.cnf"},
        "__database_instances": [{"name": "my", "config_file": None}],
        "__database_conf": {"files": {"r": {"path": "/etc/redis/redis.conf"}}},
        "__workers_plan": [{"dest": "/etc/php/8.2/fpm/pool.d/www.conf", "left_alone": False},
                           {"dest": "/etc/apache2/mods-available/mpm_prefork.conf", "left_alone": True}],
        "__containers_edits": [{"plan": {"path": "/srv/app/compose.yaml"}}],
        "__pm2_plan": [{"ecosystem_file": "/srv/app/ecosystem.config.js", "file_changed": True},
                       {"ecosystem_file": "/srv/b/ecosystem.json", "file_changed": False}],
    }
    got = {role: planned_files(role, facts) for role in ROLES}
    assert got == {
        "swap": ["/etc/fstab", "/etc/sysctl.d/90-headroom-swap.conf", "/etc/sysctl.d/99-sysctl_headroom-swap.conf"],
        "service_limits": [DROPIN, OVERRIDE], "heap": [HEAP],
        "database": ["/etc/postgresql/15/main/postgresql.conf", "/etc/postgresql/15/main/conf.d/50-headroom-memory.conf",
                     "/etc/mysql/mariadb.conf.d/60-headroom-memory.cnf", "/etc/redis/redis.conf"],
        "workers": ["/etc/php/8.2/fpm/pool.d/www.conf"], "containers": ["/srv/app/compose.yaml"],
        "pm2": ["/srv/app/ecosystem.config.js"]}
    assert remediate_planned_files(facts, "heap") == [HEAP]


def test_a_role_without_a_plan_or_swap_it_cannot_manage_names_no_file():
    assert [planned_files(role, {}) for role in ROLES] == [[]] * len(ROLES)
    assert planned_files("swap", {"__swap_manageable": False, "swap_files": [{"path": "/swapfile"}]}) == []
    assert planned_files("nosuch", {"x": 1}) == []


def test_swap_without_files_still_names_its_sysctl_file():
    facts = {"__swap_manageable": True, "swap_files": [], "__swap_sysctl": {"name": "90-headroom-swap.conf", "remove": []}}
    assert planned_files("swap", facts) == ["/etc/sysctl.d/90-headroom-swap.conf"]


def test_a_file_the_apply_deletes_is_restored_by_the_rollback():
    # issue 32: a set-property override service_limits deleted is copied aside and put back after a failed apply
    before = snapshot([stat(OVERRIDE, checksum="ov"), stat(DROPIN, exists=False)])
    assert before[OVERRIDE]["saved_as"] == "0"
    undo = rollback(before, [stat(OVERRIDE, exists=False), stat(DROPIN, checksum="new")])
    assert undo == {"restore": [{"path": OVERRIDE, "saved_as": "0", "owner": "root", "group": "root", "mode": "0644"}],
                    "remove": [DROPIN]}


def test_the_snapshot_names_a_copy_for_each_existing_file_and_refuses_a_special_one():
    snap = snapshot([stat(HEAP, exists=False), stat(DROPIN, checksum="old"), stat("/etc/fstab", checksum="f")])
    assert snap[HEAP] == {"exists": False, "checksum": None, "owner": None, "group": None, "mode": None, "saved_as": None}
    assert snap[DROPIN]["saved_as"] == "1" and snap["/etc/fstab"]["saved_as"] == "0"
    assert snap[DROPIN]["checksum"] == "old" and snap[DROPIN]["mode"] == "0644"
    with pytest.raises(ValueError, match="not a regular file"):
        snapshot([stat("/etc/fstab", isreg=False)])
    with pytest.raises(AnsibleFilterError, match="/etc/fstab is not a regular file"):
        remediate_snapshot([stat("/etc/fstab", isreg=False)])


def test_the_rollback_restores_what_changed_or_vanished_and_removes_what_the_run_made():
    snap = snapshot([stat(DROPIN, checksum="old"), stat(HEAP, exists=False), stat("/etc/fstab", checksum="f"),
                     stat("/gone", checksum="g"), stat("/never", exists=False)])
    now = [stat(DROPIN, checksum="new"), stat(HEAP, checksum="h"), stat("/etc/fstab", checksum="f"),
           stat("/gone", exists=False), stat("/never", exists=False)]
    undo = rollback(snap, now)
    assert undo == {"restore": [{"path": DROPIN, "saved_as": snap[DROPIN]["saved_as"], "owner": "root", "group": "root",
                                 "mode": "0644"},
                                {"path": "/gone", "saved_as": snap["/gone"]["saved_as"], "owner": "root", "group": "root",
                                 "mode": "0644"}],
                    "remove": [HEAP]}
    assert remediate_rollback(snap, now) == undo
    assert rollback({}, []) == {"restore": [], "remove": []}
    # a file replaced by a directory (or missing from the new stat) is put back too
    assert [r["path"] for r in rollback(snapshot([stat("/x")]), [stat("/x", isreg=False)])["restore"]] == ["/x"]
    assert [r["path"] for r in rollback(snapshot([stat("/x")]), [])["restore"]] == ["/x"]


def failed_heap_after_service_limits():
    """service_limits rewrote its drop-in and pushed MemoryMax live; heap made its drop-in, then failed."""
    facts = {"service_limits_result": {"units": [
        {"unit": "app.service", "live_pushed": ["MemoryMax=960M"]},
        {"unit": "app.service", "dropin": DROPIN, "settings": {"MemoryMax": 960 * 1024 * 1024}}]}}
    files = {"service_limits": [DROPIN], "heap": [HEAP]}
    snap = snapshot([stat(DROPIN, checksum="old"), stat(HEAP, exists=False)])
    undo = rollback(snap, [stat(DROPIN, checksum="new"), stat(HEAP, checksum="h")])
    return facts, files, undo


def test_a_failed_apply_says_what_was_put_back_and_what_stayed_changed_live():
    facts, files, undo = failed_heap_after_service_limits()
    live = [{"item": "app.service", "rc": 0, "stdout": "MemoryMax=1006632960\nMemoryHigh=infinity\nMemorySwapMax=0"}]
    got = apply_failed(applied(), "heap", ["service_limits"], facts, files, undo, {"restore": [], "remove": []}, live)
    assert got["status"] == "failed" and got["phase"] == "apply" and got["failed_role"] == "heap"
    assert got["applied_roles"] == ["service_limits"]
    assert got["rolled_back"] == [{"role": "service_limits", "path": DROPIN, "action": "restored"},
                                  {"role": "heap", "path": HEAP, "action": "removed"}]
    # the drop-in sentence names a file that was put back: dropped; the live push stays; the live limit read
    # after the rollback is a reading, not a change
    assert got["stayed_changed"] == [{"role": "service_limits", "change": "app.service: MemoryMax=960M"}]
    assert got["read_back"] == [
        {"role": "service_limits", "reading": "app.service: live now MemoryMax=1006632960 MemoryHigh=infinity MemorySwapMax=0"}]
    assert got["msg"].endswith("; read back: app.service: live now MemoryMax=1006632960 MemoryHigh=infinity MemorySwapMax=0")
    assert got["msg"].startswith("heap failed during the apply (Write the drop-ins: Permission denied); put back: "
                                 + DROPIN + " (restored), " + HEAP + " (removed); still changed: service_limits: ")
    assert "nothing was changed" not in got["msg"].lower()
    # the keys the rest of remediate reads are kept
    assert got["roles"] == ["service_limits", "heap"] and got["restart_allowed"] is False


def test_a_file_that_could_not_be_put_back_stays_changed_and_a_live_role_that_failed_says_what_may_stay():
    facts, files, undo = failed_heap_after_service_limits()
    # the stat after the rollback still finds the drop-in changed: it was not put back
    left = rollback(snapshot([stat(DROPIN, checksum="old"), stat(HEAP, exists=False)]),
                    [stat(DROPIN, checksum="new"), stat(HEAP, exists=False)])
    got = remediate_apply_failed(applied(), "database", ["service_limits", "heap"], facts, files, undo, left, [])
    assert got["rolled_back"] == [{"role": "heap", "path": HEAP, "action": "removed"}]
    assert {"role": "service_limits", "change": DROPIN + ": changed, and putting it back failed"} in got["stayed_changed"]
    assert {"role": "database", "change": "may have: " + LIVE["database"]} in got["stayed_changed"]


def test_a_failure_with_nothing_to_keep_says_every_file_was_put_back():
    undo = rollback(snapshot([stat(HEAP, exists=False)]), [stat(HEAP, checksum="h")])
    got = apply_failed(applied(), "heap", [], {}, {"heap": [HEAP]}, undo)
    assert got["stayed_changed"] == [] and got["msg"].endswith("still changed: nothing (every file this run changed was put back)")
    restarts = apply_failed(applied(), "the restarts the roles queued", ["heap"], {}, {"heap": [HEAP]}, undo)
    assert restarts["stayed_changed"] == [{"role": "the restarts the roles queued",
                                           "change": "may have: " + LIVE["the restarts the roles queued"]}]


def test_a_refused_plan_names_the_role_and_changed_nothing():
    got = plan_refused(applied(), "database", "Decide the instances: no redis server runs on this host")
    assert got["phase"] == "plan" and got["failed_role"] == "database" and got["stayed_changed"] == []
    assert got["msg"] == ("database refused in its plan, before any change (Decide the instances: no redis server runs "
                          "on this host). Nothing was changed on this host: no remedy role was applied")
    assert remediate_plan_refused(applied(), "database", "x")["failed_role"] == "database"


def test_the_stopped_record_keeps_only_what_stayed_changed_and_what_was_put_back():
    facts, files, undo = failed_heap_after_service_limits()
    failed = apply_failed(applied(), "heap", ["service_limits"], facts, files, undo)
    refused = plan_refused(applied(), "database", "no redis")
    hostvars = {"a": dict(facts, __remediate_applied=failed),
                # the refusing host's earlier role kept no result: nothing ran, nothing to list
                "b": {"__remediate_applied": refused, "service_limits_result": facts["service_limits_result"]}}
    record = stopped_record(["a", "b"], hostvars)
    a, b = record["hosts"]
    assert a["changed"] == {"service_limits": ["app.service: MemoryMax=960M"]}
    assert a["rolled_back"] == [{"role": "service_limits", "path": DROPIN, "action": "restored"},
                                {"role": "heap", "path": HEAP, "action": "removed"}]
    assert b["changed"] == {} and b["rolled_back"] == [] and record["changed_hosts"] == ["a"]
    # a host whose only entry is the live limit read back after its rollback changed nothing
    only_read = apply_failed(applied(), "heap", ["service_limits"], {}, files, undo, None,
                             [{"item": "app.service", "rc": 0, "stdout": "MemoryMax=67108864"}])
    record2 = stopped_record(["c"], {"c": {"__remediate_applied": only_read}})
    assert record2["changed_hosts"] == [] and record2["hosts"][0]["read_back"] == [
        {"role": "service_limits", "reading": "app.service: live now MemoryMax=67108864"}]
    assert any(line.endswith("read back: app.service: live now MemoryMax=67108864") for line in stopped_lines(record2))
    lines = stopped_lines(record)
    assert any(line.split() == ["a", "failed", "heap", "put", "back:", HEAP, "(removed)"] for line in lines)
    assert any("database refused in its plan" in line for line in lines)
