# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 11: nothing a variable holds reaches a system file or path unchecked.

Unit names against systemd's rules (man systemd.unit, src/basic/unit-name.c: characters
[A-Za-z0-9:_.\\-], one '@' between prefix and instance, a known type suffix, at most 255 characters),
validated by ONE function (systemd_units.unit_name_error) that service_limits and heap both use; heap's
shell variable and paths; swapfile's fstab options; every input of service_limits/heap checked by the
roles' preflight filters before the first host query."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
import yaml

from ansible.errors import AnsibleFilterError
from ansible_collections.headroom.memory.plugins.filter.heap_plan import FilterModule as HeapFilters
from ansible_collections.headroom.memory.plugins.filter.service_limits_plan import FilterModule as LimitFilters
from ansible_collections.headroom.memory.plugins.plugin_utils.heap import plan as heap
from ansible_collections.headroom.memory.plugins.plugin_utils.service_limits import plan as service_limits
from ansible_collections.headroom.memory.plugins.module_utils.swap.fstab import check_options
from ansible_collections.headroom.memory.plugins.module_utils.systemd.unit_names import unit_name_error

ROOT = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..')
MIB = 1024 * 1024
HOST = {"cgroup": "v2", "systemd_version": 257, "mem_total": 8192 * MIB, "swap_total": 0}


@pytest.mark.parametrize("name", [
    "foo.service", "foo-bar_baz:1.service", "a.b.c.slice", "getty@tty1.service", "getty@.service",
    "system-getty.slice", "dev-sda1.swap", "var-lib\\x2ddocker.mount", "x@a@b.service",
    "x" * 247 + ".service", "user-1000.slice", "docker-0123abcd.scope",
])
def test_valid_unit_names(name):
    assert unit_name_error(name) is None


@pytest.mark.parametrize("name, why", [
    ("../../etc/cron.d/x.service", "character"), ("a/b.service", "character"), ("foo bar.service", "character"),
    ("foo\n.service", "character"), ("foo$(id).service", "character"), ("x" * 248 + ".service", "255"),
    (".service", "empty"), ("@foo.service", "empty"), ("foo", "suffix"), ("foo.conf", "suffix"), ("", "empty"),
    ("foo.d/x.service", "character"), ("foo\x00.service", "character"),
])
def test_invalid_unit_names_say_why(name, why):
    error = unit_name_error(name)
    assert error and why in error and repr(name)[:20] in error or (error and why in error)


def test_service_limits_and_heap_refuse_a_unit_that_would_leave_etc_systemd_system():
    for module, item in ((service_limits, {"unit": "../../etc/cron.d/evil", "memory_max": "1G"}),
                         (heap, {"unit": "../../etc/cron.d/evil", "runtime": "java", "max": "1G"})):
        if module is heap:
            plan = heap.plan([item], {}, HOST)
        else:
            plan = service_limits.plan([item], {}, HOST, {"margin": 64 * MIB})
        assert plan["units"] == [] or all(u["unit"] != "../../etc/cron.d/evil.service" for u in plan["units"])
        assert any("../../etc/cron.d/evil" in r and "character" in r for r in plan["refusals"]), plan["refusals"]


@pytest.mark.parametrize("item, why", [
    ({"unit": "t", "runtime": "java", "max": "1G", "via": "default", "path": "/etc/default/t",
      "variable": "JAVA_OPTS=x; touch /tmp/pwned #"}, "shell variable name"),
    ({"unit": "t", "runtime": "java", "max": "1G", "via": "default", "path": "/etc/default/t", "variable": "1X"},
     "shell variable name"),
    ({"unit": "t", "runtime": "java", "max": "1G", "via": "jvm_options", "path": "etc/es/jvm.options.d"}, "absolute"),
    ({"unit": "t", "runtime": "java", "max": "1G", "via": "jvm_options", "path": "/etc/es/../../tmp"}, ".."),
    ({"unit": "t", "runtime": "java", "max": "1G", "via": "default", "path": "default/t", "variable": "J"}, "absolute"),
    ({"unit": "t", "runtime": "java", "max": "1G", "via": "default", "path": "/tmp/t", "variable": "J"},
     "/etc/default"),
    ({"unit": "t", "runtime": "java", "max": "1G", "via": "default", "path": "/etc/default/../cron.d/x",
      "variable": "J"}, ".."),
    ({"unit": "t", "runtime": "java", "max": "1G", "via": "jvm_options", "path": "/etc/es/jvm\n.options.d"},
     "control"),
])
def test_heap_refuses_bad_variables_and_paths(item, why):
    errors = HeapFilters().filters()["heap_preflight"]([item])
    assert any(why in e for e in errors), errors
    plan = heap.plan([item], {"t.service": {"load_state": "loaded"}}, HOST)
    assert plan["units"] == [] and any(why in r for r in plan["refusals"])


