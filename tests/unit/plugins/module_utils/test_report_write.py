# -*- coding: utf-8 -*-
"""playbooks/files/write_report.py: the one process that writes the report's files on the controller."""

import importlib.util
import json
import os
import stat
import subprocess
import sys

import pytest

SCRIPT = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "playbooks", "files", "write_report.py")
_SPEC = importlib.util.spec_from_file_location("write_report", SCRIPT)
write_report = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(write_report)


def test_writes_every_file_with_subdirectories_and_mode_0644(tmp_path):
    written = write_report.write_all(str(tmp_path / "rep"), {"index.html": "<p>\u2714</p>", "remedy-vars/a.yml": "---\n"})
    assert sorted(os.path.relpath(p, str(tmp_path / "rep")) for p in written) == ["index.html", "remedy-vars/a.yml"]
    assert (tmp_path / "rep" / "index.html").read_text(encoding="utf-8") == "<p>\u2714</p>"
    assert stat.S_IMODE(os.stat(str(tmp_path / "rep" / "remedy-vars" / "a.yml")).st_mode) == 0o644
    assert [n for n in os.listdir(str(tmp_path / "rep")) if n.startswith(".diagnose-")] == []


def test_replaces_an_older_report(tmp_path):
    (tmp_path / "report.md").write_text("old")
    write_report.write_all(str(tmp_path), {"report.md": "new"})
    assert (tmp_path / "report.md").read_text() == "new"


@pytest.mark.parametrize("rel", ["../escape.yml", "/etc/passwd", "remedy-vars/../../x", "."])
def test_refuses_paths_outside_the_report_dir(tmp_path, rel):
    with pytest.raises(ValueError, match="outside"):
        write_report.write_all(str(tmp_path / "rep"), {rel: "x"})
    assert not (tmp_path / "escape.yml").exists()


def test_runs_as_a_script_reading_json_on_stdin(tmp_path):
    out = subprocess.run([sys.executable, SCRIPT, str(tmp_path)], input=json.dumps({"report.json": "{}\n"}),
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == str(tmp_path / "report.json")
