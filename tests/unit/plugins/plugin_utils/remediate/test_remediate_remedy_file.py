# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""remediate reads a remedy-vars file only as the regular file diagnose wrote inside the report directory
(issue #31 finding 3), bound to report.json by its SHA-256 (finding 2), and never echoes its content."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.headroom.memory.plugins.filter.remediate import remediate_remedy_read, remediate_roles
from ansible_collections.headroom.memory.plugins.plugin_utils.remediate.plan import RemediateError
from ansible_collections.headroom.memory.plugins.plugin_utils.remediate.remedy_file import MAX_BYTES, read_remedy
from ansible_collections.headroom.memory.plugins.plugin_utils.report.files import report_files, write_all
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.engine import triage_fleet
from ansible_collections.headroom.memory.tests.unit.plugins.plugin_utils.triage.test_triage import sick

SECRET = "root:$6$SECRETHASH:19000:0:99999:7:::"


@pytest.fixture
def written(tmp_path):
    """A report directory as diagnose_report writes it, and its report.json parsed."""
    report = triage_fleet([{"host": "web1", "facts": sick(), "result": {}}], since="2h", generated="2026-11-30T11:00:00Z")
    root = tmp_path / "report"
    write_all(str(root), report_files(report))
    return root, json.loads((root / "report.json").read_text())


def refused(root, recorded, host="web1", allow_edited=False):
    with pytest.raises(RemediateError) as exc:
        read_remedy(str(root), host, recorded, allow_edited)
    text = str(exc.value)
    assert "SECRET" not in text and "root:" not in text
    return text


def test_the_file_diagnose_wrote_is_read_and_passes_the_allow_list(written):
    root, recorded = written
    doc = read_remedy(str(root), "web1", recorded)
    assert doc == recorded["hosts"][0]["remedy_vars"] and doc
    assert [r["role"] for r in remediate_roles(remediate_remedy_read(str(root), "web1", recorded), "f")]


def test_a_symlink_to_a_file_outside_is_refused_without_reading_it(written, tmp_path):
    root, recorded = written
    outside = tmp_path / "shadow"
    outside.write_text(SECRET + "\n")
    target = root / "remedy-vars" / "web1.yml"
    target.unlink()
    target.symlink_to(outside)
    text = refused(root, recorded, allow_edited=True)
    assert text.startswith("%s is a symbolic link: refused" % target)


def test_a_remedy_vars_directory_that_is_a_link_is_refused(written, tmp_path):
    root, recorded = written
    elsewhere = tmp_path / "elsewhere"
    (root / "remedy-vars").rename(elsewhere)
    (root / "remedy-vars").symlink_to(elsewhere)
    assert refused(root, recorded, allow_edited=True).startswith("%s is a symbolic link" % (root / "remedy-vars"))


def test_a_directory_or_fifo_in_place_of_the_file_is_refused(written):
    root, recorded = written
    target = root / "remedy-vars" / "web1.yml"
    target.unlink()
    os.mkfifo(str(target))
    assert "is a FIFO (named pipe): refused" in refused(root, recorded, allow_edited=True)
    target.unlink()
    target.mkdir()
    assert "is a directory: refused" in refused(root, recorded, allow_edited=True)


def test_a_missing_file_says_so(written):
    root, recorded = written
    (root / "remedy-vars" / "web1.yml").unlink()
    assert "does not exist" in refused(root, recorded)


def test_an_edited_file_with_a_stale_digest_is_refused_naming_it_unless_the_operator_opts_in(written):
    root, recorded = written
    target = root / "remedy-vars" / "web1.yml"
    target.write_text(target.read_text() + "swap_swappiness: 1\n")
    text = refused(root, recorded)
    assert text.startswith("%s was changed after diagnose wrote it" % target)
    assert "remediate_allow_edited_remedies: true" in text
    assert read_remedy(str(root), "web1", recorded, allow_edited=True)["swap_swappiness"] == 1


def test_the_etc_group_edit_of_the_issue_is_refused_even_when_the_operator_opts_in(written):
    root, recorded = written
    target = root / "remedy-vars" / "web1.yml"
    target.write_text("---\ndatabase_instances:\n  - engine: redis\n    name: redis\n    config_file: /etc/group\n")
    assert "was changed after diagnose wrote it" in refused(root, recorded)
    doc = read_remedy(str(root), "web1", recorded, allow_edited=True)
    with pytest.raises(AnsibleFilterError, match="config_file '/etc/group' is not in the redis configuration layout"):
        remediate_roles(doc, str(target))


def test_a_report_without_digests_is_refused_unless_the_operator_opts_in(written):
    root, recorded = written
    del recorded["hosts"][0]["remedy_vars_sha256"]
    assert "report.json records no digest" in refused(root, recorded)
    assert read_remedy(str(root), "web1", recorded, allow_edited=True)


def test_bad_yaml_names_the_line_not_the_text(written):
    root, recorded = written
    (root / "remedy-vars" / "web1.yml").write_text("---\nswap_swappiness: 1\n" + SECRET + ": [\n")
    text = refused(root, recorded, allow_edited=True)
    assert "is not valid YAML (line " in text


def test_not_utf8_and_too_big_are_refused(written):
    root, recorded = written
    target = root / "remedy-vars" / "web1.yml"
    target.write_bytes(b"swap_swappiness: \xff\n")
    assert "is not UTF-8 text" in refused(root, recorded, allow_edited=True)
    target.write_bytes(b"#" * (MAX_BYTES + 1))
    assert "more than the %d a remedy-vars file may" % MAX_BYTES in refused(root, recorded, allow_edited=True)


def test_the_filter_turns_refusals_into_filter_errors_and_checks_its_switch(written):
    root, recorded = written
    (root / "remedy-vars" / "web1.yml").write_text("x: 1\n")
    with pytest.raises(AnsibleFilterError, match="was changed after diagnose wrote it"):
        remediate_remedy_read(str(root), "web1", recorded)
    with pytest.raises(AnsibleFilterError, match="allow_edited must be true or false"):
        remediate_remedy_read(str(root), "web1", recorded, "yes")
