# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which filesystem a swap file would live on, whether the kernel takes swap files there, and how to make one.

Plain functions over the mount table (memstate.parse_mountinfo), so tests feed them any mount table.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re


# filesystems where the kernel accepts a swap file (through the bmap/swap_activate path)
SUPPORTED = {
    "ext2": "dd",
    "ext3": "dd",
    "ext4": "fallocate",
    "xfs": "fallocate",  # dd below Linux 4.18 (see choose_method)
    "btrfs": "btrfs",
    "f2fs": "dd",
    "jfs": "dd",
    "reiserfs": "dd",
}

# filesystems refused, with why and what to do instead
REFUSED = {
    "tmpfs": ("it lives in RAM (and in swap): a swap file there gives back no memory",
              "put the file on a disk-backed filesystem such as / (ext4, xfs, btrfs), or use zram for compressed RAM swap"),
    "ramfs": ("it lives in RAM: a swap file there gives back no memory",
              "put the file on a disk-backed filesystem such as / (ext4, xfs, btrfs), or use zram"),
    "overlay": ("the kernel rejects swap files on overlayfs (container image layers): swapon fails with 'Invalid argument'",
                "put the file on the filesystem under the overlay (a bind-mounted host directory or a loop-mounted ext4 image), "
                "or manage swap on the host instead of in the container"),
    "aufs": ("the kernel rejects swap files on union filesystems",
             "put the file on a disk-backed filesystem, or manage swap on the host"),
    "nfs": ("swap over a network filesystem can deadlock: writing out memory needs memory for the network",
            "use a local disk; if a network swap is really wanted, the kernel's swap-over-NFS needs a dedicated setup"),
    "nfs4": ("swap over a network filesystem can deadlock: writing out memory needs memory for the network",
             "use a local disk filesystem such as / (ext4, xfs)"),
    "cifs": ("the kernel does not swap to SMB/CIFS shares, and a network swap can deadlock under memory pressure",
             "use a local disk filesystem such as / (ext4, xfs)"),
    "smb3": ("the kernel does not swap to SMB shares, and a network swap can deadlock under memory pressure",
             "use a local disk filesystem such as / (ext4, xfs)"),
    "fuse": ("a FUSE filesystem runs in user space: swapping through a process that may itself be swapped out deadlocks",
             "use a local disk filesystem such as / (ext4, xfs)"),
    "zfs": ("ZFS does not support swap files (swapon fails) and swap on ZFS can deadlock under memory pressure",
            "use a swap partition or a file on a non-ZFS filesystem; OpenZFS advises against swap on a zvol too"),
    "squashfs": ("it is read-only", "use a writable disk filesystem such as / (ext4, xfs)"),
    "iso9660": ("it is read-only", "use a writable disk filesystem such as / (ext4, xfs)"),
    "proc": ("it is a virtual filesystem", "use a disk filesystem such as / (ext4, xfs)"),
    "sysfs": ("it is a virtual filesystem", "use a disk filesystem such as / (ext4, xfs)"),
    "devtmpfs": ("it is a virtual filesystem in RAM", "use a disk filesystem such as / (ext4, xfs)"),
    "vfat": ("the kernel cannot map FAT files for swap reliably", "use ext4, xfs or btrfs"),
    "exfat": ("the kernel cannot map exFAT files for swap reliably", "use ext4, xfs or btrfs"),
}


def mount_for_path(mounts, path):
    """The mount that holds ``path`` (absolute, already resolved): the longest mount point that is a prefix.

    When a mount point is mounted over, the later line in mountinfo is the visible one.
    """
    best = None
    for m in mounts:
        mp = m["mount_point"]
        if path == mp or mp == "/" or path.startswith(mp.rstrip("/") + "/"):
            if best is None or len(mp) >= len(best["mount_point"]):
                best = m
    return best


def existing_parent(path):
    """The path itself when it exists, else its nearest existing ancestor (the file may not exist yet)."""
    p = os.path.abspath(path)
    while not os.path.exists(p):
        parent = os.path.dirname(p)
        if parent == p:
            break
        p = parent
    return os.path.realpath(p)


def fs_verdict(fstype):
    """(supported, why, instead) for a filesystem type. Unknown types are allowed (swapon decides)."""
    base = fstype.split(".", 1)[0]  # fuse.sshfs -> fuse
    if fstype in REFUSED:
        why, instead = REFUSED[fstype]
        return False, why, instead
    if base in REFUSED:
        why, instead = REFUSED[base]
        return False, why, instead
    return True, None, None


def refusal_message(path, fstype, mount_point):
    """A one-line explanation for a refused filesystem, or None when it is supported."""
    ok, why, instead = fs_verdict(fstype)
    if ok:
        return None
    return ("%s would be on a %s filesystem (mounted at %s): %s. Instead: %s."
            % (path, fstype, mount_point, why, instead))


def _kernel_at_least(release, major, minor):
    m = re.match(r"(\d+)\.(\d+)", release or "")
    if not m:
        return False
    return (int(m.group(1)), int(m.group(2))) >= (major, minor)


def choose_method(fstype, kernel_release, requested="auto"):
    """How to allocate the file's blocks: ``fallocate``, ``dd`` or ``btrfs`` (a no-copy-on-write file).

    ``auto``: fallocate on ext4, and on xfs from Linux 4.18; btrfs gets its nocow method; dd everywhere else
    (ext2/ext3, f2fs and unknown filesystems, where preallocated extents may read as holes to swapon).
    An explicit request wins, except that btrfs always needs the nocow method and it is refused elsewhere.
    """
    if requested == "btrfs" and fstype != "btrfs":
        raise ValueError("method btrfs is only for btrfs filesystems, not %s" % fstype)
    if fstype == "btrfs":
        return "btrfs"
    if requested in ("fallocate", "dd"):
        return requested
    method = SUPPORTED.get(fstype, "dd")
    if fstype == "xfs" and not _kernel_at_least(kernel_release, 4, 18):
        method = "dd"
    return method
