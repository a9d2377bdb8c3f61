# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""LazyPattern: compiled on first use, then matches exactly as re does."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

import pytest

from ansible_collections.headroom.memory.plugins.module_utils.lazy_re import LazyPattern


def test_not_compiled_until_used(monkeypatch):
    calls = []
    real = re.compile
    monkeypatch.setattr(re, "compile", lambda *a: calls.append(a) or real(*a))
    pattern = LazyPattern(r"^a(?P<n>\d+)$", re.S)
    assert calls == []
    assert pattern.match("a12").group("n") == "12"
    assert pattern.match("b12") is None
    assert calls == [(r"^a(?P<n>\d+)$", re.S)]


@pytest.mark.parametrize("text", ["x\ny", "x", "", "xy\n"])
def test_flags_are_kept(text):
    lazy = LazyPattern(r"^x.y", re.S)
    eager = re.compile(r"^x.y", re.S)
    assert bool(lazy.match(text)) == bool(eager.match(text))
