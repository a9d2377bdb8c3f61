# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""remediate: from a diagnose report to the roles to apply, and the proof afterwards.

- ``roles_for(doc)``: a host's remedy-vars document split by role, in the order they are applied; any
  variable, item key or value diagnose does not propose is refused (a report file never sets ``ansible_*``
  nor a role's safety opt-out, and names no file outside its engine's layout);
- ``report_problems(report, host, facts, now, max_age_s)``: why a report may not drive this host (too old,
  host not in it, its RAM changed);
- ``health_problems(before, after, running_before, services_after, thresholds, check_mode)``: the health gate
  after a batch;
- the proof after the apply (which findings were fixed, which were not and why) is in proof.py;
- ``stopped_record(hosts, hostvars)`` and ``stopped_lines``: the record of a run that stopped during the apply
  (a failed host), written before Ansible ends the playbook: what each host changed, and why it stopped."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import re

from ansible_collections.headroom.memory.plugins.module_utils.sizes import MIB
from ansible_collections.headroom.memory.plugins.plugin_utils.report.svg_charts import report_text
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.common import (
    container_list, fmt_mb, memory_view, merge_thresholds, own_events)
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.containers import ENGINES, label
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.containers import running as container_running
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.attribution import attribute_pm2, victim_label
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.gate import recheck
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.remedy_vars import remedy_errors

# The order remedies are applied in, and why: swap first gives the host room for what follows (a restart
# briefly holds the old and the new process); limits before anything restarts, so that a restarted service
# comes back already bounded; then the heap and the database settings that size a service to those limits;
# workers, since their count is sized to the room the others leave; then the containers' limits (a container
# is bounded within what the host's services leave) and the PM2 apps' thresholds and heaps, which restart what they
# size inside the room left.
ROLES = ("swap", "service_limits", "heap", "database", "workers", "containers", "pm2")
# PM2 statuses of an app that is up
PM2_UP = ("online",)

_NAME = re.compile(r"^[a-z][a-z0-9_]*\Z")  # \Z: "$" would let a trailing newline through
_HOURS = 3600


class RemediateError(ValueError):
    """A remedy-vars document or report that may not be used."""


def role_of(variable):
    """The remedy role a variable belongs to (by its prefix), or None."""
    for role in ROLES:
        if variable.startswith(role + "_"):
            return role
    return None


def _shown(value):
    """A value for an error message: repr, cut to 80 characters, control characters replaced."""
    return report_text(repr(value)[:80], "text")


def _withheld_text(w):
    return "%s %s %s %s: %s" % (w["variable"], report_text(str(w["item"])[:80], "text"), w["setting"], _shown(w["value"]),
                                w["reason"])


def roles_for(doc, name="remedy-vars", facts=None, host=None):
    """``[{role, vars}]`` in ROLES order for one host's remedy-vars document (None or {} gives []). Only what
    diagnose proposes passes (triage.remedy_vars: the variables, each item's keys and the shape of each
    value); anything else is refused, naming the file, the key and the value. With ``facts`` (the host's
    headroom facts read now) the remedy gate's bounds are applied again (triage.gate.recheck): a size the
    gate would withhold on the host as it is now is refused, naming ``host``, the variable and the value."""
    if doc is None:
        return []
    if not isinstance(doc, dict):
        raise RemediateError("%s: expected a mapping of role variables, got %s" % (name, type(doc).__name__))
    by_role = {}
    for variable in sorted(doc, key=str):
        role = role_of(str(variable)) if _NAME.match(str(variable)) else None
        if role is None:
            raise RemediateError("%s: %s is not a variable of %s: refused (a report may only set the remedy roles' "
                                 "variables)" % (name, _shown(variable),
                                                 ", ".join("headroom.memory." + r for r in ROLES)))
        problems = []
        for index, key, reason in remedy_errors(variable, doc[variable]):
            where = variable if index is None else "%s[%s]" % (variable, index)
            if key is not None:
                value = doc[variable][index][key]
                problems.append("%s.%s %s %s" % (where, report_text(str(key)[:80], "text"), _shown(value), reason))
            else:
                problems.append("%s %s" % (where, reason))
        if problems:
            raise RemediateError("%s: %s: refused. Nothing was changed." % (name, "; ".join(problems)))
        by_role.setdefault(role, {})[variable] = doc[variable]
    withheld = recheck(facts, doc) if facts is not None else []
    if withheld:
        raise RemediateError("%s: %s: the remedy gate withholds it on the host as it is now: %s. Nothing was changed; "
                             "diagnose again" % (name, "this host" if host is None else report_text(str(host)[:80], "text"),
                                                 "; ".join(_withheld_text(w) for w in withheld)))
    return [{"role": role, "vars": by_role[role]} for role in ROLES if role in by_role]


