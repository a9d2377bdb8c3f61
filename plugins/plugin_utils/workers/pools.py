# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pools of the headroom.memory.workers role: detected from memory_facts, completed with defaults,
planned against their memory share and rendered into the file each server reads.

A pool's file remembers the per-worker cost it was sized with (a ``per_worker_mb=`` marker): the next run
sizes with the larger of that and what it measures, so workers measured fresh after a reload do not raise
the count again; and a current count within the tolerance of the computed one is kept, so measurement
noise does not rewrite the configuration on every run.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.headroom.memory.plugins.plugin_utils.workers import files
from ansible_collections.headroom.memory.plugins.plugin_utils.workers.plan import (
    WorkersError, load_evidence, php_fpm_errors, plan_pool)

APACHE_CONF = "/etc/apache2/conf-available/headroom-workers.conf"
DROPIN_NAME = "headroom-workers.conf"
_PHP_COMM_RE = re.compile(r"^php-fpm(\d+\.\d+)$")
_PHP_PATH_RE = re.compile(r"^/etc/php/(\d+\.\d+)/fpm/pool\.d/[^/]+\.conf$")
# a current count within this much (and one worker) of the computed one is kept (the role's workers_tolerance_pct)
TOLERANCE_PCT = 10
_RECORD_RE = re.compile(r"%s per_worker_mb=(\d+) fixed_mb=(\d+)" % re.escape(files.MARK))


def detect(facts):
    """Pools running on the host, from memory_facts' process groups: [{kind, comm, unit?}].

    php-fpmX.Y -> php_fpm (its pool file is found by the role), apache2 -> apache_prefork, gunicorn ->
    gunicorn with the unit of its listed processes. Groups of one process are no pool.
    """
    units = {}
    for p in facts.get("processes") or []:
        if p.get("unit"):
            units.setdefault(p.get("comm"), set()).add(p["unit"])
    found = []
    for g in facts.get("process_groups") or []:
        comm = g.get("comm") or ""
        if (g.get("count") or 0) < 2:
            continue
        if _PHP_COMM_RE.match(comm):
            found.append({"kind": "php_fpm", "comm": comm})
        elif comm == "apache2":
            found.append({"kind": "apache_prefork", "comm": comm})
        elif comm == "gunicorn":
            unit = sorted(units.get(comm) or [])
            found.append({"kind": "gunicorn", "comm": comm, "unit": unit[0] if len(unit) == 1 else None})
    return sorted(found, key=lambda p: (p["kind"], p["comm"]))


def with_pool_files(detected, file_lists):
    """Detected php_fpm pools with ``config`` set to their version's only pool file (find results per pool)."""
    out = []
    for pool, found in zip(detected, file_lists):
        paths = sorted(f["path"] if isinstance(f, dict) else f for f in found or [])
        if len(paths) != 1:
            raise WorkersError(
                "%s runs with %d pool files (%s): list the pool to size in workers_pools with its config (and pool). "
                "Nothing was changed." % (pool.get("comm"), len(paths), ", ".join(paths) or "none"))
        out.append(dict(pool, config=paths[0]))
    return out


def unit_properties(lines):
    """``Key=Value`` lines of ``systemctl show`` as a dict."""
    props = {}
    for line in lines or []:
        key, sep, value = line.partition("=")
        if sep:
            props[key] = value
    return props


def cli_refusals(results):
    """The refusals of gunicorn pools whose unit's ExecStart sets --workers, from the results of a loop of
    ``systemctl show --property=ExecStart <unit>`` over pools (each with ``item.unit`` and ``stdout_lines``)."""
    out = []
    for r in results or []:
        unit = ((r or {}).get("item") or {}).get("unit")
        refusal = files.gunicorn_cli_refusal(unit, unit_properties(r.get("stdout_lines")).get("ExecStart"))
        if unit and refusal:
            out.append(refusal)
    return out


