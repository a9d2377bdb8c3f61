# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PM2's restarts at ``max_memory_restart``, counted from each running daemon's own log for the collector.

PM2 (5.4.3's lib/Worker.js) logs each such restart in ``<PM2_HOME>/pm2.log`` as
``<date>: PM2 log: [PM2][WORKER] Process <pm_id> restarted because it exceeds --max-memory-restart value (...)``:
only the pm_id. The app's name comes from the same log's ``App [<name>:<pm_id>] starting in -fork mode-`` (or
``-cluster mode-``, or ``online``) lines, kept in the state from one run to the next. jlist's ``restart_time``
counts every restart (crash, cron, reload) and is no help here.

Daemons are found as memory_facts finds them (node.pm2.find_daemons: the title of a process whose comm starts ``PM2 v``);
the log is opened through the daemon's ``/proc/<pid>/root`` without following a symlink
(node.pm2.open_no_symlinks), only when it is a regular file. Each run reads what is new since the byte offset
kept with the file's inode, at most ``cap`` bytes (the rest the next run); a new inode, or a file shorter than
the offset (rotated, truncated), is read from 0. A line counts only when it is whole and matches exactly; a
name is kept only when it is one PM2 allows (node.pm2.clean_name), then cut and escaped like every label.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import stat

from ansible_collections.headroom.memory.plugins.module_utils.early_warning.textfile import (
    OTHER, family, label_text)
from ansible_collections.headroom.memory.plugins.module_utils.node.pm2 import (
    Pm2Error, clean_name, find_daemons, open_no_symlinks)
from ansible_collections.headroom.memory.plugins.module_utils.procfs import read_text

LOG = "pm2.log"
MAX_READ = 4 * 1024 * 1024  # bytes of one log read per run
MAX_LINE = 8192  # a longer line is skipped, never counted
MAX_NAMES = 2000  # pm_id -> name entries kept per home
MAX_HOMES = 50
UNKNOWN = "unknown"  # the app label of a pm_id whose name the log has not told (yet)
_RESTART = re.compile(r": PM2 log: \[PM2\]\[WORKER\] Process ([0-9]{1,9}) restarted because it exceeds "
                      r"--max-memory-restart value \(")
_APP = re.compile(r": PM2 log: App \[(.{1,128}):([0-9]{1,9})\] (?:starting in -(?:fork|cluster) mode-|online)$")


def parse_log(data, names):
    """(restarts, names) from ``data`` (bytes of whole lines): restarts is a list of (pm_id, name as known at
    that line); ``names`` ({pm_id str: name}) is updated from the App lines as they come, and returned."""
    names = dict(names or {})
    restarts = []
    for raw in data.split(b"\n"):
        if len(raw) > MAX_LINE:
            continue
        line = raw.decode("utf-8", "replace").rstrip("\r")
        if " PM2 log: " not in line:
            continue
        found = _RESTART.search(line)
        if found:
            pm_id = str(int(found.group(1)))
            restarts.append((pm_id, names.get(pm_id)))
            continue
        found = _APP.search(line)
        if found:
            name = clean_name(found.group(1))
            pm_id = str(int(found.group(2)))
            if name is not None and (pm_id in names or len(names) < MAX_NAMES):
                names[pm_id] = name
    return restarts, names


def read_new(fd, cursor, cap=MAX_READ):
    """The whole lines of the open file ``fd`` after ``cursor`` ({inode, offset}) and the new cursor.

    At most ``cap`` bytes are read; a part line at the end is left for the next run unless it alone fills the
    cap (then skipped). Another inode, or a file now shorter than the offset, is read from 0."""
    info = os.fstat(fd)
    cursor = cursor if isinstance(cursor, dict) else {}
    offset = cursor.get("offset") if cursor.get("inode") == info.st_ino else 0
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0 or offset > info.st_size:
        offset = 0
    os.lseek(fd, offset, os.SEEK_SET)
    chunks, left = [], min(cap, info.st_size - offset)
    while left > 0:
        chunk = os.read(fd, left)
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    data = b"".join(chunks)
    end = data.rfind(b"\n") + 1
    if end == 0 and len(data) >= cap:
        end = len(data)  # one line longer than the cap: skipped
        data = b""
    else:
        data = data[:end]
    return data, {"inode": info.st_ino, "offset": offset + end}


def find_homes(proc="/proc"):
    """[(home, pid)] of the running PM2 God Daemons (one pid per home, the lowest), by home: node.pm2's
    find_daemons over every process's comm."""
    try:
        pids = sorted(int(p) for p in os.listdir(proc) if p.isdigit())
    except OSError:
        return []
    entries = [{"pid": pid, "comm": read_text(os.path.join(proc, str(pid), "comm")) or ""} for pid in pids]
    homes = {}
    for daemon in find_daemons(entries, proc):  # by pid: the lowest of a home comes first
        homes.setdefault(daemon["home"], daemon["pid"])
    return sorted(homes.items())


def open_log(home, pid, proc="/proc"):
    """A read-only descriptor of ``<home>/pm2.log`` as the daemon ``pid`` sees it, no symlink followed, a regular
    file only; Pm2Error else."""
    root = os.path.join(proc, str(pid), "root")
    path_fd = open_no_symlinks(root, home.rstrip("/") + "/" + LOG)
    try:
        if not stat.S_ISREG(os.fstat(path_fd).st_mode):
            raise Pm2Error("%s/%s is not a regular file" % (home, LOG))
        try:
            return os.open("/proc/self/fd/%d" % path_fd, os.O_RDONLY | os.O_NONBLOCK)
        except OSError as e:
            raise Pm2Error("cannot read %s/%s: %s" % (home, LOG, e.strerror))
    finally:
        os.close(path_fd)


def pm2_update(state, reads, new_boot=False, max_series=50):
    """The PM2 part of the collector's state after ``reads``: [(home, cursor, data)] (data None: not read).

    ``state``: {homes: {home: {cursor, names}}, series: [{home, app, pm_id, count}]}. Every app named by a
    log gets its series at 0 (an alert on increase() then sees its first restart). A new boot keeps the
    cursors and names and zeroes the counts. Beyond ``max_series`` series, restarts count under app and pm_id
    ``__other__`` of their home; a series never moves or shrinks within a boot."""
    state = state if isinstance(state, dict) else {}
    homes = {h: dict(v) for h, v in (state.get("homes") or {}).items() if isinstance(v, dict)}
    series = [] if new_boot else [dict(s) for s in state.get("series") or [] if isinstance(s, dict)]
    index = {(s.get("home"), s.get("app"), s.get("pm_id")): s for s in series}
    own = len([s for s in series if s.get("app") != OTHER])
    for home, cursor, data in reads:
        entry = homes.setdefault(home, {})
        if data is None:
            continue
        restarts, names = parse_log(data, entry.get("names"))
        entry.update(cursor=cursor, names=names)
        for pm_id, name in restarts:
            key = (label_text(home), label_text(name or UNKNOWN), pm_id)
            if key not in index:
                if own < max_series:
                    own += 1
                else:
                    key = (key[0], OTHER, OTHER)
            row = index.get(key)
            if row is None:
                row = {"home": key[0], "app": key[1], "pm_id": key[2], "count": 0}
                index[key] = row
                series.append(row)
            row["count"] = int(row.get("count") or 0) + 1
    # every app the logs have named has its series from 0, so that its first restart is an increase too
    for home in sorted(homes):
        for pm_id, name in sorted((homes[home].get("names") or {}).items()):
            key = (label_text(home), label_text(name), pm_id)
            if key not in index and own < max_series:
                own += 1
                index[key] = {"home": key[0], "app": key[1], "pm_id": pm_id, "count": 0}
                series.append(index[key])
    if len(homes) > MAX_HOMES:
        homes = dict(sorted(homes.items())[:MAX_HOMES])
    return {"homes": homes, "series": series}


def pm2_source(state, new_boot=False, max_series=50, proc="/proc", cap=MAX_READ):
    """Read the new part of each running daemon's pm2.log into ``state`` (pm2_update); returns (state,
    [messages of the logs that could not be read])."""
    state = state if isinstance(state, dict) else {}
    known = state.get("homes") or {}
    reads, problems = [], []
    for home, pid in find_homes(proc):
        try:
            fd = open_log(home, pid, proc)
        except Pm2Error as e:
            problems.append(str(e))
            continue
        try:
            data, cursor = read_new(fd, (known.get(home) or {}).get("cursor"), cap)
        except OSError as e:
            problems.append("cannot read %s/%s: %s" % (home, LOG, e.strerror))
            continue
        finally:
            os.close(fd)
        reads.append((home, cursor, data))
    return pm2_update(state, reads, new_boot, max_series), problems


def pm2_families(state):
    """The restart counter by PM2 home, app name and pm_id."""
    return [family("headroom_pm2_memory_restarts_total", "counter",
                   "Restarts PM2 made because an app exceeded its max_memory_restart, since boot, from each running "
                   "PM2 daemon's pm2.log, by PM2 home, app name (\"%s\" until the log names the pm_id) and pm_id."
                   % UNKNOWN,
                   [({"home": s["home"], "app": s["app"], "pm_id": s["pm_id"]}, s["count"])
                    for s in (state or {}).get("series") or []])]
