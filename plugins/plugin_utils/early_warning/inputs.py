# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every input of the early_warning role checked at once, before the role asks the host anything.

``input_errors(v)``: ``v`` maps each public variable (full name) to its value; the result is a list of
readable problems, each naming the variable and the value, empty when all is well.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.headroom.memory.plugins.plugin_utils.booleans import bool_errors
from ansible_collections.headroom.memory.plugins.plugin_utils.early_warning.killer import (
    earlyoom_errors, name_errors, oomd_errors)
from ansible_collections.headroom.memory.plugins.plugin_utils.early_warning.netdata import option_errors
from ansible_collections.headroom.memory.plugins.plugin_utils.early_warning.rules import threshold_errors

KILLERS = ("none", "earlyoom", "systemd-oomd")
SOURCES = ("kmsg", "journal", "syslog")
VALIDATE = ("auto", "always", "never")
NETDATA_MISSING = ("warn", "fail")
# absolute, no .. component, no whitespace, quotes, $, %, backslash or glob: these go into unit files
_PATH = re.compile(r"^/(?!.*(?:^|/)\.\.?(?:/|$))[A-Za-z0-9_./@+-]*$")
_PROM_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,100}\.prom$")
P = "early_warning_"


def _int(v, key, low, high, errors):
    value = v.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        errors.append("%s must be an integer from %s to %s, got %r" % (key, low, high, value))


def _path(v, key, errors, optional=False):
    value = v.get(key)
    if value is None and optional:
        return
    if not isinstance(value, str) or not _PATH.match(value) or len(value) > 255 or value == "/":
        errors.append("%s must be an absolute path of A-Z a-z 0-9 _ . / @ + - without .. components, got %r"
                      % (key, value))


def thresholds_of(v):
    """The rule thresholds out of the role variables."""
    return dict((key[len(P):], v[key]) for key in v if key.startswith(P) and key[len(P):] in THRESHOLD_NAMES)


THRESHOLD_NAMES = ("available_warn_pct", "available_crit_pct", "available_for", "psi_full_avg60_warn",
                   "psi_full_avg60_crit", "psi_for", "oom_window", "unit_limit_pct", "unit_for", "swap_used_pct",
                   "swap_io_pages_per_s", "swap_for", "collector_stale_s")


def earlyoom_settings(v):
    keys = ("mem_term_percent", "mem_kill_percent", "swap_term_percent", "swap_kill_percent", "mem_term_kib",
            "mem_kill_kib", "report_interval")
    return dict((k, v.get(P + "earlyoom_" + k)) for k in keys)


def netdata_options(v):
    """The options of the Netdata alarms (plugin_utils.early_warning.netdata) out of the role variables."""
    return {"to": v.get(P + "netdata_to"), "every": v.get(P + "netdata_every")}


def input_errors(v):
    """Problems with the role's inputs (see the module docstring)."""
    if not isinstance(v, dict):
        return ["the role inputs must be a mapping"]
    errors = []
    switches = ("early_warning_collector", "early_warning_earlyoom_from_units", "early_warning_netdata",
                "early_warning_netdata_install")
    errors.extend(bool_errors(dict((key, v.get(key)) for key in switches)))
    for key in ("early_warning_install_dir", "early_warning_state_dir", "early_warning_textfile_dir",
                "early_warning_python", "early_warning_netdata_config_dir", "early_warning_netdatacli"):
        _path(v, key, errors)
    _path(v, "early_warning_rules_dest", errors, optional=True)
    name = v.get("early_warning_textfile_name")
    if not isinstance(name, str) or not _PROM_NAME.match(name):
        errors.append("early_warning_textfile_name must be a file name ending in .prom (A-Z a-z 0-9 _ . -), got %r"
                      % (name,))
    _int(v, "early_warning_interval", 5, 3600, errors)
    _int(v, "early_warning_top_units", 0, 1000, errors)
    _int(v, "early_warning_max_oom_series", 0, 1000, errors)
    sources = v.get("early_warning_oom_sources")
    if not isinstance(sources, list) or not sources or any(s not in SOURCES for s in sources):
        errors.append("early_warning_oom_sources must be a non-empty list of %s, got %r" % (", ".join(SOURCES), sources))
    if v.get("early_warning_rules_validate") not in VALIDATE:
        errors.append("early_warning_rules_validate must be one of %s, got %r"
                      % (", ".join(VALIDATE), v.get("early_warning_rules_validate")))
    errors.extend(threshold_errors(thresholds_of(v), v.get("early_warning_rules_labels")))
    if v.get("early_warning_netdata_missing") not in NETDATA_MISSING:
        errors.append("early_warning_netdata_missing must be one of %s, got %r"
                      % (", ".join(NETDATA_MISSING), v.get("early_warning_netdata_missing")))
    errors.extend(option_errors(netdata_options(v)))
    killer = v.get("early_warning_killer")
    if killer not in KILLERS:
        errors.append("early_warning_killer must be one of %s, got %r" % (", ".join(KILLERS), killer))
    errors.extend(name_errors(v.get("early_warning_earlyoom_prefer"), "early_warning_earlyoom_prefer"))
    errors.extend(name_errors(v.get("early_warning_earlyoom_avoid"), "early_warning_earlyoom_avoid"))
    errors.extend(earlyoom_errors(earlyoom_settings(v)))
    errors.extend(oomd_errors(v.get("early_warning_oomd_units"), v.get("early_warning_oomd_pressure_limit_pct"),
                              v.get("early_warning_oomd_pressure_duration"),
                              v.get("early_warning_oomd_swap_used_limit_pct")))
    return errors
