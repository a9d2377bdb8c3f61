# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that render a triage_fleet report: report_html, report_markdown, report_table and
report_remedy_vars; thin over plugin_utils/report/. Documentation in the matching .yml files."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.headroom.memory.plugins.plugin_utils.lazy_import import LazyModule

# imported on first use: ansible loads this file in every worker that looks up any headroom.memory filter
html_page = LazyModule("ansible_collections.headroom.memory.plugins.plugin_utils.report.html_page")
markdown_page = LazyModule("ansible_collections.headroom.memory.plugins.plugin_utils.report.markdown_page")
console_table = LazyModule("ansible_collections.headroom.memory.plugins.plugin_utils.report.console_table")
yaml_writer = LazyModule("ansible_collections.headroom.memory.plugins.plugin_utils.report.yaml_writer")


def _report(report, name):
    if not isinstance(report, dict) or "hosts" not in report or "totals" not in report:
        raise AnsibleFilterError("%s expects the output of headroom.memory.triage_fleet" % name)
    return report


def report_html(report):
    """index.html text."""
    return html_page.render_html(_report(report, "report_html"))


def report_markdown(report):
    """report.md text."""
    return markdown_page.render_markdown(_report(report, "report_markdown"))


def report_table(report):
    """The console table as a list of lines."""
    return console_table.table_lines(_report(report, "report_table"))


def report_remedy_vars(host):
    """remedy-vars/<host>.yml text for one host entry of the report."""
    if not isinstance(host, dict) or "host" not in host:
        raise AnsibleFilterError("report_remedy_vars expects one entry of a triage_fleet report's hosts")
    return yaml_writer.remedy_document(host)


class FilterModule(object):
    """Report rendering filters."""

    def filters(self):
        return {"report_html": report_html, "report_markdown": report_markdown,
                "report_table": report_table, "report_remedy_vars": report_remedy_vars}
