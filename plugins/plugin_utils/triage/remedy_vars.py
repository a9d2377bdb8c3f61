# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role variables a diagnose report may carry to remediate, and the shape of each: one definition, used
by the remedy gate (triage.gate: diagnose writes nothing else into remedy-vars/) and by remediate
(remediate.plan.roles_for: it refuses anything else, naming the key).

Only what diagnose's rules propose is here. A role's safety opt-outs (``service_limits_allow_unkillable``,
``service_limits_margin``, an item's ``force``, ``database_backup``, ``swap_sysctl_override``, ...), its
restart switches and any other variable stay the operator's, in inventory or ``-e``: a report file never
sets them. A configuration path may come from a report only inside its engine's own layout.

- ``REMEDY_VARS``: {variable: a check of its value} for a plain variable, or {variable: {item key: check}}
  for a list of items; ``REQUIRED`` the key every item of a list must have (``ALSO_REQUIRED`` the others, for
  the lists whose items mean nothing without them);
- ``remedy_errors(variable, value)``: [(index or None, key or None, reason)], [] when the value may be used."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.headroom.memory.plugins.module_utils.sizes import SizeError, parse_size
from ansible_collections.headroom.memory.plugins.module_utils.systemd.unit_names import unit_name_error
from ansible_collections.headroom.memory.plugins.plugin_utils.database.sizing import ENGINES
from ansible_collections.headroom.memory.plugins.plugin_utils.pm2.ecosystem import CRON_RE
from ansible_collections.headroom.memory.plugins.plugin_utils.pm2.role import APP_NAME_RE
from ansible_collections.headroom.memory.plugins.plugin_utils.service_limits.plan import restart_every_error, span_seconds
from ansible_collections.headroom.memory.plugins.module_utils.containers.parse import NAME_RULE as CONTAINER_NAME_RULE, name_error as container_name_error
from ansible_collections.headroom.memory.plugins.plugin_utils.workers.plan import KINDS
from ansible_collections.headroom.memory.plugins.plugin_utils.workers.pools import _PHP_PATH_RE as PHP_POOL_FILE

_NAME = re.compile(r"^[A-Za-z0-9_.@:-]{1,64}\Z")
_CLUSTER = re.compile(r"^\d{2}/[A-Za-z0-9_.-]{1,63}\Z")
_PATH = re.compile(r"^/[A-Za-z0-9_./@+-]{1,255}\Z")
# a swap file at the top of the file system: /swapfile (what diagnose proposes), /swapfile2, /swap.img
_SWAP_PATH = re.compile(r"^/swap[A-Za-z0-9_.-]{0,64}\Z")
# the configuration files each engine's packages install, and nothing else a report may name
DATABASE_CONFIG = {
    "redis": re.compile(r"^/etc/redis/[A-Za-z0-9_.@-]+\.conf\Z"),
    "mongodb": re.compile(r"^/etc/mongod\.conf\Z"),
    "mariadb": re.compile(r"^/etc/mysql/(?:[A-Za-z0-9_.-]+/)?[A-Za-z0-9_.@-]+\.cnf\Z"),
    "mysql": re.compile(r"^/etc/mysql/(?:[A-Za-z0-9_.-]+/)?[A-Za-z0-9_.@-]+\.cnf\Z"),
    "postgresql": re.compile(r"^/etc/postgresql/[0-9]+/[A-Za-z0-9_.-]+/(?:conf\.d/)?[A-Za-z0-9_.@-]+\.conf\Z"),
}


# a PM2 app name a report may carry: the pm2 role's own rule (pm2/role.py APP_NAME_RE). The ecosystem file is not
# taken from a report: the pm2 role finds it from what PM2 records on the host.
PM2_APP_NAME = APP_NAME_RE
# --max-old-space-size a report may set, MiB: under 16 Node does not start; above 64 GiB is a typo
PM2_HEAP_MB = (16, 65536)


def _plain_path(value):
    return isinstance(value, str) and bool(_PATH.match(value)) and "/../" not in value + "/" and "/./" not in value + "/"


def _size(value, _item):
    if isinstance(value, bool) or not isinstance(value, str):
        return "is not a size such as 512M or 2G"
    try:
        ok = parse_size(value) > 0
    except SizeError:
        ok = False
    return None if ok else "is not a size such as 512M or 2G"


def _size_or_zero(value, item):
    return None if value in ("0", 0) else _size(value, item)


def _ints(low, high):
    def check(value, _item):
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            return "is not a whole number from %d to %d" % (low, high)
        return None
    return check


def _one_of(*allowed):
    def check(value, _item):
        return None if isinstance(value, str) and value in allowed else "is not one of %s" % ", ".join(allowed)
    return check


def _matches(regex, what):
    def check(value, _item):
        return None if isinstance(value, str) and regex.match(value) else "is not %s" % what
    return check


def _service(value, _item):
    if isinstance(value, str) and value.endswith(".service") and unit_name_error(value) is None:
        return None
    return "is not a systemd service name"


# a report proposes a scheduled restart of hours or days (diagnose: once a day); a shorter one, such as the seconds a
# test uses, stays the operator's, in inventory
RESTART_EVERY_MIN_FROM_REPORT_S = 3600


def _restart_every(value, _item):
    if not isinstance(value, str) or restart_every_error(value):
        return "is not a time span such as 1d or 12h"
    if span_seconds(value) < RESTART_EVERY_MIN_FROM_REPORT_S:
        return "is under an hour: a report may not restart a service that often; set it in inventory"
    return None


def _swap_path(value, _item):
    if isinstance(value, str) and _SWAP_PATH.match(value) and value not in ("/swap", "/swap."):
        return None
    return "is not a swap file at the top of the file system (/swapfile, /swap.img); put another path in inventory"


def _database_config(value, item):
    layout = DATABASE_CONFIG.get(item.get("engine"))
    if layout is not None and _plain_path(value) and layout.match(value):
        return None
    return ("is not in the %s configuration layout (%s): a report may not name another file; set it in inventory"
            % (item.get("engine"), layout.pattern if layout is not None else "no engine"))


def _php_pool_file(value, item):
    if item.get("kind") == "php_fpm" and _plain_path(value) and PHP_POOL_FILE.match(value):
        return None
    return "is not a php-fpm pool file /etc/php/X.Y/fpm/pool.d/NAME.conf of a php_fpm pool; set it in inventory"


def _container_name(value, _item):
    return None if container_name_error(value) is None else (
        "is not a docker/podman container name (%s)" % CONTAINER_NAME_RULE)


REMEDY_VARS = {
    "swap_files": {"path": _swap_path, "size": _size},
    "swap_swappiness": _ints(0, 100),
    # oom_score_adjust -1000 (unkillable) needs service_limits_allow_unkillable: never from a report
    "service_limits_units": {"unit": _service, "memory_high": _size,
                             "memory_max": _size, "memory_swap_max": _size_or_zero,
                             "oom_score_adjust": _ints(-999, 1000), "restart": _one_of("on-failure"),
                             # a scheduled restart: leak_suspect proposes it only for diagnose_scheduled_restart_units
                             "restart_every": _restart_every},
    # runtime node: a node service run by systemd (NODE_OPTIONS in a drop-in); a PM2 app gets pm2_apps instead
    "heap_services": {"unit": _service, "runtime": _one_of("java", "node"), "max": _size},
    "database_instances": {"engine": _one_of(*ENGINES), "name": _matches(_NAME, "letters, digits and _.@:- (at most 64)"),
                           "cluster": _matches(_CLUSTER, "a Debian cluster VERSION/NAME such as 15/main"),
                           "memory": _size, "connections": _ints(1, 100000), "config_file": _database_config},
    "workers_pools": {"kind": _one_of(*KINDS), "config": _php_pool_file,
                      "unit": _service, "per_worker": _ints(1, 1024 * 1024)},
    # a container's limits, live; containers_persist (write the defining file), containers_backup and
    # containers_manifests (a file path) stay the operator's
    "containers_limits": {"name": _container_name, "memory": _size, "memory_swap": _size, "memory_reservation": _size},
    "pm2_apps": {"name": _matches(PM2_APP_NAME, "a PM2 app name of letters, digits and _.@:+- (at most 64, not starting "
                                                "with -)"),
                 "max_memory_restart": _size, "max_old_space_size": _ints(*PM2_HEAP_MB),
                 # a scheduled restart: diagnose proposes it only beside a leak, for diagnose_scheduled_restart_pm2_apps
                 "cron_restart": _matches(CRON_RE, "a 5-field cron pattern of digits and * / , -")},
}
REQUIRED = {"swap_files": "path", "service_limits_units": "unit", "heap_services": "unit",
            "database_instances": "engine", "workers_pools": "kind", "containers_limits": "name", "pm2_apps": "name"}
# a container's item without its memory limit is nothing the containers role applies
ALSO_REQUIRED = {"containers_limits": ("memory",)}


def remedy_errors(variable, value):
    """Why ``value`` may not be set as ``variable`` from a report: [(index or None, key or None, reason)],
    [] when it may. A variable not in REMEDY_VARS is refused whole."""
    check = REMEDY_VARS.get(variable)
    if check is None:
        return [(None, None, "is not a variable diagnose proposes: a report may set only %s (the roles' other "
                 "variables, their safety switches among them, stay in inventory or -e)" % ", ".join(sorted(REMEDY_VARS)))]
    if not isinstance(check, dict):
        reason = check(value, {})
        return [(None, None, reason)] if reason else []
    if not isinstance(value, list):
        return [(None, None, "is not a list of items")]
    errors = []
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            errors.append((index, None, "is not a mapping"))
            continue
        for required in (REQUIRED[variable],) + ALSO_REQUIRED.get(variable, ()):
            if required not in item:
                errors.append((index, None, "has no %s" % required))
        for key in sorted(item, key=str):
            if key not in check:
                errors.append((index, key, "is not a key diagnose proposes (only %s; others stay in inventory)"
                               % ", ".join(sorted(check))))
                continue
            reason = check[key](item[key], item)
            if reason:
                errors.append((index, key, reason))
    return errors
