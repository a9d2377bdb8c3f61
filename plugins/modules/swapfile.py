#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: swapfile
short_description: Create, resize, re-prioritise and remove a swap file without causing an OOM kill
version_added: 0.1.0
description:
  - Manages one swap file and only that file - its blocks, its swap signature, whether it is active and at which
    priority, and its own line in C(/etc/fstab). Other swap areas and other fstab lines are never touched.
  - Every refusal happens before anything changes, and says why with the numbers.
  - B(Creating.) The filesystem must be able to hold a swap file (ext2/3/4, xfs, btrfs, f2fs and the like; tmpfs,
    ramfs, overlay, nfs/cifs, fuse, zfs and read-only or virtual filesystems are refused with the reason and what to
    do instead), and after the file is made O(min_free_disk) must still be free. The file is created empty with mode
    C(0600) owned by root, its blocks are allocated (see O(method)), then C(mkswap), C(swapon) with the priority,
    and the fstab line.
  - B(Memory rule.) No C(swapoff) runs unless the pages in use on that file fit in what memory can take back
    (MemAvailable, lowered to the headroom of this process's cgroup when that has a memory limit, as in a container)
    plus the free space on the other active swap areas, with a margin of max(64 MiB, a quarter of the pages in use).
    The rule is checked before anything changes and again, on live numbers, right before each C(swapoff).
  - B(Resizing) (and changing the priority of an active file) never leaves the host with less active swap than the
    new size, and the old file's pages have the new swap to go to, not only memory. 1) a transition file C(.<name>.headroom-resize) of the
    new size is made next to the file and turned on with the same priority; 2) the old file is turned off, its pages
    moving to memory and to the transition file; 3) the old file is deleted and made again at the new size, turned
    on; 4) the transition file is turned off (memory rule again) and deleted. An active swap file cannot be renamed
    (the kernel forbids it), hence the second copy. Peak disk use is the larger of the new size and twice the new
    size minus the old one, on top of O(min_free_disk). If the last step is not safe the transition file stays
    active and the module warns; nothing is lost.
  - B(Removing) checks the memory rule, turns the file off, removes its fstab line and deletes it.
  - A path that holds something else (a regular file without a swap signature, a directory, a block device, a
    symbolic link) is never overwritten nor deleted; O(force=true) allows replacing or deleting a regular file only.
  - Where swap cannot be turned on or off (a process without CAP_SYS_ADMIN, such as an unprivileged container) the
    module fails with a message that says so.
  - B(Another container's swap file.) C(/proc/swaps) is the kernel's, so in a container that shares its host's kernel it
    also lists the host's and the other containers' swap files by their own paths. When it lists an active swap file
    at O(path) but the file here is missing or not a swap area, the module refuses before anything changes (C(mkswap)
    would fail with "is mounted"), and O(state=absent) with no file here changes nothing.
  - B(Failures.) Every command's exit code is checked. A failed C(mkswap) or C(swapon) fails the module with the
    command's output and deletes the file the run made (it never leaves a file that is not swap). A failed run's
    result describes the host as it is after the failure, not the plan - RV(created), RV(resized), RV(removed),
    RV(active) and C(changed) are true only when that is so.
author:
  - headroom.memory maintainers (@headroom)
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: Reports what would change (including the size and fstab diff) and touches nothing, also when the file
      does not exist yet.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details: Shows the swap file's size, activity and priority before and after, and the change to C(/etc/fstab).
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: linux
options:
  path:
    description:
      - Absolute path of the swap file.
    type: path
    required: true
  size:
    description:
      - Size of the swap file. Bytes as a number, or a size string with binary units such as V(512M), V(2G), V(2GiB).
      - V(auto) computes it from the RAM (MemTotal) with O(size_policy).
      - Rounded up to whole memory pages. At least 1 MiB.
      - Required when O(state=present).
    type: raw
  size_policy:
    description:
      - How V(auto) sizes the file. RAM is MemTotal rounded up to a multiple of 256 MiB.
      - V(vps) is 1 GiB up to 2 GiB of RAM and 2 GiB above.
      - V(redhat) is Red Hat's recommended swap without hibernation - twice the RAM up to 2 GiB, the RAM up to 8 GiB,
        4 GiB above.
      - V(sqrt) is Ubuntu's rule - the square root of the RAM in GiB, rounded, at least 1 GiB.
    type: str
    choices: [vps, redhat, sqrt]
    default: vps
  state:
    description:
      - V(present) makes sure the file exists at O(size), is active at O(priority) and has its fstab line.
      - V(absent) turns it off (memory rule), removes its fstab line and deletes it.
    type: str
    choices: [present, absent]
    default: present
  priority:
    description:
      - Swap priority, -1 to 32767; higher is used first. Unset lets the kernel choose (negative, decreasing) and
        does not compare priorities.
    type: int
  fstab:
    description:
      - Keep the file's own line in C(/etc/fstab) (C(<path> none swap <options> 0 0)) so it is active after a reboot.
      - With V(false) C(/etc/fstab) is left as it is.
    type: bool
    default: true
  fstab_options:
    description:
      - Mount options of the fstab line. C(pri=<priority>) is added when O(priority) is set.
      - Comma-separated options only; a value with a blank, a line break or another control character, a C(#)
        or an empty option fails before anything changes (it would add or corrupt fstab lines).
    type: str
    default: sw,nofail
  method:
    description:
      - How the file's blocks are allocated.
      - V(auto) uses C(fallocate) on ext4 and on xfs from Linux 4.18, the no-copy-on-write method on btrfs, and
        C(dd) from C(/dev/zero) elsewhere. When C(fallocate) fails, or C(swapon) rejects the file (holes), the file is
        made again with C(dd).
      - V(btrfs) uses C(btrfs filesystem mkswapfile) when btrfs-progs has it, else an empty file with C(chattr +C)
        then C(fallocate) or C(dd). On btrfs this is always used.
    type: str
    choices: [auto, fallocate, dd, btrfs]
    default: auto
  min_free_disk:
    description:
      - What must stay free on the filesystem after the file is made (and during a resize, at the peak).
      - A size string such as V(2G), or a percentage of the filesystem such as V(10%).
      - Default is 10% of the filesystem or 1 GiB, whichever is less.
    type: str
  force:
    description:
      - Replace (O(state=present)) or delete (O(state=absent)) a regular file at O(path) that is not a swap area.
      - Never applies to directories, block devices or other kinds of file.
    type: bool
    default: false
  backup:
    description:
      - Keep a timestamped copy of C(/etc/fstab) before changing it.
    type: bool
    default: false
notes:
  - Swap is host-wide. In a container only a privileged one can manage swap, and the swap it turns on is the host's.
  - The transition file of a resize is C(.<name>.headroom-resize) in the same directory as O(path).
  - Commands run with C(LANG=C) - C(fallocate), C(dd), C(chattr), C(btrfs), C(mkswap), C(swapon), C(swapoff).
seealso:
  - module: community.general.filesize
  - module: ansible.posix.mount
  - module: ansible.posix.sysctl
"""

EXAMPLES = r"""
- name: A 2 GiB swap file, active at priority 10, in /etc/fstab
  headroom.memory.swapfile:
    path: /swapfile
    size: 2G
    priority: 10

- name: Size it from RAM with Red Hat's table
  headroom.memory.swapfile:
    path: /swapfile
    size: auto
    size_policy: redhat

- name: Resize (safe - refused with numbers when memory cannot absorb the swapped pages)
  headroom.memory.swapfile:
    path: /swapfile
    size: 4G
  register: swap

- name: Remove a swap file and only its fstab line
  headroom.memory.swapfile:
    path: /var/swap.old
    state: absent
"""

RETURN = r"""
path:
  description: Path of the swap file.
  returned: always
  type: str
  sample: /swapfile
size_bytes:
  description: Size of the file in bytes after the run (predicted in check mode); 0 when it does not exist.
  returned: always
  type: int
  sample: 2147483648
active:
  description: Whether the file here is an active swap area after the run (predicted in check mode); another container's
    file of the same path in C(/proc/swaps) does not count. After a failure, what the host shows.
  returned: always
  type: bool
  sample: true
priority:
  description: Its swap priority as the kernel reports it, or null when it is not active.
  returned: always
  type: int
  sample: 10
created:
  description: Whether the file was (or in check mode would be) created, including a forced replacement. After a failure,
    true only when the new file is there as an active swap area (a file that failed C(mkswap) or C(swapon) is deleted).
  returned: always
  type: bool
resized:
  description: Whether the file was (or would be) resized.
  returned: always
  type: bool
removed:
  description: Whether the file was (or would be) removed.
  returned: always
  type: bool
method:
  description: How the blocks were (or would be) allocated - fallocate, dd or btrfs; null when no file was made.
  returned: always
  type: str
  sample: fallocate
action:
  description: What was done - none, create, recreate, activate, resize, reprioritize or remove.
  returned: always
  type: str
  sample: create
fstab_line:
  description: The file's fstab line after the run, or null when there is none.
  returned: always
  type: str
  sample: /swapfile none swap sw,nofail,pri=10 0 0
numbers:
  description: The figures the safety checks used (bytes) - disk free, total and what must stay free; pages in
    use, memory available, free swap elsewhere and the margin.
  returned: always
  type: dict
  sample: {"fs_free_bytes": 85899345920, "min_free_bytes": 1073741824, "needed_bytes": 2147483648}
backup_file:
  description: The copy of /etc/fstab made before changing it, with O(backup=true).
  returned: when a backup was made
  type: str
"""

import os
import stat

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.headroom.memory.plugins.module_utils.swap import fstab as fstab_lib
from ansible_collections.headroom.memory.plugins.module_utils.swap import filesystem as swap_fs
from ansible_collections.headroom.memory.plugins.module_utils.swap import kernel as swap_proc
from ansible_collections.headroom.memory.plugins.module_utils.sizes import SizeError, parse_size
from ansible_collections.headroom.memory.plugins.module_utils.swap.plan import Refusal, absorbable, check_swapoff, plan
from ansible_collections.headroom.memory.plugins.module_utils.swap.size import POLICIES, swap_size

FSTAB = "/etc/fstab"
LANG_ENV = {"LANG": "C", "LC_ALL": "C", "LC_MESSAGES": "C"}
SIGNATURES = (b"SWAPSPACE2", b"SWAP-SPACE")


class Swap(object):
    def __init__(self, module):
        self.module = module
        self.p = module.params
        self.page = os.sysconf("SC_PAGE_SIZE")
        self.path = os.path.abspath(self.p["path"])
        head, tail = os.path.split(self.path)
        self.tmp = os.path.join(head, "." + tail + ".headroom-resize")
        self.method_used = None
        self.made = None

    # ---- reading the host ----------------------------------------------------------------------------
    def run(self, args, check=True):
        rc, out, err = self.module.run_command(args, environ_update=LANG_ENV)
        if check and rc != 0:
            raise CommandError(args, rc, out, err)
        return rc, out, err

    def kind(self, path):
        try:
            st = os.lstat(path)
        except OSError:
            return "missing", None
        if stat.S_ISREG(st.st_mode):
            return "file", st
        if stat.S_ISDIR(st.st_mode):
            return "dir", st
        if stat.S_ISBLK(st.st_mode):
            return "block", st
        return "other", st

    def is_swap(self, path):
        try:
            with open(path, "rb") as f:
                head = f.read(self.page)
        except (IOError, OSError):
            return False
        return len(head) == self.page and head[self.page - 10:] in SIGNATURES

    def swaps(self):
        return swap_proc.parse_swaps(swap_proc.read_text("/proc/swaps"))

    def active(self, path, swaps=None):
        real = os.path.realpath(path)
        for s in self.swaps() if swaps is None else swaps:
            if s["path"] in (path, real) and s["type"] == "file":
                return s
        return None

    def memory(self):
        info = swap_proc.parse_meminfo(swap_proc.read_text("/proc/meminfo"))
        avail = info.get("MemAvailable")
        headroom, where = swap_proc.cgroup_headroom()
        return (None if avail is None else avail * 1024), headroom, where, info.get("MemTotal")

    def own_active(self, path, swaps=None):
        """The /proc/swaps entry of ``path`` when it is this host's swap file: the kernel's list also holds the
        swap files of the host and of other containers sharing this kernel, by their own paths."""
        entry = self.active(path, swaps)
        if entry is None or self.kind(path)[0] != "file" or not self.is_swap(path):
            return None
        return entry

    def other_free(self, swaps, exclude):
        return sum(max(s["size_bytes"] - s["used_bytes"], 0) for s in swaps if s["path"] not in exclude)

    def current(self):
        kind, st = self.kind(self.path)
        swaps = self.swaps()
        mem_available, headroom, where, memtotal_kb = self.memory()
        self.cgroup_where = where
        parent = swap_fs.existing_parent(os.path.dirname(self.path) or "/")
        mounts = swap_proc.parse_mountinfo(swap_proc.read_text("/proc/self/mountinfo"))
        mnt = swap_fs.mount_for_path(mounts, parent) or {}
        fstype = mnt.get("fstype") or "unknown"
        try:
            vfs = os.statvfs(parent)
            free, total = vfs.f_bavail * vfs.f_frsize, vfs.f_blocks * vfs.f_frsize
        except OSError:
            free = total = None
        ok, dummy, dummy2 = swap_fs.fs_verdict(fstype)
        if ok and fstype not in swap_fs.SUPPORTED:
            self.module.warn("%s is on a %s filesystem, not one known to hold swap files; swapon will decide" % (self.path, fstype))
        caps = swap_proc.has_cap_sys_admin(swap_proc.read_text("/proc/self/status"))
        is_swap = kind == "file" and self.is_swap(self.path)
        entry = self.active(self.path, swaps)
        cur = {
            "kind": kind,
            "file_size": st.st_size if st is not None and kind == "file" else None,
            "mode": stat.S_IMODE(st.st_mode) if st is not None else None,
            "uid": st.st_uid if st is not None else None,
            "is_swap": is_swap,
            "active": entry if is_swap else None,
            "foreign": None if is_swap else entry,
            "tmp_active": self.active(self.tmp, swaps),
            "fstype": fstype,
            "mount_point": mnt.get("mount_point"),
            "fs_refusal": swap_fs.refusal_message(self.path, fstype, mnt.get("mount_point")),
            "fs_free_bytes": free,
            "fs_total_bytes": total,
            "mem_available": mem_available,
            "cgroup_headroom": headroom,
            "other_swap_free": self.other_free(swaps, (self.path, os.path.realpath(self.path), self.tmp)),
            "can_swapon": caps,
            "memtotal_bytes": None if memtotal_kb is None else memtotal_kb * 1024,
        }
        return cur

    # ---- changing the host ---------------------------------------------------------------------------
    def live_swapoff_check(self, path, doing):
        swaps = self.swaps()
        entry = self.active(path, swaps)
        if entry is None:
            return
        mem_available, headroom, dummy, dummy2 = self.memory()
        check_swapoff(path, entry["used_bytes"], absorbable(mem_available, headroom),
                      self.other_free(swaps, (path, os.path.realpath(path))), doing=doing)

    def allocate(self, target, size, method):
        """Make ``target`` (which must not exist) with ``size`` bytes of real blocks, mode 0600, root-owned."""
        if method == "btrfs":
            btrfs = self.module.get_bin_path("btrfs")
            if btrfs:
                if not os.path.lexists(target):
                    self.made = target  # what mkswapfile leaves there, even when it fails, is ours
                rc, out, err = self.run([btrfs, "filesystem", "mkswapfile", "--size", str(size), target], check=False)
                if rc == 0:
                    os.chmod(target, 0o600)
                    os.chown(target, 0, 0)
                    return "btrfs"
            self.create_empty(target)
            self.run([self.module.get_bin_path("chattr", required=True), "+C", target])
            method_then = "fallocate"
        else:
            self.create_empty(target)
            method_then = method
        os.chown(target, 0, 0)
        os.chmod(target, 0o600)
        if method_then == "fallocate":
            rc, out, err = self.run([self.module.get_bin_path("fallocate", required=True), "-l", str(size), target], check=False)
            if rc == 0:
                return "btrfs" if method == "btrfs" else "fallocate"
            self.module.warn("fallocate failed on %s (%s); using dd" % (target, err.strip()))
        self.dd(target, size)
        return "btrfs" if method == "btrfs" else "dd"

    def create_empty(self, target):
        """An empty file at ``target`` (which must not exist), mode 0600; remembered as made by this run."""
        fd = os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        os.close(fd)
        self.made = target

    def dd(self, target, size):
        self.run([self.module.get_bin_path("dd", required=True), "if=/dev/zero", "of=%s" % target, "bs=1M",
                  "count=%d" % size, "iflag=count_bytes", "conv=notrunc", "status=none"])

    def swapon(self, target):
        args = [self.module.get_bin_path("swapon", required=True)]
        if self.p["priority"] is not None:
            args += ["-p", str(self.p["priority"])]
        return self.run(args + [target], check=False)

    def make_active(self, target, size, method):
        """Allocate, mkswap and swapon ``target``; on any failure the file this call made is deleted again
        (it never leaves a file that is not swap). Whether it made the file is what decides, not /proc/swaps:
        that can list another container's file of the same path."""
        self.made = None
        try:
            return self._make_active(target, size, method)
        except Exception:
            if self.made == target and os.path.lexists(target):
                os.unlink(target)
            raise

    def mkswap(self, target):
        rc, out, err = self.run([self.module.get_bin_path("mkswap", required=True), target], check=False)
        if rc == 0:
            return
        hint = "the new file was deleted again"
        if "is mounted" in (err or out or ""):
            hint = ("the kernel's swap list already has a swap area at %s: in a container sharing its host's kernel "
                    "that is the host's or another container's swap file of the same path, which this container "
                    "cannot see. Swap is the host's: manage it there, or use a path unique to this host; %s" % (target, hint))
        raise CommandError(["mkswap", target], rc, out, err, hint=hint)

    def _make_active(self, target, size, method):
        """Allocate, mkswap and swapon ``target``; retry with dd when swapon rejects a preallocated file."""
        used = self.allocate(target, size, method)
        self.mkswap(target)
        rc, out, err = self.swapon(target)
        if rc != 0 and used == "fallocate" and ("hole" in err or "Invalid argument" in err):
            self.module.warn("swapon rejected the fallocate'd %s (%s); made again with dd" % (target, err.strip()))
            os.unlink(target)
            self.create_empty(target)
            os.chown(target, 0, 0)
            self.dd(target, size)
            used = "dd"
            self.mkswap(target)
            rc, out, err = self.swapon(target)
        if rc != 0:
            if "Operation not permitted" in err:
                raise CommandError(["swapon", target], rc, out, err, hint="swapon is not permitted here (no CAP_SYS_ADMIN, as in an "
                                   "unprivileged container); the new file was deleted again")
            raise CommandError(["swapon", target], rc, out, err, hint="the new file was deleted again")
        self.method_used = used
        return used

    def swapoff(self, target, doing):
        self.live_swapoff_check(target, doing)
        self.run([self.module.get_bin_path("swapoff", required=True), target])


class CommandError(Exception):
    def __init__(self, args, rc, out, err, hint=None):
        super(CommandError, self).__init__("command %s failed (rc %s): %s%s" % (
            " ".join(args), rc, (err or out or "").strip(), "; " + hint if hint else ""))


def describe(size, active, prio, mode):
    return "size: %d\nactive: %s\npriority: %s\nmode: %s\n" % (
        size, "true" if active else "false", "null" if prio is None else prio, "null" if mode is None else "0%o" % mode)


def build_module():
    return AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            size=dict(type="raw"),
            size_policy=dict(type="str", default="vps", choices=list(POLICIES)),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            priority=dict(type="int"),
            fstab=dict(type="bool", default=True),
            fstab_options=dict(type="str", default="sw,nofail"),
            method=dict(type="str", default="auto", choices=["auto", "fallocate", "dd", "btrfs"]),
            min_free_disk=dict(type="str"),
            force=dict(type="bool", default=False),
            backup=dict(type="bool", default=False),
        ),
        required_if=[("state", "present", ["size"])],
        supports_check_mode=True,
    )


