# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""heap and service_limits plans at their edges (found by mutation testing, tests/MUTATION.md): the preflights'
messages, the /etc/default editor's refusals and layout, the RAM-percentage flags' printing, and what a restart
or a live push is owed."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.headroom.memory.plugins.plugin_utils.heap import plan as heap
from ansible_collections.headroom.memory.plugins.plugin_utils.service_limits import plan as limits

MIB = 1024 * 1024
GIB = 1024 * MIB
MARKER = "# heap flags: Managed by headroom.memory.heap"


# --- the preflights: what can be told before the first host query ------------------------------------------------

def test_heap_preflight():
    assert heap.preflight({}) == ["heap_services must be a list of items, got dict"]
    # sizes in % are checked against a stand-in total: no host needed
    assert heap.preflight([{"unit": "a", "runtime": "java", "max": "50%"},
                           {"unit": "b", "runtime": "node", "percent": 10}]) == []
    # a unit named twice (with or without .service) once; an item without a unit is no unit to repeat
    assert heap.preflight([{"unit": "a", "runtime": "java", "max": "1G"},
                           {"unit": "a.service", "runtime": "java", "max": "1G"}, 5, 5]) == [
        "a.service is listed twice in heap_services", "item 5 has no unit", "item 5 has no unit"]


def test_service_limits_preflight():
    assert limits.preflight({}) == ["service_limits_units must be a list of items, got dict"]
    assert limits.preflight([{"unit": "a", "memory_max": "50%", "memory_swap_max": "50%"}]) == []
    assert limits.preflight([], margin="64M") == []
    errors = limits.preflight([{"unit": "a"}, {"unit": "a.service"}, 5, 5], margin="lots")
    assert errors[0].startswith("service_limits_margin: size 'lots' ")
    assert errors[1:] == ["a.service is listed twice in service_limits_units", "item 5 is not a dict",
                          "item 5 is not a dict"]


# --- /etc/default files ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ['"-Dx=\\"a\\" -Xmx2g"', '"-Dcmd=`id` -Xmx2g"', "'-Dhome=$HOME -Xmx2g'",
                                   "-Dq='a'", '"-Dp=a\\\\b"'])
def test_a_kept_flag_that_double_quotes_would_change_is_refused(value):
    with pytest.raises(ValueError, match="refusing to rewrite JAVA_OPTS="):
        heap.edit_default_file("JAVA_OPTS=%s\n" % value, "JAVA_OPTS", ["-Xmx1g"])


def test_a_dollar_already_in_double_quotes_is_kept():
    new = heap.edit_default_file('JAVA_OPTS="-Dhome=$HOME -Xmx2g"\n', "JAVA_OPTS", ["-Xmx1g"])
    assert new == '%s\nJAVA_OPTS="-Dhome=$HOME -Xmx1g"\n' % MARKER


def test_variable_and_flags_are_checked_before_anything():
    with pytest.raises(ValueError) as err:
        heap.edit_default_file("", "JAVA-OPTS", ["-Xmx1g"])
    assert str(err.value) == "variable 'JAVA-OPTS' is not a shell variable name"
    with pytest.raises(ValueError) as err:
        heap.edit_default_file("", "JAVA_OPTS", ["-Xmx1g;reboot"])
    assert str(err.value) == "JAVA_OPTS: refusing to write flag '-Xmx1g;reboot'"


def test_the_last_definition_is_edited_with_its_indent_and_export():
    text = "JAVA_OPTS=-Xmx4g\nif true; then\n  export JAVA_OPTS=-Xmx2g\nfi\n"
    assert heap.edit_default_file(text, "JAVA_OPTS", ["-Xmx1g"]) == (
        'JAVA_OPTS=-Xmx4g\nif true; then\n%s\n  export JAVA_OPTS="-Xmx1g"\nfi\n' % MARKER)


