# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures shared by the module_utils tests."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

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
