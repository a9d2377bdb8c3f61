# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The block-wise marker pre-filter: the lines it keeps, whatever the block size."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import io
import os

import pytest

from ansible_collections.headroom.memory.plugins.module_utils.oom import scan as oom_scan
from ansible_collections.headroom.memory.plugins.module_utils.oom.scan import iter_marked_lines, marked

FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'fixtures', 'oom')


def all_fixture_bytes():
    out = []
    for name in sorted(os.listdir(FIXTURES)):
        if name.endswith('.log'):
            with open(os.path.join(FIXTURES, name), 'rb') as f:
                out.append(f.read())
    return b''.join(out)


def reference(data):
    """The same selection done line by line: marker lines plus CONTEXT lines after report heads."""
    keep = []
    need = 0
    parts = data.split(b'\n')
    if parts[-1] == b'':
        parts.pop()
    for raw in parts:
        text = raw.decode('utf-8', 'replace')
        if need > 0 or marked(text):
            keep.append(raw)
            need -= 1
            if oom_scan._wants_context(raw):  # pylint: disable=protected-access
                need = oom_scan.CONTEXT
    return keep


@pytest.mark.parametrize('chunk', [7, 64, 333, 4096, 1 << 20])
def test_block_size_does_not_change_the_lines_kept(chunk):
    data = all_fixture_bytes()
    got = list(iter_marked_lines(io.BytesIO(data), chunk=chunk))
    assert got == reference(data)
    assert any(b'Killed process 15464 (my hog (test))' in line for line in got)
    assert any(b'CPU: 0 UID: 0 PID: 15505 Comm: alloc worker' in line for line in got)  # context line
    assert not any(line.startswith(b'[  160.087395] cache 0') for line in got)


def test_kept_lines_cover_every_report_line_the_parser_needs():
    data = all_fixture_bytes()
    kept = b'\n'.join(iter_marked_lines(io.BytesIO(data)))
    for marker in (b'invoked oom-killer', b'oom-kill:constraint', b'Killed process', b'Kill process',
                   b'Killing process', b'sending SIGTERM', b'killed by the OOM killer', b"'oom-kill'",
                   b'systemd-oomd killed', b'Killed /user.slice'):
        assert data.count(marker) == kept.count(marker), marker


def test_false_positives_are_rejected_and_last_line_without_newline_is_read():
    data = (b'it will still fill\nskill? no: Skill\nsystemd[1]: Killing process 5 (sleep) with signal SIGKILL.\n'
            b'real: Killed process 7 (a)\nkillall -HUP nginx\nsystemd-oomd[9]: Marked /a.scope for killing due to x\n'
            b'last: x invoked oom-killer: gfp_mask=0x0')
    want = [b'systemd[1]: Killing process 5 (sleep) with signal SIGKILL.', b'real: Killed process 7 (a)',
            b'systemd-oomd[9]: Marked /a.scope for killing due to x',
            b'last: x invoked oom-killer: gfp_mask=0x0']
    assert list(iter_marked_lines(io.BytesIO(data), chunk=5)) == want


def test_a_huge_line_is_cut_and_memory_stays_bounded(monkeypatch):
    monkeypatch.setattr(oom_scan, 'MAX_LINE', 100)
    data = b'Killed process ' + b'x' * 10000 + b'\nnext: Killed process 2 (b)\n'
    got = list(iter_marked_lines(io.BytesIO(data), chunk=16))
    assert got[-1] == b'next: Killed process 2 (b)'
    assert all(len(line) <= 200 for line in got)


def test_context_crosses_block_boundaries():
    data = (b'noise\n' * 3 + b'[ 1.0] java invoked oom-killer: gfp_mask=0xcc0, order=0, oom_score_adj=0\n'
            b'[ 1.1] CPU: 1 PID: 5 Comm: java Not tainted 6.1.0 #1\n' + b'noise\n' * 5)
    for chunk in (3, 10, 80, 1000):
        got = list(iter_marked_lines(io.BytesIO(data), chunk=chunk))
        assert got[:2] == [b'[ 1.0] java invoked oom-killer: gfp_mask=0xcc0, order=0, oom_score_adj=0',
                           b'[ 1.1] CPU: 1 PID: 5 Comm: java Not tainted 6.1.0 #1'], chunk
        assert len(got) == 4, chunk  # the head and the CONTEXT (3) lines after it
