# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bounded OOM build (#29): what oom.events.build_history returns, cut to the newest ``max_events``, without
holding every event.

Events are taken oldest first across the sources (each source's in time order, held back only while a report
still open could emit an older one); each is merged into the open events (oom.events' own merge step), systemd's
notices are applied (oom.events' own step) once every kill they may name has been merged, and an event is let go
(counted, and kept only when among the newest) once no later event can be the same kill and no notice can still
name its unit. oom.history uses it for big inputs only: for a few thousand records the whole build is as small,
and this file is not compiled.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import heapq
from collections import deque
from itertools import chain

from ansible_collections.headroom.memory.plugins.module_utils.oom.events import (
    EARLYOOM_REPEAT, NOTICE_ANY_TOLERANCE, NOTICE_UNIT_TOLERANCE, OOMD_TOLERANCE, WALL_TOLERANCE, apply_group,
    count_into, merge_step, public_event, unfile, build_history_cut, iter_source)
from ansible_collections.headroom.memory.plugins.module_utils.oom.since import iso_utc, logged_since_boot

MERGE_REACH = max(WALL_TOLERANCE, EARLYOOM_REPEAT, OOMD_TOLERANCE)  # how far apart two records of one kill may lie
NOTICE_REACH = max(NOTICE_UNIT_TOLERANCE, NOTICE_ANY_TOLERANCE)  # how far a notice may lie from the kill it names


class _Unordered(Exception):
    """The sources are not in an order the bounded build can follow exactly: build the whole history instead."""


class _Window(object):
    """The bounded build's state: the events still open, the notice groups not yet applied, the newest kept."""

    def __init__(self, since, max_events, boot_time):
        self.since = since
        self.max_events = max_events
        self.boot_time = boot_time
        self.buckets = {}
        self.open = deque()  # [event, filed keys, arrival] of events a later event may still be the same kill as
        self.parked = []  # [event, arrival] of events past merging that a notice group still to apply may name
        self.made = []  # [event, k] of events notices made, not yet let go
        self.arrivals = 0  # events after merging, in order: their place in build_history's list
        self.made_count = 0
        # notice groups not yet applied, oldest first, each [first notice, last notice's wall, units named]: the
        # closed ones, then the one being read (its notices may still come, each within a second of the last)
        self.groups = deque()
        self.group = None
        self.notice_source = None
        self.notice_wall = None
        self.kept = []  # heap of (wall, n, entry): the newest events let go
        self.kept_n = 0
        self.total = 0
        self.logged = 0
        self.counts = {'by_comm': {}, 'by_unit': {}, 'by_killer': {}}
        self.held = 0  # the most events held at once (sorted, open, parked, made and kept): what the bound is about
        self.now = float('-inf')  # every event still to come is at this time or after
        self.heaps = []  # each source's events not yet in time order

    def notice(self, notice, index):
        if self.notice_source is None:
            self.notice_source = index
        # notices are applied in time order: exact when one source holds them all, in order
        if index != self.notice_source or notice['wall'] is None or notice['wall'] < self.now \
                or (self.notice_wall is not None and notice['wall'] < self.notice_wall):
            raise _Unordered()
        self.notice_wall = notice['wall']
        group = self.group
        if group and group[0]['killer'] == notice['killer'] and abs(group[1] - notice['wall']) <= 1.0:
            group[1] = notice['wall']
            group[2].add(notice['unit'])
        else:
            if group:
                self.groups.append(group)
            self.group = [notice, notice['wall'], set([notice['unit']])]

    def source(self, items, index):
        """One source's events in (wall, seq) order: each is held until no event still to come can be older."""
        heap = []
        self.heaps.append(heap)
        released = None
        for kind, item in items:
            if kind == 'floor':
                while heap and item is not None and heap[0][0] < item:
                    released = heapq.heappop(heap)
                    yield released
            elif kind == 'notice':
                self.notice(item, index)
            elif item['_wall'] is None or (released is not None and item['_wall'] < released[0]):
                raise _Unordered()
            else:
                heapq.heappush(heap, (item['_wall'], item['_seq'], index, item))
        while heap:
            yield heapq.heappop(heap)

    def add(self, event):
        filed = merge_step(event, self.buckets)
        if filed is not None:
            self.open.append([event, filed, self.arrivals])
            self.arrivals += 1

    def _make(self, event):
        self.made.append([event, self.made_count])
        self.made_count += 1

    def _candidates(self):
        # build_history's list order: the merged events as they came, then the ones notices made
        return chain((e[0] for e in self.parked), (e[0] for e in self.open), (e[0] for e in self.made))

    def _named(self, wall):
        """Whether a notice group not yet applied may name an event at ``wall`` (groups come in time order; later
        ones start at self.now or after, beyond the reach of an event past merging)."""
        for group in chain(self.groups, [self.group] if self.group else ()):
            when = group[0]['wall']
            if when > wall + NOTICE_REACH:
                return False
            if when >= wall - NOTICE_REACH:
                return True
        return False

    def _let_go_free(self):
        keep = []
        for entry in self.parked:
            if self._named(entry[0]['_wall']):
                keep.append(entry)
            else:
                self._let_go(entry[0], (0, entry[1]))
        self.parked = keep
        keep = []
        for entry in self.made:
            if self._named(entry[0]['_wall']) or entry[0]['_wall'] + NOTICE_REACH >= self.now:
                keep.append(entry)
            else:
                self._let_go(entry[0], (1, entry[1]))
        self.made = keep

    def advance(self, now):
        """Every later event is at ``now`` or after: apply the notices and let go the events nothing can change."""
        self.now = now
        changed = False
        while self.groups and self.groups[0][0]['wall'] + NOTICE_REACH + MERGE_REACH < now:
            first, _last, units = self.groups.popleft()
            apply_group(first, units, self._candidates, self._make)
            changed = True
        while self.open and self.open[0][0]['_wall'] + MERGE_REACH < now:
            # no later event can be the same kill: out of the buckets; and a notice still to come starts at now
            # or after, beyond its reach
            event, filed, arrival = self.open.popleft()
            unfile(event, filed, self.buckets)
            if self._named(event['_wall']):
                self.parked.append([event, arrival])
            else:
                self._let_go(event, (0, arrival))
        if changed or (self.made and self.made[0][0]['_wall'] + NOTICE_REACH < now):
            self._let_go_free()
        self.held = max(self.held, len(self.open) + len(self.parked) + len(self.made) + len(self.kept)
                        + sum(len(h) for h in self.heaps))

    def close(self):
        if self.group:
            self.groups.append(self.group)
            self.group = None
        self.advance(float('inf'))
        self._let_go_free()

    def _let_go(self, event, place):
        wall = event['_wall']
        if self.since is not None and wall < self.since:
            return
        self.total += 1
        count_into(self.counts, event)
        if self.boot_time is not None and event['killer'] == 'kernel' and logged_since_boot(iso_utc(wall), self.boot_time):
            self.logged += 1
        heapq.heappush(self.kept, (wall, self.kept_n, (event, place)))
        self.kept_n += 1
        # the oldest go, but never one that ties in time with the newest max_events' oldest (its order among
        # those is only known at the end)
        while len(self.kept) > self.max_events:
            oldest = self.kept[0][0]
            ties = []
            while self.kept and self.kept[0][0] == oldest:
                ties.append(heapq.heappop(self.kept))
            if len(self.kept) < self.max_events:
                for entry in ties:
                    heapq.heappush(self.kept, entry)
                break

    def result(self):
        def key(entry):
            event, (made, n) = entry
            # build_history's list: the merged events in order, then the ones notices made (_seq: their place)
            place = self.arrivals + n if made else n
            return (event['_wall'], place if made else event['_seq'], place)

        kept = sorted((entry for _wall, _n, entry in self.kept), key=key)[-self.max_events:]
        return [public_event(event) for event, _place in kept]


def _bounded(per_source, since, max_events, boot_time):
    window = _Window(since, max_events, boot_time)
    streams = [window.source(iter_source(records, source, floors=True), index)
               for index, (source, records) in enumerate(per_source)]
    for wall, _seq, _index, event in heapq.merge(*streams):
        window.advance(wall)
        window.add(event)
    window.close()
    return {'events': window.result(), 'total': window.total, 'counts': window.counts,
            'kernel_kills_logged_since_boot': window.logged if boot_time is not None else None,
            'bounded': True, 'held': window.held}


def build_history_bounded(per_source, since=None, max_events=200, boot_time=None):
    """build_history cut to the newest ``max_events``, holding about that many events, not all of them.

    Returns {events (the newest ``max_events`` of build_history's list, oldest first), total (the length of that
    list), counts (count_events over all of it), kernel_kills_logged_since_boot (its kernel events at or after
    ``boot_time``; None when that is None), bounded, held}. The same figures build_history gives, in a bounded
    window when every event and notice has a wall-clock time, each source's records are in time order and one
    source holds every systemd notice; else (``bounded``: False) through build_history itself. ``held``: the most
    events held at once (for the tests and bench/).
    """
    try:
        return _bounded(per_source, since, max_events, boot_time)
    except _Unordered:
        return build_history_cut(per_source, since, max_events, boot_time)
