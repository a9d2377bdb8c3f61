# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plan the memory bounds of systemd units: resolve sizes against the host's RAM, refuse what would
kill or pin a service (with the numbers), render the drop-in, map to cgroup v1, and tell which settings
reach the running unit live and which wait for a restart.

Plain functions over plain data: the unit state comes from the ``unit_memory_info`` module
(``systemctl show`` plus the live cgroup files), the items from the role's ``service_limits_units`` list.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.headroom.memory.plugins.module_utils.sizes import (
    SizeError, format_bytes, format_size, parse_size)
from ansible_collections.headroom.memory.plugins.module_utils.systemd.unit_memory import (
    INFINITY, V2_FILES, dropin_path as _dropin_path, parse_bytes, parse_int)
from ansible_collections.headroom.memory.plugins.module_utils.systemd.unit_names import (
    resource_section, unit_name, unit_name_error)
from ansible_collections.headroom.memory.plugins.plugin_utils.limit_rules import apply_margin, floor_error

DROPIN_NAME = "50-headroom-memory.conf"

# item field -> systemd key, in the order they are written
FIELDS = (
    ("memory_max", "MemoryMax"),
    ("memory_high", "MemoryHigh"),
    ("memory_swap_max", "MemorySwapMax"),
    ("memory_low", "MemoryLow"),
    ("oom_score_adjust", "OOMScoreAdjust"),
    ("oom_policy", "OOMPolicy"),
    ("restart", "Restart"),
    ("restart_sec", "RestartSec"),
    ("restart_every", "RuntimeMaxSec"),
)
SIZE_FIELDS = ("memory_max", "memory_high", "memory_swap_max", "memory_low")
SERVICE_ONLY = ("oom_score_adjust", "oom_policy", "restart", "restart_sec", "restart_every")
OOM_POLICIES = ("continue", "stop", "kill")
RESTART_POLICIES = ("no", "on-success", "on-failure", "on-abnormal", "on-watchdog", "on-abort", "always")
ITEM_KEYS = ("unit", "state", "force") + tuple(f for f, _k in FIELDS)

# cgroup v2 files exist for all four; v1 has only memory.limit_in_bytes (MemoryMax/MemoryLimit)
LIVE_KEYS = {"v2": ("MemoryMax", "MemoryHigh", "MemorySwapMax", "MemoryLow"), "v1": ("MemoryMax",)}
NOT_ON_V1 = ("MemoryHigh", "MemorySwapMax", "MemoryLow")
# systemd learnt MemoryMax= (and its v1 translation to memory.limit_in_bytes) in v231
MEMORY_MAX_SINCE = 231

# restart_every: systemd's own scheduled restart, a stop-gap while a leak is found. RuntimeMaxSec= stops the
# service after that long (result "timeout"), and a Restart= that covers timeouts starts it again; systemd >= 250
# adds up to RuntimeRandomizedExtraSec= at random, so that hosts given the same period do not restart together.
RESTART_EVERY_MIN_S = 10  # small values are for tests; a real period is hours or days
RESTART_EVERY_MAX_S = 366 * 86400
RESTART_EVERY_SPREAD_PCT = 10
RANDOMIZED_EXTRA_SINCE = 250
RESTARTS_ON_TIMEOUT = ("on-failure", "on-abnormal", "always")
_SPAN_UNITS = {"s": 1, "sec": 1, "second": 1, "seconds": 1, "m": 60, "min": 60, "minute": 60, "minutes": 60,
               "h": 3600, "hr": 3600, "hour": 3600, "hours": 3600, "d": 86400, "day": 86400, "days": 86400,
               "w": 604800, "week": 604800, "weeks": 604800}
_SPAN_RE = re.compile(r"^(?:\d{1,9}\s*[a-z]+\s*)+\Z")
_SPAN_PART_RE = re.compile(r"(\d+)\s*([a-z]+)")
_TIMESPAN_RE = re.compile(r"^\d+(\.\d+)?\s*(us|ms|s|sec|m|min|h|hr)?(\s+\d+(\.\d+)?\s*(us|ms|s|sec|m|min|h|hr)?)*$")


