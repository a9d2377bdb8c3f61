# -*- coding: utf-8 -*-
"""The container rules (issue #27): container_without_limit, container_oom_killed, container_limits_overcommitted,
container_limit_too_tight, on hand-built ``containers`` facts (docker compose service, bare docker run, podman
quadlet, kubepods cgroup-only; cgroup v1 and v2), the kills given to a container and left out of the host OOM
rules, and the old-facts fallback."""

from ansible_collections.headroom.memory.plugins.plugin_utils.triage.common import merge_thresholds
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.containers import (
    budget, container_limit_too_tight, container_limits_overcommitted, container_oom_killed, container_without_limit,
    room_mb)
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.engine import context, triage_host
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.oom import oom_kills_recent, oom_protection_missing
from ansible_collections.headroom.memory.tests.unit.plugins.plugin_utils.triage.test_triage_facts import (
    group, healthy, kill, proc)

WEB, JOB, QUAD, POD = "a" * 64, "b" * 64, "c" * 64, "d" * 64


def ctr(name, cid, runtime="docker", limit=None, use=200, peak=300, state="running", oom_kill=0, oom_killed=False,
        source=None, image="nginx:1.25", cgroup=None, version="2", restarts=0):
    """One container as memory_facts' containers subset lists it (contracts.md)."""
    if cgroup is None and state in ("running", None):
        if runtime == "docker":
            cgroup = "/system.slice/docker-%s.scope" % cid if version == "2" else "/docker/%s" % cid
        elif runtime == "podman":
            cgroup = "/machine.slice/libpod-%s.scope" % cid if version == "2" else "/libpod_parent/libpod-%s" % cid
        else:
            cgroup = "/kubepods/burstable/pod1234/%s" % cid
    live = state in ("running", None)
    return {"name": name, "id": cid, "runtime": runtime, "image": image, "state": state, "cgroup": cgroup,
            "limit_mb": limit if live else None, "high_mb": None, "engine_memory_mb": limit if runtime in ("docker", "podman") else None,
            "engine_memory_swap_mb": None, "engine_reservation_mb": None, "swap_limit_mb": None,
            "usage_mb": use + 20 if live else None, "working_set_mb": use if live else None, "peak_mb": peak if live else None,
            "oom_kill": oom_kill, "oom_killed": oom_killed, "restart_count": restarts,
            "source": dict(source or {"kind": "run"})}


COMPOSE = {"kind": "compose", "compose_project": "shop", "compose_service": "web", "compose_working_dir": "/srv/shop",
           "compose_files": ["/srv/shop/docker-compose.yml"]}
QUADLET = {"kind": "quadlet", "systemd_unit": "job.service", "quadlet_file": "/etc/containers/systemd/job.container"}


def with_containers(containers, total_mb=None, version="2"):
    """A healthy host running ``containers``; each running one's use is a process group of its own (its processes
    are the host's too: budget counts them once)."""
    facts = healthy()
    facts["cgroup"]["version"] = version
    if total_mb:
        facts["memory"]["total_mb"] = total_mb
    facts["containers"] = {"engines": {"docker": {"cli": "/usr/bin/docker", "version": "20.10.24", "error": None},
                                       "podman": {"cli": "/usr/bin/podman", "version": "5.4.2", "error": None}},
                           "list": containers, "total": len(containers)}
    for c in containers:
        if c.get("working_set_mb") is not None:
            facts["process_groups"].append(group("ctr-%s" % (c["name"] or c["id"][:8]), 1, c["working_set_mb"]))
    return facts


def run(rule, facts, **overrides):
    thresholds = merge_thresholds(overrides)
    return rule(facts, thresholds, context(facts, thresholds))


def test_a_compose_service_without_a_limit_is_named_and_sized_from_its_peak():
    facts = with_containers([ctr("shop-web-1", WEB, source=COMPOSE)])
    [f] = run(container_without_limit, facts)
    assert f["title"] == "1 container(s) without a memory limit: shop-web-1"
    assert f["evidence"][0] == ("shop-web-1 (docker, image nginx:1.25, compose service shop/web): no memory limit, "
                                "holds 200 MiB (working set), peak 300 MiB")
    # peak 300 MiB is above what it holds + limit_rules' proposal margin (200 + 2 x 8 MiB): the peak, rounded up
    assert f["remedy"]["role"] == "headroom.memory.containers"
    assert f["remedy"]["vars"] == {"containers_limits": [{"name": "shop-web-1", "memory": "304M"}]}
    assert "shop-web-1: limit 304M = its peak 300 MiB" in f["evidence"]


