# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``oom_sources`` and ``oom_max_events`` options of memory_facts: their choices, default and what they
mean. Small on purpose: the module imports it for its argument spec without loading the OOM readers."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

SOURCE_CHOICES = ('auto', 'kmsg', 'journal', 'syslog', 'files')
# the newest this many OOM events are listed; the older ones are counted (total, dropped, counts)
MAX_EVENTS_DEFAULT = 200
MAX_EVENTS_LIMIT = 100000


def resolve_sources(sources, files):
    """Validate ``oom_sources`` -> the set of source kinds to read."""
    wanted = list(sources or ['auto'])
    bad = [s for s in wanted if s not in SOURCE_CHOICES]
    if bad:
        raise ValueError('oom_sources: unknown value(s) %s; choose from %s' % (
            ', '.join(repr(b) for b in bad), ', '.join(SOURCE_CHOICES)))
    kinds = set(wanted)
    if 'auto' in kinds:
        kinds |= {'kmsg', 'journal', 'syslog'}
        kinds.discard('auto')
    if 'files' in kinds and not files:
        raise ValueError("oom_sources 'files' reads the oom_files option, which is empty")
    return kinds


def check_max_events(value):
    """Validate ``oom_max_events`` -> the int; ValueError naming the value when it is not 1 to MAX_EVENTS_LIMIT."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_EVENTS_LIMIT:
        raise ValueError('oom_max_events: expected a whole number from 1 to %d, got %r' % (MAX_EVENTS_LIMIT, value))
    return value