def complete(pools, defaults):
    """Each pool with every key the plan needs: name, comm, unit, dest, binary, memory, min, max, reload, restart.

    ``defaults`` holds memory, min, max, reload, restart. Raises WorkersError naming what cannot be derived.
    """
    out = []
    for i, pool in enumerate(pools):
        p = dict((k, v) for k, v in pool.items() if v is not None)
        for key in ("memory", "min", "max", "reload", "restart"):
            p.setdefault(key, defaults[key])
        kind = p["kind"]
        if kind == "php_fpm":
            version = None
            m = _PHP_PATH_RE.match(p.get("config") or "")
            if m:
                version = m.group(1)
            elif _PHP_COMM_RE.match(p.get("comm") or ""):
                version = _PHP_COMM_RE.match(p["comm"]).group(1)
            if not p.get("config"):
                raise WorkersError("workers_pools[%d]: a php_fpm pool needs config (its pool file), e.g. "
                                   "/etc/php/8.2/fpm/pool.d/www.conf" % i)
            if version is None and not p.get("comm"):
                raise WorkersError("workers_pools[%d]: cannot tell the PHP version of %s: give comm (php-fpmX.Y)"
                                   % (i, p["config"]))
            p.setdefault("comm", "php-fpm%s" % version)
            p.setdefault("unit", "php%s-fpm.service" % (version or p["comm"][len("php-fpm"):]))
            p.setdefault("binary", "/usr/sbin/%s" % p["comm"])
            p["dest"] = p["config"]
        elif kind == "apache_prefork":
            p.setdefault("comm", "apache2")
            p.setdefault("unit", "apache2.service")
            p["dest"] = APACHE_CONF
        else:
            p.setdefault("comm", "gunicorn")
            p["dest"] = "/etc/systemd/system/%s.d/%s" % (p["unit"], DROPIN_NAME)
        p.setdefault("name", p.get("pool") or p["unit"].rsplit(".", 1)[0])
        out.append(p)
    return out


def _record(text):
    """(per_worker_mb, fixed_mb) remembered in a file we wrote, or (0, 0)."""
    m = _RECORD_RE.search(text or "")
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


def _current_count(kind, text, section=None):
    """The worker count the file sets now, or None."""
    if not text:
        return None
    if kind == "php_fpm":
        values = files.php_fpm_pool_read(text, section) or {}
        value = values.get("pm.max_children")
    else:
        key = r"MaxRequestWorkers\s+(\d+)" if kind == "apache_prefork" else r"--workers (\d+)"
        m = re.search(key, text)
        value = m.group(1) if m else None
    return int(value) if value and str(value).isdigit() else None


def _render(pool, plan, text, record):
    marker = "%s per_worker_mb=%d fixed_mb=%d" % (files.MARK, record[0], record[1])
    if pool["kind"] == "php_fpm":
        edited = files.php_fpm_pool_edit(text, pool["section"], plan["settings"])
        lines = [line for line in edited.splitlines() if not _RECORD_RE.search(line)]
        for i, line in enumerate(lines):
            m = files.SECTION_RE.match(line)
            if m and m.group(1).strip() == pool["section"]:
                lines.insert(i + 1, "; " + marker)
                break
        return "\n".join(lines) + "\n"
    if pool["kind"] == "apache_prefork":
        return files.apache_prefork_conf(plan["settings"], marker)
    return files.gunicorn_dropin(plan["settings"], marker)


def plan_all(pools, facts, cores, texts, units, share_fn, tolerance_pct=TOLERANCE_PCT):
    """One plan per completed pool: {name, kind, unit, dest, count, current_count, kept, content, ...} or error.

    ``texts`` maps dest -> the file's current text ('' when absent); ``units`` maps unit -> {MemoryMax,
    ExecStart} as systemctl shows them; ``share_fn(pool, own_comms, instances, unit_limit_mb)`` returns
    memory_share()'s dict (or raises ValueError). Nothing raises: a pool that cannot be sized gets ``error``.
    """
    own = sorted(set(p["comm"] for p in pools))
    auto = len([p for p in pools if str(p["memory"]).strip() == "auto"]) or 1
    groups = dict((g.get("comm"), g) for g in facts.get("process_groups") or [])
    result = []
    for pool in pools:
        entry = {"name": pool["name"], "kind": pool["kind"], "unit": pool["unit"], "dest": pool["dest"],
                 "comm": pool["comm"], "error": None, "content": None, "count": None, "current_count": None,
                 "kept": False, "left_alone": False, "load_evidence": None, "arithmetic": None, "settings": None, "reload": pool["reload"],
                 "restart": pool["restart"], "binary": pool.get("binary")}
        result.append(entry)
        try:
            _plan_one(pool, entry, facts, cores, texts, units, share_fn, own, auto, groups, tolerance_pct)
        except (WorkersError, ValueError) as e:
            entry["error"] = str(e)
    return result


def _unit_limit_mb(info):
    value = (info or {}).get("MemoryMax")
    return int(value) // 1048576 if value and str(value).isdigit() else None