def test_a_bare_run_container_is_sized_from_its_working_set_when_its_peak_is_lower():
    facts = with_containers([ctr("cache", WEB, use=1000, peak=900, image="redis:7")])
    [f] = run(container_without_limit, facts)
    assert f["evidence"][0].startswith("cache (docker, image redis:7): no memory limit, holds 1000 MiB")
    # 1000 MiB + 2 x 5 % = 1100 MiB, rounded up to the collection's 64 MiB step
    assert f["remedy"]["vars"]["containers_limits"] == [{"name": "cache", "memory": "1152M"}]


def test_a_quadlet_container_names_its_file_and_a_stopped_one_gets_no_size():
    facts = with_containers([ctr("job", QUAD, runtime="podman", source=QUADLET),
                             ctr("old", JOB, state="exited")])
    [f] = run(container_without_limit, facts)
    assert f["evidence"][0].startswith("job (podman, image nginx:1.25, quadlet /etc/containers/systemd/job.container): ")
    assert f["evidence"][1] == "old (docker, image nginx:1.25): no memory limit, not running (exited)"
    assert f["remedy"]["vars"]["containers_limits"] == [{"name": "job", "memory": "304M"}]
    assert "old in the command that starts it (docker/podman run --memory)" in f["remedy"]["text"]


def test_a_kubepods_cgroup_only_container_is_named_by_its_id_and_sent_to_its_manifest():
    facts = with_containers([ctr(None, POD, runtime="kubepods", image=None, state=None, version="1")], version="1")
    [f] = run(container_without_limit, facts)
    assert f["evidence"][0].startswith("kubepods container dddddddddddd (kubepods, cgroup /kubepods/burstable/pod1234/%s)" % POD)
    assert f["remedy"]["role"] is None and f["remedy"]["vars"] == {}
    assert "dddddddddddd in its Kubernetes manifest (resources.limits.memory)" in f["remedy"]["text"]


def test_a_docker_container_kubernetes_runs_is_sent_to_its_manifest_not_to_docker_update():
    kube = {"kind": "kubernetes", "kube_namespace": "shop", "kube_pod": "cache-0", "kube_container": "redis"}
    facts = with_containers([ctr("k8s_redis_cache-0_shop_1234_0", WEB, source=kube)])
    [f] = run(container_without_limit, facts)
    assert "pod shop/cache-0" in f["evidence"][0]
    assert f["remedy"]["vars"] == {} and "in its Kubernetes manifest (resources.limits.memory)" in f["remedy"]["text"]


def test_containers_with_a_limit_are_no_finding_and_no_containers_none():
    assert run(container_without_limit, with_containers([ctr("web", WEB, limit=512)])) == []
    assert run(container_without_limit, with_containers([])) == []


def test_old_facts_without_the_containers_subset_keep_the_cgroup_path_finding():
    facts = healthy()
    facts["cgroup"]["unlimited_containers"] = [{"cgroup": "/docker/%s" % WEB, "runtime": "docker"}]
    [f] = run(container_without_limit, facts)
    assert f["evidence"] == ["1 docker container(s) without a memory limit: /docker/%s" % WEB]
    assert f["remedy"]["role"] is None and "containers subset" in f["remedy"]["text"]
    # with the containers subset the old list is not read again (no double finding)
    facts["containers"] = {"engines": {}, "list": [], "total": 0}
    assert run(container_without_limit, facts) == []


def test_the_proposals_together_stay_within_the_hosts_budget():
    # 2 GiB host: reserve 256 MiB; the other processes hold 1029 MiB; two containers of 200 MiB peaking at 600 MiB
    facts = with_containers([ctr("a", WEB, peak=600), ctr("b", JOB, peak=600)], total_mb=2048)
    b = budget(facts)
    assert (b["capacity_mb"], b["rest_mb"], b["committed_mb"], b["unlimited_use_mb"]) == (1792, 1029, 0, 400)
    [f] = run(container_without_limit, facts)
    items = f["remedy"]["vars"]["containers_limits"]
    # 763 MiB for both: the first gets what leaves the second its floor (200 MiB + 2 x 10 MiB), the second that floor
    assert items == [{"name": "a", "memory": "543M"}, {"name": "b", "memory": "220M"}]
    assert "a: limit 543M = what the host has left for it (its peak: 600 MiB; what it holds + margin: 220 MiB)" in f["evidence"]
    assert "b: limit 220M = what the host has left for it (its peak: 600 MiB; what it holds + margin: 220 MiB)" in f["evidence"]


