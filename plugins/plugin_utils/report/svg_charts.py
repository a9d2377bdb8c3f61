# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Inline SVG charts for the HTML report: stacked bars (memory composition, swap), horizontal bars (top
processes) and the fleet's OOM-kill timeline. Plain strings, no scripts, no network."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import re

from html import escape as _escape

from ansible_collections.headroom.memory.plugins.plugin_utils.triage.common import fmt_mb

PALETTE = ("#5b8def", "#f0a33a", "#3fb58f", "#c46bd6", "#e8615a", "#41b4d1", "#9aa83a", "#d98bb0", "#7d7fe0", "#b88a5a")


# C0/C1 controls (ESC, NUL, CR, LF, TAB...), DEL, line/paragraph separators and bidirectional overrides
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def report_text(text, target="html"):
    """The one escaping of every text that reaches a report (process names, units, log text, hosts...).

    Every target: control characters (``_CONTROL``) become U+FFFD, so that no ESC, NUL or line break of the
    data reaches a file or a terminal. ``text`` (console table, YAML comments, code blocks): only that.
    ``html``: also HTML-escaped (``<>&"'``). ``md``: HTML-escaped (Markdown passes raw HTML through) and
    Markdown's link, emphasis, code and table characters backslash-escaped.
    """
    text = _CONTROL.sub("\ufffd", "" if text is None else str(text))
    if target == "text":
        return text
    text = _escape(text, quote=True)
    if target == "md":
        text = _MD_SPECIAL.sub(r"\\\1", text)
    return text


def esc(text):
    """HTML/XML-escaped text (report_text for HTML)."""
    return report_text(text, "html")


def fence(lines, info=""):
    """Lines of a Markdown code block whose fence is longer than any backtick run inside (cannot be closed)."""
    longest = max([len(run) for line in lines for run in re.findall("`+", line)] + [2])
    mark = "`" * (longest + 1)
    return [mark + info] + list(lines) + [mark]


def parse_time(text):
    """An ISO-8601 time (``2026-11-25T21:03:04Z``, with fraction or offset) as an aware UTC datetime, or None."""
    if not text:
        return None
    m = re.match(r"^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d)(?::(\d\d)(?:\.\d+)?)?\s*(Z|[+-]\d\d:?\d\d)?$", str(text).strip())
    if not m:
        return None
    y, mo, d, h, mi, s = [int(g or 0) for g in m.groups()[:6]]
    try:
        value = datetime.datetime(y, mo, d, h, mi, s, tzinfo=datetime.timezone.utc)
    except ValueError:
        return None
    zone = m.group(7)
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        value -= sign * datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return value


def stacked_bar(segments, width=520, height=26, total=None):
    """One horizontal bar of ``[(label, value_mb, colour)]`` segments, with a tooltip on each."""
    values = [max(v or 0, 0) for _l, v, _c in segments]
    total = total or sum(values) or 1
    x, parts = 0.0, []
    for (label, value, colour), v in zip(segments, values):
        w = width * v / float(total)
        if w <= 0:
            continue
        parts.append('<rect x="%.1f" y="0" width="%.1f" height="%d" fill="%s"><title>%s: %s</title></rect>'
                     % (x, w, height, colour, esc(label), esc(fmt_mb(value))))
        x += w
    return ('<svg class="bar" viewBox="0 0 %d %d" width="100%%" height="%d" preserveAspectRatio="none" role="img">'
            '<rect width="%d" height="%d" fill="#eef1f6"/>%s</svg>'
            % (width, height, height, width, height, "".join(parts)))


def hbars(items, width=520, row=22, colour="#5b8def"):
    """Horizontal bars ``[(label, value_mb, note)]`` scaled to the largest value."""
    if not items:
        return ""
    top = max(v or 0 for _l, v, _n in items) or 1
    label_w, value_w = 190, 70
    bar_w = width - label_w - value_w
    rows = []
    for i, (label, value, note) in enumerate(items):
        y = i * row
        w = max(1.0, bar_w * (value or 0) / float(top))
        rows.append(
            '<g transform="translate(0,%d)"><title>%s</title>'
            '<text x="0" y="%d" class="lbl">%s</text>'
            '<rect x="%d" y="4" width="%.1f" height="%d" rx="3" fill="%s"/>'
            '<text x="%d" y="%d" class="val" text-anchor="end">%s</text></g>'
            % (y, esc(note or label), row - 7, esc(label if len(label) <= 26 else label[:25] + "\u2026"),
               label_w, w, row - 8, colour, width, row - 7, esc(fmt_mb(value))))
    return ('<svg class="hbars" viewBox="0 0 %d %d" width="100%%" role="img">%s</svg>'
            % (width, row * len(items), "".join(rows)))


