# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collector: families from parsed /proc, the unit cap, counting each OOM kill once per boot, the
atomic write, whole runs over a fake /proc and cgroup tree with real OOM logs (checked by promtool), and the
one file the role installs (templates/collect.py.j2) running on its own."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast
import json
import os
import re
import shutil
import subprocess
import sys

import jinja2
import pytest
import yaml

from ansible.plugins.filter.core import regex_replace, to_json

from ansible_collections.headroom.memory.plugins.module_utils.early_warning import collect as C
from ansible_collections.headroom.memory.plugins.module_utils.early_warning.textfile import OTHER, render
from ansible_collections.headroom.memory.plugins.module_utils.procfs import parse_meminfo, parse_pressure, parse_vmstat

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "fixtures")
HOST = os.path.join(FIXTURES, "proc", "debian12-host")
OOM = os.path.join(FIXTURES, "oom")
ROLE = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "..", "roles", "early_warning")
MODULE_UTILS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "..", "plugins", "module_utils")
MIB = 1024 * 1024


def samples(text, name):
    out = {}
    for line in text.splitlines():
        m = re.match(r'^([a-z_]+)(?:\{(.*)\})? (\S+)$', line)
        if m and m.group(1) == name:
            out[m.group(2) or ""] = float(m.group(3))
    return out


def by_unit(text, name):
    """{unit label as written: [values]} of a unit family (one value per cgroup of that unit name)."""
    out = {}
    for labels, value in samples(text, name).items():
        out.setdefault(re.search(r'unit="((?:[^"\\]|\\.)*)"', labels).group(1), []).append(value)
    return out


def test_memory_families_from_real_proc_files():
    with open(os.path.join(HOST, "meminfo")) as f:
        meminfo = parse_meminfo(f.read())
    meminfo["SwapTotal"], meminfo["SwapFree"] = 1024, 256
    vmstat = parse_vmstat("pswpin 7\npswpout 9\n")
    pressure = parse_pressure("some avg10=1.50 avg60=2.00 avg300=0.10 total=5491\n"
                              "full avg10=0.50 avg60=12.25 avg300=0.00 total=4612000\n")
    text = render(C.memory_families(meminfo, vmstat, pressure))
    assert samples(text, "headroom_memory_available_ratio")[""] == round(
        float(meminfo["MemAvailable"]) / meminfo["MemTotal"], 6)
    assert samples(text, "headroom_swap_used_bytes")[""] == 768 * 1024
    assert samples(text, "headroom_swap_used_ratio")[""] == 0.75
    assert samples(text, "headroom_swap_pages_in_total")[""] == 7
    assert samples(text, "headroom_memory_pressure_ratio")['kind="full",window="60s"'] == 0.1225
    assert samples(text, "headroom_memory_pressure_stall_seconds_total")['kind="full"'] == 4.612


def test_no_swap_and_no_psi_leave_the_ratio_out():
    text = render(C.memory_families({"MemTotal": 100, "MemAvailable": 50, "SwapTotal": 0, "SwapFree": 0},
                                    parse_vmstat(""), None))
    assert samples(text, "headroom_swap_total_bytes")[""] == 0
    assert samples(text, "headroom_swap_used_ratio") == {}
    assert samples(text, "headroom_memory_pressure_ratio") == {}
    assert "# TYPE headroom_memory_pressure_ratio gauge" in text


def test_units_capped_closest_to_limit_first():
    limited = [{"cgroup": "/system.slice/u%d.service" % i, "unit": "u%d.service" % i, "limit_mb": 100,
                "usage_mb": i * 10} for i in range(1, 6)]
    limited.append({"cgroup": "/docker/abc", "unit": None, "limit_mb": 50, "usage_mb": None})
    text = render(C.unit_families(limited, 2))
    cur = samples(text, "headroom_unit_memory_current_bytes")
    assert cur == {'cgroup="/system.slice/u5.service",unit="u5.service"': 50 * MIB,
                   'cgroup="/system.slice/u4.service",unit="u4.service"': 40 * MIB,
                   'cgroup="{0}",unit="{0}"'.format(OTHER): (10 + 20 + 30) * MIB}
    assert samples(text, "headroom_unit_memory_max_bytes")['cgroup="{0}",unit="{0}"'.format(OTHER)] == 350 * MIB
    assert samples(text, "headroom_unit_memory_limited_units")[""] == 6