def test_heap_accepts_the_documented_forms():
    items = [{"unit": "es", "runtime": "java", "max": "1G", "via": "jvm_options", "path": "/etc/es/jvm.options.d/"},
             {"unit": "tc", "runtime": "java", "max": "1G", "via": "default", "path": "/etc/default/tomcat10",
              "variable": "JAVA_OPTS"},
             {"unit": "rh", "runtime": "java", "max": "1G", "via": "default", "path": "/etc/sysconfig/x",
              "variable": "_X1"},
             {"unit": "n", "runtime": "node", "max": "1G"}]
    assert HeapFilters().filters()["heap_preflight"](items) == []


def test_default_file_values_are_quoted_or_refused():
    out = heap.edit_default_file('JAVA_OPTS="-Dx=1 $EXTRA -Xmx1g"\n', "JAVA_OPTS", ["-Xmx2g"])
    assert 'JAVA_OPTS="-Dx=1 $EXTRA -Xmx2g"' in out
    for bad in ('JAVA_OPTS="-Dx=`id`"\n', 'JAVA_OPTS="-Dx=\\"a\\""\n', "JAVA_OPTS='-Dx=$HOME'\n"):
        with pytest.raises(ValueError, match="JAVA_OPTS"):
            heap.edit_default_file(bad, "JAVA_OPTS", ["-Xmx2g"])
    with pytest.raises(ValueError, match="shell variable name"):
        heap.edit_default_file("", "X=1; id", ["-Xmx2g"])
    with pytest.raises(AnsibleFilterError, match="JAVA_OPTS"):
        HeapFilters().filters()["heap_edit_default"]('JAVA_OPTS="`id`"\n', "JAVA_OPTS", ["-Xmx2g"])


@pytest.mark.parametrize("options", ["sw,nofail\n/dev/sda1 / ext4 defaults 0 0", "sw, nofail", "sw\tnofail",
                                     "sw,nofail #", "", "sw,,", "sw\x00"])
def test_fstab_options_with_whitespace_or_junk_are_refused(options):
    with pytest.raises(ValueError, match="fstab_options"):
        check_options(options)


def test_fstab_options_that_are_fine():
    for options in ("sw", "sw,nofail", "defaults,pri=5", "sw,x-systemd.device-timeout=10s"):
        assert check_options(options) == options


# preflight: every input before the first host query ----------------------------------------------------------

def test_service_limits_preflight_names_the_bad_size():
    errors = LimitFilters().filters()["service_limits_preflight"]([{"unit": "app", "memory_max": "12Q"}])
    assert len(errors) == 1 and "memory_max" in errors[0] and "12Q" in errors[0] and "app.service" in errors[0]


@pytest.mark.parametrize("items, margin, why", [
    ("app", "64M", "must be a list"),
    ([{"memory_max": "1G"}], "64M", "has no unit"),
    ([{"unit": "a/b", "memory_max": "1G"}], "64M", "character"),
    ([{"unit": "app", "memory_max": "1G"}], "lots", "service_limits_margin"),
    ([{"unit": "app", "memroy_max": "1G"}], "64M", "unknown field"),
    ([{"unit": "app", "oom_policy": "explode"}], "64M", "oom_policy"),
])
def test_service_limits_preflight_refuses(items, margin, why):
    errors = LimitFilters().filters()["service_limits_preflight"](items, margin=margin)
    assert any(why in e for e in errors), errors


def test_service_limits_preflight_accepts_percentages_and_good_items():
    items = [{"unit": "app", "memory_max": "50%", "memory_high": "1G", "oom_score_adjust": 300},
             {"unit": "batch.slice", "memory_max": "infinity"}]
    assert LimitFilters().filters()["service_limits_preflight"](items) == []


def _role_tasks(role, name):
    """The role's tasks in run order, with static import_tasks files expanded in place."""
    with open(os.path.join(ROOT, "roles", role, "tasks", name)) as f:
        tasks = yaml.safe_load(f)
    out = []
    for task in tasks:
        if "ansible.builtin.import_tasks" in task:
            out.extend(_role_tasks(role, task["ansible.builtin.import_tasks"]))
        elif "block" in task:
            out.extend(task["block"])
        else:
            out.append(task)
    return out


@pytest.mark.parametrize("role, filt, query", [
    ("service_limits", "service_limits_preflight", "unit_memory_info"),
    ("heap", "heap_preflight", "unit_memory_info"),
])
def test_role_validates_with_its_preflight_filter_before_the_first_host_query(role, filt, query):
    text = [yaml.safe_dump(t) for t in _role_tasks(role, "main.yml")]
    check = next(i for i, t in enumerate(text) if filt in t)
    first_query = next(i for i, t in enumerate(text) if query in t or "ansible.builtin.command" in t)
    assert check < first_query
    assert "ansible.builtin.assert" in text[check] or "ansible.builtin.fail" in text[check]
