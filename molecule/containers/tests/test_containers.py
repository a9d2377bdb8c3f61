# -*- coding: utf-8 -*-
"""The containers scenario, read from the live hosts: the role's limits are in the engines' inspect output AND in
the containers' cgroup files, the Compose file still passes the Compose tool's `config` and `up -d` keeps the
limit, the quadlet unit restarted keeps it, the leak was killed inside its own container while the other
containers and the test host stayed up, and check mode changed nothing. Around it the loop: diagnose named a
container nobody limited (hr-loop) and proposed its limit, remediate applied it and proved it fixed, and diagnose
after the leak attributed the kill to hr-leaky's own limit, not to the host."""

import json
import re
from pathlib import Path

import testinfra

MIB = 1024 * 1024
WORK = Path(__file__).resolve().parents[3] / ".work" / "containers"
HOSTS = ("containers-bookworm", "containers-trixie")
V1 = "/sys/fs/cgroup/memory"


def _json(host, path):
    return json.loads(host.file(path).content_string)


def _on(name):
    """One named host, for a test of what only that host runs (never an empty pass on the other)."""
    return testinfra.get_host("podman://" + name)


def _inspect(host, engine, name, fmt):
    out = host.run("PODMAN_IGNORE_CGROUPSV1_WARNING=1 %s container inspect --format '%s' %s" % (engine, fmt, name))
    assert out.rc == 0, out.stderr
    return out.stdout.strip()


def _cgroup(host, engine, name):
    pid = _inspect(host, engine, name, "{{.State.Pid}}")
    line = [x for x in host.file("/proc/%s/cgroup" % pid).content_string.splitlines() if ":memory:" in x][0]
    return V1 + line.split(":", 2)[2]


def _limits(host, engine, name, memory, swap):
    assert _inspect(host, engine, name, "{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}}") == "%d %d" % (memory, swap)
    d = _cgroup(host, engine, name)
    assert int(host.file(d + "/memory.limit_in_bytes").content_string) == memory
    assert int(host.file(d + "/memory.memsw.limit_in_bytes").content_string) == swap


def test_docker_containers_have_the_limits_live_in_inspect_and_the_cgroup():
    host = _on("containers-bookworm")
    _limits(host, "docker", "hr-bare", 48 * MIB, 96 * MIB)
    _limits(host, "docker", "hr-leaky", 64 * MIB, 128 * MIB)  # after `up -d --force-recreate`: from the file


def test_the_compose_file_has_the_limit_passes_config_and_up_keeps_it():
    host = _on("containers-bookworm")
    text = host.file("/srv/hrshop/docker-compose.yml").content_string
    assert re.search(r"^    mem_limit: ['\"]?64[mM]", text, re.M), text
    assert text.startswith("---\n# The shop: one service, no memory limit")  # the document start and comments kept
    assert host.run("docker-compose -f /srv/hrshop/docker-compose.yml config -q").rc == 0
    backups = host.run("ls /srv/hrshop | grep -c '^docker-compose\\.yml\\..*~$'").stdout.strip()
    assert backups == "1"  # the first converge wrote it; check mode and the second run did not
    recreated = _json(host, "/root/containers-recreated.json")["inspect"]
    assert "/hr-leaky %d %d 0" % (64 * MIB, 128 * MIB) in recreated


def test_the_quadlet_unit_has_the_limit_and_a_restart_keeps_it():
    host = _on("containers-trixie")
    text = host.file("/etc/containers/systemd/hr-quad.container").content_string
    assert "PodmanArgs=" in text and "--memory=48" in text.replace("--memory 48", "--memory=48"), text
    assert host.service("hr-quad.service").is_running
    _limits(host, "podman", "hr-quad", 48 * MIB, 96 * MIB)
    assert _inspect(host, "podman", "hr-quad", "{{.HostConfig.MemoryReservation}}") == str(32 * MIB)
    assert "hr-quad %d %d %d" % (48 * MIB, 96 * MIB, 32 * MIB) in _json(host, "/root/containers-recreated.json")["inspect"]


def test_the_bare_container_gets_a_warning_with_the_flags_to_add():
    host = _on("containers-bookworm")
    result = _json(host, "/root/containers-result.json")["result"]
    bare = [c for c in result["containers"] if c["name"] == "hr-bare"][0]
    assert bare["file_kind"] == "none"
    assert "re-created" in bare["warning"] and "--memory=48" in bare["warning"].replace("--memory 48", "--memory=48")
    leaky = [c for c in result["containers"] if c["name"] == "hr-leaky"][0]
    assert leaky["file_kind"] == "compose" and leaky["file"] == "/srv/hrshop/docker-compose.yml"


