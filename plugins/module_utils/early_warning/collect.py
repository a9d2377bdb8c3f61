# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The early_warning collector: reads the host, keeps a small state, writes a node_exporter textfile.

It runs on the target from a systemd timer, with Python's standard library and this collection's
own readers (procfs, cgroups, oom.history), which the role copies next to it. Pure parts:

- ``memory_families(meminfo, vmstat, pressure)``: available memory, swap, swap I/O, PSI.
- ``unit_families(limited, top)``: memory current vs limit of the cgroups that have a limit.
- ``oom_update(state, boot_id, events, max_series)``: counts OOM kills by killer/unit/comm since boot,
  each kill once however many runs and sources see it; ``oom_families(state)`` renders them.
- ``main(argv)`` wires them to /proc, /sys/fs/cgroup and the logs, and replaces the file atomically.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import calendar
import json
import os
import subprocess
import sys
import tempfile
import time

from ansible_collections.headroom.memory.plugins.module_utils.cgroups import cgroup_mounts, scan_hierarchy
from ansible_collections.headroom.memory.plugins.module_utils.early_warning.textfile import OTHER, family, render, top_n
from ansible_collections.headroom.memory.plugins.module_utils.procfs import (
    parse_meminfo, parse_pressure, parse_vmstat, read_boot_time, read_text)
from ansible_collections.headroom.memory.plugins.module_utils.oom.history import collect_oom_history

MIB = 1024 * 1024
SOURCES = ("kmsg", "journal", "syslog")
STATE_VERSION = 1
MAX_SEEN = 50000  # kill identities remembered per boot; beyond, the oldest are forgotten (their counts stay)


def _kb(meminfo, key):
    value = meminfo.get(key)
    return None if value is None else value * 1024


def memory_families(meminfo, vmstat, pressure):
    """Families for MemAvailable, swap, swap paging and PSI memory from parsed /proc files."""
    total, avail = _kb(meminfo, "MemTotal"), _kb(meminfo, "MemAvailable")
    swap_total, swap_free = _kb(meminfo, "SwapTotal"), _kb(meminfo, "SwapFree")
    swap_used = None if swap_total is None or swap_free is None else max(swap_total - swap_free, 0)
    fams = [
        family("headroom_memory_total_bytes", "gauge", "MemTotal of /proc/meminfo.", [({}, total)]),
        family("headroom_memory_available_bytes", "gauge", "MemAvailable of /proc/meminfo.", [({}, avail)]),
        family("headroom_memory_available_ratio", "gauge", "MemAvailable / MemTotal (0 to 1).",
               [({}, round(float(avail) / total, 6) if total and avail is not None else None)]),
        family("headroom_swap_total_bytes", "gauge", "SwapTotal of /proc/meminfo (0: no swap).", [({}, swap_total)]),
        family("headroom_swap_used_bytes", "gauge", "SwapTotal - SwapFree.", [({}, swap_used)]),
        family("headroom_swap_used_ratio", "gauge", "Swap used / swap total (0 to 1); absent without swap.",
               [({}, round(float(swap_used) / swap_total, 6) if swap_total and swap_used is not None else None)]),
        family("headroom_swap_pages_in_total", "counter", "Pages swapped in since boot (pswpin of /proc/vmstat).",
               [({}, vmstat.get("pswpin"))]),
        family("headroom_swap_pages_out_total", "counter", "Pages swapped out since boot (pswpout of /proc/vmstat).",
               [({}, vmstat.get("pswpout"))]),
    ]
    ratio, stall = [], []
    for kind in ("some", "full"):
        entry = (pressure or {}).get(kind) or {}
        for key, window in (("avg10", "10s"), ("avg60", "60s"), ("avg300", "300s")):
            value = entry.get(key)
            ratio.append(({"kind": kind, "window": window}, None if value is None else round(value / 100.0, 6)))
        total_us = entry.get("total_us")
        stall.append(({"kind": kind}, None if total_us is None else total_us / 1e6))
    fams.append(family("headroom_memory_pressure_ratio", "gauge",
                       "PSI memory (/proc/pressure/memory): share of time some or all tasks stalled on memory, "
                       "averaged over the window (0 to 1).", ratio))
    fams.append(family("headroom_memory_pressure_stall_seconds_total", "counter",
                       "PSI memory total stall time since boot.", stall))
    return fams


def _ratio(row):
    return float(row["usage"] or 0) / row["limit"] if row["limit"] else 0.0


def unit_rows(limited):
    """scan_hierarchy's ``limited`` entries -> [{unit, usage, limit}] in bytes (MiB resolution)."""
    rows = []
    for entry in limited or []:
        if entry.get("limit_mb") is None:
            continue
        rows.append({"unit": entry.get("unit") or entry.get("cgroup") or "",
                     "usage": None if entry.get("usage_mb") is None else entry["usage_mb"] * MIB,
                     "limit": entry["limit_mb"] * MIB})
    return rows