def _plan_one(pool, entry, facts, cores, texts, units, share_fn, own, auto, groups, tolerance_pct):
    label = "%s pool %s" % (pool["kind"], pool["name"])
    text = texts.get(pool["dest"]) or ""
    info = units.get(pool["unit"]) or {}
    if info.get("LoadState", "loaded") != "loaded":
        raise WorkersError("%s: the unit %s is %s. Nothing was changed." % (label, pool["unit"], info.get("LoadState")))
    if pool["kind"] == "gunicorn" and files.gunicorn_cli_refusal(pool["unit"], info.get("ExecStart")):
        raise WorkersError("%s: %s" % (label, files.gunicorn_cli_refusal(pool["unit"], info.get("ExecStart"))))
    if pool["kind"] == "php_fpm":
        if not text:
            raise WorkersError("%s: the pool file %s is missing or empty" % (label, pool["dest"]))
        sections = files.php_fpm_sections(text)
        section = pool.get("pool") or (sections[0] if len(sections) == 1 else None)
        if section not in sections:
            raise WorkersError("%s: %s holds the pools %s: name the one to size with pool" % (
                label, pool["dest"], ", ".join(sections) or "(none)"))
        pool["section"] = section
        current = files.php_fpm_pool_read(text, section)
        if not pool.get("pm"):
            pool["pm"] = current.get("pm", "dynamic") if current.get("pm") in ("static", "dynamic", "ondemand") else "dynamic"
    share = share_fn(pool, own, 1 if str(pool["memory"]).strip() != "auto" else auto, _unit_limit_mb(info))
    group = groups.get(pool["comm"])
    recorded = _record(text)
    plan = plan_pool(pool, _worst(group, recorded), share["share_mb"], cores, share.get("arithmetic"))
    current = _current_count(pool["kind"], text, pool.get("section"))
    keep = (current is not None and recorded != (0, 0) and current >= pool["min"] and current <= pool["max"]
            and abs(current - plan["count"]) <= max(1, plan["count"] * tolerance_pct // 100)
            and current * plan["per_worker_mb"] + plan["fixed_mb"] <= share["share_mb"] * (100 + tolerance_pct) // 100)
    entry.update(count=plan["count"], current_count=current, settings=plan["settings"], share=share,
                 per_worker_mb=plan["per_worker_mb"], fixed_mb=plan["fixed_mb"], fit=plan["fit"],
                 cpu_cap=plan["cpu_cap"], arithmetic=plan["arithmetic"], kept=keep)
    if _idle_guard(pool, entry, group, current):
        return
    if keep:
        entry["content"] = text
        entry["count"] = current
        entry["arithmetic"] += "; the current %d is within %d%% and kept" % (current, tolerance_pct)
        return
    entry["content"] = _render(pool, plan, text, (plan["per_worker_mb"], plan["fixed_mb"]))
    if pool["kind"] == "php_fpm":
        check = dict(files.php_fpm_pool_read(entry["content"], pool["section"]))
        settings = dict((k, int(v)) if str(v).isdigit() else (k, v) for k, v in check.items())
        errors = php_fpm_errors(settings)
        if errors:
            raise WorkersError("%s: the edited pool would be refused by php-fpm: %s" % (label, "; ".join(errors)))


def _idle_guard(pool, entry, group, current):
    """Leave the pool alone (True) when its workers look idle and the plan would not lower its count.

    Idle workers have not grown to their working size, so a count computed from them may be too high: it may
    lower the current count (the file's, else the number of workers running now) but never raise it. A given
    per_worker is no measurement and passes.
    """
    computed = entry["count"]
    if pool.get("per_worker") is not None:
        entry["load_evidence"] = "per_worker given"
        return False
    grown, why = load_evidence(group)
    entry["load_evidence"] = why
    if grown:
        return False
    group = group or {}
    bound = current
    if bound is None:  # no count in the file: what runs now (the members but the parent)
        bound = max((group.get("count") or 0) - (1 if group.get("parent") else 0), 0)
    if 0 < computed < bound:
        entry["arithmetic"] += "; %s, lowering only" % why
        return False
    entry.update(left_alone=True, kept=True, content=None, count=current)
    entry["arithmetic"] += ("; %s: the computed %d is not below the current %s, so nothing is changed (measure "
                            "under load, or give per_worker)" % (why, computed, bound or "unknown count"))
    return True


def _worst(group, recorded):
    """The process group with the per-worker cost and shared part raised to what an earlier run recorded."""
    if not recorded[0]:
        return group
    g = dict(group or {})
    if g.get("pss_max_mb") is not None:
        g["pss_max_mb"] = max(g["pss_max_mb"], recorded[0])
        g["shared_max_mb"] = max(g.get("shared_max_mb") or 0, recorded[1] - ((g.get("parent") or {}).get("uss_mb") or 0))
    else:
        g.update(pss_max_mb=recorded[0], uss_avg_mb=0, shared_max_mb=recorded[1], parent=None,
                 measured=g.get("measured") or 0)
    return g
