# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read the places OOM kills are written to, each into a list of records (see oom.lines).

Every reader returns ``(status, records)`` where ``status`` is ``{name, status, lines, msg}``:
``status`` one of ``read``, ``absent``, ``denied``, ``error``; ``lines`` the number of lines (or
journal entries, or kmsg records) handed to the parser, after the marker pre-filter for files and
journalctl's ``--grep``; ``msg`` what went wrong, or ''. A reader never raises for a missing or unreadable
source.

Commands run through the ``run_command(args, environ_update=...) -> (rc, stdout, stderr)`` callable the
caller gives (the module passes ``module.run_command``), as an argument list, with ``LANG=C``/``LC_ALL=C``,
under ``timeout`` when it exists.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import glob
import os
import shutil
import stat
import time

from ansible_collections.headroom.memory.plugins.module_utils.oom.lines import split_json, split_kmsg, split_line
from ansible_collections.headroom.memory.plugins.module_utils.oom.scan import GREP_PATTERN, iter_marked_lines, marked

C_ENV = {'LANG': 'C', 'LC_ALL': 'C', 'LC_MESSAGES': 'C'}
SYSLOG_GLOBS = ('kern.log*', 'messages*', 'syslog*')
SYSLOG_BASES = ('kern.log', 'messages', 'syslog')
COMMAND_TIMEOUT = 60
KMSG_MAX_RECORDS = 1000000
# journalctl --grep (PCRE2): the same markers as the file scan plus the report lines they bring as context
JOURNAL_GREP = GREP_PATTERN + r'|PID: \d+ Comm: |^Pid: \d+, comm: |^,?(?:task|oom_memcg|task_memcg)=|^,?global_oom'
JOURNAL_MATCHES = ('_TRANSPORT=kernel', '+', 'SYSLOG_IDENTIFIER=systemd-oomd', '+', 'SYSLOG_IDENTIFIER=earlyoom',
                   '+', 'SYSLOG_IDENTIFIER=systemd')
_SEARCH_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'


def status(name, state, lines=0, msg=''):
    """A source's entry in the result."""
    return {'name': name, 'status': state, 'lines': lines, 'msg': msg}


def which(program):
    """Full path of a program, looking in the usual system directories too; None when missing."""
    return shutil.which(program) or shutil.which(program, path=_SEARCH_PATH)


def _errno_state(exc):
    if exc.errno in (errno.ENOENT, errno.ENXIO, errno.ENODEV, errno.ENOTDIR):
        return 'absent'
    if exc.errno in (errno.EACCES, errno.EPERM):
        return 'denied'
    return 'error'


def read_kmsg(path='/dev/kmsg', boot_time=None, name='kmsg'):
    """The kernel ring buffer from /dev/kmsg, non-blocking, until EAGAIN. Wall time = boot_time + uptime."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        return status(name, _errno_state(exc), 0, '%s: %s' % (path, exc.strerror)), []
    records = []
    state = status(name, 'read')
    try:
        for _i in range(KMSG_MAX_RECORDS):
            try:
                data = os.read(fd, 16384)
            except OSError as exc:
                if exc.errno == errno.EAGAIN:
                    break
                if exc.errno == errno.EPIPE:  # the record was overwritten while we read: go on
                    continue
                if exc.errno == errno.EINVAL:
                    continue
                state = status(name, _errno_state(exc), 0, '%s: %s' % (path, exc.strerror))
                break
            if not data:
                break
            rec = split_kmsg(data)
            if rec is None:
                continue
            up, msg = rec
            wall = boot_time + up if boot_time is not None else None
            records.append((wall, up, 'kernel', None, msg))
    finally:
        os.close(fd)
    state['lines'] = len(records)
    return state, records


def timeout_args(args, seconds):
    """``args`` run under coreutils' ``timeout`` of ``seconds`` where it exists (it exits 124 then)."""
    prog = which('timeout')
    if prog:
        return [prog, str(int(seconds))] + list(args)
    return list(args)


def _first_line(text):
    text = (text or '').strip()
    return text.splitlines()[0] if text else ''


def read_dmesg(run_command, boot_time=None, name='dmesg', timeout=COMMAND_TIMEOUT):
    """The ring buffer through ``dmesg`` (when /dev/kmsg is missing)."""
    prog = which('dmesg')
    if not prog:
        return status(name, 'absent', 0, 'dmesg not found'), []
    rc, out, err = run_command(timeout_args([prog], timeout), environ_update=dict(C_ENV))
    if rc != 0:
        text = _first_line(err) or 'rc=%s' % rc
        state = 'denied' if ('not permitted' in text or 'denied' in text) else 'error'
        if rc == 124:
            text = 'dmesg timed out after %ss' % timeout
        return status(name, state, 0, text), []
    records = []
    for line in out.splitlines():
        wall, up, _ident, pid, msg = split_line(line)
        if up is not None and boot_time is not None and wall is None:
            wall = boot_time + up
        records.append((wall, up, 'kernel', pid, msg))
    return status(name, 'read', len(records)), records


