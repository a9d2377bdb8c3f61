# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The live half of the headroom.memory.containers role: which engine has each named container, what its cgroup
holds now, whether the wanted limit may be set, the ``docker update`` / ``podman update`` command that sets it, and
the read-back that proves it was set.

The role runs the engines and reads the files; everything it decides is here, in four steps:

1. ``limit_errors(limits)``: ``containers_limits`` checked before any host query (the sizes by the editors' own
   ``limits.check_limits``, plus the role's floor and names).
2. ``targets(limits, inspected)``: each name found in exactly one engine's ``inspect`` output (docker's, podman's),
   with its id, main pid, HostConfig memory settings and where it was defined (Compose labels, the quadlet unit).
3. ``cgroup_files(targets, proc_text)``: each running container's memory cgroup directory, from ``grep -H ''``
   over ``/proc/<pid>/cgroup``, and the files to read there (v1 or v2).
4. ``plan(targets, counters_text, facts)``: each container's use (working set, else usage) from those files, the
   refusals (under use plus the collection's margin, plugin_utils/limit_rules.py; above what the host can give,
   plugin_utils/budget.py) and the update command, which sets memory and memory-swap in one call: both engines
   (runc underneath) write the two cgroup files in the order the kernel accepts, raising or lowering. docker 20.10
   refuses ``--memory`` alone on a container whose swap limit is unset, so the swap limit is always given: what
   the entry says, else twice the memory, as ``docker run --memory`` does (podman's ``update --memory`` alone
   does the same; its ``--memory-swap -1`` is ignored by update, so -1 is not offered).

``readback(plan, targets, counters_text)`` then compares inspect and the cgroup files with what was wanted.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

from ansible_collections.headroom.memory.plugins.module_utils.containers.parse import NAME_RULE, name_error, path as clean_path, source_of
from ansible_collections.headroom.memory.plugins.module_utils.sizes import format_bytes, parse_size
from ansible_collections.headroom.memory.plugins.plugin_utils.budget import default_reserve_mb, usable_total
from ansible_collections.headroom.memory.plugins.plugin_utils.containers.limits import EditError, check_limits
from ansible_collections.headroom.memory.plugins.plugin_utils.limit_rules import LIMIT_FLOOR, apply_margin

MIB = 1024 * 1024
PAGE = 4096
ENGINES = ("docker", "podman")
KEYS = ("name", "memory", "memory_swap", "memory_reservation")
ID_RE = re.compile(r"^[0-9a-f]{64}\Z")
V1_FILES = {"usage": "memory.usage_in_bytes", "limit": "memory.limit_in_bytes", "swap": "memory.memsw.limit_in_bytes",
            "reservation": "memory.soft_limit_in_bytes", "stat": "memory.stat", "oom": "memory.oom_control"}
V2_FILES = {"usage": "memory.current", "limit": "memory.max", "swap": "memory.swap.max", "reservation": "memory.low",
            "stat": "memory.stat", "oom": "memory.events"}
# v1 reports "no limit" as the largest page-aligned signed 64-bit number
V1_UNLIMITED = 0x7FFFFFFFFFFFF000


class LiveError(ValueError):
    """Input the role cannot act on; the message names the value."""


def _show(value):
    """A value as it may appear in a message: printable, bounded."""
    text = value if isinstance(value, str) else repr(value)
    text = "".join(c if c.isprintable() else "?" for c in text)
    return text if len(text) <= 80 else text[:77] + "..."


def _size(entry, key):
    value = entry.get(key)
    if value in (None, ""):
        return None
    return parse_size(value)


def limit_errors(limits):
    """Readable problems with ``containers_limits``; [] when every entry is valid."""
    if not isinstance(limits, list):
        return ["containers_limits must be a list of {name, memory, memory_swap?, memory_reservation?}, got %s"
                % type(limits).__name__]
    errors, seen = [], set()
    for i, entry in enumerate(limits):
        where = "containers_limits[%d]" % i
        if not isinstance(entry, dict):
            errors.append("%s must be a mapping {name, memory, ...}, got %s" % (where, _show(entry)))
            continue
        unknown = sorted(_show(str(k)) for k in entry if k not in KEYS)
        if unknown:
            errors.append("%s: unknown key(s) %s (known: %s)" % (where, ", ".join(unknown), ", ".join(KEYS)))
        name = entry.get("name")
        if name_error(name) is not None:
            errors.append("%s: name %s is not a container name (%s)" % (where, _show(name), NAME_RULE))
            continue
        if name in seen:
            errors.append("%s: container %s is named twice" % (where, name))
        seen.add(name)
        try:
            sizes = check_limits(dict((k, v) for k, v in entry.items() if k in KEYS[1:]))
        except EditError as e:
            errors.append("%s (%s): %s" % (where, name, e))
            continue
        if sizes["memory_swap"] == -1:
            errors.append("%s (%s): memory_swap -1 (unlimited swap) is not offered: podman update ignores it; give "
                          "a size" % (where, name))
        if sizes["memory"] < LIMIT_FLOOR:
            errors.append("%s (%s): memory %s is below the floor of %d MiB: a container's limit counts its runtime, "
                          "binaries and page cache too; a limit that low is a typo more often than a plan"
                          % (where, name, _show(entry["memory"]), LIMIT_FLOOR // MIB))
    return errors


def parse_inspect(stdout):
    """The containers in an engine's ``inspect`` JSON output (a list); [] for no output or output that is not a
    list (the engine absent, no name found)."""
    try:
        data = json.loads(stdout) if isinstance(stdout, str) and stdout.strip() else []
    except ValueError:
        return []
    return [c for c in data if isinstance(c, dict)] if isinstance(data, list) else []


def _int(value):
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _source(labels):
    """Where a container was defined, from its labels, in the facts' ``source`` shape (strings validated): the
    memory_facts reader's own rule (module_utils.containers.parse.source_of). The quadlet file of a
    ``PODMAN_SYSTEMD_UNIT`` is the unit's ``SourcePath``, asked of systemd later (with_unit_files)."""
    return source_of(labels)


def targets(limits, inspected):
    """One target per entry of ``limits``: the engine that has it and what it says, or ``error``.

    ``inspected`` maps an engine name to its ``inspect`` stdout (or the parsed list)."""
    found = {}
    for engine in ENGINES:
        raw = (inspected or {}).get(engine)
        for c in raw if isinstance(raw, list) else parse_inspect(raw):
            name = str(c.get("Name") or "").lstrip("/")
            found.setdefault(name, []).append((engine, c))
    out = []
    for entry in limits:
        name = entry["name"]
        hits = found.get(name, [])
        target = {"name": name, "engine": None, "id": None, "pid": None, "running": False, "error": None,
                  "memory": _size(entry, "memory"), "memory_swap": _size(entry, "memory_swap"),
                  "memory_reservation": _size(entry, "memory_reservation"), "current": None, "source": None,
                  "image": None, "limits": dict((k, entry[k]) for k in KEYS[1:] if entry.get(k) not in (None, ""))}
        if not hits:
            target["error"] = ("container %s: neither docker nor podman on this host has a container of that name "
                               "(running or stopped); nothing was changed" % name)
        elif len(hits) > 1:
            target["error"] = ("container %s: both docker and podman have a container of that name; rename one, "
                               "nothing was changed" % name)
        else:
            engine, c = hits[0]
            host = c.get("HostConfig") if isinstance(c.get("HostConfig"), dict) else {}
            state = c.get("State") if isinstance(c.get("State"), dict) else {}
            config = c.get("Config") if isinstance(c.get("Config"), dict) else {}
            cid = c.get("Id") if isinstance(c.get("Id"), str) and ID_RE.match(c.get("Id")) else None
            pid = _int(state.get("Pid"))
            image = config.get("Image")
            target.update(engine=engine, id=cid, pid=pid if pid > 0 and state.get("Running") else None,
                          running=bool(state.get("Running")) and pid > 0, source=_source(config.get("Labels")),
                          image=_show(image) if isinstance(image, str) else None,
                          current={"memory": _int(host.get("Memory")) or None,
                                   "memory_swap": host.get("MemorySwap") if _int(host.get("MemorySwap")) else None,
                                   "memory_reservation": _int(host.get("MemoryReservation")) or None})
            if cid is None:
                target["error"] = "container %s: %s inspect gave no 64-hex id; nothing was changed" % (name, engine)
        out.append(target)
    return out


def unit_paths(targets_):
    """The systemd units (PODMAN_SYSTEMD_UNIT) of the targets, whose SourcePath may be a quadlet file."""
    return sorted(set(t["source"]["systemd_unit"] for t in targets_
                      if not t.get("error") and t.get("source") and t["source"].get("systemd_unit")))


def with_unit_files(targets_, shown):
    """``targets_`` whose unit's ``SourcePath`` (``shown``: {unit: systemctl show -p SourcePath stdout}) is a
    ``.container`` file: their source becomes ``quadlet`` with that ``quadlet_file``."""
    out = []
    for t in targets_:
        unit = ((t.get("source") or {}).get("systemd_unit")) if not t.get("error") else None
        text = (shown or {}).get(unit) or ""
        path = clean_path(text.strip().partition("=")[2]) if text.strip().startswith("SourcePath=") else None
        if unit and path and path.endswith(".container"):
            t = dict(t, source=dict(t["source"], kind="quadlet", quadlet_file=path))
        out.append(t)
    return out


def _grep_lines(text, paths):
    """``grep -H ''`` output as {path: [lines]} for the ``paths`` asked for (a path may contain ':')."""
    result = {}
    ordered = sorted(paths, key=len, reverse=True)
    for line in (text or "").splitlines():
        for path in ordered:
            if line.startswith(path + ":"):
                result.setdefault(path, []).append(line[len(path) + 1:])
                break
    return result


def _memory_cgroup(lines):
    """(flavour, path) of the memory controller in /proc/<pid>/cgroup lines; v1 wins on a hybrid host."""
    v2 = None
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        if "memory" in parts[1].split(","):
            return "1", parts[2]
        if parts[0] == "0" and parts[1] == "":
            v2 = parts[2]
    return ("2", v2) if v2 is not None else (None, None)


def proc_paths(targets_):
    """The /proc/<pid>/cgroup files of the running targets."""
    return ["/proc/%d/cgroup" % t["pid"] for t in targets_ if not t.get("error") and t.get("pid")]


def cgroup_files(targets_, proc_text, root="/sys/fs/cgroup"):
    """``targets_`` with ``flavour``, ``cgroup`` (as /proc shows it) and ``files`` ({what: path}) for each running
    one whose memory cgroup was found and is a clean path."""
    lines = _grep_lines(proc_text, proc_paths(targets_))
    out = []
    for t in targets_:
        t = dict(t, flavour=None, cgroup=None, files={})
        if not t.get("error") and t.get("pid"):
            flavour, path = _memory_cgroup(lines.get("/proc/%d/cgroup" % t["pid"], []))
            if flavour and clean_path(path):
                base = root + "/memory" if flavour == "1" else root
                directory = base + (path if path != "/" else "")
                names = V1_FILES if flavour == "1" else V2_FILES
                t.update(flavour=flavour, cgroup=path, files=dict((k, directory + "/" + v) for k, v in names.items()))
        out.append(t)
    return out


def counter_paths(targets_):
    """Every cgroup file to read, for one ``grep -s -H ''``."""
    return sorted(p for t in targets_ for p in (t.get("files") or {}).values())


def _number(lines, flavour):
    if not lines:
        return None
    text = lines[0].strip()
    if text == "max":
        return -1
    try:
        value = int(text)
    except ValueError:
        return None
    return -1 if flavour == "1" and value >= V1_UNLIMITED else value


def _keyed(lines, key):
    for line in lines or []:
        k, _sep, v = line.partition(" ")
        if k == key:
            try:
                return int(v.strip())
            except ValueError:
                return None
    return None


def counters(target, counters_text):
    """What the cgroup files say: {usage, working_set, limit, swap, reservation, oom_kill} in bytes (-1 =
    unlimited, None = unread). ``swap`` is memory plus swap, as the engines count it, on v1 and v2."""
    files = target.get("files") or {}
    if not files:
        return None
    lines = _grep_lines(counters_text, files.values())
    flavour = target["flavour"]
    get = dict((k, lines.get(p)) for k, p in files.items())
    usage = _number(get["usage"], flavour)
    inactive = _keyed(get["stat"], "total_inactive_file" if flavour == "1" else "inactive_file")
    limit = _number(get["limit"], flavour)
    swap = _number(get["swap"], flavour)
    if flavour == "2" and swap is not None and swap >= 0 and limit is not None and limit >= 0:
        swap += limit
    return {"usage": usage, "limit": limit, "swap": swap, "reservation": _number(get["reservation"], flavour),
            "working_set": max(usage - inactive, 0) if usage is not None and inactive is not None else usage,
            "oom_kill": _keyed(get["oom"], "oom_kill")}


def _mb(nbytes):
    return format_bytes(nbytes)


def plan(targets_, counters_text, facts, reserve_mb=None):
    """One plan row per target: {name, engine, id, use, wanted, current, changed, argv, error, summary, ...}.

    ``facts`` is the host's ``ansible_facts['headroom']`` with the memory (and cgroup) subsets: a limit above the
    host's usable memory (MemTotal or the host's own cgroup limit) less the OS reserve is refused."""
    try:
        total_mb, total_source = usable_total(facts)
    except ValueError as e:
        raise LiveError(str(e))
    reserve = default_reserve_mb(total_mb) if reserve_mb is None else int(reserve_mb)
    room = (total_mb - reserve) * MIB
    rows = []
    for t in targets_:
        row = dict(t, use=None, counters=None, wanted=None, changed=False, argv=None, summary=None)
        if row["error"]:
            rows.append(row)
            continue
        name, memory = t["name"], t["memory"]
        swap = t["memory_swap"] if t["memory_swap"] is not None else 2 * memory
        wanted = {"memory": memory, "memory_swap": swap, "memory_reservation": t["memory_reservation"]}
        row["wanted"] = wanted
        row["counters"] = c = counters(t, counters_text)
        use = None
        if c:
            use = c["working_set"] if c["working_set"] is not None else c["usage"]
        row["use"] = use
        current = t["current"] or {}
        keep_reservation = current.get("memory_reservation")
        if t["running"] and c is None:
            row["error"] = ("container %s (%s) runs, but its memory cgroup could not be found from /proc/%s/cgroup: "
                            "its use is unknown, so no limit is set. Nothing was changed" % (name, t["engine"], t["pid"]))
        elif use is not None and memory < use + apply_margin(use):
            row["error"] = ("container %s (%s): a limit of %s is under what it holds now, %s (working set), plus the "
                            "margin of %s: it would be killed on the spot. Nothing was changed; give it at least %s"
                            % (name, t["engine"], _mb(memory), _mb(use), _mb(apply_margin(use)),
                               _mb(-(-(use + apply_margin(use)) // MIB) * MIB)))
        elif memory > room:
            row["error"] = ("container %s (%s): a limit of %s is above what this host can give a container: %d MiB "
                            "(%s) less the OS reserve of %d MiB = %d MiB. Nothing was changed"
                            % (name, t["engine"], _mb(memory), total_mb, total_source, reserve, total_mb - reserve))
        elif t["memory_reservation"] is None and keep_reservation and keep_reservation > memory:
            row["error"] = ("container %s (%s): its current memory reservation %s is above the new limit %s; give "
                            "memory_reservation too. Nothing was changed"
                            % (name, t["engine"], _mb(keep_reservation), _mb(memory)))
        if row["error"]:
            rows.append(row)
            continue
        row["changed"] = (current.get("memory") != memory or current.get("memory_swap") != swap
                          or (t["memory_reservation"] is not None
                              and current.get("memory_reservation") != t["memory_reservation"]))
        argv = [t["engine"], "update", "--memory=%d" % memory, "--memory-swap=%d" % swap]
        if t["memory_reservation"] is not None:
            argv.append("--memory-reservation=%d" % t["memory_reservation"])
        row["argv"] = argv + [t["id"]]
        row["summary"] = ("%s (%s): memory %s, memory+swap %s%s; was %s; holds %s now" % (
            name, t["engine"], _mb(memory), _mb(swap),
            ", reservation %s" % _mb(t["memory_reservation"]) if t["memory_reservation"] is not None else "",
            "no limit" if not current.get("memory") else _mb(current.get("memory")),
            _mb(use) if use is not None else "nothing (not running)"))
        rows.append(row)
    return rows


def readback(rows, targets_, counters_text):
    """Problems found when reading the limits back from inspect and from the cgroup files; [] when every
    changed container has what was wanted. ``targets_`` come from a fresh inspect (and ``cgroup_files``)."""
    fresh = dict((t["name"], t) for t in targets_)
    problems = []
    for row in rows:
        if row.get("error") or not row.get("wanted"):
            continue
        name, wanted = row["name"], row["wanted"]
        t = fresh.get(name)
        if t is None or t.get("error"):
            problems.append("container %s: gone after the update (%s)" % (name, (t or {}).get("error")))
            continue
        current = t["current"] or {}
        for key in ("memory", "memory_swap", "memory_reservation"):
            if wanted[key] is not None and current.get(key) != wanted[key]:
                problems.append("container %s: %s inspect says %s %s, not %s" % (
                    name, t["engine"], key, current.get(key), wanted[key]))
        c = counters(t, counters_text)
        if c is None:
            continue  # not running: the engine applies HostConfig when it starts
        for key, file_key in (("memory", "limit"), ("memory_swap", "swap")):
            if c[file_key] is None and file_key == "limit":
                problems.append("container %s: %s could not be read" % (name, t["files"][file_key]))
            elif c[file_key] is not None and c[file_key] != wanted[key] // PAGE * PAGE:
                problems.append("container %s: %s says %s, not %s"
                                % (name, t["files"][file_key], c[file_key], wanted[key]))
    return problems


def _to_mb(nbytes):
    return None if nbytes is None else (nbytes if nbytes < 0 else nbytes // MIB)


def report(row, files, written):
    """One entry of ``containers_result.containers``: the plan row with the file that keeps its limit (``files``:
    the role's per-container file plans) and whether that file was written (``written``: the names)."""
    entry = next((f for f in files or [] if f.get("name") == row.get("name")), {})
    fplan = entry.get("plan") or {}
    wanted = row.get("wanted") or {}
    current = row.get("current") or {}
    file_changed = row.get("name") in (written or [])
    where = ("%s %s%s" % (fplan.get("kind"), fplan.get("path"), " written" if file_changed else " already had it")
             if fplan.get("kind") in ("compose", "quadlet") else "no file")
    return {"name": row.get("name"), "engine": row.get("engine"), "id": row.get("id"), "image": row.get("image"),
            "use_mb": _to_mb(row.get("use")), "memory_mb": _to_mb(wanted.get("memory")),
            "memory_swap_mb": _to_mb(wanted.get("memory_swap")),
            "memory_reservation_mb": _to_mb(wanted.get("memory_reservation")),
            "was_memory_mb": _to_mb(current.get("memory")), "was_memory_swap_mb": _to_mb(current.get("memory_swap")),
            "changed": bool(row.get("changed")), "file_kind": fplan.get("kind"), "file": fplan.get("path"),
            "file_changed": file_changed, "warning": fplan.get("warning"),
            "summary": "%s; %s" % (row.get("summary"), where)}


MANIFEST_KEYS = ("path", "workload", "container", "memory", "request")


def manifest_errors(manifests):
    """Readable problems with ``containers_manifests`` ({path, workload, container, memory, request?}); [] when
    every entry is valid. The workload and container names are the editor's to judge when it reads the file."""
    if not isinstance(manifests, list):
        return ["containers_manifests must be a list of {path, workload, container, memory, request?}, got %s"
                % type(manifests).__name__]
    errors, seen = [], set()
    for i, entry in enumerate(manifests):
        where = "containers_manifests[%d]" % i
        if not isinstance(entry, dict):
            errors.append("%s must be a mapping {path, workload, container, memory}, got %s" % (where, _show(entry)))
            continue
        unknown = sorted(_show(str(k)) for k in entry if k not in MANIFEST_KEYS)
        if unknown:
            errors.append("%s: unknown key(s) %s (known: %s)" % (where, ", ".join(unknown), ", ".join(MANIFEST_KEYS)))
        if clean_path(entry.get("path")) is None:
            errors.append("%s: path %s is not an absolute, normalised path" % (where, _show(entry.get("path"))))
        for key in ("workload", "container"):
            if not isinstance(entry.get(key), str) or not entry.get(key):
                errors.append("%s: %s is required (a name; workload may be Kind/name)" % (where, key))
        key = (entry.get("path"), entry.get("workload"), entry.get("container"))
        if key in seen:
            errors.append("%s: %s %s/%s is named twice" % (where, _show(key[0]), _show(key[1]), _show(key[2])))
        seen.add(key)
        try:
            sizes = check_limits(manifest_limits(entry))
        except EditError as e:
            errors.append("%s: %s" % (where, e))
            continue
        if sizes["memory"] < LIMIT_FLOOR:
            errors.append("%s: memory %s is below the floor of %d MiB" % (where, _show(entry["memory"]), LIMIT_FLOOR // MIB))
    return errors


def manifest_limits(entry):
    """The editor's ``limits`` of a manifest entry: the request is the container's memory reservation."""
    limits = {"memory": entry.get("memory")}
    if entry.get("request") not in (None, ""):
        limits["memory_reservation"] = entry["request"]
    return limits
