# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The early_warning collector: reads the host, keeps a small state, writes a node_exporter textfile.

It runs on the target from a systemd timer, with Python's standard library and this collection's
own readers (procfs, cgroups, oom.history), which the role copies next to it. Pure parts:

- ``memory_families(meminfo, vmstat, pressure)``: available memory, swap, swap I/O, PSI.
- ``unit_families(limited, top)``: memory current vs limit of the cgroups that have a limit.
- ``oom_update(state, boot_id, events, max_series)``: counts OOM kills by killer/unit/comm since boot,
  each kill once however many runs and sources see it; ``oom_families(state)`` renders them.
- ``count_journal(lines, state, ...)``: the journal's kills counted as its lines stream in, a batch at a time,
  and the cursor of the last entry kept in the state, so that the next run reads only what is new
  (``journal_source`` runs journalctl for it).
- PM2's restarts at its memory threshold, from each running daemon's pm2.log (early_warning.pm2log).
- ``main(argv)`` wires them to /proc, /sys/fs/cgroup and the logs, and replaces the file atomically.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import calendar
import json
import os
import re
import subprocess
import sys
import tempfile
import time

from ansible_collections.headroom.memory.plugins.module_utils.cgroups import cgroup_mounts, scan_hierarchy
from ansible_collections.headroom.memory.plugins.module_utils.early_warning.pm2log import pm2_families, pm2_source
from ansible_collections.headroom.memory.plugins.module_utils.early_warning.textfile import (
    OTHER, family, label_text, render, top_n)
from ansible_collections.headroom.memory.plugins.module_utils.procfs import (
    parse_meminfo, parse_pressure, parse_vmstat, read_boot_time, read_text)
from ansible_collections.headroom.memory.plugins.module_utils.oom.history import collect_oom_history
from ansible_collections.headroom.memory.plugins.module_utils.oom.sources import (
    C_ENV, grep_unsupported, journal_args, status, system_journal_visible, timeout_args, which)

MIB = 1024 * 1024
SOURCES = ("kmsg", "journal", "syslog")
STATE_VERSION = 1
MAX_SEEN = 50000  # kill identities remembered per boot; beyond, the oldest are forgotten (their counts stay)
JOURNAL_BATCH = 2000  # OOM records of the journal parsed at once (cut where a kernel report starts)
JOURNAL_MAX_BATCH = 4 * JOURNAL_BATCH  # ... and at most this many, wherever they are cut
JOURNAL_TIMEOUT = 30
NOTICE_TOLERANCE = 60.0  # seconds between a kill and systemd's notice of it (oom.events.NOTICE_UNIT_TOLERANCE)
REPORT_START = "invoked oom-killer"
_CURSOR_FIELD = re.compile(r'"__CURSOR"\s*:\s*"([^"\\]*)"')
_CURSOR_OK = re.compile(r"^[A-Za-z0-9=;_-]{1,512}$")


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
    """scan_hierarchy's ``limited`` entries -> [{unit, cgroup, usage, limit}] in bytes (MiB resolution).

    A unit name is not unique (two containers, or a user's ``systemd-run --user --unit=<a system unit>``,
    run a ``db.service`` each): the cgroup path tells them apart. Two entries whose labels are the same as
    written (paths sharing their first MAX_LABEL_LEN characters) are folded into one row on purpose.
    """
    rows = []
    index = {}
    for entry in limited or []:
        if entry.get("limit_mb") is None:
            continue
        cgroup = entry.get("cgroup") or ""
        row = {"unit": label_text(entry.get("unit") or cgroup), "cgroup": label_text(cgroup),
               "usage": None if entry.get("usage_mb") is None else entry["usage_mb"] * MIB,
               "limit": entry["limit_mb"] * MIB}
        same = index.get((row["unit"], row["cgroup"]))
        if same is None:
            index[(row["unit"], row["cgroup"])] = row
            rows.append(row)
        else:
            if row["usage"] is not None:
                same["usage"] = (same["usage"] or 0) + row["usage"]
            same["limit"] += row["limit"]
    return rows