def span_seconds(value):
    """Whole seconds of a time span in systemd's syntax without fractions (an int of seconds, ``"3600"``, ``"1d"``,
    ``"12h"``, ``"1h 30min"``), or None when ``value`` is not one (or not above zero)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if not isinstance(value, str) or len(value) > 64:
        return None
    text = value.strip().lower()
    if text.isdigit() and len(text) <= 9:
        return int(text) or None
    if not _SPAN_RE.match(text):
        return None
    total = 0
    for number, unit in _SPAN_PART_RE.findall(text):
        if unit not in _SPAN_UNITS:
            return None
        total += int(number) * _SPAN_UNITS[unit]
    return total or None


def restart_every_error(value):
    """Why ``value`` is not a restart_every period (a reason without the unit), or None."""
    seconds = span_seconds(value)
    if seconds is None:
        return "restart_every %r is not a time span such as 1d, 12h or 1h 30min" % (value,)
    if not RESTART_EVERY_MIN_S <= seconds <= RESTART_EVERY_MAX_S:
        return "restart_every %r (%d s) is not from %d s to %d days" % (value, seconds, RESTART_EVERY_MIN_S,
                                                                        RESTART_EVERY_MAX_S // 86400)
    return None


def restart_spread(seconds):
    """RuntimeRandomizedExtraSec= for a period: RESTART_EVERY_SPREAD_PCT of it, at least one second."""
    return max(1, seconds * RESTART_EVERY_SPREAD_PCT // 100)


def dropin_path(unit):
    """Where the role writes ``unit``'s drop-in."""
    return _dropin_path(unit, DROPIN_NAME)


def max_key(layout, version):
    """The key that bounds memory on this host: MemoryLimit= only where MemoryMax= is unknown (v1 with
    systemd older than 231); newer systemd translates MemoryMax= to v1's memory.limit_in_bytes."""
    if layout == "v1" and version is not None and version < MEMORY_MAX_SINCE:
        return "MemoryLimit"
    return "MemoryMax"


def resolve_item(item, mem_total, swap_total=None):
    """Check one item's fields and resolve its sizes.

    Returns (unit, state, settings, errors): settings maps the systemd key to
    {"field", "value" (int bytes, "infinity", int or str), "text" (as written in the drop-in), "origin"}.
    """
    errors = []
    if not isinstance(item, dict):
        return None, None, {}, ["item %r is not a dict" % (item,)]
    raw_unit = item.get("unit")
    if not raw_unit or not isinstance(raw_unit, str):
        return None, None, {}, ["item %r has no unit" % (item,)]
    unit = unit_name(raw_unit)
    bad_name = unit_name_error(unit)
    if bad_name:
        return None, None, {}, [bad_name]
    unknown = sorted(k for k in item if k not in ITEM_KEYS)
    if unknown:
        errors.append("%s: unknown field(s) %s" % (unit, ", ".join(unknown)))
    state = item.get("state") or "present"
    if state not in ("present", "absent"):
        errors.append("%s: state %r is not present or absent" % (unit, state))
    section = resource_section(unit)
    if section is None:
        errors.append("%s: this unit type takes no memory settings (use a .service, .slice, .socket, .mount, "
                      ".swap or .scope unit)" % unit)
    settings = {}
    for field, key in FIELDS:
        value = item.get(field)
        if value is None or state == "absent":
            continue
        if field in SERVICE_ONLY and section != "Service":
            errors.append("%s: %s applies to .service units only" % (unit, field))
            continue
        if field in SIZE_FIELDS:
            total = swap_total if field == "memory_swap_max" else mem_total
            try:
                nbytes = parse_size(value, total=total, allow_percent=True, allow_infinity=True)
            except SizeError as e:
                errors.append("%s: %s: %s" % (unit, field, e))
                continue
            nbytes = INFINITY if nbytes is None else nbytes
            text = format_size(None if nbytes == INFINITY else nbytes)
            origin = str(value)
            if key in ("MemoryMax", "MemoryHigh") and floor_error(unit, key, nbytes, origin):
                errors.append(floor_error(unit, key, nbytes, origin))
                continue
            settings[key] = {"field": field, "value": nbytes, "text": text, "origin": origin}
        elif field == "oom_score_adjust":
            number = parse_int(value) if not isinstance(value, bool) else None
            if number is None or not -1000 <= number <= 1000:
                errors.append("%s: oom_score_adjust %r is not an integer from -1000 to 1000" % (unit, value))
                continue
            settings[key] = {"field": field, "value": number, "text": str(number), "origin": str(value)}
        elif field == "oom_policy":
            if value not in OOM_POLICIES:
                errors.append("%s: oom_policy %r is not one of %s" % (unit, value, ", ".join(OOM_POLICIES)))
                continue
            settings[key] = {"field": field, "value": value, "text": value, "origin": value}
        elif field == "restart":
            if value not in RESTART_POLICIES:
                errors.append("%s: restart %r is not one of %s" % (unit, value, ", ".join(RESTART_POLICIES)))
                continue
            settings[key] = {"field": field, "value": value, "text": value, "origin": value}
        elif field == "restart_sec":
            text = "%ds" % value if isinstance(value, int) and not isinstance(value, bool) else str(value).strip()
            if not _TIMESPAN_RE.match(text):
                errors.append("%s: restart_sec %r is not a time span such as 5, 5s, 500ms or 1min" % (unit, value))
                continue
            settings[key] = {"field": field, "value": text, "text": text, "origin": str(value)}
        elif field == "restart_every":
            reason = restart_every_error(value)
            if reason:
                errors.append("%s: %s" % (unit, reason))
                continue
            seconds = span_seconds(value)
            settings[key] = {"field": field, "value": seconds, "text": "%ds" % seconds, "origin": str(value)}
    policy = settings.get("Restart", {}).get("value")
    if "RuntimeMaxSec" in settings and policy is not None and policy not in RESTARTS_ON_TIMEOUT:
        errors.append("%s: restart %r does not start the unit again after restart_every stops it (systemd counts "
                      "that stop as a timeout): use %s, or leave restart out" % (unit, policy, ", ".join(RESTARTS_ON_TIMEOUT)))
    return unit, state, settings, errors


