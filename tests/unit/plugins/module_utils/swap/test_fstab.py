# -*- coding: utf-8 -*-
"""fstab editing: only our own swap line changes; every other byte stays."""

from ansible_collections.headroom.memory.plugins.module_utils.swap.fstab import (
    escape, find_lines, make_line, same_entry, swap_options, update)

OTHER = (
    "# /etc/fstab: static file system information.\n"
    "UUID=abcd /               ext4    errors=remount-ro 0       1\n"
    "\n"
    "/dev/sdb1\tnone\tswap\tsw\t0\t0\n"
    "/swapfile /mnt/odd ext4 defaults 0 0\n"
    "   # indented comment with /swapfile none swap\n"
)


def test_append_keeps_everything_else_byte_for_byte():
    line = make_line("/swapfile", swap_options(10))
    new, changed = update(OTHER, "/swapfile", line)
    assert changed
    assert new == OTHER + "/swapfile none swap sw,nofail,pri=10 0 0\n"


def test_append_to_file_without_final_newline():
    new, changed = update("a b c d 0 0", "/swapfile", "/swapfile none swap sw 0 0")
    assert new == "a b c d 0 0\n/swapfile none swap sw 0 0\n" and changed


def test_same_entry_with_other_spacing_is_unchanged():
    text = OTHER + "/swapfile\tnone  swap sw,nofail,pri=10\n"
    new, changed = update(text, "/swapfile", make_line("/swapfile", "sw,nofail,pri=10"))
    assert not changed and new == text


def test_replace_in_place_and_drop_duplicates():
    text = "/swapfile none swap sw 0 0\r\n" + OTHER + "/swapfile none swap defaults 0 0\n"
    new, changed = update(text, "/swapfile", "/swapfile none swap sw,nofail,pri=5 0 0")
    assert changed
    assert new == "/swapfile none swap sw,nofail,pri=5 0 0\r\n" + OTHER


def test_remove_only_ours():
    text = OTHER + "/swapfile none swap sw,nofail 0 0\n" + "/swapfile2 none swap sw 0 0\n"
    new, changed = update(text, "/swapfile", None)
    assert changed and new == OTHER + "/swapfile2 none swap sw 0 0\n"
    again, changed2 = update(new, "/swapfile", None)
    assert again == new and not changed2


def test_non_swap_line_for_same_path_is_not_ours():
    assert find_lines(OTHER, "/swapfile") == []


def test_paths_with_spaces_are_escaped_and_matched():
    assert escape("/my swap\\file") == "/my\\040swap\\134file"
    line = make_line("/my swap", "sw")
    assert line == "/my\\040swap none swap sw 0 0"
    new, changed = update("", "/my swap", line)
    assert find_lines(new, "/my swap") == [line] and changed


def test_options():
    assert swap_options() == "sw,nofail"
    assert swap_options(7) == "sw,nofail,pri=7"
    assert swap_options(3, "defaults,pri=9") == "defaults,pri=3"
    assert swap_options(None, "defaults,pri=9") == "defaults,pri=9"
    assert same_entry("/s none swap sw", "/s none swap sw 0 0")
    assert not same_entry("/s none swap sw 0 0", "/s none swap sw,nofail 0 0")
