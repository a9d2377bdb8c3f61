# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters headroom.memory.triage and headroom.memory.triage_fleet: thin over plugin_utils/triage/.
Their documentation is in triage.yml and triage_fleet.yml.

Their results are marked unsafe: findings quote what the hosts report (process and container names, images,
compose labels), and the diagnose role keeps the report as a fact; ansible-core 2.16 would template any
``{{ ... }}`` in such a string again, on the controller, whenever the fact is used."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible.utils.unsafe_proxy import wrap_var

from ansible_collections.headroom.memory.plugins.plugin_utils.triage.engine import (
    TriageError, triage_fleet as _triage_fleet, triage_host)
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.common import ThresholdError


def _interval(value):
    if value in (None, "", 0, "0"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise AnsibleFilterError("sample interval must be a whole number of seconds, got %r" % (value,))


def triage(facts, thresholds=None, sample2=None, interval=None):
    """Findings for one host's ansible_facts['headroom'], worst first."""
    try:
        return wrap_var(triage_host(facts, thresholds, sample2, _interval(interval)))
    except (TriageError, ThresholdError) as exc:
        raise AnsibleFilterError(str(exc))


def triage_fleet(entries, since=None, interval=None, generated=None):
    """The report data for a list of {host, facts, result, sample2, thresholds}."""
    if not isinstance(entries, (list, tuple)):
        raise AnsibleFilterError("triage_fleet expects a list of host entries, got %s" % type(entries).__name__)
    try:
        return wrap_var(_triage_fleet(entries, since=since, interval_s=_interval(interval), generated=generated))
    except (TriageError, ThresholdError) as exc:
        raise AnsibleFilterError(str(exc))


class FilterModule(object):
    """Triage filters."""

    def filters(self):
        return {"triage": triage, "triage_fleet": triage_fleet}