def refusals_for(unit, settings, info, options):
    """What makes this item unsafe, each with its numbers. ``info`` is the unit's state as read by
    unit_memory_info (None when it was not read); options: margin (bytes, None for limit_rules' margin), force,
    allow_unkillable, allow_missing_units."""
    out = []
    info = info or {}
    if info.get("load_state") in (None, "not-found") and not options.get("allow_missing_units"):
        out.append("%s does not exist (LoadState=%s): set service_limits_allow_missing_units: true to write "
                   "limits for a unit installed later" % (unit, info.get("load_state") or "unknown"))
    oom = settings.get("OOMScoreAdjust")
    if oom and oom["value"] == -1000 and not options.get("allow_unkillable"):
        out.append("%s: oom_score_adjust -1000 makes the service unkillable by the OOM killer, which then kills "
                   "everything else first: set service_limits_allow_unkillable: true if that is meant" % unit)
    unit_type = (info.get("props") or {}).get("Type")
    if "RuntimeMaxSec" in settings and unit_type == "oneshot":
        out.append("%s: restart_every does nothing on a Type=oneshot service (systemd ignores RuntimeMaxSec= there): "
                   "leave it out, or bound the run with TimeoutStartSec=" % unit)
    high, mmax = settings.get("MemoryHigh"), settings.get("MemoryMax")
    if high and mmax and high["value"] != INFINITY and mmax["value"] != INFINITY and high["value"] > mmax["value"]:
        out.append("%s: memory_high %s (%d bytes) is above memory_max %s (%d bytes): the throttle would never act"
                   % (unit, high["origin"], high["value"], mmax["origin"], mmax["value"]))
    # what the unit holds: its working set (the kernel reclaims the inactive page cache before it kills), else
    # MemoryCurrent; a stopped unit has no reading and the floor (resolve_item) is its only bound
    current = info.get("working_set")
    what = "working set (MemoryCurrent minus inactive page cache)"
    if not isinstance(current, int) or isinstance(current, bool):
        current, what = parse_bytes(info.get("memory_current")), "MemoryCurrent"
    live = (info.get("live") or {}).get("MemoryMax")
    if (mmax and mmax["value"] != INFINITY and isinstance(current, int) and info.get("active_state") == "active"
            and live != mmax["value"] and not options.get("force")):
        margin = options.get("margin")
        margin = apply_margin(current) if margin is None else int(margin)
        if mmax["value"] <= current + margin:
            out.append("%s: memory_max %s (%d bytes, %s) is at or below what the unit uses now, its %s %d "
                       "bytes (%s), plus the margin %d bytes (%s) = %d bytes: applying it would OOM-kill the "
                       "service at once; raise memory_max or set force: true on the item"
                       % (unit, mmax["origin"], mmax["value"], format_bytes(mmax["value"]), what, current,
                          format_bytes(current), margin, format_bytes(margin), current + margin))
    return out


