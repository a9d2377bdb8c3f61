# -*- coding: utf-8 -*-
"""swap_plan.plan: every action, and every refusal with its numbers, from faked current states."""

import pytest

from ansible_collections.headroom.memory.plugins.module_utils.swap.plan import (
    Refusal, absorbable, check_swapoff, default_min_free, margin, plan)

MIB = 1024 ** 2
GIB = 1024 ** 3


def want(**kw):
    w = {"path": "/swapfile", "state": "present", "size_bytes": 512 * MIB, "priority": 10, "force": False,
         "min_free_bytes": None}
    w.update(kw)
    return w


def cur(**kw):
    c = {"kind": "missing", "file_size": None, "is_swap": False, "mode": None, "uid": None, "active": None,
         "tmp_active": None, "fstype": "ext4", "mount_point": "/", "fs_refusal": None,
         "fs_free_bytes": 50 * GIB, "fs_total_bytes": 100 * GIB, "mem_available": 8 * GIB,
         "cgroup_headroom": None, "other_swap_free": 0, "can_swapon": True}
    c.update(kw)
    return c


def swapfile(size=512 * MIB, used=0, prio=10, **kw):
    active = {"path": "/swapfile", "type": "file", "size_bytes": size - 4096, "used_bytes": used, "priority": prio}
    return cur(kind="file", file_size=size, is_swap=True, mode=0o600, uid=0, active=active, **kw)


def test_create_when_missing_reports_disk_numbers():
    p = plan(want(), cur())
    assert p["action"] == "create"
    assert p["numbers"] == {"fs_free_bytes": 50 * GIB, "fs_total_bytes": 100 * GIB, "min_free_bytes": GIB,
                            "needed_bytes": 512 * MIB}


def test_unchanged_when_active_at_size_and_priority():
    p = plan(want(), swapfile())
    assert p["action"] == "none" and p["fix_mode"] is False and p["active"] is True


def test_any_priority_accepted_when_none_wanted():
    assert plan(want(priority=None), swapfile(prio=-2))["action"] == "none"


def test_wrong_mode_is_fixed_without_other_action():
    c = swapfile()
    c["mode"] = 0o644
    p = plan(want(), c)
    assert p["action"] == "none" and p["fix_mode"] is True


def test_inactive_swap_file_is_activated():
    c = swapfile()
    c["active"] = None
    assert plan(want(), c)["action"] == "activate"


def test_priority_change_uses_transition():
    p = plan(want(priority=20), swapfile(used=10 * MIB))
    assert p["action"] == "reprioritize"
    assert p["numbers"]["new_swap_free_bytes"] == 512 * MIB


def test_resize_counts_peak_disk_and_new_file_for_memory():
    p = plan(want(size_bytes=GIB), swapfile(used=100 * MIB))
    assert p["action"] == "resize"
    # peak: max(new, 2*new - old) = 2G - 512M
    assert p["numbers"]["needed_bytes"] == 2 * GIB - 512 * MIB
    assert p["numbers"]["used_bytes"] == 100 * MIB
    assert p["numbers"]["margin_bytes"] == 64 * MIB


def test_resize_of_inactive_file_needs_only_the_growth_on_disk():
    c = swapfile()
    c["active"] = None
    p = plan(want(size_bytes=GIB), c)
    assert p["action"] == "resize" and p["numbers"]["needed_bytes"] == 512 * MIB


def test_refuse_resize_when_memory_cannot_absorb_with_numbers():
    c = swapfile(size=GIB, used=900 * MIB, mem_available=200 * MIB, other_swap_free=50 * MIB)
    with pytest.raises(Refusal) as e:
        plan(want(size_bytes=256 * MIB), c)
    msg = e.value.message
    # 900 used + 225 margin = 1125 > 200 + 50 + 256 = 506
    assert "refusing to resize /swapfile" in msg
    assert "900 MiB" in msg and "225 MiB margin" in msg and "1125 MiB" in msg
    assert "memory available 200 MiB + free on other swap 50 MiB + the new file 256 MiB = 506 MiB" in msg
    assert "Nothing was changed" in msg
    assert e.value.numbers == {"used_bytes": 900 * MIB, "memory_available_bytes": 200 * MIB,
                               "other_swap_free_bytes": 50 * MIB, "new_swap_free_bytes": 256 * MIB,
                               "margin_bytes": 225 * MIB}


