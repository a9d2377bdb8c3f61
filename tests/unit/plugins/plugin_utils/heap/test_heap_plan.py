# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.headroom.memory.plugins.plugin_utils.heap.plan import (
    dropin_body, edit_default_file, flags, java_container_aware, jvm_options_body, parse_java_version, plan,
    refusals, resolve, restart_needed, unit_memory_max)

MIB = 1024 * 1024
GIB = 1024 * MIB
HOST = {"mem_total": 24 * GIB, "cgroup": "v1"}


def unit(memory_max="infinity", memory_limit="infinity", active="active", start=1000.0):
    return {"load_state": "loaded", "active_state": active, "main_pid_start": start,
            "props": {"MemoryMax": memory_max, "MemoryLimit": memory_limit}}


JAVA17 = 'openjdk version "17.0.19" 2026-04-21\nOpenJDK Runtime Environment (build 17.0.19+10-1-deb12u2-Debian)\n'
JAVA8 = 'openjdk version "1.8.0_372"\nOpenJDK Runtime Environment (build 1.8.0_372-b07)\n'


@pytest.mark.parametrize("text,version", [
    (JAVA17, (17, 19)), (JAVA8, (8, 372)), ('java version "1.8.0_181"', (8, 181)),
    ('openjdk version "21" 2023-09-19', (21, 0)), ('openjdk version "11.0.15" 2022-04-19', (11, 15)),
    ("bash: java: command not found", None), ("", None),
])
def test_parse_java_version(text, version):
    assert parse_java_version(text) == version


@pytest.mark.parametrize("version,layout,aware", [
    ((17, 19), "v1", True), ((17, 19), "v2", True), ((8, 191), "v1", True), ((8, 181), "v1", False),
    ((8, 362), "v2", False), ((8, 372), "v2", True), ((11, 15), "v2", False), ((11, 16), "v2", True),
    ((11, 2), "v1", True), ((14, 0), "v2", False), ((15, 0), "v2", True), (None, "v1", False),
    ((17, 0), None, False),
])
def test_java_container_aware(version, layout, aware):
    assert java_container_aware(version, layout) is aware


def test_unit_memory_max_prefers_memory_max_then_limit():
    assert unit_memory_max(unit("536870912")) == 512 * MIB
    assert unit_memory_max(unit("infinity", "268435456")) == 256 * MIB
    assert unit_memory_max(unit()) is None
    assert unit_memory_max(None) is None


def test_percent_of_memory_max():
    resolved, errors = resolve({"unit": "app", "runtime": "java", "percent": 50}, unit("536870912"), 24 * GIB)
    assert errors == []
    assert (resolved["base"], resolved["base_source"], resolved["max_bytes"]) == (512 * MIB, "MemoryMax", 256 * MIB)
    assert resolved["room_bytes"] == 384 * MIB


def test_max_as_size_and_percent_of_ram_without_memory_max():
    resolved = resolve({"unit": "app", "runtime": "node", "max": "96M"}, unit(), 24 * GIB)[0]
    assert (resolved["base_source"], resolved["max_bytes"]) == ("RAM", 96 * MIB)
    resolved = resolve({"unit": "app", "runtime": "java", "max": "25%"}, unit(), 24 * GIB)[0]
    assert resolved["max_bytes"] == 6 * GIB


@pytest.mark.parametrize("item,message", [
    ({"unit": "a", "runtime": "ruby", "max": "1G"}, "runtime 'ruby' is not java or node"),
    ({"unit": "a", "runtime": "java"}, "exactly one of max"),
    ({"unit": "a", "runtime": "java", "max": "1G", "percent": 50}, "exactly one of max"),
    ({"unit": "a", "runtime": "java", "percent": 0}, "percent 0 is not a number above 0"),
    ({"unit": "a", "runtime": "java", "percent": "lots"}, "percent 'lots'"),
    ({"unit": "a", "runtime": "java", "max": "big"}, "max: size 'big' is not understood"),
    ({"unit": "a", "runtime": "node", "max": "1G", "via": "jvm_options", "path": "/x"}, "via 'jvm_options'"),
    ({"unit": "a", "runtime": "node", "max": "1G", "initial": "100M"}, "initial applies to java only"),
    ({"unit": "a", "runtime": "java", "max": "1G", "via": "jvm_options"}, "needs path"),
    ({"unit": "a", "runtime": "java", "max": "1G", "via": "default", "path": "/etc/default/x"}, "needs variable"),
    ({"unit": "a", "runtime": "java", "max": "1G", "xmx": 1}, "unknown field(s) xmx"),
])
def test_resolve_errors(item, message):
    errors = resolve(item, unit(), 24 * GIB)[1]
    assert any(message in e for e in errors), errors


def test_room_rule_with_numbers():
    resolved = resolve({"unit": "app", "runtime": "java", "max": "400M"}, unit("536870912"), 24 * GIB)[0]
    msg = refusals(resolved)[0]
    assert "heap 400 MiB is above 75% of the unit's MemoryMax 512 MiB (384 MiB)" in msg
    resolved = resolve({"unit": "app", "runtime": "java", "max": "384M"}, unit("536870912"), 24 * GIB)[0]
    assert refusals(resolved) == []
    resolved = resolve({"unit": "app", "runtime": "node", "percent": 80}, unit(), 24 * GIB)[0]
    assert "above 75% of the unit's host RAM 24576 MiB (18432 MiB)" in refusals(resolved)[0]


