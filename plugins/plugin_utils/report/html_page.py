# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""index.html: the triage report as one self-contained page (inline CSS and SVG, no script, no network)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.headroom.memory.plugins.plugin_utils.report.svg_charts import (
    esc, hbars, human_time, parse_time, stacked_bar, timeline)
from ansible_collections.headroom.memory.plugins.plugin_utils.report.console_table import ram_needed
from ansible_collections.headroom.memory.plugins.plugin_utils.report.yaml_writer import to_yaml
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.common import fmt_mb

SEVERITY_COLOUR = {"critical": "#d64545", "warning": "#e5892b", "info": "#3f7fd9", "ok": "#2f9e6a"}

CSS = """
*{box-sizing:border-box}
body{margin:0;background:#f2f4f8;color:#1c2433;font:14px/1.5 -apple-system,"Segoe UI",Roboto,"Helvetica Neue",
 Arial,"Noto Sans","DejaVu Sans",sans-serif}
header{background:linear-gradient(120deg,#14213d 0%,#1f3a68 60%,#28508c 100%);color:#fff;padding:28px 0 64px}
.wrap{max-width:1200px;margin:0 auto;padding:0 24px}
h1{margin:0;font-size:26px;font-weight:650;letter-spacing:.2px}
h1 small{font-weight:400;opacity:.7;font-size:15px;margin-left:10px}
.sub{opacity:.8;margin-top:4px}
.kpis{display:flex;gap:14px;margin-top:-44px;flex-wrap:wrap}
.kpi{flex:1;min-width:150px;background:#fff;border-radius:12px;padding:14px 18px;box-shadow:0 2px 10px rgba(20,33,61,.08)}
.kpi b{display:block;font-size:26px;line-height:1.2}
.kpi span{color:#5d6778;font-size:12px;text-transform:uppercase;letter-spacing:.6px}
.card{background:#fff;border-radius:12px;box-shadow:0 2px 10px rgba(20,33,61,.07);padding:20px 22px;margin:20px 0}
h2{font-size:18px;margin:0 0 12px;font-weight:650}
h3{font-size:14px;margin:16px 0 8px;color:#3b4557;text-transform:uppercase;letter-spacing:.5px}
table{border-collapse:collapse;width:100%}
th{font-size:12px;text-transform:uppercase;letter-spacing:.5px;color:#6b7487;text-align:left;font-weight:600;
 border-bottom:1px solid #e3e7ee;padding:8px 10px}
td{padding:9px 10px;border-bottom:1px solid #eef1f5;vertical-align:middle}
tr:last-child td{border-bottom:0}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
a{color:#2a5db0;text-decoration:none}
.badge{display:inline-block;border-radius:999px;padding:1px 10px;font-size:12px;font-weight:600;color:#fff;white-space:nowrap}
.mini{display:inline-block;width:110px;height:8px;border-radius:4px;background:#e6eaf0;vertical-align:middle;margin-right:8px;overflow:hidden}
.mini i{display:block;height:100%}
.host h2{display:flex;align-items:center;gap:12px}
.host h2 .meta{font-weight:400;color:#6b7487;font-size:13px}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:26px}
.bar{border-radius:6px;overflow:hidden;display:block}
.legend{display:flex;flex-wrap:wrap;gap:6px 16px;margin-top:8px;font-size:12px;color:#4b5567}
.key i{display:inline-block;width:10px;height:10px;border-radius:3px;margin-right:6px;vertical-align:-1px}
svg text{font-family:inherit}
svg .lbl,svg .val{font-size:12px;fill:#3b4557}
svg .tick{font-size:11px;fill:#6b7487}
svg .host{font-size:12px;fill:#1c2433;font-weight:600}
svg .grid{stroke:#dfe4ec;stroke-dasharray:3 3}
svg .count{font-size:10px;font-weight:700;fill:#fff}
.finding{border-left:5px solid;border-radius:8px;background:#fafbfd;padding:12px 16px;margin:12px 0}
.finding .head{display:flex;align-items:center;gap:10px;font-weight:600}
.finding .id{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;color:#6b7487;font-weight:400}
.finding ul{margin:8px 0;padding-left:20px}
.remedy{background:#fff;border:1px solid #e3e7ee;border-radius:8px;padding:10px 12px;margin-top:6px}
.remedy .role{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;background:#eaf1ff;
 color:#24509a;border-radius:4px;padding:1px 6px}
pre{background:#14213d;color:#e7ecf5;border-radius:8px;padding:10px 14px;overflow:auto;font-size:12.5px;margin:8px 0 0;
 font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.muted{color:#6b7487}
.note{background:#fff7e8;border:1px solid #f3d9a8;border-radius:8px;padding:8px 12px;margin:10px 0;font-size:13px}
.down{background:#fdecec;border-color:#f2c2c2}
.okmsg{color:#2f7d55;font-weight:600}
footer{color:#7b8496;font-size:12px;text-align:center;padding:10px 0 30px}
@media (max-width:900px){.grid{grid-template-columns:1fr}}
"""


