# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Prometheus alert rules over the early_warning collector's metrics (controller side).

``threshold_errors(thresholds)`` lists what is wrong with a thresholds mapping (every key of
``THRESHOLD_KEYS`` must be there: the role's defaults are the one source of the values, and a unit test
checks that the ones diagnose also has agree with its DEFAULT_THRESHOLDS). ``alert_rules(thresholds,
labels)`` returns the rules file as data: ``{'groups': [{'name', 'rules': [...]}]}``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

GROUP = "headroom-memory-early-warning"
OTHER = "__other__"  # the collector's label value for the units summed beyond its top N

# key -> (kind, description); pct: 0 < x < 100, rate: x > 0, duration: Prometheus duration
THRESHOLD_KEYS = {
    "available_warn_pct": ("pct", "MemAvailable below this % of MemTotal warns"),
    "available_crit_pct": ("pct", "MemAvailable below this % of MemTotal is critical"),
    "available_for": ("duration", "how long available memory must stay low"),
    "psi_full_avg60_warn": ("pct", "PSI memory full avg60 above this % warns"),
    "psi_full_avg60_crit": ("pct", "PSI memory full avg60 above this % is critical"),
    "psi_for": ("duration", "how long memory pressure must stay high"),
    "oom_window": ("duration", "how long an OOM kill keeps its alert firing"),
    "unit_limit_pct": ("pct", "a unit using more than this % of its memory limit warns"),
    "unit_for": ("duration", "how long a unit must stay near its limit"),
    "swap_used_pct": ("pct", "swap used above this % warns"),
    "swap_io_pages_per_s": ("rate", "pages swapped in plus out per second that count as thrashing"),
    "swap_for": ("duration", "how long swap must stay full or busy"),
    "collector_stale_s": ("rate", "seconds without a new textfile before the collector counts as stale"),
}
_DURATION = re.compile(r"^[1-9][0-9]{0,5}[smh]$")
_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
RESERVED_LABELS = ("severity", "alertname")


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def threshold_errors(thresholds, labels=None):
    """Readable problems with ``thresholds`` (and extra alert ``labels``); empty when all is well."""
    if not isinstance(thresholds, dict):
        return ["thresholds must be a mapping, got %s" % type(thresholds).__name__]
    errors = []
    for key in sorted(THRESHOLD_KEYS):
        kind = THRESHOLD_KEYS[key][0]
        if key not in thresholds:
            errors.append("%s is missing" % key)
            continue
        value = thresholds[key]
        if kind == "duration":
            if not isinstance(value, str) or not _DURATION.match(value):
                errors.append("%s must be a duration such as 30s, 5m or 1h, got %r" % (key, value))
        elif kind == "pct":
            if not _number(value) or not 0 < value < 100:
                errors.append("%s must be a number above 0 and below 100, got %r" % (key, value))
        elif not _number(value) or value <= 0:
            errors.append("%s must be a number above 0, got %r" % (key, value))
    for key in sorted(set(thresholds) - set(THRESHOLD_KEYS)):
        errors.append("%s is not a threshold (known: %s)" % (key, ", ".join(sorted(THRESHOLD_KEYS))))
    if not errors:
        for low, high in (("available_crit_pct", "available_warn_pct"), ("psi_full_avg60_warn", "psi_full_avg60_crit")):
            if thresholds[low] > thresholds[high]:
                errors.append("%s (%s) must not be above %s (%s)" % (low, thresholds[low], high, thresholds[high]))
    if labels is not None:
        if not isinstance(labels, dict):
            errors.append("labels must be a mapping, got %s" % type(labels).__name__)
        else:
            for name in sorted(labels, key=str):
                if not isinstance(name, str) or not _LABEL_NAME.match(name) or name.startswith("__"):
                    errors.append("label name %r must match %s and not start with __" % (name, _LABEL_NAME.pattern))
                elif name in RESERVED_LABELS:
                    errors.append("label %s is set by the rules themselves" % name)
                elif not isinstance(labels[name], str) or "{{" in labels[name] or "{%" in labels[name]:
                    errors.append("label %s: the value must be a plain string, got %r" % (name, labels[name]))
    return errors


def _num(value):
    """A threshold as PromQL writes it: 0.1, 2, 0.025."""
    text = repr(round(float(value), 6))
    return text[:-2] if text.endswith(".0") else text


def _rule(name, expr, duration, severity, summary, description, labels):
    rule = {"alert": name, "expr": expr}
    if duration:
        rule["for"] = duration
    rule["labels"] = dict(labels, severity=severity)
    rule["annotations"] = {"summary": summary, "description": description}
    return rule


