# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""remediate accepts from a report only what diagnose proposes (issue #31, finding 2): the allow-list of
triage.remedy_vars, per variable, item key and value shape; never a role's safety opt-out."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.headroom.memory.plugins.plugin_utils.remediate.plan import RemediateError, roles_for
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.engine import triage_fleet
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.gate import gate, margin_mb, recheck
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.remedy_vars import REMEDY_VARS, remedy_errors
from ansible_collections.headroom.memory.tests.unit.plugins.plugin_utils.triage.test_triage import sick
from ansible_collections.headroom.memory.tests.unit.plugins.plugin_utils.triage.test_triage_gate import host

FILE = "remedy-vars/web1.yml"

GOOD = {
    "swap_files": [{"path": "/swapfile", "size": "2G"}],
    "swap_swappiness": 10,
    "service_limits_units": [{"unit": "app.service", "memory_high": "900M", "memory_max": "1G", "memory_swap_max": "0",
                              "oom_score_adjust": -900, "restart": "on-failure", "restart_every": "1d"}],
    "heap_services": [{"unit": "app.service", "runtime": "java", "max": "512M"}],
    "database_instances": [{"engine": "redis", "name": "redis", "memory": "256M", "config_file": "/etc/redis/redis.conf"},
                           {"engine": "postgresql", "name": "postgresql-15-main", "cluster": "15/main", "memory": "1024M",
                            "connections": 100},
                           {"engine": "mongodb", "name": "mongodb", "memory": "512M", "config_file": "/etc/mongod.conf"},
                           {"engine": "mariadb", "name": "mariadb", "memory": "512M",
                            "config_file": "/etc/mysql/mariadb.conf.d/60-headroom.cnf"}],
    "workers_pools": [{"kind": "php_fpm", "config": "/etc/php/8.2/fpm/pool.d/www.conf"},
                      {"kind": "gunicorn", "unit": "app.service", "per_worker": 120}, {"kind": "apache_prefork"}],
}


def refusal(doc):
    with pytest.raises(RemediateError) as exc:
        roles_for(doc, FILE)
    text = str(exc.value)
    assert text.startswith(FILE + ": ") and text.endswith("refused. Nothing was changed.")
    return text


def test_everything_diagnose_proposes_passes():
    got = roles_for(GOOD, FILE)
    assert [r["role"] for r in got] == ["swap", "service_limits", "heap", "database", "workers"]
    assert sum(len(r["vars"]) for r in got) == len(GOOD)


def test_what_diagnose_writes_for_a_sick_fleet_is_all_in_the_allow_list():
    report = triage_fleet([{"host": "h", "facts": sick(), "result": {}}])
    host = report["hosts"][0]
    assert host["remedy_vars"], "the fixture proposes remedies"
    assert not [w for w in host["withheld"] if "not offered to remediate" in w["reason"]]
    roles_for(host["remedy_vars"], FILE)


@pytest.mark.parametrize("variable, value", [
    ("service_limits_allow_unkillable", True), ("service_limits_margin", "0"), ("service_limits_margin", 0),
    ("service_limits_allow_missing_units", True), ("service_limits_clear_runtime_overrides", True),
    ("service_limits_restart", True), ("database_backup", False), ("database_redis_password", "x"),
    ("database_reserve_mb", 0), ("swap_sysctl_override", True), ("swap_in_containers", "apply"),
    ("swap_fstab_backup", False), ("swap_min_free_disk", "0"), ("heap_restart", True), ("workers_min", 1),
    ("workers_restart", True), ("workers_reserve_mb", 0), ("workers_tolerance_pct", 100)])
def test_a_safety_opt_out_or_any_other_role_variable_is_refused(variable, value):
    text = refusal({"swap_swappiness": 10, variable: value})
    assert "%s is not a variable diagnose proposes" % variable in text


