# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""bench/suite_stages: where the last `make test` spent its time, from the timelines it wrote.

tools/test.sh writes .work/test-timeline.tsv (each set-up step and stage: start and end, epoch seconds; the static
stages' child .work/test-timeline-static.tsv) and tools/molecule.sh .work/molecule-timeline.tsv (each scenario: the
lane that ran it, when that lane picked it, when it started after waiting for its image and lock, when it ended;
the core216 stage's run .work/molecule-timeline-core216.tsv). This prints them on one clock (seconds from the
first line), each lane's busy and waiting time, how long the VM stage ran beside a podman scenario, and what ended
last: the critical path's tail. It measures nothing itself and asserts nothing.

usage: .venv/bin/python bench/suite_stages/run.py [--work .work]
"""

from __future__ import absolute_import, division, print_function

import argparse
import csv
import os
import sys

__metaclass__ = type


def read_tsv(path):
    """The rows of a timeline file as dicts, or [] when the file is absent."""
    if not os.path.isfile(path):
        return []
    with open(path) as f:
        return list(csv.DictReader(f, delimiter='\t'))


def overlap(a0, a1, spans):
    """Seconds of [a0, a1] covered by the union of spans."""
    covered = 0
    cursor = a0
    for s0, s1 in sorted(spans):
        s0, s1 = max(s0, cursor), min(s1, a1)
        if s1 > s0:
            covered += s1 - s0
            cursor = s1
    return covered


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--work', default=os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '.work'))
    args = parser.parse_args(argv)
    stages = read_tsv(os.path.join(args.work, 'test-timeline.tsv'))
    stages += [dict(r, stage='static:' + r['stage']) for r in read_tsv(os.path.join(args.work, 'test-timeline-static.tsv'))]
    scen = [dict(r, run='') for r in read_tsv(os.path.join(args.work, 'molecule-timeline.tsv'))]
    scen += [dict(r, run='core216') for r in read_tsv(os.path.join(args.work, 'molecule-timeline-core216.tsv'))]
    if not stages and not scen:
        print('no timeline under %s: run make test (or tools/molecule.sh) first' % os.path.abspath(args.work))
        return 1
    starts = [int(r['started']) for r in stages] + [int(r['picked']) for r in scen]
    t0 = min(starts)
    if stages:
        print('stage                 start    end   time  passed failed')
    for r in sorted(stages, key=lambda r: (int(r['started']), r['stage'])):
        b, e = int(r['started']) - t0, int(r['ended']) - t0
        print('%-20s %6d %6d %6d  %6s %6s' % (r['stage'], b, e, e - b, r['passed'], r['failed']))
    if scen:
        print()
        print('scenario               kind        lane        picked  start    end  waited    ran  rc')
        lanes = {}
        for r in sorted(scen, key=lambda r: int(r['started'])):
            p, b, e = int(r['picked']) - t0, int(r['started']) - t0, int(r['ended']) - t0
            lane = r['lane'] + ('(core216)' if r['run'] else '')
            lanes.setdefault(lane, []).append((p, b, e))
            print('%-22s %-11s %-11s %6d %6d %6d %6d %6d  %s' % (r['scenario'], r['kind'], lane, p, b, e, b - p, e - b, r['rc']))
        print()
        print('lane              first   last   busy  waited (image, lock)')
        for lane, spans in sorted(lanes.items()):
            print('%-16s %6d %6d %6d %6d' % (lane, min(s[0] for s in spans), max(s[2] for s in spans),
                                             sum(s[2] - s[1] for s in spans), sum(s[1] - s[0] for s in spans)))
        podman = [(int(r['started']) - t0, int(r['ended']) - t0) for r in scen if r['kind'] != 'vm']
        for r in scen:
            if r['kind'] == 'vm':
                b, e = int(r['started']) - t0, int(r['ended']) - t0
                print('vm %s: %d s, of which %d s beside a podman scenario' % (r['scenario'], e - b, overlap(b, e, podman)))
        last = max(scen, key=lambda r: int(r['ended']))
        print('molecule: last scenario to end: %s (lane %s) at %d s' % (last['scenario'], last['lane'], int(last['ended']) - t0))
    if stages:
        last = max(stages, key=lambda r: int(r['ended']))
        print('make test: last stage to end: %s at %d s' % (last['stage'], int(last['ended']) - t0))
    return 0


if __name__ == '__main__':
    sys.exit(main())
