# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""report.md: the triage report for tickets and chat."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.headroom.memory.plugins.plugin_utils.report.svg_charts import human_time
from ansible_collections.headroom.memory.plugins.plugin_utils.report.console_table import table_lines
from ansible_collections.headroom.memory.plugins.plugin_utils.report.yaml_writer import to_yaml
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.common import fmt_mb

_ICON = {"critical": "\U0001F534", "warning": "\U0001F7E0", "info": "\U0001F535"}


def _cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def _host_section(host):
    out = ["", "## %s" % host["host"], ""]
    if host["status"] != "ok":
        out.append("**%s**: %s" % (host["status"], host.get("message") or "no detail"))
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
            "%s (%s%s)" % (u["name"], u["status"], ": %s" % u["message"] if u.get("message") else "") for u in host["unread"]))
    if not host["findings"]:
        out += ["", "No finding."]
    for f in host["findings"]:
        out += ["", "### %s %s: %s" % (_ICON.get(f["severity"], ""), f["severity"], f["title"]), "",
                "`%s`" % f["id"], ""]
        out += ["- %s" % e for e in f["evidence"]]
        out += ["", "**Remedy:** %s" % f["remedy"]["text"]]
        if f["remedy"].get("role"):
            out += ["", "Role `%s`, host_vars:" % f["remedy"]["role"], "", "```yaml"]
            out += to_yaml(f["remedy"]["vars"]).rstrip("\n").split("\n")[1:]
            out += ["```"]
        for st in f["remedy"].get("settings") or []:
            where = ", %s" % st["file"] if st.get("file") else ""
            out.append("- set `%s = %s` (%s%s)" % (st["setting"], st["value"], st["service"], where))
        for reason in f["remedy"].get("withheld") or []:
            out.append("- withheld by the remedy gate: %s" % reason)
    if host.get("processes"):
        out += ["", "Top processes:", "", "| pid | comm | unit | RSS | oom_score_adj |", "|---:|---|---|---:|---:|"]
        for p in host["processes"][:10]:
            out.append("| %s | %s | %s | %s | %s |" % (p.get("pid"), _cell(p.get("comm")), _cell(p.get("unit") or ""),
                                                       fmt_mb(p.get("rss_mb")), p.get("oom_score_adj")))
    return out


def render_markdown(report):
    """The whole report.md text."""
    t = report["totals"]
    out = ["# headroom.memory diagnose report", "",
           "Generated %s, OOM window since %s. %d host(s): %d critical, %d warning, %d info finding(s), "
           "%d OOM kill(s)." % (human_time(report["generated"]), human_time(report.get("since")), t["hosts"], t["critical"],
                                t["warning"], t["info"], t["kills"]),
           "", "```"]
    out += table_lines(report)
    out += ["```"]
    for host in report["hosts"]:
        out += _host_section(host)
    return "\n".join(out) + "\n"
