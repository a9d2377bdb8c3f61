# -*- coding: utf-8 -*-
"""The swapfile module's check mode on this machine's real /proc and /etc/fstab: it predicts the change,
shows the diff and touches nothing. Refusals (bad input, a data file) leave the path as it was.

Only check mode and refusals run here: real swapon/swapoff is proved in molecule/swap and molecule/swap-refusals.
"""

import hashlib
import os

import pytest
from ansible_collections.headroom.memory.tests.unit.plugins.modules.module_args import run_module

from ansible_collections.headroom.memory.plugins.modules import swapfile

MIB = 1024 ** 2


def run(capsys, args):
    return run_module(capsys, swapfile.main, args)


def fstab_digest():
    try:
        with open("/etc/fstab", "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except IOError:
        return None


def test_check_mode_creation_predicts_and_touches_nothing(disk_dir, capsys):
    path = os.path.join(disk_dir, "swapfile")
    before = fstab_digest()
    code, out = run(capsys, {"path": path, "size": "16M", "priority": 7, "_ansible_check_mode": True,
                             "_ansible_diff": True})
    assert code == 0, out
    assert out["changed"] is True and out["action"] == "create" and out["created"] is True
    assert out["size_bytes"] == 16 * MIB and out["active"] is True and out["priority"] == 7
    assert out["fstab_line"] == "%s none swap sw,nofail,pri=7 0 0" % path
    swap_diff, fstab_diff = out["diff"]
    assert "-size: 0" in "\n".join("-" + line for line in swap_diff["before"].splitlines())
    assert "size: %d" % (16 * MIB) in swap_diff["after"]
    assert fstab_diff["after"].endswith("%s none swap sw,nofail,pri=7 0 0\n" % path)
    assert not os.path.exists(path)
    assert os.listdir(disk_dir) == []
    assert fstab_digest() == before


def test_refuses_data_file_and_keeps_its_bytes(tmp_path, capsys):
    path = tmp_path / "data"
    path.write_bytes(b"precious" * 1000)
    code, out = run(capsys, {"path": str(path), "size": "16M"})
    assert code == 1
    assert "refusing to overwrite %s: it is a regular file of 8000 bytes that is not a swap area" % path in out["msg"]
    assert path.read_bytes() == b"precious" * 1000


@pytest.mark.parametrize("args, message", [
    ({"size": "16 parsecs"}, "size: size '16 parsecs' is not understood"),
    ({"size": "16M", "priority": 40000}, "priority 40000 is out of range"),
    ({"size": "16M", "min_free_disk": "lots"}, "min_free_disk: size 'lots' is not understood"),
    ({"size": "16K"}, "a swap file needs at least 1M"),
])
def test_bad_input_fails_before_anything(tmp_path, capsys, args, message):
    args = dict(args, path=str(tmp_path / "swapfile"))
    code, out = run(capsys, args)
    assert code == 1 and message in out["msg"]
    assert os.listdir(str(tmp_path)) == []


def test_absent_and_missing_changes_nothing(tmp_path, capsys):
    code, out = run(capsys, {"path": str(tmp_path / "nothing"), "state": "absent", "_ansible_check_mode": True})
    assert code == 0
    assert out["changed"] is False and out["action"] == "none" and out["active"] is False
