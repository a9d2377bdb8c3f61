# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""remediate, all or nothing per host: every remedy role's plan (tasks_from phase_plan) runs before the first
change; then the files the plans will write are copied aside, and a failure during the apply puts them back.

- ``planned_files(role, facts)``: the configuration files a role's plan (its private plan facts) will write or
  delete (service_limits' set-property overrides, swap's sysctl.d file under an old name);
- ``snapshot(stats)``: those files as they were before the apply, from a stat loop;
- ``rollback(before, now)``: which of them this run changed, to restore from the copy or remove (it made them);
- ``apply_failed(applied, failed_role, done, facts, files_by_role, undone, left, live_results)``: the host's record
  (``__remediate_applied``) after a failure during the apply: the role that failed, what was put back, and what
  stayed changed (live state is never rolled back: an active swap file, a limit pushed to a running unit, a
  reloaded server stay, and the record says so)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.headroom.memory.plugins.plugin_utils.remediate.plan import role_changes

# What each role changes besides its files, which a rollback of the files does not undo (heap changes files only:
# its restarts are handlers, which a failed host never runs)
LIVE = {
    "swap": "swap files made or resized stay active and vm.* sysctls stay set live",
    "service_limits": "limits pushed live to running units stay until systemd applies the files again",
    "database": "settings applied online (SET GLOBAL, CONFIG SET) or by a reload stay live",
    "workers": "a server reloaded to a new count runs with it until the next reload",
    "containers": "limits set live with docker/podman update stay on the running containers",
    "pm2": "apps restarted or reloaded with new settings run with them; pm2 save kept the list",
    # the step after the roles (roles/remediate/tasks/apply.yml names it so)
    "the restarts the roles queued": "units restarted before the failure run with the new settings until their next "
                                     "restart",
}


def _get(facts, name, default=None):
    value = facts.get(name) if facts is not None else None
    return default if value is None else value


def _paths(items, key):
    return [str(i[key]) for i in items or [] if isinstance(i, dict) and i.get(key)]


def planned_files(role, facts):
    """The files the plan of ``role`` (its private facts in ``facts``, a host's variables after the role's
    phase_plan) will write or delete, absolute paths in plan order; [] for a role that writes no file or kept no
    plan. A deleted file is copied aside like a written one, so that a rollback puts it back."""
    facts = facts if facts is not None else {}
    if role == "swap":
        if not _get(facts, "__swap_manageable"):
            return []
        sysctl = _get(facts, "__swap_sysctl", {})
        # fstab, our sysctl.d file, and ours under a name no longer used, which the apply deletes
        return (["/etc/fstab"] if _get(facts, "swap_files") else []) + (
            ["/etc/sysctl.d/%s" % sysctl["name"]] if sysctl.get("name") else []) + [str(p) for p in sysctl.get("remove") or []]
    if role == "service_limits":
        # each unit's drop-in (written, or deleted for an absent item) and the set-property overrides it replaces,
        # which the apply deletes
        units = _get(facts, "__service_limits_plan", {}).get("units")
        return _paths(units, "dropin") + [str(p) for u in units or [] if isinstance(u, dict)
                                          for p in u.get("remove_overrides") or []]
    if role == "heap":
        # an /etc/default file is written where the preflight decided (a link's target: the link itself stays)
        where = _get(facts, "__heap_default_files", {}).get("files") or {}
        return [str((where.get(p) or {}).get("path") or p) for p in _paths(_get(facts, "__heap_plan", {}).get("units"), "path")]
    if role == "database":
        return _database_files(facts)
    if role == "workers":
        return _paths([p for p in _get(facts, "__workers_plan", []) if not p.get("left_alone")], "dest")
    if role == "containers":
        return _paths([e.get("plan") for e in _get(facts, "__containers_edits", []) if isinstance(e, dict)], "path")
    if role == "pm2":
        return _paths([p for p in _get(facts, "__pm2_plan", []) if p.get("file_changed")], "ecosystem_file")
    return []


def _database_files(facts):
    """PostgreSQL: postgresql.conf (the conf.d include) and conf.d/<the role's file>; MariaDB/MySQL: the
    instance's config_file or the role's default; Redis and MongoDB: the config file the preflight decided. The
    role's file names come from ``__database_file_names`` (its phase_plan keeps them)."""
    live = _get(facts, "__database_live", {})
    conf = _get(facts, "__database_conf", {}).get("files") or {}
    instances = {i.get("name"): i for i in _get(facts, "__database_instances", []) if isinstance(i, dict)}
    names = _get(facts, "__database_file_names", {})
    out = []
    for plan in _get(facts, "__database_plans", []):
        name, engine = plan.get("name"), plan.get("engine")
        if engine == "postgresql":
            cluster = (live.get(name) or {}).get("cluster") or {}
            if cluster.get("conf_dir"):
                out.append("%s/postgresql.conf" % cluster["conf_dir"])
                if names.get("pg_conf_name"):
                    out.append("%s/conf.d/%s" % (cluster["conf_dir"], names["pg_conf_name"]))
        elif engine in ("mariadb", "mysql"):
            out.append((instances.get(name) or {}).get("config_file")
                       or names.get("mariadb_conf" if engine == "mariadb" else "mysql_conf"))
        elif (conf.get(name) or {}).get("path"):
            out.append(conf[name]["path"])
    return [str(p) for p in out if p]


