# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What more than one bench needs: the checkout importable as the collection."""

from __future__ import absolute_import, division, print_function

import os
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def collection_path():
    """A directory holding ansible_collections/headroom/memory -> this checkout."""
    base = os.path.join(tempfile.gettempdir(), 'headroom-bench-coll')
    link = os.path.join(base, 'ansible_collections', 'headroom', 'memory')
    if not os.path.exists(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(ROOT, link)
    return base
