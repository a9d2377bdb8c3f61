# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PM2's threshold restarts from pm2.log: the lines PM2 5.4.3 writes (fixture), names by pm_id, the cursor kept
by inode and offset, rotation and truncation, the cap per run, symlinks refused, and whole runs over a fake /proc
holding a God Daemon whose root is a directory of the test."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.headroom.memory.plugins.module_utils.early_warning import pm2log as P
from ansible_collections.headroom.memory.plugins.module_utils.early_warning.textfile import OTHER, render
from ansible_collections.headroom.memory.plugins.module_utils.node.pm2 import Pm2Error

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "..", "..", "fixtures", "early_warning", "pm2.log.txt")
RESTART = (b"2026-12-07T22:00:00: PM2 log: [PM2][WORKER] Process %d restarted because it exceeds "
           b"--max-memory-restart value (current_memory=9 max_memory_limit=8 [octets])\n")


def fixture():
    with open(FIXTURE, "rb") as f:
        return f.read()


def test_restarts_and_names_from_pm2_543_lines():
    restarts, names = P.parse_log(fixture(), {})
    # pm_id 7 was never named; the PM2 error line with the same words is not a restart; the crafted name is kept
    # whole (greedy to the last ":<id>] starting in") and never becomes another app's name
    assert restarts == [("0", "hr-pm2-leak"), ("7", None)]
    assert names == {"0": "hr-pm2-leak", "1": "hr-pm2-web", "2": "evil:9] starting in -fork mode-"}


def test_a_name_learnt_in_an_earlier_run_labels_the_restart():
    restarts, names = P.parse_log(RESTART % 4, {"4": "api"})
    assert restarts == [("4", "api")] and names == {"4": "api"}


def test_names_with_control_characters_or_too_long_lines_are_ignored():
    data = (b"x: PM2 log: App [a\x1bb:3] online\n" + b"x: PM2 log: App [" + b"n" * P.MAX_LINE + b":4] online\n"
            + RESTART % 3)
    assert P.parse_log(data, {}) == ([("3", None)], {})


def write(path, data, mode="ab"):
    with open(str(path), mode) as f:
        f.write(data)


def read(path, cursor, cap=P.MAX_READ):
    fd = os.open(str(path), os.O_RDONLY)
    try:
        return P.read_new(fd, cursor, cap)
    finally:
        os.close(fd)


def test_cursor_reads_only_what_is_new_and_leaves_a_part_line(tmp_path):
    log = tmp_path / "pm2.log"
    write(log, RESTART % 1 + b"2026-12-07T22:00:01: PM2 log: App [x:1] onl")
    data, cursor = read(log, None)
    assert data == RESTART % 1 and cursor == {"inode": os.stat(str(log)).st_ino, "offset": len(RESTART % 1)}
    write(log, b"ine\n")
    data, cursor2 = read(log, cursor)
    assert data == b"2026-12-07T22:00:01: PM2 log: App [x:1] online\n"
    assert read(log, cursor2) == (b"", cursor2)


def test_rotated_or_truncated_log_is_read_from_the_start(tmp_path):
    log = tmp_path / "pm2.log"
    write(log, RESTART % 1 * 3)
    _data, cursor = read(log, None)
    write(log, RESTART % 2, mode="wb")  # truncated: shorter than the offset
    assert read(log, cursor)[0] == RESTART % 2
    os.rename(str(log), str(tmp_path / "pm2.log.1"))  # rotated: a new inode, even if longer
    write(log, RESTART % 3 * 4)
    data, new = read(log, dict(cursor, offset=len(RESTART % 3)))
    assert data == RESTART % 3 * 4 and new["inode"] != cursor["inode"]
    # a cursor that is not one (the state file is data) starts again at 0
    assert read(log, {"inode": new["inode"], "offset": "12"})[0] == RESTART % 3 * 4


def test_cap_bounds_one_run_and_the_rest_comes_next(tmp_path):
    log = tmp_path / "pm2.log"
    write(log, RESTART % 1 * 10)
    cap = len(RESTART % 1) * 3 + 5
    data, cursor = read(log, None, cap)
    assert data == RESTART % 1 * 3
    total = 3
    while True:
        data, cursor = read(log, cursor, cap)
        if not data:
            break
        total += data.count(b"\n")
    assert total == 10
    # one line longer than the cap is skipped whole, never counted
    write(log, b"y" * 100 + b"\n" + RESTART % 5)
    data, cursor = read(log, cursor, 50)
    assert data == b""
    data, cursor = read(log, cursor, 50)
    data, cursor = read(log, cursor, 200)
    assert P.parse_log(data, {})[0] == [("5", None)]


