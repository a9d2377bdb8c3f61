# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The diagnose report's files: which files a triage_fleet report makes (report_files) and how they are
written under the report directory (write_all: atomically, a temporary file renamed over each one, mode
0644, subdirectories created as needed; paths that leave the directory are refused). Used on the
controller by the headroom.memory.diagnose_report action plugin."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import tempfile

from ansible_collections.headroom.memory.plugins.plugin_utils.report.html_page import render_html
from ansible_collections.headroom.memory.plugins.plugin_utils.report.markdown_page import render_markdown
from ansible_collections.headroom.memory.plugins.plugin_utils.report.yaml_writer import remedy_document

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


def remedy_path(host):
    """remedy-vars/<host>.yml, with every character but letters, digits, ``_.-`` replaced by ``_``."""
    return "remedy-vars/%s.yml" % _UNSAFE.sub("_", str(host))


def report_files(report):
    """``{relative path: text}`` for a triage_fleet report: index.html, report.md, report.json and
    remedy-vars/<host>.yml for every host that was read."""
    if not isinstance(report, dict) or "hosts" not in report or "totals" not in report:
        raise ValueError("expected the output of headroom.memory.triage_fleet")
    files = {
        "index.html": render_html(report),
        "report.md": render_markdown(report),
        "report.json": json.dumps(report, indent=2, sort_keys=True, separators=(",", ": ")) + "\n",
    }
    for host in report["hosts"]:
        if host.get("status") == "ok":
            files[remedy_path(host["host"])] = remedy_document(host)
    return files


def write_all(root, files):
    """Write ``files`` ({relative path: text}) under ``root``; returns the paths written, sorted.
    Refuses (ValueError, before writing anything) any path that resolves outside ``root`` or to it."""
    root = os.path.realpath(root)
    targets = []
    for rel, text in sorted(files.items()):
        path = os.path.realpath(os.path.join(root, rel))
        if os.path.commonpath([root, path]) != root or path == root:
            raise ValueError("refusing to write %r outside %s" % (rel, root))
        targets.append((path, text))
    written = []
    for path, text in targets:
        os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".diagnose-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
        written.append(path)
    return written
