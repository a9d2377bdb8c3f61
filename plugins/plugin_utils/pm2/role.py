# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pm2 role's read step, as plain functions behind its filters.

- ``jlist_apps(stdout)``: ``pm2 jlist`` output reduced at once to the keys the role uses, one entry per process (a
  cluster app has one per instance). PM2 keeps each app's whole environment in ``pm2_env``: nothing of it is kept
  but the status, mode, threshold, heap flag, restart count and cwd.
- ``role_plan(want, now, files, texts, stats)``: per wanted app, its ecosystem file edited in memory
  (ecosystem.edit), what PM2 runs now compared with what is wanted, and a refusal by the plan's own rules
  (plan.threshold_error: never under what an instance holds plus the margin; plan.heap_error: the heap within its
  share of the threshold) - the rules diagnose's proposals pass, so what diagnose proposes the role takes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import re

from ansible_collections.headroom.memory.plugins.plugin_utils.pm2 import ecosystem
from ansible_collections.headroom.memory.plugins.plugin_utils.pm2.plan import heap_error, threshold_error

MIB = 1024 * 1024
HEAP_ARG_RE = re.compile(r"^--max[-_]old[-_]space[-_]size=([0-9]{1,9})\Z")


def _int(value):
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _dict(value):
    return value if isinstance(value, dict) else {}


def jlist_apps(stdout):
    """The processes of a ``pm2 jlist`` output (its last line that is a JSON array; PM2 may print notices first) as
    ``{name, pm_id, pid, status, exec_mode, max_memory_restart, heap_args, memory_mb, restarts, cwd}``; [] for output
    that is no such array."""
    lines = [line.strip() for line in str(stdout or "").splitlines()]
    arrays = [line for line in lines if line.startswith("[") and line.endswith("]")]
    try:
        data = json.loads(arrays[-1]) if arrays else []
    except ValueError:
        return []
    out = []
    for p in data if isinstance(data, list) else []:
        if not isinstance(p, dict):
            continue
        env = _dict(p.get("pm2_env"))
        args = env.get("node_args") or []
        args = [args] if isinstance(args, str) else (args if isinstance(args, list) else [])
        out.append({
            "name": str(p.get("name") or ""),
            "pm_id": p.get("pm_id") if isinstance(p.get("pm_id"), int) else None,
            "pid": _int(p.get("pid")),
            "status": str(env.get("status") or ""),
            "exec_mode": str(env.get("exec_mode") or "fork_mode").partition("_")[0],
            "max_memory_restart": env.get("max_memory_restart") if _int(env.get("max_memory_restart")) else None,
            "heap_args": [str(a) for a in args if HEAP_ARG_RE.match(str(a))],
            "memory_mb": round(_int(_dict(p.get("monit")).get("memory")) / MIB, 1),
            "restarts": _int(env.get("restart_time")),
            "cwd": str(env.get("pm_cwd") or ""),
        })
    return out


def _heap_of(proc):
    heap = proc.get("heap_args") or []
    m = HEAP_ARG_RE.match(heap[-1]) if heap else None
    return int(m.group(1)) if m else 0


def _app_plan(w, procs, file, text, stat):
    name = w["name"]
    fmt = ecosystem.file_format(file)
    settings = {}
    if w.get("max_memory_restart") is not None:
        settings["max_memory_restart"] = w["max_memory_restart"]
    if w.get("max_old_space_size") is not None:
        settings["max_old_space_size"] = w["max_old_space_size"]
    edit = ecosystem.edit(text, fmt, name, settings)
    mmr_now = sorted(set(_int(p.get("max_memory_restart")) for p in procs))
    heap_now = sorted(set(_heap_of(p) for p in procs))
    wanted_bytes = w.get("max_memory_restart_bytes")
    if wanted_bytes is not None:
        mmr_mb, mmr_text = int(wanted_bytes // MIB), w["max_memory_restart"]
    elif max(mmr_now) > 0:
        mmr_mb = int(max(mmr_now) // MIB)
        mmr_text = "%dM" % mmr_mb
    else:
        mmr_mb = mmr_text = None
    heap = w.get("max_old_space_size")
    if heap is None and max(heap_now) > 0:
        heap = max(heap_now)
    live_differs = bool((wanted_bytes is not None and mmr_now != [wanted_bytes])
                        or (w.get("max_old_space_size") is not None and heap_now != [w["max_old_space_size"]]))
    mem_now = max(p.get("memory_mb") or 0 for p in procs)
    refusal = edit.get("error")
    if not refusal and wanted_bytes is not None and (live_differs or edit.get("changed")):
        refusal = threshold_error(name, mmr_text, mmr_mb, int(-(-mem_now // 1)))
    if not refusal and heap is not None and mmr_mb is not None:
        refusal = heap_error(name, heap, mmr_text, mmr_mb)
    if refusal and refusal.startswith(name + ": "):
        refusal = refusal[len(name) + 2:]
    cluster = procs[0].get("exec_mode") == "cluster"
    return {"name": name, "exec_mode": procs[0].get("exec_mode"), "instances": len(procs),
            "action": "reload" if cluster else "restart", "ecosystem_file": file,
            "owner": str(stat.get("uid")), "group": str(stat.get("gid")), "mode": stat.get("mode"),
            "format": fmt, "text": edit.get("text"), "file_changed": bool(edit.get("changed")),
            "live_differs": live_differs, "needs_apply": live_differs, "restart": bool(w.get("restart")),
            "max_memory_restart_mb": mmr_mb, "max_memory_restart_bytes": wanted_bytes, "max_old_space_size": heap,
            "memory_mb": mem_now, "pids_before": [p.get("pid") for p in procs],
            "restarts_before": sum(_int(p.get("restarts")) for p in procs), "refusal": refusal}


def role_plan(want, now, files, texts, stats):
    """One entry per wanted app (``want``: the role's normalised pm2_apps). ``now``: jlist_apps' processes;
    ``files``: {app: [its ecosystem file]}; ``texts``: {file: base64 text as slurp gives it}; ``stats``: {file:
    stat}. ``refusal`` is a sentence, or None when the app may be applied."""
    out = []
    for w in want or []:
        procs = [p for p in now or [] if p.get("name") == w.get("name")]
        file = (files.get(w.get("name")) or [None])[0]
        if not procs or file not in texts:
            raise ValueError("pm2 role plan: app %r has no process or no ecosystem file read" % (w.get("name"),))
        text = base64.b64decode(texts[file]).decode("utf-8")
        out.append(_app_plan(w, procs, file, text, stats.get(file) or {}))
    return out