def test_refuse_removal_when_memory_cannot_absorb():
    c = swapfile(used=300 * MIB, mem_available=250 * MIB)
    with pytest.raises(Refusal) as e:
        plan(want(state="absent"), c)
    assert "refusing to remove /swapfile" in e.value.message
    assert "300 MiB" in e.value.message and "= 250 MiB" in e.value.message


def test_cgroup_headroom_lowers_what_memory_can_take():
    # host says 8 GiB available, the container's cgroup only 100 MiB more
    c = swapfile(used=200 * MIB, cgroup_headroom=100 * MIB)
    with pytest.raises(Refusal) as e:
        plan(want(state="absent"), c)
    assert e.value.numbers["memory_available_bytes"] == 100 * MIB
    assert absorbable(8 * GIB, 100 * MIB) == 100 * MIB
    assert absorbable(8 * GIB, None) == 8 * GIB
    assert absorbable(None, 5) == 5


def test_removal_allowed_when_pages_fit():
    p = plan(want(state="absent"), swapfile(used=100 * MIB, mem_available=GIB))
    assert p["action"] == "remove" and p["numbers"]["used_bytes"] == 100 * MIB


def test_removal_of_unused_swap_needs_no_memory():
    p = plan(want(state="absent"), swapfile(used=0, mem_available=0))
    assert p["action"] == "remove"


def test_refuse_removal_when_memory_unreadable():
    with pytest.raises(Refusal, match="could not be read"):
        plan(want(state="absent"), swapfile(used=MIB, mem_available=None))


def test_absent_and_missing_is_nothing():
    assert plan(want(state="absent"), cur())["action"] == "none"


@pytest.mark.parametrize("kind, word", [("dir", "a directory"), ("block", "a block device"), ("other", "not a regular file")])
@pytest.mark.parametrize("state", ["present", "absent"])
@pytest.mark.parametrize("force", [False, True])
def test_refuse_non_regular_paths_even_with_force(kind, word, state, force):
    with pytest.raises(Refusal) as e:
        plan(want(state=state, force=force), cur(kind=kind))
    assert word in e.value.message and "never overwritten or deleted" in e.value.message


def test_refuse_data_file_unless_force():
    data = cur(kind="file", file_size=1234, is_swap=False, mode=0o644, uid=1000)
    with pytest.raises(Refusal) as e:
        plan(want(), data)
    assert "refusing to overwrite /swapfile" in e.value.message and "1234 bytes" in e.value.message
    p = plan(want(force=True), data)
    assert p["action"] == "recreate" and p["numbers"]["needed_bytes"] == 512 * MIB - 1234


def test_refuse_deleting_data_file_unless_force():
    data = cur(kind="file", file_size=99, is_swap=False)
    with pytest.raises(Refusal, match="refusing to delete /swapfile: it holds 99 bytes"):
        plan(want(state="absent"), data)
    assert plan(want(state="absent", force=True), data)["action"] == "remove"


def test_refuse_refused_filesystem():
    with pytest.raises(Refusal, match="refusing to create /swapfile: on tmpfs"):
        plan(want(), cur(fs_refusal="on tmpfs"))


def test_refuse_too_small_filesystem_with_numbers():
    c = cur(fs_free_bytes=600 * MIB, fs_total_bytes=1000 * MIB)
    with pytest.raises(Refusal) as e:
        plan(want(), c)
    # keep min(10% of 1000 MiB, 1 GiB) = 100 MiB; 600 - 512 = 88 < 100: short by 12 MiB
    msg = e.value.message
    assert "needs 512 MiB" in msg and "600 MiB free of 1000 MiB" in msg and "100 MiB must stay free" in msg
    assert "short by 12 MiB" in msg
    assert e.value.numbers["min_free_bytes"] == 100 * MIB