def unit_families(limited, top):
    """Per-unit memory current and limit for the ``top`` units closest to their limit, the rest summed."""
    rows = unit_rows(limited)

    def fold(rest):
        return {"unit": OTHER, "cgroup": OTHER, "usage": sum(r["usage"] or 0 for r in rest),
                "limit": sum(r["limit"] for r in rest)}

    kept = top_n(rows, top, _ratio, fold)
    return [
        family("headroom_unit_memory_current_bytes", "gauge",
               "Memory use of a unit (cgroup) that has a memory limit, MiB resolution, by unit name and cgroup path; "
               "the units beyond the top N closest to their limit are summed under unit=\"%s\"." % OTHER,
               [({"unit": r["unit"], "cgroup": r["cgroup"]}, r["usage"]) for r in kept]),
        family("headroom_unit_memory_max_bytes", "gauge",
               "Memory limit (MemoryMax, memory.max or memory.limit_in_bytes) of the same units.",
               [({"unit": r["unit"], "cgroup": r["cgroup"]}, r["limit"]) for r in kept]),
        family("headroom_unit_memory_limited_units", "gauge", "Number of cgroups that have a memory limit.",
               [({}, len([e for e in limited or [] if e.get("limit_mb") is not None]))]),
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
    return {"version": STATE_VERSION, "boot_id": boot_id, "seen": [], "series": [], "errors": 0, "cursor": None}


def same_boot_state(state, boot_id):
    """``state`` when it is a state of this version and boot, else a new one."""
    if not isinstance(state, dict) or state.get("version") != STATE_VERSION or state.get("boot_id") != boot_id:
        return new_state(boot_id)
    return state


def _labels(killer, unit, comm):
    """The (killer, unit, comm) of a series as written (label_text): names sharing their first MAX_LABEL_LEN
    characters are one series, on purpose, rather than two samples with the same labels."""
    labels = (label_text(killer or "unknown"), label_text(unit), label_text(comm))
    if labels[1] == OTHER or labels[2] == OTHER:
        labels = (labels[0], OTHER, OTHER)
    return labels


def _notice_of_counted_kill(event, series):
    """Whether a kill known only from systemd's notice (no pid) is one already counted: a series of its unit
    whose last kill is at most NOTICE_TOLERANCE seconds away. oom.events joins a notice to its kernel report
    when both are read together; the journal read in batches and from a cursor may bring them apart."""
    when = iso_to_epoch(event.get("time"))
    unit = label_text(event.get("unit") or "")
    if when is None or not unit:
        return False
    return any(row["unit"] == unit and row["last"] is not None and abs(row["last"] - when) <= NOTICE_TOLERANCE
               for row in series)


def oom_update(state, boot_id, events, max_series, max_seen=MAX_SEEN):
    """Count the kills of ``events`` not counted before in this boot; returns the new state.

    ``state['series']`` is a list of {killer, unit, comm, count, last}; a label set gets a series of its own
    when fewer than ``max_series`` exist, else it is counted under unit and comm ``__other__`` (one per
    killer). A series never moves or shrinks within a boot, so every counter only grows. ``errors`` and
    ``cursor`` of the same boot are kept as they are.
    """
    state = same_boot_state(state, boot_id)
    seen = list(state.get("seen") or [])
    seen_set = set(seen)
    series = []
    index = {}
    for old in state.get("series") or []:
        labels = _labels(old.get("killer"), old.get("unit"), old.get("comm"))
        row = index.get(labels)
        if row is None:  # a state written before the labels were cut may hold two rows that are now one
            row = {"killer": labels[0], "unit": labels[1], "comm": labels[2], "count": 0, "last": None}
            index[labels] = row
            series.append(row)
        row["count"] += int(old.get("count") or 0)
        if old.get("last") is not None and (row["last"] is None or old["last"] > row["last"]):
            row["last"] = old["last"]
    own = len([s for s in series if s["unit"] != OTHER or s["comm"] != OTHER])
    for event in events:
        key = event_key(event)
        if key in seen_set:
            continue
        seen_set.add(key)
        seen.append(key)
        victim = event.get("victim") or {}
        if victim.get("pid") is None and _notice_of_counted_kill(event, series):
            continue
        labels = _labels(event.get("killer"), event.get("unit") or "", victim.get("comm") or "")
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
    return {"version": STATE_VERSION, "boot_id": boot_id, "seen": seen, "series": series,
            "errors": int(state.get("errors") or 0), "cursor": state.get("cursor")}


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


def valid_cursor(value):
    """A journal cursor as journalctl writes it (``s=…;i=…;b=…``), else None: the state file is data, and a
    cursor that is not one is dropped (the run then reads the whole boot again) rather than passed on."""
    return value if isinstance(value, str) and _CURSOR_OK.match(value) else None


def count_journal(lines, state, boot_id, max_series, cutoff=None, batch=JOURNAL_BATCH):
    """Count the kills of ``lines`` (``journalctl -o json``: one entry a line, str or bytes, any iterable, read
    as it comes) into ``state`` (oom_update); returns (state, entries).

    Memory stays bounded however long the journal is: only OOM records are kept, and they are parsed and
    counted a batch at a time (``batch`` records, cut before a kernel report starts; at most 4 x ``batch``).
    The state's ``cursor`` becomes the last entry's ``__CURSOR``.
    """
    # imported here, as oom.history does: most runs have no OOM record to parse
    from ansible_collections.headroom.memory.plugins.module_utils.oom.events import build_history, is_oom_record
    from ansible_collections.headroom.memory.plugins.module_utils.oom.lines import split_json

    state = same_boot_state(state, boot_id)
    records = []
    entries = 0
    cursor = None

    def flush(state, records):
        if not records:
            return state
        events, _counts = build_history([("journal", records)], cutoff)
        return oom_update(state, boot_id, events, max_series)

    for line in lines:
        if isinstance(line, bytes):
            line = line.decode("utf-8", "replace")
        if not line.startswith("{"):
            continue
        entries += 1
        found = _CURSOR_FIELD.search(line)
        if found and valid_cursor(found.group(1)):
            cursor = found.group(1)
        for record in split_json(line):
            if not is_oom_record(record):
                continue
            if len(records) >= JOURNAL_MAX_BATCH or (len(records) >= batch and REPORT_START in (record[4] or "")):
                state = flush(state, records)
                records = []
            records.append(record)
    state = flush(state, records)
    if cursor is not None:
        state["cursor"] = cursor
    return state, entries


def stream_command(args, consume, environ_update=None):
    """Run ``args`` (no shell) and hand its stdout, a binary stream read line by line, to ``consume``;
    returns (rc, what consume returned, the first 4 KiB of stderr). OSError when it cannot start."""
    env = dict(os.environ)
    env.update(environ_update or {})
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=err, env=env)
        try:
            result = consume(proc.stdout)
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        finally:
            proc.stdout.close()
        rc = proc.wait()
        err.seek(0)
        text = err.read(4096).decode("utf-8", "replace")
    return rc, result, text