def test_appending_after_a_blank_line_adds_no_second_one():
    assert heap.edit_default_file("A=1\n\n", "X", ["-Xmx1g"]) == 'A=1\n\n%s\nX="-Xmx1g"\n' % MARKER


def test_unquoted_and_lone_quote_values():
    assert heap.edit_default_file("X=-Xmx2g -Da=1\n", "X", ["-Xmx1g"]).endswith('X="-Da=1 -Xmx1g"\n')
    assert heap.edit_default_file('X=""\n', "X", ["-Xmx1g"]).endswith('X="-Xmx1g"\n')
    with pytest.raises(ValueError):  # one lone quote is no quoting: the token keeps it
        heap.edit_default_file('X="\n', "X", ["-Xmx1g"])


# --- flags ----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("percent,text", [(50.0, "50.0"), (12.5, "12.5"), (100.0 / 3, "33.3333"), (0.25, "0.25")])
def test_ram_percentage_is_printed_with_at_most_four_decimals(percent, text):
    resolved = {"runtime": "java", "max_bytes": GIB, "initial_bytes": None, "percent": percent, "base": 4 * GIB}
    assert heap.flags(resolved, use_ram_percentage=True) == ["-XX:MaxRAMPercentage=%s" % text]


def test_initial_ram_percentage_is_of_the_base():
    resolved = {"runtime": "java", "max_bytes": 2 * GIB, "initial_bytes": GIB, "percent": 50.0, "base": 4 * GIB}
    assert heap.flags(resolved, use_ram_percentage=True) == ["-XX:MaxRAMPercentage=50.0",
                                                             "-XX:InitialRAMPercentage=25.0"]
    assert heap.flags(dict(resolved, percent=None), use_ram_percentage=True) == ["-Xms1024m", "-Xmx2048m"]


@pytest.mark.parametrize("text,version", [('openjdk version "11.0.16.1" 2022-08-12', (11, 16)),
                                          ('java version "1.8.0"', (8, 0)), ('version "9"', (9, 0))])
def test_java_versions_without_every_part(text, version):
    assert heap.parse_java_version(text) == version


@pytest.mark.parametrize("version,layout,aware", [
    ((10, 0), "v1", True), ((9, 999), "v1", False), ((8, 190), "v1", False), ((8, 371), "v2", False),
    ((11, 16), "v1", True), ((12, 99), "v2", False), ((17, 0), "v3", False)])
def test_container_awareness_edges(version, layout, aware):
    assert heap.java_container_aware(version, layout) is aware


def test_heap_restart_needs_a_start_time_and_a_newer_file():
    info = {"active_state": "active", "main_pid_start": 1000.0}
    assert heap.restart_needed(info, [1000.0]) is False  # written in the same second: not newer
    assert heap.restart_needed(dict(info, main_pid_start=None), [2000.0]) is False
    assert heap.restart_needed(None, [2000.0]) is False


# --- service_limits: restarts and the report ------------------------------------------------------------------------

def running(oom=0, main_pid=4242, active="active", props=None):
    return {"load_state": "loaded", "active_state": active, "main_pid": main_pid, "memory_current": 20 * MIB,
            "live": {"MemoryMax": limits.INFINITY}, "oom_score_adj": oom,
            "props": props if props is not None else {"MemoryMax": "infinity", "OOMScoreAdjust": "0"},
            "overrides": []}


HOST = {"mem_total": 24 * GIB, "swap_total": 2 * GIB, "cgroup": "v2", "systemd_version": 257}
OPTS = {"margin": 64 * MIB, "allow_unkillable": False, "allow_missing_units": False, "clear_runtime_overrides": False}


def test_restart_reason_word_for_word():
    infos = {"a.service": running(oom=0)}
    the_plan = limits.plan([{"unit": "a", "oom_score_adjust": -500}], infos, HOST, OPTS)
    assert limits.restart_needed(the_plan, infos) == [{"unit": "a.service", "reasons": [
        "OOMScoreAdjust=-500 applies at start; the running process 4242 has oom_score_adj 0"]}]