def test_explicit_min_free_disk():
    with pytest.raises(Refusal, match="4096 MiB must stay free"):
        plan(want(min_free_bytes=4 * GIB), cur(fs_free_bytes=4 * GIB))
    assert plan(want(min_free_bytes=0), cur(fs_free_bytes=512 * MIB))["action"] == "create"


def test_refuse_resize_without_room_for_the_transition():
    c = swapfile(size=GIB, fs_free_bytes=GIB + 512 * MIB, fs_total_bytes=100 * GIB)
    # peak for 1G -> 2G: max(2G, 4G - 1G) = 3G
    with pytest.raises(Refusal, match="^refusing to resize /swapfile: it needs 3072 MiB"):
        plan(want(size_bytes=2 * GIB), c)


def test_refuse_without_cap_sys_admin():
    with pytest.raises(Refusal, match="lacks CAP_SYS_ADMIN"):
        plan(want(), cur(can_swapon=False))
    with pytest.raises(Refusal, match="lacks CAP_SYS_ADMIN"):
        plan(want(state="absent"), swapfile(can_swapon=False))
    # nothing to do needs no capability
    assert plan(want(), swapfile(can_swapon=False))["action"] == "none"


def test_refuse_when_a_transition_file_is_still_active():
    leftover = {"path": "/.swapfile.headroom-resize", "used_bytes": 0, "size_bytes": 1, "priority": 10, "type": "file"}
    with pytest.raises(Refusal, match="transition file /.swapfile.headroom-resize"):
        plan(want(size_bytes=GIB), swapfile(tmp_active=leftover))


def test_helpers():
    assert default_min_free(5 * GIB) == 512 * MIB
    assert default_min_free(50 * GIB) == GIB
    assert margin(0) == 64 * MIB and margin(GIB) == 256 * MIB
    assert check_swapoff("/s", 0, None, 0)["used_bytes"] == 0


def test_swapoff_fits_exactly_at_the_room_and_not_a_byte_over():
    """The memory rule at its edge: pages in use + margin equal to the room is safe, one byte more is not;
    every part of the room counts (memory, other swap, the new file)."""
    used = GIB
    need = used + margin(used)
    assert check_swapoff("/s", used, need - 3, 1, 2)["margin_bytes"] == margin(used)
    with pytest.raises(Refusal) as e:
        check_swapoff("/s", used, need - 3, 1, 1)
    assert e.value.numbers["new_swap_free_bytes"] == 1
    with pytest.raises(Refusal):
        check_swapoff("/s", used, need - 1, None, None)   # no other swap and no new file add nothing
    assert check_swapoff("/s", used, need, None, None)["used_bytes"] == used


def test_unread_memory_refuses_with_the_numbers():
    with pytest.raises(Refusal) as e:
        check_swapoff("/s", MIB, None, 0, doing="resize")
    assert "refusing to resize /s: 1 MiB of its pages are in use and the memory available could not be read" \
        == e.value.message
    assert e.value.numbers == {"used_bytes": MIB, "memory_available_bytes": None, "other_swap_free_bytes": 0,
                               "new_swap_free_bytes": 0, "margin_bytes": margin(MIB)}


def test_nothing_in_use_needs_no_margin():
    assert check_swapoff("/s", 0, None, 0)["margin_bytes"] == 0


def test_margin_is_whole_bytes():
    assert margin(4 * GIB + 2) == GIB and isinstance(margin(4 * GIB + 2), int)


LEFTOVER = {"path": "/.swapfile.headroom-resize", "used_bytes": 0, "size_bytes": 1, "priority": 10, "type": "file"}
NO_CAP = ("swapon/swapoff are not permitted here: this process lacks CAP_SYS_ADMIN, as in a container that is not "
          "privileged. Swap is a host-wide setting: manage it on the host (or skip it here).")