def journal_args(prog, since=None, grep=True):
    """journalctl arguments: kernel messages of every boot in the window plus the user-space killers."""
    args = [prog, '-o', 'json', '--no-pager', '-q']
    if since is not None:
        args += ['--since', time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(since))]
    if grep:
        args += ['--grep', JOURNAL_GREP]
    return args + list(JOURNAL_MATCHES)


def grep_unsupported(err):
    """Whether journalctl's error says it has no ``--grep`` (built without PCRE2, or too old)."""
    text = (err or '').lower()
    return 'grep' in text or 'pattern' in text or 'pcre' in text or 'unrecognized option' in text


JOURNAL_GROUPS = ('systemd-journal', 'adm', 'wheel')


def system_journal_visible():
    """Whether this user sees the system journal: root, or a member of systemd-journal, adm or wheel."""
    if os.geteuid() == 0:
        return True
    try:
        import grp
        gids = set(os.getgroups()) | {os.getegid()}
        for group in JOURNAL_GROUPS:
            try:
                if grp.getgrnam(group).gr_gid in gids:
                    return True
            except KeyError:
                continue
    except (ImportError, OSError):
        return True
    return False


def read_journal(run_command, since=None, name='journal', timeout=COMMAND_TIMEOUT):
    """The journal: ``journalctl -o json`` with ``--grep`` where supported, filtering here where not.

    A user who is neither root nor in systemd-journal/adm/wheel sees only their own journal, where no kernel
    message is: the source is ``denied`` without running journalctl.
    """
    prog = which('journalctl')
    if not prog:
        return status(name, 'absent', 0, 'journalctl not found'), []
    if not system_journal_visible():
        return status(name, 'denied', 0, 'not root nor in group %s: the system journal is not visible'
                      % '/'.join(JOURNAL_GROUPS)), []
    grep = True
    rc, out, err = run_command(timeout_args(journal_args(prog, since, grep=True), timeout), environ_update=dict(C_ENV))
    if rc not in (0, 124) and grep_unsupported(err):
        grep = False
        rc, out, err = run_command(timeout_args(journal_args(prog, since, grep=False), timeout),
                                   environ_update=dict(C_ENV))
    if rc == 124:
        return status(name, 'error', 0, 'journalctl timed out after %ss' % timeout), []
    text = _first_line(err)
    if 'No journal files were found' in (err or '') or 'No journal files were found' in (out or '')[:200]:
        return status(name, 'absent', 0, 'no journal files'), []
    # journalctl --grep exits 1 when nothing matched
    if rc != 0 and not (grep and rc == 1 and not (out or '').strip() and not text):
        state = 'denied' if ('ermission denied' in text or 'not permitted' in text) else 'error'
        return status(name, state, 0, text or 'journalctl rc=%s' % rc), []
    records = []
    entries = 0
    for line in (out or '').splitlines():
        if not line.startswith('{'):
            continue
        if not grep and not marked(line) and 'Comm: ' not in line and 'comm: ' not in line and 'task=' not in line:
            continue
        entries += 1
        records.extend(split_json(line))
    return status(name, 'read', entries, text if text and not out else ''), records


FILE_MAX_BYTES = 8 << 30     # decompressed bytes read from one log file (a gzip bomb stops here)
FILE_MAX_SECONDS = 120       # seconds spent on one log file
_READ_BLOCK = 1 << 16
_monotonic = time.monotonic


class _Decompressed(object):
    """A compressed stream read through an incremental decompressor: ``read(n)`` returns what was decoded,
    also when the stream is cut short (then ``truncated`` is set once the data before the cut is returned)."""

    def __init__(self, raw, kind):
        self.raw = raw
        self.kind = kind
        self.dec = self._decompressor()
        self.buf = b''
        self.truncated = False
        self.done = False

    def _decompressor(self):
        if self.kind == 'gzip':
            import zlib
            return zlib.decompressobj(16 + 15)
        if self.kind == 'bzip2':
            import bz2
            return bz2.BZ2Decompressor()
        import lzma
        return lzma.LZMADecompressor()

    def _fill(self):
        data = self.raw.read(_READ_BLOCK)
        if not data:
            if not self.dec.eof:
                self.truncated = True
            self.done = True
            return
        while data:
            self.buf += self.dec.decompress(data)
            if not self.dec.eof:
                return
            data = self.dec.unused_data  # concatenated members (gzip -c a b, pbzip2, xz --single-stream off)
            if not data:
                data = self.raw.read(_READ_BLOCK)
                if not data:
                    self.done = True
                    return
            self.dec = self._decompressor()

    def read(self, size):
        while len(self.buf) < size and not self.done:
            self._fill()
        out, self.buf = self.buf[:size], self.buf[size:]
        return out

    def close(self):
        self.raw.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class _Budget(object):
    """A file object that stops after ``max_bytes`` or ``max_seconds`` (``exceeded``: 'size' or 'time')."""

    def __init__(self, fobj, max_bytes, max_seconds):
        self.fobj = fobj
        self.left = max_bytes
        self.deadline = _monotonic() + max_seconds
        self.exceeded = None

    def read(self, size):
        if self.left <= 0:
            if self.fobj.read(1):
                self.exceeded = 'size'
            return b''
        if _monotonic() > self.deadline:
            self.exceeded = 'time'
            return b''
        data = self.fobj.read(min(size, self.left))
        self.left -= len(data)
        return data


