# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures shared by the module tests."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import shutil
import tempfile

import pytest


@pytest.fixture
def disk_dir():
    """A directory on a disk filesystem (/var/tmp; /tmp may be tmpfs, which the swapfile module rightly refuses)."""
    d = tempfile.mkdtemp(prefix="headroom-module-test-", dir="/var/tmp")
    yield d
    shutil.rmtree(d)
