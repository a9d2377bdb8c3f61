# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A regular expression compiled on its first use instead of at import.

The module's code is compiled afresh on every run (AnsiballZ ships source), and so would be every pattern
defined at import; patterns only some inputs need (text log lines, user-space killers' messages) wait here.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re


class LazyPattern(object):
    """``re.compile(pattern, flags)`` on the first ``match()``; the compiled pattern is kept."""

    __slots__ = ('_args', '_re')

    def __init__(self, pattern, flags=0):
        self._args = (pattern, flags)
        self._re = None

    def match(self, string):
        if self._re is None:
            self._re = re.compile(*self._args)
        return self._re.match(string)