def check_params(module):
    """Checks the argument spec cannot express; they fail before the host is read."""
    p = module.params
    if not os.path.isabs(p["path"]):
        module.fail_json(msg="path %r must be absolute" % p["path"])
    if p["priority"] is not None and not -1 <= p["priority"] <= 32767:
        module.fail_json(msg="priority %d is out of range: swap priorities are -1 to 32767" % p["priority"])
    try:
        fstab_lib.check_options(p["fstab_options"])
    except ValueError as e:
        module.fail_json(msg=str(e))


def wanted(module, sw, cur):
    """The wanted state for plan(): sizes resolved against the host (fails the module on a bad size)."""
    p = module.params
    size = None
    if p["state"] == "present":
        try:
            size = swap_size(p["size"], cur["memtotal_bytes"], p["size_policy"], sw.page)
        except SizeError as e:
            module.fail_json(msg="size: %s" % e, path=sw.path)
    min_free = None
    if p["min_free_disk"] is not None:
        try:
            min_free = parse_size(p["min_free_disk"], total=cur["fs_total_bytes"], allow_percent=True)
        except SizeError as e:
            module.fail_json(msg="min_free_disk: %s" % e, path=sw.path)
    return {"path": sw.path, "state": p["state"], "size_bytes": size, "priority": p["priority"],
            "force": p["force"], "min_free_bytes": min_free}


