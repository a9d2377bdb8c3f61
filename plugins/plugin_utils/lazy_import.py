# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A module imported on its first attribute access instead of when the importing file loads.

For filter plugins: to find any ``headroom.memory.<filter>`` ansible-core loads every file under
plugins/filter (``Jinja2Loader.get_with_context`` walks the whole package), and does so in each forked worker,
that is once per host and task. A filter file that imports its plan code at the top makes every such lookup
pay for all of it (the triage and remediate code: ~0.2 s CPU per host and task); with ``LazyModule`` a lookup
pays only for the files, and a call for the code it uses.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib


class LazyModule(object):
    """``importlib.import_module(name)`` on the first attribute read; the module is kept."""

    __slots__ = ('_name', '_module')

    def __init__(self, name):
        self._name = name
        self._module = None

    def __getattr__(self, attr):
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attr)
