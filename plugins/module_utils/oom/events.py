# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Assemble log records into OOM-kill events, merge what several sources saw, count them.

Input records are ``(wall, uptime, ident, pid, msg)`` as oom.lines returns them, one list per source in
the order the source wrote them. ``events_from_records(records, source)`` turns one source's records into
events and systemd notices; ``build_history(per_source, since=None)`` merges all sources and returns
``(events, counts)``.

Each event has exactly the keys ``time, uptime_s, killer, scope, constraint, victim, trigger, oom_memcg,
task_memcg, cgroup, unit, complete, sources`` (see ``new_event``). Rules:

- One event per ``Killed process`` line (kernel), per systemd-oomd kill, per earlyoom victim. A kernel
  report cut off before its ``Killed process`` line is an event too: ``complete: true`` when its
  ``oom-kill:`` summary names the victim (pid and comm; the sizes it lacks are null), ``complete: false``
  when the victim is not known. ``complete`` means "the victim is known".
- The ``oom-kill:`` summary the kernel prints with pr_cont may arrive in pieces (a piece may be a bare
  cgroup path after ``oom_memcg=``/``task_memcg=``): the pieces are joined.
- A ``Killed process`` line takes a report's header (trigger, memcgs, constraint) only when it is its own: the
  ``oom-kill:`` summary names the same pid, or, on kernels without it, the header has served no other victim
  yet (memory.oom.group's kills share one). Under a kill storm the kernel rate-limits headers, and a lone kill
  line keeps its unit unknown rather than borrowing the previous report's; a summary whose kill line was lost,
  or an ``oom_reaper:`` line alone, still names its victim.
- The lines of one report are tied together by order within one source: the ``invoked oom-killer`` line
  and the ``CPU: .. PID: .. Comm:`` line give the trigger, ``oom-kill:`` / ``Task in`` the memcgs and the
  constraint, ``Kill process .. or sacrifice child`` the scope on old kernels. Lines of other programs in
  between do not matter.
- The same kill seen by several sources is one event, listing every source: same killer, same victim pid
  and name, same sizes when both print them, and close in time (kernel time within 1 s when both have it,
  else wall-clock time within 300 s, which covers the journal's late ingestion of the ring buffer at boot).
  Kills of a reused pid far apart in time stay apart. earlyoom signalling the same pid again within 60 s
  is the same event; systemd-oomd kills of one cgroup within 5 s are one.
- systemd's "A process of this unit has been killed by the OOM killer" / "Failed with result 'oom-kill'" /
  "systemd-oomd killed N process(es)" notices, fanned out to every slice above the unit, name the unit of
  the kill made at that time (the deepest unit named is kept); "Failed with result 'oom-kill'" names no
  killer and annotates a kill of either. When no source holds that kill, a unit's notice still yields one
  event (killer as the notice says, the kernel when it says none; ``complete: false``) so that it is not lost;
  a slice's does not: a slice holds no process, so its lone notice is a counter read again, not a kill.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections import deque

from ansible_collections.headroom.memory.plugins.module_utils.oom.kernel import parse_kernel, parse_oom_kill
from ansible_collections.headroom.memory.plugins.module_utils.oom.since import iso_utc, logged_kernel_kills
from ansible_collections.headroom.memory.plugins.module_utils.systemd.unit_names import slice_depth, unit_from_cgroup
from ansible_collections.headroom.memory.plugins.module_utils.oom.userspace import parse_userspace

VICTIM_KEYS = ('pid', 'comm', 'uid', 'total_vm_kb', 'anon_rss_kb', 'file_rss_kb', 'shmem_rss_kb', 'pgtables_kb',
               'oom_score_adj')
TRIGGER_KEYS = ('pid', 'comm', 'gfp_mask', 'order', 'oom_score_adj')
EVENT_KEYS = ('time', 'uptime_s', 'killer', 'scope', 'constraint', 'victim', 'trigger', 'oom_memcg', 'task_memcg',
              'cgroup', 'unit', 'complete', 'sources')
KILLERS = ('kernel', 'systemd-oomd', 'earlyoom')

UPTIME_TOLERANCE = 1.0
WALL_TOLERANCE = 300.0
EARLYOOM_REPEAT = 60.0
OOMD_TOLERANCE = 5.0
NOTICE_UNIT_TOLERANCE = 60.0
NOTICE_ANY_TOLERANCE = 10.0
# the killers after whose kills systemd gives a unit the result 'oom-kill'
RESULT_OOM_KILLERS = ('kernel', 'systemd-oomd')
SHARED_REPORT = 1.0
RECENT_KILLS = 64  # kills of one source an oom_reaper line may follow


def new_event(killer):
    """An event with every key of the schema, all unknown."""
    return {
        'time': None, 'uptime_s': None, 'killer': killer, 'scope': None, 'constraint': None,
        'victim': dict((k, None) for k in VICTIM_KEYS), 'trigger': None, 'oom_memcg': None, 'task_memcg': None,
        'cgroup': None, 'unit': None, 'complete': False, 'sources': [],
        '_wall': None, '_wq': 0, '_seq': 0,
    }


def _set_time(event, wall, up):
    event['_wall'] = wall
    event['uptime_s'] = round(up, 6) if up is not None else None
    # how much the wall-clock time is worth: 3 when it comes with the kernel's own time stamp, 2 when it has a
    # fraction of a second (dmesg --time-format iso), 1 for whole seconds (syslog, dmesg -T, journal short)
    if wall is None:
        event['_wq'] = 0
    elif up is not None:
        event['_wq'] = 3
    else:
        event['_wq'] = 2 if wall != int(wall) else 1


class _KernelReports(object):
    """Follows the kernel lines of one source and emits one event per kill."""

    def __init__(self, source, out):
        self.source = source
        self.out = out
        self.count = 0  # events this source emitted so far (kernel and user space): the next event's _seq
        self.head = None
        self.select = None
        self.split_text = None
        self.recent = deque(maxlen=RECENT_KILLS)  # pids of the last kills emitted, for the oom_reaper's lines

    def _new_head(self, wall, up):
        self.close()
        self.head = {'trigger': None, 'constraint': None, 'oom_memcg': None, 'task_memcg': None, 'scope': None,
                     'hint': None, 'wall': wall, 'up': up, 'kills': 0, 'last': None, 'last_pid': None,
                     'group': None}

    def _emit(self, event):
        if event['victim']['pid'] is not None:
            self.recent.append(event['victim']['pid'])
        event['sources'] = [self.source]
        event['_seq'] = self.count
        self.count += 1
        self.out.append(event)

    def _apply_head(self, event):
        head = self.head
        if head['trigger'] is not None:
            event['trigger'] = dict(head['trigger'])
        for key in ('constraint', 'oom_memcg', 'task_memcg'):
            event[key] = head[key]
        if head['constraint']:
            event['scope'] = 'memcg' if head['constraint'] == 'CONSTRAINT_MEMCG' else 'global'
        elif head['scope']:
            event['scope'] = head['scope']

    def close(self):
        """End the current report; a report without a kill line is emitted incomplete."""
        head, select = self.head, self.select
        if head is not None and head['kills'] > 0:
            head = None  # its kill was emitted; a selection line left over is a report of its own
        if head is not None or select is not None:
            event = new_event('kernel')
            if head is not None:
                _set_time(event, head['wall'], head['up'])
                self._apply_head(event)
                hint = head['hint']
                if hint:
                    event['victim'].update(pid=hint['pid'], comm=hint['comm'], uid=hint['uid'])
                    event['complete'] = True
            if select is not None:
                if event['_wall'] is None and event['uptime_s'] is None:
                    _set_time(event, select['wall'], select['up'])
                if event['victim']['pid'] is None:
                    event['victim'].update(pid=select['pid'], comm=select['comm'])
                if event['scope'] is None:
                    event['scope'] = select['scope']
            self._emit(event)
        self.head = None
        self.select = None
        self.split_text = None

    def floor(self, wall):
        """The oldest time of an event still to come when later records are at ``wall`` or after (None: unknown):
        a report not yet emitted keeps its header's or its selection line's time."""
        walls = [wall]
        if self.head is not None:
            walls.append(self.head['wall'])
        if self.select is not None:
            walls.append(self.select['wall'])
        return None if None in walls else min(walls)

    def wants_value(self):
        """Whether a split ``oom-kill:`` line ends in ``=``: its next piece may be a bare cgroup path."""
        return self.head is not None and self.split_text is not None and self.split_text.endswith('=')

    def _head_open(self, wall, up):
        """The current report may still take kills: none yet, or a kill of the same report an instant ago."""
        head = self.head
        if head is None:
            return False
        if head['kills'] == 0:
            return True
        last = head['last']
        if up is not None and last[1] is not None:
            return abs(up - last[1]) <= SHARED_REPORT
        if wall is not None and last[0] is not None:
            return abs(wall - last[0]) <= SHARED_REPORT
        return False

    def _constraint(self, fields):
        head = self.head
        head['constraint'] = fields['constraint']
        head['oom_memcg'] = fields['oom_memcg'] or head['oom_memcg']
        head['task_memcg'] = fields['task_memcg'] or head['task_memcg']
        if fields['pid'] is not None:
            head['hint'] = {'pid': fields['pid'], 'comm': fields['comm'], 'uid': fields['uid']}

    def feed(self, wall, up, kind, f):
        head = self.head
        if kind == 'invoked':
            self._new_head(wall, up)
            self.head['trigger'] = {'pid': None, 'comm': f['comm'], 'gfp_mask': f['gfp_mask'], 'order': f['order'],
                                    'oom_score_adj': f['oom_score_adj']}
        elif kind == 'cpu':
            if head is not None and head['kills'] == 0 and head['trigger'] and head['trigger']['pid'] is None \
                    and head['trigger']['comm'] == f['comm']:
                head['trigger']['pid'] = f['pid']
        elif kind in ('task_in', 'constraint'):
            if head is None or head['kills'] > 0 or (kind == 'constraint' and head['constraint'] is not None):
                self._new_head(wall, up)
            if kind == 'task_in':
                self.head['task_memcg'] = f['task_memcg']
                self.head['oom_memcg'] = f['oom_memcg']
                self.head['scope'] = 'memcg'
            else:
                self._constraint(f)
                self.split_text = f.get('text_for_join') if f['partial'] else None
        elif kind == 'cont':
            if head is not None and self.split_text is not None:
                piece = f['text']
                if f.get('value') or piece.startswith(','):
                    self.split_text += piece
                else:
                    self.split_text += ',' + piece
                fields = parse_oom_kill(self.split_text)
                self._constraint(fields)
                if not fields['partial']:
                    self.split_text = None
        elif kind == 'select':
            # a header serves one selection: a second one after its kill is a report whose header was suppressed
            if self.select is not None or (head is not None and (head['kills'] > 0 or not self._head_open(wall, up))):
                self.close()
            self.select = dict(f, wall=wall, up=up)
        elif kind == 'group':
            if head is not None and head['kills'] > 0:
                head['group'] = f['memcg']
        elif kind == 'killed':
            self._killed(wall, up, f)
        elif kind == 'reaped' and f['pid'] not in self.recent \
                and not (head and head['hint'] and head['hint']['pid'] == f['pid']):
            # the oom_reaper reaps only a victim the killer killed: when its kill line was lost (journald's
            # "Missed N kernel messages", an excerpt), this line is what is left of the kill
            self._killed(wall, up, dict((k, None) for k in VICTIM_KEYS + ('scope',)), reaped=f)

    def _own_head(self, wall, up, pid):
        """Whether the current report's header is this kill's own.

        By pid when the header names its victim (the ``oom-kill:`` summary's ``pid=``): another pid's kill line
        is a kill whose own header the kernel rate-limited away (``oom_kill_process: N callbacks suppressed``),
        and borrowing this header would count it on another cgroup. A header naming no victim (kernels before
        the summary line) serves the one kill that follows it (and the same victim's line again an instant
        later), never a second victim."""
        head = self.head
        if head is None or not self._head_open(wall, up):
            return False
        if head['group'] is not None and head['kills'] > 0:
            return True  # memory.oom.group: the kernel kills every task of the cgroup in this one report
        hint = head['hint']
        if hint is not None:
            return hint['pid'] == pid
        return head['kills'] == 0 or head['last_pid'] == pid

    def _killed(self, wall, up, f, reaped=None):
        if reaped is not None:
            f = dict(f, pid=reaped['pid'], comm=reaped['comm'])
        own = self._own_head(wall, up, f.get('pid'))
        if self.head is not None and not own and not self._may_still_come(wall, up):
            self.head = None
        event = new_event('kernel')
        _set_time(event, wall, up)
        event['complete'] = True
        victim = event['victim']
        for key in VICTIM_KEYS:
            victim[key] = f.get(key)
        # a selection line is this kill's when the header is its own, none is open (a report of an old kernel whose
        # header was suppressed: the kill may be a sacrificed child of the selected pid) or it names this pid
        select = self.select
        select_own = select is not None and (own or self.head is None or select['pid'] == victim['pid'])
        if own:
            self._apply_head(event)
            hint = self.head['hint']
            if hint and hint['pid'] == victim['pid'] and victim['uid'] is None:
                victim['uid'] = hint['uid']
            self.head['kills'] += 1
            self.head['last'] = (wall, up)
            self.head['last_pid'] = victim['pid']
        if event['scope'] is None:
            event['scope'] = f['scope']
        if event['scope'] is None and select_own:
            event['scope'] = select['scope']
        if select_own:
            self.select = None
        self._emit(event)

    def _may_still_come(self, wall, up):
        """A header naming a victim whose kill line has not come yet stays open for it (a suppressed report's
        kill line of another victim may come first when several CPUs print at once)."""
        head = self.head
        return head['hint'] is not None and head['kills'] == 0 and self._head_open(wall, up)


def is_oom_record(record):
    """Whether a record is a line of an OOM report or a killer's/systemd's OOM line (what a reader keeps)."""
    ident, msg = record[2], record[4]
    if (ident is None or ident == 'kernel') and parse_kernel(msg) is not None:
        return True
    return ident != 'kernel' and parse_userspace(ident, msg) is not None


def _own_unit(event):
    if event['unit'] is None:
        event['unit'] = unit_from_cgroup(event['task_memcg'] or event['oom_memcg'] or event['cgroup'])
    return event


def iter_source(records, source, floors=False):
    """One source's records -> ``('event', event)`` and ``('notice', notice)`` in the order the source made them.

    Notices: dicts {wall, unit, killer, source, seq}. An event is final when it is yielded (its unit from its
    cgroup when nothing named one). With ``floors``, after each record ``('floor', wall)``: the oldest time an
    event still to come can have when the records that follow are no older than this one (None: unknown)."""
    out = []
    kernel = _KernelReports(source, out)
    notices = 0
    for wall, up, ident, _pid, msg in records:
        parsed = None
        if ident is None or ident == 'kernel':
            parsed = parse_kernel(msg)
            if parsed is None and kernel.wants_value():
                piece = msg.strip()
                if piece.startswith('/') and ' ' not in piece:
                    parsed = ('cont', {'text': piece, 'value': True})
            if parsed is not None:
                kind, fields = parsed
                if kind == 'constraint' and fields['partial']:
                    fields['text_for_join'] = msg.strip()
                kernel.feed(wall, up, kind, fields)
                if out:
                    for event in out:
                        yield 'event', _own_unit(event)
                    del out[:]
                if floors:
                    yield 'floor', kernel.floor(wall)
                continue
        if ident != 'kernel':
            parsed = parse_userspace(ident, msg)
        if parsed is None:
            if floors:
                yield 'floor', kernel.floor(wall)
            continue
        kind, fields = parsed
        if kind == 'notice':
            yield 'notice', {'wall': wall, 'unit': fields['unit'], 'killer': fields['killer'], 'source': source,
                             'seq': notices}
            notices += 1
            continue
        event = new_event('earlyoom' if kind == 'earlyoom' else 'systemd-oomd')
        _set_time(event, wall, None)
        event['uptime_s'] = None
        event['complete'] = True
        if kind == 'earlyoom':
            event['victim'].update(pid=fields['pid'], comm=fields['comm'], uid=fields['uid'])
        else:
            event['cgroup'] = fields['cgroup']
        event['sources'] = [source]
        event['_seq'] = kernel.count
        kernel.count += 1
        yield 'event', _own_unit(event)
        if floors:
            yield 'floor', kernel.floor(wall)
    kernel.close()
    for event in out:
        yield 'event', _own_unit(event)


def events_from_records(records, source):
    """One source's records -> (events, notices). Notices: dicts {wall, unit, killer, source, seq}."""
    events = []
    notices = []
    for kind, item in iter_source(records, source):
        (events if kind == 'event' else notices).append(item)
    return events, notices


def _close(a, b, tolerance):
    """True/False when both times are known, None when they cannot be compared."""
    if a is None or b is None:
        return None
    return abs(a - b) <= tolerance


def _eq_known(a, b):
    return a is None or b is None or a == b


def _same_kernel_time(a, b):
    up = _close(a['uptime_s'], b['uptime_s'], UPTIME_TOLERANCE)
    wall = _close(a['_wall'], b['_wall'], WALL_TOLERANCE)
    if up is False or wall is False:
        return False
    return True if (up or wall) else None


def same_kill(a, b):
    """Whether two events (from different sources, or earlyoom repeats) are the same kill."""
    if a['killer'] != b['killer']:
        return False
    va, vb = a['victim'], b['victim']
    if a['killer'] == 'systemd-oomd':
        return a['cgroup'] == b['cgroup'] and _close(a['_wall'], b['_wall'], OOMD_TOLERANCE) is not False
    if a['killer'] == 'earlyoom':
        return va['pid'] == vb['pid'] and _eq_known(va['comm'], vb['comm']) \
            and _close(a['_wall'], b['_wall'], EARLYOOM_REPEAT) is not False
    if va['pid'] is not None and vb['pid'] is not None:
        if va['pid'] != vb['pid'] or not _eq_known(va['comm'], vb['comm']):
            return False
        sizes = [(va[k], vb[k]) for k in ('total_vm_kb', 'anon_rss_kb') if va[k] is not None and vb[k] is not None]
        if any(x != y for x, y in sizes):
            return False
        timing = _same_kernel_time(a, b)
        if timing is None:
            return bool(sizes)
        return timing
    ta, tb = a['trigger'], b['trigger']
    if not ta or not tb or ta['pid'] is None or ta['pid'] != tb['pid'] or ta['comm'] != tb['comm']:
        return False
    return bool(_same_kernel_time(a, b))


def _merge_into(dst, src):
    """Fill what ``dst`` lacks from ``src``; the better wall-clock time wins."""
    if src['_wq'] > dst['_wq']:
        dst['_wall'], dst['_wq'] = src['_wall'], src['_wq']
    if dst['uptime_s'] is None:
        dst['uptime_s'] = src['uptime_s']
    for key in ('scope', 'constraint', 'oom_memcg', 'task_memcg', 'cgroup', 'unit'):
        if dst[key] is None:
            dst[key] = src[key]
    for key in VICTIM_KEYS:
        if dst['victim'][key] is None:
            dst['victim'][key] = src['victim'][key]
    if dst['trigger'] is None:
        dst['trigger'] = src['trigger']
    elif src['trigger'] is not None:
        for key in TRIGGER_KEYS:
            if dst['trigger'][key] is None:
                dst['trigger'][key] = src['trigger'][key]
    dst['complete'] = dst['complete'] or src['complete']
    for name in src['sources']:
        if name not in dst['sources']:
            dst['sources'].append(name)


def _order_key(event):
    if event['_wall'] is not None:
        return (0, event['_wall'], event['_seq'])
    return (1, event['uptime_s'] if event['uptime_s'] is not None else -1.0, event['_seq'])


def _bucket(event):
    victim = event['victim']
    if event['killer'] == 'systemd-oomd':
        return ('oomd', event['cgroup'])
    if victim['pid'] is not None:
        return (event['killer'], 'pid', victim['pid'])
    trigger = event['trigger'] or {}
    return (event['killer'], 'trigger', trigger.get('pid'))


def merge_step(event, buckets):
    """Merge ``event`` into the earlier event of ``buckets`` that is the same kill (then return None); when there is
    none, file ``event`` in ``buckets`` and return the keys it was filed under. Events come oldest first
    (``_order_key``)."""
    keys = [_bucket(event)]
    if event['killer'] == 'kernel' and event['victim']['pid'] is not None and event['trigger']:
        keys.append(('kernel', 'trigger', event['trigger'].get('pid')))
    target = None
    for key in keys:
        for other in buckets.get(key, ()):
            if same_kill(other, event):
                target = other
                break
        if target is not None:
            break
    if target is None:
        # an incomplete report merges into the complete one that has its trigger
        if event['victim']['pid'] is None and event['trigger']:
            for other in buckets.get(('kernel', 'trigger', event['trigger'].get('pid')), ()):
                if same_kill(event, other):
                    target = other
                    break
    if target is not None:
        _merge_into(target, event)
        return None
    filed = [keys[0]]
    if event['killer'] == 'kernel' and event['trigger'] and event['trigger'].get('pid') is not None:
        key = ('kernel', 'trigger', event['trigger']['pid'])
        if key != keys[0]:
            filed.append(key)
    for key in filed:
        buckets.setdefault(key, []).append(event)
    return filed


def unfile(event, filed, buckets):
    """Take ``event`` out of ``buckets`` (``filed``: the keys merge_step filed it under)."""
    for key in filed:
        bucket = buckets.get(key, [])
        for i, other in enumerate(bucket):
            if other is event:
                del bucket[i]
                break
        if not bucket:
            buckets.pop(key, None)


def merge_events(events):
    """Merge duplicate kills -> new list, oldest first."""
    merged = []
    buckets = {}
    for event in sorted(events, key=_order_key):
        if merge_step(event, buckets) is not None:
            merged.append(event)
    return merged


def _leaf_units(units):
    """From one fan-out of notices, the units that are not slices above another named unit."""
    names = sorted(set(units))
    leaves = [u for u in names if not u.endswith('.slice')]
    if leaves:
        return leaves
    deepest = max(slice_depth(u) for u in names)
    return [u for u in names if slice_depth(u) == deepest]


def _group_notices(notices):
    groups = []
    for notice in sorted(notices, key=lambda n: (n['source'], n['seq'])):
        last = groups[-1] if groups else None
        if last and last[0]['source'] == notice['source'] and last[0]['killer'] == notice['killer'] \
                and _close(last[-1]['wall'], notice['wall'], 1.0) is not False:
            last.append(notice)
        else:
            groups.append([notice])
    return groups


def _path_has_unit(event, unit):
    for key in ('task_memcg', 'oom_memcg', 'cgroup'):
        path = event[key]
        if path and ('/' + unit + '/' in path + '/'):
            return True
    return False


def apply_group(first, units, candidates, add):
    """Apply one group of notices (``_group_notices``), whose first is ``first`` and which name ``units``:
    ``candidates()`` the kills in list order, ``add(event)`` lists a kill a notice makes."""
    wall = first['wall']
    killer = first['killer']
    source = first['source']
    for unit in _leaf_units(units):
        best = None
        best_rank = None
        for event in candidates():
            # a result 'oom-kill' follows the kernel's and systemd-oomd's kills, never earlyoom's signals
            if event['killer'] != killer and not (killer is None and event['killer'] in RESULT_OOM_KILLERS):
                continue
            delta = None if (wall is None or event['_wall'] is None) else abs(wall - event['_wall'])
            if event['unit'] == unit or _path_has_unit(event, unit):
                if delta is not None and delta > NOTICE_UNIT_TOLERANCE:
                    continue
                rank = (0, delta if delta is not None else NOTICE_UNIT_TOLERANCE)
            elif event['unit'] is None and delta is not None and delta <= NOTICE_ANY_TOLERANCE:
                rank = (1, delta)
            else:
                continue
            if best_rank is None or rank < best_rank:
                best, best_rank = event, rank
        if best is None and unit.endswith('.slice'):
            # a slice holds no process of its own: its notice echoes a kill in a unit below it (which has
            # its own record) or, alone, only a counter systemd read again later (systemd 252 after a
            # daemon-reload): never a kill of its own
            continue
        if best is None:
            best = new_event(killer or 'kernel')
            _set_time(best, wall, None)
            best['unit'] = unit
            add(best)
        if best['unit'] is None:
            best['unit'] = unit
        if source not in best['sources']:
            best['sources'].append(source)


def apply_notices(events, notices):
    """Give kills their unit from systemd's notices; a notice with no kill to annotate becomes one."""
    def add(event):
        event['_seq'] = len(events)
        events.append(event)

    for group in _group_notices(notices):
        apply_group(group[0], [n['unit'] for n in group], lambda: events, add)
    return events


def count_into(counts, event):
    """Count ``event`` into ``counts`` (the shape count_events returns)."""
    comm = event['victim']['comm']
    if comm is not None:
        counts['by_comm'][comm] = counts['by_comm'].get(comm, 0) + 1
    if event['unit'] is not None:
        counts['by_unit'][event['unit']] = counts['by_unit'].get(event['unit'], 0) + 1
    counts['by_killer'][event['killer']] = counts['by_killer'].get(event['killer'], 0) + 1


def count_events(events):
    """{by_comm: {comm: n}, by_unit: {unit: n}, by_killer: {killer: n}} over the listed events."""
    counts = {'by_comm': {}, 'by_unit': {}, 'by_killer': {}}
    for event in events:
        count_into(counts, event)
    return counts


def public_event(event):
    """The event as the module returns it: its time in ISO-8601, no private keys."""
    event['time'] = iso_utc(event['_wall']) if event['_wall'] is not None else None
    return dict((k, event[k]) for k in EVENT_KEYS)


def finish(events, since=None):
    """Drop events older than ``since`` (epoch; events of unknown time are kept), sort, and strip private keys."""
    kept = [e for e in events if since is None or e['_wall'] is None or e['_wall'] >= since]
    kept.sort(key=_order_key)
    return [public_event(event) for event in kept]


def build_history(per_source, since=None):
    """``per_source``: list of (source name, records) -> (events, counts)."""
    events = []
    notices = []
    for source, records in per_source:
        ev, no = events_from_records(records, source)
        events.extend(ev)
        notices.extend(no)
    events = merge_events(events)
    events = apply_notices(events, notices)
    events = finish(events, since)
    return events, count_events(events)


def build_history_cut(per_source, since=None, max_events=200, boot_time=None):
    """build_history cut to the newest ``max_events``: {events, total, counts, kernel_kills_logged_since_boot,
    bounded: False, held} (see oom.window.build_history_bounded, which gives the same holding fewer events)."""
    events, counts = build_history(per_source, since)
    return {'events': events[-max_events:], 'total': len(events), 'counts': counts,
            'kernel_kills_logged_since_boot': logged_kernel_kills(events, boot_time), 'bounded': False,
            'held': len(events)}