def fstab_change(p, path):
    """(text before, text after, changed) of /etc/fstab: only our own line is added, changed or removed."""
    try:
        with open(FSTAB, "r") as f:
            before = f.read()
    except (IOError, OSError):
        before = ""
    after, changed = before, False
    if p["state"] == "present" and p["fstab"]:
        line = fstab_lib.make_line(path, fstab_lib.swap_options(p["priority"], p["fstab_options"]))
        after, changed = fstab_lib.update(before, path, line)
    elif p["state"] == "absent":
        after, changed = fstab_lib.update(before, path, None)
    return before, after, changed


def predict(module, cur, pl, size, method, fstab):
    """The result as it will be after the run (also what check mode reports), with the diff when asked."""
    p, path, action = module.params, os.path.abspath(module.params["path"]), pl["action"]
    fstab_before, fstab_after, fstab_changed = fstab
    before_size = cur["file_size"] or 0
    before_prio = cur["active"]["priority"] if cur["active"] else None
    if p["state"] == "absent":
        after = (0, False, None, None)
    else:
        after_prio = p["priority"] if p["priority"] is not None else before_prio
        after = (size, True, after_prio, 0o600)
    result = dict(
        changed=action != "none" or pl["fix_mode"] or fstab_changed, path=path, action=action, method=method,
        numbers=pl["numbers"], created=action in ("create", "recreate"), resized=action == "resize",
        removed=action == "remove", size_bytes=after[0], active=after[1], priority=after[2],
        fstab_line=(fstab_lib.find_lines(fstab_after, path) or [None])[0],
    )
    if module._diff:
        result["diff"] = [
            dict(before_header="%s (swap file)" % path, after_header="%s (swap file)" % path,
                 before=describe(before_size, bool(cur["active"]), before_prio, cur["mode"] if cur["kind"] == "file" else None),
                 after=describe(after[0], after[1], after[2], after[3])),
            dict(before_header=FSTAB, after_header=FSTAB, before=fstab_before, after=fstab_after),
        ]
    return result


