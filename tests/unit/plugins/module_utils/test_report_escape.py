# -*- coding: utf-8 -*-
"""Issue 11: every text that reaches a report goes through one escaping function (report_svg.report_text):
no live markup in report.md or index.html, no control bytes in any report file or the console table."""

import re

import pytest
import yaml

from ansible_collections.headroom.memory.plugins.plugin_utils.report.svg_charts import report_text
from ansible_collections.headroom.memory.plugins.plugin_utils.report.console_table import table_lines
from ansible_collections.headroom.memory.plugins.plugin_utils.report.files import report_files
from ansible_collections.headroom.memory.tests.unit.plugins.plugin_utils.report.test_report_render import report

EVIL = '<script>alert(1)</script><img src=x onerror=alert(2)>[x](javascript:alert(3))`|\x1b[31m\x00\x07\r\n```'


def hostile():
    rep = report()
    for h in rep["hosts"]:
        h["host"] = h["host"] + EVIL
        h["message"] = (h.get("message") or "") + EVIL
        h["unread"] = [{"name": "file:/var/log/" + EVIL, "status": "error", "message": EVIL}]
        for p in h.get("processes") or []:
            p["comm"] = EVIL
            p["unit"] = "x" + EVIL + ".service"
        for u in h.get("units") or []:
            u["unit"] = EVIL + ".service"
        for f in h.get("findings") or []:
            f["title"] += EVIL
            f["evidence"] = [e + EVIL for e in f["evidence"]]
            f["remedy"]["text"] += EVIL
            for st in f["remedy"].get("settings") or []:
                st["value"] = EVIL
                st["service"] = EVIL
        for e in h.get("events") or []:
            e["comm"] = EVIL
            e["unit"] = EVIL
    return rep


CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")


def test_no_control_bytes_in_any_report_file_or_the_console():
    files = report_files(hostile())
    for name, text in files.items():
        assert not CONTROL.search(text), (name, CONTROL.search(text))
    for line in table_lines(hostile()):
        assert not CONTROL.search(line)


def _outside_fences(md):
    """report.md without its fenced code blocks (inert text there)."""
    out, fence = [], None
    for line in md.split("\n"):
        m = re.match(r"^(`{3,})", line)
        if fence is None and m:
            fence = m.group(1)
        elif fence is not None and line.strip() == fence:
            fence = None
        elif fence is None:
            out.append(line)
    return "\n".join(out)


def test_no_live_markup_from_data_in_markdown():
    text = _outside_fences(report_files(hostile())["report.md"])
    for live in ("<script", "<img", "onerror=alert(2)>"):
        assert live not in text, live
    assert not re.search(r"(?<!\\)\[x(?<!\\)\]\(", text)  # an unescaped [x]( would be a link


def test_no_live_markup_from_data_in_html():
    text = report_files(hostile())["index.html"]
    for live in ("<script", "<img", "onerror=alert(2)>"):
        assert live not in text, live


def test_markdown_tables_keep_their_columns_and_fences_stay_closed():
    md = report_files(hostile())["report.md"]
    lines = md.split("\n")
    rows = [line for line in lines if line.startswith("| ") and "RSS" not in line]
    assert rows
    for row in rows:  # a pipe in a name is escaped: every row has the header's 5 cells
        assert len(re.findall(r"(?<!\\)\|", row)) == 6, row
    fences = [line for line in lines if line.startswith("```") or line.startswith("~~~")]
    assert len(fences) % 2 == 0
    opened = None
    for line in lines:  # inside a fence no line starts with a fence as long as the opening one
        if opened is None and re.match(r"^(`{3,})", line):
            opened = re.match(r"^(`{3,})", line).group(1)
        elif opened is not None and line.startswith("`" * len(opened)):
            assert line.strip() == opened
            opened = None


def test_remedy_vars_are_yaml_whose_comments_do_not_leak():
    rep = hostile()
    for name, text in report_files(rep).items():
        if name.startswith("remedy-vars/"):
            assert isinstance(yaml.safe_load(text), dict)
            for line in text.split("\n"):
                assert line.startswith("#") or line.startswith("---") or line.startswith(" ") or line in ("", "{}") \
                    or re.match(r"^[a-z_]+:", line), line


@pytest.mark.parametrize("target, expected", [
    ("html", "a&lt;b&gt; &amp;&quot;\ufffd\ufffd"),
    ("md", "a&lt;b&gt; &amp;&quot;\ufffd\ufffd"),
    ("text", "a<b> &\"\ufffd\ufffd"),
])
def test_report_text_one_function_for_every_target(target, expected):
    assert report_text('a<b> &"\x1b\x00', target) == expected
    assert report_text(None, target) == ""
    assert "\u202e" not in report_text("x\u202ey", target)  # bidi override (reversed text) is a control too


def test_markdown_escapes_link_emphasis_code_and_table_syntax():
    out = report_text("[a](http://x) *b* _c_ `d` |e| ~f~ \\", "md")
    assert "](" not in out.replace("\\](", "")
    for ch in "[]*_`|~":
        assert re.search(r"(?<!\\)" + re.escape(ch), out) is None, (ch, out)
