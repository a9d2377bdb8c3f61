# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""report.md: the triage report for tickets and chat.

Every text from the data (hosts, process names, units, log text, messages) goes through
report_svg.report_text: HTML-escaped and Markdown-escaped in prose and tables, control characters
replaced everywhere; code blocks use a fence no line inside can close."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.headroom.memory.plugins.plugin_utils.report.svg_charts import fence, human_time, report_text
from ansible_collections.headroom.memory.plugins.plugin_utils.report.console_table import table_lines
from ansible_collections.headroom.memory.plugins.plugin_utils.report.yaml_writer import to_yaml
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.common import fmt_mb

_ICON = {"critical": "\U0001F534", "warning": "\U0001F7E0", "info": "\U0001F535"}


def _md(text):
    return report_text(text, "md")


def _code(text):
    """Inline code: control characters replaced, backticks (which would end the span) as quotes."""
    return "`%s`" % report_text(text, "text").replace("`", "'")


def _host_section(host):
    out = ["", "## %s" % _md(host["host"]), ""]
    if host["status"] != "ok":
        out.append("**%s**: %s" % (_md(host["status"]), _md(host.get("message") or "no detail")))
        return out
    s = host["summary"]
    out.append("RAM %s%s, available %s, swap %s, PSI some avg60 %s, %d OOM kill(s) in the window." % (
        fmt_mb(s["ram_mb"]), " (cgroup limit)" if s["scope"] == "cgroup" else "", fmt_mb(s["available_mb"]),
        "none" if s["swap_total_mb"] == 0 else "%s of %s used" % (fmt_mb(s["swap_used_mb"]), fmt_mb(s["swap_total_mb"])),
        ("n/a" if s["psi_some_avg60"] is None else "%.2f%%" % s["psi_some_avg60"])
        + (" (whole machine)" if s.get("psi_scope") == "machine" else ""), s["kills"]))
    if host.get("unread"):
        out.append("")
        out.append("Could not read: %s." % "; ".join(
            "%s (%s%s)" % (_md(u["name"]), _md(u["status"]), ": %s" % _md(u["message"]) if u.get("message") else "")
            for u in host["unread"]))
    if not host["findings"]:
        out += ["", "No finding."]
    for f in host["findings"]:
        out += ["", "### %s %s: %s" % (_ICON.get(f["severity"], ""), _md(f["severity"]), _md(f["title"])), "",
                _code(f["id"]), ""]
        out += ["- %s" % _md(e) for e in f["evidence"]]
        out += ["", "**Remedy:** %s" % _md(f["remedy"]["text"])]
        if f["remedy"].get("role"):
            out += ["", "Role %s, host_vars:" % _code(f["remedy"]["role"]), ""]
            out += fence([report_text(line, "text") for line in to_yaml(f["remedy"]["vars"]).rstrip("\n").split("\n")[1:]],
                         "yaml")
        for st in f["remedy"].get("settings") or []:
            where = ", %s" % _md(st["file"]) if st.get("file") else ""
            out.append("- set %s (%s%s)" % (_code("%s = %s" % (st["setting"], st["value"])), _md(st["service"]), where))
        for reason in f["remedy"].get("withheld") or []:
            out.append("- withheld by the remedy gate: %s" % _md(reason))
    if host.get("processes"):
        out += ["", "Top processes:", "", "| pid | comm | unit | RSS | oom_score_adj |", "|---:|---|---|---:|---:|"]
        for p in host["processes"][:10]:
            out.append("| %s | %s | %s | %s | %s |" % (_md(p.get("pid")), _md(p.get("comm")), _md(p.get("unit") or ""),
                                                       _md(fmt_mb(p.get("rss_mb"))), _md(p.get("oom_score_adj"))))
    return out


def render_markdown(report):
    """The whole report.md text."""
    t = report["totals"]
    out = ["# headroom.memory diagnose report", "",
           "Generated %s, OOM window since %s. %d host(s): %d critical, %d warning, %d info finding(s), "
           "%d OOM kill(s)." % (_md(human_time(report["generated"])), _md(human_time(report.get("since"))), t["hosts"],
                                t["critical"], t["warning"], t["info"], t["kills"]),
           ""]
    out += fence(table_lines(report))
    for host in report["hosts"]:
        out += _host_section(host)
    return "\n".join(out) + "\n"
