# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""remediate's proof: each finding of the report remediate applied, instance by instance, judged against the
re-diagnosis after the apply.

- ``applied_hosts(hosts, hostvars)``: per host ``__remediate_applied`` (any extra keys kept) with ``changed``,
  ``{role: [sentences] or None}``: what each role it ran reported it changed (plan.role_changes);
- ``outcome(before, after, applied)``: per host each finding's state and a one-line reason;
- ``outcome_lines(result)``: that as a console table.

A finding is ``fixed`` only when the remedy that targets it was applied on that host in this run (its role ran and
changed that item, or the role keeps no itemised result) and its evidence is gone. Otherwise: ``gone (not by this
run)``, ``not re-checked`` (the re-diagnosis could not see it: the host was not read again, the leak was found from
two samples the re-diagnosis lacked, or it reads past kills that the window still holds and no kill followed),
``remaining``, ``pending restart`` (its remedy waits for a restart remediate_restart did not allow) or ``new``."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.headroom.memory.plugins.plugin_utils.remediate.plan import (
    parse_time, report_host, role_changes, role_items)
from ansible_collections.headroom.memory.plugins.plugin_utils.report.svg_charts import report_text
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.gate import ITEM_KEYS

FIXED, GONE, UNCHECKED, REMAINING, PENDING, NEW = (
    "fixed", "gone (not by this run)", "not re-checked", "remaining", "pending restart", "new")
STATES = (FIXED, PENDING, GONE, UNCHECKED, REMAINING, NEW)

# findings that read the kills of the window (a container's kill counter too): the re-diagnosis reads the same
# window, which still holds the kills before the apply
HISTORY = ("oom_kills_recent", "container_oom_killed", "container_limit_too_tight")
LEAK = "leak_suspect"
# item keys of remedy-vars lists: the gate's, and the workers pools' config file
_ITEM_KEYS = tuple(sorted(set(ITEM_KEYS.values()) | set(("config",))))


def changed_items(role, facts):
    """The items (unit, swap file, instance, pool) a remedy role reports it changed in this run, each as the list of
    names it is known by, from its result facts (``facts``: the host's variables) as plan.role_items reads them; None
    when its result does not say (pm2, or no result). A container counts when its limit was set live or its file
    written; a database instance when its file was backed up (written), it was restarted or waits for a restart; a
    service_limits unit when its drop-in was written or removed, a setting was pushed live or it waits for a restart."""
    items = role_items(role, facts)
    return None if items is None else [i["names"] for i in items if i["changed"]]


def applied_hosts(hosts, hostvars):
    """``{host: __remediate_applied + {changed: {role: [[names of an item]] or None}, said: {role: [sentences]}}}`` for
    ``hosts`` (changed_items, plan.role_changes); extra keys of ``__remediate_applied`` are kept. A host without
    it is ``{status: not run}``."""
    out = {}
    for host in hosts or []:
        hv = hostvars.get(host) or {}
        applied = hv.get("__remediate_applied")
        if not isinstance(applied, dict) or not applied:
            out[host] = {"status": "not run"}
            continue
        changed, said = {}, {}
        for role in [str(r) for r in applied.get("roles") or []]:
            changed[role] = changed_items(role, hv)
            said[role] = [str(x) for x in role_changes(role, hv) or []]
        out[host] = dict(applied, changed=changed, said=said)
    return out


def items_of(finding):
    """The items a finding's remedy names (units, instance names, swap files, pool files), sorted; else the
    services of its settings."""
    remedy = finding.get("remedy") or {}
    named = set()
    for value in (remedy.get("vars") or {}).values():
        for item in value if isinstance(value, list) else []:
            if isinstance(item, dict):
                named.update(str(item[k]) for k in _ITEM_KEYS if item.get(k) is not None)
    if not named:
        named.update(str(s["service"]) for s in remedy.get("settings") or [] if isinstance(s, dict) and s.get("service"))
    return sorted(named)


def instance_of(finding):
    """The instance a finding is about (``redis``, ``a.service, b.service``), '' when its remedy names none."""
    return ", ".join(items_of(finding))


def pair(old, new):
    """[(old finding or None, new finding or None)]: by id and instance first; the rest of one id in order (an
    instance whose remedy changed between the reports still counts as the same finding, never as gone)."""
    left = list(new)
    match = {}
    for index, f in enumerate(old):
        g = next((g for g in left if g["id"] == f["id"] and instance_of(g) == instance_of(f)), None)
        if g is not None:
            left.remove(g)
            match[index] = g
    for index, f in enumerate(old):
        if index not in match:
            match[index] = next((g for g in left if g["id"] == f["id"]), None)
            if match[index] is not None:
                left.remove(match[index])
    pairs = [(f, match[index]) for index, f in enumerate(old)]
    return pairs + [(None, g) for g in left]


