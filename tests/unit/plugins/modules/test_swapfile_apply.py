# -*- coding: utf-8 -*-
"""The swapfile module's real-change path with the kernel faked: run_command plays fallocate, dd, mkswap,
swapon and swapoff against a fake /proc/swaps, and /etc/fstab is a temporary file. The files themselves
are real (on a disk filesystem under /var/tmp), so every unlink, mode and fstab byte is checked for real.

What only the kernel can prove (swapon accepting the file, memory moving on swapoff) is in molecule/swap.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import stat

import pytest
from ansible.module_utils.basic import AnsibleModule
from ansible_collections.headroom.memory.tests.unit.plugins.modules.module_args import run_module

from ansible_collections.headroom.memory.plugins.modules import swapfile

MIB = 1024 ** 2
GIB = 1024 ** 3
PAGE = os.sysconf("SC_PAGE_SIZE")
FSTAB_TEXT = "# /etc/fstab\nUUID=abc / ext4 defaults 0 1\n"


class FakeKernel(object):
    """/proc/swaps and the commands that change it; ``fail`` maps a command name to (rc, err) once."""

    def __init__(self):
        self.swaps = []
        self.commands = []
        self.fail = {}

    def run(self, args, **kwargs):  # pylint: disable=unused-argument
        name = os.path.basename(args[0])
        self.commands.append([name] + list(args[1:]))
        if name in self.fail:
            rc, err = self.fail.pop(name)
            return rc, "", err
        target = args[-1]
        if name == "fallocate":
            with open(target, "r+b") as f:
                f.truncate(int(args[args.index("-l") + 1]))
        elif name == "dd":
            size = int([a for a in args if a.startswith("count=")][0][len("count="):])
            with open([a for a in args if a.startswith("of=")][0][len("of="):], "r+b") as f:
                f.truncate(size)
        elif name == "mkswap":
            with open(target, "r+b") as f:
                f.seek(PAGE - 10)
                f.write(b"SWAPSPACE2")
        elif name == "swapon":
            prio = int(args[args.index("-p") + 1]) if "-p" in args else -2
            self.swaps.append({"path": target, "type": "file", "size_bytes": os.path.getsize(target),
                               "used_bytes": 0, "priority": prio})
        elif name == "swapoff":
            self.swaps = [s for s in self.swaps if s["path"] != target]
        return 0, "", ""

    def names(self):
        return [c[0] for c in self.commands]


@pytest.fixture
def host(disk_dir, monkeypatch):
    """A disk directory, a temporary fstab and a fake kernel wired into the module."""
    d = disk_dir
    fstab = os.path.join(d, "fstab")
    with open(fstab, "w") as f:
        f.write(FSTAB_TEXT)
    kernel = FakeKernel()
    monkeypatch.setattr(swapfile, "FSTAB", fstab)
    monkeypatch.setattr(swapfile.Swap, "swaps", lambda self: [dict(s) for s in kernel.swaps])
    monkeypatch.setattr(swapfile.Swap, "memory", lambda self: (8 * GIB, None, None, 4 * 1024 * 1024))
    monkeypatch.setattr(swapfile.swap_proc, "has_cap_sys_admin", lambda text: True)
    monkeypatch.setattr(AnsibleModule, "run_command", lambda self, args, **kw: kernel.run(args, **kw))
    monkeypatch.setattr(AnsibleModule, "get_bin_path", lambda self, name, required=False, opt_dirs=None: "/sbin/" + name)
    monkeypatch.setattr(swapfile.os, "chown", lambda path, uid, gid: None)  # root-owned is checked in molecule
    kernel.dir, kernel.fstab = d, fstab
    kernel.path = os.path.join(d, "swapfile")
    return kernel


def run(capsys, args):
    return run_module(capsys, swapfile.main, args)


def fstab(host):
    with open(host.fstab) as f:
        return f.read()


def create(host, capsys, size="16M", **extra):
    args = dict({"path": host.path, "size": size, "priority": 5, "method": "fallocate"}, **extra)
    code, out = run(capsys, args)
    assert code == 0, out
    return out


def test_create_allocates_formats_activates_and_adds_the_fstab_line(host, capsys):
    out = create(host, capsys)
    assert host.names() == ["fallocate", "mkswap", "swapon"]
    assert host.commands[-1] == ["swapon", "-p", "5", host.path]
    assert os.path.getsize(host.path) == 16 * MIB and stat.S_IMODE(os.stat(host.path).st_mode) == 0o600
    assert out["changed"] and out["action"] == "create" and out["method"] == "fallocate"
    assert out["active"] is True and out["priority"] == 5 and out["size_bytes"] == 16 * MIB
    line = "%s none swap sw,nofail,pri=5 0 0" % host.path
    assert out["fstab_line"] == line and fstab(host) == FSTAB_TEXT + line + "\n"
    assert "backup_file" not in out


def test_a_second_run_changes_nothing(host, capsys):
    create(host, capsys)
    host.commands = []
    out = create(host, capsys)
    assert out["changed"] is False and out["action"] == "none" and host.commands == []


def test_backup_copies_fstab_before_changing_it(host, capsys):
    out = create(host, capsys, backup=True)
    with open(out["backup_file"]) as f:
        assert f.read() == FSTAB_TEXT
    assert fstab(host) != FSTAB_TEXT


def test_fstab_keeps_its_mode(host, capsys):
    os.chmod(host.fstab, 0o640)
    create(host, capsys)
    assert stat.S_IMODE(os.stat(host.fstab).st_mode) == 0o640


def test_resize_goes_through_a_transition_file_and_removes_it(host, capsys):
    create(host, capsys)
    host.commands = []
    out = create(host, capsys, size="32M")
    tmp = os.path.join(host.dir, ".swapfile.headroom-resize")
    assert [c[0] + " " + c[-1] for c in host.commands] == [
        "fallocate " + tmp, "mkswap " + tmp, "swapon " + tmp,   # the transition file first: swap never drops
        "swapoff " + host.path, "fallocate " + host.path, "mkswap " + host.path, "swapon " + host.path,
        "swapoff " + tmp]
    assert not os.path.lexists(tmp)
    assert [s["path"] for s in host.swaps] == [host.path]
    assert out["action"] == "resize" and out["resized"] and out["size_bytes"] == 32 * MIB
    assert os.path.getsize(host.path) == 32 * MIB


def test_reprioritize_keeps_the_size(host, capsys):
    create(host, capsys)
    out = create(host, capsys, priority=9)
    assert out["action"] == "reprioritize" and out["priority"] == 9
    assert host.swaps[0]["priority"] == 9 and os.path.getsize(host.path) == 16 * MIB
    assert "pri=9" in fstab(host) and "pri=5" not in fstab(host)


def test_swapon_rejecting_a_preallocated_file_falls_back_to_dd(host, capsys):
    host.fail["swapon"] = (255, "swapon: swapfile has holes")
    out = create(host, capsys)
    assert host.names() == ["fallocate", "mkswap", "swapon", "dd", "mkswap", "swapon"]
    assert out["method"] == "dd" and out["active"] is True and os.path.getsize(host.path) == 16 * MIB


def test_swapon_not_permitted_deletes_the_new_file_and_leaves_fstab(host, capsys):
    host.fail["swapon"] = (255, "swapon: Operation not permitted")
    code, out = run(capsys, {"path": host.path, "size": "16M", "method": "fallocate"})
    assert code == 1 and "swapon is not permitted here" in out["msg"] and "deleted again" in out["msg"]
    assert not os.path.lexists(host.path) and fstab(host) == FSTAB_TEXT and host.swaps == []


def test_activate_turns_on_an_existing_swap_file(host, capsys):
    create(host, capsys)
    host.swaps, host.commands = [], []
    out = create(host, capsys)
    assert out["action"] == "activate" and host.names() == ["swapon"] and out["active"] is True


def test_remove_turns_off_deletes_and_drops_the_fstab_line(host, capsys):
    create(host, capsys)
    host.commands = []
    code, out = run(capsys, {"path": host.path, "state": "absent"})
    assert code == 0 and out["action"] == "remove" and out["removed"] and out["changed"]
    assert host.names() == ["swapoff"] and not os.path.lexists(host.path)
    assert host.swaps == [] and fstab(host) == FSTAB_TEXT
    assert out["active"] is False and out["size_bytes"] == 0


def test_a_wrong_mode_is_fixed_without_touching_the_swap(host, capsys):
    create(host, capsys)
    os.chmod(host.path, 0o644)
    host.commands = []
    out = create(host, capsys)
    assert out["changed"] is True and out["action"] == "none" and host.commands == []
    assert stat.S_IMODE(os.stat(host.path).st_mode) == 0o600


def test_a_failed_mkswap_fails_with_its_stderr_deletes_the_file_and_claims_nothing(host, capsys):
    host.fail["mkswap"] = (1, "mkswap: error: swap area needs to be at least 40 KiB")
    code, out = run(capsys, {"path": host.path, "size": "16M", "priority": 5, "method": "fallocate"})
    assert code == 1 and "mkswap" in out["msg"] and "needs to be at least 40 KiB" in out["msg"]
    assert "deleted again" in out["msg"]
    assert host.names() == ["fallocate", "mkswap"]  # no swapon of a file that is not swap
    assert not os.path.lexists(host.path) and fstab(host) == FSTAB_TEXT and host.swaps == []
    assert out["created"] is False and out["active"] is False and out["priority"] is None
    assert out["size_bytes"] == 0 and out["changed"] is False and out["fstab_line"] is None


def test_mkswap_is_mounted_names_the_other_containers_file_and_deletes_ours(host, capsys):
    # /proc/swaps changed between the plan and mkswap: another container turned on its own file of this path
    host.fail["mkswap"] = (1, "mkswap: %s is mounted; will not make swapspace" % host.path)
    code, out = run(capsys, {"path": host.path, "size": "16M", "method": "fallocate"})
    assert code == 1 and "is mounted; will not make swapspace" in out["msg"]
    assert "another container's swap file of the same path" in out["msg"] and "deleted again" in out["msg"]
    assert not os.path.lexists(host.path) and out["created"] is False and out["active"] is False


def foreign(host):
    """Another container's active swap file at the same path: the kernel lists it, this container has no file."""
    host.swaps.append({"path": host.path, "type": "file", "size_bytes": GIB - PAGE, "used_bytes": 0, "priority": -2})


