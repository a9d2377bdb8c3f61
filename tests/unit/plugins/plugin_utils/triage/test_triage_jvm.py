# -*- coding: utf-8 -*-
"""jvm_heap_unbounded: flags only, never the rest of the command line."""

import pytest

from ansible_collections.headroom.memory.plugins.plugin_utils.triage.engine import context
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.common import merge_thresholds
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.jvm import (
    heap_bounded, jvm_flags, jvm_heap_unbounded)
from ansible_collections.headroom.memory.tests.unit.plugins.plugin_utils.triage.test_triage_facts import (
    healthy, proc)


def run(facts, **overrides):
    thresholds = merge_thresholds(overrides)
    return jvm_heap_unbounded(facts, thresholds, context(facts, thresholds))


def with_java(cmdline, unit="app-java.service", limit=None):
    facts = healthy()
    facts["processes"].insert(0, proc("java", 700, pid=3100, unit=unit, cmdline=cmdline))
    if limit:
        facts["cgroup"]["limited"].append({"cgroup": "/system.slice/" + unit, "unit": unit, "limit_mb": limit, "usage_mb": 700})
    return facts


def test_java_without_xmx_fires_and_shows_flags_only():
    facts = with_java("/usr/bin/java -XX:+UseSerialGC -Dpassword=******** -jar app.jar --token=********")
    [f] = run(facts)
    assert f["id"] == "jvm_heap_unbounded" and f["severity"] == "warning"
    assert "heap flags: -XX:+UseSerialGC" in f["evidence"][0]
    assert "app.jar" not in " ".join(f["evidence"]) and "password" not in " ".join(f["evidence"])
    assert f["remedy"]["role"] == "headroom.memory.heap"
    assert f["remedy"]["vars"] == {"heap_services": [{"unit": "app-java.service", "runtime": "java", "max": "4032M"}]}  # 25% of 16000 MiB, 64M steps


def test_java_in_a_limited_unit_is_sized_from_the_limit():
    [f] = run(with_java("java Main.java", limit=1024))
    assert f["remedy"]["vars"]["heap_services"][0]["max"] == "640M"  # 60% of 1024 in 64M steps


@pytest.mark.parametrize("cmdline", [
    "/usr/bin/java -Xmx512m -jar app.jar",
    "java -XX:MaxRAMPercentage=50 -jar app.jar",
    "java -XX:MaxRAM=2g Main",
    ["java", "-XX:MaxHeapSize=1g", "Main"],
])
def test_java_with_a_heap_cap_is_fine(cmdline):
    assert heap_bounded(cmdline)
    assert run(with_java(cmdline)) == []


def test_flags_after_the_main_class_are_application_arguments():
    assert jvm_flags("java -Xss1m -jar app.jar -Xmx1g") == ["-Xss1m"]
    assert not heap_bounded("java -jar app.jar -Xmx1g")


def test_no_java_or_no_command_line_is_silent():
    assert run(healthy()) == []
    assert run(with_java(None)) == []


def test_a_heap_from_the_jvm_option_variables_is_a_bounded_heap():
    # the heap role's drop-in sets JAVA_TOOL_OPTIONS: once the JVM restarted with it, the finding is gone
    facts = with_java("/usr/bin/java -XX:+UseSerialGC Main.java")
    facts["processes"][0]["java_env_heap"] = ["JAVA_TOOL_OPTIONS=-Xmx512m"]
    assert run(facts) == []
    facts["processes"][0]["java_env_heap"] = []  # started before the drop-in: still unbounded
    [f] = run(facts)
    assert f["id"] == "jvm_heap_unbounded"