@pytest.mark.parametrize("variable, item, key, shown", [
    ("service_limits_units", {"unit": "a.service", "force": True}, "force", "True"),
    ("service_limits_units", {"unit": "a.service", "oom_score_adjust": -1000}, "oom_score_adjust", "-1000"),
    ("service_limits_units", {"unit": "a.service", "state": "absent"}, "state", "'absent'"),
    ("service_limits_units", {"unit": "a.service", "memory_max": "lots"}, "memory_max", "'lots'"),
    ("service_limits_units", {"unit": "a.service", "memory_max": True}, "memory_max", "True"),
    ("service_limits_units", {"unit": "a.service", "restart": "always"}, "restart", "'always'"),
    ("service_limits_units", {"unit": "a.service", "restart_every": "15s"}, "restart_every", "'15s'"),
    ("service_limits_units", {"unit": "a.service", "restart_every": 86400}, "restart_every", "86400"),
    ("service_limits_units", {"unit": "a.service", "restart_every": "1d\nExecStart=/x"}, "restart_every",
     "'1d\\nExecStart=/x'"),
    ("service_limits_units", {"unit": "a.service", "restart_every": "400d"}, "restart_every", "'400d'"),
    ("service_limits_units", {"unit": "../x.service"}, "unit", "'../x.service'"),
    ("service_limits_units", {"unit": "a.service\n"}, "unit", "'a.service\\n'"),
    ("heap_services", {"unit": "a.service", "max": "1G", "path": "/etc/default/a"}, "path", "'/etc/default/a'"),
    ("heap_services", {"unit": "a.service", "runtime": "python"}, "runtime", "'python'"),  # node: a node service's heap
    ("swap_files", {"path": "/etc/passwd", "size": "1G"}, "path", "'/etc/passwd'"),
    ("swap_files", {"path": "/swapfile", "state": "absent"}, "state", "'absent'"),
    ("swap_files", {"path": "/swap/../etc/shadow"}, "path", "'/swap/../etc/shadow'"),
    ("database_instances", {"engine": "redis", "name": "redis", "config_file": "/etc/group"}, "config_file", "'/etc/group'"),
    ("database_instances", {"engine": "redis", "config_file": "/etc/redis/../group.conf"}, "config_file",
     "'/etc/redis/../group.conf'"),
    ("database_instances", {"engine": "mongodb", "config_file": "/etc/mongod.conf.d/x.conf"}, "config_file",
     "'/etc/mongod.conf.d/x.conf'"),
    ("database_instances", {"engine": "mariadb", "config_file": "/etc/redis/redis.conf"}, "config_file",
     "'/etc/redis/redis.conf'"),
    ("database_instances", {"engine": "redis", "restart": True}, "restart", "True"),
    ("database_instances", {"engine": "redis", "unit": "sshd.service"}, "unit", "'sshd.service'"),
    ("database_instances", {"engine": "redis", "port": 22}, "port", "22"),
    ("database_instances", {"engine": "oracle"}, "engine", "'oracle'"),
    ("workers_pools", {"kind": "php_fpm", "config": "/etc/passwd"}, "config", "'/etc/passwd'"),
    ("workers_pools", {"kind": "gunicorn", "config": "/etc/php/8.2/fpm/pool.d/www.conf"}, "config",
     "'/etc/php/8.2/fpm/pool.d/www.conf'"),
    ("workers_pools", {"kind": "apache_prefork", "reload": False}, "reload", "False"),
    ("workers_pools", {"kind": "gunicorn", "unit": "a.service", "min": 1}, "min", "1"),
])
def test_each_refused_item_key_or_value_is_named_with_its_value(variable, item, key, shown):
    text = refusal({variable: [item]})
    assert "%s[0].%s %s " % (variable, key, shown) in text


def test_the_etc_group_case_of_the_issue_is_refused_before_the_database_role_sees_it():
    doc = {"database_instances": [{"engine": "redis", "name": "redis", "memory": "64M", "config_file": "/etc/group"}]}
    text = refusal(doc)
    assert "database_instances[0].config_file '/etc/group' is not in the redis configuration layout" in text


@pytest.mark.parametrize("doc, where", [
    ({"swap_swappiness": 101}, "swap_swappiness is not a whole number from 0 to 100"),
    ({"swap_swappiness": True}, "swap_swappiness is not a whole number"),
    ({"swap_files": {"path": "/swapfile"}}, "swap_files is not a list of items"),
    ({"swap_files": ["/swapfile"]}, "swap_files[0] is not a mapping"),
    ({"service_limits_units": [{"memory_max": "1G"}]}, "service_limits_units[0] has no unit"),
    ({"workers_pools": [{"unit": "a.service"}]}, "workers_pools[0] has no kind"),
])
def test_shapes_that_are_not_items_or_values_are_refused(doc, where):
    assert where in refusal(doc)


def test_a_long_or_control_character_value_is_cut_and_escaped_in_the_refusal():
    text = refusal({"swap_files": [{"path": "/x\x1b[31m" + "y" * 300}]})
    assert "\x1b" not in text and "y" * 100 not in text


def test_every_problem_of_the_file_is_named_at_once():
    text = refusal({"service_limits_units": [{"unit": "a.service", "force": True, "memory_max": "x"}]})
    assert "service_limits_units[0].force True" in text and "service_limits_units[0].memory_max 'x'" in text


