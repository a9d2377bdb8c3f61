# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pm2 role's preflight and read step, as plain functions behind its filters.

- ``preflight(apps, user, home, executable, timeout)``: every input checked before the first host query (names and
  paths reach a command line and a file), as a list of sentences quoting each bad value; ``want(apps, restart)``
  the apps normalised (sizes in MiB, PM2's notation kept).
- ``jlist_apps(stdout)``: ``pm2 jlist`` output reduced at once to the keys the role uses, one entry per process (a
  cluster app has one per instance). PM2 keeps each app's whole environment in ``pm2_env``: nothing of it is kept
  but the status, mode, threshold, heap flag, cron_restart, restart count and cwd.
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
# a PM2 app name the role (and a report) passes on: PM2 itself takes nearly any text, the role passes the name to the
# pm2 command and into the ecosystem file; a plain word only, never one that starts with "-" (an option to pm2)
APP_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.@:+-]{0,63}\Z")
# an absolute, normalised path of ordinary characters: no '.' or '..' component, no '//', no trailing '/'
# (roles/pm2/vars __pm2_path_re repeats it for the apps' cwd; tests/unit/test_constants_agree.py)
PATH_RE = re.compile(r"^(/(?!\.\.?(/|$))[A-Za-z0-9._@+-]+)+\Z")
USER_RE = re.compile(r"^[a-z_][a-z0-9_-]{0,31}\Z")
MMR_INPUT_RE = re.compile(r"^[1-9][0-9]{0,9}[KMG]?\Z")
KEYS = ("name", "max_memory_restart", "max_old_space_size", "cron_restart", "ecosystem_file", "restart")
_UNIT_BYTES = {"K": 1024, "M": MIB, "G": 1024 * MIB}


def _quote(value):
    return json.dumps(value) if isinstance(value, (str, int, float, bool, type(None))) else repr(value)


def _options_errors(user, home, executable, timeout):
    errors = []
    if not isinstance(user, str) or not USER_RE.match(user):
        errors.append("pm2_user %s is not a user name" % _quote(user))
    if home is not None and (not isinstance(home, str) or not PATH_RE.match(home)):
        errors.append("pm2_home %s is not null or an absolute normalised path" % _quote(home))
    if not isinstance(executable, str) or (executable != "pm2" and not PATH_RE.match(executable)):
        errors.append("pm2_executable %s is not pm2 or an absolute normalised path" % _quote(executable))
    if isinstance(timeout, bool) or not re.match(r"^[1-9][0-9]{0,3}\Z", str(timeout)):
        errors.append("pm2_online_timeout %s is not 1 to 9999 seconds" % _quote(timeout))
    return errors


def _app_errors(app):
    errors = []
    name = app.get("name")
    if not isinstance(name, str) or not APP_NAME_RE.match(name):
        errors.append("name %s is not a PM2 app name (letters, digits, _ . @ : + -, not starting with . @ : + -)"
                      % _quote(name))
    label = name if isinstance(name, str) else _quote(name)
    if all(app.get(k) is None for k in ecosystem.SETTINGS):
        errors.append("%s sets none of %s" % (_quote(label), ", ".join(ecosystem.SETTINGS)))
    mmr = app.get("max_memory_restart")
    if mmr is not None and (isinstance(mmr, bool) or not MMR_INPUT_RE.match(str(mmr))):
        errors.append("max_memory_restart %s is not in PM2 notation (512000K, 300M, 1G) or a number of MiB" % _quote(mmr))
    heap = app.get("max_old_space_size")
    if heap is not None and (isinstance(heap, bool) or not re.match(r"^[1-9][0-9]{1,6}\Z", str(heap))):
        errors.append("max_old_space_size %s is not a number of MiB (10 or more)" % _quote(heap))
    cron = app.get("cron_restart")
    if cron is not None and (not isinstance(cron, str) or not ecosystem.CRON_RE.match(cron)):
        errors.append("cron_restart %s is not a 5-field cron pattern of digits and * / , - (0 4 * * *)" % _quote(cron))
    path = app.get("ecosystem_file")
    if path is not None and (not isinstance(path, str) or not PATH_RE.match(path) or not ecosystem.file_format(path)):
        errors.append("ecosystem_file %s is not an absolute normalised path ending in .json, .yaml, .yml, .js, .cjs or "
                      ".mjs" % _quote(path))
    if app.get("restart") is not None and not isinstance(app.get("restart"), bool):
        errors.append("restart %s is not true or false" % _quote(app.get("restart")))
    return errors