def journal_source(state, boot_id, max_series, boot_time, journalctl=None, timeout=JOURNAL_TIMEOUT):
    """Count the journal's kills since the state's cursor (or since boot): (state, source status).

    journalctl runs under ``timeout`` with ``--grep`` (without, filtering here, where it has none); what it
    wrote before a timeout is counted and the cursor moves past it, so the next run goes on from there.
    """
    prog = journalctl or which("journalctl")
    if not prog:
        return state, status("journal", "absent", 0, "journalctl not found")
    if journalctl is None and not system_journal_visible():
        return state, status("journal", "denied", 0, "not root nor in a group that sees the system journal")
    state = same_boot_state(state, boot_id)
    cursor = valid_cursor(state.get("cursor"))

    def run(grep, cursor):
        args = journal_args(prog, since=None if cursor else boot_time, grep=grep)
        if cursor:
            args.insert(1, "--after-cursor=" + cursor)
        return stream_command(timeout_args(args, timeout),
                              lambda out: count_journal(out, state, boot_id, max_series, boot_time),
                              environ_update=dict(C_ENV))

    try:
        grep = True
        rc, (new, entries), err = run(grep, cursor)
        if rc not in (0, 124) and not entries and cursor and "cursor" in err.lower():
            # the journal no longer has that entry (vacuumed, rotated away): read the boot again
            cursor = None
            state = dict(state, cursor=None)
            rc, (new, entries), err = run(grep, cursor)
        if rc not in (0, 1, 124) and not entries and grep_unsupported(err):
            grep = False
            rc, (new, entries), err = run(grep, cursor)
    except OSError as exc:
        return state, status("journal", "error", 0, "%s: %s" % (prog, exc))
    first = err.strip().splitlines()[0] if err.strip() else ""
    if "No journal files were found" in err:
        return new, status("journal", "absent", 0, "no journal files")
    if rc == 124:
        return new, status("journal", "error", entries, "journalctl timed out after %ss (what it read is counted)"
                           % timeout)
    if rc != 0 and not (grep and rc == 1 and not entries):
        denied = "ermission denied" in first or "not permitted" in first
        return new, status("journal", "denied" if denied else "error", entries, first or "journalctl rc=%s" % rc)
    return new, status("journal", "read", entries)