def test_the_gate_withholds_what_remediate_would_refuse_so_diagnose_never_writes_it():
    findings = [{"id": "bad", "remedy": {"vars": {"service_limits_allow_unkillable": True,
                                                  "database_instances": [{"engine": "redis", "name": "r",
                                                                          "config_file": "/etc/group"}],
                                                  "swap_swappiness": 10}}}]
    got = gate({}, findings)
    assert got["vars"] == {"swap_swappiness": 10}
    reasons = sorted((w["variable"], w["item"], w["setting"]) for w in got["withheld"])
    assert reasons == [("database_instances", "r", "config_file"), ("service_limits_allow_unkillable", None, None)]
    assert all(w["reason"].startswith("not offered to remediate: ") and w["findings"] == ["bad"] for w in got["withheld"])


def test_every_list_variable_names_its_required_key_and_plain_variables_take_a_value():
    for variable, check in REMEDY_VARS.items():
        if isinstance(check, dict):
            assert remedy_errors(variable, []) == []
        else:
            assert remedy_errors(variable, GOOD[variable]) == []


# --- the remedy gate again, against the host as remediate reads it now (#31 finding 4) -------------------------

def limits(**item):
    return {"service_limits_units": [dict(item, unit="app.service")]}


def test_a_size_the_gate_would_withhold_now_is_refused_naming_host_variable_and_value():
    facts = host(unit_use=600)
    low = "%dM" % (600 + margin_mb(600) - 1)
    with pytest.raises(RemediateError) as exc:
        roles_for(limits(memory_max=low), FILE, facts, "web1")
    text = str(exc.value)
    assert text.startswith(FILE + ": web1: the remedy gate withholds it on the host as it is now: ")
    assert "service_limits_units app.service memory_max '%s': MemoryMax %s MiB is below what app.service holds now" % (
        low, low[:-1]) in text
    assert text.endswith("Nothing was changed; diagnose again")


@pytest.mark.parametrize("doc, setting", [
    (limits(memory_max="2G"), "memory_max"),  # above the 1 GiB container: could never fire
    (limits(memory_high="500M"), "memory_high"),  # below the 600 MiB it holds, no MemoryMax
    (limits(memory_high="900M", memory_max="800M"), "memory_high"),  # above the MemoryMax offered
    ({"heap_services": [{"unit": "app.service", "runtime": "java", "max": "900M"}]}, "max"),  # > 75 % of 1 GiB
    (dict(limits(memory_max="800M"), heap_services=[{"unit": "app.service", "max": "700M"}]), "max"),  # > 75 % of 800M
])
def test_remediate_refuses_what_the_gate_itself_withholds(doc, setting):
    facts = host(unit_use=600)
    findings = [{"id": "f", "remedy": {"vars": doc}}]
    assert [w["setting"] for w in gate(facts, findings)["withheld"]] == [setting]
    assert [w["setting"] for w in recheck(facts, doc)] == [setting]
    with pytest.raises(RemediateError, match="withholds it on the host as it is now"):
        roles_for(doc, FILE, facts, "web1")


def test_sizes_that_still_pass_are_applied_and_no_facts_means_no_recheck():
    facts = host(unit_use=600)
    doc = dict(limits(memory_high="640M", memory_max="800M"), heap_services=[{"unit": "app.service", "max": "512M"}])
    assert recheck(facts, doc) == []
    assert [r["role"] for r in roles_for(doc, FILE, facts, "web1")] == ["service_limits", "heap"]
    assert roles_for(limits(memory_max="2G"), FILE)  # the allow-list alone: the shape is fine


def test_a_memory_high_a_leak_outgrew_since_the_report_passes_under_a_memory_max_that_still_passes():
    facts = host(unit_use=600)
    assert recheck(facts, limits(memory_high="580M", memory_max="800M")) == []
    assert [w["setting"] for w in recheck(facts, limits(memory_high="580M"))] == ["memory_high"]
    assert [w["setting"] for w in recheck(facts, limits(memory_high="500M", memory_max="610M"))] == [
        "memory_max", "memory_high"]


def test_unit_names_are_checked_by_the_one_systemd_rule():
    escaped = "systemd-fsck@dev-disk-by\\x2duuid-1.service"
    assert remedy_errors("service_limits_units", [{"unit": escaped, "memory_max": "1G"}]) == []
    assert remedy_errors("heap_services", [{"unit": "app.scope", "max": "1G"}]) == [(0, "unit", "is not a systemd service name")]
    assert remedy_errors("heap_services", [{"unit": "a b.service", "max": "1G"}]) == [(0, "unit", "is not a systemd service name")]


def test_restart_every_from_a_report_is_hours_or_days_never_seconds():
    assert remedy_errors("service_limits_units", [{"unit": "a.service", "restart_every": "12h"}]) == []
    [(index, key, reason)] = remedy_errors("service_limits_units", [{"unit": "a.service", "restart_every": "30min"}])
    assert (index, key) == (0, "restart_every") and "under an hour" in reason
