# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Decide what to do with one swap file from what is there now, or refuse with the numbers.

``plan(want, cur)`` is pure: the module gathers ``cur`` (the file, /proc/swaps, the filesystem, memory)
and carries the plan out. Every refusal happens here, before anything changes.

The memory rule for any ``swapoff``: the pages in use on the file must fit in what memory can take
(MemAvailable, lowered to the cgroup's headroom when this process's cgroup has a memory limit) plus the
free space on the other active swap areas (including a new file made active first), with a margin of
max(64 MiB, a quarter of the pages in use). A swap area with nothing in use can always be turned off.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.headroom.memory.plugins.module_utils.sizes import MIB, format_bytes

GIB = 1024 ** 3
MARGIN_MIN = 64 * MIB


class Refusal(Exception):
    """A plan that would lose data or memory: the message says why, with numbers, and what to do."""

    def __init__(self, message, numbers=None):
        super(Refusal, self).__init__(message)
        self.message = message
        self.numbers = numbers or {}


def default_min_free(fs_total_bytes):
    """What must stay free on the filesystem: 10% of it or 1 GiB, whichever is less."""
    return min(int(fs_total_bytes) // 10, GIB)


def margin(used_bytes):
    return max(MARGIN_MIN, used_bytes // 4)


def absorbable(mem_available, cgroup_headroom=None):
    """Memory that can take pages back: MemAvailable, or less when a cgroup limit is closer."""
    if mem_available is None:
        return cgroup_headroom
    if cgroup_headroom is None:
        return mem_available
    return min(mem_available, cgroup_headroom)


def check_swapoff(path, used, mem_room, other_free, new_free=0, doing="turn off"):
    """Return the numbers when a swapoff of ``path`` is safe, else raise Refusal with them."""
    numbers = {
        "used_bytes": used,
        "memory_available_bytes": mem_room,
        "other_swap_free_bytes": other_free,
        "new_swap_free_bytes": new_free,
        "margin_bytes": margin(used) if used else 0,
    }
    if not used:
        return numbers
    if mem_room is None:
        raise Refusal("refusing to %s %s: %s of its pages are in use and the memory available could not be read"
                      % (doing, path, format_bytes(used)), numbers)
    room = mem_room + (other_free or 0) + (new_free or 0)
    need = used + numbers["margin_bytes"]
    if need > room:
        parts = "memory available %s + free on other swap %s" % (format_bytes(mem_room), format_bytes(other_free or 0))
        if new_free:
            parts += " + the new file %s" % format_bytes(new_free)
        raise Refusal(
            "refusing to %s %s: swapoff would have to move %s of swapped pages (+ %s margin = %s) into %s = %s; "
            "the kernel would OOM-kill processes. Nothing was changed. Free memory first (stop or restart the "
            "processes using swap), or add another swap file first." % (
                doing, path, format_bytes(used), format_bytes(numbers["margin_bytes"]), format_bytes(need), parts, format_bytes(room)), numbers)
    return numbers


def _check_disk(path, need_bytes, cur, min_free, doing="create"):
    free = cur.get("fs_free_bytes")
    total = cur.get("fs_total_bytes")
    if free is None or total is None:
        raise Refusal("refusing to %s %s: the free space on its filesystem could not be read" % (doing, path))
    keep = default_min_free(total) if min_free is None else min_free
    numbers = {"fs_free_bytes": free, "fs_total_bytes": total, "min_free_bytes": keep, "needed_bytes": need_bytes}
    if free - need_bytes < keep:
        raise Refusal(
            "refusing to %s %s: it needs %s on %s, which has %s free of %s, and %s must stay free "
            "(min_free_disk); short by %s. Nothing was changed. Choose a smaller size or another filesystem."
            % (doing, path, format_bytes(need_bytes), cur.get("mount_point") or "its filesystem", format_bytes(free), format_bytes(total),
               format_bytes(keep), format_bytes(keep - (free - need_bytes))), numbers)
    return numbers


def _check_fs(path, cur, doing="create"):
    if cur.get("fs_refusal"):
        raise Refusal("refusing to %s %s: %s" % (doing, path, cur["fs_refusal"]))


def _check_swapon(path, cur, doing):
    if cur.get("can_swapon") is False:
        raise Refusal(
            "cannot %s %s: swapon/swapoff are not permitted here: this process lacks CAP_SYS_ADMIN, as in a container "
            "that is not privileged. Swap is a host-wide setting: manage it on the host (or skip it here)." % (doing, path))


def _check_foreign(path, cur, state):
    """Refuse when /proc/swaps lists an active swap file at ``path`` that is not the file here.

    /proc/swaps is the kernel's, so in a container that shares its host's kernel it also lists the swap files
    of the host and of other containers, by their path in their own filesystem. An entry at ``path`` while
    there is no swap file at ``path`` here is one of theirs: mkswap would fail ("is mounted"), and swapoff or
    a resize would act on a file this host cannot see."""
    foreign = cur.get("foreign")
    if not foreign or (state == "absent" and cur.get("kind", "missing") == "missing"):
        return
    here = "there is no file at that path here" if cur.get("kind", "missing") == "missing" else \
        "the file at that path here is not a swap area"
    raise Refusal(
        "refusing to %s %s: the kernel's swap list (/proc/swaps) has an active swap file at %s (%s), but %s. "
        "Another container sharing this kernel, or the host, has its own swap file at the same path, which this one "
        "cannot see; mkswap would fail ('is mounted'). Nothing was changed. Swap is the host's: manage it on the "
        "host, or use a path unique to this host (such as /swapfile-<hostname>)."
        % ("remove" if state == "absent" else "create", path, path, format_bytes(foreign.get("size_bytes") or 0), here))


def plan(want, cur):
    """Return a dict {action, active, fix_mode, numbers} or raise Refusal.

    want: path, state (present/absent), size_bytes, priority (None = any), force, min_free_bytes (None = default)
    cur: kind (missing/file/dir/block/other), file_size, is_swap, mode, uid, active (a /proc/swaps entry or
      None), fstype, mount_point, fs_refusal (message or None), fs_free_bytes, fs_total_bytes, mem_available,
      cgroup_headroom, other_swap_free, can_swapon, tmp_active (a /proc/swaps entry for the resize file or None),
      foreign (a /proc/swaps entry at ``path`` that is not the file here, or None; ``active`` is then None)

    Actions: none, create, recreate (force over a regular file), activate, resize, reprioritize, remove.
    """
    path = want["path"]
    kind = cur.get("kind", "missing")
    active = cur.get("active")
    fix_mode = kind == "file" and (cur.get("mode") != 0o600 or cur.get("uid") != 0)
    result = {"action": "none", "active": bool(active), "fix_mode": False, "numbers": {}}
    mem_room = absorbable(cur.get("mem_available"), cur.get("cgroup_headroom"))
    other_free = cur.get("other_swap_free") or 0

    if kind in ("dir", "block", "other"):
        what = {"dir": "a directory", "block": "a block device", "other": "not a regular file"}[kind]
        raise Refusal("refusing to touch %s: it is %s, not a swap file; it is never overwritten or deleted "
                      "(force only ever replaces a regular file). Choose another path." % (path, what))
    _check_foreign(path, cur, want["state"])

    if want["state"] == "absent":
        if kind == "missing":
            return result
        if not cur.get("is_swap") and not active:
            if not want.get("force"):
                raise Refusal("refusing to delete %s: it holds %d bytes that are not a swap area. Nothing was "
                              "changed. Remove it yourself, or set force: true to delete it." % (path, cur.get("file_size") or 0))
            result["action"] = "remove"
            return result
        if active:
            _check_swapon(path, cur, "turn off")
            result["numbers"] = check_swapoff(path, active["used_bytes"], mem_room, other_free, doing="remove")
        result["action"] = "remove"
        return result

    size = want["size_bytes"]
    prio = want.get("priority")
    if kind == "missing":
        _check_fs(path, cur)
        _check_swapon(path, cur, "create")
        result["numbers"] = _check_disk(path, size, cur, want.get("min_free_bytes"))
        result["action"] = "create"
        return result

    if not cur.get("is_swap") and not active:
        if not want.get("force"):
            raise Refusal("refusing to overwrite %s: it is a regular file of %d bytes that is not a swap area "
                          "(data?). Nothing was changed. Choose another path, or set force: true to replace it."
                          % (path, cur.get("file_size") or 0))
        _check_fs(path, cur)
        _check_swapon(path, cur, "create")
        result["numbers"] = _check_disk(path, size - (cur.get("file_size") or 0), cur, want.get("min_free_bytes"))
        result["action"] = "recreate"
        return result

    result["fix_mode"] = fix_mode
    if cur.get("file_size") != size:
        _check_fs(path, cur, "resize")
        _check_swapon(path, cur, "resize")
        old = cur.get("file_size") or 0
        if active:
            if cur.get("tmp_active"):
                raise Refusal("refusing to resize %s: the transition file %s of an earlier resize is still active; "
                              "turn it off (swapoff) and delete it first." % (path, cur["tmp_active"]["path"]))
            # peak disk use: the new temporary file next to the old one, then the new file next to the temporary one
            numbers = _check_disk(path, max(size, 2 * size - old), cur, want.get("min_free_bytes"), doing="resize")
            numbers.update(check_swapoff(path, active["used_bytes"], mem_room, other_free, new_free=size, doing="resize"))
        else:
            numbers = _check_disk(path, size - old, cur, want.get("min_free_bytes"), doing="resize")
        result["numbers"] = numbers
        result["action"] = "resize"
        return result

    if not active:
        _check_swapon(path, cur, "turn on")
        result["action"] = "activate"
        return result

    if prio is not None and active.get("priority") != prio:
        _check_swapon(path, cur, "change the priority of")
        if cur.get("tmp_active"):
            raise Refusal("refusing to change the priority of %s: the transition file %s of an earlier run is still "
                          "active; turn it off (swapoff) and delete it first." % (path, cur["tmp_active"]["path"]))
        numbers = _check_disk(path, size, cur, want.get("min_free_bytes"), doing="change the priority of")
        numbers.update(check_swapoff(path, active["used_bytes"], mem_room, other_free, new_free=size,
                                     doing="change the priority of"))
        result["numbers"] = numbers
        result["action"] = "reprioritize"
    return result
