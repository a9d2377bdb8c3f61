# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Configuration files of services read on the target, safely: the bounded reader and the include walker
the database and worker settings parsers share.

Hardened for files a local user may write: a file is read only when it is a regular file (a FIFO, device or
directory is skipped without blocking), at most MAX_FILE_BYTES of it; at most MAX_FILES files and
MAX_DEPTH levels of includes, each file once; lines longer than MAX_LINE are skipped. Problems name what
was skipped, never a path or a line (they may be a local user's text).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import re
import stat

MAX_FILE_BYTES = 1024 * 1024
MAX_FILES = 64
MAX_DEPTH = 8
MAX_LINE = 4096

_DIR_ENTRY_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.@+-]{0,250}$")


def read_fd_bounded(fd, limit):
    """The bytes of an open file descriptor, read up to just past ``limit``: a result longer than ``limit``
    means the file holds (or grew to) more, and the caller refuses it."""
    chunks, total = [], 0
    while total <= limit:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


class Reader(object):
    """Reads each regular file once, bounded; ``problems`` says what was skipped and why (paths are not
    reported: they may be a local user's text)."""

    def __init__(self, root=""):
        self.root = root
        self.seen = set()
        self.files = 0
        self.problems = []

    def _path(self, path):
        return self.root + path if self.root else path

    def read(self, path):
        """The text of ``path`` or None (missing, not a regular file, too big, too many files, read before)."""
        if self.files >= MAX_FILES:
            self.problem("more than %d configuration files: the rest were not read" % MAX_FILES)
            return None
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(self._path(path), flags)
        except OSError as exc:
            if exc.errno not in (errno.ENOENT, errno.ENOTDIR):
                self.problem("a configuration file could not be opened (%s)" % errno.errorcode.get(exc.errno, "error"))
            return None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                self.problem("a configuration file is not a regular file: skipped")
                return None
            if (st.st_dev, st.st_ino) in self.seen:
                return None  # included twice, or an include loop
            self.seen.add((st.st_dev, st.st_ino))
            if st.st_size > MAX_FILE_BYTES:
                self.problem("a configuration file is larger than %d bytes: skipped" % MAX_FILE_BYTES)
                return None
            self.files += 1
            data = read_fd_bounded(fd, MAX_FILE_BYTES)
            if len(data) > MAX_FILE_BYTES:
                self.problem("a configuration file grew beyond %d bytes while read: skipped" % MAX_FILE_BYTES)
                return None
            return data.decode("utf-8", "replace")
        except OSError:
            self.problem("a configuration file could not be read")
            return None
        finally:
            os.close(fd)

    def listdir(self, path, suffix, prefix=""):
        """The entries of directory ``path`` starting with ``prefix`` and ending in ``suffix`` with plain names,
        sorted (as the servers read them), or [] when it is not a directory."""
        try:
            if not stat.S_ISDIR(os.stat(self._path(path)).st_mode):
                return []
            names = os.listdir(self._path(path))
        except OSError:
            return []
        return sorted(n for n in names if n.startswith(prefix) and n.endswith(suffix)
                      and len(n) >= len(prefix) + len(suffix) and _DIR_ENTRY_RE.match(n))

    def problem(self, text):
        if text not in self.problems:
            self.problems.append(text)


def lines(text):
    for line in (text or "").splitlines():
        if len(line) <= MAX_LINE:
            yield line


def join(base_dir, path):
    return path if path.startswith("/") else os.path.normpath(os.path.join(base_dir, path))


def walk(reader, path, parse, raw, missing=None, depth=0, must=True):
    """Read ``path`` and what it includes into ``raw``, depth first, in the order the server reads them (later
    wins). ``parse(text, base_dir)`` yields ("set", name, value), ("include", path, must) or ("dir", path,
    suffix or (prefix, suffix)): the directory's entries that match, sorted; an include path of "" is refused
    like one nested too deep, None is one the server ignores.
    ``missing`` is the problem reported when a file that must exist cannot be read."""
    text = reader.read(path)
    if text is None:
        if must and missing:
            reader.problem(missing)
        return
    for kind, target, extra in parse(text, os.path.dirname(path)):
        if kind == "set":
            raw[target] = extra
        elif depth >= MAX_DEPTH or target == "":
            reader.problem("includes nested deeper than %d levels were not read" % MAX_DEPTH)
        elif target is None:
            continue
        elif kind == "dir":
            prefix, suffix = extra if isinstance(extra, tuple) else ("", extra)
            for entry in reader.listdir(target, suffix, prefix):
                walk(reader, os.path.join(target, entry), parse, raw, missing, depth + 1, False)
        else:
            walk(reader, target, parse, raw, missing, depth + 1, extra)
