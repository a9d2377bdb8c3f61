# -*- coding: utf-8 -*-
"""Which sysctl.d file wins at boot (systemd-sysctl order), and where ours goes with override."""

from ansible_collections.headroom.memory.plugins.plugin_utils.swap.sysctl_plan import effective_files, sysctl_plan

OURS = "90-headroom-swap.conf"


def test_lexical_order_and_shadowing():
    files = effective_files([
        "/usr/lib/sysctl.d/50-default.conf", "/etc/sysctl.d/50-default.conf", "/run/sysctl.d/10-a.conf",
        "/lib/sysctl.d/99-z.conf", "/usr/lib/sysctl.d/99-z.conf", "/etc/sysctl.d/readme.txt", "/tmp/x.conf"])
    assert files == [("10-a.conf", "/run/sysctl.d/10-a.conf"), ("50-default.conf", "/etc/sysctl.d/50-default.conf"),
                     ("99-z.conf", "/usr/lib/sysctl.d/99-z.conf")]


def test_earlier_files_do_not_override():
    assert sysctl_plan(["/usr/lib/sysctl.d/50-pid-max.conf", "/etc/sysctl.d/" + OURS], OURS) == {
        "name": OURS, "overriders": [], "moved": False, "remove": []}


def test_later_file_is_reported():
    plan = sysctl_plan(["/etc/sysctl.d/99-sysctl.conf", "/usr/lib/sysctl.d/95-vm.conf", "/etc/sysctl.d/" + OURS], OURS)
    assert plan == {"name": OURS, "overriders": ["/usr/lib/sysctl.d/95-vm.conf", "/etc/sysctl.d/99-sysctl.conf"],
                    "moved": False, "remove": []}


def test_override_moves_ours_after_the_last_and_is_stable():
    found = ["/etc/sysctl.d/99-sysctl.conf", "/usr/lib/sysctl.d/95-vm.conf"]
    plan = sysctl_plan(found, OURS, override=True)
    assert plan["name"] == "99-sysctl_headroom-swap.conf" and plan["moved"]
    assert sorted(["99-sysctl.conf", plan["name"]])[-1] == plan["name"]
    # next run: our moved file is found too, and the answer is the same
    assert sysctl_plan(found + ["/etc/sysctl.d/" + plan["name"]], OURS, override=True) == plan


def test_our_file_under_a_name_no_longer_used_is_to_be_removed():
    # issue 32: the role deletes it during the apply; remediate copies it aside first (phases.planned_files)
    found = ["/etc/sysctl.d/99-sysctl.conf", "/etc/sysctl.d/" + OURS]
    plan = sysctl_plan(found, OURS, override=True)
    assert plan["name"] == "99-sysctl_headroom-swap.conf" and plan["remove"] == ["/etc/sysctl.d/" + OURS]
    # back without override: the moved file goes; ours in another directory is never the role's to delete
    back = sysctl_plan(found[:1] + ["/etc/sysctl.d/" + plan["name"], "/run/sysctl.d/" + OURS], OURS)
    assert back["name"] == OURS and back["remove"] == ["/etc/sysctl.d/99-sysctl_headroom-swap.conf"]
