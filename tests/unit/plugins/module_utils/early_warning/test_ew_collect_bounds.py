# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 29 (findings 1-3): the collector keeps writing its file when names collide (the same unit name in two
cgroups, long names equal in their first 200 characters, a bad series), counts what it leaves out, reads the
journal as a stream with bounded memory, and goes on from the cursor it keeps in its state."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess
import sys
import tracemalloc

from ansible_collections.headroom.memory.plugins.module_utils.early_warning import collect as C
from ansible_collections.headroom.memory.plugins.module_utils.early_warning.textfile import (
    MAX_LABEL_LEN, family, render)
from ansible_collections.headroom.memory.plugins.module_utils.oom import events as E
from ansible_collections.headroom.memory.tests.unit.plugins.module_utils.early_warning.test_ew_collect import samples

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "fixtures")
JOURNAL = os.path.join(FIXTURES, "oom", "111-genuine-6.18-journalctl-k-json.log")
MIB = 1024 * 1024
CG = "sys/fs/cgroup"


def promtool_ok(promtool, text):
    run = subprocess.run([promtool, "check", "metrics"], input=text.encode(), capture_output=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr


def fake_host(tmp_path, units):
    """/proc with meminfo and a cgroup2 mount; ``units``: {cgroup path below the root: (limit, usage)}."""
    proc = tmp_path / "proc"
    (proc / "self").mkdir(parents=True)
    (proc / "sys" / "kernel" / "random").mkdir(parents=True)
    (proc / "meminfo").write_text("MemTotal: 1000000 kB\nMemAvailable: 500000 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\n")
    (proc / "stat").write_text("cpu  1 2 3 4\nbtime 1000000000\n")
    (proc / "sys" / "kernel" / "random" / "boot_id").write_text("b00710\n")
    (proc / "self" / "mountinfo").write_text(
        "30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw\n")
    root = tmp_path / "root"
    (root / CG).mkdir(parents=True)
    (root / CG / "cgroup.controllers").write_text("memory\n")
    for path, (limit, used) in units.items():
        d = root / CG / path
        d.mkdir(parents=True)
        (d / "memory.max").write_text("%s\n" % limit)
        (d / "memory.current").write_text("%d\n" % used)
    return proc, root


def run(tmp_path, proc, root, *extra):
    out = tmp_path / "m.prom"
    argv = ["--output", str(out), "--state", str(tmp_path / "state.json"), "--proc", str(proc),
            "--rootfs", str(root)] + list(extra)
    assert C.main(argv) == 0
    return out.read_text()


def test_same_unit_name_in_two_cgroups_gives_two_series(tmp_path, promtool):
    """Finding 1: two containers (or a user's systemd-run --user --unit=db.service) with a limited db.service."""
    proc, root = fake_host(tmp_path, {
        "system.slice/db.service": (512 * MIB, 500 * MIB),
        "user.slice/user-1000.slice/user@1000.service/app.slice/db.service": (64 * MIB, 8 * MIB),
    })
    text = run(tmp_path, proc, root, "--oom-file", str(tmp_path / "none.log"))
    promtool_ok(promtool, text)
    assert samples(text, "headroom_unit_memory_max_bytes") == {
        'cgroup="/system.slice/db.service",unit="db.service"': 512 * MIB,
        'cgroup="/user.slice/user-1000.slice/user@1000.service/app.slice/db.service",unit="db.service"': 64 * MIB}
    assert len(samples(text, "headroom_unit_memory_current_bytes")) == 2
    assert samples(text, "headroom_collector_errors_total") == {"": 0}


def test_cgroup_paths_equal_in_their_first_200_characters_are_folded(tmp_path, promtool):
    deep = "/".join(["machine.slice", "x" * 120, "y" * 100])
    proc, root = fake_host(tmp_path, {deep + "/a/db.service": (100 * MIB, 10 * MIB),
                                      deep + "/b/db.service": (50 * MIB, 5 * MIB)})
    text = run(tmp_path, proc, root, "--oom-file", str(tmp_path / "none.log"))
    promtool_ok(promtool, text)
    assert list(samples(text, "headroom_unit_memory_max_bytes").values()) == [150 * MIB]
    assert list(samples(text, "headroom_unit_memory_current_bytes").values()) == [15 * MIB]
    assert samples(text, "headroom_unit_memory_limited_units") == {"": 2}
    assert samples(text, "headroom_collector_errors_total") == {"": 0}


def test_long_oom_unit_names_sharing_200_characters_are_one_series(tmp_path, promtool):
    """Finding 2: every run re-reads the boot, so a collision used to fail every run until reboot."""
    stem = "u" * MAX_LABEL_LEN
    events = [{"killer": "kernel", "unit": stem + "1.service", "time": "2026-11-30T10:00:00Z",
               "victim": {"pid": 1, "comm": "hog"}},
              {"killer": "kernel", "unit": stem + "2.service", "time": "2026-11-30T10:01:00Z",
               "victim": {"pid": 2, "comm": "hog"}}]
    state = C.oom_update(None, "b", events, 10)
    assert [(s["unit"], s["count"]) for s in state["series"]] == [(stem, 2)]
    problems = []
    text = render(C.oom_families(state), problems)
    assert problems == []
    assert samples(text, "headroom_oom_kills_total") == {'comm="hog",killer="kernel",unit="%s"' % stem: 2}
    promtool_ok(promtool, text)
    # a state written before the cut (two rows that are now one label set) is merged, counts kept
    old = {"version": C.STATE_VERSION, "boot_id": "b", "seen": [], "series": [
        {"killer": "kernel", "unit": stem + "1.service", "comm": "hog", "count": 3, "last": 5.0},
        {"killer": "kernel", "unit": stem + "2.service", "comm": "hog", "count": 4, "last": 9.0}]}
    merged = C.oom_update(old, "b", [], 10)
    assert [(s["unit"], s["count"], s["last"]) for s in merged["series"]] == [(stem, 7, 9.0)]


def test_render_leaves_a_duplicate_out_and_says_so():
    fams = [family("headroom_x_bytes", "gauge", "x", [({"a": "1"}, 1), ({"a": "1"}, 2), ({"a": "2"}, 3)]),
            family("headroom_x_bytes", "gauge", "again", [({}, 1)])]
    problems = []
    text = render(fams, problems)
    assert samples(text, "headroom_x_bytes") == {'a="1"': 1, 'a="2"': 3}
    assert len(problems) == 2 and 'a="1"' in problems[0] and "listed twice" in problems[1]


def test_a_bad_series_is_counted_not_fatal(tmp_path, monkeypatch, capsys, promtool):
    proc, root = fake_host(tmp_path, {"system.slice/db.service": (512 * MIB, 500 * MIB)})

    def broken(limited, top):
        return [family("headroom_unit_memory_max_bytes", "gauge", "dup", [({"unit": "a"}, 1), ({"unit": "a"}, 2)])]

    def raising(state, sources=()):
        raise ValueError("metric headroom_oom_kills_total: a counter cannot be negative (-1)")

    monkeypatch.setattr(C, "unit_families", broken)
    monkeypatch.setattr(C, "oom_families", raising)
    text = run(tmp_path, proc, root, "--oom-file", str(tmp_path / "none.log"))
    promtool_ok(promtool, text)
    assert samples(text, "headroom_unit_memory_max_bytes") == {'unit="a"': 1}
    assert samples(text, "headroom_memory_available_bytes") == {"": 500000 * 1024}
    assert samples(text, "headroom_collector_errors_total") == {"": 2}
    err = capsys.readouterr().err
    assert "two samples with the labels" in err and "cannot be negative" in err
    # a counter: the next run of the same boot adds to it
    again = run(tmp_path, proc, root, "--oom-file", str(tmp_path / "none.log"))
    assert samples(again, "headroom_collector_errors_total") == {"": 4}


def kill_entries(n, pad=1500):
    """``n`` synthetic kernel OOM reports as journalctl -o json lines (3 entries each, ~``pad`` bytes each)."""
    filler = "f" * pad
    for i in range(n):
        pid = 10000 + i
        base = {"_TRANSPORT": "kernel", "SYSLOG_IDENTIFIER": "kernel", "_BOOT_ID": "b", "_HOSTNAME": "vm",
                "__REALTIME_TIMESTAMP": str(1795633865725591 + i * 1000000),
                "__MONOTONIC_TIMESTAMP": str(203877836 + i * 1000000),
                "_SOURCE_MONOTONIC_TIMESTAMP": str(160084212 + i * 1000000), "X_FILLER": filler}
        for j, msg in enumerate((
                "hog%d invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0" % (i % 7),
                "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,"
                "oom_memcg=/system.slice/u%d.service,task_memcg=/system.slice/u%d.service,task=hog%d,pid=%d,uid=0"
                % (i % 7, i % 7, i % 7, pid),
                "Memory cgroup out of memory: Killed process %d (hog%d) total-vm:75176kB, anon-rss:65280kB, "
                "file-rss:6664kB, shmem-rss:0kB, UID:0 pgtables:192kB oom_score_adj:0" % (pid, i % 7))):
            entry = dict(base, MESSAGE=msg, __CURSOR="s=abc;i=%x;b=b;m=%x" % (i * 3 + j, i))
            yield (json.dumps(entry) + "\n").encode()


def test_a_long_journal_is_counted_with_bounded_memory():
    """Finding 3: 12,000 OOM-ish entries (~19 MB of journalctl output, 1.6 KB each) pass through a few MB."""
    n = 4000
    total = [0]

    def stream():
        for line in kill_entries(n):
            total[0] += len(line)
            yield line

    tracemalloc.start()
    try:
        state, entries = C.count_journal(stream(), None, "b", 5, batch=500)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert entries == 3 * n and total[0] > 18 * MIB
    assert peak < 6 * MIB, peak  # about 2 MB: a batch of records and the seen list
    assert sum(s["count"] for s in state["series"]) == n
    assert len(state["series"]) == 5 + 1  # max_oom_series own series, the rest under __other__
    assert state["cursor"] == "s=abc;i=%x;b=b;m=%x" % (3 * n - 1, n - 1)


def test_batches_cut_where_a_report_starts_count_like_one_read():
    lines = list(kill_entries(50, pad=0))
    whole, _n = C.count_journal(lines, None, "b", 100, batch=10 ** 6)
    cut, _n = C.count_journal(lines, None, "b", 100, batch=7)
    assert cut["series"] == whole["series"] and sum(s["count"] for s in cut["series"]) == 50


def test_a_systemd_notice_read_after_its_kill_is_not_a_second_kill():
    kill = {"killer": "kernel", "unit": "db.service", "time": "2026-11-30T10:00:00Z", "victim": {"pid": 7, "comm": "x"}}
    notice = {"killer": "kernel", "unit": "db.service", "time": "2026-11-30T10:00:01Z", "victim": {"pid": None}}
    state = C.oom_update(C.oom_update(None, "b", [kill], 10), "b", [notice], 10)
    assert [s["count"] for s in state["series"]] == [1]
    later = dict(notice, time="2026-11-30T11:00:00Z")
    assert sum(s["count"] for s in C.oom_update(state, "b", [later], 10)["series"]) == 2
    assert C.NOTICE_TOLERANCE == E.NOTICE_UNIT_TOLERANCE


FAKE_JOURNALCTL = r'''
import json, sys
args = sys.argv[1:]
with open(sys.argv[0] + ".calls", "a") as f:
    f.write(json.dumps(args) + "\n")
after = [a.split("=", 1)[1] for a in args if a.startswith("--after-cursor=")]
with open(%r) as f:
    lines = f.read().splitlines()
if after:
    cursors = [json.loads(l)["__CURSOR"] for l in lines]
    lines = lines[cursors.index(after[0]) + 1:] if after[0] in cursors else lines
with open(sys.argv[0] + ".extra") as f:
    lines += f.read().splitlines()
sys.stdout.write("".join(l + "\n" for l in lines))
'''


def test_cursor_kept_in_the_state_and_used_next_run(tmp_path, promtool):
    proc, root = fake_host(tmp_path, {})
    script = tmp_path / "journalctl"
    script.write_text("#!%s\n%s" % (sys.executable, FAKE_JOURNALCTL % JOURNAL))
    script.chmod(0o755)
    (tmp_path / "journalctl.extra").write_text("")
    first = run(tmp_path, proc, root, "--oom-source", "journal", "--journalctl", str(script))
    promtool_ok(promtool, first)
    kills = samples(first, "headroom_oom_kills_total")
    assert kills and samples(first, "headroom_oom_source_readable") == {'source="journal"': 1}
    with open(JOURNAL) as f:
        last = json.loads(f.read().splitlines()[-1])["__CURSOR"]
    state = json.loads((tmp_path / "state.json").read_text())
    assert state["cursor"] == last
    # the next run asks only for what is after the cursor: nothing new, counters stay
    second = run(tmp_path, proc, root, "--oom-source", "journal", "--journalctl", str(script))
    assert samples(second, "headroom_oom_kills_total") == kills
    calls = [json.loads(c) for c in (tmp_path / "journalctl.calls").read_text().splitlines()]
    assert "--since" in calls[0] and not any(a.startswith("--after-cursor") for a in calls[0])
    assert "--after-cursor=" + last in calls[1] and "--since" not in calls[1]
    # a new kill after the cursor is counted once, and the cursor moves to it
    entry = next(kill_entries(1, pad=0)).decode().replace("s=abc;", "s=new;")
    (tmp_path / "journalctl.extra").write_text(entry)
    third = run(tmp_path, proc, root, "--oom-source", "journal", "--journalctl", str(script))
    assert sum(samples(third, "headroom_oom_kills_total").values()) == sum(kills.values()) + 1
    assert json.loads((tmp_path / "state.json").read_text())["cursor"].startswith("s=new;")


def test_a_cursor_that_is_not_one_is_dropped(tmp_path):
    proc, root = fake_host(tmp_path, {})
    script = tmp_path / "journalctl"
    script.write_text("#!%s\n%s" % (sys.executable, FAKE_JOURNALCTL % JOURNAL))
    script.chmod(0o755)
    (tmp_path / "journalctl.extra").write_text("")
    state = C.new_state("b00710")
    state["cursor"] = "s=1 --since=1970-01-01; rm -rf /"
    (tmp_path / "state.json").write_text(json.dumps(state))
    run(tmp_path, proc, root, "--oom-source", "journal", "--journalctl", str(script))
    calls = [json.loads(c) for c in (tmp_path / "journalctl.calls").read_text().splitlines()]
    assert not any("rm -rf" in a or a.startswith("--after-cursor") for a in calls[0]) and "--since" in calls[0]
    assert C.valid_cursor("s=9ac0;i=15a;b=69bc;m=c26edc5;t=6611e96b69690;x=3472d6") is not None


def test_a_cursor_the_journal_no_longer_has_reads_the_boot_again(tmp_path):
    proc, root = fake_host(tmp_path, {})
    script = tmp_path / "journalctl"
    script.write_text("#!%s\nimport json, sys\nargs = sys.argv[1:]\n"
                      "open(sys.argv[0] + '.calls', 'a').write(json.dumps(args) + '\\n')\n"
                      "if any(a.startswith('--after-cursor=') for a in args):\n"
                      "    sys.stderr.write('Failed to seek to cursor: Invalid argument\\n'); sys.exit(1)\n"
                      "sys.stdout.write(open(%r).read())\n" % (sys.executable, JOURNAL))
    script.chmod(0o755)
    state = C.new_state("b00710")
    state["cursor"] = "s=gone;i=1;b=b00710"
    (tmp_path / "state.json").write_text(json.dumps(state))
    text = run(tmp_path, proc, root, "--oom-source", "journal", "--journalctl", str(script))
    assert samples(text, "headroom_oom_source_readable") == {'source="journal"': 1}
    assert samples(text, "headroom_oom_kills_total")
    calls = [json.loads(c) for c in (tmp_path / "journalctl.calls").read_text().splitlines()]
    assert [any(a.startswith("--after-cursor=") for a in c) for c in calls] == [True, False]
    assert json.loads((tmp_path / "state.json").read_text())["cursor"] != "s=gone;i=1;b=b00710"