REFUSALS = {
    "dir": (want(), cur(kind="dir")),
    "block": (want(state="absent"), cur(kind="block")),
    "other": (want(force=True), cur(kind="other")),
    "delete data": (want(state="absent"), cur(kind="file", file_size=99)),
    "delete unsized": (want(state="absent"), cur(kind="file")),
    "overwrite unsized": (want(), cur(kind="file")),
    "fs refusal": (want(force=True), cur(kind="file", file_size=5, fs_refusal="/ is on tmpfs")),
    "free unread": (want(), cur(fs_free_bytes=None)),
    "total unread": (want(), cur(fs_total_bytes=None)),
    "no mount point": (want(), cur(fs_free_bytes=600 * MIB, fs_total_bytes=1000 * MIB, mount_point=None)),
    "cap create": (want(), cur(can_swapon=False)),
    "cap recreate": (want(force=True), cur(kind="file", file_size=5, can_swapon=False)),
    "cap remove": (want(state="absent"), swapfile(can_swapon=False)),
    "cap resize": (want(size_bytes=GIB), swapfile(can_swapon=False)),
    "cap activate": (want(), dict(swapfile(can_swapon=False), active=None)),
    "cap reprioritize": (want(priority=1), swapfile(can_swapon=False)),
    "transition resize": (want(size_bytes=GIB), swapfile(tmp_active=LEFTOVER)),
    "transition reprioritize": (want(priority=1), swapfile(tmp_active=LEFTOVER)),
    "disk reprioritize": (want(priority=1), swapfile(fs_free_bytes=GIB, fs_total_bytes=100 * GIB)),
    "memory unread": (want(state="absent"), swapfile(used=MIB, mem_available=None)),
    "memory short remove": (want(state="absent"), swapfile(used=GIB, mem_available=GIB, other_swap_free=None)),
    "memory short resize": (want(size_bytes=GIB), swapfile(used=3 * GIB, mem_available=GIB, other_swap_free=100 * MIB)),
    "memory short reprioritize": (want(priority=1), swapfile(used=GIB, mem_available=0, other_swap_free=0)),
    "disk recreate": (want(force=True), cur(kind="file", file_size=MIB, fs_free_bytes=GIB, fs_total_bytes=100 * GIB)),
    "disk inactive resize": (want(size_bytes=2 * GIB), dict(swapfile(fs_free_bytes=GIB, fs_total_bytes=100 * GIB), active=None)),
    "fs refusal resize": (want(size_bytes=GIB), swapfile(fs_refusal="/ is on tmpfs")),
}


