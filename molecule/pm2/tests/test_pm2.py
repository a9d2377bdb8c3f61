# -*- coding: utf-8 -*-
"""The pm2 scenario, read from the live hosts: PM2 runs both apps with the settings the role wrote into their
ecosystem files (JSON and JS), the heap flag is live in the cluster app's V8, check mode changed nothing, the
refusals changed nothing, and the leaking app was restarted by PM2 at its threshold - never killed by the kernel."""

import json
import re
from pathlib import Path

SECRET = "hr-pm2-secret-7f3a"  # in the leaking app's environment (prepare.yml): never in anything the role reports
MIB = 1048576
CGROUP = "/sys/fs/cgroup/memory"
WORK = Path(__file__).resolve().parents[3] / ".work" / "pm2"   # the loop's reports, on the controller


def _json(host, path):
    return json.loads(host.file(path).content_string)


def _jlist(host):
    out = host.run("pm2 jlist")
    assert out.rc == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def _apps(host, name):
    return [p for p in _jlist(host) if p["name"] == name]


def test_node_is_debians_and_pm2_is_the_pinned_one(host):
    node = host.run("node --version").stdout.strip()
    assert node.startswith("v18." if host.backend.get_hostname().endswith("bookworm") else "v20."), node
    assert host.run("pm2 --version").stdout.strip().splitlines()[-1] == "5.4.3"


def test_check_mode_changed_nothing(host):
    check = _json(host, "/root/pm2-check.json")
    assert check["checksums"] == json.loads(host.file("/var/tmp/headroom-pm2-check-marker").content_string)
    assert check["before"] == check["after"]  # no process restarted
    assert check["restarts_before"] == check["restarts_after"]
    apps = dict((a["name"], a) for a in check["result"]["apps"])
    assert all(a["file_changed"] and not a["applied"] for a in apps.values()), apps  # the change it did not make
    assert "would be restarted by PM2" in apps["hr-pm2-leak"]["summary"]
    assert "would be reloaded by PM2" in apps["hr-pm2-web"]["summary"]


def test_converge_applied_each_app_in_new_processes(host):
    result = _json(host, "/root/pm2-result.json")
    apps = dict((a["name"], a) for a in result["result"]["apps"])
    assert result["result"]["saved"] is True
    assert result["result"]["restart_required"] == []
    assert apps["hr-pm2-leak"]["exec_mode"] == "fork" and apps["hr-pm2-leak"]["instances"] == 1
    assert apps["hr-pm2-web"]["exec_mode"] == "cluster" and apps["hr-pm2-web"]["instances"] == 2
    assert apps["hr-pm2-leak"]["ecosystem_file"] == "/srv/pm2test/leak/ecosystem.json"  # found in its cwd
    assert all(a["applied"] for a in apps.values()), apps
    assert not set(result["before"]) & set(result["after"])  # every instance is a new process
    assert SECRET not in host.file("/root/pm2-result.json").content_string


def test_the_second_run_changed_nothing(host):
    again = _json(host, "/root/pm2-idempotence.json")
    assert again["before"] == again["after"]
    assert again["restarts_before"] == again["restarts_after"]
    for a in again["result"]["apps"]:
        assert not a["applied"] and not a["file_changed"] and "already set" in a["summary"], a
    assert again["result"]["saved"] is False


def _leak_threshold(host):
    """The max_memory_restart diagnose proposed for hr-pm2-leak (remediate applied it), in MiB."""
    [item] = [i for i in _entry(host, "report")["remedy_vars"]["pm2_apps"] if i["name"] == "hr-pm2-leak"]
    assert re.match(r"^[0-9]+M$", item["max_memory_restart"]), item
    return int(item["max_memory_restart"][:-1])


def test_pm2_runs_the_settings(host):
    leak = _apps(host, "hr-pm2-leak")
    web = _apps(host, "hr-pm2-web")
    assert len(leak) == 1 and len(web) == 2
    assert leak[0]["pm2_env"]["exec_mode"] == "fork_mode"
    assert leak[0]["pm2_env"]["max_memory_restart"] == _leak_threshold(host) * MIB
    assert "--max-old-space-size=64" in leak[0]["pm2_env"]["node_args"]
    for p in web:
        assert p["pm2_env"]["exec_mode"] == "cluster_mode"
        assert p["pm2_env"]["status"] == "online"
        assert p["pm2_env"]["max_memory_restart"] == 200 * MIB
        assert "--max-old-space-size=96" in p["pm2_env"]["node_args"]


def test_the_heap_flag_is_live_in_the_cluster_instances(host):
    # PM2's process title overwrites /proc/<pid>/cmdline; each instance wrote what its V8 really runs with
    for p in _apps(host, "hr-pm2-web"):
        live = _json(host, "/srv/pm2test/web/live/%d.json" % p["pid"])
        assert live["execArgv"] == ["--max-old-space-size=96"], live
        assert 96 <= live["heap_limit_mb"] < 200, live  # old space 96 MiB + young generation, under the threshold
        assert host.file("/proc/%d/comm" % p["pid"]).content_string.strip() == "hr-pm2-web"