def _short(name, keep=40):
    """A long unit or container id shortened for a table cell (the full name is in the tooltip)."""
    name = str(name)
    return name if len(name) <= keep else name[:keep - 13] + "\u2026" + name[-12:]


def _badge(severity, text=None):
    return '<span class="badge" style="background:%s">%s</span>' % (
        SEVERITY_COLOUR.get(severity, "#888"), esc(text or severity))


def _mini(pct_value, colour):
    width = 0 if pct_value is None else max(0, min(100, pct_value))
    return '<span class="mini"><i style="width:%.0f%%;background:%s"></i></span>' % (width, colour)


def _avail_colour(pct_value):
    if pct_value is None:
        return "#9aa3b2"
    return "#d64545" if pct_value < 10 else ("#e5892b" if pct_value < 15 else "#2f9e6a")


def _needed(s):
    """The "RAM needed" cell: the sizing verdict's figure, red and bold when the host has less."""
    if ram_needed(s) == "-":
        return '<span class="muted">?</span>'
    if ram_needed(s).endswith("!"):
        return '<b style="color:%s" title="more than the host has">%s</b>' % (
            SEVERITY_COLOUR["critical"], esc(fmt_mb(s["ram_needed_mb"])))
    return esc(fmt_mb(s["ram_needed_mb"]))


def _fleet_table(report):
    rows = []
    for h in report["hosts"]:
        s = h.get("summary")
        anchor = '<a href="#host-%s">%s</a>' % (esc(h["host"]), esc(h["host"]))
        if not s:
            rows.append('<tr><td>%s</td><td colspan="5" class="muted">%s</td><td>%s</td></tr>'
                        % (anchor, esc(h.get("message")), _badge("critical", h["status"])))
            continue
        worst = h["findings"][0] if h["findings"] else None
        worst_html = (_badge(worst["severity"]) + " " + esc(worst["title"])) if worst else _badge("ok", "healthy")
        if len(h["findings"]) > 1:
            worst_html += ' <span class="muted">+%d more</span>' % (len(h["findings"]) - 1)
        ap = s.get("available_pct")
        swap = "none" if s["swap_total_mb"] == 0 else "%s / %s" % (fmt_mb(s["swap_used_mb"]), fmt_mb(s["swap_total_mb"]))
        rows.append(
            '<tr><td>%s</td><td class="num">%s%s</td><td class="num">%s</td><td>%s%s%s</td><td>%s</td><td class="num">%s</td>'
            '<td>%s</td></tr>'
            % (anchor, esc(fmt_mb(s["ram_mb"])), ' <span class="muted" title="cgroup limit">cg</span>' if s["scope"] == "cgroup" else "",
               _needed(s),
               _mini(ap, _avail_colour(ap)), esc(fmt_mb(s["available_mb"])),
               "" if ap is None else ' <span class="muted">%.0f%%</span>' % ap,
               esc(swap), s["kills"] if s["kills"] else '<span class="muted">0</span>', worst_html))
    return ('<table><thead><tr><th>Host</th><th style="text-align:right">RAM</th><th style="text-align:right">RAM needed</th>'
            '<th>Available</th><th>Swap</th>'
            '<th style="text-align:right">Kills</th><th>Worst finding</th></tr></thead><tbody>%s</tbody></table>'
            % "".join(rows))