def alert_rules(thresholds, labels=None):
    """The rules file as data; raises ValueError when ``threshold_errors`` finds anything."""
    errors = threshold_errors(thresholds, labels)
    if errors:
        raise ValueError("; ".join(errors))
    t = thresholds
    labels = dict(labels or {})
    inst = "{{ $labels.instance }}"
    unit_sel = '{unit!="%s"}' % OTHER
    rules = [
        _rule("HeadroomMemoryAvailableLow",
              "headroom_memory_available_ratio < %s" % _num(t["available_warn_pct"] / 100.0),
              t["available_for"], "warning", "Available memory below %s%% on %s" % (_num(t["available_warn_pct"]), inst),
              "MemAvailable is {{ $value | humanizePercentage }} of MemTotal on %s." % inst, labels),
        _rule("HeadroomMemoryAvailableCritical",
              "headroom_memory_available_ratio < %s" % _num(t["available_crit_pct"] / 100.0),
              t["available_for"], "critical", "Available memory below %s%% on %s" % (_num(t["available_crit_pct"]), inst),
              "MemAvailable is {{ $value | humanizePercentage }} of MemTotal on %s: the OOM killer is near." % inst,
              labels),
        _rule("HeadroomMemoryPressureHigh",
              'headroom_memory_pressure_ratio{kind="full",window="60s"} > %s' % _num(t["psi_full_avg60_warn"] / 100.0),
              t["psi_for"], "warning", "Memory pressure (PSI full avg60) above %s%% on %s" % (
                  _num(t["psi_full_avg60_warn"]), inst),
              "All non-idle tasks stalled on memory {{ $value | humanizePercentage }} of the last minute on %s." % inst,
              labels),
        _rule("HeadroomMemoryPressureCritical",
              'headroom_memory_pressure_ratio{kind="full",window="60s"} > %s' % _num(t["psi_full_avg60_crit"] / 100.0),
              t["psi_for"], "critical", "Memory pressure (PSI full avg60) above %s%% on %s" % (
                  _num(t["psi_full_avg60_crit"]), inst),
              "All non-idle tasks stalled on memory {{ $value | humanizePercentage }} of the last minute on %s: the "
              "host is thrashing." % inst, labels),
        _rule("HeadroomOOMKill",
              "increase(headroom_oom_kills_total[{w}]) > 0 or (time() - headroom_oom_kill_last_timestamp_seconds) < {s}"
              .format(w=t["oom_window"], s=_duration_seconds(t["oom_window"])),
              None, "warning",
              "OOM kill on %s: {{ $labels.killer }} killed {{ $labels.comm }}{{ with $labels.unit }} in {{ . }}{{ end }}"
              % inst,
              "The {{ $labels.killer }} OOM killer killed {{ $labels.comm }}{{ with $labels.unit }} (unit {{ . }}){{ end }}"
              " on %s in the last %s." % (inst, t["oom_window"]), labels),
        # the same story told earlier: PM2 restarted an app at its max_memory_restart before the kernel had to
        _rule("HeadroomPM2MemoryRestart",
              "increase(headroom_pm2_memory_restarts_total[{w}]) > 0".format(w=t["oom_window"]),
              None, "warning",
              "PM2 restarted {{ $labels.app }} at its memory threshold on %s" % inst,
              "PM2 ({{ $labels.home }}) restarted {{ $labels.app }} (pm_id {{ $labels.pm_id }}) because it exceeded "
              "its max_memory_restart on %s in the last %s." % (inst, t["oom_window"]), labels),
        _rule("HeadroomUnitNearMemoryMax",
              "headroom_unit_memory_current_bytes{sel} / headroom_unit_memory_max_bytes{sel} > {r}".format(
                  sel=unit_sel, r=_num(t["unit_limit_pct"] / 100.0)),
              t["unit_for"], "warning", "{{ $labels.unit }} uses over %s%% of its memory limit on %s" % (
                  _num(t["unit_limit_pct"]), inst),
              "{{ $labels.unit }} uses {{ $value | humanizePercentage }} of its MemoryMax on %s: the kernel kills "
              "inside it at 100%%." % inst, labels),
        _rule("HeadroomSwapNearlyFull",
              "headroom_swap_used_ratio > %s" % _num(t["swap_used_pct"] / 100.0),
              t["swap_for"], "warning", "Swap over %s%% used on %s" % (_num(t["swap_used_pct"]), inst),
              "Swap is {{ $value | humanizePercentage }} used on %s." % inst, labels),
        _rule("HeadroomSwapThrashing",
              "rate(headroom_swap_pages_in_total[5m]) + rate(headroom_swap_pages_out_total[5m]) > %s"
              % _num(t["swap_io_pages_per_s"]),
              t["swap_for"], "warning", "Swap thrashing on %s" % inst,
              "{{ $value | humanize }} pages/s swapped in and out on %s." % inst, labels),
        _rule("HeadroomCollectorStale",
              "time() - headroom_collector_last_run_timestamp_seconds > %s" % _num(t["collector_stale_s"]),
              None, "warning", "The headroom.memory collector has not run on %s" % inst,
              "The early_warning textfile on %s is {{ $value | humanizeDuration }} old: its timer is not running." % inst,
              labels),
    ]
    return {"groups": [{"name": GROUP, "rules": rules}]}


def _duration_seconds(text):
    return int(text[:-1]) * {"s": 1, "m": 60, "h": 3600}[text[-1]]