def kill(pid, comm, unit, killer="kernel", when="2026-11-30T10:00:00Z"):
    return {"killer": killer, "unit": unit, "time": when, "victim": {"pid": pid, "comm": comm}}


def counts(state):
    return dict(((s["killer"], s["unit"], s["comm"]), s["count"]) for s in state["series"])


def test_each_kill_counted_once_across_runs_and_sources():
    events = [kill(1, "a", "a.service"), kill(2, "a", "a.service", when="2026-11-30T10:05:00Z")]
    state = C.oom_update(None, "boot1", events, 10)
    # the next run sees the same kills again, one of them stamped a little differently by another source
    again = [kill(1, "a", "a.service", when="2026-11-30T10:00:01Z"), events[1], kill(3, "b", None, "earlyoom")]
    state = C.oom_update(json.loads(json.dumps(state)), "boot1", again, 10)
    assert counts(state) == {("kernel", "a.service", "a"): 2, ("earlyoom", "", "b"): 1}
    row = [s for s in state["series"] if s["comm"] == "a"][0]
    assert row["last"] == C.iso_to_epoch("2026-11-30T10:05:00Z")


def test_ring_buffer_wrap_does_not_lower_counters():
    state = C.oom_update(None, "boot1", [kill(1, "a", "a.service"), kill(2, "a", "a.service")], 10)
    state = C.oom_update(state, "boot1", [kill(2, "a", "a.service")], 10)  # kill 1 fell out of the log
    assert counts(state)[("kernel", "a.service", "a")] == 2


def test_new_boot_starts_over():
    state = C.oom_update(None, "boot1", [kill(1, "a", "a.service")], 10)
    state = C.oom_update(state, "boot2", [], 10)
    assert state["series"] == [] and state["boot_id"] == "boot2"


def test_series_cap_is_sticky_and_sums_the_rest():
    events = [kill(i, "c%d" % i, "u%d.service" % i) for i in range(5)]
    state = C.oom_update(None, "b", events, 2)
    assert counts(state) == {("kernel", "u0.service", "c0"): 1, ("kernel", "u1.service", "c1"): 1,
                             ("kernel", OTHER, OTHER): 3}
    # a later kill of a label set that already has a series still goes to it; new ones to __other__
    state = C.oom_update(state, "b", [kill(10, "c1", "u1.service"), kill(11, "new", "n.service"),
                                      kill(12, "x", "x.service", killer="earlyoom")], 2)
    assert counts(state) == {("kernel", "u0.service", "c0"): 1, ("kernel", "u1.service", "c1"): 2,
                             ("kernel", OTHER, OTHER): 4, ("earlyoom", OTHER, OTHER): 1}


def test_a_comm_named_like_the_rest_is_the_rest():
    state = C.oom_update(None, "b", [kill(1, OTHER, "u.service")], 5)
    assert counts(state) == {("kernel", OTHER, OTHER): 1}


def test_seen_list_is_bounded_and_counts_stay():
    state = C.oom_update(None, "b", [kill(i, "a", "a.service") for i in range(20)], 5, max_seen=5)
    assert len(state["seen"]) == 5
    assert counts(state)[("kernel", "a.service", "a")] == 20


def test_events_without_pid_are_keyed_by_unit_and_time():
    notice = {"killer": "kernel", "unit": "x.service", "time": "2026-11-30T10:00:00Z", "victim": {"pid": None}}
    state = C.oom_update(None, "b", [notice, dict(notice)], 5)
    assert counts(state) == {("kernel", "x.service", ""): 1}


@pytest.mark.parametrize("text,epoch", [("1970-01-01T00:00:10Z", 10.0), ("1970-01-01T00:00:10.5Z", 10.5),
                                        (None, None), ("2026-13-01T00:00:00Z", None), ("2026-01-01", None)])
def test_iso_to_epoch(text, epoch):
    assert C.iso_to_epoch(text) == epoch


def test_write_atomic_replaces_and_leaves_nothing_behind(tmp_path):
    path = tmp_path / "m.prom"
    path.write_text("old\n")
    C.write_atomic(str(path), "new\n")
    assert path.read_text() == "new\n"
    assert oct(path.stat().st_mode & 0o777) == "0o644"
    assert os.listdir(str(tmp_path)) == ["m.prom"]