def render_body(unit, settings, layout, version):
    """The drop-in's settings (everything below the header) as text, keys in a fixed order."""
    lines = ["[%s]" % resource_section(unit)]
    for _field, key in FIELDS:
        if key not in settings:
            continue
        written = max_key(layout, version) if key == "MemoryMax" else key
        lines.append("%s=%s" % (written, settings[key]["text"]))
        if key == "RuntimeMaxSec" and version is not None and version >= RANDOMIZED_EXTRA_SINCE:
            lines.append("RuntimeRandomizedExtraSec=%ds" % restart_spread(settings[key]["value"]))
    return "\n".join(lines) + "\n"


def restart_notes(settings, version):
    """What restart_every does on this host, said plainly."""
    if "RuntimeMaxSec" not in settings:
        return []
    seconds = settings["RuntimeMaxSec"]["value"]
    spread = ("plus up to %ds at random (RuntimeRandomizedExtraSec=)" % restart_spread(seconds)
              if version is not None and version >= RANDOMIZED_EXTRA_SINCE else
              "exactly: systemd %s has no RuntimeRandomizedExtraSec= (since %d)" % (version or "(unknown)",
                                                                                    RANDOMIZED_EXTRA_SINCE))
    return ["restart_every %s: systemd stops the service after %ds of running (RuntimeMaxSec=), %s, and Restart=%s "
            "starts it again; a stop-gap while the leak is found. The reload applies it to the running service, "
            "counted from its last start: one running longer than that is restarted at once"
            % (settings["RuntimeMaxSec"]["origin"], seconds, spread,
               settings.get("Restart", {}).get("value", "(the unit's own)"))]


def notes_for(settings, layout, version, live=None):
    """What this host does with the settings, said plainly, and the keys it does not enforce.

    ``live``: the unit's live cgroup limits from unit_memory_info (a key whose v2 file is missing is None)."""
    notes, not_enforced = restart_notes(settings, version), []
    if layout == "v1":
        if "MemoryMax" in settings:
            if max_key(layout, version) == "MemoryLimit":
                notes.append("cgroup v1 with systemd %s: MemoryLimit= written instead of MemoryMax= (unknown "
                             "before systemd %d); enforced as memory.limit_in_bytes" % (version, MEMORY_MAX_SINCE))
            else:
                notes.append("cgroup v1: systemd translates MemoryMax= to memory.limit_in_bytes, which the kernel "
                             "enforces; MemoryLimit= is not needed")
        for key in NOT_ON_V1:
            if key in settings:
                not_enforced.append(key)
        if not_enforced:
            notes.append("cgroup v1: %s written (systemctl show reports them) but NOT enforced: v1 has no "
                         "equivalent; they take effect once the host boots with cgroup v2"
                         % ", ".join("%s=" % k for k in not_enforced))
        if settings.get("OOMPolicy", {}).get("value") == "kill":
            notes.append("cgroup v1: OOMPolicy=kill cannot set memory.oom.group; systemd stops the unit instead")
    elif layout == "v2":
        # the unit's cgroup exists but the kernel offers no file for the key: memory.swap.max is absent when
        # swap accounting is off (swapaccount=0, or a kernel built without it)
        for key in LIVE_KEYS["v2"]:
            if key in settings and live and key in live and live[key] is None:
                not_enforced.append(key)
        if not_enforced:
            notes.append("cgroup v2: %s written (systemctl show reports them) but NOT enforced: the unit's cgroup "
                         "has no %s (for memory.swap.max: swap accounting is off, swapaccount=0 or a kernel built "
                         "without it)" % (", ".join("%s=" % k for k in not_enforced),
                                          ", ".join(V2_FILES[k] for k in not_enforced)))
    elif layout is None and settings:
        notes.append("no memory cgroup controller found: the limits are written but nothing enforces them")
    return notes, not_enforced