def fake_daemon(tmp_path, home="/root/.pm2", pid=321):
    """A /proc with one God Daemon (and one other process) whose root is tmp_path/rootfs."""
    proc, rootfs = tmp_path / "proc", tmp_path / "rootfs"
    (rootfs / home.lstrip("/")).mkdir(parents=True)
    for p, comm, cmdline in ((pid, "PM2 v5.4.3: God", "PM2 v5.4.3: God Daemon (%s)\0" % home),
                             (77, "node", "node\0app.js\0")):
        (proc / str(p)).mkdir(parents=True)
        (proc / str(p) / "comm").write_text(comm + "\n")
        (proc / str(p) / "cmdline").write_text(cmdline)
        os.symlink(str(rootfs), str(proc / str(p) / "root"))
    return str(proc), rootfs / home.lstrip("/") / "pm2.log"


def test_whole_runs_over_a_daemon_count_each_restart_once(tmp_path):
    proc, log = fake_daemon(tmp_path)
    assert P.find_homes(proc) == [("/root/.pm2", 321)]
    write(log, fixture())
    state, problems = P.pm2_source(None, proc=proc)
    assert problems == []
    rows = {(s["app"], s["pm_id"]): s["count"] for s in state["series"]}
    # every named app has its series (at 0 until it restarts); the restart of an unnamed pm_id is "unknown"
    assert rows == {("hr-pm2-leak", "0"): 1, ("unknown", "7"): 1, ("hr-pm2-web", "1"): 0,
                    ("evil:9] starting in -fork mode-", "2"): 0}
    state, _p = P.pm2_source(state, proc=proc)
    assert {(s["app"], s["pm_id"]): s["count"] for s in state["series"]} == rows
    write(log, RESTART % 1 + RESTART % 0)
    state, _p = P.pm2_source(state, proc=proc)
    rows = {(s["app"], s["pm_id"]): s["count"] for s in state["series"]}
    assert rows[("hr-pm2-web", "1")] == 1 and rows[("hr-pm2-leak", "0")] == 2
    text = render(P.pm2_families(state))
    assert 'headroom_pm2_memory_restarts_total{app="hr-pm2-leak",home="/root/.pm2",pm_id="0"} 2' in text
    # a new boot keeps the cursor and names, and counts from 0
    state, _p = P.pm2_source(state, new_boot=True, proc=proc)
    assert {(s["app"], s["pm_id"]): s["count"] for s in state["series"]}[("hr-pm2-leak", "0")] == 0
    assert state["homes"]["/root/.pm2"]["names"]["0"] == "hr-pm2-leak"


def test_series_beyond_the_cap_fold_into_other(tmp_path):
    proc, log = fake_daemon(tmp_path)
    write(log, b"".join(RESTART % i for i in range(5)))
    state, _p = P.pm2_source(None, max_series=2, proc=proc)
    rows = {(s["app"], s["pm_id"]): s["count"] for s in state["series"]}
    assert rows == {("unknown", "0"): 1, ("unknown", "1"): 1, (OTHER, OTHER): 3}


def test_a_symlinked_log_or_a_fifo_is_not_read(tmp_path):
    proc, log = fake_daemon(tmp_path)
    secret = tmp_path / "secret"
    write(secret, RESTART % 1)
    os.symlink(str(secret), str(log))
    state, problems = P.pm2_source(None, proc=proc)
    assert state["series"] == [] and "symlink" in problems[0]
    os.unlink(str(log))
    os.mkfifo(str(log))
    with pytest.raises(Pm2Error, match="not a regular file"):
        P.open_log("/root/.pm2", 321, proc)


def test_no_daemon_no_work(tmp_path):
    (tmp_path / "proc" / "1").mkdir(parents=True)
    (tmp_path / "proc" / "1" / "comm").write_text("systemd\n")
    assert P.pm2_source(None, proc=str(tmp_path / "proc")) == ({"homes": {}, "series": []}, [])