def resize_active(module, sw, size, method):
    """Resize an active file without a moment of less swap: a transition file goes active first, the old file
    is turned off and made again, then the transition file is turned off and deleted."""
    path = sw.path
    if os.path.lexists(sw.tmp):
        os.unlink(sw.tmp)  # ours by name, and not active (checked by the plan)
    sw.make_active(sw.tmp, size, method)
    try:
        sw.swapoff(path, "resize")
    except (Refusal, CommandError):
        # memory changed since the plan: undo the transition file while it is still empty, keep the old
        sw.swapoff(sw.tmp, "turn off the transition file")
        os.unlink(sw.tmp)
        raise
    os.unlink(path)
    sw.make_active(path, size, method)
    try:
        sw.swapoff(sw.tmp, "turn off the transition file")
        os.unlink(sw.tmp)
    except Refusal as e:
        module.warn("%s is resized and active; the transition file %s stays active because: %s"
                    % (path, sw.tmp, e.message))


def apply(module, sw, cur, pl, size, method):
    """Carry out the plan's action on the swap file (raises Refusal, CommandError, OSError)."""
    path, action = sw.path, pl["action"]
    if action in ("create", "recreate"):
        if action == "recreate":
            os.unlink(path)
        sw.make_active(path, size, method)
    elif action == "activate":
        rc, out, err = sw.swapon(path)
        if rc != 0:
            raise CommandError(["swapon", path], rc, out, err, hint="the file was left as it was")
    elif action in ("resize", "reprioritize"):
        if cur["active"]:
            resize_active(module, sw, size, method)
        else:
            os.unlink(path)
            sw.make_active(path, size, method)
    elif action == "remove":
        if cur["active"]:
            sw.swapoff(path, "remove")
        os.unlink(path)
    if pl["fix_mode"] and action in ("none", "activate"):
        os.chown(path, 0, 0)
        os.chmod(path, 0o600)