def _role(finding):
    return ((finding.get("remedy") or {}).get("role") or "").rsplit(".", 1)[-1]


def waiting(finding, applied):
    """The units or instances of ``finding``'s remedy that still wait for a restart remediate_restart did not
    allow: its configuration is fixed (diagnose reads the files), the running service is not yet."""
    if applied.get("restart_allowed") or not applied.get("restart_required"):
        return []
    named = set()
    for value in ((finding.get("remedy") or {}).get("vars") or {}).values():
        for item in value if isinstance(value, list) else []:
            if isinstance(item, dict):
                named.update(str(item[k]) for k in ("unit", "name") if item.get(k) is not None)
    return [str(r) for r in applied["restart_required"] if str(r) in named]


def remedied(finding, applied):
    """(True, what changed) when the remedy that targets ``finding`` was applied on the host in this run: the host
    passed, its role ran and changed this finding's item (any change of the role when the finding names no item;
    the role's word when its result does not itemise); else (False, why not)."""
    role = _role(finding)
    status = applied.get("status")
    if not role:
        return False, "no remedy of this run targets it"
    if status == "not run":
        return False, "%s was not applied: the run stopped before this host's batch, or it was not in the play" % role
    if status != "ok":
        return False, "the host failed during remediate (%s): its changes are not counted" % (
            applied.get("msg") or "see the run")
    if role not in (applied.get("roles") or []):
        return False, "%s was not applied here (its variables were not in remedy-vars)" % role
    changed = (applied.get("changed") or {}).get(role)
    if changed is None:
        return True, "%s was applied (its result does not say what changed)" % role
    items = items_of(finding)
    hit = [group for group in changed if not items or set(items) & set(group)]
    if not hit:
        return False, "%s ran and changed nothing for it in this run (already in place)" % role
    names = [n for group in hit for n in group]
    said = [s for s in (applied.get("said") or {}).get(role) or [] if any(n in s for n in names)]
    return True, "%s: %s" % (role, "; ".join(said) if said else "changed %s in this run" % ", ".join(
        group[0] for group in hit if group))


def _why(finding, applied):
    """Why a finding is still there after the apply."""
    remedy = finding.get("remedy") or {}
    role = _role(finding)
    if applied.get("status") == "failed":
        return "not fixed: the host failed during remediate (%s)" % (applied.get("msg") or "see the run")
    if applied.get("status") == "not run":
        return "not applied: the run stopped before this host's batch, or it was not in the play"
    if finding.get("id") == LEAK and not role:
        # diagnose proposes no limit for a leak its unit's own limit contains: the limit is in place
        return ("contained by its unit's memory limit; no role of this collection fixes the leak itself: fix the "
                "program or recycle it (max_requests, pm.max_requests, a timer restart)")
    if remedy.get("withheld"):
        return "withheld by the remedy gate: %s" % "; ".join(remedy["withheld"])
    if not role:
        settings = remedy.get("settings") or []
        if settings:
            return "no role of this collection changes it: set %s" % ", ".join(
                "%s = %s (%s)" % (s.get("setting"), s.get("value"), s.get("service")) for s in settings)
        return "no role of this collection fixes it: %s" % remedy.get("text", "see the report")
    if role not in (applied.get("roles") or []):
        return "%s was not applied here (its variables were not in remedy-vars)" % role
    return "%s was applied and the finding remains: diagnose again once the service has settled" % role


def kills_since(before_report, after_host):
    """The kills the re-diagnosis lists after the first diagnosis was made (its events are the newest kills);
    None when that cannot be told: the first report has no time, or a listed kill has none."""
    then = parse_time((before_report or {}).get("generated"))
    if then is None:
        return None
    out = []
    for event in after_host.get("events") or []:
        when = parse_time(str(event.get("time") or "").split(".", 1)[0].rstrip("Z") + "Z")
        if when is None:
            return None
        if when > then:
            out.append(event)
    return out


def _sampled(report, entry):
    """Whether a host's diagnosis took the second process sample (leak detection by growth)."""
    if isinstance(entry.get("sampled"), bool):
        return entry["sampled"]
    return bool((report or {}).get("sample_interval_s"))


def _history(finding, before, now_entry):
    """(state, reason) of a finding that reads the kills of the window and is still there."""
    since = kills_since(before, now_entry)
    window = now_entry.get("since") or (before or {}).get("window") or "the window's start"
    if since:
        return REMAINING, "%d kill(s) since the first diagnosis (%s): %s" % (
            len(since), before.get("generated"), ", ".join(sorted(set(str(e.get("label") or e.get("comm")) for e in since))))
    known = "no kill since the first diagnosis (%s)" % before.get("generated") if since is not None else \
        "whether a kill followed the first diagnosis is unknown (a time is missing)"
    counter = ""
    if str(finding.get("id")).startswith("container_"):
        counter = (" and the container's own kill counter (it clears when the container is re-created: docker/podman "
                   "update keeps it)")
    return UNCHECKED, ("reads the kills since %s%s, which still holds the kills before the apply; %s: that alone "
                       "proves nothing yet" % (window, counter, known))