def margin_bytes(margin):
    """service_limits_margin as bytes, or None for ``auto`` (limit_rules' margin, the one diagnose's gate leaves
    room for). Raises SizeError naming the value."""
    if margin is None or str(margin).strip().lower() == "auto":
        return None
    return parse_size(margin)


def preflight(items, margin="auto"):
    """Every error in the role's input that can be told without the host (unit names, fields, sizes, the floor
    under memory_max and memory_high, policies, the margin): run before the first host query. Sizes in % are
    checked against a stand-in total (and against the host's in plan())."""
    if not isinstance(items, list):
        return ["service_limits_units must be a list of items, got %s" % type(items).__name__]
    errors = []
    try:
        margin_bytes(margin)
    except SizeError as e:
        errors.append("service_limits_margin: %s" % e)
    seen = set()
    for item in items:
        unit, _state, _settings, item_errors = resolve_item(item, 1 << 40, 1 << 40)
        errors.extend(item_errors)
        if unit is not None and unit in seen:
            errors.append("%s is listed twice in service_limits_units" % unit)
        seen.add(unit)
    return errors


def plan(items, infos, host, options):
    """The whole plan for a ``service_limits_units`` list.

    infos: {unit: info} from unit_memory_info; host: {mem_total, swap_total, cgroup, systemd_version};
    options: margin, allow_unkillable, allow_missing_units, clear_runtime_overrides.
    Returns {units: [...], refusals: [...], cgroup, systemd_version}.
    """
    layout, version = host.get("cgroup"), host.get("systemd_version")
    units, refusals, seen = [], [], set()
    for item in items or []:
        unit, state, settings, errors = resolve_item(item, host.get("mem_total"), host.get("swap_total"))
        refusals.extend(errors)
        if unit is None:
            continue
        if unit in seen:
            refusals.append("%s is listed twice in service_limits_units" % unit)
            continue
        seen.add(unit)
        info = (infos or {}).get(unit)
        own_restart = ((info or {}).get("props") or {}).get("Restart")
        if "RuntimeMaxSec" in settings and "Restart" not in settings and own_restart not in ("always", "on-abnormal"):
            # Restart=no (the default) would leave the unit stopped after RuntimeMaxSec=. Read after our own drop-in
            # this is on-failure, so the second run writes the same file.
            settings["Restart"] = {"field": "restart_every", "value": "on-failure", "text": "on-failure",
                                   "origin": "restart_every"}
        if state == "present" and not errors:
            item_options = dict(options, force=bool(item.get("force")))
            refusals.extend(refusals_for(unit, settings, info, item_options))
        notes, not_enforced = notes_for(settings, layout, version, (info or {}).get("live"))
        overrides = []
        managed = set(settings) | ({"MemoryLimit"} if "MemoryMax" in settings else set())
        for ov in (info or {}).get("overrides") or []:
            if state == "absent" or ov["key"] in managed:
                overrides.append(ov)
        removable = sorted(set(ov["path"] for ov in overrides if not ov.get("other_keys")))
        for ov in overrides:
            notes.append("override %s sets %s=%s (systemctl set-property%s)%s" % (
                ov["path"], ov["key"], ov["value"], " --runtime" if ov.get("runtime") else "",
                "; removed" if options.get("clear_runtime_overrides") and ov["path"] in removable else
                "; kept: set service_limits_clear_runtime_overrides: true to remove it"
                if not ov.get("other_keys") else "; kept: the file also sets %s" % ", ".join(ov["other_keys"])))
        units.append({
            "unit": unit,
            "state": state,
            "dropin": dropin_path(unit),
            "body": render_body(unit, settings, layout, version) if state == "present" else None,
            "settings": dict((k, v["value"]) for k, v in settings.items()),
            "not_enforced": not_enforced,
            "notes": notes,
            "overrides": overrides,
            "remove_overrides": removable if options.get("clear_runtime_overrides") else [],
            "exists": bool(info) and info.get("load_state") not in (None, "not-found"),
        })
    return {"units": units, "refusals": refusals, "cgroup": layout, "systemd_version": version}


