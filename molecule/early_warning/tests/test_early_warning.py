# -*- coding: utf-8 -*-
"""The early_warning role on real systemd hosts: the timer-driven collector, a real OOM kill counted and
served by Debian's node_exporter, earlyoom's choice under a real memory hog, the rules file, the refusals."""

import json
import re
import time

import pytest

TEXTFILE = "/var/lib/prometheus/node-exporter/headroom_memory.prom"
RULES = "/etc/prometheus/rules/headroom-memory.yml"
SAMPLE = re.compile(r'^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>.*)\})? (?P<value>\S+)$')


def load(host, name):
    f = host.file("/tmp/%s" % name)
    assert f.exists, "side_effect.yml did not write /tmp/%s" % name
    return json.loads(f.content_string) if name.endswith(".json") else f.content_string


def samples(text, name):
    """{labels text: float} of one metric in exposition text."""
    out = {}
    for line in text.splitlines():
        m = SAMPLE.match(line)
        if m and m.group("name") == name:
            out[m.group("labels") or ""] = float(m.group("value"))
    return out


def oom_count(text, unit):
    return sum(v for k, v in samples(text, "headroom_oom_kills_total").items() if 'unit="%s"' % unit in k)


def test_timer_runs_the_collector(host):
    assert host.service("headroom-memory-collector.timer").is_enabled
    assert host.service("headroom-memory-collector.timer").is_running
    show = host.run("systemctl show -p Result,ExecMainStatus headroom-memory-collector.service").stdout
    assert "Result=success" in show and "ExecMainStatus=0" in show


def test_textfile_is_there_whole_and_fresh(host):
    f = host.file(TEXTFILE)
    assert f.exists and f.user == "root" and f.mode == 0o644
    text = f.content_string
    assert text.endswith("\n")
    assert "# TYPE headroom_oom_kills_total counter" in text
    ratio = samples(text, "headroom_memory_available_ratio")[""]
    assert 0 < ratio <= 1
    last = samples(text, "headroom_collector_last_run_timestamp_seconds")[""]
    now = float(host.run("date +%s").stdout)
    assert now - last < 60
    # the atomic write leaves no temp file behind (.headroom_memory.prom.*.tmp exists only while a run writes)
    for attempt in range(5):
        ours = [n for n in host.run("ls -A /var/lib/prometheus/node-exporter").stdout.split() if "headroom_memory" in n]
        if ours == ["headroom_memory.prom"]:
            break
        time.sleep(1)
    assert ours == ["headroom_memory.prom"]


def unit_sample(text, name, unit):
    """The one sample of ``name`` whose unit label is ``unit`` (its cgroup label is the unit's cgroup path)."""
    found = [v for k, v in samples(text, name).items() if 'unit="%s"' % unit in k and 'cgroup="/' in k]
    assert len(found) == 1, (name, unit, samples(text, name))
    return found[0]


def test_unit_with_memorymax_is_reported(host):
    text = host.file(TEXTFILE).content_string
    assert unit_sample(text, "headroom_unit_memory_max_bytes", "ew-keeper.service") == 512 * 1024 * 1024
    used = unit_sample(text, "headroom_unit_memory_current_bytes", "ew-keeper.service")
    assert 100 * 1024 * 1024 < used < 512 * 1024 * 1024


def test_real_oom_kill_counted_in_next_collection(host):
    run = load(host, "ew-oom.json")
    assert run["result"] in ("oom-kill", "signal")
    before = oom_count(load(host, "ew-before.prom"), run["unit"])
    after_text = load(host, "ew-after.prom")
    assert before == 0
    assert oom_count(after_text, run["unit"]) == 1
    key = 'comm="python3",killer="kernel",unit="%s"' % run["unit"]
    assert samples(after_text, "headroom_oom_kills_total")[key] == 1
    when = samples(after_text, "headroom_oom_kill_last_timestamp_seconds")[key]
    assert abs(float(host.run("date +%s").stdout) - when) < 600


def test_node_exporter_serves_it(host):
    run = load(host, "ew-oom.json")
    scrape = load(host, "ew-scrape.txt")
    assert oom_count(scrape, run["unit"]) == 1
    assert samples(scrape, "node_textfile_scrape_error")[""] == 0
    assert "headroom_memory_pressure_ratio" in scrape


def test_only_node_exporter_listens(host):
    listeners = host.run("ss -H -ltnup").stdout.strip().splitlines()
    assert listeners, "node_exporter should listen"
    assert all("prometheus-node" in line for line in listeners), listeners


def test_earlyoom_runs_with_generated_lists(host):
    assert host.service("earlyoom").is_running
    cmd = host.file("/proc/%s/cmdline" % host.run("systemctl show -p MainPID --value earlyoom").stdout.strip())
    argv = cmd.content.split(b"\0")
    assert b"--prefer" in argv and argv[argv.index(b"--prefer") + 1] == b"^(ew-hog)$"
    assert b"--avoid" in argv and argv[argv.index(b"--avoid") + 1] == b"^(ew-keeper)$"
    assert argv[argv.index(b"-m") + 1] == b"10,5"  # back to the defaults after the hog test


def test_earlyoom_killed_the_hog_not_the_keeper(host):
    run = load(host, "ew-earlyoom.json")
    assert re.search(r'SIG(TERM|KILL) to process \d+ uid \d+ "ew-hog"', run["log"]), run["log"]
    assert not re.search(r'to process \d+ uid \d+ "ew-keeper"', run["log"]), run["log"]
    assert run["hog_result"] != "success"
    assert run["keeper_state_after"] == "active"
    assert run["keeper_pid_before"] == run["keeper_pid_after"] != "0"


def test_rules_file(host):
    f = host.file(RULES)
    assert f.exists and f.mode == 0o644
    text = f.content_string
    for alert in ("HeadroomMemoryAvailableCritical", "HeadroomOOMKill", "HeadroomUnitNearMemoryMax",
                  "HeadroomSwapThrashing", "HeadroomMemoryPressureHigh"):
        assert "alert: %s" % alert in text
    assert "{{ $labels.instance }}" in text  # Prometheus templates are not eaten by Ansible's
    assert "team: sre" in text


@pytest.mark.parametrize("key,words", [
    ("oomd", ["cgroup v2", "Nothing was changed"]),
    ("name", ["sshd;rm -rf /", "Nothing was changed"]),
])
def test_refusals(host, key, words):
    msg = load(host, "ew-refusals.json")[key]
    assert msg, "the role did not refuse"
    for word in words:
        assert word in msg
    assert not host.file("/etc/systemd/oomd.conf.d/50-headroom-memory.conf").exists
