# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The OOM-kill history of a host: what the memory_facts module calls (oom_window to check the options,
read_oom_history to read; collect_oom_history does both).

collect_oom_history(sources=('auto',), files=(), since='30d', now=None, boot_time=None,
                    run_command=None, kmsg_path='/dev/kmsg', log_dir='/var/log',
                    timeout=60, max_events=200) -> dict

Arguments:
  sources      the ``oom_sources`` option: a list of ``auto``, ``kmsg``, ``journal``, ``syslog``,
               ``files``. ``auto`` reads every source that exists: the ring buffer (/dev/kmsg, or
               ``dmesg`` when /dev/kmsg is missing), the journal, and the syslog files
               (``<log_dir>/kern.log*``, ``messages*``, ``syslog*``; rotated ones, ``.gz`` too, only when
               written after the cutoff). ``files`` alone reads only ``files``. When the journal was read, only
               the kernel's lines of the syslog files count (user-space lines there cannot prove their writer).
  files        the ``oom_files`` option: paths or globs of more logs (plain, gzip, bzip2, xz), always read
               when given. ``sources: [files]`` without files is an error.
  since        the ``oom_since`` option (see oom.since.parse_since): ``30d``, ``24h``, ISO-8601, ``boot``,
               ``all``.
  now          epoch seconds (default: time.time()); boot_time: epoch seconds the host booted (default:
               btime from /proc/stat); both only matter for ``since`` and for the wall time of /dev/kmsg
               records.
  run_command  ``run_command(args, environ_update=dict) -> (rc, stdout, stderr)``; the module passes
               ``module.run_command``. Without it, journalctl and dmesg are not run (status ``error``).
  kmsg_path, log_dir  where to read from (tests point them at fixtures).
  timeout      seconds each command may take.
  max_events   the ``oom_max_events`` option: only the newest this many events are listed (200 by default,
               oom.options.MAX_EVENTS_DEFAULT); ``total``, ``dropped`` and ``counts`` still count every one.

Bad ``sources``, ``since`` or ``max_events`` raise ValueError before anything is read.

Returns:
  {'since': '2026-10-26T22:00:00Z' or None (for 'all'),
   'events': [{'time', 'uptime_s', 'killer', 'scope', 'constraint',
               'victim': {'pid', 'comm', 'uid', 'total_vm_kb', 'anon_rss_kb', 'file_rss_kb',
                          'shmem_rss_kb', 'pgtables_kb', 'oom_score_adj'},
               'trigger': {'pid', 'comm', 'gfp_mask', 'order', 'oom_score_adj'} or None,
               'oom_memcg', 'task_memcg', 'cgroup', 'unit', 'complete', 'sources': [...]}, ...],
   'total': n, 'dropped': n,
   'counts': {'by_comm': {comm: n}, 'by_unit': {unit: n}, 'by_killer': {killer: n}},
   'sources': [{'name', 'status', 'lines', 'msg'}, ...]}
``total`` is the number of events in the window, ``dropped`` how many of the oldest were left out of
``events`` (beyond ``max_events``); ``counts`` are over all ``total`` of them, and so is
``kernel_kills_logged_since_boot`` (kernel events at or after the boot). Events are oldest first; events whose
wall-clock time is unknown (a raw dmesg file) come last, by uptime, and are never dropped by ``since``. The
module adds ``kills_since_boot`` (from /proc/vmstat) and the check of the logged kernel kills against it
(``check_kill_count``) itself.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import time

from ansible_collections.headroom.memory.plugins.module_utils.procfs import read_boot_time
from ansible_collections.headroom.memory.plugins.module_utils.oom.options import (
    MAX_EVENTS_DEFAULT, check_max_events, resolve_sources)
from ansible_collections.headroom.memory.plugins.module_utils.oom.since import iso_utc, logged_kernel_kills, parse_since
from ansible_collections.headroom.memory.plugins.module_utils.oom.sources import (
    COMMAND_TIMEOUT, expand_files, read_dmesg, read_journal, read_kmsg, read_log_file, status, syslog_files)

# A kernel message can only start or make an event (oom.events._KernelReports) when oom.kernel.parse_kernel
# reads it as 'invoked', 'constraint', 'task_in', 'select', 'killed' or 'reaped' (a kill whose kill line was lost),
# and each of those needs one of these phrases; the other kinds ('cpu', 'cont', 'group') only add to a report.
KERNEL_EVENT_PHRASES = ('invoked oom-killer', 'oom-kill:', 'Killed process', 'ill process', 'Task in ',
                        'oom_reaper: reaped process')
# more records than this are parsed in a bounded window (oom.window, the same result): fewer hold at most that many
# events (~1.6 KB each) in the whole build, whose code is already compiled on the target (#29, #35)
WINDOW_RECORDS = 10000
# what oom.events.count_events([]) returns
NO_COUNTS = {'by_comm': {}, 'by_unit': {}, 'by_killer': {}}


def may_hold_events(per_source):
    """Whether any record of ``per_source`` (list of (name, records)) can yield an event or notice.

    A cheap test on the messages, so that a host without OOM kills (the usual case: a ring buffer of plain
    kernel messages) does not import the parser at all. Every record not from the kernel counts (the
    user-space parser decides on those).
    """
    for _name, records in per_source:
        for record in records:
            if record[2] != 'kernel':
                return True
            msg = record[4]
            if msg:
                for phrase in KERNEL_EVENT_PHRASES:
                    if phrase in msg:
                        return True
    return False