def snapshot(stats):
    """``{path: {exists, checksum, owner, group, mode, saved_as}}`` from the results of a stat loop (item: the path);
    ``saved_as`` is the name of an existing file's copy in the private directory (its rank, by path), else None."""
    out = {}
    for result in stats or []:
        stat = result.get("stat") or {}
        path = str(result.get("item"))
        if stat.get("exists") and not stat.get("isreg"):
            raise ValueError("%s is not a regular file: remediate copies aside only regular files; nothing was "
                             "changed" % path)
        out[path] = {"exists": bool(stat.get("exists")), "checksum": stat.get("checksum"),
                     "owner": stat.get("pw_name"), "group": stat.get("gr_name"), "mode": stat.get("mode"), "saved_as": None}
    for rank, path in enumerate(sorted(p for p in out if out[p]["exists"])):
        out[path]["saved_as"] = str(rank)
    return out


def rollback(before, now_stats):
    """What a failed apply changed among the copied files (``before``: ``snapshot``; ``now_stats``: a stat loop's
    results now): ``{restore: [{path, saved_as, owner, group, mode}], remove: [paths]}`` - restore a file that existed
    before and differs now (or is gone, or is no longer a regular file), remove one this run made."""
    now = {}
    for result in now_stats or []:
        stat = result.get("stat") or {}
        now[str(result.get("item"))] = {"exists": bool(stat.get("exists")), "isreg": bool(stat.get("isreg")),
                                        "checksum": stat.get("checksum")}
    restore, remove = [], []
    for path in sorted(before or {}):
        was, isnow = before[path], now.get(path) or {}
        if was["exists"]:
            if not isnow.get("isreg") or isnow.get("checksum") != was["checksum"]:
                restore.append({"path": path, "saved_as": was["saved_as"], "owner": was["owner"], "group": was["group"],
                                "mode": was["mode"]})
        elif isnow.get("exists"):
            remove.append(path)
    return {"restore": restore, "remove": remove}


def _role_of_file(path, files_by_role):
    for role, files in (files_by_role or {}).items():
        if path in files:
            return role
    return "?"


def _live_limits(results):
    """[{role: service_limits, reading}] from ``systemctl show --property=MemoryMax,...`` results per unit: what
    the unit runs with after the rollback, a reading (it may equal what it ran with before), not a change."""
    out = []
    for result in results or []:
        if result.get("rc") == 0 and result.get("stdout"):
            values = " ".join(line.strip() for line in str(result["stdout"]).splitlines() if line.strip())
            out.append({"role": "service_limits", "reading": "%s: live now %s" % (result.get("item"), values)})
    return out


def apply_failed(applied, failed_role, done, facts, files_by_role, undone, left=None, live_results=None):
    """The host's record after a failure while ``failed_role`` applied (``done``: the roles applied before it).

    ``undone``: the rollback (``rollback``) that was carried out; ``left``: ``rollback`` computed again from a stat
    after it - what still differs was not put back and stays changed; ``live_results``: ``systemctl show`` of
    service_limits' units after the rollback. Returns ``applied`` (kept keys: status, msg, roles,
    restart_required, restart_allowed) with ``phase: apply``, ``failed_role``, ``applied_roles``, ``rolled_back``
    [{role, path, action}], ``stayed_changed`` [{role, change}] and ``read_back`` [{role, reading}] (the live
    limits read after the rollback: readings, not changes), and a msg that names them all, never "nothing was
    changed" when something stayed."""
    applied = dict(applied or {})
    not_restored = [str(r["path"]) for r in (left or {}).get("restore") or []] + [
        str(p) for p in (left or {}).get("remove") or []]
    rolled = [{"role": _role_of_file(i["path"], files_by_role), "path": i["path"], "action": "restored"}
              for i in (undone or {}).get("restore") or [] if i["path"] not in not_restored]
    rolled += [{"role": _role_of_file(p, files_by_role), "path": p, "action": "removed"}
               for p in (undone or {}).get("remove") or [] if p not in not_restored]
    stayed = [{"role": _role_of_file(p, files_by_role), "change": "%s: changed, and putting it back failed" % p}
              for p in not_restored]
    for role in list(done or []) + [failed_role]:
        if role in LIVE:
            reported = role_changes(role, facts) if role != failed_role else None
            if reported is None:  # the failed role kept no result, or the role keeps none this can read
                stayed.append({"role": role, "change": "may have: " + LIVE[role]})
            else:  # what the role reported, less what names a file that was put back
                stayed.extend({"role": role, "change": str(s)} for s in reported
                              if not any(r["path"] in str(s) for r in rolled))
    read_back = _live_limits(live_results)
    why = applied.get("msg") or "failed"
    msg = "%s failed during the apply (%s)" % (failed_role, why)
    msg += "; put back: %s" % (", ".join("%s (%s)" % (r["path"], r["action"]) for r in rolled) if rolled else "no file")
    kept = "; ".join("%s: %s" % (s["role"], s["change"]) for s in stayed)
    msg += "; still changed: %s" % (kept or "nothing (every file this run changed was put back)")
    if read_back:
        msg += "; read back: %s" % "; ".join(r["reading"] for r in read_back)
    applied.update({"status": "failed", "msg": msg, "phase": "apply", "failed_role": failed_role,
                    "applied_roles": list(done or []), "rolled_back": rolled, "stayed_changed": stayed,
                    "read_back": read_back})
    return applied


def plan_refused(applied, role, why):
    """The host's record when ``role``'s plan refused: nothing was applied on this host."""
    applied = dict(applied or {})
    applied.update({"status": "failed", "phase": "plan", "failed_role": role, "applied_roles": [],
                    "rolled_back": [], "stayed_changed": [],
                    "msg": "%s refused in its plan, before any change (%s). Nothing was changed on this host: no "
                           "remedy role was applied" % (role, why)})
    return applied
