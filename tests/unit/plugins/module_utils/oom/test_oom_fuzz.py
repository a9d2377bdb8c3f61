# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Property tests (hypothesis): the OOM parsers never raise on arbitrary input and always return the schema.

Inputs are arbitrary text/bytes, and real fixture lines cut, spliced and mutated, so that the generated lines
reach deep into the parsers instead of being rejected at the first character."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import io
import json
import os
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.headroom.memory.plugins.module_utils.oom.events import EVENT_KEYS, VICTIM_KEYS, build_history
from ansible_collections.headroom.memory.plugins.module_utils.oom.kernel import parse_kernel
from ansible_collections.headroom.memory.plugins.module_utils.oom.lines import split_json, split_kmsg, split_line
from ansible_collections.headroom.memory.plugins.module_utils.oom.scan import CONTEXT, iter_marked_lines, marked
from ansible_collections.headroom.memory.plugins.module_utils.oom.since import parse_since
from ansible_collections.headroom.memory.plugins.module_utils.systemd.unit_names import unit_from_cgroup
from ansible_collections.headroom.memory.plugins.module_utils.oom.userspace import parse_userspace

FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'fixtures', 'oom')


def _real_lines():
    lines = []
    for name in sorted(os.listdir(FIXTURES)):
        if name.endswith('.log'):
            with open(os.path.join(FIXTURES, name), encoding='utf-8') as f:
                lines.extend(line.rstrip('\n') for line in f if 'Kill' in line or 'oom' in line or 'OOM' in line
                             or 'SIG' in line or 'Comm:' in line)
    return lines


REAL = _real_lines()
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def mutated_line(draw):
    """A real line, cut at a random place, with random text spliced in."""
    line = draw(st.sampled_from(REAL))
    cut = draw(st.integers(0, len(line)))
    insert = draw(st.text(max_size=12))
    keep = draw(st.integers(0, len(line)))
    return line[:cut] + insert + line[min(len(line), cut + keep):] if draw(st.booleans()) else line[:cut] + insert


ANY_LINE = st.one_of(st.text(max_size=300), mutated_line(), st.sampled_from(REAL))


def _record_ok(rec):
    assert isinstance(rec, tuple) and len(rec) == 5
    wall, up, ident, pid, msg = rec
    assert wall is None or isinstance(wall, float) or isinstance(wall, int)
    assert up is None or isinstance(up, float)
    assert ident is None or isinstance(ident, str)
    assert pid is None or isinstance(pid, int)
    assert isinstance(msg, str)


@FUZZ
@given(ANY_LINE)
def test_split_line_never_raises(line):
    _record_ok(split_line(line, 1795633865.0))


@FUZZ
@given(st.binary(max_size=300))
def test_split_kmsg_never_raises(data):
    rec = split_kmsg(data)
    assert rec is None or (isinstance(rec[0], float) and isinstance(rec[1], str))


JSON_VALUE = st.one_of(st.none(), st.text(max_size=40), st.integers(), st.lists(st.integers(-300, 300), max_size=20),
                       st.sampled_from(REAL), mutated_line())
JSON_KEYS = st.sampled_from(['MESSAGE', 'SYSLOG_IDENTIFIER', '_COMM', '_PID', '_TRANSPORT', '__REALTIME_TIMESTAMP',
                             '__MONOTONIC_TIMESTAMP', '_SOURCE_MONOTONIC_TIMESTAMP', '_SOURCE_REALTIME_TIMESTAMP'])


@FUZZ
@given(st.one_of(st.text(max_size=200), st.dictionaries(JSON_KEYS, JSON_VALUE, max_size=9).map(json.dumps)))
def test_split_json_never_raises(line):
    for rec in split_json(line):
        _record_ok(rec)


@FUZZ
@given(st.one_of(st.none(), st.sampled_from(['kernel', 'systemd', 'systemd-oomd', 'earlyoom', 'x'])), ANY_LINE)
def test_message_parsers_never_raise(ident, msg):
    for parsed in (parse_kernel(msg), parse_userspace(ident, msg)):
        assert parsed is None or (isinstance(parsed[0], str) and isinstance(parsed[1], dict))


