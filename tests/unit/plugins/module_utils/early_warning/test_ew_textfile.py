# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The textfile format: escaping, HELP/TYPE, naming rules, the cardinality cap, and promtool's verdict."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import subprocess

import pytest

from ansible_collections.headroom.memory.plugins.module_utils.early_warning.textfile import (
    MAX_LABEL_LEN, OTHER, escape_help, escape_label_value, family, format_value, render, to_text, top_n)


def promtool_check(promtool, text):
    proc = subprocess.run([promtool, "check", "metrics"], input=text.encode("utf-8"), capture_output=True, check=False)
    return proc.returncode, (proc.stdout + proc.stderr).decode("utf-8", "replace")


@pytest.mark.parametrize("raw,escaped", [
    ("python3", "python3"),
    ('say "hi"', 'say \\"hi\\"'),
    ("back\\slash", "back\\\\slash"),
    ("two\nlines", "two\\nlines"),
    ('\\"\n', '\\\\\\"\\n'),
    (b"caf\xe9", "caf\ufffd"),                     # Latin-1 byte: not UTF-8
    ("x\udce9y", "x\ufffdy"),                      # a surrogateescape'd byte
    ("a\ud800b", "a\ufffdb"),                      # any other lone surrogate
    ("(resolved)", "(resolved)"),
    ("runc:[2:INIT]", "runc:[2:INIT]"),
    (None, ""),
])
def test_label_escaping(raw, escaped):
    assert escape_label_value(raw) == escaped


def test_label_values_are_cut():
    assert len(escape_label_value("a" * 1000)) == MAX_LABEL_LEN


def test_to_text_is_always_encodable():
    for value in (b"\xff\xfe", "\udcff", "ok", 42):
        to_text(value).encode("utf-8")


def test_help_escaping_keeps_quotes():
    assert escape_help('a "b" \\ c\nd') == 'a "b" \\\\ c\\nd'


@pytest.mark.parametrize("value,text", [(3, "3"), (0.5, "0.5"), (2.0, "2"), (float("nan"), "NaN"),
                                        (float("inf"), "+Inf"), (float("-inf"), "-Inf"), (True, "1"),
                                        (1796038818.351, "1796038818.351")])
def test_format_value(value, text):
    assert format_value(value) == text


@pytest.mark.parametrize("name,mtype", [
    ("node_memory_x", "gauge"),            # not ours
    ("headroom_kills", "counter"),         # counter without _total
    ("headroom_bytes_total", "gauge"),     # _total on a gauge
    ("headroom-bad", "gauge"),
    ("headroom_x", "histogram"),
])
def test_bad_names_are_refused(name, mtype):
    with pytest.raises(ValueError):
        family(name, mtype, "h", [])


def test_bad_labels_and_values_are_refused():
    with pytest.raises(ValueError):
        family("headroom_x", "gauge", "h", [({"bad-label": "v"}, 1)])
    with pytest.raises(ValueError):
        family("headroom_x", "gauge", "h", [({"__name__": "v"}, 1)])
    with pytest.raises(ValueError):
        family("headroom_x", "gauge", "h", [({}, "1")])
    with pytest.raises(ValueError):
        family("headroom_x_total", "counter", "h", [({}, -1)])


def test_unknown_values_give_no_sample():
    text = render([family("headroom_x", "gauge", "h", [({}, None)])])
    assert text == "# HELP headroom_x h\n# TYPE headroom_x gauge\n"


def test_render_help_type_and_sorted_labels():
    text = render([family("headroom_oom_kills_total", "counter", "Kills.\nSince boot.",
                          [({"unit": "a.service", "comm": 'we"ird', "killer": "kernel"}, 2)])])
    assert text.splitlines() == [
        "# HELP headroom_oom_kills_total Kills.\\nSince boot.",
        "# TYPE headroom_oom_kills_total counter",
        'headroom_oom_kills_total{comm="we\\"ird",killer="kernel",unit="a.service"} 2',
    ]


def test_duplicates_are_refused():
    fam = family("headroom_x", "gauge", "h", [({"a": "1"}, 1), ({"a": "1"}, 2)])
    with pytest.raises(ValueError):
        render([fam])
    # two values that differ only beyond the cut collide as well
    fam = family("headroom_x", "gauge", "h", [({"a": "x" * 300 + "1"}, 1), ({"a": "x" * 300 + "2"}, 2)])
    with pytest.raises(ValueError):
        render([fam])
    with pytest.raises(ValueError):
        render([family("headroom_x", "gauge", "h"), family("headroom_x", "gauge", "h")])


def fold(rest):
    return {"unit": OTHER, "n": sum(r["n"] for r in rest)}


def test_top_n_keeps_the_best_and_sums_the_rest():
    rows = [{"unit": "u%d" % i, "n": i} for i in range(10)]
    kept = top_n(rows, 3, lambda r: r["n"], fold)
    assert [r["unit"] for r in kept] == ["u9", "u8", "u7", OTHER]
    assert kept[-1]["n"] == sum(range(7))
    assert sum(r["n"] for r in kept) == sum(range(10))


def test_top_n_without_rest_and_with_zero():
    rows = [{"unit": "a", "n": 1}, {"unit": "b", "n": 1}]
    assert top_n(rows, 5, lambda r: r["n"], fold) == rows  # ties keep their order, nothing folded
    assert top_n(rows, 0, lambda r: r["n"], fold) == [{"unit": OTHER, "n": 2}]
    with pytest.raises(ValueError):
        top_n(rows, -1, lambda r: r["n"], fold)


def test_promtool_accepts_odd_names(promtool):
    odd = ["python3", 'q"uote', "back\\slash", "new\nline", b"l\xe9tin", "x\udce9y", "my hog (x)", "runc:[2:INIT]",
           "(resolved)", "", "\u00e9t\u00e9"]
    samples = [({"killer": "kernel", "unit": "u%d.service" % i, "comm": c}, i + 1) for i, c in enumerate(odd)]
    text = render([
        family("headroom_oom_kills_total", "counter", 'Kills "by" comm \\ unit.', samples),
        family("headroom_memory_available_ratio", "gauge", "Ratio.", [({}, 0.25)]),
        family("headroom_swap_used_ratio", "gauge", "Ratio.", [({}, float("nan"))]),
    ])
    rc, out = promtool_check(promtool, text)
    assert rc == 0, out
    assert out.strip() == ""  # no lint complaint either


def test_promtool_rejects_what_we_refuse(promtool):
    # the check is real: promtool fails on an unescaped quote and flags a counter without _total
    rc, _out = promtool_check(promtool, '# TYPE headroom_x gauge\nheadroom_x{a="b"c"} 1\n')
    assert rc != 0
    rc, out = promtool_check(promtool, "# HELP headroom_x x\n# TYPE headroom_x counter\nheadroom_x 1\n")
    assert rc != 0 and "_total" in out
