# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The console table of a triage report: host, RAM, available, swap, kills in window, worst finding."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.headroom.memory.plugins.plugin_utils.report.svg_charts import human_time
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.common import fmt_mb

HEADER = ("HOST", "RAM", "AVAILABLE", "SWAP", "KILLS", "WORST FINDING")


def _row(host):
    s = host.get("summary")
    if not s:
        return (host["host"], "-", "-", "-", "-", "%s: %s" % (host["status"].upper(), host.get("message", "")[:60]))
    avail = fmt_mb(s["available_mb"])
    if s.get("available_pct") is not None:
        avail += " (%d%%)" % round(s["available_pct"])
    swap = "none" if s.get("swap_total_mb") == 0 else "%s/%s" % (fmt_mb(s.get("swap_used_mb")), fmt_mb(s.get("swap_total_mb")))
    findings = host.get("findings") or []
    worst = "%s %s" % (findings[0]["severity"].upper(), findings[0]["id"]) if findings else "ok"
    if len(findings) > 1:
        worst += " (+%d)" % (len(findings) - 1)
    ram = fmt_mb(s["ram_mb"]) + ("*" if s.get("scope") == "cgroup" else "")
    return (host["host"], ram, avail, swap, str(s["kills"]), worst)


def table_lines(report):
    """The table as a list of lines (a header, a rule, one row per host, a totals line)."""
    rows = [HEADER] + [_row(h) for h in report.get("hosts") or []]
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADER))]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(c.ljust(w) if i != len(row) - 1 else c for i, (c, w) in enumerate(zip(row, widths))))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    t = report.get("totals") or {}
    lines.append("%d host(s): %d ok, %d unreachable, %d failed; %d critical, %d warning, %d info finding(s); "
                 "%d OOM kill(s) since %s%s" % (
                     t.get("hosts", 0), t.get("ok", 0), t.get("unreachable", 0), t.get("failed", 0),
                     t.get("critical", 0), t.get("warning", 0), t.get("info", 0), t.get("kills", 0),
                     human_time(report.get("since")),
                     "; * RAM is the cgroup limit" if any((h.get("summary") or {}).get("scope") == "cgroup"
                                                          for h in report.get("hosts") or []) else ""))
    for host in report.get("hosts") or []:
        if host.get("unread"):
            lines.append("%s: could not read %s (the OOM history may be incomplete; become: true reads it)" % (
                host["host"], ", ".join("%s (%s)" % (u["name"], u["status"]) for u in host["unread"])))
    return lines