def test_no_limit_is_proposed_where_the_host_has_no_room_and_the_evidence_says_so():
    facts = with_containers([ctr("big", WEB, use=900, peak=900)], total_mb=2048)
    facts["process_groups"].append(group("other", 1, 400))
    [f] = run(container_without_limit, facts)
    assert f["remedy"]["vars"] == {}
    assert any(e.startswith("big: no limit is proposed: it needs at least 990 MiB") for e in f["evidence"]), f["evidence"]


def test_a_kill_by_a_containers_own_limit_is_the_containers_not_a_host_oom_v2():
    facts = with_containers([ctr("shop-web-1", WEB, limit=256, use=250, oom_kill=1, source=COMPOSE)])
    path = "/system.slice/docker-%s.scope" % WEB
    facts["oom"]["events"] = [kill(comm="node", unit=None, memcg=path)]
    facts["processes"].append(proc("sshd", 9, pid=501, unit="ssh.service"))
    [f] = run(container_oom_killed, facts)
    assert f["id"] == "container_oom_killed" and f["severity"] == "warning"
    assert f["evidence"][0].startswith(
        "shop-web-1 (docker, image nginx:1.25, compose service shop/web): 1 kill(s) inside it by the container's own "
        "limit 256 MiB: its cgroup counts 1 OOM kill(s) (oom_kill); 1 kill(s) in the log window by its limit: node \u00d71")
    assert "not a host OOM" in f["remedy"]["text"]
    # the host-level rules leave the kill out: no oom_kills_recent, no "unprotected" finding
    assert run(oom_kills_recent, facts) == [] and run(oom_protection_missing, facts) == []
    ids = [x["id"] for x in triage_host(facts)]
    assert "container_oom_killed" in ids and "oom_kills_recent" not in ids


def test_a_kill_in_a_stopped_v1_container_is_found_by_its_id_and_the_engines_oomkilled():
    facts = with_containers([ctr("worker", WEB, limit=128, state="exited", oom_killed=True)], version="1")
    facts["oom"]["events"] = [kill(comm="python3", unit=None, memcg="/docker/%s" % WEB)]
    [f] = run(container_oom_killed, facts)
    assert "the engine says its last exit was OOMKilled" in f["evidence"][0]
    assert "not running now (exited)" in f["evidence"][0] and "limit 128 MiB" in f["evidence"][0]
    assert run(oom_kills_recent, facts) == []


def test_a_host_wide_kill_of_a_process_in_a_container_stays_a_host_oom():
    facts = with_containers([ctr("web", WEB, limit=512)])
    event = kill(comm="node", unit=None, scope="global", memcg="/system.slice/docker-%s.scope" % WEB)
    event["task_memcg"] = "/system.slice/docker-%s.scope" % WEB
    facts["oom"]["events"] = [event]
    assert run(container_oom_killed, facts) == []
    [f] = run(oom_kills_recent, facts)
    assert f["severity"] == "critical"


def test_a_kill_by_a_slice_above_a_container_or_a_container_listed_at_the_root_is_not_the_containers():
    from ansible_collections.headroom.memory.plugins.plugin_utils.triage.attribution import container_of_kill
    web = ctr("web", WEB, limit=512)
    assert container_of_kill(kill(comm="x", unit=None, memcg="/system.slice"), [web]) is None
    odd = dict(web, id=None, cgroup="/")
    assert container_of_kill(kill(comm="x", unit="app.service"), [odd]) is None
    assert container_of_kill(kill(comm="x", unit=None, memcg="/system.slice/docker-%s.scope/init" % WEB), [web]) is web


def test_a_kill_in_an_unlisted_container_stays_with_the_host_rules():
    facts = with_containers([ctr("web", WEB, limit=512)])
    facts["oom"]["events"] = [kill(comm="x", unit=None, memcg="/system.slice/docker-%s.scope" % JOB)]
    assert run(container_oom_killed, facts) == []
    assert len(run(oom_kills_recent, facts)) == 1


