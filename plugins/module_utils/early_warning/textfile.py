# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Prometheus text exposition format, as node_exporter's textfile collector reads it.

``family(name, mtype, help_text, samples)`` builds one metric family (``samples``: list of
(labels dict, value)); ``render(families)`` turns a list of them into the file's text: one ``# HELP``
and one ``# TYPE`` line per family, then its samples, no timestamps (the textfile collector refuses
them). Names are checked against the conventions (``headroom_`` prefix, ``_total`` only and always on
counters); label values are escaped (backslash, double quote, line feed) after turning anything that is
not valid UTF-8 into U+FFFD, and cut to ``MAX_LABEL_LEN`` characters.

``render(families, problems)`` leaves a duplicate out and notes it in ``problems`` instead of raising.

``top_n(rows, n, score, fold)`` bounds the cardinality of a labelled family: the ``n`` best rows are
kept, the others folded into one row.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math
import re

PREFIX = "headroom_"
TYPES = ("gauge", "counter")
MAX_LABEL_LEN = 200
OTHER = "__other__"  # the label value of the row that sums every row beyond the top N
_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
_LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")


def to_text(value):
    """``value`` (bytes, str, anything) as a str holding only valid UTF-8 characters (bad bytes -> U+FFFD)."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    text = value if isinstance(value, str) else str(value)
    # lone surrogates cannot be written: a surrogateescape'd byte becomes U+FFFD like any bad byte, so does the rest
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:
        return "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in text)


def label_text(value):
    """A label value as it is written (before escaping): valid UTF-8, cut to MAX_LABEL_LEN characters. Two
    values with the same label_text are one series: callers key their rows by it to fold them on purpose."""
    return to_text(value)[:MAX_LABEL_LEN]


def escape_label_value(value):
    """A label value for inside the double quotes: UTF-8, backslash, quote and line feed escaped, cut."""
    text = label_text(value)
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def escape_help(text):
    """HELP text: backslash and line feed escaped (quotes stay as they are)."""
    return to_text(text).replace("\\", "\\\\").replace("\n", "\\n")


def format_value(value):
    """A sample value: integers as integers, floats in Go's notation for NaN and the infinities."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def check_name(name, mtype):
    """Raise ValueError unless ``name`` is a valid headroom metric name for type ``mtype``."""
    if mtype not in TYPES:
        raise ValueError("metric %s: type %r is not one of %s" % (name, mtype, ", ".join(TYPES)))
    if not _NAME.match(name or "") or not name.startswith(PREFIX):
        raise ValueError("metric name %r must match %s and start with %s" % (name, _NAME.pattern, PREFIX))
    if (mtype == "counter") != name.endswith("_total"):
        raise ValueError("metric %s: counters, and only counters, end in _total" % name)


def family(name, mtype, help_text, samples=()):
    """One metric family; raises ValueError on a bad name, label name or value."""
    check_name(name, mtype)
    checked = []
    for labels, value in samples:
        labels = dict(labels or {})
        for key in labels:
            if not _LABEL.match(key) or key.startswith("__"):
                raise ValueError("metric %s: bad label name %r" % (name, key))
        if value is None:
            continue  # unknown: no sample rather than a made-up one
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError("metric %s: value %r is not a number" % (name, value))
        if mtype == "counter" and value < 0:
            raise ValueError("metric %s: a counter cannot be negative (%r)" % (name, value))
        checked.append((labels, value))
    return {"name": name, "type": mtype, "help": help_text, "samples": checked}


def render_sample(name, labels, value):
    """One sample line without its line feed."""
    if labels:
        inner = ",".join('%s="%s"' % (k, escape_label_value(labels[k])) for k in sorted(labels))
        return "%s{%s} %s" % (name, inner, format_value(value))
    return "%s %s" % (name, format_value(value))


def render(families, problems=None):
    """The text of a textfile: every family with its HELP and TYPE, samples in the given order.

    A family listed twice, or a second sample of one family with the same labels (after escaping and
    cutting), is an error: without ``problems`` it raises ValueError; with a list it is left out of the text
    and its message appended to ``problems``, so that one bad series never costs the whole file.
    """
    def problem(msg):
        if problems is None:
            raise ValueError(msg)
        problems.append(msg)

    lines = []
    names = set()
    for fam in families:
        if fam["name"] in names:
            problem("metric %s is listed twice" % fam["name"])
            continue
        names.add(fam["name"])
        lines.append("# HELP %s %s" % (fam["name"], escape_help(fam["help"])))
        lines.append("# TYPE %s %s" % (fam["name"], fam["type"]))
        seen = set()
        for labels, value in fam["samples"]:
            line = render_sample(fam["name"], labels, value)
            key = line.rsplit(" ", 1)[0]
            if key in seen:
                problem("metric %s: two samples with the labels %s (the second is left out)" % (fam["name"], key))
                continue
            seen.add(key)
            lines.append(line)
    return "\n".join(lines) + "\n" if lines else ""


def top_n(rows, n, score, fold):
    """The ``n`` rows with the highest ``score(row)`` (ties keep their order), plus ``fold(rest)`` when
    rows are left over. ``fold`` gets the list of left-over rows and returns the one row that sums them."""
    if n < 0:
        raise ValueError("top_n: n must be 0 or more, got %r" % (n,))
    ranked = sorted(enumerate(rows), key=lambda pair: (-score(pair[1]), pair[0]))
    kept = [row for _i, row in ranked[:n]]
    rest = [row for _i, row in ranked[n:]]
    return kept + ([fold(rest)] if rest else [])