def test_write_atomic_failure_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "m.prom"
    path.write_text("old\n")

    def boom(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(C.os, "rename", boom)
    with pytest.raises(OSError):
        C.write_atomic(str(path), "new\n")
    assert path.read_text() == "old\n"
    assert os.listdir(str(tmp_path)) == ["m.prom"]


def fake_host(tmp_path):
    """A /proc with the real files of a Debian 12 host, btime in 2001, and a cgroup v2 tree with two units."""
    proc = tmp_path / "proc"
    (proc / "self").mkdir(parents=True)
    (proc / "pressure").mkdir()
    (proc / "sys" / "kernel" / "random").mkdir(parents=True)
    for name in ("meminfo", "vmstat"):
        shutil.copy(os.path.join(HOST, name), str(proc / name))
    shutil.copy(os.path.join(HOST, "pressure", "memory"), str(proc / "pressure" / "memory"))
    (proc / "stat").write_text("cpu  1 2 3 4\nbtime 1000000000\n")
    (proc / "sys" / "kernel" / "random" / "boot_id").write_text("6ba6e7a7-e250-4a32-a48d-acd3d7fb83ff\n")
    (proc / "self" / "mountinfo").write_text(
        "30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw\n")
    root = tmp_path / "root"
    (root / "sys" / "fs" / "cgroup").mkdir(parents=True)
    (root / "sys" / "fs" / "cgroup" / "cgroup.controllers").write_text("cpu io memory pids\n")
    for unit, limit, used in (("db.service", 512 * MIB, 500 * MIB), ("web.service", "max", 10 * MIB),
                              ('we"ird\\x2dname.service', 64 * MIB, 8 * MIB)):
        d = root / "sys" / "fs" / "cgroup" / "system.slice" / unit
        d.mkdir(parents=True)
        (d / "memory.max").write_text("%s\n" % limit)
        (d / "memory.current").write_text("%d\n" % used)
    return proc, root


def run_main(tmp_path, proc, root, logs):
    out, state = tmp_path / "out" / "headroom_memory.prom", tmp_path / "state.json"
    out.parent.mkdir(exist_ok=True)
    argv = ["--output", str(out), "--state", str(state), "--proc", str(proc), "--rootfs", str(root)]
    for log in logs:
        argv += ["--oom-file", log]
    assert C.main(argv) == 0
    return out.read_text()


def test_whole_run_over_real_logs(tmp_path, promtool):
    proc, root = fake_host(tmp_path)
    logs = [os.path.join(OOM, "107-genuine-6.18-journalctl-k-short-iso.log"),
            os.path.join(OOM, "201-capture-6.18-dmesg-memcg-v1-comm-spaces-brackets-parens-thread-trigger.log")]
    text = run_main(tmp_path, proc, root, logs)
    check = subprocess.run([promtool, "check", "metrics"], input=text.encode(), capture_output=True, check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    kills = samples(text, "headroom_oom_kills_total")
    assert kills and all('killer="kernel"' in k for k in kills)
    assert any('comm="my hog (x)"' in k for k in kills)
    assert any('comm="runc:[2:INIT]"' in k for k in kills)
    assert by_unit(text, "headroom_unit_memory_max_bytes")['db.service'] == [512 * MIB]
    assert 'web.service' not in by_unit(text, "headroom_unit_memory_max_bytes")
    assert by_unit(text, "headroom_unit_memory_current_bytes")['we\\"ird\\\\x2dname.service'] == [8 * MIB]
    assert samples(text, "headroom_oom_source_readable")
    # the same logs again: nothing new, every counter stays
    again = run_main(tmp_path, proc, root, logs)
    assert samples(again, "headroom_oom_kills_total") == kills
    # one more kill in a third log: exactly one counter rises by one
    extra = tmp_path / "extra.log"
    extra.write_text("2026-11-30T10:00:00+0000 vm kernel: Memory cgroup out of memory: Killed process 424242 (late) "
                     "total-vm:75176kB, anon-rss:65280kB, file-rss:6664kB, shmem-rss:0kB, UID:0 pgtables:192kB "
                     "oom_score_adj:0\n")
    third = samples(run_main(tmp_path, proc, root, logs + [str(extra)]), "headroom_oom_kills_total")
    assert sum(third.values()) == sum(kills.values()) + 1
    assert [k for k in third if k not in kills] == ['comm="late",killer="kernel",unit=""']


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(SystemExit):
        C.parse_args(["--output", str(tmp_path / "x.txt"), "--state", "s"])
    with pytest.raises(SystemExit):
        C.parse_args(["--output", "x.prom", "--state", "s", "--top-units", "-1"])
    with pytest.raises(SystemExit):
        C.parse_args(["--output", "x.prom", "--state", "s", "--oom-source", "files"])


def test_unwritable_output_fails_without_traceback(tmp_path, capsys):
    proc, root = fake_host(tmp_path)
    argv = ["--output", str(tmp_path / "missing" / "m.prom"), "--state", str(tmp_path / "s.json"),
            "--proc", str(proc), "--rootfs", str(root), "--oom-file", str(tmp_path / "none.log")]
    assert C.main(argv) == 1
    assert "headroom-memory-collect:" in capsys.readouterr().err


def render_collector():
    """templates/collect.py.j2 as the template module renders it: trim_blocks, Ansible's own to_json and
    regex_replace, the file lookup, and the module list from vars/main.yml."""
    with open(os.path.join(ROLE, "vars", "main.yml")) as f:
        modules = yaml.safe_load(f)["__early_warning_modules"]
    env = jinja2.Environment(trim_blocks=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    env.filters.update(to_json=to_json, regex_replace=regex_replace)

    def lookup(kind, path, rstrip=True):
        assert kind == "ansible.builtin.file" and rstrip is False
        with open(path, encoding="utf-8") as f:
            return f.read()

    env.globals["lookup"] = lookup
    with open(os.path.join(ROLE, "templates", "collect.py.j2"), encoding="utf-8") as f:
        template = env.from_string(f.read())
    return template.render(ansible_managed="Ansible managed", __early_warning_modules=modules,
                           __early_warning_src=MODULE_UTILS)


def test_the_installed_collector_is_one_file_that_runs_alone(tmp_path):
    """The rendered file, run with python3 -I from a directory holding nothing else, imports every reader from
    its own embedded text (none is on sys.path there) and writes what the collection's code writes."""
    text = render_collector()
    tree = ast.parse(text)
    imports = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert imports == ["ansible_collections.headroom.memory.plugins.module_utils.early_warning.collect"]
    script = tmp_path / "lib" / "collect.py"
    script.parent.mkdir()
    script.write_text(text, encoding="utf-8")
    proc, root = fake_host(tmp_path)
    logs = [os.path.join(OOM, "107-genuine-6.18-journalctl-k-short-iso.log"),
            os.path.join(OOM, "201-capture-6.18-dmesg-memcg-v1-comm-spaces-brackets-parens-thread-trigger.log")]
    out = tmp_path / "alone.prom"
    argv = [sys.executable, "-I", str(script), "--output", str(out), "--state", str(tmp_path / "alone.json"),
            "--proc", str(proc), "--rootfs", str(root)]
    for log in logs:
        argv += ["--oom-file", log]
    run = subprocess.run(argv, cwd=str(script.parent), env={"PATH": os.environ["PATH"]}, capture_output=True,
                         check=False)
    assert run.returncode == 0, run.stderr
    alone = out.read_text()
    same = run_main(tmp_path, proc, root, logs)
    for family in ("headroom_oom_kills_total", "headroom_unit_memory_max_bytes", "headroom_memory_available_bytes",
                   "headroom_unit_memory_current_bytes"):
        assert samples(alone, family) and samples(alone, family) == samples(same, family), family
    # every shipped module was embedded, each under its own module name
    assert text.count('"oom": (\n        True,') == 1 and text.count("_SOURCES = {") == 1
    with open(os.path.join(ROLE, "vars", "main.yml")) as f:
        for rel in yaml.safe_load(f)["__early_warning_modules"]:
            name = rel[:-3].replace("/", ".").replace(".__init__", "")
            assert ('    "%s": (' % name) in text, name


def test_the_installed_collector_reports_a_broken_reader_by_its_name(tmp_path):
    """A traceback from an embedded reader names the module it came from, as the copied tree did."""
    text = render_collector().replace("def collect(args, now=None, problems=None):",
                                      "def collect(args, now=None, problems=None):\\n    raise RuntimeError('planted')", 1)
    script = tmp_path / "collect.py"
    script.write_text(text, encoding="utf-8")
    run = subprocess.run([sys.executable, "-I", str(script), "--output", str(tmp_path / "x.prom"),
                          "--state", str(tmp_path / "s.json")], capture_output=True, check=False, text=True)
    assert run.returncode == 1 and "RuntimeError: planted" in run.stderr
    assert "early_warning/collect.py>" in run.stderr