def collector_families(started, finished, errors=0):
    return [
        family("headroom_collector_errors_total", "counter",
               "Series or families the collector had to leave out of this file since boot (a bad value, two samples "
               "with the same labels); its journal (stderr) says which.", [({}, errors)]),
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
    parser.add_argument("--journalctl", help=argparse.SUPPRESS)
    parser.add_argument("--proc", default="/proc", help=argparse.SUPPRESS)
    parser.add_argument("--rootfs", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not args.output.endswith(".prom"):
        parser.error("--output %s: node_exporter reads only files ending in .prom" % args.output)
    if args.top_units < 0 or args.max_oom_series < 0:
        parser.error("--top-units and --max-oom-series must be 0 or more")
    args.sources = args.sources or (["files"] if args.files else ["kmsg", "journal"])
    return args


def guarded(problems, build, *args):
    """The families ``build(*args)`` returns, or none when it raises ValueError (then noted in ``problems``):
    a bad value of one reader never costs the others' series."""
    try:
        return build(*args)
    except ValueError as exc:
        problems.append("%s: %s" % (build.__name__, exc))
        return []


def collect(args, now=None, problems=None):
    """Read everything and return (text, state) without writing anything. What had to be left out of the text
    is counted in ``state['errors']`` and its messages appended to ``problems`` (a list) when given."""
    problems = [] if problems is None else problems
    started = time.time() if now is None else now
    proc = args.proc
    meminfo = parse_meminfo(read_text(os.path.join(proc, "meminfo")))
    vmstat = parse_vmstat(read_text(os.path.join(proc, "vmstat")))
    pressure = parse_pressure(read_text(os.path.join(proc, "pressure", "memory")))
    mounts = cgroup_mounts(read_text(os.path.join(proc, "self", "mountinfo")))
    limited, _unlimited = scan_hierarchy(mounts, args.rootfs)
    boot_id = (read_text(os.path.join(proc, "sys", "kernel", "random", "boot_id")) or "").strip() or None
    boot_time = read_boot_time(proc)
    loaded = load_state(args.state)
    state = same_boot_state(loaded, boot_id)
    # PM2's cursors outlive a boot (its log does): only the counts start again
    pm2_prev = loaded.get("pm2") if isinstance(loaded, dict) else None
    pm2_new_boot = state is not loaded
    sources = []
    if "journal" in args.sources:  # first: its kernel report and systemd's notice of one kill come together
        state, journal = journal_source(state, boot_id, args.max_oom_series, boot_time, args.journalctl,
                                        timeout=JOURNAL_TIMEOUT)
        sources.append(journal)
    others = [s for s in args.sources if s != "journal"]
    if others or args.files:
        history = collect_oom_history(sources=others or ["files"], files=args.files, since="boot", now=started,
                                      boot_time=boot_time, run_command=run_command, timeout=JOURNAL_TIMEOUT)
        sources += history["sources"]
        state = oom_update(state, boot_id, history["events"], args.max_oom_series)
    state = oom_update(state, boot_id, [], args.max_oom_series)
    state["pm2"], unread = pm2_source(pm2_prev, pm2_new_boot, args.max_oom_series, proc)
    for msg in unread:
        sys.stderr.write("headroom-memory-collect: PM2: %s\n" % msg)
    fams = guarded(problems, memory_families, meminfo, vmstat, pressure)
    fams += guarded(problems, unit_families, limited, args.top_units)
    fams += guarded(problems, oom_families, state, sources)
    fams += guarded(problems, pm2_families, state["pm2"])
    text = render(fams, problems)
    state["errors"] += len(problems)
    text += render(collector_families(started, time.time() if now is None else now, state["errors"]))
    return text, state


def main(argv=None):
    """Collect once; write the state, then the textfile. Exit status 1 (and no file change) on failure."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    problems = []
    try:
        text, state = collect(args, problems=problems)
        for msg in problems:
            sys.stderr.write("headroom-memory-collect: left out: %s\n" % msg)
        write_atomic(args.state, json.dumps(state, separators=(",", ":")) + "\n", mode=0o600)
        write_atomic(args.output, text)
    except (IOError, OSError, ValueError) as exc:
        sys.stderr.write("headroom-memory-collect: %s\n" % exc)
        return 1
    return 0
