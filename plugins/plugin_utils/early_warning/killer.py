# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The user-space killer of the early_warning role, planned on the controller.

earlyoom: ``units_from_show(text)`` reads ``systemctl show`` of the units this collection limited,
``earlyoom_lists(units, prefer, avoid, limit)`` turns them into process names to avoid (OOMScoreAdjust
below 0: protected) and to prefer (a memory limit and no protection: bounded), ``earlyoom_argv`` builds
the command line and ``exec_start`` the systemd ExecStart= value. systemd-oomd: ``oomd_errors`` and the
cgroup v2 check ``cgroup_version``. Names are checked by ``name_errors`` so that no regex, shell or unit
syntax ever comes from input: the regexes are built from bracket expressions only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import posixpath
import re

from ansible_collections.headroom.memory.plugins.module_utils.cgroups import cgroup_mounts, detect_version

COMM_MAX = 15  # /proc/<pid>/comm keeps the first 15 bytes of the name
_COMM = re.compile(r"^[A-Za-z0-9_.:@+-]{1,15}$")
_UNIT = re.compile(r"^[A-Za-z0-9:_.@-]{1,250}\.(service|slice|scope)$")
_OOMD_UNIT = re.compile(r"^[A-Za-z0-9:_.@-]{1,250}\.(slice|service)$")
_ERE_SPECIAL = set(".[]{}()\\*+?^$|")
INFINITY = ("infinity", "", "[not set]")


def name_errors(names, what):
    """Problems with a list of process names for --prefer/--avoid."""
    if not isinstance(names, list):
        return ["%s must be a list of process names, got %s" % (what, type(names).__name__)]
    return ["%s: %r is not a process name (1 to 15 of A-Z a-z 0-9 _ . : @ + -)" % (what, n)
            for n in names if not isinstance(n, str) or not _COMM.match(n)]


def unit_errors(units, what, pattern=_UNIT):
    """Problems with a list of systemd unit (or slice) names."""
    if not isinstance(units, list):
        return ["%s must be a list of unit names, got %s" % (what, type(units).__name__)]
    return ["%s: %r is not a unit name of the right kind" % (what, u)
            for u in units if not isinstance(u, str) or not pattern.match(u)]


def units_from_show(text):
    """``systemctl show -p Id,OOMScoreAdjust,MemoryMax,MemoryLimit,ExecStart`` of several units ->
    [{unit, oom_score_adjust, memory_max (bytes or None), exec_path}]."""
    units = []
    for block in re.split(r"\n\s*\n", text or ""):
        props = {}
        for line in block.splitlines():
            key, sep, value = line.partition("=")
            if sep:
                props[key.strip()] = value.strip()
        if not props.get("Id"):
            continue
        limit = None
        for key in ("MemoryMax", "MemoryLimit"):
            value = props.get(key, "")
            if value not in INFINITY and value.isdigit():
                limit = int(value) if limit is None else min(limit, int(value))
        try:
            adj = int(props.get("OOMScoreAdjust", "0") or 0)
        except ValueError:
            adj = 0
        match = re.search(r"path=(.*?) ; ", props.get("ExecStart", ""))
        units.append({"unit": props["Id"], "oom_score_adjust": adj, "memory_max": limit,
                      "exec_path": match.group(1) if match else None})
    return units


def comm_of(path):
    """The process name the kernel gives an executable (its file name, first 15 bytes); None if unusable."""
    if not path:
        return None
    name = posixpath.basename(path)[:COMM_MAX]
    return name if _COMM.match(name) else None


def earlyoom_lists(units, prefer=(), avoid=(), limit=32):
    """(prefer, avoid): sorted process names, at most ``limit`` each. Protected units (OOMScoreAdjust < 0)
    and ``avoid`` win over bounded units (a memory limit) and ``prefer``: a name is never in both."""
    avoid_set = set(avoid)
    prefer_set = set(prefer)
    for unit in units or []:
        comm = comm_of(unit.get("exec_path"))
        if comm is None:
            continue
        if unit.get("oom_score_adjust", 0) < 0:
            avoid_set.add(comm)
        elif unit.get("memory_max") is not None:
            prefer_set.add(comm)
    prefer_set -= avoid_set
    return sorted(prefer_set)[:limit], sorted(avoid_set)[:limit]


