# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Worker-pool sizing of the headroom.memory.workers role: plain arithmetic on measured numbers.

One worker costs the larger of the workers' largest PSS and their average USS; the pool holds its shared
part (the largest shared set of one worker) and its parent's USS once. The count is
floor((share - fixed) / per_worker), clamped to [min, max] and, for gunicorn, to 2 x cores + 1. Each server's
settings follow from the count with the server's own consistency rules (php-fpm's fpm_conf.c checks,
Apache's ServerLimit above 256).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.headroom.memory.plugins.module_utils.sizes import SizeError, parse_size

KINDS = ("php_fpm", "apache_prefork", "gunicorn")
PM_STYLES = ("static", "dynamic", "ondemand")
APACHE_SERVER_LIMIT_DEFAULT = 256  # prefork's compiled-in ServerLimit; above it ServerLimit must be raised
APACHE_SERVER_LIMIT_MAX = 20000  # prefork's hard maximum (MAX_SERVER_LIMIT)

# the names that reach a file, a unit name or a command: nothing a shell, an INI or a path could misread
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@:-]{0,99}$")
_UNIT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@:\\-]{0,250}\.service$")
_PATH_RE = re.compile(r"^/[A-Za-z0-9_./@+-]{1,4095}$")
_PERCENT_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")

POOL_KEYS = ("kind", "name", "comm", "unit", "config", "pool", "memory", "min", "max", "per_worker",
             "max_requests", "max_requests_jitter", "pm", "reload", "restart")

# the count's bounds when a caller gives none (DEFAULT_MAX is the role's workers_max)
DEFAULT_MIN = 1
DEFAULT_MAX = 64
# the role's workers_min: the fewest workers the role sets when a pool gives no min (triage offers no fewer)
ROLE_MIN = 2
DEFAULT_MAX_REQUESTS = {"php_fpm": 500, "apache_prefork": 10000, "gunicorn": 1000}


class WorkersError(ValueError):
    """A pool that cannot be sized or configured; the message names the pool and the numbers."""


def memory_spec_error(value):
    """Why ``value`` is not a memory spec ('auto', '<n>%' in (0, 100], a size, an int of MiB), or None."""
    if isinstance(value, bool) or value is None:
        return "memory %r is not auto, a percentage or a size" % (value,)
    if isinstance(value, int):
        return None if value > 0 else "memory %r MiB must be above 0" % (value,)
    text = str(value).strip()
    if text == "auto":
        return None
    m = _PERCENT_RE.match(text)
    if m:
        pct = float(m.group(1))
        return None if 0 < pct <= 100 else "memory %r: a percentage must be above 0 and at most 100" % (value,)
    try:
        if parse_size(text) <= 0:
            return "memory %r must be above 0" % (value,)
    except SizeError as e:
        return "%s, a percentage such as 40%% or auto" % e
    return None


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def pool_errors(pools, default_memory="auto"):
    """Readable problems with a ``workers_pools`` list (nothing read from any host); [] when all is well."""
    problems = []
    if not isinstance(pools, list):
        return ["workers_pools must be a list, got %s" % type(pools).__name__]
    names = set()
    for i, pool in enumerate(pools):
        where = "workers_pools[%d]" % i
        if not isinstance(pool, dict):
            problems.append("%s is not a mapping: %r" % (where, pool))
            continue
        unknown = sorted(set(pool) - set(POOL_KEYS))
        if unknown:
            problems.append("%s: unknown key(s) %s; known: %s" % (where, ", ".join(unknown), ", ".join(POOL_KEYS)))
        kind = pool.get("kind")
        if kind not in KINDS:
            problems.append("%s: kind %r must be one of %s" % (where, kind, ", ".join(KINDS)))
        for key in ("name", "comm", "pool"):
            v = pool.get(key)
            if v is not None and not (isinstance(v, str) and _NAME_RE.match(v)):
                problems.append("%s: %s %r must be letters, digits and . _ @ : - (at most 100)" % (where, key, v))
        name = pool.get("name")
        if name is not None:
            if name in names:
                problems.append("%s: name %r is used twice" % (where, name))
            names.add(name)
        unit = pool.get("unit")
        if unit is not None and not (isinstance(unit, str) and _UNIT_RE.match(unit)):
            problems.append("%s: unit %r must be a systemd service name such as app.service" % (where, unit))
        config = pool.get("config")
        if config is not None and not (isinstance(config, str) and _PATH_RE.match(config) and "/../" not in config + "/"):
            problems.append("%s: config %r must be an absolute path of letters, digits and . _ / @ + - without '..'"
                            % (where, config))
        if kind == "php_fpm" and config is not None and not config.endswith(".conf"):
            problems.append("%s: config %r is not a php-fpm pool file (*.conf)" % (where, config))
        if kind == "gunicorn" and unit is None:
            problems.append("%s: a gunicorn pool needs its unit (the systemd service that starts gunicorn)" % where)
        memory = pool.get("memory", default_memory)
        error = memory_spec_error(memory)
        if error:
            problems.append("%s: %s" % (where, error))
        lo, hi = pool.get("min", DEFAULT_MIN), pool.get("max", DEFAULT_MAX)
        for key, v, least in (("min", lo, 1), ("max", hi, 1), ("per_worker", pool.get("per_worker"), 1),
                              ("max_requests", pool.get("max_requests"), 0),
                              ("max_requests_jitter", pool.get("max_requests_jitter"), 0)):
            if v is not None and not (_is_int(v) and v >= least):
                problems.append("%s: %s %r must be an integer of at least %d" % (where, key, v, least))
        if _is_int(lo) and _is_int(hi) and lo > hi:
            problems.append("%s: min %d is above max %d" % (where, lo, hi))
        if kind == "apache_prefork" and _is_int(hi) and hi > APACHE_SERVER_LIMIT_MAX:
            problems.append("%s: max %d is above Apache prefork's limit of %d" % (where, hi, APACHE_SERVER_LIMIT_MAX))
        if pool.get("pm") is not None and (kind != "php_fpm" or pool.get("pm") not in PM_STYLES):
            problems.append("%s: pm %r is a php_fpm setting, one of %s" % (where, pool.get("pm"), ", ".join(PM_STYLES)))
        for key in ("reload", "restart"):
            if pool.get(key) is not None and not isinstance(pool.get(key), bool):
                problems.append("%s: %s %r must be true or false" % (where, key, pool.get(key)))
    return problems