def write_fstab(module, text, result):
    """Replace /etc/fstab atomically, keeping its mode; with backup=true a copy first (``result['backup_file']``)."""
    if module.params["backup"] and os.path.exists(FSTAB):
        result["backup_file"] = module.backup_local(FSTAB)
    tmpfile = os.path.join(os.path.dirname(FSTAB), ".fstab.headroom-swapfile")
    with open(tmpfile, "w") as f:
        f.write(text)
    if os.path.exists(FSTAB):
        os.chmod(tmpfile, stat.S_IMODE(os.stat(FSTAB).st_mode))
    else:
        os.chmod(tmpfile, 0o644)
    module.atomic_move(tmpfile, FSTAB)


def main():
    module = build_module()
    check_params(module)
    p = module.params
    sw = Swap(module)
    path = sw.path
    cur = sw.current()
    want = wanted(module, sw, cur)
    try:
        pl = plan(want, cur)
    except Refusal as e:
        module.fail_json(msg=e.message, path=path, numbers=e.numbers, changed=False)
    action, size = pl["action"], want["size_bytes"]

    method = None
    if action in ("create", "recreate", "resize", "reprioritize"):
        try:
            method = swap_fs.choose_method(cur["fstype"], os.uname()[2], p["method"])
        except ValueError as e:
            module.fail_json(msg=str(e), path=path)

    fstab = fstab_change(p, path)
    result = predict(module, cur, pl, size, method, fstab)
    if module.check_mode or not result["changed"]:
        module.exit_json(**result)

    fstab_written = False
    try:
        apply(module, sw, cur, pl, size, method)
        if fstab[2]:
            write_fstab(module, fstab[1], result)
            fstab_written = True
    except Refusal as e:
        observe(sw, cur, result, want, fstab[1] if fstab_written else fstab[0], fstab_written)
        module.fail_json(msg=e.message, numbers=e.numbers, **dict((k, v) for k, v in result.items() if k != "numbers"))
    except (CommandError, OSError) as e:
        observe(sw, cur, result, want, fstab[1] if fstab_written else fstab[0], fstab_written)
        module.fail_json(msg="%s: %s" % (action, e), **result)

    entry = sw.own_active(path)
    kind, st = sw.kind(path)
    result.update(size_bytes=st.st_size if st is not None and kind == "file" else 0,
                  active=entry is not None, priority=entry["priority"] if entry else None,
                  method=sw.method_used or result["method"])
    module.exit_json(**result)


def observe(sw, cur, result, want, fstab_text, fstab_written):
    """After a failure, put what is really there into ``result`` instead of the prediction: a failed run
    says created, resized, removed or active only when the host shows it, and changed only when the file,
    its activity or /etc/fstab differ from before the run."""
    path = sw.path
    entry = sw.own_active(path)
    kind, st = sw.kind(path)
    size = st.st_size if st is not None and kind == "file" else 0
    before = (cur["file_size"] or 0, bool(cur["active"]), cur["active"]["priority"] if cur["active"] else None)
    after = (size, entry is not None, entry["priority"] if entry else None)
    result.update(
        size_bytes=size, active=after[1], priority=after[2], method=sw.method_used,
        created=result["created"] and entry is not None,  # own_active: the file here, a swap area, active
        resized=result["resized"] and entry is not None and size == want["size_bytes"],
        removed=result["removed"] and kind == "missing",
        fstab_line=(fstab_lib.find_lines(fstab_text, path) or [None])[0],
        changed=fstab_written or after != before or (cur["kind"] == "missing") != (kind == "missing"),
    )


if __name__ == "__main__":
    main()
