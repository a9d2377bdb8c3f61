# -*- coding: utf-8 -*-
"""swap_plan.plan: every action, and every refusal with its numbers, from faked current states."""

import pytest

from ansible_collections.headroom.memory.plugins.module_utils.swap.plan import (
    Refusal, absorbable, check_swapoff, default_min_free, margin, mib, plan)

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
    assert mib(5 * MIB + MIB // 2) == "5.5 MiB" and mib(3 * GIB) == "3072 MiB" and mib(None) == "unknown"
    assert check_swapoff("/s", 0, None, 0)["used_bytes"] == 0
