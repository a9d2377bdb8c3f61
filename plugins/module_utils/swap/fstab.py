# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read and update the one fstab line of a swap file, keeping every other line byte for byte.

A line is ours when its first field is our path and its type is ``swap``. Nothing else is ever
rewritten: comments, blank lines, other swap lines, odd spacing and a missing final newline stay.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.headroom.memory.plugins.module_utils.procfs import unescape

DEFAULT_OPTIONS = "sw,nofail"


def escape(path):
    """fstab spelling of a path: space, tab, newline and backslash as octal escapes."""
    out = []
    for ch in path:
        if ch in " \t\n\\":
            out.append("\\%03o" % ord(ch))
        else:
            out.append(ch)
    return "".join(out)


def split_fields(line):
    """The fields of an fstab line, or None for a blank line or a comment."""
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        return None
    return stripped.split()


def is_our_line(line, path):
    fields = split_fields(line)
    return bool(fields) and len(fields) >= 3 and unescape(fields[0]) == path and fields[2] == "swap"


def swap_options(priority=None, options=None):
    """The options field: ``options`` (default ``sw,nofail``) with ``pri=N`` set when a priority is given."""
    opts = [o for o in (options or DEFAULT_OPTIONS).split(",") if o]
    opts = [o for o in opts if not o.startswith("pri=")] if priority is not None else opts
    if priority is not None:
        opts.append("pri=%d" % priority)
    return ",".join(opts)


def make_line(path, options):
    return "%s none swap %s 0 0" % (escape(path), options)


def find_lines(text, path):
    """Our lines (without line ends) in file order."""
    return [line.rstrip("\r\n") for line in (text or "").splitlines(True) if is_our_line(line, path)]


def same_entry(line, wanted):
    """True when two fstab lines mean the same (fields compared, whitespace ignored; pass/dump default 0)."""
    a = split_fields(line) or []
    b = split_fields(wanted) or []
    a = a + ["0"] * (6 - len(a))
    b = b + ["0"] * (6 - len(b))
    return a == b


def update(text, path, wanted):
    """Return (new_text, changed). ``wanted`` is the desired line, or None to remove our line(s).

    The first line of ours is replaced in place (keeping its line end) when it differs; duplicates of it
    are dropped; when there is none, ``wanted`` is appended (after a newline if the file lacks one).
    """
    text = text or ""
    lines = text.splitlines(True)
    out = []
    seen = False
    changed = False
    for line in lines:
        if not is_our_line(line, path):
            out.append(line)
            continue
        if wanted is None or seen:
            changed = True
            continue
        seen = True
        if same_entry(line, wanted):
            out.append(line)
        else:
            ending = line[len(line.rstrip("\r\n")):] or "\n"
            out.append(wanted + ending)
            changed = True
    if wanted is not None and not seen:
        if out and not out[-1].endswith("\n"):
            out[-1] = out[-1] + "\n"
        out.append(wanted + "\n")
        changed = True
    return "".join(out), changed