@pytest.mark.parametrize("info", [running(main_pid=None), running(main_pid=0), running(oom=None),
                                  running(active="activating"), running(oom=-500)])
def test_no_restart_without_a_running_process_that_differs(info):
    infos = {"a.service": info}
    the_plan = limits.plan([{"unit": "a", "oom_score_adjust": -500}], infos, HOST, OPTS)
    assert limits.restart_needed(the_plan, infos) == []


def test_a_unit_without_our_setting_follows_its_own_config():
    infos = {"a.service": running(oom=100, props={"OOMScoreAdjust": "100"})}
    the_plan = limits.plan([{"unit": "a", "memory_max": "1G"}], infos, HOST, OPTS)
    assert limits.restart_needed(the_plan, infos) == []
    infos = {"a.service": running(oom=100, props={})}  # no configured value: nothing to compare
    assert limits.restart_needed(the_plan, infos) == []


def test_report_of_a_unit_with_nothing_pushed_or_owed():
    infos = {"a.service": running()}
    the_plan = limits.plan([{"unit": "a", "memory_max": "1G"}], infos, HOST, OPTS)
    rep = limits.report(the_plan["units"], None, None)
    assert rep[0]["live_pushed"] == [] and rep[0]["restart_required"] is False and rep[0]["restart_reasons"] == []
    assert rep[0]["dropin_changed"] is False  # nothing written: no units named
    assert sorted(rep[0]) == ["dropin", "dropin_changed", "exists", "live_pushed", "not_enforced", "notes", "overrides",
                              "restart_reasons", "restart_required", "settings", "state", "unit"]
    assert limits.report(None, [], []) == []


# --- the whole plans, field by field --------------------------------------------------------------------------------

UNIT_DIR = "/etc/systemd/system"


def loaded(memory_max=None, **extra):
    info = {"load_state": "loaded", "active_state": "active", "main_pid": 4242, "memory_current": 20 * MIB,
            "live": {"MemoryMax": limits.INFINITY}, "oom_score_adj": 0, "overrides": [],
            "props": {"MemoryMax": str(memory_max) if memory_max else "infinity", "MemoryLimit": "infinity"}}
    info.update(extra)
    return info


def test_the_service_limits_plan_field_by_field():
    """v1 with systemd 219 (MemoryLimit=), sizes of RAM and swap, force, duplicates, items after a bad one,
    overrides kept or named, and which units exist."""
    ov_limit = {"path": "/run/systemd/system.control/a.service.d/50-MemoryLimit.conf", "key": "MemoryLimit",
                "value": "1G", "runtime": True, "other_keys": []}
    ov_other = {"path": "/etc/systemd/system/b.service.d/override.conf", "key": "MemoryHigh", "value": "2G",
                "runtime": False, "other_keys": ["CPUWeight"]}
    infos = {"a.service": loaded(memory_current=5 * GIB, live={"MemoryMax": 6 * GIB}, overrides=[ov_limit]),
             "b.service": loaded(load_state="not-found", overrides=[ov_other])}
    host = {"mem_total": 8 * GIB, "swap_total": 2 * GIB, "cgroup": "v1", "systemd_version": 219}
    items = [5, {"unit": "a", "memory_max": "50%", "memory_swap_max": "50%", "force": True}, {"unit": "a"},
             {"unit": "b", "state": "absent"}, {"unit": "c", "memory_max": "lots"}, {"unit": "d", "memory_max": "1G"}]
    got = limits.plan(items, infos, host, OPTS)
    assert got["cgroup"] == "v1" and got["systemd_version"] == 219
    assert got["refusals"][0] == "item 5 is not a dict"
    assert got["refusals"][1] == "a.service is listed twice in service_limits_units"
    assert got["refusals"][2].startswith("c.service: memory_max: size 'lots' ")
    assert got["refusals"][3:] == [
        "d.service does not exist (LoadState=unknown): set service_limits_allow_missing_units: true to write limits "
        "for a unit installed later"]  # c has errors: no refusal of its own beyond them
    a, b, c, d = got["units"]
    assert a == {
        "unit": "a.service", "state": "present", "dropin": UNIT_DIR + "/a.service.d/50-headroom-memory.conf",
        "body": "[Service]\nMemoryLimit=4G\nMemorySwapMax=1G\n",
        "settings": {"MemoryMax": 4 * GIB, "MemorySwapMax": GIB}, "not_enforced": ["MemorySwapMax"],
        "notes": [
            "cgroup v1 with systemd 219: MemoryLimit= written instead of MemoryMax= (unknown before systemd 231); "
            "enforced as memory.limit_in_bytes",
            "cgroup v1: MemorySwapMax= written (systemctl show reports them) but NOT enforced: v1 has no equivalent; "
            "they take effect once the host boots with cgroup v2",
            "override %s sets MemoryLimit=1G (systemctl set-property --runtime); kept: set "
            "service_limits_clear_runtime_overrides: true to remove it" % ov_limit["path"]],
        "overrides": [ov_limit], "remove_overrides": [], "exists": True}
    assert b == {
        "unit": "b.service", "state": "absent", "dropin": UNIT_DIR + "/b.service.d/50-headroom-memory.conf",
        "body": None, "settings": {}, "not_enforced": [],
        "notes": ["override %s sets MemoryHigh=2G (systemctl set-property); kept: the file also sets CPUWeight"
                  % ov_other["path"]],
        "overrides": [ov_other], "remove_overrides": [], "exists": False}
    assert (c["settings"], c["exists"], d["exists"], d["body"]) == ({}, False, False, "[Service]\nMemoryLimit=1G\n")