def check_kill_count(oom, counted, boot_time):
    """Add the kernel's own count to the history ``oom`` and flag logs that claim more kernel kills than it made.

    Sets ``kills_since_boot`` (``counted``: /proc/vmstat ``oom_kill``, None when unknown),
    ``kernel_kills_logged_since_boot`` (kernel events whose time is at or after ``boot_time``, over every
    event of the window where read_oom_history counted them before cutting the list; None when the boot time
    is unknown), ``kills_implausible`` (True when the logs hold more than the kernel counted: some kill lines
    were not the kernel's) and ``kills_notice`` (the sentence saying so, or None). Returns ``oom``.
    """
    logged = oom.get('kernel_kills_logged_since_boot') if 'kernel_kills_logged_since_boot' in oom else None
    if logged is None:
        logged = logged_kernel_kills(oom.get('events'), boot_time)
    implausible = counted is not None and logged is not None and logged > counted
    oom['kills_since_boot'] = counted
    oom['kernel_kills_logged_since_boot'] = logged
    oom['kills_implausible'] = implausible
    oom['kills_notice'] = (
        'the logs hold %d kernel OOM kills since boot but the kernel counted %d (oom_kill in /proc/vmstat): '
        'some of those lines were not written by the kernel' % (logged, counted)) if implausible else None
    return oom


def _no_runner(args, **kwargs):  # pylint: disable=unused-argument
    return 1, '', 'no run_command given'


def oom_window(sources=('auto',), files=(), since='30d', now=None, boot_time=None):
    """Check the options before anything is read: ``(kinds, cutoff, boot_time)``; ValueError when bad."""
    kinds = resolve_sources(sources, files)
    now = time.time() if now is None else float(now)
    if boot_time is None:
        boot_time = read_boot_time()
    return kinds, parse_since(since, now, boot_time), boot_time


def collect_oom_history(sources=('auto',), files=(), since='30d', now=None, boot_time=None, run_command=None,
                        kmsg_path='/dev/kmsg', log_dir='/var/log', timeout=COMMAND_TIMEOUT,
                        max_events=MAX_EVENTS_DEFAULT):
    """Read every chosen source and return the OOM-kill history (shape in the module docstring)."""
    check_max_events(max_events)
    kinds, cutoff, boot_time = oom_window(sources, files, since, now, boot_time)
    return read_oom_history(kinds, cutoff, boot_time, files, run_command, kmsg_path, log_dir, timeout, max_events)


def read_oom_history(kinds, cutoff, boot_time, files=(), run_command=None, kmsg_path='/dev/kmsg',
                     log_dir='/var/log', timeout=COMMAND_TIMEOUT, max_events=MAX_EVENTS_DEFAULT):
    """Read the source ``kinds`` (from oom_window) back to ``cutoff`` and return the history, its event
    list cut to the newest ``max_events``."""
    max_events = check_max_events(max_events)
    runner = run_command or _no_runner
    per_source = []
    states = []

    if 'kmsg' in kinds:
        state, records = read_kmsg(kmsg_path, boot_time)
        states.append(state)
        per_source.append((state['name'], records))
        if state['status'] == 'absent':
            state, records = read_dmesg(runner, boot_time, timeout=timeout)
            states.append(state)
            per_source.append((state['name'], records))

    journal_read = False
    if 'journal' in kinds:
        state, records = read_journal(runner, cutoff, timeout=timeout)
        states.append(state)
        per_source.append((state['name'], records))
        journal_read = state['status'] == 'read'

    paths = []
    found = []
    if 'syslog' in kinds:
        found = syslog_files(log_dir, cutoff)
        if not found:
            states.append(status('syslog', 'absent', 0, 'no %s' % ', '.join(
                os.path.join(log_dir, g) for g in ('kern.log*', 'messages*', 'syslog*'))))
        paths.extend(found)
    user_paths, missing = expand_files(files)
    for path in user_paths:
        if path not in paths:
            paths.append(path)
    for path in paths:
        state, records = read_log_file(path)
        if journal_read and path in found:
            # journald forwards a program's syslog text as it was written: in the syslog files a user's
            # `logger -t systemd-oomd` or `logger -t systemd --id=1` looks like the daemon; the journal, read,
            # holds the daemons' own lines with proof of their writer
            records = [r for r in records if r[2] == 'kernel']
        states.append(state)
        per_source.append((state['name'], records))
    for pattern in missing:
        states.append(status('file:' + pattern, 'absent', 0, 'no such file'))

    if may_hold_events(per_source):
        # imported here: parsing OOM reports is the costly part, and most hosts have none to parse
        if sum(len(records) for _name, records in per_source) > WINDOW_RECORDS:
            # the newest max_events, and the counts of all, holding a window of events, not every one (#29)
            from ansible_collections.headroom.memory.plugins.module_utils.oom.window import build_history_bounded
            built = build_history_bounded(per_source, cutoff, max_events, boot_time)
        else:
            from ansible_collections.headroom.memory.plugins.module_utils.oom.events import build_history_cut
            built = build_history_cut(per_source, cutoff, max_events, boot_time)
    else:
        built = {'events': [], 'total': 0, 'counts': dict((key, {}) for key in NO_COUNTS),
                 'kernel_kills_logged_since_boot': None if boot_time is None else 0}
    total = built['total']
    return {
        'since': iso_utc(cutoff) if cutoff is not None else None,
        'events': built['events'],  # the newest: oldest first, unknown times (a raw dmesg file) last
        'total': total,
        'dropped': max(total - max_events, 0),
        # over every event, not only the listed: check_kill_count compares the logged kernel kills with the kernel's
        'kernel_kills_logged_since_boot': built['kernel_kills_logged_since_boot'],
        'counts': built['counts'],
        'sources': states,
    }