def test_both_ecosystem_files_were_edited_and_kept_the_rest(host):
    leak = json.loads(host.file("/srv/pm2test/leak/ecosystem.json").content_string)["apps"][0]
    assert leak["name"] == "hr-pm2-leak" and leak["script"] == "leak.js"
    assert str(leak["max_memory_restart"]).upper() == "%dM" % _leak_threshold(host)  # remediate's, from the report
    assert leak["node_args"] in ("--max-old-space-size=64", ["--max-old-space-size=64"])
    assert leak["env"]["HR_TEST_SECRET"] == SECRET
    web = host.file("/srv/pm2test/web/ecosystem.config.js").content_string
    assert re.search(r"""max_memory_restart['"]?\s*:\s*['"]200M['"]""", web), web
    assert "--max-old-space-size=96" in web
    assert "NODE_ENV: 'production'" in web and "instances: 2" in web
    # pm2_backup: the files as prepare wrote them, beside them
    for d, name in (("leak", "ecosystem.json"), ("web", "ecosystem.config.js")):
        backups = host.run("ls /srv/pm2test/%s" % d).stdout.split()
        assert [b for b in backups if b.startswith(name + ".") and b.endswith("~")], backups


def test_pm2_save_keeps_the_settings_for_a_reboot(host):
    dump = json.loads(host.file("/root/.pm2/dump.pm2").content_string)
    web = [p for p in dump if p["name"] == "hr-pm2-web"]
    assert web and all("--max-old-space-size=96" in p["node_args"] for p in web)
    assert all(p["max_memory_restart"] == 200 * MIB for p in web)


def test_the_refusals_changed_nothing(host):
    side = _json(host, "/root/pm2-side-effect.json")
    assert side["file_unchanged"]
    # the sizing plan's own rule (what diagnose's proposals pass): never under an instance's use plus the margin
    assert "max_memory_restart 20M (20 MiB) is under what one instance holds now plus the margin" in side["refusal_low"]
    assert "Nothing was changed" in side["refusal_low"]
    assert 'has no app named "hr-pm2-nosuch"' in side["refusal_missing"]
    assert '"hr-pm2-leak"' in side["refusal_missing"]  # the apps it has
    assert "max_old_space_size 512 MiB is above 75% of max_memory_restart 200M (150 MiB)" in side["refusal_heap"]
    for msg in side.values():
        assert SECRET not in str(msg)


def test_pm2_restarted_the_leak_at_the_threshold_remediate_set(host):
    threshold = _leak_threshold(host)
    side = _json(host, "/root/pm2-leak.json")
    assert side["max_memory_restart"] == threshold * MIB, side  # in force before the leak started again
    assert side["restarts_after"] > side["restarts_before"], side
    assert side["status_after"] == "online"
    assert side["oom_kill_after"] == side["oom_kill_before"], side  # the container's cgroup: no kernel OOM kill
    leak = _apps(host, "hr-pm2-leak")[0]
    assert leak["pm2_env"]["status"] == "online"
    log = host.file("/root/.pm2/pm2.log").content_string
    assert re.search(r"Process %d restarted because it exceeds --max-memory-restart value \(current_memory=\d+ "
                     r"max_memory_limit=%d " % (leak["pm_id"], threshold * MIB), log), log[-2000:]


def test_early_warning_counts_the_threshold_restart_by_app_name(host):
    """The collector (early_warning's defaults, run by its systemd unit) read that line of the root daemon's
    pm2.log and names the app, mapped from its pm_id by PM2's own App lines."""
    leak = _apps(host, "hr-pm2-leak")[0]
    text = host.file("/var/lib/prometheus/node-exporter/headroom_memory.prom").content_string
    found = re.findall(r'^headroom_pm2_memory_restarts_total\{app="hr-pm2-leak",home="/root/\.pm2",pm_id="%d"\} '
                       r'(\d+)$' % leak["pm_id"], text, re.M)
    assert found and int(found[0]) >= 1, [line for line in text.splitlines() if "pm2" in line]
    # the cluster app never crossed its threshold: its series is there, at 0
    assert re.search(r'^headroom_pm2_memory_restarts_total\{app="hr-pm2-web",home="/root/\.pm2",pm_id="\d+"\} 0$',
                     text, re.M), text
    state = host.run("systemctl show -p Result --value headroom-memory-collector.service")
    assert state.stdout.strip() == "success", state.stdout


def test_the_kernel_killed_nothing(host):
    # the ring buffer is shared with the machine: match the leaking app's own process name
    dmesg = host.run("dmesg")
    assert dmesg.rc == 0, dmesg.stderr
    assert not re.search(r"Killed process \d+ \(hr-pm2-leak\)", dmesg.stdout)
    oom_control = host.file(CGROUP + "/memory.oom_control").content_string
    assert re.search(r"^oom_kill 0$", oom_control, re.M), oom_control


def _entry(host, name):
    report = json.loads((WORK / name / "report.json").read_text())
    return dict((h["host"], h) for h in report["hosts"])[host.backend.get_hostname()]


