# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the headroom.memory.database role: thin over plugin_utils/database."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.headroom.memory.plugins.plugin_utils.lazy_import import LazyModule

# imported on first use: ansible loads this file in every worker that looks up any headroom.memory filter
files = LazyModule("ansible_collections.headroom.memory.plugins.plugin_utils.database.files")
instances = LazyModule("ansible_collections.headroom.memory.plugins.plugin_utils.database.instances")
parse = LazyModule("ansible_collections.headroom.memory.plugins.plugin_utils.database.parse")
pgtune = LazyModule("ansible_collections.headroom.memory.plugins.plugin_utils.database.pgtune")
sizing = LazyModule("ansible_collections.headroom.memory.plugins.plugin_utils.database.sizing")

MIB = 1024 * 1024


def postgresql_settings(params):
    """PGTune's postgresql.conf settings for {memory_mb, cpus, workload, storage, connections, db_size, version}."""
    try:
        return pgtune.postgresql_settings(params)
    except pgtune.PgtuneError as e:
        raise AnsibleFilterError("postgresql_settings: %s" % e)


def database_instance_errors(entries):
    """Every problem with database_instances, as readable lines; empty when all is well."""
    return instances.normalise(entries)[1]


def database_instances(entries, facts=None):
    """database_instances with defaults; the engines detected in memory_facts when the list is empty."""
    if not entries:
        entries = instances.detect(facts or {})
    found, errors = instances.normalise(entries)
    if errors:
        raise AnsibleFilterError("; ".join(errors))
    return found


def database_shares(entries, facts, reserve_mb=None, previous=None):
    """Each instance's memory share with the arithmetic (budget.memory_share; 'auto' ones split the rest)."""
    from ansible_collections.headroom.memory.plugins.plugin_utils.database.shares import SharesError, shares
    if not entries:
        return []
    try:
        return shares(entries, facts, reserve_mb, previous)
    except SharesError as e:
        raise AnsibleFilterError(str(e))


def database_plan(share, live):
    """The sizing plan of one instance from its share (database_shares entry) and what the server runs now.

    ``live`` per engine - postgresql {version, max_connections, cpus}; mariadb/mysql {variables (SHOW VARIABLES
    as a dict)}; redis {save, appendonly, info (INFO memory as a dict: used_memory)}; mongodb {}.
    """
    inst = share["instance"]
    engine = inst["engine"]
    share_mb = share["share_mb"]
    try:
        if engine == "postgresql":
            conns = inst.get("connections") or int(live["max_connections"])
            plan = sizing.postgresql_plan(
                share_mb, cpus=inst.get("cpus") or live.get("cpus"), workload=inst["workload"],
                storage=inst["storage"], connections=conns, db_size=inst["db_size"], version=int(live["version"]),
                scope=inst["settings"], write_connections=inst.get("connections") is not None)
            plan["conf"] = dict((k, sizing.postgresql_conf_value(v)) for k, v in plan["settings"].items())
        elif engine in ("mariadb", "mysql"):
            variables = live.get("variables") or {}
            numeric = dict((k, int(v)) for k, v in variables.items() if str(v).isdigit())
            plan = sizing.mariadb_plan(share_mb, engine, variables.get("version", live.get("version")), numeric,
                                       inst.get("connections"))
            plan["live"] = dict((k, numeric.get(k)) for k in plan["settings"])
        elif engine == "redis":
            persistent = inst["persistence"] if isinstance(inst["persistence"], bool) else \
                sizing.redis_persistent(live.get("save"), live.get("appendonly"))
            plan = sizing.redis_plan(share_mb, persistent, inst.get("workload"), inst.get("policy"),
                                     parse.redis_used_mb(live.get("info")))
            plan["persistent"] = persistent
        else:
            plan = sizing.mongodb_plan(share_mb)
    except (sizing.SizingError, pgtune.PgtuneError, KeyError, ValueError, TypeError) as e:
        raise AnsibleFilterError("%s (%s): %s; nothing was changed" % (inst["name"], engine, e))
    plan["name"] = inst["name"]
    plan["engine"] = engine
    plan["share_mb"] = share_mb
    plan["share_arithmetic"] = share["arithmetic"]
    plan["share_file_arithmetic"] = share.get("file_arithmetic", share["arithmetic"])
    return plan


def database_parse(text, kind):
    """Client output as a dict: kind pg_settings, mysql_vars or redis_config."""
    try:
        return parse.parse(text, kind)
    except ValueError as e:
        raise AnsibleFilterError("database_parse: %s" % e)


def database_compare(settings, live, engine):
    """Planned settings against the server's: {applied, pending_restart, differs}."""
    return parse.compare(settings, live, engine)


def database_redis_conf(text, settings):
    """redis.conf text with the settings set in place (earlier duplicates commented out)."""
    return sizing.redis_config_lines(text, settings)


def database_mongodb_conf(config, cache_gb):
    """A parsed mongod.conf with storage.wiredTiger.engineConfig.cacheSizeGB set."""
    try:
        return sizing.mongodb_config(config, cache_gb)
    except sizing.SizingError as e:
        raise AnsibleFilterError(str(e))


def database_config_files(seen, targets=None):
    """The config files to edit, from stat (follow: false) of each and of the links' targets: {files, errors}."""
    try:
        return files.config_files(seen, targets)
    except (KeyError, TypeError, AttributeError) as e:
        raise AnsibleFilterError("database_config_files: not a list of stat results: %s" % e)


class FilterModule(object):
    def filters(self):
        return {
            "postgresql_settings": postgresql_settings,
            "database_instance_errors": database_instance_errors,
            "database_instances": database_instances,
            "database_shares": database_shares,
            "database_plan": database_plan,
            "database_parse": database_parse,
            "database_compare": database_compare,
            "database_redis_conf": database_redis_conf,
            "database_mongodb_conf": database_mongodb_conf,
            "database_config_files": database_config_files,
        }
