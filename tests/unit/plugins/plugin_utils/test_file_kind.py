# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""file_kind names what stat saw, so that a refusal says what the file is instead of a regular one."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.headroom.memory.plugins.filter.file_kind import FilterModule

F = FilterModule().filters()


@pytest.mark.parametrize("stat, shown", [
    ({"exists": True, "isreg": True, "islnk": False}, "a regular file"),
    ({"exists": True, "isreg": False, "islnk": True}, "a symbolic link"),
    ({"exists": True, "isfifo": True}, "a FIFO (named pipe)"),
    ({"exists": True, "issock": True}, "a socket"),
    ({"exists": True, "isdir": True}, "a directory"),
    ({"exists": True, "ischr": True}, "a character device"),
    ({"exists": True, "isblk": True}, "a block device"),
    ({"exists": True}, "a file of unknown type"),
    ({"exists": False}, "missing"),
    (None, "missing"),
    ("text", "missing"),
])
def test_file_kind_names_the_type(stat, shown):
    assert F["file_kind"](stat) == shown


def test_kind_of_mode_names_what_lstat_saw_in_the_same_words(tmp_path):
    from ansible_collections.headroom.memory.plugins.plugin_utils.file_kind import kind_of_mode
    (tmp_path / "file").write_text("x")
    (tmp_path / "dir").mkdir()
    os.mkfifo(str(tmp_path / "fifo"))
    (tmp_path / "link").symlink_to(tmp_path / "file")
    shown = dict((name, kind_of_mode(os.lstat(str(tmp_path / name)).st_mode)) for name in ("file", "dir", "fifo", "link"))
    assert shown == {"file": "regular file", "dir": "directory", "fifo": "FIFO (named pipe)", "link": "symbolic link"}
    assert kind_of_mode(os.stat("/dev/null").st_mode) == "character device"