def _composition(s):
    if s["scope"] == "cgroup":
        used = max((s["ram_mb"] or 0) - (s["available_mb"] or 0), 0)
        segments = [("in use (cgroup)", used, "#5b8def"), ("available", s["available_mb"], "#d9e8da")]
    else:
        free, cache, slab = s.get("free_mb") or 0, (s.get("buffers_mb") or 0) + (s.get("cached_mb") or 0), s.get("slab_mb") or 0
        apps = max((s["ram_mb"] or 0) - free - cache - slab, 0)
        segments = [("processes", apps, "#5b8def"), ("kernel slab", slab, "#c46bd6"),
                    ("page cache + buffers", cache, "#f0c05a"), ("free", free, "#d9e8da")]
    legend = "".join('<span class="key"><i style="background:%s"></i>%s %s</span>' % (c, esc(label), esc(fmt_mb(v)))
                     for label, v, c in segments)
    return stacked_bar(segments, total=s["ram_mb"]) + '<div class="legend">%s</div>' % legend


def _swap(s):
    if not s["swap_total_mb"]:
        return '<p class="muted">No swap.</p>'
    used = s["swap_used_mb"] or 0
    return (stacked_bar([("used", used, "#e8615a"), ("free", s["swap_total_mb"] - used, "#d9e8da")],
                        height=16, total=s["swap_total_mb"])
            + '<div class="legend"><span class="key"><i style="background:#e8615a"></i>used %s of %s</span></div>'
            % (esc(fmt_mb(used)), esc(fmt_mb(s["swap_total_mb"]))))


def _finding(f):
    colour = SEVERITY_COLOUR.get(f["severity"], "#888")
    r = f["remedy"]
    parts = ['<div class="finding" style="border-color:%s"><div class="head">%s %s <span class="id">%s</span></div>'
             % (colour, _badge(f["severity"]), esc(f["title"]), esc(f["id"])),
             "<ul>%s</ul>" % "".join("<li>%s</li>" % esc(e) for e in f["evidence"]),
             '<div class="remedy"><b>Remedy.</b> %s' % esc(r["text"])]
    if r.get("settings"):
        parts.append("<ul>%s</ul>" % "".join(
            "<li><code>%s = %s</code> <span class=\"muted\">(%s%s)</span></li>"
            % (esc(s["setting"]), esc(s["value"]), esc(s["service"]), ", " + esc(s["file"]) if s.get("file") else "")
            for s in r["settings"]))
    if r.get("withheld"):
        parts.append('<div class="muted" style="margin-top:6px">Withheld by the remedy gate:</div><ul>%s</ul>'
                     % "".join("<li>%s</li>" % esc(w) for w in r["withheld"]))
    if r.get("role"):
        parts.append('<div style="margin-top:6px">Role <span class="role">%s</span>, host_vars:</div><pre>%s</pre>'
                     % (esc(r["role"]), esc(to_yaml(r["vars"]).split("\n", 1)[1].rstrip())))
    parts.append("</div></div>")
    return "".join(parts)


