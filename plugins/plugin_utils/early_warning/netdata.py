# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Netdata health alarms from the early_warning thresholds (the ones ``rules.alert_rules`` uses).

``netdata_alarms(thresholds, options)`` returns the alarms as data (a list of ordered ``(key, value)`` lists);
``health_conf(thresholds, options, header)`` renders them as one file of Netdata's ``health.d/`` syntax.
The thresholds are validated by ``rules.threshold_errors``: the numbers have one source, the role's defaults.

A Prometheus ``for:`` becomes a ``lookup`` over the same window: ``max`` of available memory below the share
means it stayed below for the whole window, ``min`` of swap use or PSI above it means it stayed above. No
``delay`` is set, so the alarm's status is the condition itself (Netdata's notifications add none either).
The charts are those of Netdata 1.37 (Debian bookworm's package): ``mem.available``, ``system.ram``,
``system.swap``, ``system.swapio`` (KiB/s in and out: the thrashing alarm divides by the 4 KiB page of
x86-64 and arm64 to compare pages a second as the Prometheus rule does), ``system.memory_full_pressure``, ``mem.oom_kill`` (the kernel's ``oom_kill`` counter of
/proc/vmstat: kernel and cgroup OOM kills, not earlyoom's or systemd-oomd's) and the ``cgroup.mem_usage``
template with the cgroup's ``$memory_limit`` (the cgroups Netdata charts one by one: containers, VMs, slices).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.headroom.memory.plugins.plugin_utils.early_warning.rules import _num, threshold_errors

PREFIX = "headroom_memory_"
# every option of the role's netdata part: key -> default
OPTION_DEFAULTS = {"to": "sysadmin", "every": 10}
# Netdata's recipient roles (health_alarm_notify.conf): words, space separated; "silent" mutes
_TO = re.compile(r"^[A-Za-z0-9_-]{1,64}( [A-Za-z0-9_-]{1,64}){0,15}$")
_NAME = re.compile(r"^[a-z0-9_]{1,100}$")
_LINE_VALUE = re.compile(r"^[^\n\r\x00#]*$")
# KiB in one page (x86-64, arm64 with Debian's kernels): system.swapio is in KiB/s, the threshold in pages/s
PAGE_KIB = 4
# the total of MemTotal's parts on system.ram, as Netdata's own ram_available alarm adds it
_RAM_TOTAL = "($system.ram.used + $system.ram.cached + $system.ram.free + $system.ram.buffers)"


def option_errors(options):
    """Readable problems with the netdata options (``to``, ``every``); empty when all is well."""
    if not isinstance(options, dict):
        return ["netdata options must be a mapping, got %s" % type(options).__name__]
    errors = []
    to = options.get("to")
    if not isinstance(to, str) or not _TO.match(to):
        errors.append("early_warning_netdata_to must be Netdata recipient roles (words of A-Z a-z 0-9 _ -, "
                      "space separated), got %r" % (to,))
    every = options.get("every")
    if not isinstance(every, int) or isinstance(every, bool) or not 1 <= every <= 3600:
        errors.append("early_warning_netdata_every must be an integer from 1 to 3600, got %r" % (every,))
    return errors


def _alarm(kind, name, on, lines, options):
    if not _NAME.match(PREFIX + name):
        raise ValueError("alarm name %r must match %s" % (PREFIX + name, _NAME.pattern))
    alarm = [(kind, PREFIX + name), ("on", on), ("class", "Utilization"), ("type", "System"),
             ("component", "Memory"), ("os", "linux"), ("hosts", "*")]
    alarm.extend(lines)
    alarm.append(("to", options["to"]))
    return alarm


def netdata_alarms(thresholds, options=None):
    """The alarms as data; raises ValueError when the thresholds or options are wrong."""
    options = dict(OPTION_DEFAULTS, **(options or {}))
    errors = threshold_errors(thresholds) + option_errors(options)
    if errors:
        raise ValueError("; ".join(errors))
    t = thresholds
    every = "%ds" % options["every"]
    available_info = "MemAvailable as a share of RAM, the highest of the last %s (warning below %s%%, critical below " \
        "%s%%)" % (t["available_for"], _num(t["available_warn_pct"]), _num(t["available_crit_pct"]))
    return [
        _alarm("alarm", "available", "mem.available", [
            ("lookup", "max -%s unaligned of avail" % t["available_for"]),
            ("calc", "$this * 100 / %s" % _RAM_TOTAL),
            ("units", "%"), ("every", every),
            ("warn", "$this < %s" % _num(t["available_warn_pct"])),
            ("crit", "$this < %s" % _num(t["available_crit_pct"])),
            ("info", available_info)], options),
        _alarm("alarm", "pressure", "system.memory_full_pressure", [
            ("lookup", "min -%s unaligned of full 60" % t["psi_for"]),
            ("units", "%"), ("every", every),
            ("warn", "$this > %s" % _num(t["psi_full_avg60_warn"])),
            ("crit", "$this > %s" % _num(t["psi_full_avg60_crit"])),
            ("info", "PSI memory full avg60, the lowest of the last %s (warning above %s%%, critical above %s%%)"
             % (t["psi_for"], _num(t["psi_full_avg60_warn"]), _num(t["psi_full_avg60_crit"])))], options),
        _alarm("alarm", "swap_used", "system.swap", [
            ("lookup", "min -%s unaligned of used" % t["swap_for"]),
            ("calc", "(($this + $free) > 0) ? ($this * 100 / ($this + $free)) : 0"),
            ("units", "%"), ("every", every),
            ("warn", "$this > %s" % _num(t["swap_used_pct"])),
            ("info", "swap used, the lowest of the last %s (warning above %s%%)"
             % (t["swap_for"], _num(t["swap_used_pct"])))], options),
        # rate(pswpin[5m]) + rate(pswpout[5m]) over swap_for: the average of in and out (out is charted negative,
        # hence absolute) over the same window
        _alarm("alarm", "swap_io", "system.swapio", [
            ("lookup", "average -%s unaligned absolute of in,out" % t["swap_for"]),
            ("calc", "$this / %d" % PAGE_KIB),
            ("units", "pages/s"), ("every", every),
            ("warn", "$this > %s" % _num(t["swap_io_pages_per_s"])),
            ("info", "pages swapped in plus out a second, the average of the last %s (warning above %s: "
                     "thrashing)" % (t["swap_for"], _num(t["swap_io_pages_per_s"])))], options),
        _alarm("alarm", "oom_kill", "mem.oom_kill", [
            ("lookup", "sum -%s unaligned of kills" % t["oom_window"]),
            ("units", "kills"), ("every", every),
            ("warn", "$this > 0"),
            ("info", "kernel OOM kills (host and cgroups) in the last %s" % t["oom_window"])], options),
        _alarm("template", "unit_near_limit", "cgroup.mem_usage", [
            ("lookup", "min -%s unaligned of ram" % t["unit_for"]),
            ("calc", "($memory_limit > 0) ? ($this * 100 / $memory_limit) : 0"),
            ("units", "%"), ("every", every),
            ("warn", "$this > %s" % _num(t["unit_limit_pct"])),
            ("info", "cgroup memory against its limit, the lowest of the last %s (warning above %s%%: the kernel "
                     "kills inside it at 100%%)" % (t["unit_for"], _num(t["unit_limit_pct"])))], options),
    ]


def health_conf(thresholds, options=None, header=""):
    """One ``health.d/*.conf`` file of the alarms, after ``header`` (comment lines, e.g. ansible_managed)."""
    lines = [line for line in header.splitlines() if line.strip()]
    if any(not line.startswith("#") for line in lines):
        raise ValueError("the header must be comment lines (starting with #)")
    for alarm in netdata_alarms(thresholds, options):
        lines.append("")
        for key, value in alarm:
            if not _LINE_VALUE.match(value):
                raise ValueError("%s of %s: %r has a newline, NUL or #" % (key, alarm[0][1], value))
            lines.append("%10s: %s" % (key, value))
    return "\n".join(lines) + "\n"
