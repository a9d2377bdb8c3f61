# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Triage rules over the containers memory_facts lists (``containers.list``: docker, podman, and the cgroup of
every other container runtime seen): containers named, not cgroup paths.

- ``container_without_limit``: containers with no memory limit, named (name, image, compose service or
  quadlet unit, current and peak use); for a running docker/podman container a ``containers_limits`` item
  sized from its peak and working set (limit_rules' proposal margin above what it holds, its peak where the
  host has room for it), all of them together within the host's budget. Hosts whose collector has no
  ``containers`` subset get the old finding from ``cgroup.unlimited_containers`` (cgroup paths).
- ``container_oom_killed``: OOM kills inside a container by its own limit (its cgroup's ``oom_kill``, the
  engine's OOMKilled, or a kill in the history whose limit was the container's: attribution.container_kills):
  the container's own limit fired, not a host OOM (the host-level OOM rules leave those kills out).
- ``container_limits_overcommitted``: the running containers' limits plus everything else (the other
  processes and the unlimited containers' use) exceed the memory less the OS reserve: the limits cannot all be
  honoured together, and a host-wide OOM comes before a container's own limit.
- ``container_limit_too_tight``: a container killed at its limit again and again (``TOO_TIGHT_KILLS``): a
  limit half as much again, within what the host can give, or "needs more RAM" when the host has no room; not
  once its limit is above the peak its cgroup reached at those kills (``raised_since``: raised after them).

The host budget is plugin_utils.budget's: the usable total (RAM, or the cgroup's limit below it), the RSS of
every process group, and the OS reserve (``default_reserve_mb``) that scales with the host."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math

from ansible_collections.headroom.memory.plugins.module_utils.containers.parse import name_error
from ansible_collections.headroom.memory.plugins.module_utils.sizes import SizeError, parse_size
from ansible_collections.headroom.memory.plugins.plugin_utils.budget import (
    BudgetError, default_reserve_mb, others_rss, usable_total)
from ansible_collections.headroom.memory.plugins.plugin_utils.limit_rules import LIMIT_FLOOR, apply_margin, proposal_margin
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.common import (
    container_list, finding, fmt_mb, size_str)

ROLE = "headroom.memory.containers"
MIB = 1024 * 1024
# the engines whose containers the containers role sets limits on, by name
ENGINES = ("docker", "podman")
# kills at the limit from which a limit counts as too tight, and how much a tight limit is raised (like a unit
# killed by its own MemoryMax: half as much again)
TOO_TIGHT_KILLS = 2
RAISE_PCT = 150
# how many containers the evidence names one by one
NAMED = 20