def unit_families(limited, top):
    """Per-unit memory current and limit for the ``top`` units closest to their limit, the rest summed."""
    rows = unit_rows(limited)

    def fold(rest):
        return {"unit": OTHER, "usage": sum(r["usage"] or 0 for r in rest), "limit": sum(r["limit"] for r in rest)}

    kept = top_n(rows, top, _ratio, fold)
    return [
        family("headroom_unit_memory_current_bytes", "gauge",
               "Memory use of a unit (cgroup) that has a memory limit, MiB resolution; the units beyond the top N "
               "closest to their limit are summed under unit=\"%s\"." % OTHER,
               [({"unit": r["unit"]}, r["usage"]) for r in kept]),
        family("headroom_unit_memory_max_bytes", "gauge",
               "Memory limit (MemoryMax, memory.max or memory.limit_in_bytes) of the same units.",
               [({"unit": r["unit"]}, r["limit"]) for r in kept]),
        family("headroom_unit_memory_limited_units", "gauge", "Number of cgroups that have a memory limit.",
               [({}, len(rows))]),
    ]


def iso_to_epoch(text):
    """'2026-11-25T19:10:21.93Z' -> epoch seconds (float); None for None or anything else."""
    if not text or not text.endswith("Z"):
        return None
    main, _dot, frac = text[:-1].partition(".")
    try:
        secs = calendar.timegm(time.strptime(main, "%Y-%m-%dT%H:%M:%S"))
        return secs + (float("0." + frac) if frac else 0.0)
    except ValueError:
        return None


def event_key(event):
    """What identifies one kill across runs and sources: the killer, the victim's pid and name.

    The time is left out on purpose: the ring buffer and the journal stamp the same kill a little apart.
    Events without a pid (a systemd notice whose kernel report is gone) fall back to unit and time.
    """
    victim = event.get("victim") or {}
    if victim.get("pid") is not None:
        return "%s|%s|%s" % (event.get("killer"), victim.get("pid"), victim.get("comm"))
    return "%s|unit=%s|%s" % (event.get("killer"), event.get("unit"), event.get("time"))


def new_state(boot_id):
    return {"version": STATE_VERSION, "boot_id": boot_id, "seen": [], "series": []}


def oom_update(state, boot_id, events, max_series, max_seen=MAX_SEEN):
    """Count the kills of ``events`` not counted before in this boot; returns the new state.

    ``state['series']`` is a list of {killer, unit, comm, count, last}; a label set gets a series of its own
    when fewer than ``max_series`` exist, else it is counted under unit and comm ``__other__`` (one per
    killer). A series never moves or shrinks within a boot, so every counter only grows.
    """
    if not isinstance(state, dict) or state.get("version") != STATE_VERSION or state.get("boot_id") != boot_id:
        state = new_state(boot_id)
    seen = list(state.get("seen") or [])
    seen_set = set(seen)
    series = [dict(s) for s in state.get("series") or []]
    index = dict(((s["killer"], s["unit"], s["comm"]), s) for s in series)
    own = len([s for s in series if s["unit"] != OTHER or s["comm"] != OTHER])
    for event in events:
        key = event_key(event)
        if key in seen_set:
            continue
        seen_set.add(key)
        seen.append(key)
        victim = event.get("victim") or {}
        labels = (event.get("killer") or "unknown", event.get("unit") or "", victim.get("comm") or "")
        if labels[1] == OTHER or labels[2] == OTHER:
            labels = (labels[0], OTHER, OTHER)
        if labels not in index:
            if own < max_series and labels[1:] != (OTHER, OTHER):
                own += 1
            else:
                labels = (labels[0], OTHER, OTHER)
        row = index.get(labels)
        if row is None:
            row = {"killer": labels[0], "unit": labels[1], "comm": labels[2], "count": 0, "last": None}
            index[labels] = row
            series.append(row)
        row["count"] += 1
        when = iso_to_epoch(event.get("time"))
        if when is not None and (row["last"] is None or when > row["last"]):
            row["last"] = when
    if len(seen) > max_seen:
        seen = seen[-max_seen:]
    return {"version": STATE_VERSION, "boot_id": boot_id, "seen": seen, "series": series}