def worker_cost(group, per_worker=None):
    """(per_worker_mb, fixed_mb, basis) of a pool from its memory_facts process group (pss=true).

    per_worker = max(largest PSS, average USS); fixed = the largest shared part of one worker + the
    parent's USS, held once. Without PSS figures (one process, or unreadable) the largest RSS is the
    per-worker cost and nothing is fixed. ``per_worker`` (MiB) replaces the measured cost when given.
    """
    group = group or {}
    parent = group.get("parent") or {}
    fixed = (group.get("shared_max_mb") or 0) + (parent.get("uss_mb") or 0)
    if group.get("pss_max_mb") is not None:
        measured = max(group["pss_max_mb"], group.get("uss_avg_mb") or 0)
        basis = ("max(largest PSS %d, average USS %d) MiB over %d workers"
                 % (group["pss_max_mb"], group.get("uss_avg_mb") or 0, group.get("measured") or 0))
    elif group.get("rss_mb_max") is not None:
        measured, fixed = group["rss_mb_max"], 0
        basis = "largest RSS %d MiB (no PSS measured)" % measured
    else:
        measured, basis = None, None
    if per_worker is not None:
        return per_worker, fixed, "given %d MiB per worker (measured: %s)" % (per_worker, basis or "nothing")
    if measured is None:
        raise WorkersError("no %s process runs, so its per-worker cost is unknown: start it or give per_worker"
                           % (group.get("comm") or "worker"))
    return max(measured, 1), fixed, basis


IDLE_USS_MB = 4  # below this average private memory a worker has done next to nothing since its fork
IDLE_USS_PARENT_PCT = 25  # ... or below this share of its parent's resident size (the image it was forked from)