def human_time(text):
    """``2026-11-25T22:23:06.648Z`` as ``2026-11-25 22:23 UTC``; text that is not a time is returned as is."""
    value = parse_time(text)
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else (text or "?")


def _ticks(start, end, count=6):
    span = (end - start).total_seconds()
    if span <= 900:
        fmt = "%H:%M:%S"
    elif span <= 86400:
        fmt = "%H:%M"
    elif span <= 7 * 86400:
        fmt = "%b %d %H:%M"
    else:
        fmt = "%b %d"
    return [(start + datetime.timedelta(seconds=span * i / (count - 1)), fmt) for i in range(count)]


def timeline(hosts, start, end, width=1120):
    """The fleet's OOM kills on one time axis: a row per host, a dot per kill coloured by victim."""
    rows = [h for h in hosts if h.get("status") == "ok"]
    if not rows:
        return ""
    times = [parse_time(e.get("time")) for h in rows for e in h.get("events") or []]
    times = [t for t in times if t]
    end = end or (max(times) if times else datetime.datetime.now(datetime.timezone.utc))
    if times:
        # zoom on the kills: from a little before the first one, never before the window
        first = min(times)
        pad = max(datetime.timedelta(minutes=5), (end - first) / 10)
        start = max(start, first - pad) if start else first - pad
    if start is None or start >= end:
        start = end - datetime.timedelta(days=1)
    label_w, row_h, top, right = 170, 30, 10, 16
    plot_w = width - label_w - right
    height = top + row_h * len(rows) + 30
    span = (end - start).total_seconds()
    colours, parts = {}, []
    for i, (when, fmt) in enumerate(_ticks(start, end)):
        x = label_w + plot_w * i / 5.0
        parts.append('<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" class="grid"/>' % (x, x, top, height - 24))
        parts.append('<text x="%.1f" y="%d" class="tick" text-anchor="%s">%s</text>'
                     % (x, height - 8, "start" if i == 0 else ("end" if i == 5 else "middle"), esc(when.strftime(fmt))))
    for r, host in enumerate(rows):
        y = top + r * row_h + row_h / 2.0
        parts.append('<rect x="%d" y="%.1f" width="%d" height="%d" rx="4" fill="%s"/>'
                     % (label_w, y - row_h / 2.0 + 3, plot_w, row_h - 6, "#f6f8fb" if r % 2 else "#eef2f8"))
        parts.append('<text x="%d" y="%.1f" class="host" text-anchor="end">%s</text>' % (label_w - 10, y + 4, esc(host["host"])))
        undated, dots = 0, []
        for event in host.get("events") or []:
            when = parse_time(event.get("time"))
            if when is None:
                undated += 1
                continue
            x = label_w + plot_w * min(max((when - start).total_seconds() / span, 0.0), 1.0)
            key = event.get("unit") or event.get("comm")
            colour = colours.setdefault(key, PALETTE[len(colours) % len(PALETTE)])
            tip = "%s: %s (pid %s)%s, %s, rss %s" % (
                host["host"], event.get("label") or event.get("comm"), event.get("pid"), " in %s" % event["unit"] if event.get("unit") else "",
                human_time(event.get("time")), fmt_mb(event.get("rss_mb")))
            # kills closer than a dot's width merge into one dot with their count
            if dots and x - dots[-1]["x"] < 10 and dots[-1]["colour"] == colour:
                dots[-1]["tips"].append(tip)
            else:
                dots.append({"x": x, "colour": colour, "tips": [tip]})
        for dot in dots:
            n = len(dot["tips"])
            parts.append('<g><title>%s</title><circle cx="%.1f" cy="%.1f" r="%d" fill="%s" fill-opacity="0.9" '
                         'stroke="#fff" stroke-width="1.5"/>%s</g>'
                         % ("&#10;".join(esc(tip) for tip in dot["tips"]), dot["x"], y, 6 if n == 1 else 9, dot["colour"],
                            '<text x="%.1f" y="%.1f" class="count" text-anchor="middle">%d</text>' % (dot["x"], y + 3.5, n)
                            if n > 1 else ""))
        if undated:
            parts.append('<text x="%d" y="%.1f" class="tick" text-anchor="end">+%d undated</text>'
                         % (width - right, y + 4, undated))
    legend = "".join('<span class="key"><i style="background:%s"></i>%s</span>' % (c, esc(k)) for k, c in colours.items())
    return ('<svg class="timeline" viewBox="0 0 %d %d" width="100%%" role="img">%s</svg><div class="legend">%s'
            '<span class="muted">times in UTC</span></div>' % (width, height, "".join(parts), legend))