def judge(old, new, before, now_entry, applied):
    """(state, reason) of the first report's finding ``old`` given its match ``new`` (None: gone) in the host's
    re-diagnosis ``now_entry``."""
    if old.get("id") in HISTORY and new is not None:
        return _history(old, before, now_entry)
    if old.get("id") == LEAK and new is not None and not _sampled(before, now_entry):
        # a leak found from kills stays as long as they are in the window
        return _history(old, before, now_entry)
    held = waiting(new or old, applied)
    if held:
        if new is None:
            return PENDING, ("fixed in the configuration; the running service keeps the old setting until the restart "
                             "that was not allowed (remediate_restart: false): %s" % ", ".join(held))
        return PENDING, "needs a restart that was not allowed (remediate_restart: false): %s" % ", ".join(held)
    if new is not None:
        return REMAINING, _why(new, applied)
    if old.get("id") == LEAK and not _sampled(before, now_entry):
        return UNCHECKED, ("the leak was found from growth between two samples and the re-diagnosis took no second "
                           "sample on this host: it cannot see it")
    if old.get("id") in HISTORY:
        return GONE, "the kills it read left the window (%s): that is time, not the remedy" % (
            now_entry.get("since") or "the window")
    done, what = remedied(old, applied)
    return (FIXED, what) if done else (GONE, what)


def _row(f, state, reason):
    return {"id": f.get("id"), "instance": instance_of(f), "severity": f.get("severity"), "state": state,
            "reason": reason}


def _host(name, done, rows):
    """A host's outcome; ``fixed`` (the ids) and ``remaining`` (the rows) repeat two states for a quick read."""
    return {"host": name, "status": done.get("status"), "findings": rows,
            "fixed": [r["id"] for r in rows if r["state"] == FIXED], "remaining": [r for r in rows if r["state"] == REMAINING]}


def outcome(before, after, applied=None):
    """``{hosts: [{host, status, findings: [{id, instance, severity, state, reason}], fixed, remaining}], totals:
    {state: n}}``
    from the diagnose reports before and after the apply; ``applied`` is ``applied_hosts``'s
    ``{host: {status, msg, roles, restart_required, restart_allowed, changed}}`` (extra keys ignored)."""
    applied = applied or {}
    hosts = []
    for entry in (before or {}).get("hosts") or []:
        name = entry.get("host")
        done = applied.get(name) or {"status": "not run"}
        old = [f for f in entry.get("findings") or [] if isinstance(f, dict)]
        now = report_host(after, name)
        if now is None or now.get("status") != "ok":
            why = "could not diagnose the host again (%s%s)" % (
                "not in the re-diagnosis" if now is None else now.get("status"),
                ": %s" % now["message"] if now and now.get("message") else "")
            hosts.append(_host(name, done, [_row(f, UNCHECKED, why) for f in old]))
            continue
        rows = []
        for f, g in pair(old, [g for g in now.get("findings") or [] if isinstance(g, dict)]):
            if f is None:
                rows.append(_row(g, NEW, "appeared since the first diagnosis"))
            else:
                rows.append(_row(f, *judge(f, g, before, now, done)))
        hosts.append(_host(name, done, rows))
    totals = dict((s, sum(1 for h in hosts for r in h["findings"] if r["state"] == s)) for s in STATES)
    return {"hosts": hosts, "totals": totals, "sample_interval_s": (before or {}).get("sample_interval_s"),
            "window": (before or {}).get("window")}


def _t(value):
    return report_text(value, "text")


def outcome_lines(result):
    """The before/after table: one line per finding (its instance in brackets), host by host, then the totals."""
    row = "%-24s  %-22s  %-44s  %s"
    lines = [row % ("HOST", "STATE", "FINDING", "WHY")]
    for h in result.get("hosts") or []:
        for r in h.get("findings") or []:
            name = r["id"] + ("[%s]" % r["instance"] if r.get("instance") else "")
            lines.append(row % (_t(h["host"]), r["state"], _t(name), _t(r["reason"])))
        if not h.get("findings"):
            lines.append(row % (_t(h["host"]), "ok", "-", "no finding before or after"))
    totals = result.get("totals") or {}
    lines.append(", ".join("%d %s" % (totals.get(s, 0), s) for s in STATES))
    return lines
