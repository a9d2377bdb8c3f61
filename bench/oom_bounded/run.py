# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""bench/oom_bounded: peak memory of memory_facts' OOM history over a log of many kills (#29 item 4).

Generates (once, cached under /var/tmp/headroom-bench/oom_bounded/) a kern.log of ``--kills`` kernel kill lines
one second apart (every tenth of 'java'; with ``--notices`` each followed by systemd's "A process of this unit has
been killed by the OOM killer" line for its unit), then runs, each in a child process of its own, ``--rounds``
times in turn:

  import     imports the OOM code only
  read       oom.sources.read_log_file() alone: the records the parse is given
  whole      read_log_file() + oom.events.build_history() cut to the newest 200: the parse before #29 item 4
             (every event held), the baseline
  bounded    oom.history.collect_oom_history(sources=[files], since=all): memory_facts' own path, whose parse keeps
             a window of events (oom.events.build_history_bounded)

and prints the medians of each child's peak RSS (ru_maxrss from wait4), CPU and wall time, and the ratios
bounded/whole. 'whole' and 'bounded' must agree on total, dropped, counts and the listed events: the bench checks
it. Nothing is asserted about the figures: this prints numbers.

usage: .venv/bin/python bench/oom_bounded/run.py [--kills 200000] [--rounds 3] [--notices]
"""

from __future__ import absolute_import, division, print_function

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.dirname(HERE))
from benchlib import collection_path  # noqa: E402  pylint: disable=wrong-import-position
START = 1795000000  # 2026-11-18T09:46:40Z
KILL = ('%s+0000 vm kernel: Memory cgroup out of memory: Killed process %d (%s) total-vm:75176kB, anon-rss:65280kB, '
        'file-rss:6664kB, shmem-rss:0kB, UID:0 pgtables:192kB oom_score_adj:0\n')
NOTICE = '%s+0000 vm systemd[1]: %s: A process of this unit has been killed by the OOM killer.\n'
MODES = ('import', 'read', 'whole', 'bounded')


def generate(path, kills, notices):
    if os.path.exists(path):
        return
    tmp = path + '.tmp'
    with open(tmp, 'w') as out:
        for n in range(kills):
            stamp = time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(START + n))
            comm = 'java' if n % 10 == 0 else 'python3'
            out.write(KILL % (stamp, 10000 + n, comm))
            if notices:
                out.write(NOTICE % (stamp, '%s-%d.service' % (comm, n % 7)))
    os.rename(tmp, path)


def child(mode, path, out):
    """Run one mode in this process; write its summary of the result to ``out`` (JSON)."""
    sys.path.insert(0, collection_path())
    # pylint: disable=import-outside-toplevel
    from ansible_collections.headroom.memory.plugins.module_utils.oom import events, history, sources
    result = None
    if mode == 'read':
        state, records = sources.read_log_file(path)
        result = {'lines': state['lines'], 'records': len(records)}
    elif mode == 'whole':
        _state, records = sources.read_log_file(path)
        listed, counts = events.build_history([('file:' + path, records)], None)
        result = {'events': listed[-200:], 'total': len(listed), 'counts': counts}
    elif mode == 'bounded':
        oom = history.collect_oom_history(sources=['files'], files=[path], since='all', now=0.0, boot_time=0.0)
        result = {'events': oom['events'], 'total': oom['total'], 'counts': oom['counts']}
    with open(out, 'w') as f:
        json.dump(result, f, sort_keys=True)


def run(mode, path, out):
    t0 = time.time()
    proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), '--child', mode, '--log', path, '--out', out])
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.time() - t0
    if status != 0:
        raise SystemExit('%s: the child failed (status %d)' % (mode, status))
    return {'rss': usage.ru_maxrss / 1024.0, 'cpu': usage.ru_utime + usage.ru_stime, 'wall': wall}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--kills', type=int, default=200000)
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--notices', action='store_true')
    parser.add_argument('--dir', default='/var/tmp/headroom-bench/oom_bounded')
    parser.add_argument('--child', choices=MODES)
    parser.add_argument('--log')
    parser.add_argument('--out')
    args = parser.parse_args()
    if args.child:
        child(args.child, args.log, args.out)
        return
    os.makedirs(args.dir, exist_ok=True)
    path = os.path.join(args.dir, 'kern-%d%s.log' % (args.kills, '-notices' if args.notices else ''))
    generate(path, args.kills, args.notices)
    figures = dict((mode, []) for mode in MODES)
    outputs = {}
    for _round in range(args.rounds):
        for mode in MODES:
            out = os.path.join(args.dir, 'out-%s.json' % mode)
            figures[mode].append(run(mode, path, out))
            with open(out) as f:
                outputs[mode] = f.read()
    same = outputs['whole'] == outputs['bounded']
    print('oom_bounded: %d kills%s in %s (%.0f MiB), medians of %d rounds, each a child process'
          % (args.kills, ' with a systemd notice each' if args.notices else '', path,
             os.path.getsize(path) / 1048576.0, args.rounds))
    print('%-10s %14s %10s %10s' % ('mode', 'peak RSS MiB', 'CPU s', 'wall s'))
    med = {}
    for mode in MODES:
        med[mode] = dict((k, statistics.median(r[k] for r in figures[mode])) for k in ('rss', 'cpu', 'wall'))
        print('%-10s %14.1f %10.2f %10.2f' % (mode, med[mode]['rss'], med[mode]['cpu'], med[mode]['wall']))
    print('bounded / whole: peak RSS %.2f, above import %.2f, above read %.2f; CPU %.2f'
          % (med['bounded']['rss'] / med['whole']['rss'],
             (med['bounded']['rss'] - med['import']['rss']) / (med['whole']['rss'] - med['import']['rss']),
             (med['bounded']['rss'] - med['read']['rss']) / max(med['whole']['rss'] - med['read']['rss'], 0.1),
             med['bounded']['cpu'] / med['whole']['cpu']))
    print('same total, counts and newest 200 events as the whole build: %s' % ('yes' if same else 'NO'))


if __name__ == '__main__':
    main()
