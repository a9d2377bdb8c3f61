# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The console table of a triage report: host, RAM, RAM needed (the sizing verdict's least the services need;
``!`` when that is more than the host has), available, swap, kills in window, worst finding.
Text from the data goes through report_svg.report_text (control characters replaced: nothing reaches the
terminal as an escape sequence)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.headroom.memory.plugins.plugin_utils.report.svg_charts import human_time, report_text
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.common import fmt_mb

HEADER = ("HOST", "RAM", "RAM NEEDED", "AVAILABLE", "SWAP", "KILLS", "WORST FINDING")


def _text(value):
    return report_text(value, "text")


def _row(host):
    s = host.get("summary")
    if not s:
        status = "%s: %s" % (_text(host["status"]).upper(), _text((host.get("message") or "")[:60]))
        return (_text(host["host"]), "-", "-", "-", "-", "-", status)
    avail = fmt_mb(s["available_mb"])
    if s.get("available_pct") is not None:
        avail += " (%d%%)" % round(s["available_pct"])
    swap = "none" if s.get("swap_total_mb") == 0 else "%s/%s" % (fmt_mb(s.get("swap_used_mb")), fmt_mb(s.get("swap_total_mb")))
    findings = host.get("findings") or []
    worst = "%s %s" % (_text(findings[0]["severity"]).upper(), _text(findings[0]["id"])) if findings else "ok"
    if len(findings) > 1:
        worst += " (+%d)" % (len(findings) - 1)
    ram = fmt_mb(s["ram_mb"]) + ("*" if s.get("scope") == "cgroup" else "")
    return (_text(host["host"]), ram, ram_needed(s), avail, swap, str(s["kills"]), worst)


def ram_needed(summary):
    """The "RAM needed" cell: the sizing verdict's figure, with ``!`` when the host has less; ``-`` unknown."""
    needed, ram = summary.get("ram_needed_mb"), summary.get("ram_mb")
    if not isinstance(needed, int) or isinstance(needed, bool):
        return "-"
    return fmt_mb(needed) + ("!" if isinstance(ram, int) and not isinstance(ram, bool) and needed > ram else "")


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
                                                          for h in report.get("hosts") or []) else "")
                 + ("; ! the services need more than the host has (ram_insufficient)" if any(
                     ram_needed(h.get("summary") or {}).endswith("!") for h in report.get("hosts") or []) else ""))
    for host in report.get("hosts") or []:
        if host.get("unread"):
            denied = any(u.get("status") == "denied" for u in host["unread"])
            lines.append("%s: could not read %s (the OOM history may be incomplete%s)" % (
                _text(host["host"]), ", ".join("%s (%s)" % (_text(u["name"]), _text(u["status"])) for u in host["unread"]),
                # only a denied read is a matter of privileges; a timeout or an error is not fixed by become
                "; become: true reads it" if denied else ""))
    return lines
