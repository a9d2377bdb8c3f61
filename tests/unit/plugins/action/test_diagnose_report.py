# -*- coding: utf-8 -*-
"""The diagnose_report action plugin: thin over module_utils.report_write, in the controller process,
changed=false in normal and check mode, a clear failure for bad input."""

import json
import os
from unittest.mock import MagicMock

import pytest

from ansible.errors import AnsibleActionFail
from ansible.playbook.play_context import PlayContext

from ansible_collections.headroom.memory.plugins.action.diagnose_report import ActionModule
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.engine import triage_fleet
from ansible_collections.headroom.memory.tests.unit.plugins.plugin_utils.triage.test_triage import sick


def action(args, check_mode=False):
    task = MagicMock()
    task.args = args
    task.check_mode = check_mode
    task.async_val = 0
    task.action = "headroom.memory.diagnose_report"
    connection = MagicMock()
    return ActionModule(task, connection, PlayContext(), loader=MagicMock(), templar=MagicMock(),
                        shared_loader_obj=MagicMock()), connection


def report():
    return triage_fleet([{"host": "web1", "facts": sick()}], since="30d", generated="2026-11-25T12:00:00Z")


@pytest.mark.parametrize("check_mode", [False, True])
def test_writes_the_report_on_the_controller_and_changes_nothing(tmp_path, check_mode):
    plugin, connection = action({"report": report(), "dest": str(tmp_path / "rep")}, check_mode)
    result = plugin.run(task_vars={})
    assert result["changed"] is False and not result.get("failed") and result["written"] is True
    assert result["dest"] == str(tmp_path / "rep")
    assert sorted(os.path.relpath(p, result["dest"]) for p in result["files"]) == [
        "index.html", "remedy-vars/web1.yml", "report.json", "report.md"]
    assert json.loads((tmp_path / "rep" / "report.json").read_text())["hosts"][0]["host"] == "web1"
    connection.exec_command.assert_not_called()  # nothing runs on a host


@pytest.mark.parametrize("args, match", [
    ({"report": {"hosts": []}}, "dest is required"),
    ({"report": {"hosts": []}, "dest": "x"}, "triage_fleet"),
])
def test_bad_input_fails_clearly_and_writes_nothing(tmp_path, args, match):
    if "dest" in args:
        args["dest"] = str(tmp_path / "rep")
    plugin = action(args)[0]
    with pytest.raises(AnsibleActionFail, match=match):
        plugin.run(task_vars={})
    assert not (tmp_path / "rep").exists()


def test_unwritable_dest_warns_with_the_reason_when_asked(tmp_path):
    (tmp_path / "file").write_text("not a directory")
    dest = str(tmp_path / "file" / "rep")  # under a regular file: fails even for root
    plugin = action({"report": report(), "dest": dest, "on_error": "warn"})[0]
    result = plugin.run(task_vars={})
    assert not result.get("failed") and result["changed"] is False
    assert result["written"] is False and result["files"] == [] and result["dest"] == dest
    assert result["msg"].startswith("cannot write the report under %s: " % dest)
    assert "Not a directory" in result["msg"] and result["warnings"] == [result["msg"]]
    with pytest.raises(AnsibleActionFail, match="Not a directory"):  # the default still fails
        action({"report": report(), "dest": dest})[0].run(task_vars={})


def test_on_error_accepts_only_fail_or_warn(tmp_path):
    plugin = action({"report": report(), "dest": str(tmp_path / "rep"), "on_error": "ignore"})[0]
    with pytest.raises(AnsibleActionFail, match="on_error must be fail or warn"):
        plugin.run(task_vars={})
    assert not (tmp_path / "rep").exists()
