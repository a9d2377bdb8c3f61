# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Recall on held-out real formats (#29 item 8): F1 of the kills found against fixtures/oom/heldout/expected.json.

The held-out files were written from the writers' own format strings (earlyoom's kill.c/main.c/msg.c at each tag
1.0 to 1.9.0; the kernel's mm/oom_kill.c "Killed process" layouts from 2.6.18 to 6.x, continuation printing,
reports cut by journald's "Missed N kernel messages"), measured before the parser was changed for them: see
heldout/README.md for the score then and now. A kill is (killer, victim pid, victim comm). Each file is read as
memory_facts reads an ``oom_files`` log (oom.sources.read_log_file), so the scan's prefilter is measured too."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest

from ansible_collections.headroom.memory.plugins.module_utils.oom.events import build_history
from ansible_collections.headroom.memory.plugins.module_utils.oom.sources import read_log_file

HELDOUT = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'unit', 'fixtures', 'oom', 'heldout')
TARGET_F1 = 0.97

pytestmark = pytest.mark.usefixtures('utc')  # conftest.py


def expected():
    with open(os.path.join(HELDOUT, 'expected.json'), encoding='utf-8') as f:
        return dict((k, set(tuple(x) for x in v)) for k, v in json.load(f).items())


def found(prefix):
    [name] = [n for n in os.listdir(HELDOUT) if n.startswith(prefix + '-')]
    state, records = read_log_file(os.path.join(HELDOUT, name))  # the module's own path: the scan, then the parser
    assert state['status'] == 'read'
    events = build_history([('file', records)])[0]
    return [(e['killer'], e['victim']['pid'], e['victim']['comm']) for e in events]


def score():
    """(precision, recall, f1, {file: (missed, extra)})."""
    tp = fp = fn = 0
    misses = {}
    for prefix, want in sorted(expected().items()):
        got = found(prefix)
        hits = [k for k in got if k in want]
        tp += len(set(hits))
        extra = [k for k in got if k not in want] + hits[len(set(hits)):]  # a kill counted twice is a false one
        fp += len(extra)
        missed = want - set(got)
        fn += len(missed)
        if missed or extra:
            misses[prefix] = (sorted(missed), sorted(extra))
    precision = tp / float(tp + fp) if tp + fp else 1.0
    recall = tp / float(tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1, misses


def test_every_held_out_file_has_its_expectation():
    names = [n.split('-', 1)[0] for n in os.listdir(HELDOUT) if n.endswith('.log')]
    assert sorted(names) == sorted(expected())


def test_held_out_f1_reaches_the_target():
    precision, recall, f1, misses = score()
    assert f1 >= TARGET_F1, (round(precision, 3), round(recall, 3), round(f1, 3), misses)