def test_another_containers_swap_file_at_the_same_path_is_refused_before_anything(host, capsys):
    foreign(host)
    code, out = run(capsys, {"path": host.path, "size": "16M", "method": "fallocate"})
    assert code == 1 and out["changed"] is False
    assert out["msg"].startswith("refusing to create %s: the kernel's swap list (/proc/swaps) has an active swap file at %s ("
                                 % (host.path, host.path))
    assert "Another container sharing this kernel" in out["msg"] and "there is no file at that path here" in out["msg"]
    assert host.commands == [] and not os.path.lexists(host.path) and fstab(host) == FSTAB_TEXT


def test_another_containers_swap_file_is_not_reported_as_ours_when_absent(host, capsys):
    foreign(host)
    code, out = run(capsys, {"path": host.path, "state": "absent"})
    assert code == 0 and out["changed"] is False and out["action"] == "none"
    assert out["active"] is False and out["priority"] is None and host.commands == []
    assert len(host.swaps) == 1  # the other container's swap is left alone


def test_a_failed_resize_reports_the_file_as_it_still_is(host, capsys):
    create(host, capsys)
    host.commands = []
    host.fail["mkswap"] = (1, "mkswap: cannot open transition file")
    code, out = run(capsys, {"path": host.path, "size": "32M", "priority": 5, "method": "fallocate"})
    tmp = os.path.join(host.dir, ".swapfile.headroom-resize")
    assert code == 1 and "cannot open transition file" in out["msg"]
    assert not os.path.lexists(tmp) and os.path.getsize(host.path) == 16 * MIB
    assert out["resized"] is False and out["active"] is True and out["priority"] == 5
    assert out["size_bytes"] == 16 * MIB and out["changed"] is False
    assert [s["path"] for s in host.swaps] == [host.path]