def parse_time(text):
    """A report's ``generated`` (``YYYY-MM-DDTHH:MM:SSZ``) as an aware datetime, or None."""
    try:
        return datetime.datetime.strptime(str(text), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        return None


def report_host(report, host):
    """The host's entry of a triage_fleet report, or None."""
    for entry in (report or {}).get("hosts") or []:
        if entry.get("host") == host:
            return entry
    return None


def report_problems(report, host, facts, now=None, max_age_s=24 * _HOURS, ram_tolerance_pct=1):
    """Why ``report`` may not drive ``host`` now ([] when it may). ``facts`` are the host's headroom facts
    read now; its RAM (MemTotal, or its cgroup limit where the report saw one) must match the report's."""
    problems = []
    if not isinstance(report, dict) or "hosts" not in report:
        return ["the report is not a headroom.memory.diagnose report.json"]
    generated = parse_time(report.get("generated"))
    now = now or datetime.datetime.now(datetime.timezone.utc)
    if generated is None:
        problems.append("the report has no readable time (generated=%r)" % (report.get("generated"),))
    elif (now - generated).total_seconds() > max_age_s:
        problems.append("the report is from %s, %.1f h ago, older than remediate_max_report_age (%.1f h): diagnose again"
                        % (report["generated"], (now - generated).total_seconds() / _HOURS, max_age_s / float(_HOURS)))
    elif (generated - now).total_seconds() > 300:
        problems.append("the report is from %s, in the future: check the controller's clock" % report["generated"])
    entry = report_host(report, host)
    if entry is None:
        problems.append("%s is not in the report: diagnose it first" % host)
        return problems
    if entry.get("status") != "ok":
        problems.append("%s was %s in the report: diagnose it again" % (host, entry.get("status")))
        return problems
    summary = entry.get("summary") or {}
    then = (summary.get("host_ram_mb"), summary.get("ram_mb"))
    view = memory_view(facts or {})
    current = ((facts or {}).get("memory") or {}).get("total_mb"), view.get("total_mb")
    for what, old, new in (("RAM (MemTotal)", then[0], current[0]), ("its memory (RAM or cgroup limit)", then[1], current[1])):
        if old is None or new is None:
            continue
        if abs(new - old) * 100 > ram_tolerance_pct * max(old, 1):
            problems.append("%s of %s changed since the report: %s then, %s now; diagnose again"
                            % (what, host, fmt_mb(old), fmt_mb(new)))
    return problems


def _container_key(c):
    """A container across a batch: its engine and name (compose re-creates a container under a new id and the
    same name); a cgroup-only one by its id."""
    return (c.get("runtime"), c.get("name")) if c.get("name") else (c.get("runtime"), c.get("id"))


def _running_containers(facts):
    return dict((_container_key(c), c) for c in container_list(facts or {}) if container_running(c))


def containers_stopped(before, after):
    """The health gate's containers part: why a container that ran before the batch does not run after, as
    problems ([] when every one still runs, or when either reading has no containers subset). A container of an
    engine that could not be read after (``engines.<engine>.error``) counts as not proven running; one that may
    only have fallen off a capped list (``total`` above the list's length) is not counted."""
    before, after = before or {}, after or {}
    if not isinstance(before.get("containers"), dict) or not isinstance(after.get("containers"), dict):
        return []
    then, now = _running_containers(before), _running_containers(after)
    listed = dict((_container_key(c), c) for c in container_list(after))
    engines = after["containers"].get("engines") if isinstance(after["containers"].get("engines"), dict) else {}
    capped = (after["containers"].get("total") or 0) > len(container_list(after))
    stopped, unread = [], []
    for key in sorted(then, key=lambda k: tuple(str(x) for x in k)):
        if key in now:
            continue
        runtime = key[0]
        engine = engines.get(runtime) if isinstance(engines.get(runtime), dict) else {}
        error = engine.get("error") or engine.get("skipped")  # skipped: not asked (its daemon socket is gone)
        if error or (runtime in ENGINES and runtime not in engines):
            unread.append("%s (%s could not be read after the batch: %s)" % (
                label(then[key]), runtime, error or "the engine is gone"))
        elif key in listed:
            stopped.append("%s, now %s" % (label(then[key]), listed[key].get("state") or "without a cgroup"))
        elif not capped:
            stopped.append("%s, now gone" % label(then[key]))
    problems = []
    if stopped:
        problems.append("container(s) running before and not now: %s" % "; ".join(stopped))
    if unread:
        problems.append("container(s) running before whose state is unknown now: %s" % "; ".join(unread))
    return problems


def _failed(entry):
    """Whether a service_facts entry says the unit is failed."""
    return isinstance(entry, dict) and "failed" in (entry.get("state"), entry.get("status"))


def _pm2_online(facts):
    """{(home, name): online instances} of memory_facts' pm2 subset, or None when the facts have no pm2 reading."""
    pm2 = (facts or {}).get("pm2")
    if not isinstance(pm2, dict):
        return None
    counts = {}
    for app in pm2.get("apps") or []:
        if isinstance(app, dict) and app.get("name") is not None:
            key = (str(app.get("home") or ""), str(app["name"]))
            counts[key] = counts.get(key, 0) + (1 if app.get("status") in PM2_UP else 0)
    return counts


def pm2_down(before, after):
    """The PM2 apps with fewer online instances after the batch than before, as ``api (1 of 2 online)``; [] when
    either reading has no pm2 subset (the batch had nothing for PM2)."""
    then, now = _pm2_online(before), _pm2_online(after)
    if then is None or now is None:
        return []
    down = []
    for (home, name), count in sorted(then.items()):
        if count and now.get((home, name), 0) < count:
            where = ", PM2 home %s" % report_text(home[:80], "text") if home else ""
            down.append("%s (%d of %d online%s)" % (report_text(name[:80], "text"), now.get((home, name), 0), count, where))
    return down


def health_problems(before, after, running_before, services_after, thresholds=None, check_mode=False):
    """The health gate: [] when the host is at least as healthy as before the batch. ``before``/``after`` are
    headroom facts; ``running_before`` the names of the units running before; ``services_after`` service_facts'
    ``services`` read after ({name: {state, status}}).

    A problem is:

    - a unit that was running before and is **failed** after. systemd marks a unit failed when its process was
      killed (an OOM kill, a signal), crashed, exited with an error or could not start again; a unit that finished
      with success is inactive, or gone (a transient unit is collected), and is no problem. So a oneshot or
      timer-driven job (apt-daily, man-db, logrotate, this collection's own collector every 60 s) ending during
      the batch never stops the fleet run, while a long-running service that dies does. A service caught between
      a crash and its ``Restart=`` is not failed: it counts when memory killed it (the OOM kills below) or once
      systemd gives up restarting it (its start limit leaves it failed);
    - an OOM kill (of this host's own, as triage counts them) that was not there before;
    - the memory available under triage's critical line (``available_crit_pct``) when it was not before;
    - a container that was running before and is not after (``containers_stopped``: both facts with the
      containers subset).
    - a PM2 app that was online before and is not now: each app (by PM2 home and name) has at least as many online
      instances after as before (read from memory_facts' ``pm2`` subset, when both readings carry it).

    ``check_mode``: nothing was changed, so the memory readings (available memory, OOM kills) are the host's own
    noise, not the batch's doing, and are not compared; a unit that failed is still reported."""
    merged = merge_thresholds(thresholds)
    if services_after is None:
        services_after = {}
    if not isinstance(services_after, dict):
        raise RemediateError("the services after the batch must be service_facts' services (a mapping), got %s"
                             % type(services_after).__name__)
    problems = []
    failed = sorted(set(u for u in running_before or [] if _failed(services_after.get(u))))
    if failed:
        problems.append("unit(s) running before and failed now: %s" % ", ".join(failed))
    problems.extend(containers_stopped(before, after))
    down = pm2_down(before, after)
    if down:
        problems.append("PM2 app(s) online before and not now: %s" % ", ".join(down))
    if check_mode:
        return problems

    def key(e):
        return (e.get("time"), (e.get("victim") or {}).get("pid"), e.get("unit"))

    old = set(key(e) for e in own_events(before or {}, merged))
    new = attribute_pm2([e for e in own_events(after or {}, merged) if key(e) not in old], after or {})
    if new:
        problems.append("%d new OOM kill(s): %s" % (len(new), ", ".join(
            "%s (pid %s, unit %s)" % (report_text(victim_label(e)[:120], "text"), (e.get("victim") or {}).get("pid"),
                                      e.get("unit") or "none") for e in new)))
    line = merged["available_crit_pct"]
    pct_before, pct_after = memory_view(before or {}).get("available_pct"), memory_view(after or {}).get("available_pct")
    if pct_after is not None and pct_after < line and not (pct_before is not None and pct_before < line):
        problems.append("memory available %.1f%% is under the critical line %s%% (was %s)" % (
            pct_after, line, "unknown" if pct_before is None else "%.1f%%" % pct_before))
    return problems


def _t(value):
    return report_text(value, "text")


def vars_text(role_vars):
    """Role variables in one line: ``swap_files: /swapfile size=2G; swap_swappiness: 10``."""
    parts = []
    for name in sorted(role_vars):
        value = role_vars[name]
        if isinstance(value, list):
            items = []
            for item in value:
                if isinstance(item, dict):
                    ident = item.get("unit") or item.get("path") or item.get("name") or ""
                    items.append(" ".join([str(ident)] + ["%s=%s" % (k, item[k]) for k in sorted(item)
                                                          if k not in ("unit", "path", "name")]).strip())
                else:
                    items.append(str(item))
            value = ", ".join(items)
        parts.append("%s: %s" % (name, value))
    return "; ".join(parts)


def plan_lines(plans):
    """The plan table: ``plans`` is [{host, roles: [{role, vars, changes}]}]; ``changes`` is what the role
    reported it would change (check mode) or None when it was not run."""
    lines = ["%-24s  %-15s  %s" % ("HOST", "ROLE", "WOULD CHANGE")]
    for p in plans or []:
        if not p.get("roles"):
            lines.append("%-24s  %-15s  %s" % (_t(p["host"]), "-", "nothing to remedy"))
        for r in p.get("roles") or []:
            changes = r.get("changes")
            if changes is None:
                text = vars_text(r.get("vars") or {})
            else:
                text = "; ".join(changes) if changes else "nothing (already in place)"
            lines.append("%-24s  %-15s  %s" % (_t(p["host"]), _t(r["role"]), _t(text)))
    return lines


def _setting(key, value):
    """A database setting for the plan table: sizes the roles keep in bytes (Redis maxmemory, MariaDB's
    innodb_buffer_pool_size) in MiB, everything else as the role wrote it."""
    if isinstance(value, int) and not isinstance(value, bool) and key.endswith(("memory", "_size")) and value >= MIB:
        return fmt_mb(value // MIB)
    return value


def _names(entry, keys):
    return [str(entry[k]) for k in keys if isinstance(entry, dict) and entry.get(k) is not None]


def _limits_text(settings):
    return " ".join("%s=%s" % (k, fmt_mb(v // MIB) if k.startswith("Memory") and isinstance(v, int) else v)
                    for k, v in sorted((settings or {}).items()))


def _swap_items(result):
    if result.get("skipped"):
        return [{"names": [], "changed": False, "said": ["skipped: %s" % result.get("reason")]}]
    return [{"names": _names(f, ("path",)), "changed": bool(f.get("changed")),
             "said": ["swap file %s: %s" % (f.get("path"), f.get("outcome"))] if f.get("changed") else []}
            for f in result.get("files") or [] if isinstance(f, dict)]


def _service_limits_items(result):
    out = []
    for unit in result.get("units") or []:
        if not isinstance(unit, dict):
            continue
        said = []
        if unit.get("dropin_changed"):
            said.append("%s: drop-in %s %s" % (unit.get("unit"), unit.get("dropin"), "removed" if unit.get("state") == "absent"
                                               else "written with %s" % (_limits_text(unit.get("settings")) or "no setting")))
        if unit.get("live_pushed"):
            said.append("%s: %s" % (unit.get("unit"), " ".join(str(a) for a in unit["live_pushed"])))
        if unit.get("restart_required"):
            said.append("%s: restart (%s)" % (unit.get("unit"), "; ".join(unit.get("restart_reasons") or [])))
        out.append({"names": _names(unit, ("unit",)), "said": said,
                    "changed": bool(unit.get("live_pushed") or unit.get("restart_required") or unit.get("dropin_changed"))})
    return out


def _database_items(result):
    return [{"names": _names(i, ("name", "unit")),
             "changed": bool(i.get("backup_file") or i.get("restarted") or i.get("restart_required")),
             "said": ["%s (%s): %s%s" % (
                 i.get("name"), i.get("engine"),
                 " ".join("%s=%s" % (k, _setting(k, v)) for k, v in sorted((i.get("settings") or {}).items())) or "no setting",
                 ", restart" if i.get("restart_required") else "")]}
            for i in result.get("instances") or [] if isinstance(i, dict)]


def _workers_items(result):
    out = []
    for pool in result.get("pools") or []:
        if not isinstance(pool, dict):
            continue
        label = "%s %s" % (pool.get("kind"), pool.get("name"))
        if pool.get("left_alone"):
            said = ["%s: left alone (%s)" % (label, pool.get("load_evidence") or "no evidence of load")]
        elif pool.get("changed"):
            said = ["%s: %s workers (was %s)" % (
                label, pool.get("count"), "unset" if pool.get("current_count") is None else pool["current_count"])]
        else:
            said = []
        out.append({"names": _names(pool, ("name", "unit", "dest", "config")), "changed": bool(pool.get("changed")),
                    "said": said})
    return out


def _containers_items(result):
    out = [{"names": _names(c, ("name", "file")), "changed": bool(c.get("changed") or c.get("file_changed")),
            "said": [str(c.get("summary"))] if c.get("changed") or c.get("file_changed") else []}
           for c in result.get("containers") or [] if isinstance(c, dict)]
    manifests = result.get("manifests") if isinstance(result.get("manifests"), dict) else {}
    return out + [{"names": [str(p)], "changed": True, "said": ["manifest %s: resources.limits.memory written" % p]}
                  for p, written in sorted(manifests.items()) if written]


# the remedy roles whose result facts role_items reads: the fact, its type, and the reader of its items
_RESULTS = {
    "swap": ("swap_result", dict, _swap_items),
    "service_limits": ("service_limits_result", dict, _service_limits_items),
    "heap": ("heap_restart_required", list, lambda units: [
        {"names": [str(u)], "changed": True, "said": ["%s: new heap, restart" % u]} for u in units]),
    "database": ("database_result", dict, _database_items),
    "workers": ("workers_result", dict, _workers_items),
    "containers": ("containers_result", dict, _containers_items),
}


def role_items(role, facts):
    """The one reader of the remedy roles' result facts (``facts``: the host's variables holding them), for both the
    plan table and the record (``role_changes``) and the proof (``proof.changed_items``): per item the role reports
    (a swap file, a unit, an instance, a pool) ``{names: [the names it is known by], changed: whether this run
    changed it (or would, in check mode), said: [short sentences]}``; None when the role keeps no result this can
    read (pm2) or its result fact is not there."""
    if role not in _RESULTS:
        return None
    fact, kind, reader = _RESULTS[role]
    result = (facts or {}).get(fact)
    return reader(result) if isinstance(result, kind) else None


def role_changes(role, facts):
    """What a remedy role reported it changes (or would, in check mode), from its public result facts
    (``role_items``): a list of short sentences ([] when its result is not there), or None when the role keeps no
    result this can read."""
    if role not in _RESULTS:
        return None
    return [s for item in role_items(role, facts) or [] for s in item["said"]]


def plan_rows(hosts, hostvars):
    """[{host, roles: [{role, vars, changes}]}] for ``hosts`` from their ``__remediate_roles`` and, after a
    check-mode batch, ``__remediate_changes`` ({role: [sentences]})."""
    rows = []
    for host in hosts or []:
        hv = hostvars.get(host) or {}
        changes = hv.get("__remediate_changes") or {}
        rows.append({"host": host, "roles": [dict(r, changes=changes.get(r["role"])) for r in hv.get("__remediate_roles") or []]})
    return rows


STOPPED_NOT_REACHED = "not reached: the run stopped before this host's batch"
STOPPED_NOT_LOADED = "not applied: the first play loaded no remedies for it (its checks failed or it was unreachable)"


def stopped_record(hosts, hostvars):
    """The record of a run that stopped during the apply, from ``hostvars`` of ``hosts`` (the play's): per host
    ``{host, status, msg, roles, changed: {role: [sentences]}, rolled_back: [{role, path, action}],
    read_back: [{role, reading}]}`` (read_back: live limits read after a rollback, not counted as changes) where status
    is ``ok`` (applied, health gate passed), ``failed`` (a plan refused, the apply or the health gate failed:
    ``msg`` says where and why) or ``stopped`` (not reached); ``changed`` is what each role it ran reported it
    changed (``role_changes``), after a failed apply what stayed changed once its files were put back
    (``phases.apply_failed``), after a refused plan nothing. Top level:
    ``stopped: true``, ``failed`` (the failed hosts) and ``changed_hosts`` (those that changed anything)."""
    rows = []
    for host in hosts or []:
        hv = hostvars.get(host) or {}
        applied = hv.get("__remediate_applied")
        if not applied:
            why = STOPPED_NOT_REACHED if "__remediate_roles" in hv else STOPPED_NOT_LOADED
            rows.append({"host": host, "status": "stopped", "msg": why, "roles": [], "changed": {}, "rolled_back": [],
                         "read_back": []})
            continue
        roles = [str(r) for r in applied.get("roles") or []]
        changed = {}
        if applied.get("phase") in ("plan", "apply"):
            # a refused plan changed nothing; a failed apply kept what stayed changed after its rollback
            for item in applied.get("stayed_changed") or []:
                changed.setdefault(str(item.get("role")), []).append(str(item.get("change")))
        else:
            for role in roles:
                sentences = role_changes(role, hv)
                if sentences:
                    changed[role] = [str(x) for x in sentences]
        status = "ok" if applied.get("status") == "ok" else "failed"
        rows.append({"host": host, "status": status, "msg": str(applied.get("msg") or ""), "roles": roles, "changed": changed,
                     "rolled_back": [dict((str(k), str(v)) for k, v in r.items()) for r in applied.get("rolled_back") or []],
                     "read_back": [dict((str(k), str(v)) for k, v in r.items()) for r in applied.get("read_back") or []]})
    return {"stopped": True, "hosts": rows, "failed": [r["host"] for r in rows if r["status"] == "failed"],
            "changed_hosts": [r["host"] for r in rows if r["changed"]]}


def stopped_lines(record):
    """The record of a stopped run as console lines: one line per role change, per failure and per host not
    reached."""
    lines = ["remediate stopped during the apply: %s failed; the findings were not checked again"
             % (", ".join(_t(h) for h in record.get("failed") or []) or "a host"),
             "%-24s  %-8s  %-15s  %s" % ("HOST", "STATUS", "ROLE", "CHANGED / WHY")]
    for h in record.get("hosts") or []:
        for role in sorted(h.get("changed") or {}):
            for sentence in h["changed"][role]:
                lines.append("%-24s  %-8s  %-15s  %s" % (_t(h["host"]), h["status"], _t(role), _t(sentence)))
        for r in h.get("rolled_back") or []:
            back = "put back: %s (%s)" % (r.get("path"), r.get("action"))
            lines.append("%-24s  %-8s  %-15s  %s" % (_t(h["host"]), h["status"], _t(r.get("role")), _t(back)))
        for r in h.get("read_back") or []:
            seen = "read back: %s" % r.get("reading")
            lines.append("%-24s  %-8s  %-15s  %s" % (_t(h["host"]), h["status"], _t(r.get("role")), _t(seen)))
        if h["status"] != "ok" or not h.get("changed"):
            why = h.get("msg") or ("changed nothing" if h["status"] == "ok" else "")
            lines.append("%-24s  %-8s  %-15s  %s" % (_t(h["host"]), h["status"], "-", _t(why)))
    lines.append("%d host(s) changed something: %s" % (
        len(record.get("changed_hosts") or []), ", ".join(_t(h) for h in record.get("changed_hosts") or []) or "none"))
    return lines
