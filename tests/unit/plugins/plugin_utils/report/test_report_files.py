# -*- coding: utf-8 -*-
"""module_utils/report_write.py: the report's files and how they are written on the controller."""

import hashlib
import json
import os
import stat

import pytest
import yaml

from ansible_collections.headroom.memory.plugins.plugin_utils.report.files import remedy_path, report_files, write_all
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.engine import triage_fleet
from ansible_collections.headroom.memory.tests.unit.plugins.plugin_utils.triage.test_triage import sick
from ansible_collections.headroom.memory.tests.unit.plugins.plugin_utils.triage.test_triage_facts import healthy


def fleet():
    return triage_fleet([
        {"host": "web<1>", "facts": sick()},
        {"host": "db1", "facts": healthy()},
        {"host": "gone", "facts": None, "result": {"unreachable": True, "msg": "Failed to connect"}},
    ], since="30d", generated="2026-11-25T12:00:00Z")


def test_report_files_names_every_file_and_remedy_vars_only_for_hosts_read():
    files = report_files(fleet())
    assert sorted(files) == ["index.html", "remedy-vars/db1.yml", "remedy-vars/web_1_-%s.yml" % WEB1_HASH,
                             "report.json", "report.md"]
    recorded = json.loads(files["report.json"])
    digests = dict((h["host"], h.pop("remedy_vars_sha256", None)) for h in recorded["hosts"])
    assert recorded == json.loads(json.dumps(fleet()))
    assert digests == {"web<1>": hashlib.sha256(files["remedy-vars/web_1_-%s.yml" % WEB1_HASH].encode()).hexdigest(),
                       "db1": hashlib.sha256(files["remedy-vars/db1.yml"].encode()).hexdigest(), "gone": None}
    assert files["report.json"].endswith("}\n")
    assert files["index.html"].lstrip().lower().startswith("<!doctype html>")
    assert "web&lt;1&gt;" in files["report.md"]  # a name is text, never markup
    assert isinstance(yaml.safe_load(files["remedy-vars/web_1_-%s.yml" % WEB1_HASH]), dict)


# a name that is not already safe gets a slug plus its hash (unique per inventory hostname: issue 11)
WEB1_HASH = hashlib.sha256(b"web<1>").hexdigest()[:10]


@pytest.mark.parametrize("host, rel", [
    ("web1", "remedy-vars/web1.yml"),
    ("../../etc/x", "remedy-vars/_.._etc_x-%s.yml" % hashlib.sha256(b"../../etc/x").hexdigest()[:10]),
    ("a b:c", "remedy-vars/a_b_c-%s.yml" % hashlib.sha256(b"a b:c").hexdigest()[:10])])
def test_remedy_path_keeps_the_host_inside_remedy_vars(host, rel):
    assert remedy_path(host) == rel


@pytest.mark.parametrize("bad", [None, {"hosts": []}, ["x"]])
def test_report_files_refuses_what_is_not_a_triage_fleet_report(bad):
    with pytest.raises(ValueError, match="triage_fleet"):
        report_files(bad)


def test_writes_every_file_with_subdirectories_and_mode_0644(tmp_path):
    written = write_all(str(tmp_path / "rep"), {"index.html": "<p>\u2714</p>", "remedy-vars/a.yml": "---\n"})
    assert sorted(os.path.relpath(p, str(tmp_path / "rep")) for p in written) == ["index.html", "remedy-vars/a.yml"]
    assert (tmp_path / "rep" / "index.html").read_text(encoding="utf-8") == "<p>\u2714</p>"
    assert stat.S_IMODE(os.stat(str(tmp_path / "rep" / "remedy-vars" / "a.yml")).st_mode) == 0o644
    assert [n for n in os.listdir(str(tmp_path / "rep")) if n.startswith(".diagnose-")] == []


def test_replaces_an_older_report_and_leaves_other_files(tmp_path):
    (tmp_path / "report.md").write_text("old")
    (tmp_path / "notes.txt").write_text("mine")
    write_all(str(tmp_path), {"report.md": "new"})
    assert (tmp_path / "report.md").read_text() == "new"
    assert (tmp_path / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize("rel", ["../escape.yml", "/etc/passwd", "remedy-vars/../../x", "."])
def test_refuses_paths_outside_the_report_dir_before_writing_anything(tmp_path, rel):
    with pytest.raises(ValueError, match="outside"):
        write_all(str(tmp_path / "rep"), {"a.md": "first", rel: "x"})
    assert not (tmp_path / "escape.yml").exists()
    assert not (tmp_path / "rep" / "a.md").exists()


def test_refuses_a_symlink_that_leads_out(tmp_path):
    (tmp_path / "rep").mkdir()
    (tmp_path / "outside").mkdir()
    os.symlink(str(tmp_path / "outside"), str(tmp_path / "rep" / "remedy-vars"))
    with pytest.raises(ValueError, match="outside"):
        write_all(str(tmp_path / "rep"), {"remedy-vars/a.yml": "x"})
    assert os.listdir(str(tmp_path / "outside")) == []
