# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The type of a file as ansible.builtin.stat saw it, in words: the roles refuse to read what is not a regular
file (a read of a FIFO blocks forever) and say what it is instead."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

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


def article(what):
    """'a FIFO (named pipe)', 'missing': the kind as it reads after 'is'."""
    return what if what == "missing" else ("an " if what[0] in "aeiou" else "a ") + what
