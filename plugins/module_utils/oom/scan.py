# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Find the few lines of a big log that can belong to an OOM report, fast and in bounded memory.

The file is read in 1 MiB blocks; each block is searched with two C-speed literal searches, a regular
expression for ``ill`` (kept only when it reads ``Kill``/``kill``; faster than two searches for ``Kill`` and
``kill`` even with the false hits of "will" or "still") and bytes.find for ``sending SIG`` and ``oom_reaper: reaped``
(all that is left of a kill whose kill line was lost); only the lines holding a hit are cut out
and decoded. Every line an OOM report needs holds one of them: ``invoked oom-killer``, ``oom-kill:``,
``[Kk]ill process``, ``Killed process``, ``Task in .. killed as a result of limit``, systemd-oomd's
``Killed /..`` / ``Marked .. for killing``, systemd's ``killed by the OOM killer`` / ``'oom-kill'`` /
``systemd-oomd killed``, earlyoom's ``Killing process``, ``killing process`` and ``sending SIGTERM``; a hit line is kept only when it
holds one of those phrases (``PHRASES``, plain ``in`` tests on the bytes), so that a log full of other "kill"
lines costs little more than reading it. The lines that carry no
marker but belong to a report (the ``CPU: .. PID: .. Comm:`` line after ``invoked oom-killer``, the
rest of an ``oom-kill:`` line split in two) are taken as context: the ``CONTEXT`` lines after those.
Memory: one block plus one partial line (cut at ``MAX_LINE``), whatever the file size.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

CHUNK = 1 << 20
MAX_LINE = 1 << 16
CONTEXT = 3
GREP_PATTERN = '[Kk]ill|sending SIG|oom_reaper: reaped'
_ILL_RE = re.compile(b'ill')
_SIG = b'sending SIG'
_REAPED = b'oom_reaper: reaped'  # what is left of a kill whose kill line was lost
_KK = (ord('K'), ord('k'))
# a hit line is kept only when it holds one of these (cheap `in` tests on the line, before any decoding)
PHRASES = ('oom-kill', 'Kill process', 'kill process', 'Killed process', 'Killing process', 'killing process',
           'killed as a result of limit',
           'Killed /', 'for killing', 'OOM killer', 'systemd-oomd killed', 'sending SIG', 'oom_reaper: reaped')
_PHRASES = tuple(p.encode() for p in PHRASES)
# what may follow / precede the "ill" of a phrase: tested at the hit, so that other "kill"s cost no line cutting
_TAILS = (b'ill process', b'illed process', b'illing process', b'illed as a result of limit', b'illed /')
_HEADS = (b'oom-k', b'for k', b'OOM k', b'omd k')
_UID_END_RE = re.compile(br',uid=\d+\s*$')


def _wants_context(line):
    if b'invoked oom-killer' in line:
        return True
    return b'oom-kill:' in line and not _UID_END_RE.search(line)


def _has_phrase(line):
    for phrase in _PHRASES:
        if phrase in line:
            return True
    return False


def _line_starts(buf, start, end):
    """Sorted start offsets of the lines of buf[start:end] that hold a marker."""
    starts = set()
    for m in _ILL_RE.finditer(buf, start, end):
        p = m.start()
        if p > start and buf[p - 1] in _KK and (buf.startswith(_TAILS, p) or (p >= 5 and buf.startswith(_HEADS, p - 5))):
            ls = buf.rfind(b'\n', start, p)
            starts.add(start if ls < 0 else ls + 1)
    for literal in (_SIG, _REAPED):
        p = buf.find(literal, start, end)
        while p >= 0:
            ls = buf.rfind(b'\n', start, p)
            starts.add(start if ls < 0 else ls + 1)
            p = buf.find(literal, p + 1, end)
    return sorted(starts)


def _cut(buf, start, end, need):
    """Lines of buf[start:end] (end at a line boundary) to keep, and the context still owed after it."""
    out = []
    hits = _line_starts(buf, start, end)
    pos = start
    idx = 0
    while pos < end:
        while idx < len(hits) and hits[idx] < pos:
            idx += 1
        context_at = -1
        if need > 0:
            ls = context_at = pos
            need -= 1
        elif idx < len(hits):
            ls = hits[idx]
        else:
            break
        while idx < len(hits) and hits[idx] <= ls:
            idx += 1
        le = buf.find(b'\n', ls, end)
        if le < 0:
            le = end
        line = buf[ls:le]
        pos = le + 1
        if ls != context_at and not _has_phrase(line):
            continue
        out.append(line)
        if _wants_context(line):
            need = CONTEXT
    return out, need


def iter_marked_lines(fobj, chunk=CHUNK):
    """Yield the candidate lines (bytes, without newline) of a binary file object, in file order."""
    carry = b''
    need = 0
    while True:
        block = fobj.read(chunk)
        if not block:
            break
        start = 0
        if carry:
            nl = block.find(b'\n')
            if nl < 0:
                carry += block
                if len(carry) > MAX_LINE:
                    carry = carry[:MAX_LINE]
                continue
            head = carry + block[:nl + 1]
            carry = b''
            lines, need = _cut(head, 0, len(head), need)
            yield from lines
            start = nl + 1
        end = block.rfind(b'\n') + 1
        if end <= start:
            carry = block[start:start + MAX_LINE]
            continue
        lines, need = _cut(block, start, end, need)
        yield from lines
        carry = block[end:end + MAX_LINE]
    if carry:
        lines, need = _cut(carry, 0, len(carry), need)
        yield from lines


def marked(line):
    """Whether one text line would be kept (the same test, for sources read line by line)."""
    return any(phrase in line for phrase in PHRASES)