def test_a_cleared_override_is_named_removed():
    ov = {"path": "/run/systemd/system.control/a.service.d/50-MemoryMax.conf", "key": "MemoryMax", "value": "1G",
          "runtime": True, "other_keys": []}
    infos = {"a.service": loaded(overrides=[ov])}
    got = limits.plan([{"unit": "a", "memory_max": "2G"}], infos, HOST, dict(OPTS, clear_runtime_overrides=True))
    assert got["units"][0]["notes"][-1] == "override %s sets MemoryMax=1G (systemctl set-property --runtime); removed" \
        % ov["path"]
    assert got["units"][0]["remove_overrides"] == [ov["path"]]


def test_the_heap_plan_field_by_field():
    java17 = 'openjdk version "17.0.19" 2026-04-21\n'
    infos = {"app.service": loaded(memory_max=2 * GIB), "tc.service": loaded(memory_max=4 * GIB),
             "gone.service": loaded(load_state="not-found"), "es.service": loaded()}
    items = [None, {"unit": "app", "runtime": "java", "percent": 50}, {"unit": "app.service", "runtime": "java", "max": "1G"},
             {"unit": "gone", "runtime": "node", "max": "256M"}, {"unit": "missing", "runtime": "node", "max": "256M"},
             {"unit": "es", "runtime": "java", "max": "1G", "via": "jvm_options",
              "path": "/etc/elasticsearch/jvm.options.d/"},
             {"unit": "tc", "runtime": "java", "percent": 25, "via": "default", "path": "/etc/default/tomcat",
              "variable": "JAVA_OPTS"},
             {"unit": "x", "runtime": "java"}]
    got = heap.plan(items, infos, {"mem_total": 8 * GIB, "cgroup": "v2"}, {"app.service": java17})
    assert got["refusals"] == [
        "item None has no unit", "app.service is listed twice in heap_services",
        "gone.service does not exist (LoadState=not-found)", "missing.service does not exist (LoadState=unknown)",
        "x.service: give exactly one of max (a size) and percent (of the unit's MemoryMax or the host's RAM)",
        "x.service does not exist (LoadState=unknown)"]
    app, gone, missing, es, tc = got["units"]
    assert app == {
        "unit": "app.service", "runtime": "java", "via": "dropin",
        "path": UNIT_DIR + "/app.service.d/50-headroom-heap.conf",
        "body": '[Service]\nEnvironment="JAVA_TOOL_OPTIONS=-XX:MaxRAMPercentage=50.0"\n', "variable": None,
        "flags": ["-XX:MaxRAMPercentage=50.0"], "heap_mb": 1024, "base_mb": 2048, "base_source": "MemoryMax",
        "notes": ["JVM 17 (update 19) is container-aware on cgroup v2: -XX:MaxRAMPercentage used"]}
    assert (gone["flags"], gone["base_source"], gone["base_mb"], missing["unit"]) == (
        ["--max-old-space-size=256"], "RAM", 8192, "missing.service")
    assert es == {
        "unit": "es.service", "runtime": "java", "via": "jvm_options",
        "path": "/etc/elasticsearch/jvm.options.d/50-headroom-heap.options", "body": "-Xmx1024m\n", "variable": None,
        "flags": ["-Xmx1024m"], "heap_mb": 1024, "base_mb": 8192, "base_source": "RAM", "notes": []}
    assert tc == {
        "unit": "tc.service", "runtime": "java", "via": "default", "path": "/etc/default/tomcat", "body": None,
        "variable": "JAVA_OPTS", "flags": ["-Xmx1024m"], "heap_mb": 1024, "base_mb": 4096,
        "base_source": "MemoryMax",
        "notes": ["JVM (version unknown) is not container-aware on cgroup v2: explicit -Xmx computed"]}