def _host(h):
    title = '<h2 id="host-%s">%s' % (esc(h["host"]), esc(h["host"]))
    if h["status"] != "ok":
        return ('<section class="card host">%s %s</h2><div class="note down">%s</div></section>'
                % (title, _badge("critical", h["status"]), esc(h.get("message") or "no detail")))
    s = h["summary"]
    meta = "RAM %s%s \u00b7 PSI some avg60 %s \u00b7 %d kill(s) in window%s" % (
        fmt_mb(s["ram_mb"]), " (cgroup limit; host %s)" % fmt_mb(s["host_ram_mb"]) if s["scope"] == "cgroup" else "",
        ("n/a" if s["psi_some_avg60"] is None else "%.2f%%" % s["psi_some_avg60"])
        + (" (whole machine)" if s.get("psi_scope") == "machine" else ""), s["kills"],
        "" if s.get("kills_since_boot") is None else " \u00b7 %d since boot" % s["kills_since_boot"])
    out = ['<section class="card host">%s <span class="meta">%s</span></h2>' % (title, esc(meta))]
    if h.get("unread"):
        out.append('<div class="note">Could not read: %s</div>' % esc("; ".join(
            "%s (%s%s)" % (u["name"], u["status"], ": " + u["message"] if u.get("message") else "") for u in h["unread"])))
    procs = [("%s" % p.get("comm"), p.get("rss_mb"), "%s pid %s, unit %s, oom_score_adj %s" % (
        p.get("comm"), p.get("pid"), p.get("unit") or "none", p.get("oom_score_adj")))
        for p in (h.get("processes") or [])[:8]]
    units = [u for u in h.get("units") or [] if u["unit"] != "(no unit)"][:8]
    unit_rows = "".join('<tr><td title="%s">%s</td><td class="num">%s</td><td class="num">%s</td></tr>' % (
        esc(u["unit"]), esc(_short(u["unit"])), esc(fmt_mb(u["usage_mb"] if u.get("usage_mb") is not None else u["rss_mb"])),
        esc(fmt_mb(u["limit_mb"])) if u.get("limit_mb") else '<span class="muted">none</span>') for u in units)
    out.append('<div class="grid"><div><h3>Memory</h3>%s<h3>Swap</h3>%s' % (_composition(s), _swap(s)))
    if unit_rows:
        out.append('<h3>Units</h3><table><thead><tr><th>Unit</th><th style="text-align:right">Memory</th>'
                   '<th style="text-align:right">Limit</th></tr></thead><tbody>%s</tbody></table>' % unit_rows)
    out.append('</div><div><h3>Top processes by RSS</h3>%s</div></div>' % (hbars(procs) or '<p class="muted">none listed</p>'))
    out.append("<h3>Findings</h3>")
    if h["findings"]:
        out.extend(_finding(f) for f in h["findings"])
    else:
        out.append('<p class="okmsg">\u2714 Nothing found: this host has headroom.</p>')
    out.append("</section>")
    return "".join(out)


def render_html(report):
    """The whole index.html text."""
    t = report["totals"]
    start, end = parse_time(report.get("since")), parse_time(report.get("generated"))
    kpis = [("hosts", t["hosts"], "#1c2433"), ("critical", t["critical"], SEVERITY_COLOUR["critical"]),
            ("warnings", t["warning"], SEVERITY_COLOUR["warning"]), ("OOM kills", t["kills"], "#1c2433"),
            ("unreachable / failed", t["unreachable"] + t["failed"], "#1c2433")]
    kpi_html = "".join('<div class="kpi"><b style="color:%s">%s</b><span>%s</span></div>' % (c, v, esc(k)) for k, v, c in kpis)
    tl = timeline(report["hosts"], start, end)
    body = [
        "<header><div class=\"wrap\"><h1>Memory diagnosis<small>headroom.memory</small></h1>"
        "<div class=\"sub\">Generated %s \u00b7 OOM kills since %s%s</div></div></header>"
        % (esc(human_time(report["generated"])), esc(human_time(report.get("since"))),
           " \u00b7 second sample after %ss" % esc(report["sample_interval_s"]) if report.get("sample_interval_s") else ""),
        '<main class="wrap"><div class="kpis">%s</div>' % kpi_html,
        '<section class="card"><h2>Fleet</h2>%s</section>' % _fleet_table(report),
        '<section class="card"><h2>OOM kills across the fleet</h2>%s</section>'
        % (tl if t["kills"] else '<p class="muted">No OOM kill in the window on any host.</p>' + tl),
    ]
    body.extend(_host(h) for h in report["hosts"])
    body.append("</main><footer>headroom.memory diagnose \u00b7 read-only \u00b7 rules: %s</footer>" % esc(", ".join(report.get("rules") or [])))
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width,initial-scale=1">'
            "<title>Memory diagnosis \u2014 %d host(s)</title><style>%s</style></head><body>%s</body></html>\n"
            % (t["hosts"], CSS, "".join(body)))
