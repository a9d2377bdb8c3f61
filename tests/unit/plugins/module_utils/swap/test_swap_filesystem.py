# -*- coding: utf-8 -*-
"""Filesystem detection from mountinfo, the supported/refused table, and the allocation method."""

import pytest

from ansible_collections.headroom.memory.plugins.module_utils.procfs import parse_mountinfo
from ansible_collections.headroom.memory.plugins.module_utils.swap.filesystem import (
    choose_method, fs_verdict, mount_for_path, refusal_message)

MOUNTINFO = """\
22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
23 22 0:21 / /proc rw,nosuid - proc proc rw
24 22 0:5 / /dev/shm rw - tmpfs tmpfs rw
25 22 0:40 / /var/lib/docker/overlay2/x/merged rw - overlay overlay rw,lowerdir=a
26 22 7:0 / /mnt/small\\040disk rw - ext4 /dev/loop0 rw
27 22 0:50 / /srv/data rw - nfs4 server:/export rw
28 22 0:51 / /home/u/fuse rw - fuse.sshfs u@h:/ rw
29 22 0:52 / /tank rw - zfs tank rw
30 22 8:1 / /btr rw - btrfs /dev/sda1 rw
31 24 0:53 / /dev/shm rw - ext4 /dev/sdz rw
"""


def test_parse_and_unescape():
    mounts = parse_mountinfo(MOUNTINFO)
    assert mounts[4] == {"root": "/", "mount_point": "/mnt/small disk", "options": {"rw"}, "fstype": "ext4",
                         "source": "/dev/loop0", "super_options": {"rw"}}
    assert mounts[0]["options"] == {"rw", "relatime"}
    assert mounts[3]["super_options"] == {"rw", "lowerdir=a"}
    assert len(mounts) == 10


@pytest.mark.parametrize("path, fstype", [
    ("/swapfile", "ext4"), ("/proc/x", "proc"), ("/mnt/small disk/swap", "ext4"), ("/srv/data/s", "nfs4"),
    ("/srv/database", "ext4"), ("/home/u/fuse/s", "fuse.sshfs"), ("/tank/swap", "zfs"), ("/btr/swap", "btrfs"),
    # mounted over: the later line is the visible one
    ("/dev/shm/s", "ext4"),
])
def test_mount_for_path(path, fstype):
    assert mount_for_path(parse_mountinfo(MOUNTINFO), path)["fstype"] == fstype


@pytest.mark.parametrize("fstype", ["ext2", "ext3", "ext4", "xfs", "btrfs", "f2fs", "someunknownfs"])
def test_supported(fstype):
    assert fs_verdict(fstype)[0] is True
    assert refusal_message("/s", fstype, "/") is None


@pytest.mark.parametrize("fstype, why", [
    ("tmpfs", "lives in RAM"), ("ramfs", "lives in RAM"), ("overlay", "overlayfs"), ("nfs", "network"),
    ("nfs4", "network"), ("cifs", "SMB"), ("fuse", "user space"), ("fuse.sshfs", "user space"), ("zfs", "ZFS"),
    ("squashfs", "read-only"),
])
def test_refused_with_reason_and_alternative(fstype, why):
    ok, reason, instead = fs_verdict(fstype)
    assert ok is False and why in reason and instead
    msg = refusal_message("/x/swap", fstype, "/x")
    assert msg.startswith("/x/swap would be on a %s filesystem (mounted at /x): " % fstype)
    assert "Instead: " in msg


@pytest.mark.parametrize("fstype, kernel, requested, method", [
    ("ext4", "6.1.0", "auto", "fallocate"),
    ("xfs", "6.1.0", "auto", "fallocate"),
    ("xfs", "4.14.0", "auto", "dd"),
    ("ext3", "6.1.0", "auto", "dd"),
    ("f2fs", "6.1.0", "auto", "dd"),
    ("weirdfs", "6.1.0", "auto", "dd"),
    ("btrfs", "6.1.0", "auto", "btrfs"),
    ("btrfs", "6.1.0", "dd", "btrfs"),
    ("ext4", "6.1.0", "dd", "dd"),
    ("ext3", "6.1.0", "fallocate", "fallocate"),
])
def test_choose_method(fstype, kernel, requested, method):
    assert choose_method(fstype, kernel, requested) == method


def test_btrfs_method_only_on_btrfs():
    with pytest.raises(ValueError, match="only for btrfs"):
        choose_method("ext4", "6.1", "btrfs")
