# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures shared by the plugin tests."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import time

import pytest


@pytest.fixture
def utc(monkeypatch):
    """Run in UTC: syslog and journal times without a zone are read in the local zone."""
    monkeypatch.setenv('TZ', 'UTC')
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture(scope="session")
def promtool():
    """promtool from Debian's prometheus package (tools/get-promtool.sh puts it in .work/bin); missing is a failure."""
    path = os.environ.get("PROMTOOL") or shutil.which("promtool")
    if not path:
        pytest.fail("promtool is not on PATH: run tools/get-promtool.sh (or make unit, which does) or set PROMTOOL")
    return path
