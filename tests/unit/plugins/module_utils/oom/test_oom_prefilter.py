# -*- coding: utf-8 -*-
"""The cheap check that lets collect_oom_history skip importing the parser must never hide a kill."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.headroom.memory.plugins.module_utils.oom.events import build_history
from ansible_collections.headroom.memory.plugins.module_utils.oom.history import may_hold_events
from ansible_collections.headroom.memory.plugins.module_utils.oom.lines import split_json, split_line

FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'unit', 'fixtures', 'oom')
LOGS = sorted(n for n in os.listdir(FIXTURES) if n.endswith('.log'))


def records(name):
    out = []
    with open(os.path.join(FIXTURES, name), encoding='utf-8') as f:
        for line in f:
            out.extend(split_json(line) if line.startswith('{') else [split_line(line, 0)])
    return out


@pytest.mark.parametrize('name', LOGS)
def test_every_sample_with_events_passes_the_check(name):
    per_source = [('file:' + name, records(name))]
    events, _counts = build_history(per_source)
    assert events, 'every sample holds at least one kill'
    assert may_hold_events(per_source)


def test_kernel_lines_the_check_rejects_yield_nothing():
    rejected = [r for name in LOGS for r in records(name)
                if r[2] == 'kernel' and not may_hold_events([('x', [r])])]
    assert len(rejected) > 100, 'the samples hold plenty of report lines that cannot start one'
    events, _counts = build_history([('file:rejected', rejected)])
    assert events == []