def oom_families(state, sources=()):
    """OOM-kill counters and last-kill times from the state, and which log sources could be read."""
    series = state.get("series") or []
    counts, last = [], []
    newest = None
    for row in series:
        labels = {"killer": row["killer"], "unit": row["unit"], "comm": row["comm"]}
        counts.append((labels, row["count"]))
        if row["last"] is not None:
            last.append((labels, row["last"]))
            newest = row["last"] if newest is None else max(newest, row["last"])
    return [
        family("headroom_oom_kills_total", "counter",
               "OOM kills since boot by killer (kernel, systemd-oomd, earlyoom), systemd unit and process name; "
               "label sets beyond the cap are counted under unit and comm \"%s\"." % OTHER, counts),
        family("headroom_oom_kill_last_timestamp_seconds", "gauge",
               "Time of the last OOM kill of the same labels (epoch seconds).", last),
        family("headroom_oom_last_kill_timestamp_seconds", "gauge",
               "Time of the last OOM kill of any kind since boot (epoch seconds); absent when there was none.",
               [({}, newest)]),
        family("headroom_oom_source_readable", "gauge",
               "Whether a log source of OOM kills could be read in the last run (1) or not (0).",
               [({"source": s["name"]}, 1 if s["status"] == "read" else 0) for s in sources]),
    ]


def collector_families(started, finished):
    return [
        family("headroom_collector_last_run_timestamp_seconds", "gauge",
               "When the headroom.memory collector last wrote this file (epoch seconds).", [({}, round(finished, 3))]),
        family("headroom_collector_duration_seconds", "gauge",
               "How long the last run of the collector took.", [({}, round(finished - started, 3))]),
    ]


def write_atomic(path, text, mode=0o644):
    """Replace ``path`` with ``text``: a temp file in the same directory (not ending in .prom, so the
    textfile collector never reads it half-written), fsync, chmod, rename."""
    directory, base = os.path.split(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + base + ".", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.rename(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def load_state(path):
    """The JSON state, or None when missing or unreadable (a fresh state is then started)."""
    try:
        with open(path, "rb") as handle:
            return json.loads(handle.read().decode("utf-8"))
    except (IOError, OSError, ValueError):
        return None


def run_command(args, environ_update=None):
    """(rc, stdout, stderr) of ``args`` without a shell; text decoded with replacement of bad bytes."""
    env = dict(os.environ)
    env.update(environ_update or {})
    try:
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    except OSError as exc:
        return 127, "", str(exc)
    out, err = proc.communicate()
    return proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="headroom-memory-collect",
                                     description="Write headroom.memory metrics for node_exporter's textfile collector.")
    parser.add_argument("--output", required=True, help="the .prom file to replace")
    parser.add_argument("--state", required=True, help="JSON file that remembers the kills counted since boot")
    parser.add_argument("--top-units", type=int, default=10, help="units with their own series (default 10)")
    parser.add_argument("--max-oom-series", type=int, default=50, help="OOM label sets with their own series")
    parser.add_argument("--oom-source", action="append", choices=SOURCES, dest="sources",
                        help="where OOM kills are read from (repeatable; default kmsg and journal)")
    # for tests and replays: read these log files instead of the host's sources
    parser.add_argument("--oom-file", action="append", dest="files", default=[], help=argparse.SUPPRESS)
    parser.add_argument("--proc", default="/proc", help=argparse.SUPPRESS)
    parser.add_argument("--rootfs", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not args.output.endswith(".prom"):
        parser.error("--output %s: node_exporter reads only files ending in .prom" % args.output)
    if args.top_units < 0 or args.max_oom_series < 0:
        parser.error("--top-units and --max-oom-series must be 0 or more")
    args.sources = args.sources or (["files"] if args.files else ["kmsg", "journal"])
    return args


def collect(args, now=None):
    """Read everything and return (text, state) without writing anything."""
    started = time.time() if now is None else now
    proc = args.proc
    meminfo = parse_meminfo(read_text(os.path.join(proc, "meminfo")))
    vmstat = parse_vmstat(read_text(os.path.join(proc, "vmstat")))
    pressure = parse_pressure(read_text(os.path.join(proc, "pressure", "memory")))
    mounts = cgroup_mounts(read_text(os.path.join(proc, "self", "mountinfo")))
    limited, _unlimited = scan_hierarchy(mounts, args.rootfs)
    boot_id = (read_text(os.path.join(proc, "sys", "kernel", "random", "boot_id")) or "").strip() or None
    history = collect_oom_history(sources=args.sources, files=args.files, since="boot", now=started,
                                  boot_time=read_boot_time(proc), run_command=run_command, timeout=30)
    state = oom_update(load_state(args.state), boot_id, history["events"], args.max_oom_series)
    fams = memory_families(meminfo, vmstat, pressure) + unit_families(limited, args.top_units)
    fams += oom_families(state, history["sources"])
    fams += collector_families(started, time.time() if now is None else now)
    return render(fams), state


def main(argv=None):
    """Collect once; write the state, then the textfile. Exit status 1 (and no file change) on failure."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        text, state = collect(args)
        write_atomic(args.state, json.dumps(state, separators=(",", ":")) + "\n", mode=0o600)
        write_atomic(args.output, text)
    except (IOError, OSError, ValueError) as exc:
        sys.stderr.write("headroom-memory-collect: %s\n" % exc)
        return 1
    return 0