def test_diagnose_named_the_unsized_cluster_app_by_its_pm2_name_with_the_heap_node_really_gets(host):
    entry = _entry(host, "report")
    [finding] = [f for f in entry["findings"] if f["id"] == "node_heap_unbounded"]
    [line] = [e for e in finding["evidence"] if e.startswith("PM2 app hr-pm2-loop (ids ")]
    assert "(cluster, 2 instance(s)): no --max-old-space-size" in line
    m = re.search(r"V8's default heap is ([0-9.]+) (MiB|GiB) each", line)
    said = float(m.group(1)) * (1024 if m.group(2) == "GiB" else 1)
    real = _json(host, "/root/pm2-node-heap.json")["heap_limit_mb"]
    # V8's heap_size_limit is the old generation diagnose names plus a young generation of a few MiB
    assert said <= real <= said + 64, (said, real)
    [item] = [i for i in entry["remedy_vars"]["pm2_apps"] if i["name"] == "hr-pm2-loop"]
    assert set(item) == {"name", "max_memory_restart", "max_old_space_size"}


def test_diagnose_named_the_leaking_app_by_its_pm2_name_from_its_growth_between_two_samples(host):
    entry = _entry(host, "report")
    [finding] = [f for f in entry["findings"] if f["id"] == "pm2_restart_threshold_missing"]
    assert "hr-pm2-leak" in finding["title"] and "hr-pm2-loop" not in finding["title"], finding["title"]
    grew = [e for e in finding["evidence"] if e.startswith("PM2 app hr-pm2-leak (id ") and "grew from" in e]
    assert grew and "no max_memory_restart" in grew[0], finding["evidence"]
    m = re.search(r"grew from ([0-9.]+) MiB to ([0-9.]+) MiB", grew[0])
    assert m and float(m.group(2)) - float(m.group(1)) >= 32, grew  # leak_sample_growth_mb
    # sized above the second sample (its peak) by diagnose's margin: a threshold the restarted leak reaches
    assert _leak_threshold(host) > float(m.group(2)), (grew, _leak_threshold(host))
    # the daemon's unit holds every app: the leak is PM2's to catch, no MemoryMax proposed for pm2-root.service
    units = [i.get("unit") for i in entry["remedy_vars"].get("service_limits_units") or []]
    assert "pm2-root.service" not in units, units
    leak = [f for f in entry["findings"] if f["id"] == "leak_suspect"]
    assert not leak or "headroom.memory.service_limits" != leak[0]["remedy"]["role"], leak


def test_remediate_applied_the_pm2_remedy_and_pm2_runs_it(host):
    outcome = dict((h["host"], h) for h in json.loads((WORK / "remediate" / "remediate.json").read_text())["hosts"])
    mine = outcome[host.backend.get_hostname()]
    assert mine["status"] == "ok" and "node_heap_unbounded" in mine["fixed"], mine
    assert "pm2_restart_threshold_missing" in mine["fixed"], mine
    [item] = [i for i in _entry(host, "report")["remedy_vars"]["pm2_apps"] if i["name"] == "hr-pm2-loop"]
    live = _json(host, "/root/pm2-loop.json")
    assert len(live) == 2 and all(a["status"] == "online" for a in live)
    assert all(a["node_args"] == ["--max-old-space-size=%d" % item["max_old_space_size"]] for a in live)
    assert all(a["max_memory_restart"] == int(item["max_memory_restart"].rstrip("M")) * 1024 * 1024 for a in live)


def test_the_web_apps_daily_cron_restart_is_in_its_file_in_pm2_and_in_the_saved_list(host):
    for p in _apps(host, "hr-pm2-web"):
        assert p["pm2_env"]["cron_restart"] == "0 4 * * *", p["pm2_env"].get("cron_restart")
    web = host.file("/srv/pm2test/web/ecosystem.config.js").content_string
    assert re.search(r"""cron_restart['"]?\s*:\s*['"]0 4 \* \* \*['"]""", web), web
    dump = json.loads(host.file("/root/.pm2/dump.pm2").content_string)
    assert all(p.get("cron_restart") == "0 4 * * *" for p in dump if p["name"] == "hr-pm2-web")


def test_pm2_restarted_the_app_on_its_cron_restart_schedule(host):
    cron = _json(host, "/root/pm2-cron.json")
    assert cron["cron_before"] in (None, "0", 0) and cron["cron_applied"] == "* * * * *", cron
    assert cron["pid_applied"] != cron["pid_before"]  # the role applied it (fork mode: a restart)
    # then PM2 itself restarted it on the schedule, with no role or command in between
    assert cron["restarts_after"] > cron["restarts_applied"] and cron["pid_after"] != cron["pid_applied"], cron
    assert cron["status_after"] == "online"
    [app] = cron["result"]["apps"]
    assert app["cron_restart"] == "* * * * *" and app["applied"] and "cron_restart * * * * *" in app["summary"]
    # and the daily pattern diagnose proposes is what PM2 and the file keep
    assert _apps(host, "hr-pm2-leak")[0]["pm2_env"]["cron_restart"] == "0 4 * * *"
    leak = json.loads(host.file("/srv/pm2test/leak/ecosystem.json").content_string)["apps"][0]
    assert leak["cron_restart"] == "0 4 * * *"
