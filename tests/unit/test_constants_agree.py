# -*- coding: utf-8 -*-
"""Where a role's argument spec or a plugin's documentation must repeat a Python constant, they agree.

Each rule is defined once in Python; ansible-doc and the roles' argument specs are YAML and cannot import
it, so these tests are what keeps the copies from drifting.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

import pytest
import yaml

from ansible_collections.headroom.memory.plugins.module_utils.oom.options import (
    MAX_EVENTS_DEFAULT, MAX_EVENTS_LIMIT, SOURCE_CHOICES)
from ansible_collections.headroom.memory.plugins.module_utils.swap.size import POLICIES
from ansible_collections.headroom.memory.plugins.modules import memory_facts, swapfile
from ansible_collections.headroom.memory.plugins.plugin_utils.heap.plan import RUNTIMES, VIAS
from ansible_collections.headroom.memory.plugins.plugin_utils.service_limits.plan import (
    OOM_POLICIES, RESTART_EVERY_MAX_S, RESTART_EVERY_MIN_S, RESTART_EVERY_SPREAD_PCT, RESTART_POLICIES, RESTARTS_ON_TIMEOUT)
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.common import DEFAULT_THRESHOLDS
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.leak import (
    SCHEDULED_RESTART_CRON, SCHEDULED_RESTART_PERIOD)
from ansible_collections.headroom.memory.plugins.module_utils.node.pm2 import ECOSYSTEM_FILES as PM2_ECOSYSTEM_FILES
from ansible_collections.headroom.memory.plugins.plugin_utils.pm2.role import PATH_RE as PM2_PATH_RE

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


def load(*parts):
    with open(os.path.join(ROOT, *parts)) as f:
        return yaml.safe_load(f)


def role_option(role, *path):
    node = load("roles", role, "meta", "argument_specs.yml")["argument_specs"]["main"]
    for i, name in enumerate(path):
        node = node["options"][name] if i == 0 else node["options"][name]
    return node


@pytest.mark.parametrize("documented, constant", [
    (lambda: role_option("swap", "swap_size_policy")["choices"], POLICIES),
    (lambda: yaml.safe_load(swapfile.DOCUMENTATION)["options"]["size_policy"]["choices"], POLICIES),
    (lambda: yaml.safe_load(memory_facts.DOCUMENTATION)["options"]["oom_sources"]["choices"], SOURCE_CHOICES),
    (lambda: role_option("service_limits", "service_limits_units", "oom_policy")["choices"], OOM_POLICIES),
    (lambda: role_option("service_limits", "service_limits_units", "restart")["choices"], RESTART_POLICIES),
    (lambda: role_option("heap", "heap_services", "runtime")["choices"], RUNTIMES),
    (lambda: role_option("heap", "heap_services", "via")["choices"], VIAS["java"]),
], ids=["swap role policy", "swapfile policy", "memory_facts oom_sources", "service_limits oom_policy",
        "service_limits restart", "heap runtime", "heap via"])
def test_choices_match_the_python_constant(documented, constant):
    assert list(documented()) == list(constant)


def test_memory_facts_documents_the_oom_max_events_default_and_limit():
    option = yaml.safe_load(memory_facts.DOCUMENTATION)["options"]["oom_max_events"]
    assert option["default"] == MAX_EVENTS_DEFAULT
    assert "from 1 to %d" % MAX_EVENTS_LIMIT in " ".join(option["description"])


def test_node_takes_a_subset_of_the_java_vias():
    assert set(VIAS["node"]) <= set(VIAS["java"]) and set(VIAS) == set(RUNTIMES)


def test_triage_filter_documents_every_threshold_default():
    doc = load("plugins", "filter", "triage.yml")["DOCUMENTATION"]["options"]["thresholds"]["description"]
    text = " ".join(doc)
    documented = dict((key, yaml.safe_load(value.rstrip(".")))
                      for key, value in re.findall(r"C\((\w+)\)=(\[[^\]]*\]|[^\s,;]+)", text))
    mentioned = set(re.findall(r"C\((\w+)\)", text))
    assert mentioned >= set(DEFAULT_THRESHOLDS), "thresholds the filter's documentation leaves out"
    assert set(documented) <= set(DEFAULT_THRESHOLDS), "documented thresholds the code does not know"
    for key, value in documented.items():
        assert value == DEFAULT_THRESHOLDS[key], key


def test_the_workers_role_keeps_counts_within_the_tolerance_triage_judges_by():
    """diagnose's workers_oversubscribed clears exactly when the workers role would keep the count."""
    from ansible_collections.headroom.memory.plugins.plugin_utils.workers.pools import TOLERANCE_PCT
    assert load("roles", "workers", "defaults", "main.yml")["workers_tolerance_pct"] == TOLERANCE_PCT
    assert role_option("workers", "workers_tolerance_pct")["default"] == TOLERANCE_PCT


