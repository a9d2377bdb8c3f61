# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The type of a file as ansible.builtin.stat saw it, in words: the roles refuse to read what is not a regular
file (a read of a FIFO blocks forever) and say what it is instead."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import stat as _stat

_KINDS = (("isreg", "regular file"), ("islnk", "symbolic link"), ("isdir", "directory"), ("isfifo", "FIFO (named pipe)"),
          ("issock", "socket"), ("ischr", "character device"), ("isblk", "block device"))


def kind(stat):
    """'regular file', 'symbolic link', 'FIFO (named pipe)', ... or 'missing' (no stat, or exists false)."""
    if not isinstance(stat, dict) or not stat.get("exists"):
        return "missing"
    for key, name in _KINDS:
        if stat.get(key):
            return name
    return "file of unknown type"


_MODE_KINDS = ((_stat.S_ISREG, "regular file"), (_stat.S_ISLNK, "symbolic link"), (_stat.S_ISDIR, "directory"),
               (_stat.S_ISFIFO, "FIFO (named pipe)"), (_stat.S_ISSOCK, "socket"), (_stat.S_ISCHR, "character device"),
               (_stat.S_ISBLK, "block device"))


def kind_of_mode(mode):
    """The same words for an ``os.stat``/``os.lstat`` ``st_mode``."""
    for test, name in _MODE_KINDS:
        if test(mode):
            return name
    return "file of unknown type"


def article(what):
    """'a FIFO (named pipe)', 'missing': the kind as it reads after 'is'."""
    return what if what == "missing" else ("an " if what[0] in "aeiou" else "a ") + what