def _mb(value):
    """A MiB figure from the facts, or None when it is not a whole number of 0 or more."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value) or value < 0:
        return None
    return int(value)


def limit_of(c):
    """The memory limit (MiB) of a container: its cgroup's, else the engine's (a stopped container has no
    cgroup), None for none."""
    for key in ("limit_mb", "engine_memory_mb"):
        mb = _mb(c.get(key))
        if mb:
            return mb
    return None


def use_of(c):
    """(MiB, source) a container holds now: its cgroup's working set (usage less the inactive page cache the
    kernel reclaims before it kills), else its usage; (None, None) when nothing says (stopped)."""
    if _mb(c.get("working_set_mb")) is not None:
        return _mb(c["working_set_mb"]), "working set"
    if _mb(c.get("usage_mb")) is not None:
        return _mb(c["usage_mb"]), "usage"
    return None, None


def running(c):
    """True for a running container; a cgroup-only one (no engine state) runs while its cgroup exists."""
    state = c.get("state")
    return state == "running" or (state is None and bool(c.get("cgroup")))


def nameable(c):
    """True when the containers role can set this container's limit: a docker/podman container with a valid name,
    not one Kubernetes runs (the kubelet owns its limits: its manifest is where they are set)."""
    src = c.get("source") if isinstance(c.get("source"), dict) else {}
    return c.get("runtime") in ENGINES and name_error(c.get("name")) is None and src.get("kind") != "kubernetes"


def label(c):
    """The container for people: its name (or the runtime and short id of a cgroup-only one), image, and where
    it was defined (compose project/service, quadlet or systemd unit, Kubernetes pod)."""
    name = c.get("name")
    who = str(name) if name else "%s container %s" % (c.get("runtime") or "?", str(c.get("id") or "?")[:12])
    parts = ["%s" % (c.get("runtime") or "?")]
    if c.get("image"):
        parts.append("image %s" % c["image"])
    src = c.get("source") if isinstance(c.get("source"), dict) else {}
    if src.get("compose_service"):
        parts.append("compose service %s%s" % (
            "%s/" % src["compose_project"] if src.get("compose_project") else "", src["compose_service"]))
    if src.get("quadlet_file"):
        parts.append("quadlet %s" % src["quadlet_file"])
    elif src.get("systemd_unit"):
        parts.append("unit %s" % src["systemd_unit"])
    if src.get("kube_pod"):
        parts.append("pod %s%s" % ("%s/" % src["kube_namespace"] if src.get("kube_namespace") else "", src["kube_pod"]))
    if not name and c.get("cgroup"):
        parts.append("cgroup %s" % c["cgroup"])
    return "%s (%s)" % (who, ", ".join(parts))


def _numbers(c):
    use, source = use_of(c)
    peak = _mb(c.get("peak_mb"))
    return "holds %s (%s)%s" % (fmt_mb(use), source or "unknown", ", peak %s" % fmt_mb(peak) if peak is not None else "")


def _where_to_set(c):
    """Where a person makes the limit last, for the remedy text."""
    src = c.get("source") if isinstance(c.get("source"), dict) else {}
    kind = src.get("kind")
    if kind == "compose":
        return "its compose file (mem_limit or deploy.resources.limits.memory)"
    if kind == "quadlet" or src.get("quadlet_file"):
        return "its quadlet .container unit (Memory=)"
    if kind == "kubernetes" or c.get("runtime") in ("kubepods", "containerd", "cri-o"):
        return "its Kubernetes manifest (resources.limits.memory)"
    return "the command that starts it (docker/podman run --memory): re-creating it drops a live limit"


def budget(facts, ctx=None):
    """The host's memory for its containers (plugin_utils.budget's terms), worked out once per context:
    ``{total_mb, source, reserve_mb, capacity_mb, others_mb, rest_mb, committed_mb, unlimited_use_mb}`` where
    capacity = total - reserve, ``rest`` the RSS of the processes that are no running container's (others less the
    containers' use), ``committed`` the sum of the running containers' limits and ``unlimited_use`` what the
    running containers without a limit hold; ``{error}`` when the facts give no total or no process groups."""
    if ctx is not None and "containers_budget" in ctx:
        return ctx["containers_budget"]
    try:
        total, source = usable_total(facts)
        others, _top = others_rss(facts)
    except BudgetError as exc:
        result = {"error": str(exc)}
    else:
        reserve = default_reserve_mb(total)
        live = [c for c in container_list(facts) if running(c)]
        uses = sum(use_of(c)[0] or 0 for c in live)
        result = {"total_mb": total, "source": source, "reserve_mb": reserve, "capacity_mb": total - reserve,
                  "others_mb": others, "rest_mb": max(others - uses, 0),
                  "committed_mb": sum(limit_of(c) or 0 for c in live),
                  "unlimited_use_mb": sum(use_of(c)[0] or 0 for c in live if limit_of(c) is None)}
    if ctx is not None:
        ctx["containers_budget"] = result
    return result


def room_mb(facts, c, ctx=None):
    """(MiB, arithmetic) of the most memory the host can give container ``c`` as its limit, the others as they
    are: capacity less the other processes, the other containers' limits and the unlimited ones' use; (None,
    why) when the budget is unknown."""
    b = budget(facts, ctx)
    if "error" in b:
        return None, b["error"]
    own_limit = limit_of(c) if running(c) else None
    own_use = use_of(c)[0] if running(c) and own_limit is None else None
    committed = b["committed_mb"] - (own_limit or 0)
    unlimited = b["unlimited_use_mb"] - (own_use or 0)
    room = b["capacity_mb"] - b["rest_mb"] - committed - unlimited
    return room, ("%s (%s) - %s OS reserve - %s other processes - %s other containers' limits - %s unlimited "
                  "containers' use = %s" % (fmt_mb(b["total_mb"]), b["source"], fmt_mb(b["reserve_mb"]),
                                            fmt_mb(b["rest_mb"]), fmt_mb(committed), fmt_mb(unlimited), fmt_mb(room)))


def floor_mb(c):
    """The least limit a container may get: what it holds plus limit_rules' proposal margin, never under
    limit_rules' floor."""
    use = use_of(c)[0]
    least = LIMIT_FLOOR // MIB
    if use is not None:
        least = max(least, use + proposal_margin(use * MIB) // MIB)
    return least


def size_mb(text):
    """MiB of a size string (``512M``, ``2G``), None when it is not one."""
    try:
        return parse_size(text) // MIB
    except SizeError:
        return None


def _size_within(want_mb, cap_mb):
    """A size string of ``want_mb`` rounded up the collection's way, unless that passes ``cap_mb``."""
    text = size_str(want_mb)
    if cap_mb is not None and size_mb(text) > cap_mb:
        text = size_str(min(want_mb, cap_mb), step=0)
    return text


def _old_without_limit(facts):
    """The finding of a collector without the containers subset: cgroup paths, no names."""
    found = (facts.get("cgroup") or {}).get("unlimited_containers") or []
    if not found:
        return []
    by_runtime = {}
    for c in found:
        by_runtime.setdefault(c.get("runtime") or "?", []).append(c.get("cgroup") or "?")
    evidence = ["%d %s container(s) without a memory limit: %s" % (
        len(paths), runtime, ", ".join(sorted(paths)[:5]) + (" ..." if len(paths) > 5 else ""))
        for runtime, paths in sorted(by_runtime.items())]
    text = ("Give every container a memory limit: docker/podman run --memory, compose mem_limit, "
            "Kubernetes resources.limits.memory. For a container run as a systemd unit, "
            "headroom.memory.service_limits can put MemoryMax on that unit. Gather memory_facts' containers "
            "subset to have them named and sized.")
    return [finding("container_without_limit", "warning",
                    "%d container(s) without a memory limit" % len(found), evidence, text)]


def _proposals(facts, candidates, ctx):
    """{name: (size, line)} for the running unlimited ``candidates``, all of them within the host's room
    together: each gets max(peak, floor) where the room left allows it (keeping the later ones' floors), at
    least its floor, else nothing; [lines] for those that got nothing."""
    b = budget(facts, ctx)
    if "error" in b:
        return {}, ["no limit is proposed: %s" % b["error"]]
    ordered = sorted(candidates, key=lambda c: str(c.get("name")))
    cand_use = sum(use_of(c)[0] or 0 for c in ordered)
    pool = b["capacity_mb"] - b["rest_mb"] - b["committed_mb"] - (b["unlimited_use_mb"] - cand_use)
    floors = [floor_mb(c) for c in ordered]
    out, refused = {}, []
    for index, c in enumerate(ordered):
        least = floors[index]
        peak = _mb(c.get("peak_mb")) or 0
        want = max(least, peak)
        give = min(want, pool - sum(floors[index + 1:]))
        if give < least:
            refused.append("%s: no limit is proposed: it needs at least %s (%s + margin) and the host has %s left for "
                           "it (%s - %s OS reserve - %s other processes - %s containers' limits)" % (
                               c.get("name"), fmt_mb(least), _numbers(c), fmt_mb(max(pool - sum(floors[index + 1:]), 0)),
                               fmt_mb(b["total_mb"]), fmt_mb(b["reserve_mb"]), fmt_mb(b["rest_mb"]), fmt_mb(b["committed_mb"])))
            pool -= use_of(c)[0] or 0
            continue
        size = _size_within(give, pool - sum(floors[index + 1:]))
        if give < want:
            why = "what the host has left for it (its peak: %s; what it holds + margin: %s)" % (fmt_mb(peak), fmt_mb(least))
        elif want == peak and peak > least:
            why = "its peak %s" % fmt_mb(peak)
        else:
            why = "what it holds + margin (%s)" % fmt_mb(least)
        out[c["name"]] = (size, "%s: limit %s = %s" % (c.get("name"), size, why))
        pool -= size_mb(size)
    return out, refused


def container_without_limit(facts, thresholds, ctx):
    if "containers" not in facts:
        return _old_without_limit(facts)
    unlimited = [c for c in container_list(facts) if limit_of(c) is None]
    if not unlimited:
        return []
    unlimited.sort(key=lambda c: (not running(c), -(use_of(c)[0] or 0), str(c.get("name") or c.get("id"))))
    evidence = []
    for c in unlimited[:NAMED]:
        evidence.append("%s: no memory limit, %s%s" % (label(c), _numbers(c) if running(c) else "not running",
                                                       "" if running(c) else " (%s)" % c.get("state")))
    if len(unlimited) > NAMED:
        evidence.append("and %d more without a limit" % (len(unlimited) - NAMED))
    candidates = [c for c in unlimited if running(c) and nameable(c) and use_of(c)[0] is not None]
    proposed, refused = _proposals(facts, candidates, ctx)
    evidence += [line for _size, line in (proposed[n] for n in sorted(proposed))] + refused
    others = [c for c in unlimited if c not in candidates]
    text = ("A container without a memory limit can take the whole host. %s" % (
        "headroom.memory.containers sets each limit proposed here live (docker/podman update) and, with "
        "containers_persist, in the file that defines it; within what the host can give all of them together. "
        if proposed else ""))
    if others:
        text += "Set the others' limit where they are defined: %s." % "; ".join(
            "%s in %s" % (c.get("name") or str(c.get("id") or "?")[:12], _where_to_set(c)) for c in others[:NAMED])
    items = [{"name": n, "memory": proposed[n][0]} for n in sorted(proposed)]
    return [finding("container_without_limit", "warning",
                    "%d container(s) without a memory limit: %s%s" % (
                        len(unlimited), ", ".join(str(c.get("name") or str(c.get("id") or "?")[:12]) for c in unlimited[:5]),
                        ", ..." if len(unlimited) > 5 else ""),
                    evidence, text.strip(), ROLE if items else None, {"containers_limits": items} if items else None)]


def _kills(facts, ctx):
    """[(container, kills, why)] of the containers killed by their own limit: kills is the most of its cgroup's
    oom_kill counter, the kills of the history given to it, and 1 for the engine's OOMKilled."""
    by_id = {}
    for event, c in ctx.get("container_kills") or []:
        by_id.setdefault(id(c), []).append(event)
    found = []
    for c in container_list(facts):
        events = by_id.get(id(c), [])
        counter = _mb(c.get("oom_kill")) or 0
        engine = c.get("oom_killed") is True
        kills = max(counter, len(events), 1 if engine else 0)
        if not kills:
            continue
        why = []
        if counter:
            why.append("its cgroup counts %d OOM kill(s) (oom_kill)" % counter)
        if engine:
            why.append("the engine says its last exit was OOMKilled")
        if events:
            victims = {}
            for e in events:
                comm = (e.get("victim") or {}).get("comm") or "?"
                victims[comm] = victims.get(comm, 0) + 1
            why.append("%d kill(s) in the log window by its limit: %s" % (
                len(events), ", ".join("%s \u00d7%d" % kv for kv in sorted(victims.items(), key=lambda kv: (-kv[1], kv[0])))))
        found.append((c, kills, why))
    return found


def container_oom_killed(facts, thresholds, ctx):
    killed = _kills(facts, ctx)
    if not killed:
        return []
    evidence = []
    for c, kills, why in killed:
        limit = limit_of(c)
        evidence.append("%s: %d kill(s) inside it by the container's own limit %s: %s; %s%s" % (
            label(c), kills, fmt_mb(limit) if limit else "(not read)", "; ".join(why), _numbers(c) if running(c) else
            "not running now (%s)" % c.get("state"),
            ", restarted %s time(s)" % c["restart_count"] if _mb(c.get("restart_count")) else ""))
    count = sum(k for _c, k, _w in killed)
    severity = "critical" if count >= thresholds["oom_kills_crit"] else "warning"
    text = ("The container's own memory limit fired, not a host OOM: the kernel killed inside the container and the "
            "host and the other containers were not at risk. Either the service needs more than its limit "
            "(container_limit_too_tight when the kills repeat) or it leaks: look at what grew before the kill.")
    return [finding("container_oom_killed", severity, "%d OOM kill(s) inside container(s) by their own limit: %s" % (
        count, ", ".join(str(c.get("name") or str(c.get("id") or "?")[:12]) for c, _k, _w in killed[:5])), evidence, text)]


def container_limits_overcommitted(facts, thresholds, ctx):
    if "containers" not in facts:
        return []
    b = budget(facts, ctx)
    limited = [c for c in container_list(facts) if running(c) and limit_of(c)]
    if "error" in b or not limited:
        return []
    need = b["committed_mb"] + b["rest_mb"] + b["unlimited_use_mb"]
    if need <= b["capacity_mb"]:
        return []
    evidence = ["the running containers' limits %s + other processes %s + unlimited containers' use %s = %s, more than "
                "%s (%s) less the OS reserve %s = %s: %s over" % (
                    fmt_mb(b["committed_mb"]), fmt_mb(b["rest_mb"]), fmt_mb(b["unlimited_use_mb"]), fmt_mb(need),
                    fmt_mb(b["total_mb"]), b["source"], fmt_mb(b["reserve_mb"]), fmt_mb(b["capacity_mb"]),
                    fmt_mb(need - b["capacity_mb"]))]
    limited.sort(key=lambda c: (-(limit_of(c) or 0), str(c.get("name") or c.get("id"))))
    for c in limited[:NAMED]:
        evidence.append("%s: limit %s, %s" % (label(c), fmt_mb(limit_of(c)), _numbers(c)))
    text = ("These limits cannot all be honoured together: before a container reaches its own limit the host runs "
            "out, and a host-wide OOM may pick any process. Lower the limits of the containers that hold far less than "
            "theirs (never under what they hold), move a container to another host, or give the host more memory.")
    return [finding("container_limits_overcommitted", "warning",
                    "Container limits overcommitted: %s of limits and other use on %s less the OS reserve" % (
                        fmt_mb(need), fmt_mb(b["capacity_mb"] + b["reserve_mb"])), evidence, text)]


def raised_since(c):
    """True when the container's limit was raised after the kills its cgroup counts: a kill by the limit means its
    use reached the limit, so the cgroup's peak (memory.peak, max_usage_in_bytes: since the cgroup was made, as the
    counter) is at least the limit at the kills; a limit now above that peak plus limit_rules' margin was raised
    since (docker/podman update keeps the counter). Unknown (False) without a peak or counted kills."""
    peak, limit = _mb(c.get("peak_mb")), limit_of(c)
    counted = (_mb(c.get("oom_kill")) or 0) >= TOO_TIGHT_KILLS
    return bool(counted and peak is not None and limit and limit > peak + apply_margin(peak * MIB) // MIB)


def container_limit_too_tight(facts, thresholds, ctx):
    tight = [(c, kills, why) for c, kills, why in _kills(facts, ctx)
             if kills >= TOO_TIGHT_KILLS and limit_of(c) and not raised_since(c)]
    if not tight:
        return []
    evidence, items, short = [], [], []
    for c, kills, why in tight:
        limit = limit_of(c)
        want = max(limit * RAISE_PCT // 100, floor_mb(c))
        room, arithmetic = room_mb(facts, c, ctx)
        line = "%s: killed %d time(s) at its limit %s (%s)" % (label(c), kills, fmt_mb(limit), "; ".join(why))
        if room is None:
            evidence.append("%s; no higher limit is proposed: %s" % (line, arithmetic))
            continue
        if not nameable(c):
            evidence.append("%s; raise it to %s in %s" % (line, size_str(want), _where_to_set(c)))
            continue
        give = min(want, room)
        if give <= limit or give < floor_mb(c):
            short.append((c, want, room))
            evidence.append("%s; the host cannot give it more: it would need %s, the host can give %s (%s)" % (
                line, fmt_mb(want), fmt_mb(max(room, 0)), arithmetic))
            continue
        size = _size_within(give, room)
        items.append({"name": c["name"], "memory": size})
        evidence.append("%s; raise it to %s%s (the most it can get: %s)" % (
            line, size, " (cut from %s to what the host can give)" % fmt_mb(want) if give < want else "", arithmetic))
    text = ("The container is killed at its limit again and again: the limit is too tight for what the service needs "
            "(or it leaks: raising it then only delays the kill).")
    if items:
        text += " headroom.memory.containers raises the limits proposed here, within what the host can give."
    if short:
        more = max(want - max(room, 0) for _c, want, room in short)
        text += (" The host has no room for a higher limit of %s: it needs at least %s more memory (more RAM), or fewer "
                 "services on it." % (", ".join(str(c.get("name")) for c, _w, _r in short), fmt_mb(more)))
    return [finding("container_limit_too_tight", "warning", "Container limit too tight: %s killed at the limit again and again" % (
        ", ".join(str(c.get("name") or str(c.get("id") or "?")[:12]) for c, _k, _w in tight[:5])), evidence, text,
        ROLE if items else None, {"containers_limits": items} if items else None)]