@FUZZ
@given(st.one_of(st.none(), st.text(max_size=200), st.sampled_from(REAL)))
def test_unit_from_cgroup_never_raises(path):
    unit = unit_from_cgroup(path)
    assert unit is None or (isinstance(unit, str) and '/' not in unit)


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(['kmsg', 'journal', 'file:a']), ANY_LINE), max_size=40))
def test_build_history_always_returns_the_schema(pairs):
    per = {}
    for source, line in pairs:
        per.setdefault(source, []).append(split_line(line, 1795633865.0))
    events, counts = build_history(sorted(per.items()))
    for event in events:
        assert set(event) == set(EVENT_KEYS)
        assert set(event['victim']) == set(VICTIM_KEYS)
        assert event['killer'] in ('kernel', 'systemd-oomd', 'earlyoom')
        assert event['time'] is None or event['time'].endswith('Z')
        assert event['sources'] and set(event['sources']) <= set(per)
    assert sum(counts['by_killer'].values()) == len(events)


@FUZZ
@given(st.lists(st.one_of(st.binary(max_size=80), st.sampled_from(REAL).map(lambda s: s.encode())), max_size=30),
       st.integers(1, 200))
def test_scan_never_raises_and_keeps_every_killed_line(parts, chunk):
    data = b'\n'.join(parts)
    got = list(iter_marked_lines(io.BytesIO(data), chunk=chunk))
    want = [p for p in data.split(b'\n') if b'Killed process' in p]
    assert [g for g in got if b'Killed process' in g] == want


@FUZZ
@given(st.one_of(st.none(), st.text(max_size=40)))
def test_parse_since_raises_only_value_error(value):
    try:
        cutoff = parse_since(value, 1795633865.0, 1795600000.0)
    except ValueError as err:
        assert str(err)
    else:
        assert cutoff is None or isinstance(cutoff, float)


@FUZZ
@given(st.integers(0, 9999), st.integers(0, 13), st.integers(0, 32), st.integers(0, 24), st.integers(0, 60))
def test_any_calendar_date_in_a_prefix_is_safe(year, month, day, hour, minute):
    kill = ' Killed process 1 (a) total-vm:1kB, anon-rss:1kB, file-rss:0kB'
    lines = ['%04d-%02d-%02dT%02d:%02d:00,000001+00:00%s' % (year, month, day, hour, minute, kill),
             '%04d-%02d-%02dT%02d:%02d:00+0000 h kernel:%s' % (year, month, day, hour, minute, kill),
             '[Mon Jan %2d %02d:%02d:00 %04d]%s' % (day, hour, minute, year, kill)]
    events, _unused = build_history([('f', [split_line(line) for line in lines])])
    for event in events:
        assert event['time'] is None or event['time'].endswith('Z')


def _line_by_line(data):
    """The scan's selection done the slow way: phrase lines, plus CONTEXT lines after a report head."""
    keep = []
    need = 0
    parts = data.split(b'\n')
    if parts[-1] == b'':
        parts.pop()
    for raw in parts:
        if need > 0 or marked(raw.decode('utf-8', 'replace')):
            keep.append(raw)
            need -= 1
            if b'invoked oom-killer' in raw or (b'oom-kill:' in raw and not re.search(br',uid=\d+\s*$', raw)):
                need = CONTEXT
    return keep


PIECES = st.sampled_from([b'Kill', b'kill', b'ill', b'will', b'ed process', b'ing process', b' process', b'oom-',
                          b'oom-kill:', b' invoked oom-killer', b'sending SIG', b'OOM ', b'for ', b'systemd-oomd ',
                          b'ed as a result of limit', b'ed /', b',uid=0', b'\n', b'\n', b' ', b'x'])


@FUZZ
@given(st.lists(st.one_of(PIECES, st.binary(max_size=8)), max_size=60), st.integers(1, 64))
def test_scan_equals_the_line_by_line_selection(pieces, chunk):
    data = b''.join(pieces)
    assert list(iter_marked_lines(io.BytesIO(data), chunk=chunk)) == _line_by_line(data)