def test_limits_that_cannot_all_be_honoured_are_overcommitted():
    # 4 GiB host: 5 % of 4096 = 204 MiB < 256 MiB: reserve 256 MiB, capacity 3840 MiB; 4096 + 1029 = 5125 MiB
    facts = with_containers([ctr("a", WEB, limit=2048, use=300), ctr("b", JOB, limit=2048, use=300)], total_mb=4096)
    [f] = run(container_limits_overcommitted, facts)
    assert f["evidence"][0] == (
        "the running containers' limits 4.0 GiB + other processes 1.0 GiB + unlimited containers' use 0 MiB = 5.0 GiB, "
        "more than 4.0 GiB (MemTotal) less the OS reserve 256 MiB = 3.8 GiB: 1.3 GiB over")
    assert f["evidence"][1].startswith("a (docker, image nginx:1.25): limit 2.0 GiB, holds 300 MiB")
    facts["memory"]["total_mb"] = 8192
    assert run(container_limits_overcommitted, facts) == []


def test_a_limit_killed_again_and_again_is_raised_within_the_budget():
    facts = with_containers([ctr("api", WEB, limit=256, use=250, oom_kill=3)])
    [f] = run(container_limit_too_tight, facts)
    assert f["remedy"]["vars"] == {"containers_limits": [{"name": "api", "memory": "384M"}]}
    assert f["evidence"][0].startswith("api (docker, image nginx:1.25): killed 3 time(s) at its limit 256 MiB")
    # one kill is container_oom_killed only, not "too tight"
    assert run(container_limit_too_tight, with_containers([ctr("api", WEB, limit=256, use=250, oom_kill=1)])) == []


def test_kills_in_the_history_count_when_the_counter_was_reset_by_a_restart():
    facts = with_containers([ctr("api", WEB, limit=256, use=100, oom_kill=0, restarts=2)])
    path = "/system.slice/docker-%s.scope" % WEB
    facts["oom"]["events"] = [kill(comm="node", unit=None, memcg=path, pid=n, time="2026-11-20T10:0%d:00Z" % n)
                              for n in range(2)]
    [f] = run(container_limit_too_tight, facts)
    assert f["remedy"]["vars"]["containers_limits"] == [{"name": "api", "memory": "384M"}]


def test_a_tight_limit_on_a_full_host_says_it_needs_more_ram():
    facts = with_containers([ctr("api", WEB, limit=700, use=690, peak=700, oom_kill=4)], total_mb=2048)
    room, _how = room_mb(facts, facts["containers"]["list"][0])
    assert room == 2048 - 256 - 1029 + 690 - 690  # its own limit is not counted against it: 763 MiB
    [f] = run(container_limit_too_tight, facts)
    # 700 x 1.5 = 1050 MiB; the host can give 763 MiB, more than 700: raised to what it can give
    assert f["remedy"]["vars"] == {"containers_limits": [{"name": "api", "memory": "763M"}]}
    facts["process_groups"].append(group("other", 1, 200))
    [f] = run(container_limit_too_tight, facts)
    assert f["remedy"]["role"] is None and f["remedy"]["vars"] == {}
    assert ("the host cannot give it more: it would need 1.0 GiB, the host can give 563 MiB (2.0 GiB (MemTotal) - 256 MiB "
            "OS reserve - 1.2 GiB other processes") in f["evidence"][0]
    assert "it needs at least 487 MiB more memory (more RAM)" in f["remedy"]["text"]


def test_a_limit_raised_after_the_kills_its_cgroup_counts_is_no_longer_too_tight():
    # killed 3 times at 256 MiB (its peak reached the limit), then raised to 384 MiB by docker update: the counter stays
    raised = with_containers([ctr("api", WEB, limit=384, use=250, peak=256, oom_kill=3)])
    assert run(container_limit_too_tight, raised) == []
    assert len(run(container_oom_killed, raised)) == 1  # the kills are still reported, as the container's own
    still = with_containers([ctr("api", WEB, limit=256, use=250, peak=250, oom_kill=3)])
    assert len(run(container_limit_too_tight, still)) == 1
    unknown = with_containers([ctr("api", WEB, limit=384, use=250, peak=None, oom_kill=3)])
    assert len(run(container_limit_too_tight, unknown)) == 1  # no peak (kernel < 5.19): cannot tell