def preflight(apps, user="root", home=None, executable="pm2", timeout=60):
    """Errors in the role's input that need no host (empty when all is well): each bad value quoted (control
    characters escaped) and named."""
    errors = _options_errors(user, home, executable, timeout)
    if not isinstance(apps, list) or not apps:
        return errors + ["pm2_apps must be a non-empty list of apps, each a mapping of %s" % ", ".join(KEYS)]
    names = []
    for index, app in enumerate(apps):
        if not isinstance(app, dict):
            errors.append("pm2_apps[%d] %s is not a mapping" % (index, _quote(app)))
            continue
        unknown = sorted(str(k) for k in app if k not in KEYS)
        if unknown:
            errors.append("pm2_apps[%d] has unknown key(s) %s (known: %s)" % (index, ", ".join(unknown), ", ".join(KEYS)))
        errors.extend(_app_errors(app))
        names.append(app.get("name"))
    if len(set(_quote(n) for n in names)) != len(names):
        errors.append("names repeat: %s" % _quote(names))
    return errors


def want(apps, restart=False):
    """The preflighted apps normalised: PM2's notation kept (a bare number is MiB here, bytes to PM2: written as
    ``<n>M``), with its bytes and MiB; the heap an int; ``restart`` the app's or the role's."""
    out = []
    for app in apps:
        text = None if app.get("max_memory_restart") is None else str(app["max_memory_restart"])
        if text is not None and text[-1:] not in _UNIT_BYTES:
            text += "M"
        nbytes = None if text is None else int(text[:-1]) * _UNIT_BYTES[text[-1]]
        out.append({"name": app["name"], "max_memory_restart": text, "max_memory_restart_bytes": nbytes,
                    "max_memory_restart_mb": None if nbytes is None else round(nbytes / float(MIB), 1),
                    "max_old_space_size": None if app.get("max_old_space_size") is None else int(app["max_old_space_size"]),
                    "cron_restart": app.get("cron_restart"), "ecosystem_file": app.get("ecosystem_file"),
                    "restart": bool(restart if app.get("restart") is None else app["restart"])})
    return out


def _int(value):
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _dict(value):
    return value if isinstance(value, dict) else {}


def jlist_apps(stdout):
    """The processes of a ``pm2 jlist`` output (its last line that is a JSON array; PM2 may print notices first) as
    ``{name, pm_id, pid, status, exec_mode, max_memory_restart, heap_args, memory_mb, restarts, cron_restart, cwd}``;
    [] for output
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
            "cron_restart": None if env.get("cron_restart") in (None, "", 0, "0") else str(env["cron_restart"]),
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
    if w.get("cron_restart") is not None:
        settings["cron_restart"] = w["cron_restart"]
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
    cron_now = sorted(set(str(p.get("cron_restart")) for p in procs))
    live_differs = bool((wanted_bytes is not None and mmr_now != [wanted_bytes])
                        or (w.get("max_old_space_size") is not None and heap_now != [w["max_old_space_size"]])
                        or (w.get("cron_restart") is not None and cron_now != [w["cron_restart"]]))
    cron = w.get("cron_restart") if w.get("cron_restart") is not None else (
        cron_now[0] if len(cron_now) == 1 and cron_now[0] != "None" else None)
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
            "cron_restart": cron, "memory_mb": mem_now, "pids_before": [p.get("pid") for p in procs],
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