@pytest.mark.parametrize("case, message", [
    ('memory short reprioritize',
     ('refusing to change the priority of /swapfile: swapoff would have to move 1024 MiB of swapped pages (+ 256 MiB '
      'margin = 1280 MiB) into memory available 0 MiB + free on other swap 0 MiB + the new file 512 MiB = 512 MiB; the '
      'kernel would OOM-kill processes. Nothing was changed. Free memory first (stop or restart the processes using '
      'swap), or add another swap file first.')),
    ('disk recreate',
     ('refusing to create /swapfile: it needs 511 MiB on /, which has 1024 MiB free of 102400 MiB, and 1024 MiB must '
      'stay free (min_free_disk); short by 511 MiB. Nothing was changed. Choose a smaller size or another filesystem.')),
    ('disk inactive resize',
     ('refusing to resize /swapfile: it needs 1536 MiB on /, which has 1024 MiB free of 102400 MiB, and 1024 MiB must '
      'stay free (min_free_disk); short by 1536 MiB. Nothing was changed. Choose a smaller size or another filesystem.')),
    ('fs refusal resize', 'refusing to resize /swapfile: / is on tmpfs'),
    ('dir',
     ('refusing to touch /swapfile: it is a directory, not a swap file; it is never overwritten or deleted '
      '(force only ever replaces a regular file). Choose another path.')),
    ('block',
     ('refusing to touch /swapfile: it is a block device, not a swap file; it is never overwritten or '
      'deleted (force only ever replaces a regular file). Choose another path.')),
    ('other',
     ('refusing to touch /swapfile: it is not a regular file, not a swap file; it is never overwritten or '
      'deleted (force only ever replaces a regular file). Choose another path.')),
    ('delete data',
     ('refusing to delete /swapfile: it holds 99 bytes that are not a swap area. Nothing was changed. '
      'Remove it yourself, or set force: true to delete it.')),
    ('delete unsized',
     ('refusing to delete /swapfile: it holds 0 bytes that are not a swap area. Nothing was changed. '
      'Remove it yourself, or set force: true to delete it.')),
    ('overwrite unsized',
     ('refusing to overwrite /swapfile: it is a regular file of 0 bytes that is not a swap area (data?). '
      'Nothing was changed. Choose another path, or set force: true to replace it.')),
    ('fs refusal',
     'refusing to create /swapfile: / is on tmpfs'),
    ('free unread',
     'refusing to create /swapfile: the free space on its filesystem could not be read'),
    ('total unread',
     'refusing to create /swapfile: the free space on its filesystem could not be read'),
    ('no mount point',
     ('refusing to create /swapfile: it needs 512 MiB on its filesystem, which has 600 MiB free of 1000 '
      'MiB, and 100 MiB must stay free (min_free_disk); short by 12 MiB. Nothing was changed. Choose a '
      'smaller size or another filesystem.')),
    ('cap create',
     'cannot create /swapfile: ' + NO_CAP),
    ('cap recreate',
     'cannot create /swapfile: ' + NO_CAP),
    ('cap remove',
     'cannot turn off /swapfile: ' + NO_CAP),
    ('cap resize',
     'cannot resize /swapfile: ' + NO_CAP),
    ('cap activate',
     'cannot turn on /swapfile: ' + NO_CAP),
    ('cap reprioritize',
     'cannot change the priority of /swapfile: ' + NO_CAP),
    ('transition resize',
     ('refusing to resize /swapfile: the transition file /.swapfile.headroom-resize of an earlier resize '
      'is still active; turn it off (swapoff) and delete it first.')),
    ('transition reprioritize',
     ('refusing to change the priority of /swapfile: the transition file /.swapfile.headroom-resize of an '
      'earlier run is still active; turn it off (swapoff) and delete it first.')),
    ('disk reprioritize',
     ('refusing to change the priority of /swapfile: it needs 512 MiB on /, which has 1024 MiB free of '
      '102400 MiB, and 1024 MiB must stay free (min_free_disk); short by 512 MiB. Nothing was changed. '
      'Choose a smaller size or another filesystem.')),
    ('memory unread',
     ('refusing to remove /swapfile: 1 MiB of its pages are in use and the memory available could not be '
      'read')),
    ('memory short remove',
     ('refusing to remove /swapfile: swapoff would have to move 1024 MiB of swapped pages (+ 256 MiB '
      'margin = 1280 MiB) into memory available 1024 MiB + free on other swap 0 MiB = 1024 MiB; the kernel '
      'would OOM-kill processes. Nothing was changed. Free memory first (stop or restart the processes '
      'using swap), or add another swap file first.')),
    ('memory short resize',
     ('refusing to resize /swapfile: swapoff would have to move 3072 MiB of swapped pages (+ 768 MiB '
      'margin = 3840 MiB) into memory available 1024 MiB + free on other swap 100 MiB + the new file 1024 '
      'MiB = 2148 MiB; the kernel would OOM-kill processes. Nothing was changed. Free memory first (stop '
      'or restart the processes using swap), or add another swap file first.')),
])
def test_every_refusal_word_for_word(case, message):
    """The swapfile module fails with these messages as they are: each names the path, the action and the numbers."""
    with pytest.raises(Refusal) as e:
        plan(*REFUSALS[case])
    assert e.value.message == message and str(e.value) == message