# --- the comparisons at their edges ---------------------------------------------------------------------------------

@pytest.mark.parametrize("value,ok", [(-1000, True), (1000, True), (-1001, False), (1001, False)])
def test_oom_score_adjust_bounds_are_inclusive(value, ok):
    errors = limits.resolve_item({"unit": "a", "oom_score_adjust": value}, GIB)[3]
    assert errors == ([] if ok else ["a.service: oom_score_adjust %d is not an integer from -1000 to 1000" % value])


def test_memory_max_exactly_at_current_plus_margin_is_refused():
    info = loaded(memory_current=100 * MIB, live={"MemoryMax": limits.INFINITY})
    settings = limits.resolve_item({"unit": "a", "memory_max": 164 * MIB}, GIB)[2]
    assert len(limits.refusals_for("a.service", settings, info, dict(OPTS, margin=64 * MIB))) == 1
    settings = limits.resolve_item({"unit": "a", "memory_max": 100 * MIB + 1}, GIB)[2]
    assert limits.refusals_for("a.service", settings, info, dict(OPTS, margin=0)) == []


@pytest.mark.parametrize("percent,ok", [(0.5, True), (100, True), (100.5, False), (0, False)])
def test_heap_percent_is_above_0_and_up_to_100(percent, ok):
    resolved, errors = heap.resolve({"unit": "a", "runtime": "java", "percent": percent}, None, 8 * GIB)
    assert (errors == []) is ok
    if ok:
        assert resolved["max_bytes"] == int(8 * GIB * percent / 100)


def test_heap_of_exactly_2_mib_and_initial_equal_to_max_are_accepted():
    base = {"unit": "a.service", "runtime": "java", "max_bytes": 2 * MIB, "initial_bytes": 2 * MIB,
            "room_bytes": GIB, "base": 2 * GIB, "base_source": "RAM"}
    assert heap.refusals(base) == []
    assert heap.refusals(dict(base, max_bytes=2 * MIB - 1, initial_bytes=None)) == [
        "a.service: heap %d bytes is below 2 MiB" % (2 * MIB - 1)]


def test_an_initial_heap_under_1_mib_is_written_as_1m():
    resolved = {"runtime": "java", "max_bytes": 64 * MIB, "initial_bytes": 512 * 1024, "percent": None,
                "base": GIB}
    assert heap.flags(resolved) == ["-Xms1m", "-Xmx64m"]