def load_evidence(group):
    """(grown, why): whether the measured workers show they served work, from their memory_facts group.

    A worker forked from its parent starts with almost nothing of its own; serving requests gives it a private
    heap. The workers count as grown when their average USS reaches max(IDLE_USS_MB, IDLE_USS_PARENT_PCT % of
    the parent's RSS), or the largest worker's PSS exceeds the parent's RSS by that much. Without PSS figures or
    a parent there is no evidence. Counts from workers that are not grown may only be kept or lowered.
    """
    group = group or {}
    parent = group.get("parent") or {}
    if group.get("pss_max_mb") is None or group.get("uss_avg_mb") is None or not parent.get("rss_mb"):
        return False, "no PSS/USS of the workers and their parent was read, so there is no evidence of load"
    floor = max(IDLE_USS_MB, parent["rss_mb"] * IDLE_USS_PARENT_PCT // 100)
    if group["uss_avg_mb"] >= floor:
        return True, "grown: average USS %d MiB >= %d MiB" % (group["uss_avg_mb"], floor)
    if group["pss_max_mb"] >= parent["rss_mb"] + floor:
        return True, "grown: largest PSS %d MiB >= parent's RSS %d + %d MiB" % (
            group["pss_max_mb"], parent["rss_mb"], floor)
    return False, ("idle: average USS %d MiB < %d MiB (max(%d, %d%% of the parent's RSS %d MiB)) and largest PSS %d "
                   "MiB < %d MiB" % (group["uss_avg_mb"], floor, IDLE_USS_MB, IDLE_USS_PARENT_PCT, parent["rss_mb"],
                                     group["pss_max_mb"], parent["rss_mb"] + floor))


def gunicorn_cpu_cap(cores):
    """gunicorn's own advice, (2 x cores) + 1 workers (docs/source/design.rst)."""
    return 2 * max(int(cores or 1), 1) + 1


def worker_count(share_mb, fixed_mb, per_worker_mb, minimum=DEFAULT_MIN, maximum=DEFAULT_MAX, cpu_cap=None,
                 label="pool"):
    """{count, fit, arithmetic}: floor((share - fixed) / per_worker) clamped to [minimum, maximum] and cpu_cap.

    Raises WorkersError with the numbers when even ``minimum`` workers do not fit in the share. The CPU cap
    never lowers the count below ``minimum`` (the user asked for that many).
    """
    if per_worker_mb < 1:
        raise WorkersError("%s: per-worker cost %r MiB must be at least 1" % (label, per_worker_mb))
    room = share_mb - fixed_mb
    fit = room // per_worker_mb if room > 0 else 0
    formula = "floor((%d MiB share - %d MiB shared) / %d MiB per worker) = %d" % (
        share_mb, fixed_mb, per_worker_mb, fit)
    if fit < minimum:
        need = fixed_mb + minimum * per_worker_mb
        raise WorkersError("%s: even min %d workers do not fit: %d MiB shared + %d x %d MiB = %d MiB needed, the "
                           "share is %d MiB (%s). Nothing was changed." % (
                               label, minimum, fixed_mb, minimum, per_worker_mb, need, share_mb, formula))
    count = min(fit, maximum)
    notes = []
    if count < fit:
        notes.append("max %d" % maximum)
    if cpu_cap is not None and count > cpu_cap:
        count = max(cpu_cap, minimum)
        notes.append("2 x cores + 1 = %d" % cpu_cap)
    arithmetic = formula + ("; capped by %s -> %d" % (", ".join(notes), count) if notes else "")
    return {"count": count, "fit": fit, "arithmetic": arithmetic}


def php_fpm_errors(s):
    """php-fpm's own checks of a pool (sapi/fpm/fpm/fpm_conf.c), as messages; [] when php-fpm accepts it."""
    errors = []
    children = s.get("pm.max_children")
    if not _is_int(children) or children < 1:
        return ["pm.max_children(%r) must be a positive value" % (children,)]
    if s.get("pm", "dynamic") != "dynamic":
        return errors
    lo, hi, start = s.get("pm.min_spare_servers"), s.get("pm.max_spare_servers"), s.get("pm.start_servers")
    if not _is_int(lo) or lo <= 0:
        errors.append("pm.min_spare_servers(%r) must be a positive value" % (lo,))
    if not _is_int(hi) or hi <= 0:
        errors.append("pm.max_spare_servers(%r) must be a positive value" % (hi,))
    if errors:
        return errors
    if lo > children or hi > children:
        errors.append("pm.min_spare_servers(%d) and pm.max_spare_servers(%d) cannot be greater than "
                      "pm.max_children(%d)" % (lo, hi, children))
    if hi < lo:
        errors.append("pm.max_spare_servers(%d) must not be less than pm.min_spare_servers(%d)" % (hi, lo))
    if start is not None and (start < lo or start > hi):
        errors.append("pm.start_servers(%d) must not be less than pm.min_spare_servers(%d) and not greater "
                      "than pm.max_spare_servers(%d)" % (start, lo, hi))
    return errors


def php_fpm_settings(count, pm="dynamic", max_requests=500):
    """The pool settings for ``count`` children, consistent by php-fpm's rules (checked with php_fpm_errors).

    dynamic: min_spare = max(1, count // 8), max_spare = min(count, max(min_spare + 1, count // 3)), start = php-fpm's own
    default min_spare + (max_spare - min_spare) // 2. pm.max_requests recycles children that leak.
    """
    s = {"pm": pm, "pm.max_children": count, "pm.max_requests": max_requests}
    if pm == "dynamic":
        lo = max(1, count // 8)
        hi = min(count, max(lo + 1, count // 3))
        s.update({"pm.min_spare_servers": lo, "pm.max_spare_servers": hi, "pm.start_servers": lo + (hi - lo) // 2})
    errors = php_fpm_errors(s)
    if errors:  # a bug here, never a config php-fpm would refuse
        raise WorkersError("php-fpm would refuse %r: %s" % (s, "; ".join(errors)))
    return s


def apache_prefork_settings(count, max_connections_per_child=10000):
    """MaxRequestWorkers = count (ServerLimit = count above prefork's default 256), spares that fit in it."""
    if count > APACHE_SERVER_LIMIT_MAX:
        raise WorkersError("MaxRequestWorkers %d is above Apache prefork's limit of %d"
                           % (count, APACHE_SERVER_LIMIT_MAX))
    lo = max(1, min(5, count // 4))
    s = {"StartServers": lo, "MinSpareServers": lo, "MaxSpareServers": max(lo + 1, min(10, count // 2)),
         "MaxRequestWorkers": count, "MaxConnectionsPerChild": max_connections_per_child}
    if count > APACHE_SERVER_LIMIT_DEFAULT:
        s["ServerLimit"] = count
    return s


def gunicorn_settings(count, max_requests=1000, jitter=50):
    """--workers, --max-requests and --max-requests-jitter as GUNICORN_CMD_ARGS, and WEB_CONCURRENCY."""
    args = "--workers %d" % count
    if max_requests:
        args += " --max-requests %d --max-requests-jitter %d" % (max_requests, jitter)
    return {"workers": count, "max_requests": max_requests, "max_requests_jitter": jitter,
            "GUNICORN_CMD_ARGS": args, "WEB_CONCURRENCY": count}


def plan_pool(pool, group, share_mb, cores=1, share_arithmetic=None):
    """The whole plan of one pool: count, settings and the arithmetic, or WorkersError with the numbers.

    ``pool`` is a workers_pools entry completed by the role (kind, name, min, max, ...), ``group`` the
    memory_facts process group of its workers (pss=true), ``share_mb`` the memory the pool may use.
    """
    kind = pool["kind"]
    label = "%s pool %s" % (kind, pool.get("name") or pool.get("comm") or "?")
    try:
        per_worker, fixed, basis = worker_cost(group, pool.get("per_worker"))
    except WorkersError as e:
        raise WorkersError("%s: %s" % (label, e))
    cap = gunicorn_cpu_cap(cores) if kind == "gunicorn" else None
    sized = worker_count(share_mb, fixed, per_worker, pool.get("min", DEFAULT_MIN), pool.get("max", DEFAULT_MAX), cap, label)
    max_requests = pool.get("max_requests")
    if max_requests is None:
        max_requests = DEFAULT_MAX_REQUESTS[kind]
    if kind == "php_fpm":
        settings = php_fpm_settings(sized["count"], pool.get("pm") or "dynamic", max_requests)
    elif kind == "apache_prefork":
        settings = apache_prefork_settings(sized["count"], max_requests)
    else:
        jitter = pool.get("max_requests_jitter")
        settings = gunicorn_settings(sized["count"], max_requests, max_requests // 20 if jitter is None else jitter)
    return {
        "kind": kind,
        "name": pool.get("name"),
        "count": sized["count"],
        "fit": sized["fit"],
        "share_mb": share_mb,
        "per_worker_mb": per_worker,
        "fixed_mb": fixed,
        "basis": basis,
        "cpu_cap": cap,
        "settings": settings,
        "arithmetic": "%s%s; per worker: %s" % (
            (share_arithmetic + "; ") if share_arithmetic else "", sized["arithmetic"], basis),
    }