def test_the_workers_roles_max_is_the_plans_default():
    """triage offers counts under the same cap the role sizes with when a pool gives none."""
    from ansible_collections.headroom.memory.plugins.plugin_utils.workers.plan import DEFAULT_MAX
    assert load("roles", "workers", "defaults", "main.yml")["workers_max"] == DEFAULT_MAX


def test_triage_offers_no_fewer_workers_than_the_role_sets():
    """a count triage offers is one the role accepts with its default workers_min."""
    from ansible_collections.headroom.memory.plugins.plugin_utils.workers.plan import ROLE_MIN
    assert load("roles", "workers", "defaults", "main.yml")["workers_min"] == ROLE_MIN


def test_triage_filter_documents_every_rule_and_the_sizing_verdicts_minimums():
    """every rule id is named in the triage filter's docs, and the sizing verdict's minimums are the code's."""
    from ansible_collections.headroom.memory.plugins.plugin_utils.database.sizing import MIN_SHARE_MB, WORK_MEM_FACTOR
    from ansible_collections.headroom.memory.plugins.plugin_utils.triage.engine import RULE_IDS
    from ansible_collections.headroom.memory.plugins.plugin_utils.triage.sizing import FEW_CONNECTIONS, database_floor_mb
    from ansible_collections.headroom.memory.plugins.plugin_utils.workers.plan import ROLE_MIN
    text = " ".join(load("plugins", "filter", "triage.yml")["DOCUMENTATION"]["description"])
    assert set(RULE_IDS) <= set(re.findall(r"C\((\w+)\)", text))
    assert "PostgreSQL shared_buffers 128 MiB + %d connections x work_mem 4 MiB x %d;" % (
        FEW_CONNECTIONS, WORK_MEM_FACTOR) in text
    assert database_floor_mb("postgresql", 0)[0] == 128 + FEW_CONNECTIONS * 4 * WORK_MEM_FACTOR
    assert "and %d connections;" % FEW_CONNECTIONS in text and "MongoDB %d MiB)" % MIN_SHARE_MB["mongodb"] in text
    assert "(%d workers, the workers role's minimum," % ROLE_MIN in text


def test_restart_every_documents_its_range_spread_restart_policies_and_diagnose_period():
    text = " ".join(role_option("service_limits", "service_limits_units", "restart_every")["description"])
    assert "from %d seconds to %d days" % (RESTART_EVERY_MIN_S, RESTART_EVERY_MAX_S // 86400) in text
    assert "%d %% of the period" % RESTART_EVERY_SPREAD_PCT in text
    assert "C(%s), C(%s) or C(%s)" % RESTARTS_ON_TIMEOUT in text
    diagnose = " ".join(role_option("diagnose", "diagnose_scheduled_restart_units")["description"])
    assert "C(restart_every) C(%s)" % SCHEDULED_RESTART_PERIOD in diagnose


def test_the_pm2_roles_ecosystem_names_and_path_rule_are_the_pythons():
    role_vars = load("roles", "pm2", "vars", "main.yml")
    assert tuple(role_vars["__pm2_ecosystem_names"]) == PM2_ECOSYSTEM_FILES
    assert re.compile(role_vars["__pm2_path_re"]).pattern.rstrip("$") == PM2_PATH_RE.pattern[:-len("\\Z")]
    described = " ".join(load("roles", "pm2", "meta", "argument_specs.yml")["argument_specs"]["main"]["description"])
    for name in PM2_ECOSYSTEM_FILES:
        assert "C(%s)" % name in described


def test_diagnose_documents_the_pm2_scheduled_restart_it_proposes():
    text = " ".join(role_option("diagnose", "diagnose_scheduled_restart_pm2_apps")["description"])
    assert "C(cron_restart) C(%s)" % SCHEDULED_RESTART_CRON in text
    readme = open(os.path.join(ROOT, "roles", "diagnose", "README.md")).read()
    assert "`cron_restart: '%s'`" % SCHEDULED_RESTART_CRON in readme
