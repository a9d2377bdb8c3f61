# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The record of a remediate run that stopped during the apply: what each canary changed, which host failed
and why, and which hosts the run never reached."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.headroom.memory.plugins.filter.remediate import remediate_stopped, remediate_table
from ansible_collections.headroom.memory.plugins.plugin_utils.remediate.plan import (
    STOPPED_NOT_LOADED, STOPPED_NOT_REACHED, stopped_record)


def applied(status, msg, roles):
    return {"status": status, "msg": msg, "roles": roles, "restart_required": [], "restart_allowed": False}


def canary_failed_at_the_health_gate():
    return {
        "web1": {"__remediate_applied": applied("failed", "health gate: app.service stopped running", ["swap", "service_limits"]),
                 "swap_result": {"files": [{"path": "/swapfile", "outcome": "created", "changed": True},
                                           {"path": "/swap2", "outcome": "unchanged", "changed": False}]},
                 "service_limits_result": {"units": [{"unit": "app.service", "live_pushed": ["MemoryMax=960M"]}]}},
        "web2": {"__remediate_roles": [{"role": "swap", "vars": {}}]},  # loaded, but its batch never ran
        "web3": {},
    }


def test_the_canary_that_failed_keeps_what_it_changed_and_the_others_are_stopped():
    record = stopped_record(["web1", "web2", "web3"], canary_failed_at_the_health_gate())
    assert record["stopped"] is True and record["failed"] == ["web1"] and record["changed_hosts"] == ["web1"]
    web1, web2, web3 = record["hosts"]
    assert web1 == {"host": "web1", "status": "failed", "msg": "health gate: app.service stopped running",
                    "roles": ["swap", "service_limits"],
                    "changed": {"swap": ["swap file /swapfile: created"], "service_limits": ["app.service: MemoryMax=960M"]},
                    "rolled_back": [], "read_back": []}
    assert web2 == {"host": "web2", "status": "stopped", "msg": STOPPED_NOT_REACHED, "roles": [], "changed": {}, "rolled_back": [], "read_back": []}
    assert web3 == {"host": "web3", "status": "stopped", "msg": STOPPED_NOT_LOADED, "roles": [], "changed": {}, "rolled_back": [], "read_back": []}


def test_an_earlier_batch_that_passed_is_ok_with_its_changes_and_a_host_that_changed_nothing_says_so():
    hostvars = {
        "db1": {"__remediate_applied": applied("ok", "", ["swap"]),
                "swap_result": {"files": [{"path": "/swapfile", "outcome": "created", "changed": True}]}},
        "db2": {"__remediate_applied": applied("ok", "", ["swap"]), "swap_result": {"files": []}},
        "db3": {"__remediate_applied": applied("failed", "Apply the remedy roles in order: mkswap failed", ["swap"])},
    }
    record = stopped_record(["db1", "db2", "db3"], hostvars)
    assert [(h["host"], h["status"]) for h in record["hosts"]] == [("db1", "ok"), ("db2", "ok"), ("db3", "failed")]
    assert record["changed_hosts"] == ["db1"] and record["failed"] == ["db3"]
    lines = remediate_table(record, "stopped")
    assert lines[0] == "remediate stopped during the apply: db3 failed; the findings were not checked again"
    assert "db1                       ok        swap             swap file /swapfile: created" in lines
    assert "db2                       ok        -                changed nothing" in lines
    assert "db3                       failed    -                Apply the remedy roles in order: mkswap failed" in lines
    assert lines[-1] == "1 host(s) changed something: db1"


def test_the_table_lists_every_change_and_every_host_not_reached():
    lines = remediate_table(remediate_stopped(["web1", "web2"], canary_failed_at_the_health_gate()), "stopped")
    assert lines[1].split() == ["HOST", "STATUS", "ROLE", "CHANGED", "/", "WHY"]
    body = [line.split(None, 3) for line in lines[2:-1]]
    assert body == [["web1", "failed", "service_limits", "app.service: MemoryMax=960M"],
                    ["web1", "failed", "swap", "swap file /swapfile: created"],
                    ["web1", "failed", "-", "health gate: app.service stopped running"],
                    ["web2", "stopped", "-", STOPPED_NOT_REACHED]]


def test_a_host_name_or_message_with_control_characters_cannot_forge_lines():
    hostvars = {"evil\nweb9  ok": {"__remediate_applied": applied("failed", "boom\n1 host(s) changed something: all", [])}}
    lines = remediate_table(stopped_record(["evil\nweb9  ok"], hostvars), "stopped")
    assert all("\n" not in line for line in lines)
    assert sum(1 for line in lines if line.startswith("1 host(s) changed something")) == 0