def _target(unit_plan, info, key):
    """The value the live cgroup should hold for ``key``: ours when we set it, else systemd's config."""
    if unit_plan["state"] == "present" and key in unit_plan["settings"]:
        return unit_plan["settings"][key]
    props = info.get("props") or {}
    if key == "MemoryMax":
        configured = parse_bytes(props.get("MemoryMax"))
        if configured == INFINITY and parse_bytes(props.get("MemoryLimit")) not in (None, INFINITY):
            return parse_bytes(props.get("MemoryLimit"))
        return configured
    return parse_bytes(props.get(key))


def live_changes(the_plan, infos, layout, version):
    """What must be pushed to running units with ``systemctl set-property --runtime``.

    A key is pushed when the unit is active, its live cgroup file differs from the target and no
    kept set-property override holds it. Returns a list of {unit, args, keys, live, runtime_files}; the
    role removes ``runtime_files`` (set-property's own /run files) afterwards, so the drop-in stays the
    only place the setting lives.
    """
    out = []
    for unit_plan in the_plan.get("units", []):
        info = (infos or {}).get(unit_plan["unit"]) or {}
        if info.get("active_state") != "active":
            continue
        held = set(ov["key"] for ov in unit_plan.get("overrides", [])
                   if ov["path"] not in unit_plan.get("remove_overrides", []))
        live = info.get("live") or {}
        args, keys, before = [], [], {}
        for key in LIVE_KEYS.get(layout, ()):
            if key in held or key not in live:
                continue
            target = _target(unit_plan, info, key)
            # live[key] None: the kernel has no file for it (no swap accounting): nothing to push, every run
            if target is None or live[key] is None or live[key] == target:
                continue
            written = max_key(layout, version) if key == "MemoryMax" else key
            args.append("%s=%s" % (written, target))
            keys.append(key)
            before[key] = live[key]
        if args:
            out.append({
                "unit": unit_plan["unit"],
                "args": args,
                "keys": keys,
                "live": before,
                "runtime_files": ["/run/systemd/system.control/%s.d/50-%s.conf" % (unit_plan["unit"], a.split("=")[0])
                                  for a in args],
            })
    return out


def restart_needed(the_plan, infos):
    """Units whose running process does not carry the settings that apply only at start.

    OOMScoreAdjust= is applied when the process is executed, so a running unit keeps its old
    /proc/<pid>/oom_score_adj until restarted. (Restart=, RestartSec= and OOMPolicy= are read from the
    reloaded configuration when the process exits; memory limits are pushed live.)
    Returns a list of {unit, reasons}.
    """
    out = []
    for unit_plan in the_plan.get("units", []):
        info = (infos or {}).get(unit_plan["unit"]) or {}
        if info.get("active_state") != "active" or not info.get("main_pid"):
            continue
        reasons = []
        if unit_plan["state"] == "present" and "OOMScoreAdjust" in unit_plan["settings"]:
            target = unit_plan["settings"]["OOMScoreAdjust"]
        else:
            target = parse_int((info.get("props") or {}).get("OOMScoreAdjust"))
        live = info.get("oom_score_adj")
        if target is not None and live is not None and live != target:
            reasons.append("OOMScoreAdjust=%d applies at start; the running process %s has oom_score_adj %d"
                           % (target, info.get("main_pid"), live))
        if reasons:
            out.append({"unit": unit_plan["unit"], "reasons": reasons})
    return out


def report(units, live, restarts, written=None):
    """Per-unit result for the role's caller: the plan without its rendered text, plus what was pushed
    live, why a restart is needed and (``written``: the units whose drop-in this run wrote or removed)
    ``dropin_changed`` - on cgroup v2 systemd applies a written limit at daemon-reload, with nothing pushed."""
    written = set(written or [])
    pushed = dict((c["unit"], c["args"]) for c in live or [])
    reasons = dict((r["unit"], r["reasons"]) for r in restarts or [])
    out = []
    for unit_plan in units or []:
        entry = dict((k, v) for k, v in unit_plan.items() if k not in ("body", "remove_overrides"))
        entry["live_pushed"] = pushed.get(unit_plan["unit"], [])
        entry["restart_required"] = unit_plan["unit"] in reasons
        entry["restart_reasons"] = reasons.get(unit_plan["unit"], [])
        entry["dropin_changed"] = unit_plan["unit"] in written
        out.append(entry)
    return out
