# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Triage rules for databases, judged by their own settings (memory_facts' ``settings`` subset) with the
arithmetic of the headroom.memory.database role (plugin_utils.database: the share from budget.memory_share,
the engine's plan from sizing), and by what they hold where their settings were not read.

- ``database_oversized``: a server configured for more memory than it can get (PostgreSQL shared_buffers +
  max_connections x work_mem, MariaDB/MySQL's peak, Redis maxmemory), or, without its settings, holding
  most of the host; each setting that is too big is named with the amount; critical too when the server's
  unit has a MemoryMax below what its settings make it hold (triage.configured, the gate's rule as well).
- ``database_defaults``: a server left on its built-in memory defaults where they matter: Redis without
  maxmemory (grows until killed), PostgreSQL/MariaDB with the defaults' small caches on a host that gives them
  far more.

Both point to headroom.memory.database with ready ``database_instances`` host_vars: each instance with an
explicit ``memory`` (its share here, less a margin for what the other processes' memory drifts before the
role runs) and, for PostgreSQL, the ``connections`` that fit it, so that the role accepts it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.headroom.memory.plugins.plugin_utils.budget import BudgetError
from ansible_collections.headroom.memory.plugins.plugin_utils.database import pgtune, sizing
from ansible_collections.headroom.memory.plugins.plugin_utils.database.instances import normalise
from ansible_collections.headroom.memory.plugins.plugin_utils.database.shares import SharesError, shares
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.common import (
    databases, finding, fmt_mb, pct, unit_ceiling_mb, unit_limits)
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.configured import (  # noqa: F401 pylint: disable=unused-import
    MYSQL_DEFAULTS, PG_DEFAULTS_KB, existing_limit_problems, servers)

DATABASE_ROLE = "headroom.memory.database"
# the share offered is this much of the share computed now: the other processes' RSS drifts before the role
# runs, and the role refuses an explicit share larger than what is then available
OFFER_PCT = 90
MIB = 1024 * 1024

MYSQL_VERSION = {"mariadb": "10.6", "mysql": "8.0"}  # chunk rounding: no instances term on MariaDB >= 10.6
# database_defaults for PostgreSQL/MariaDB: the role would give the cache at least this many times the default
DEFAULTS_MATTER_FACTOR = 4
DEFAULT_CACHE_MB = 128  # shared_buffers and innodb_buffer_pool_size both default to 128 MiB


def _instance(server):
    """The database_instances entry that names ``server`` for the role."""
    entry = {"engine": server["engine"]}
    if server["engine"] == "postgresql" and server.get("cluster"):
        entry["cluster"] = server["cluster"]
    normalised, _errors = normalise([entry])
    entry["name"] = normalised[0]["name"] if normalised else server["engine"]
    return entry


def _limit(facts, server):
    """(MiB, where) of the most memory the server can get: its unit's own limit, else its ceiling (container,
    slice or host)."""
    unit = server.get("unit")
    own = unit_limits(facts).get(unit) if unit else None
    ceiling, where, _used = unit_ceiling_mb(facts, unit)
    if own is not None and (ceiling is None or own < ceiling):
        return own, "the memory limit of %s" % unit
    return ceiling, where


def _shares(facts, found):
    """{index: share record} of every server, as the database role splits the host between them; {} when the
    facts cannot give a share (the message in the second item)."""
    entries, errors = normalise([_instance(s) for s in found])
    if errors:
        return {}, "; ".join(errors)
    try:
        return dict(enumerate(shares(entries, facts))), None
    except (SharesError, BudgetError) as exc:
        return {}, str(exc)


def _pg_configured(server):
    s = dict(PG_DEFAULTS_KB)
    s.update(dict((k, v) for k, v in server["settings"].items() if isinstance(v, int)))
    av_mem = s["autovacuum_work_mem"] if s["autovacuum_work_mem"] > 0 else s["maintenance_work_mem"]
    worst = sizing.postgresql_worst_case_kb(s["shared_buffers"], s["max_connections"], s["work_mem"],
                                            s["autovacuum_max_workers"], av_mem)
    return s, av_mem, worst


def _pg_plan(offer_mb, version, connections):
    """(plan, connections) the role makes for a share of ``offer_mb``: with the configured connections when
    they fit, else the most that fit (the role refuses the rest); (None, None) when not even one fits."""
    def plan(conns):
        try:
            return sizing.postgresql_plan(offer_mb, connections=conns, version=version or pgtune.VERSIONS[-1])
        except (sizing.SizingError, pgtune.PgtuneError):
            return None

    first = plan(connections)
    if first is not None:
        return first, connections
    low, high, best = 1, connections - 1, None
    while low <= high:
        mid = (low + high) // 2
        result = plan(mid)
        if result is not None:
            best, low = (result, mid), mid + 1
        else:
            high = mid - 1
    return best if best else (None, None)


def _kb(value):
    return fmt_mb(value // 1024)


def judge_postgresql(server, share, limit_mb, limit_where):
    """(severity or None, evidence, instance vars, settings) for a PostgreSQL server."""
    s, av_mem, worst = _pg_configured(server)
    share_mb = share["share_mb"]
    offer = share_mb * OFFER_PCT // 100
    plan, conns = _pg_plan(offer, server.get("version"), s["max_connections"])
    fixed_mb, worst_mb = s["shared_buffers"] // 1024, worst // 1024
    evidence = ["configured worst case = shared_buffers %s + %d connections x work_mem %s x %d + %d autovacuum "
                "workers x %s = %s; its share (the database role's arithmetic) is %s: %s; it can get at most %s (%s)"
                % (_kb(s["shared_buffers"]), s["max_connections"], _kb(s["work_mem"]), sizing.WORK_MEM_FACTOR,
                   s["autovacuum_max_workers"], _kb(av_mem), fmt_mb(worst_mb), fmt_mb(share_mb), share["arithmetic"],
                   fmt_mb(limit_mb), limit_where)]
    severity = None
    if fixed_mb > share_mb or (limit_mb is not None and worst_mb > limit_mb):
        severity = "critical"
    elif worst_mb > share_mb:
        severity = "warning"
    too_big = []
    if plan is not None:
        planned = plan["settings_kb"]
        for name in ("shared_buffers", "work_mem", "maintenance_work_mem"):
            if name in planned and s[name] > planned[name]:
                too_big.append("%s %s is %s over the %s the database role sets for a %s share" % (
                    name, _kb(s[name]), _kb(s[name] - planned[name]), _kb(planned[name]), fmt_mb(offer)))
        if conns < s["max_connections"]:
            too_big.append("max_connections %d is %d over the %d that fit a %s share with work_mem at least 4MB" % (
                s["max_connections"], s["max_connections"] - conns, conns, fmt_mb(offer)))
    if fixed_mb > share_mb:
        too_big.insert(0, "shared_buffers %s alone is %s over its share of %s (%s%% of %s)" % (
            _kb(s["shared_buffers"]), fmt_mb(fixed_mb - share_mb), fmt_mb(share_mb),
            pct(fixed_mb, limit_mb) if limit_mb else "?", fmt_mb(limit_mb)))
    if limit_mb is not None and worst_mb > limit_mb:
        too_big.append("the worst case %s is %s over %s" % (fmt_mb(worst_mb), fmt_mb(worst_mb - limit_mb), limit_where))
    evidence += too_big
    if plan is None:
        return severity, evidence, None, []
    instance = dict(_instance(server), memory="%dM" % offer)
    if conns != s["max_connections"]:
        instance["connections"] = conns
    settings = [{"service": "postgresql", "setting": k, "value": v, "file": "conf.d/50-headroom-memory.conf"}
                for k, v in sorted(plan["settings"].items()) if k in ("shared_buffers", "work_mem", "max_connections")]
    if conns != s["max_connections"]:
        settings.append({"service": "postgresql", "setting": "max_connections", "value": conns,
                         "file": "conf.d/50-headroom-memory.conf"})
    for st in settings:
        if st["setting"] == "shared_buffers":
            st["mb"] = plan["settings_kb"]["shared_buffers"] // 1024
    return severity, evidence, instance, settings


def judge_mysql(server, share, limit_mb, limit_where):
    engine = server["engine"]
    variables = dict(MYSQL_DEFAULTS)
    variables.update(dict((k, v) for k, v in server["settings"].items() if isinstance(v, int)))
    peak = sizing.mysqltuner_peak(variables)
    share_mb = share["share_mb"]
    offer = share_mb * OFFER_PCT // 100
    fixed_mb, peak_mb = peak["server_buffers"] // MIB, peak["peak"] // MIB
    evidence = ["configured peak (MySQLTuner) = server buffers %s + %d connections x %d KiB per thread = %s; its "
                "share (the database role's arithmetic) is %s: %s; it can get at most %s (%s)" % (
                    fmt_mb(fixed_mb), peak["max_connections"], peak["per_thread_buffers"] // 1024, fmt_mb(peak_mb),
                    fmt_mb(share_mb), share["arithmetic"], fmt_mb(limit_mb), limit_where)]
    severity = None
    if fixed_mb > share_mb or (limit_mb is not None and peak_mb > limit_mb):
        severity = "critical"
    elif peak_mb > share_mb:
        severity = "warning"
    try:
        plan = sizing.mariadb_plan(offer, engine, MYSQL_VERSION[engine], variables)
    except sizing.SizingError as exc:
        return severity, evidence + ["the database role cannot size it in a %s share: %s" % (fmt_mb(offer), exc)], \
            None, []
    pool = variables["innodb_buffer_pool_size"]
    planned = plan["settings"]["innodb_buffer_pool_size"]
    if pool > planned:
        evidence.append("innodb_buffer_pool_size %s is %s over the %s the database role sets for a %s share" % (
            fmt_mb(pool // MIB), fmt_mb((pool - planned) // MIB), fmt_mb(planned // MIB), fmt_mb(offer)))
    if plan["max_connections_lowered"]:
        evidence.append("max_connections %d is %d over the %d that fit" % (
            plan["max_connections_lowered"]["from"], plan["max_connections_lowered"]["from"] -
            plan["max_connections_lowered"]["to"], plan["max_connections_lowered"]["to"]))
    instance = dict(_instance(server), memory="%dM" % offer)
    settings = [{"service": engine, "setting": k, "value": v, "file": "conf.d/90-headroom-memory.cnf"}
                for k, v in sorted(plan["settings"].items()) if k in ("innodb_buffer_pool_size", "max_connections")]
    for st in settings:
        if st["setting"] == "innodb_buffer_pool_size":
            st["mb"], st["value"] = st["value"] // MIB, "%dM" % (st["value"] // MIB)
    return severity, evidence, instance, settings


def redis_held(facts, found):
    """(MiB, source) that the one Redis server among ``found`` holds now: its unit's working set where memory_facts
    read it, else its RSS (an upper bound of used_memory: fragmentation included); None when no redis-server
    runs or several servers share the figure."""
    if len([s for s in found if s["engine"] == "redis"]) != 1:
        return None
    for db in databases(facts):
        if db["engine"] == "redis" and isinstance(db.get("rss_mb"), int) and not isinstance(db["rss_mb"], bool):
            return db["rss_mb"], db.get("source") or "RSS"
    return None


def judge_redis(server, share, limit_mb, limit_where, held=None):
    """The maxmemory finding; the remedy's maxmemory never goes below what Redis holds now (``held``, from
    redis_held) without a decision: when its data does not fit the share, no remedy is offered and
    ``share['decision']`` says what to decide (more memory, or eviction accepted with allkeys-lru)."""
    maxmemory = server["settings"].get("maxmemory") or 0
    share_mb = share["share_mb"]
    offer = share_mb * OFFER_PCT // 100
    data_mb, source = held or (None, None)
    policy = server["settings"].get("maxmemory_policy")
    policy = policy if policy in sizing.REDIS_EVICTING else None  # eviction someone already chose is kept
    plan = None
    if offer >= sizing.MIN_SHARE_MB["redis"]:
        try:
            plan = sizing.redis_plan(offer, bool(server["settings"].get("persistence", True)), policy=policy,
                                     data_mb=data_mb)
        except sizing.SizingError as exc:
            share["decision"] = "%s (it holds %s now, by its %s)." % (exc, fmt_mb(data_mb), source)
    instance = dict(_instance(server), memory="%dM" % offer) if plan else None
    if instance and policy:
        instance["policy"] = policy
    settings = [{"service": "redis", "setting": "maxmemory", "value": "%dmb" % plan["maxmemory_mb"],
                 "file": "redis.conf"}] if plan else []
    if not maxmemory:
        return None, [], instance, settings  # unbounded: database_defaults says so
    mb = maxmemory // MIB
    evidence = ["maxmemory %s; its share (the database role's arithmetic) is %s: %s; it can get at most %s (%s)" % (
        fmt_mb(mb), fmt_mb(share_mb), share["arithmetic"], fmt_mb(limit_mb), limit_where)]
    severity = "critical" if limit_mb is not None and mb > limit_mb else "warning" if mb > share_mb else None
    if plan and mb > plan["maxmemory_mb"]:
        evidence.append("maxmemory %s is %s over the %s the database role sets for a %s share" % (
            fmt_mb(mb), fmt_mb(mb - plan["maxmemory_mb"]), fmt_mb(plan["maxmemory_mb"]), fmt_mb(offer)))
    if "decision" in share:
        evidence.append("it holds %s now (%s): more than the maxmemory its share allows" % (fmt_mb(data_mb), source))
    return severity, evidence, instance, settings


JUDGES = {"postgresql": judge_postgresql, "mariadb": judge_mysql, "mysql": judge_mysql, "redis": judge_redis}


def judged(facts):
    """[(server, severity, evidence, instance, settings, share)] for every server whose settings were read;
    and a note when no share could be computed (the facts lack what budget.memory_share needs)."""
    found = [s for s in servers(facts) if s["engine"] in JUDGES]
    if not found:
        return [], None
    by_index, problem = _shares(facts, found)
    out = []
    for i, server in enumerate(found):
        share = by_index.get(i)
        if share is None:
            continue
        limit_mb, where = _limit(facts, server)
        if server["engine"] == "redis":
            severity, evidence, instance, settings = judge_redis(server, share, limit_mb, where, redis_held(facts, found))
        else:
            severity, evidence, instance, settings = JUDGES[server["engine"]](server, share, limit_mb, where)
        # the cache size the role would set, in MiB, for database_defaults; not part of the finding
        share = dict(share, cache_mb=next((st.pop("mb") for st in settings if "mb" in st), None))
        out.append((server, severity, evidence, instance, settings, share))
    return out, problem


def _planned(settings):
    """The evidence line for what the database role would write: the role manages these settings, so they
    are not the finding's ``remedy.settings`` (settings no role manages)."""
    if not settings:
        return []
    return ["the database role would set %s (in %s)" % (
        ", ".join("%s = %s" % (st["setting"], st["value"]) for st in settings), settings[0]["file"])]


def _remedy(instance):
    return {"database_instances": [instance]} if instance else None


def _text(engine, instance, share):
    if share.get("decision"):
        return "Its data does not fit the maxmemory its share allows, so no maxmemory is offered: %s" % share["decision"]
    if not instance:
        return ("Its share (%s MiB) cannot hold %s as the database role sizes it: give it more memory (a larger "
                "container or host) or move it." % (share["share_mb"], engine))
    return ("Size it to its share with headroom.memory.database (the remedy's database_instances: memory %s%s); "
            "the role writes its own configuration file, reloads, and restarts only with restart: true."
            % (instance["memory"], ", connections %d" % instance["connections"] if "connections" in instance else ""))


def _holding(facts, thresholds, ctx, engine):
    """(severity, evidence, % of memory) when the ``engine`` holds at least the database_warn_pct line of the
    host's memory now, else (None, [], None)."""
    ram = ctx["view"]["total_mb"]
    for db in databases(facts) if ram else []:
        share = pct(db["rss_mb"], ram)
        if db["engine"] != engine or share is None or share < thresholds["database_warn_pct"]:
            continue
        severity = "critical" if share >= thresholds["database_crit_pct"] else "warning"
        evidence = ["%s (%d process(es)) holds %s (%s) = %.1f%% of %s (line %s%%, critical at %s%%)" % (
            db["comm"], db["count"] or 0, fmt_mb(db["rss_mb"]), db.get("source") or "RSS", share, fmt_mb(ram),
            thresholds["database_warn_pct"], thresholds["database_crit_pct"])]
        if db.get("unit"):
            evidence.append("unit %s" % db["unit"])
        return severity, evidence, share
    return None, [], None


def _use_settings(engine, target_mb):
    """[{service, setting, value, file}] the database role's plan makes of a ``target_mb`` share when the
    server's own settings are unknown (built-in defaults, Redis with persistence); [] when it cannot size it."""
    try:
        if engine == "postgresql":
            plan = sizing.postgresql_plan(target_mb, connections=PG_DEFAULTS_KB["max_connections"])
            return [{"service": engine, "setting": "shared_buffers", "value": plan["settings"]["shared_buffers"],
                     "file": "conf.d/50-headroom-memory.conf"}]
        if engine in ("mariadb", "mysql"):
            plan = sizing.mariadb_plan(target_mb, engine, MYSQL_VERSION[engine], dict(MYSQL_DEFAULTS))
            return [{"service": engine, "setting": "innodb_buffer_pool_size",
                     "value": "%dM" % (plan["settings"]["innodb_buffer_pool_size"] // MIB),
                     "file": "conf.d/90-headroom-memory.cnf"}]
        if engine == "redis":
            plan = sizing.redis_plan(target_mb, True)
            return [{"service": engine, "setting": "maxmemory", "value": "%dmb" % plan["maxmemory_mb"],
                     "file": "redis.conf"}]
        if engine == "mongodb":
            plan = sizing.mongodb_plan(target_mb)
            return [{"service": engine, "setting": "storage.wiredTiger.engineConfig.cacheSizeGB",
                     "value": plan["settings"]["storage.wiredTiger.engineConfig.cacheSizeGB"], "file": "mongod.conf"}]
    except (sizing.SizingError, pgtune.PgtuneError):
        return []
    return []


def _use_based(facts, thresholds, ctx, judged_engines):
    """Databases whose settings were not read, judged by what they hold (the previous rule)."""
    ram = ctx["view"]["total_mb"]
    found = []
    for engine in sorted(set(db["engine"] for db in databases(facts)) - set(judged_engines)):
        severity, evidence, share = _holding(facts, thresholds, ctx, engine)
        if severity is None:
            continue
        evidence.append("its configuration was not read (memory_facts' settings subset): judged by what it holds")
        target = ram * thresholds["database_target_pct"] // 100
        instance = {"engine": engine, "name": engine, "memory": "%dM" % target}
        text = ("The database holds as much as if it owned the host. Size it to its share (%d%% of %s) with "
                "headroom.memory.database (the remedy's database_instances)." % (
                    thresholds["database_target_pct"], fmt_mb(ram)))
        held = next((db["rss_mb"] for db in databases(facts) if db["engine"] == engine), None)
        decision = _redis_data_decision(target, held) if engine == "redis" else None
        if decision:
            found.append(finding("database_oversized", severity, "%s holds %.0f%% of memory" % (engine, share),
                                 evidence, "Its data does not fit the maxmemory a %s share allows, so no maxmemory is "
                                 "offered: %s" % (fmt_mb(target), decision)))
            continue
        found.append(finding("database_oversized", severity, "%s holds %.0f%% of memory" % (engine, share),
                             evidence + _planned(_use_settings(engine, target)), text, DATABASE_ROLE,
                             {"database_instances": [instance]}))
    return found


def _redis_data_decision(target_mb, held_mb):
    """The decision a Redis (persistence assumed, as _use_settings does) needs when a ``target_mb`` share cannot
    hold the ``held_mb`` it holds now; None when it can (or nothing is known)."""
    if not isinstance(held_mb, int) or isinstance(held_mb, bool):
        return None
    try:
        sizing.redis_plan(target_mb, True, data_mb=held_mb)
    except sizing.SizingError as exc:
        return "%s (it holds %s now)." % (exc, fmt_mb(held_mb))
    return None


def _unbounded(server):
    return server["engine"] == "redis" and not server["settings"].get("maxmemory")


def database_oversized(facts, thresholds, ctx):
    found = []
    results, _problem = judged(facts)
    for server, severity, evidence, instance, settings, share in results:
        name = server["engine"] + (" %s" % server["cluster"] if server.get("cluster") else "")
        title = "%s is configured for more memory than it can get" % name
        if _unbounded(server):
            # no maxmemory bounds it: what it holds now is the measure (database_defaults stays quiet then)
            severity, evidence, held = _holding(facts, thresholds, ctx, "redis")
            evidence = evidence[:1] + ["it has no maxmemory: nothing bounds it; its share (the database role's "
                                       "arithmetic) is %s: %s" % (fmt_mb(share["share_mb"]), share["arithmetic"])]
            title = "redis holds %.0f%% of memory and has no maxmemory" % (held or 0)
        # an existing MemoryMax below what the server is configured to hold (triage.configured's rule)
        own_limit = existing_limit_problems(facts, [server.get("unit")])
        if own_limit:
            severity, evidence = "critical", evidence + own_limit
        if severity is None:
            continue
        f = finding("database_oversized", severity, title, evidence + _planned(settings),
                    _text(server["engine"], instance, share), DATABASE_ROLE if instance else None, _remedy(instance))
        if server.get("unit"):
            f["evidence"].insert(1, "unit %s" % server["unit"])
        found.append(f)
    judged_engines = set(s["engine"] for s, _sev, _e, _i, _st, _sh in results)
    return found + _use_based(facts, thresholds, ctx, judged_engines)


def _defaults(server):
    """(severity, sentence) when ``server`` runs on its built-in memory defaults where they matter, else None."""
    engine, settings = server["engine"], server["settings"]
    if engine == "redis":
        if not settings.get("maxmemory"):
            return "warning", ("Redis has no maxmemory (0 = unbounded): it grows until the container, unit or "
                               "host limit kills it or the host swaps")
        return None
    if engine == "postgresql":
        if any(settings.get(k, d) != d for k, d in PG_DEFAULTS_KB.items()
               if k in ("shared_buffers", "work_mem", "maintenance_work_mem")):
            return None
        return "info", "PostgreSQL runs with the built-in memory settings (shared_buffers 128MB, work_mem 4MB)"
    if engine in ("mariadb", "mysql"):
        if settings.get("innodb_buffer_pool_size", MYSQL_DEFAULTS["innodb_buffer_pool_size"]) != \
                MYSQL_DEFAULTS["innodb_buffer_pool_size"]:
            return None
        return "info", "%s runs with the built-in innodb_buffer_pool_size of 128M" % engine
    return None


def database_defaults(facts, thresholds, ctx):
    found = []
    results, _problem = judged(facts)
    for server, severity, _evidence, instance, settings, share in results:
        if _unbounded(server) and _holding(facts, thresholds, ctx, "redis")[0] is not None:
            continue  # database_oversized reports it, with the same remedy
        if severity is not None or (instance is None and not share.get("decision")):
            continue  # oversized says more; without a remedy or a decision there is nothing to offer
        verdict = _defaults(server)
        if verdict is None:
            continue
        level, sentence = verdict
        if level == "info":
            if share["cache_mb"] is None or share["cache_mb"] < DEFAULT_CACHE_MB * DEFAULTS_MATTER_FACTOR:
                continue  # the role would give its cache little more than the default: the defaults do not matter
        evidence = [sentence, "its share (the database role's arithmetic) is %s: %s" % (
            fmt_mb(share["share_mb"]), share["arithmetic"])]
        if server.get("unit"):
            evidence.append("unit %s" % server["unit"])
        found.append(finding("database_defaults", level, "%s left on its memory defaults" % server["engine"],
                             evidence + _planned(settings), _text(server["engine"], instance, share),
                             DATABASE_ROLE if instance else None, _remedy(instance)))
    return found