def open_regular(path):
    """Binary file object of ``path`` when it is a regular file; IOError/OSError otherwise.

    Opened with O_NONBLOCK (a FIFO must not block the open) and checked with fstat on the open descriptor
    (no stat-then-open race): FIFOs, devices (/dev/zero), sockets and directories are refused.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, 'O_NOCTTY', 0) | getattr(os, 'O_CLOEXEC', 0)
    fd = os.open(path, flags)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, 'not a regular file')
        return os.fdopen(fd, 'rb')
    except BaseException:
        os.close(fd)
        raise


def _open_log(path):
    """(binary file object, mtime) for a plain, gzip, bzip2 or xz log (by its first bytes), regular files only."""
    raw = open_regular(path)
    try:
        mtime = os.fstat(raw.fileno()).st_mtime
        magic = raw.read(6)
        raw.seek(0)
    except BaseException:
        raw.close()
        raise
    if magic[:2] == b'\x1f\x8b':
        return _Decompressed(raw, 'gzip'), mtime
    if magic[:3] == b'BZh':
        return _Decompressed(raw, 'bzip2'), mtime
    if magic[:6] == b'\xfd7zXZ\x00':
        return _Decompressed(raw, 'xz'), mtime
    return raw, mtime


def read_log_file(path, name=None, max_bytes=FILE_MAX_BYTES, max_seconds=FILE_MAX_SECONDS, chunk=None):
    """One log file (syslog, kern.log, dmesg or journalctl output, kmsg copy; plain or compressed).

    Only a regular file is read (a FIFO, /dev/zero or a socket is an ``error``), at most ``max_bytes``
    (decompressed) in at most ``max_seconds``; a file cut short (truncated gzip, a budget) keeps the kills
    read before the cut, with status ``error`` saying why.
    """
    # imported here: a run that reads no log file (the usual /dev/kmsg + journal) does not compile the parser
    from ansible_collections.headroom.memory.plugins.module_utils.oom.events import is_oom_record

    name = name or 'file:' + path
    records = []
    count = 0
    problem = None
    try:
        fobj, ref = _open_log(path)
        with fobj:
            limited = _Budget(fobj, max_bytes, max_seconds)
            scan = iter_marked_lines(limited, chunk) if chunk else iter_marked_lines(limited)
            for raw in scan:
                line = raw.decode('utf-8', 'replace')
                count += 1
                # keep only OOM lines: memory grows with the kills, not with the lines that merely say "kill"
                if line.startswith('{'):
                    records.extend(r for r in split_json(line) if is_oom_record(r))
                else:
                    record = split_line(line, ref)
                    if is_oom_record(record):
                        records.append(record)
            if limited.exceeded == 'size':
                problem = 'stopped after %d bytes: size budget reached (kills before are kept)' % max_bytes
            elif limited.exceeded == 'time':
                problem = 'stopped after %ss: time budget reached (kills before are kept)' % max_seconds
            elif getattr(fobj, 'truncated', False):
                problem = 'compressed data truncated (kills before the cut are kept)'
    except (IOError, OSError) as exc:
        state = _errno_state(exc) if getattr(exc, 'errno', None) else 'error'
        return status(name, state, count, '%s: %s' % (path, exc.strerror or exc)), records
    except (EOFError, ValueError) as exc:  # corrupt compressed file: keep what was read
        return status(name, 'error', count, '%s: %s' % (path, exc)), records
    except Exception as exc:  # pylint: disable=broad-except
        # zlib.error and friends: the module must still answer with the other sources
        return status(name, 'error', count, '%s: %s' % (path, exc)), records
    if problem:
        return status(name, 'error', count, '%s: %s' % (path, problem)), records
    return status(name, 'read', count), records


def syslog_files(log_dir='/var/log', since=None):
    """The syslog files to read: the live ones always, rotated ones only if written after ``since``."""
    paths = []
    for pattern in SYSLOG_GLOBS:
        for path in sorted(glob.glob(os.path.join(log_dir, pattern))):
            if not os.path.isfile(path):
                continue
            base = os.path.basename(path)
            if base not in SYSLOG_BASES and since is not None:
                try:
                    if os.stat(path).st_mtime < since:
                        continue
                except OSError:
                    pass
            paths.append(path)
    return paths


def expand_files(patterns):
    """User ``oom_files``: paths or globs -> (existing paths, patterns that matched nothing)."""
    paths = []
    missing = []
    for pattern in patterns or ():
        pattern = os.path.expanduser(str(pattern))
        if any(c in pattern for c in '*?['):
            found = sorted(p for p in glob.glob(pattern) if os.path.isfile(p))
        else:
            found = [pattern] if os.path.lexists(pattern) else []
        if not found:
            missing.append(pattern)
        for path in found:
            if path not in paths:
                paths.append(path)
    return paths, missing
