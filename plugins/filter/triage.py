# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters headroom.memory.triage and headroom.memory.triage_fleet: thin over plugin_utils/triage/.
Their documentation is in triage.yml and triage_fleet.yml.

Their results are marked unsafe: findings quote what the hosts report (process and container names, images,
compose labels), and the diagnose role keeps the report as a fact; ansible-core 2.16 would template any
``{{ ... }}`` in such a string again, on the controller, whenever the fact is used."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible.utils.unsafe_proxy import wrap_var

from ansible_collections.headroom.memory.plugins.plugin_utils.lazy_import import LazyModule

# imported on first use: ansible loads this file in every worker that looks up any headroom.memory filter
engine = LazyModule("ansible_collections.headroom.memory.plugins.plugin_utils.triage.engine")
common = LazyModule("ansible_collections.headroom.memory.plugins.plugin_utils.triage.common")


def _plain(value):
    """``value`` with plain dicts and lists all the way down. ansible-core 2.19 hands a filter lazy containers (a
    host's facts, inventory values) that may pass into the findings, and wrap_var rebuilds a sequence by calling
    its type, which a lazy container refuses ("Direct construction of lazy containers is not supported").

    The inputs are made plain too, once, before any rule reads them: the facts' shape check and the rules read
    each value many times, and every read from a lazy container goes through ansible-core's access and templating
    hooks (diagnose at 64 hosts: 430,000 reads, 12 s of the filter's 17 s CPU); one copy reads each value once."""
    if isinstance(value, Mapping):
        return dict((k, _plain(v)) for k, v in value.items())
    if isinstance(value, tuple) and type(value) is tuple:  # pylint: disable=unidiomatic-typecheck
        return tuple(_plain(v) for v in value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def unsafe(value):
    """The filters' results, marked unsafe (see the module doc) once made plain."""
    return wrap_var(_plain(value))


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
        return unsafe(engine.triage_host(_plain(facts), _plain(thresholds), _plain(sample2), _interval(interval)))
    except (engine.TriageError, common.ThresholdError) as exc:
        raise AnsibleFilterError(str(exc))


def triage_fleet(entries, since=None, interval=None, generated=None):
    """The report data for a list of {host, facts, result, sample2, thresholds}."""
    if not isinstance(entries, (list, tuple)):
        raise AnsibleFilterError("triage_fleet expects a list of host entries, got %s" % type(entries).__name__)
    try:
        return unsafe(engine.triage_fleet(_plain(entries), since=since, interval_s=_interval(interval), generated=generated))
    except (engine.TriageError, common.ThresholdError) as exc:
        raise AnsibleFilterError(str(exc))


class FilterModule(object):
    """Triage filters."""

    def filters(self):
        return {"triage": triage, "triage_fleet": triage_fleet}