def test_the_leak_was_killed_inside_its_container_and_everything_else_stayed_up():
    host = _on("containers-bookworm")
    leak = _json(host, "/root/containers-leak.json")
    assert leak["rc"] == 137
    assert leak["after"] > leak["before"], leak  # the container's own cgroup counted the kill
    assert _inspect(host, "docker", "hr-leaky", "{{.State.Running}}") == "true"
    assert _inspect(host, "docker", "hr-bare", "{{.State.Running}}") == "true"
    assert host.run("systemctl is-system-running").stdout.strip() in ("running", "degraded")
    cid = _inspect(host, "docker", "hr-leaky", "{{.Id}}")
    log = host.run("dmesg").stdout
    assert re.search(r"Killed process \d+ \(busybox-hr-book\)", log), "no kill of the leak in the kernel log"
    assert "/docker/%s" % cid in log  # the kill was charged to hr-leaky's own cgroup (oom_memcg)


def test_check_mode_changed_nothing(host):
    before = _json(host, "/root/containers-before.json")
    check = _json(host, "/root/containers-check.json")
    assert check["checksums"] == before["checksums"]
    assert check["inspect"] == before["inspect"]
    assert all(c["changed"] for c in check["result"]["containers"])  # and said what it would change


def test_the_manifest_has_the_limit_and_the_request_and_kept_the_rest(host):
    text = host.file("/srv/hrshop/k8s/shop.yaml").content_string
    assert "- name: leaky   # no limit yet" in text and "cpu: 100m" in text and text.count("\n---\n") == 1
    assert re.search(r"limits:\n\s+memory: 64Mi\n", text), text
    assert re.search(r"requests:\n(\s+cpu: 100m\n)?\s+memory: 32Mi\n", text) or "memory: 32Mi" in text, text
    backups = host.run("ls /srv/hrshop/k8s | grep -c '^shop\\.yaml\\..*~$'").stdout.strip()
    assert backups == "1"
    assert _json(host, "/root/containers-first.json")["result"]["manifests"] == {"/srv/hrshop/k8s/shop.yaml": True}
    assert _json(host, "/root/containers-result.json")["result"]["manifests"] == {"/srv/hrshop/k8s/shop.yaml": False}


def test_kubectl_checked_the_edited_manifest_offline_where_it_is_installed(host):
    """bookworm has Debian's kubectl and no cluster (kubectl create --dry-run=client needs the API server there, and
    fails): the role's check and first real run still validated the edit with it; trixie has no kubectl and wrote
    the same edit on the editor's own check."""
    first = _json(host, "/root/containers-first.json")["result"]
    check = _json(host, "/root/containers-check.json")["result"]
    if host.backend.get_hostname().endswith("bookworm"):
        assert first["manifests_checked_by"].startswith("kubectl v1.20."), first
        assert check["manifests_checked_by"] == first["manifests_checked_by"]
        no_cluster = host.run("kubectl create --dry-run=client -o name -f /srv/hrshop/k8s/shop.yaml")
        assert no_cluster.rc != 0 and "refused" in no_cluster.stderr, no_cluster.stderr
    else:
        assert host.run("kubectl version --client").rc != 0  # not installed
        assert first["manifests_checked_by"] == "" and check["manifests_checked_by"] == ""
    # nothing edited on the second run: nothing for kubectl to check
    assert _json(host, "/root/containers-result.json")["result"]["manifests_checked_by"] == ""


def test_a_manifest_kubectl_rejects_is_refused_with_its_message_and_left_alone():
    host = _on("containers-bookworm")
    refusal = _json(host, "/root/containers-kubectl-refusal.json")
    msg = refusal["msg"]
    assert msg.startswith("/srv/hrshop/k8s/broken.yaml: kubectl v1.20."), msg
    assert "(offline) rejects the edited manifest: error: unable to decode" in msg, msg
    assert "quantities must match" in msg and '"lots"' in msg, msg
    assert "Nothing was changed." in msg
    assert refusal["after"] == [refusal["before"]]  # the file as it was, and no backup beside it


def _report(name, work=WORK):
    return dict((h["host"], h) for h in json.loads((work / name / "report.json").read_text())["hosts"])


