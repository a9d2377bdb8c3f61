# -*- coding: utf-8 -*-
"""plugin_utils/containers/live.py: the containers role's checks, engine lookup, cgroup reads, refusals and
read-back, on inspect output and cgroup file texts as docker 20.10 and podman 5.4 gave them in the test hosts."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.headroom.memory.plugins.filter.containers_live import (
    containers_live_paths, containers_live_plan, containers_live_targets)
from ansible_collections.headroom.memory.plugins.plugin_utils.containers import live
from ansible_collections.headroom.memory.plugins.plugin_utils.containers.plan import file_plan

MIB = 1024 * 1024
ID_A = "a" * 64
ID_B = "b" * 64
FACTS = {"memory": {"total_mb": 2048}, "cgroup": {"limit_mb": None}}


def _inspect(name, cid, pid=100, memory=0, swap=0, reservation=0, labels=None, running=True, docker=True):
    return {"Id": cid, "Name": ("/" if docker else "") + name,
            "State": {"Running": running, "Pid": pid if running else 0},
            "Config": {"Image": "localhost/hr-busybox:1", "Labels": labels or {}},
            "HostConfig": {"Memory": memory, "MemorySwap": swap, "MemoryReservation": reservation}}


COMPOSE_LABELS = {"com.docker.compose.project": "hrshop", "com.docker.compose.service": "leaky",
                  "com.docker.compose.project.working_dir": "/srv/hrshop",
                  "com.docker.compose.project.config_files": "/srv/hrshop/docker-compose.yml"}


def _v1(cid, usage, inactive=0, limit=live.V1_UNLIMITED, swap=live.V1_UNLIMITED, oom=0):
    d = "/sys/fs/cgroup/memory/docker/" + cid
    return "\n".join([
        "%s/memory.usage_in_bytes:%d" % (d, usage), "%s/memory.limit_in_bytes:%d" % (d, limit),
        "%s/memory.memsw.limit_in_bytes:%d" % (d, swap), "%s/memory.soft_limit_in_bytes:%d" % (d, live.V1_UNLIMITED),
        "%s/memory.stat:cache 0" % d, "%s/memory.stat:total_inactive_file %d" % (d, inactive),
        "%s/memory.oom_control:oom_kill_disable 0" % d, "%s/memory.oom_control:oom_kill %d" % (d, oom)])


def _targets(limits, docker=None, podman=None, proc=None):
    inspected = {"docker": json.dumps(docker or []), "podman": json.dumps(podman or [])}
    return containers_live_targets(limits, inspected, {}, proc)


@pytest.mark.parametrize("limits, words", [
    ([{"name": "web", "memory": "8M"}], "below the floor of 32 MiB"),
    ([{"name": "web", "memory": "64M", "memory_swap": "32M"}], "cannot be less than memory"),
    ([{"name": "web", "memory": "64M", "memory_reservation": "128M"}], "memory_reservation '128M' is above memory '64M'"),
    ([{"name": "web; rm -rf /", "memory": "64M"}], "is not a container name"),
    ([{"name": "web"}], "memory is required"),
    ([{"name": "web", "memory": "lots"}], "size 'lots' is not understood"),
    ([{"name": "web", "memory": "64M", "mem": 1}], "unknown key(s) mem"),
    ([{"name": "web", "memory": "64M"}, {"name": "web", "memory": "96M"}], "named twice"),
    ("web", "must be a list"),
    ([{"name": "web", "memory": "64M", "memory_swap": -1}], "memory_swap -1 (unlimited swap) is not offered"),
])
def test_limit_errors_name_the_value(limits, words):
    errors = live.limit_errors(limits)
    assert errors and words in " ".join(errors), errors


def test_valid_limits_have_no_errors():
    assert live.limit_errors([{"name": "web-1", "memory": "64M", "memory_swap": "128M",
                               "memory_reservation": "32M"}]) == []


def test_a_name_no_engine_has_and_a_name_both_have_are_refused():
    found = _targets([{"name": "ghost", "memory": "64M"}, {"name": "twin", "memory": "64M"}],
                     docker=[_inspect("twin", ID_A)], podman=[_inspect("twin", ID_B, docker=False)])
    assert "neither docker nor podman" in found[0]["error"]
    assert "both docker and podman" in found[1]["error"]


def test_targets_read_the_engine_settings_and_the_compose_source():
    t = _targets([{"name": "leaky", "memory": "64M"}],
                 docker=[_inspect("leaky", ID_A, memory=32 * MIB, swap=-1, labels=COMPOSE_LABELS)])[0]
    assert (t["engine"], t["id"], t["pid"], t["error"]) == ("docker", ID_A, 100, None)
    assert t["current"] == {"memory": 32 * MIB, "memory_swap": -1, "memory_reservation": None}
    assert t["source"]["kind"] == "compose" and t["source"]["compose_files"] == ["/srv/hrshop/docker-compose.yml"]


def test_a_label_path_that_is_not_clean_is_dropped():
    labels = dict(COMPOSE_LABELS, **{"com.docker.compose.project.config_files": "/srv/../etc/shadow"})
    t = _targets([{"name": "leaky", "memory": "64M"}], docker=[_inspect("leaky", ID_A, labels=labels)])[0]
    # the facts reader's rule: a path that is not clean is left out, and with no file left nothing is edited
    assert t["source"]["compose_files"] == []
    assert file_plan(t, {"memory": "64M"})["path"] is None


def test_quadlet_source_from_the_units_source_path():
    labels = {"PODMAN_SYSTEMD_UNIT": "hr-quad.service"}
    found = containers_live_targets([{"name": "hr-quad", "memory": "64M"}],
                                    {"podman": json.dumps([_inspect("hr-quad", ID_B, labels=labels, docker=False)])},
                                    {"hr-quad.service": "SourcePath=/etc/containers/systemd/hr-quad.container\n"})
    assert containers_live_paths(found, "units") == ["hr-quad.service"]
    assert found[0]["source"]["kind"] == "quadlet"
    assert found[0]["source"]["quadlet_file"] == "/etc/containers/systemd/hr-quad.container"


def test_cgroup_files_v1_on_a_hybrid_host_and_v2():
    limits = [{"name": "a", "memory": "64M"}, {"name": "b", "memory": "64M"}]
    proc = ("/proc/100/cgroup:5:memory:/docker/%s\n/proc/100/cgroup:0::/\n"
            "/proc/200/cgroup:0::/machine.slice/libpod-%s.scope\n" % (ID_A, ID_B))
    found = _targets(limits, docker=[_inspect("a", ID_A)], podman=[_inspect("b", ID_B, pid=200, docker=False)],
                     proc=proc)
    assert found[0]["flavour"] == "1"
    assert found[0]["files"]["limit"] == "/sys/fs/cgroup/memory/docker/%s/memory.limit_in_bytes" % ID_A
    assert found[1]["flavour"] == "2"
    assert found[1]["files"]["swap"] == "/sys/fs/cgroup/machine.slice/libpod-%s.scope/memory.swap.max" % ID_B
    assert len(containers_live_paths(found, "counters")) == 12


def _running(limits, usage, inactive=0, **inspect):
    proc = "/proc/100/cgroup:5:memory:/docker/%s\n" % ID_A
    found = _targets(limits, docker=[_inspect(limits[0]["name"], ID_A, **inspect)], proc=proc)
    return containers_live_plan(found, _v1(ID_A, usage, inactive), FACTS)


def test_plan_sets_memory_and_twice_the_swap_in_one_update():
    row = _running([{"name": "leaky", "memory": "64M"}], usage=30 * MIB, inactive=10 * MIB)[0]
    assert row["error"] is None and row["changed"]
    assert row["use"] == 20 * MIB  # working set: usage less the inactive page cache
    assert row["argv"] == ["docker", "update", "--memory=%d" % (64 * MIB), "--memory-swap=%d" % (128 * MIB), ID_A]
    assert "was no limit" in row["summary"]


def test_plan_is_unchanged_when_inspect_already_has_the_limits():
    row = _running([{"name": "leaky", "memory": "64M", "memory_reservation": "32M"}], usage=30 * MIB,
                   memory=64 * MIB, swap=128 * MIB, reservation=32 * MIB)[0]
    assert row["error"] is None and not row["changed"]
    assert row["argv"][-2] == "--memory-reservation=%d" % (32 * MIB)


def test_plan_refuses_a_limit_under_use_plus_the_margin():
    row = _running([{"name": "leaky", "memory": "64M"}], usage=60 * MIB)[0]
    assert row["argv"] is None
    assert "under what it holds now, 60 MiB (working set), plus the margin of 8 MiB" in row["error"]
    assert "at least 68 MiB" in row["error"]


def test_plan_refuses_a_limit_above_what_the_host_can_give():
    row = _running([{"name": "leaky", "memory": "1900M"}], usage=30 * MIB)[0]
    assert "above what this host can give a container: 2048 MiB (MemTotal) less the OS reserve of 256 MiB" in row["error"]


def test_plan_refuses_a_current_reservation_above_the_new_limit():
    row = _running([{"name": "leaky", "memory": "64M"}], usage=10 * MIB, reservation=100 * MIB)[0]
    assert "reservation 100 MiB is above the new limit" in row["error"]


def test_a_stopped_container_is_checked_against_the_floor_only():
    found = _targets([{"name": "idle", "memory": "64M"}], docker=[_inspect("idle", ID_A, running=False)], proc="")
    row = containers_live_plan(found, "", FACTS)[0]
    assert row["error"] is None and row["use"] is None and row["changed"]
    assert containers_live_paths(found, "proc") == []


def test_readback_compares_inspect_and_the_cgroup_files():
    limits = [{"name": "leaky", "memory": "64M"}]
    rows = _running(limits, usage=30 * MIB)
    proc = "/proc/100/cgroup:5:memory:/docker/%s\n" % ID_A
    after = _targets(limits, docker=[_inspect("leaky", ID_A, memory=64 * MIB, swap=128 * MIB)], proc=proc)
    assert live.readback(rows, after, _v1(ID_A, 30 * MIB, limit=64 * MIB, swap=128 * MIB)) == []
    problems = live.readback(rows, after, _v1(ID_A, 30 * MIB, limit=32 * MIB, swap=128 * MIB))
    assert problems == ["container leaky: /sys/fs/cgroup/memory/docker/%s/memory.limit_in_bytes says %d, not %d"
                        % (ID_A, 32 * MIB, 64 * MIB)]
    stale = _targets(limits, docker=[_inspect("leaky", ID_A)], proc=proc)
    assert "docker inspect says memory None, not %d" % (64 * MIB) in live.readback(rows, stale, "")[0]


def test_counters_v2_swap_is_memory_plus_swap_and_max_is_unlimited():
    t = {"flavour": "2", "files": dict((k, "/c/" + v) for k, v in live.V2_FILES.items())}
    text = ("/c/memory.current:1000\n/c/memory.max:4096\n/c/memory.swap.max:4096\n/c/memory.low:0\n"
            "/c/memory.stat:inactive_file 200\n/c/memory.events:oom 1\n/c/memory.events:oom_kill 3\n")
    assert live.counters(t, text) == {"usage": 1000, "limit": 4096, "swap": 8192, "reservation": 0,
                                      "working_set": 800, "oom_kill": 3}
    text = text.replace("memory.max:4096", "memory.max:max")
    assert live.counters(t, text)["limit"] == -1


def test_parse_inspect_tolerates_no_engine_and_junk():
    assert live.parse_inspect("") == [] and live.parse_inspect("Error: no such container") == []
    assert live.parse_inspect('{"Id": 1}') == [] and live.parse_inspect('[1, {"Id": "x"}]') == [{"Id": "x"}]


def test_a_running_container_whose_cgroup_is_not_found_is_refused():
    found = _targets([{"name": "leaky", "memory": "64M"}], docker=[_inspect("leaky", ID_A)], proc="")
    row = containers_live_plan(found, "", FACTS)[0]
    assert "its memory cgroup could not be found from /proc/100/cgroup" in row["error"] and row["argv"] is None


def test_targets_keep_the_limits_as_written_for_the_file_editors():
    t = _targets([{"name": "leaky", "memory": "64M", "memory_swap": None}], docker=[_inspect("leaky", ID_A)])[0]
    assert t["limits"] == {"memory": "64M"}


def test_report_names_the_file_and_the_warning():
    row = _running([{"name": "leaky", "memory": "64M"}], usage=30 * MIB)[0]
    files = [{"name": "leaky", "plan": {"kind": "compose", "path": "/srv/hrshop/docker-compose.yml", "warning": None}}]
    entry = live.report(row, files, ["leaky"])
    assert (entry["memory_mb"], entry["memory_swap_mb"], entry["was_memory_mb"], entry["use_mb"]) == (64, 128, None, 30)
    assert entry["summary"].endswith("; compose /srv/hrshop/docker-compose.yml written") and entry["file_changed"]
    bare = live.report(row, [{"name": "leaky", "plan": {"kind": "none", "path": None, "warning": "add --memory"}}], [])
    assert bare["warning"] == "add --memory" and bare["summary"].endswith("; no file")


@pytest.mark.parametrize("manifests, words", [
    ([{"path": "k8s/app.yaml", "workload": "web", "container": "app", "memory": "256M"}], "not an absolute"),
    ([{"path": "/srv/a/../app.yaml", "workload": "web", "container": "app", "memory": "256M"}], "not an absolute"),
    ([{"path": "/srv/app.yaml", "container": "app", "memory": "256M"}], "workload is required"),
    ([{"path": "/srv/app.yaml", "workload": "web", "container": "app", "memory": "256M", "request": "512M"}],
     "memory_reservation '512M' is above memory '256M'"),
    ([{"path": "/srv/app.yaml", "workload": "web", "container": "app", "memory": "16M"}], "below the floor"),
    ([{"path": "/srv/app.yaml", "workload": "web", "container": "app", "memory": "256M", "swap": "1G"}], "unknown key"),
    ({"path": "/srv/app.yaml"}, "must be a list"),
])
def test_manifest_errors_name_the_value(manifests, words):
    errors = live.manifest_errors(manifests)
    assert errors and words in " ".join(errors), errors


def test_a_valid_manifest_entry_and_its_editor_limits():
    entry = {"path": "/srv/app.yaml", "workload": "Deployment/web", "container": "app", "memory": "256M", "request": "128M"}
    assert live.manifest_errors([entry]) == []
    assert live.manifest_limits(entry) == {"memory": "256M", "memory_reservation": "128M"}
