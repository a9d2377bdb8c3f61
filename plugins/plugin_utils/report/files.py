# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The diagnose report's files: which files a triage_fleet report makes (report_files) and how they are
written under the report directory (write_all: atomically, a temporary file renamed over each one, mode
0644, subdirectories created as needed; paths that leave the directory are refused). Used on the
controller by the headroom.memory.diagnose_report action plugin."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os
import re
import tempfile

from ansible_collections.headroom.memory.plugins.plugin_utils.report.html_page import render_html
from ansible_collections.headroom.memory.plugins.plugin_utils.report.markdown_page import render_markdown
from ansible_collections.headroom.memory.plugins.plugin_utils.report.yaml_writer import remedy_document

_UNSAFE = re.compile(r"[^a-z0-9_.-]")
_SAFE_NAME = re.compile(r"^[a-z0-9_][a-z0-9_.-]*$")


def remedy_path(host):
    """remedy-vars/<host>.yml, unique per inventory hostname.

    A name of lower-case letters, digits and ``_.-`` (not starting with ``.``) is used as it is; any other
    name becomes a slug (other characters as ``_``) plus ``-`` and the first 10 hex digits of its SHA-256, so
    that ``a:b``, ``a_b``, ``a/b`` and ``A_B`` (on a case-insensitive file system too) never share a file.
    """
    name = str(host)
    if _SAFE_NAME.match(name):
        return "remedy-vars/%s.yml" % name
    slug = _UNSAFE.sub("_", name.lower()).lstrip(".")[:80] or "host"
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    return "remedy-vars/%s-%s.yml" % (slug, digest)


def remedy_digest(text):
    """The SHA-256 (hex) of a remedy-vars file's text as written (UTF-8): report.json records it per host
    (``remedy_vars_sha256``) so that remediate can tell the file it reads is the one diagnose wrote."""
    if isinstance(text, str):
        text = text.encode("utf-8", "surrogatepass")
    return hashlib.sha256(text).hexdigest()


def report_files(report):
    """``{relative path: text}`` for a triage_fleet report: index.html, report.md, report.json and
    remedy-vars/<host>.yml for every host that was read; report.json's entry of each such host records the
    SHA-256 of its remedy-vars file (``remedy_vars_sha256``)."""
    if not isinstance(report, dict) or "hosts" not in report or "totals" not in report:
        raise ValueError("expected the output of headroom.memory.triage_fleet")
    files = {
        "index.html": render_html(report),
        "report.md": render_markdown(report),
    }
    recorded = []
    for host in report["hosts"]:
        if host.get("status") == "ok":
            path = remedy_path(host["host"])
            if path in files:
                raise ValueError("two hosts named %r share %s" % (host["host"], path))
            files[path] = remedy_document(host)
            host = dict(host, remedy_vars_sha256=remedy_digest(files[path]))
        recorded.append(host)
    files["report.json"] = json.dumps(dict(report, hosts=recorded), indent=2, sort_keys=True,
                                      separators=(",", ": ")) + "\n"
    return files


def write_all(root, files):
    """Write ``files`` ({relative path: text}) under ``root``; returns the paths written, sorted.
    Refuses (ValueError, before writing anything) an empty ``root`` (it would mean the current directory) and
    any path that resolves outside ``root`` or to it; two files on one path (a collision) are refused too."""
    if not isinstance(root, str) or not root.strip():
        raise ValueError("the report directory is empty: give a directory (the current one is not assumed)")
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