def test_initial_above_max_and_tiny_heap():
    resolved = resolve({"unit": "a", "runtime": "java", "max": "100M", "initial": "200M"}, unit(), 24 * GIB)[0]
    assert "initial heap 200 MiB is above the max heap 100 MiB" in refusals(resolved)[0]
    resolved = resolve({"unit": "a", "runtime": "java", "max": "1M"}, unit(), 24 * GIB)[0]
    assert "below 2 MiB" in refusals(resolved)[0]


def test_flags():
    java = resolve({"unit": "a", "runtime": "java", "max": "200M", "initial": "64M"}, unit(), 24 * GIB)[0]
    assert flags(java) == ["-Xms64m", "-Xmx200m"]
    pct = resolve({"unit": "a", "runtime": "java", "percent": 50, "initial": "128M"}, unit("536870912"), GIB)[0]
    assert flags(pct, use_ram_percentage=True) == ["-XX:MaxRAMPercentage=50.0", "-XX:InitialRAMPercentage=25.0"]
    assert flags(pct) == ["-Xms128m", "-Xmx256m"]
    node = resolve({"unit": "a", "runtime": "node", "max": "1.5G"}, unit(), 24 * GIB)[0]
    assert flags(node) == ["--max-old-space-size=1536"]


def test_bodies():
    assert dropin_body("java", ["-Xmx200m"]) == '[Service]\nEnvironment="JAVA_TOOL_OPTIONS=-Xmx200m"\n'
    assert dropin_body("node", ["--max-old-space-size=96"]) == \
        '[Service]\nEnvironment="NODE_OPTIONS=--max-old-space-size=96"\n'
    assert jvm_options_body(["-Xms1g", "-Xmx1g"]) == "-Xms1g\n-Xmx1g\n"


def test_edit_default_replaces_heap_flags_and_keeps_the_rest():
    text = '# tomcat\nJAVA_OPTS="-Djava.awt.headless=true -Xmx1g -XX:+UseG1GC"\nOTHER=1\n'
    new = edit_default_file(text, "JAVA_OPTS", ["-Xms64m", "-Xmx256m"])
    assert new == ('# tomcat\n# heap flags: Managed by headroom.memory.heap\n'
                   'JAVA_OPTS="-Djava.awt.headless=true -XX:+UseG1GC -Xms64m -Xmx256m"\nOTHER=1\n')
    # idempotent: a second edit changes nothing
    assert edit_default_file(new, "JAVA_OPTS", ["-Xms64m", "-Xmx256m"]) == new


def test_edit_default_appends_missing_variable_and_handles_export():
    assert edit_default_file("A=1\n", "ES_JAVA_OPTS", ["-Xmx1g"]) == \
        'A=1\n\n# heap flags: Managed by headroom.memory.heap\nES_JAVA_OPTS="-Xmx1g"\n'
    assert edit_default_file("", "X", ["-Xmx1g"]) == '# heap flags: Managed by headroom.memory.heap\nX="-Xmx1g"\n'
    assert edit_default_file("export JAVA_OPTS='-Xmx2g -Dx=1'\n", "JAVA_OPTS", ["-Xmx1g"]).endswith(
        'export JAVA_OPTS="-Dx=1 -Xmx1g"\n')


def test_restart_needed():
    assert restart_needed(unit(start=1000.0), [1001.0]) is True
    assert restart_needed(unit(start=1000.0), [999.0]) is False
    assert restart_needed(unit(start=1000.0), [None]) is False
    assert restart_needed(unit(active="inactive"), [2000.0]) is False


def test_plan_java_percent_uses_ram_percentage_when_container_aware():
    infos = {"es.service": unit("536870912")}
    items = [{"unit": "es", "runtime": "java", "percent": 50}]
    result = plan(items, infos, HOST, {"es.service": JAVA17})
    assert result["refusals"] == []
    es = result["units"][0]
    assert es["flags"] == ["-XX:MaxRAMPercentage=50.0"]
    assert es["path"] == "/etc/systemd/system/es.service.d/50-headroom-heap.conf"
    assert "is container-aware" in es["notes"][0]
    old = plan(items, infos, dict(HOST, cgroup="v2"), {"es.service": JAVA8.replace("372", "362")})["units"][0]
    assert old["flags"] == ["-Xmx256m"] and "is not container-aware" in old["notes"][0]


def test_plan_vias_and_refusals():
    infos = {"es.service": unit("1073741824"), "tomcat.service": unit(), "web.service": unit()}
    items = [
        {"unit": "es", "runtime": "java", "max": "512M", "via": "jvm_options", "path": "/etc/es/jvm.options.d/"},
        {"unit": "tomcat", "runtime": "java", "max": "1G", "via": "default", "path": "/etc/default/tomcat10",
         "variable": "JAVA_OPTS"},
        {"unit": "web", "runtime": "node", "max": "20G"},
        {"unit": "ghost", "runtime": "node", "max": "1G"},
        {"unit": "es", "runtime": "java", "max": "1G"},
    ]
    result = plan(items, infos, HOST, {})
    by_unit = dict((u["unit"], u) for u in result["units"])
    assert by_unit["es.service"]["path"] == "/etc/es/jvm.options.d/50-headroom-heap.options"
    assert by_unit["es.service"]["body"] == "-Xmx512m\n"
    assert by_unit["tomcat.service"]["path"] == "/etc/default/tomcat10"
    assert by_unit["tomcat.service"]["variable"] == "JAVA_OPTS"
    assert any("web.service: heap 20480 MiB is above 75%" in r for r in result["refusals"])
    assert any("ghost.service does not exist" in r for r in result["refusals"])
    assert any("es.service is listed twice" in r for r in result["refusals"])