def test_diagnose_before_the_role_named_each_container_and_where_it_was_defined():
    report = _report("report", WORK.parent / "containers-prepare")
    bookworm, trixie = report["containers-bookworm"], report["containers-trixie"]
    assert [f["id"] for f in bookworm["findings"]] == ["container_without_limit"], bookworm["findings"]
    # named by use, the largest first: the order follows the live figures
    head, names = bookworm["findings"][0]["title"].split(": ", 1)
    assert head == "2 container(s) without a memory limit" and sorted(names.split(", ")) == ["hr-bare", "hr-leaky"]
    evidence = "\n".join(bookworm["findings"][0]["evidence"])
    assert "hr-leaky (docker, image localhost/hr-busybox:1, compose service hrshop/leaky): no memory limit" in evidence
    assert "hr-bare (docker, image localhost/hr-busybox:1): no memory limit" in evidence
    assert sorted(item["name"] for item in bookworm["remedy_vars"]["containers_limits"]) == ["hr-bare", "hr-leaky"]
    # Not asserted, an open defect of issue 27: on trixie (cgroup v1, podman 5) the quadlet container runs in
    # /system.slice/hr-quad.service/libpod-payload-<id>, and diagnose before the role reports no finding for hr-quad
    # (the first live run of this test showed trixie's findings empty). The role still limits it (tests below).
    assert trixie["status"] == "ok", trixie["message"]


def test_diagnose_named_the_container_nobody_limited_and_proposed_its_limit():
    report = _report("report")
    for name in HOSTS:
        entry = report[name]
        # the role limited hr-leaky, hr-bare and hr-quad in converge: hr-loop is the only one left, and it is named
        assert [f["id"] for f in entry["findings"]] == ["container_without_limit"], entry["findings"]
        [finding] = entry["findings"]
        assert finding["title"] == "1 container(s) without a memory limit: hr-loop"
        assert finding["evidence"][0].startswith("hr-loop (%s, image localhost/hr-busybox:1): no memory limit, holds "
                                                 % ("docker" if name.endswith("bookworm") else "podman"))
        [item] = entry["remedy_vars"]["containers_limits"]
        assert item["name"] == "hr-loop" and set(item) == {"name", "memory"}


def _table(name):
    """The plan table's rows as {host: text of its containers row}."""
    rows = {}
    for line in (WORK / name).read_text().splitlines()[1:]:
        host, role, text = line.split(None, 2)
        assert role == "containers", line  # the only remedy diagnose proposed on these hosts
        rows[host] = text
    return rows


def test_remediate_plan_listed_the_containers_remedy_and_changed_nothing():
    plan = _table("plan.txt")
    report = _report("report")
    assert sorted(plan) == sorted(HOSTS)
    for name in HOSTS:
        proposed = report[name]["remedy_vars"]["containers_limits"][0]["memory"]
        assert "hr-loop" in plan[name] and proposed in plan[name], plan[name]
        assert _json(_on(name), "/root/containers-loop-planned.json")["memory"] == 0  # plan and dry run: still no limit


def test_remediate_dry_run_said_what_the_role_would_change():
    check = _table("check-plan.txt")
    assert sorted(check) == sorted(HOSTS)
    for name in HOSTS:
        proposed = _report("report")[name]["remedy_vars"]["containers_limits"][0]["memory"]
        assert check[name].startswith("hr-loop (%s): memory %s MiB" % ("docker" if name.endswith("bookworm") else "podman",
                                                                       proposed[:-1])), check[name]
        assert "was no limit" in check[name], check[name]


def test_remediate_applied_the_limit_and_proved_the_finding_fixed():
    outcome = dict((h["host"], h) for h in json.loads((WORK / "remediate" / "remediate.json").read_text())["hosts"])
    report = _report("report")
    for name in HOSTS:
        assert outcome[name]["status"] == "ok", outcome[name]
        assert outcome[name]["fixed"] == ["container_without_limit"] and outcome[name]["remaining"] == []
        proposed = report[name]["remedy_vars"]["containers_limits"][0]["memory"]
        assert proposed.endswith("M")
        live = _json(_on(name), "/root/containers-loop.json")["memory"]
        assert live == int(proposed[:-1]) * MIB


def test_diagnose_after_the_leak_attributes_the_kill_to_the_containers_own_limit():
    report = _report("after-leak")
    bookworm = report["containers-bookworm"]
    assert [f["id"] for f in bookworm["findings"]] == ["container_oom_killed"], bookworm["findings"]
    [finding] = bookworm["findings"]
    assert finding["title"] == "1 OOM kill(s) inside container(s) by their own limit: hr-leaky"
    assert "compose service hrshop/leaky" in finding["evidence"][0]
    assert "by the container's own limit 64 MiB" in finding["evidence"][0]
    # not a host OOM: the host-level kill rule stays quiet, and the podman host (no leak) has nothing
    assert report["containers-trixie"]["findings"] == []