def test_check_swapoff_defaults_to_turning_off_with_no_new_file():
    with pytest.raises(Refusal) as e:
        check_swapoff("/s", 100 * MIB, 10 * MIB, None)
    assert e.value.message.startswith("refusing to turn off /s: swapoff would have to move 100 MiB")
    assert "free on other swap 0 MiB = 10 MiB;" in e.value.message
    assert e.value.numbers["new_swap_free_bytes"] == 0


def test_an_inactive_swap_file_is_removed_without_force():
    c = swapfile()
    c["active"] = None
    assert plan(want(state="absent"), c) == {"action": "remove", "active": False, "fix_mode": False, "numbers": {}}


def test_a_state_without_kind_is_a_missing_file():
    c = cur()
    del c["kind"]
    assert plan(want(), c)["action"] == "create"


def test_a_priority_change_weighs_the_pages_in_use_and_the_other_swap():
    numbers = plan(want(priority=1), swapfile(used=10 * MIB, other_swap_free=5 * MIB))["numbers"]
    assert (numbers["used_bytes"], numbers["other_swap_free_bytes"], numbers["margin_bytes"]) == (10 * MIB, 5 * MIB, 64 * MIB)


def test_unread_other_swap_counts_as_none_free():
    p = plan(want(state="absent"), swapfile(used=MIB, other_swap_free=None))
    assert p["action"] == "remove" and p["numbers"]["other_swap_free_bytes"] == 0


@pytest.mark.parametrize("w, c, needed", [
    (want(force=True), cur(kind="file", file_size=100 * MIB), 412 * MIB),          # recreate: the growth
    (want(force=True), cur(kind="file"), 512 * MIB),                                # unsized file: all of it
    (want(size_bytes=GIB), dict(swapfile(), active=None), 512 * MIB),               # inactive resize: the growth
    (want(size_bytes=GIB), dict(swapfile(), active=None, file_size=None), GIB),     # unsized: all of it
    (want(size_bytes=GIB), swapfile(), 3 * 512 * MIB),                              # active resize: the peak
    (want(size_bytes=GIB), dict(swapfile(), file_size=None), 2 * GIB),                 # unsized: 2 x new
    (want(priority=1), swapfile(), 512 * MIB),                                      # reprioritize: a copy
])
def test_every_disk_check_honours_min_free_disk(w, c, needed):
    w["min_free_bytes"] = 7 * MIB
    numbers = plan(w, c)["numbers"]
    assert numbers["min_free_bytes"] == 7 * MIB and numbers["needed_bytes"] == needed


def test_default_min_free_is_whole_bytes():
    assert default_min_free(1000 * MIB + 5) == 100 * MIB and isinstance(default_min_free(1000 * MIB + 5), int)


OTHERS = {"path": "/swapfile", "type": "file", "size_bytes": GIB - 4096, "used_bytes": 0, "priority": -2}


@pytest.mark.parametrize("state, kind, here", [
    ("present", "missing", "there is no file at that path here"),
    ("present", "file", "the file at that path here is not a swap area"),
    ("absent", "file", "the file at that path here is not a swap area"),
])
def test_another_containers_swap_file_at_the_path_is_refused(state, kind, here):
    c = cur(kind=kind, file_size=99 if kind == "file" else None, foreign=OTHERS)
    with pytest.raises(Refusal) as e:
        plan(want(state=state, force=True), c)
    verb = "remove" if state == "absent" else "create"
    assert e.value.message.startswith("refusing to %s /swapfile: the kernel's swap list (/proc/swaps) has an active swap "
                                      "file at /swapfile (1023 MiB), but %s." % (verb, here))
    assert "Another container sharing this kernel" in e.value.message and "Nothing was changed" in e.value.message


def test_another_containers_swap_file_is_nothing_to_remove_here():
    p = plan(want(state="absent"), cur(foreign=OTHERS))
    assert p["action"] == "none" and p["active"] is False