def ere_literal(name):
    """``name`` as a POSIX extended regex matching only itself, with bracket expressions, no backslash."""
    return "".join("[%s]" % c if c in _ERE_SPECIAL else c for c in name)


def ere_names(names):
    """``^(a|b)$`` matching exactly the given names, or None for none."""
    if not names:
        return None
    return "^(%s)$" % "|".join(ere_literal(n) for n in names)


def earlyoom_argv(settings, prefer, avoid):
    """earlyoom's arguments from {mem_term_percent, mem_kill_percent, swap_term_percent, swap_kill_percent,
    mem_term_kib, mem_kill_kib, report_interval} and the name lists."""
    s = settings
    argv = ["-m", "%d,%d" % (s["mem_term_percent"], s["mem_kill_percent"]),
            "-s", "%d,%d" % (s["swap_term_percent"], s["swap_kill_percent"])]
    if s.get("mem_term_kib") is not None:
        kill = s.get("mem_kill_kib")
        argv += ["-M", "%d,%d" % (s["mem_term_kib"], kill) if kill is not None else "%d" % s["mem_term_kib"]]
    argv += ["-r", "%d" % s["report_interval"]]
    if prefer:
        argv += ["--prefer", ere_names(prefer)]
    if avoid:
        argv += ["--avoid", ere_names(avoid)]
    return argv


def earlyoom_errors(settings):
    """Problems with the earlyoom settings (see earlyoom_argv)."""
    errors = []

    def integer(key, low, high, optional=False):
        value = settings.get(key)
        if value is None and optional:
            return None
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            errors.append("earlyoom %s must be an integer from %s to %s, got %r" % (key, low, high, value))
            return None
        return value

    mt, mk = integer("mem_term_percent", 1, 99), integer("mem_kill_percent", 1, 99)
    st, sk = integer("swap_term_percent", 1, 100), integer("swap_kill_percent", 1, 100)
    for term, kill, what in ((mt, mk, "mem"), (st, sk, "swap")):
        if term is not None and kill is not None and kill > term:
            errors.append("earlyoom %s_kill_percent (%s) must not be above %s_term_percent (%s)" % (what, kill, what, term))
    tk = integer("mem_term_kib", 1, 2 ** 50, optional=True)
    kk = integer("mem_kill_kib", 1, 2 ** 50, optional=True)
    if kk is not None and tk is None and settings.get("mem_term_kib") is None:
        errors.append("earlyoom mem_kill_kib needs mem_term_kib")
    if tk is not None and kk is not None and kk > tk:
        errors.append("earlyoom mem_kill_kib (%s) must not be above mem_term_kib (%s)" % (kk, tk))
    integer("report_interval", 0, 86400 * 7)
    return errors


def exec_start(binary, argv):
    """An ExecStart= value: systemd expands $ and % in unit files, so both are doubled."""
    words = [binary] + list(argv)
    return " ".join(w.replace("%", "%%").replace("$", "$$") for w in words)


def cgroup_version(mountinfo_text):
    """'1', '2', 'hybrid' or None from /proc/self/mountinfo text (systemd-oomd needs '2')."""
    return detect_version(cgroup_mounts(mountinfo_text))


def oomd_errors(slices, pressure_limit_pct, duration, swap_used_limit_pct):
    """Problems with the systemd-oomd settings."""
    errors = unit_errors(slices, "early_warning_oomd_units", _OOMD_UNIT)
    if isinstance(slices, list) and not slices:
        errors.append("early_warning_oomd_units is empty: systemd-oomd would watch nothing")
    for key, value in (("early_warning_oomd_pressure_limit_pct", pressure_limit_pct),
                       ("early_warning_oomd_swap_used_limit_pct", swap_used_limit_pct)):
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 99:
            errors.append("%s must be an integer from 1 to 99, got %r" % (key, value))
    if not isinstance(duration, str) or not re.match(r"^[1-9][0-9]{0,5}(s|min|h)$", duration):
        errors.append("early_warning_oomd_pressure_duration must be a duration such as 30s, 2min or 1h, got %r" % (duration,))
    return errors
