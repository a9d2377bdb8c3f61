# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""remediate: read one host's remedy-vars file from a diagnose report directory, on the controller.

``read_remedy(report_dir, host, report, allow_edited=False)`` returns the parsed document, or raises
RemediateError naming the file (never a byte of its content) when:

- it is not the regular file diagnose wrote inside the report directory: a symbolic link (to /etc/shadow or
  anywhere), a directory, a FIFO or a device, or a remedy-vars directory that is a link, is refused - each
  component is opened relative to the one above it with ``O_NOFOLLOW``, so nothing is followed between the
  check and the read;
- its SHA-256 is not the one report.json records for the host (``remedy_vars_sha256``, report.files), or
  report.json records none, unless ``allow_edited`` (the operator's remediate_allow_edited_remedies);
- it is larger than MAX_BYTES, not UTF-8, or not YAML (the line and column are named, not the text)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import stat

import yaml

from ansible_collections.headroom.memory.plugins.module_utils.config_files import read_fd_bounded
from ansible_collections.headroom.memory.plugins.plugin_utils.file_kind import article, kind_of_mode
from ansible_collections.headroom.memory.plugins.plugin_utils.remediate.plan import RemediateError, report_host
from ansible_collections.headroom.memory.plugins.plugin_utils.report.files import remedy_digest, remedy_path
from ansible_collections.headroom.memory.plugins.plugin_utils.report.svg_charts import report_text

MAX_BYTES = 1024 * 1024  # diagnose writes a few KiB per host
OPT_IN = "remediate_allow_edited_remedies"


def _open_below(root, rel, shown):
    """A read-only descriptor of ``root``/``rel``: every component is a real directory (the last a regular
    file), opened without following a link."""
    parts = rel.split("/")
    flags = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    dfd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | flags)
    try:
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            try:
                mode = os.lstat(part, dir_fd=dfd).st_mode
            except OSError as exc:
                if exc.errno == errno.ENOENT:
                    raise RemediateError("%s does not exist: diagnose writes one for every host it read; diagnose this "
                                         "host again. Nothing was changed." % shown)
                raise RemediateError("%s cannot be read (%s). Nothing was changed." % (shown, exc.strerror))
            if (last and not stat.S_ISREG(mode)) or (not last and not stat.S_ISDIR(mode)):
                what = os.path.join(root, *parts[:i + 1])
                raise RemediateError("%s is %s: refused - remediate reads only the regular file diagnose wrote inside "
                                     "the report directory. Nothing was read or changed."
                                     % (report_text(what, "text"), article(kind_of_mode(mode))))
            try:
                fd = os.open(part, os.O_RDONLY | flags | (os.O_NONBLOCK if last else os.O_DIRECTORY), dir_fd=dfd)
            except OSError as exc:  # swapped for a link since the lstat (ELOOP), or unreadable
                raise RemediateError("%s cannot be opened without following a link (%s): refused. Nothing was "
                                     "changed." % (shown, exc.strerror))
            os.close(dfd)
            dfd = fd
        return dfd
    except BaseException:
        os.close(dfd)
        raise


def read_bytes(report_dir, host):
    """(bytes, shown path) of ``host``'s remedy-vars file under ``report_dir`` (see the module's notes)."""
    root = os.path.realpath(str(report_dir))
    rel = remedy_path(host)
    shown = report_text(os.path.join(root, rel), "text")
    fd = _open_below(root, rel, shown)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise RemediateError("%s is %s: refused. Nothing was changed." % (shown, article(kind_of_mode(st.st_mode))))
        if st.st_size > MAX_BYTES:
            raise RemediateError("%s holds %d bytes, more than the %d a remedy-vars file may: refused. Nothing was "
                                 "changed." % (shown, st.st_size, MAX_BYTES))
        data = read_fd_bounded(fd, MAX_BYTES)
        if len(data) > MAX_BYTES:
            raise RemediateError("%s grew past %d bytes while it was read: refused. Nothing was changed." % (shown, MAX_BYTES))
        return data, shown
    finally:
        os.close(fd)


def read_remedy(report_dir, host, report, allow_edited=False):
    """``host``'s remedy-vars document, parsed; see the module's notes for what is refused."""
    data, shown = read_bytes(report_dir, host)
    if not allow_edited:
        recorded = (report_host(report, host) or {}).get("remedy_vars_sha256")
        if not recorded:
            raise RemediateError("%s: report.json records no digest of it (a report written before remediate checked "
                                 "them): diagnose again, or set %s: true to apply the file as it is. Nothing was "
                                 "changed." % (shown, OPT_IN))
        if remedy_digest(data) != recorded:
            raise RemediateError("%s was changed after diagnose wrote it (its SHA-256 is not the one report.json "
                                 "records): refused. Diagnose again, or set %s: true if the edit was intended (the "
                                 "allow-list and the remedy gate still apply). Nothing was changed." % (shown, OPT_IN))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RemediateError("%s is not UTF-8 text (byte %d): refused. Nothing was changed." % (shown, exc.start))
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = " (line %d, column %d)" % (mark.line + 1, mark.column + 1) if mark is not None else ""
        raise RemediateError("%s is not valid YAML%s: refused. Nothing was changed." % (shown, where))
