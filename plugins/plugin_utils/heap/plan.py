# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Heap sizing for JVM and Node services: resolve the heap against the unit's MemoryMax (or the host's
RAM), keep room for what lives outside the heap, and render the flags where the runtime reads them
(a systemd drop-in's Environment=, a jvm.options.d file or an /etc/default variable).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.headroom.memory.plugins.module_utils.sizes import SizeError, parse_size
from ansible_collections.headroom.memory.plugins.module_utils.systemd.unit_memory import dropin_path, parse_bytes
from ansible_collections.headroom.memory.plugins.module_utils.systemd.unit_names import unit_name, unit_name_error
from ansible_collections.headroom.memory.plugins.plugin_utils.edited_file import judge

MIB = 1024 * 1024
# Metaspace, thread stacks, direct buffers, code cache (JVM) and young generation, buffers and native
# memory (Node) live outside the heap: the heap may take at most this share of the unit's memory.
ROOM_RATIO = 0.75
RUNTIMES = ("java", "node")
VIAS = {"java": ("dropin", "jvm_options", "default"), "node": ("dropin",)}
ENV_VARS = {"java": "JAVA_TOOL_OPTIONS", "node": "NODE_OPTIONS"}
DROPIN_NAME = "50-headroom-heap.conf"
JVM_OPTIONS_NAME = "50-headroom-heap.options"
ITEM_KEYS = ("unit", "runtime", "max", "initial", "percent", "via", "path", "variable", "java")
HEAP_FLAG_RE = re.compile(r"^(-Xmx|-Xms|-XX:(Max|Min|Initial)RAMPercentage=|-XX:(Max|Initial)HeapSize=|"
                          r"--max-old-space-size=)")
DEFAULT_DIRS = ("/etc/default", "/etc/sysconfig")  # where via: default files live (Debian, Red Hat)
SHELL_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_JAVA_VERSION_RE = re.compile(r'version\s+"(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:_(\d+))?')


def parse_java_version(text):
    """``java -version`` output to (feature, update): ``1.8.0_372`` -> (8, 372), ``17.0.9`` -> (17, 9),
    ``21`` -> (21, 0); None when no version line is found."""
    m = _JAVA_VERSION_RE.search(text or "")
    if not m:
        return None
    first, second, third, underscore = (int(g) if g else 0 for g in m.groups())
    if first == 1:
        return (second, underscore)
    return (first, third)


def java_container_aware(version, layout):
    """Whether this JVM sizes MaxRAMPercentage from the cgroup limit on this cgroup layout.

    v1: JDK 10+, and 8u191+ (backport). v2: JDK 15+, 11.0.16+, 8u372+ (JDK-8230305 and its backports).
    """
    if not version or layout not in ("v1", "v2"):
        return False
    feature, update = version
    if layout == "v1":
        return feature >= 10 or (feature == 8 and update >= 191)
    return feature >= 15 or (feature == 11 and update >= 16) or (feature == 8 and update >= 372)


def unit_memory_max(info):
    """The unit's configured memory bound in bytes (MemoryMax=, else v1's MemoryLimit=), or None."""
    props = (info or {}).get("props") or {}
    for key in ("MemoryMax", "MemoryLimit"):
        value = parse_bytes(props.get(key))
        if isinstance(value, int):
            return value
    return None


def path_error(field, path, under=None):
    """Why ``path`` may not be written (not absolute, a ``..`` or control character, outside ``under``), or None."""
    if not isinstance(path, str) or not path:
        return "%s %r is not a path" % (field, path)
    if _CONTROL_RE.search(path):
        return "%s %r holds a control character" % (field, path)
    if not path.startswith("/"):
        return "%s %r must be an absolute path" % (field, path)
    if ".." in path.split("/"):
        return "%s %r holds a '..' component" % (field, path)
    if under and not any(path.startswith(d.rstrip("/") + "/") and len(path) > len(d) + 1 for d in under):
        return "%s %r must be a file under %s" % (field, path, " or ".join(under))
    return None


def resolve(item, info, mem_total):
    """Resolve one heap_services item against its unit.

    Returns (resolved, errors); resolved holds unit, runtime, via, base (bytes), base_source
    (``MemoryMax`` or ``RAM``), max_bytes, initial_bytes, percent, room_bytes.
    """
    errors = []
    if not isinstance(item, dict) or not item.get("unit"):
        return None, ["item %r has no unit" % (item,)]
    unit = unit_name(item["unit"])
    bad_name = unit_name_error(unit)
    if bad_name:
        return None, [bad_name]
    unknown = sorted(k for k in item if k not in ITEM_KEYS)
    if unknown:
        errors.append("%s: unknown field(s) %s" % (unit, ", ".join(unknown)))
    runtime = item.get("runtime")
    if runtime not in RUNTIMES:
        return None, errors + ["%s: runtime %r is not java or node" % (unit, runtime)]
    via = item.get("via") or "dropin"
    if via not in VIAS[runtime]:
        errors.append("%s: via %r is not one of %s for %s" % (unit, via, ", ".join(VIAS[runtime]), runtime))
    if via in ("jvm_options", "default") and not item.get("path"):
        errors.append("%s: via %s needs path (the jvm.options.d directory or the /etc/default file)" % (unit, via))
    if via == "default" and not item.get("variable"):
        errors.append("%s: via default needs variable (e.g. JAVA_OPTS, ES_JAVA_OPTS)" % unit)
    elif via == "default" and not SHELL_NAME_RE.match(str(item["variable"])):
        errors.append("%s: variable %r is not a shell variable name ([A-Za-z_][A-Za-z0-9_]*)" % (unit, item["variable"]))
    if via in ("jvm_options", "default") and item.get("path"):
        problem = path_error("path", item["path"], DEFAULT_DIRS if via == "default" else None)
        if problem:
            errors.append("%s: %s" % (unit, problem))
    if (item.get("max") is None) == (item.get("percent") is None):
        errors.append("%s: give exactly one of max (a size) and percent (of the unit's MemoryMax or the host's RAM)"
                      % unit)
    memory_max = unit_memory_max(info)
    if memory_max is not None:
        base, source = memory_max, "MemoryMax"
    else:
        base, source = mem_total, "RAM"
    out = {"unit": unit, "runtime": runtime, "via": via, "base": base, "base_source": source,
           "max_bytes": None, "initial_bytes": None, "percent": None,
           "room_bytes": int(base * ROOM_RATIO) if base else None,
           "path": item.get("path"), "variable": item.get("variable")}
    if item.get("percent") is not None:
        try:
            pct = float(item["percent"])
        except (TypeError, ValueError):
            pct = None
        if pct is None or not 0 < pct <= 100 or isinstance(item["percent"], bool):
            errors.append("%s: percent %r is not a number above 0 and up to 100" % (unit, item["percent"]))
        elif base:
            out["percent"] = pct
            out["max_bytes"] = int(base * pct / 100)
    elif item.get("max") is not None:
        try:
            out["max_bytes"] = parse_size(item["max"], total=base, allow_percent=True)
        except SizeError as e:
            errors.append("%s: max: %s" % (unit, e))
    if item.get("initial") is not None:
        try:
            out["initial_bytes"] = parse_size(item["initial"], total=base, allow_percent=True)
        except SizeError as e:
            errors.append("%s: initial: %s" % (unit, e))
        if runtime == "node":
            errors.append("%s: initial applies to java only" % unit)
    return out, errors


def refusals(resolved):
    """The room rule and the ordering rule, with numbers."""
    out = []
    unit, mx, ini = resolved["unit"], resolved["max_bytes"], resolved["initial_bytes"]
    if mx is not None and mx < 2 * MIB:
        out.append("%s: heap %d bytes is below 2 MiB" % (unit, mx))
    if mx is not None and resolved["room_bytes"] is not None and mx > resolved["room_bytes"]:
        out.append("%s: heap %d MiB is above %d%% of the unit's %s %d MiB (%d MiB): metaspace, thread stacks, "
                   "direct buffers and native memory need the rest; lower max/percent or raise the unit's MemoryMax"
                   % (unit, mx // MIB, int(ROOM_RATIO * 100),
                      "MemoryMax" if resolved["base_source"] == "MemoryMax" else "host RAM",
                      resolved["base"] // MIB, resolved["room_bytes"] // MIB))
    if mx is not None and ini is not None and ini > mx:
        out.append("%s: initial heap %d MiB is above the max heap %d MiB" % (unit, ini // MIB, mx // MIB))
    return out


def flags(resolved, use_ram_percentage=False):
    """The runtime flags: ``-Xmx``/``-Xms`` in MiB (or ``-XX:MaxRAMPercentage``) for java,
    ``--max-old-space-size`` (MiB) for node."""
    mx, ini = resolved["max_bytes"], resolved["initial_bytes"]
    if resolved["runtime"] == "node":
        return ["--max-old-space-size=%d" % (mx // MIB)]
    out = []
    if use_ram_percentage and resolved["percent"] is not None:
        out.append("-XX:MaxRAMPercentage=%s" % _pct(resolved["percent"]))
        if ini is not None and resolved["base"]:
            out.append("-XX:InitialRAMPercentage=%s" % _pct(100.0 * ini / resolved["base"]))
        return out
    if ini is not None:
        out.append("-Xms%dm" % max(1, ini // MIB))
    out.append("-Xmx%dm" % (mx // MIB))
    return out


def _pct(value):
    text = ("%.4f" % value).rstrip("0")
    return text + "0" if text.endswith(".") else text


def dropin_body(runtime, flag_list):
    """The drop-in settings below the header: one Environment= line."""
    return '[Service]\nEnvironment="%s=%s"\n' % (ENV_VARS[runtime], " ".join(flag_list))


def jvm_options_body(flag_list):
    """A jvm.options.d file: one flag per line."""
    return "".join("%s\n" % f for f in flag_list)


def _split_value(raw):
    """The tokens of a shell value and its quote (``"``, ``'`` or '')."""
    raw = raw.strip()
    quote = ""
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'":
        quote, raw = raw[0], raw[1:-1]
    return raw.split(), quote


def edit_default_file(text, variable, flag_list, marker="# heap flags: Managed by headroom.memory.heap"):
    """An /etc/default (shell variable) file with ``variable`` carrying ``flag_list``.

    The variable's other flags are kept, its heap flags replaced; a missing variable is appended
    under ``marker``. Returns the new text (unchanged text when nothing differs). The value is written in
    double quotes; ValueError when ``variable`` is not a shell name, or a flag kept from the file would change
    meaning there (a ``"``, ``\\`` or backtick, a ``$`` that was single-quoted): such a file is left for a person.
    """
    if not SHELL_NAME_RE.match(str(variable)):
        raise ValueError("variable %r is not a shell variable name" % (variable,))
    for flag in flag_list:
        if not re.match(r"^[A-Za-z0-9_.:=+%/-]+$", flag):
            raise ValueError("%s: refusing to write flag %r" % (variable, flag))
    lines = (text or "").splitlines()
    pattern = re.compile(r"^(\s*)(export\s+)?%s=(.*)$" % re.escape(variable))
    index = None
    for i, line in enumerate(lines):
        if pattern.match(line):
            index = i
    if index is None:
        if lines and lines[-1].strip():
            lines.append("")
        lines.extend([marker, '%s="%s"' % (variable, " ".join(flag_list))])
    else:
        m = pattern.match(lines[index])
        tokens, quote = _split_value(m.group(3))
        kept = [tok for tok in tokens if not HEAP_FLAG_RE.match(tok)]
        for tok in kept:
            if any(c in tok for c in '"\\`') or (quote == "'" and "$" in tok) or "'" in tok:
                raise ValueError("%s: refusing to rewrite %s: its value holds %r, which would change meaning "
                                 "in double quotes; set the heap flags there by hand" % (variable, m.group(0), tok))
        lines[index] = '%s%s%s="%s"' % (m.group(1), m.group(2) or "", variable, " ".join(kept + list(flag_list)))
        if index == 0 or lines[index - 1] != marker:
            lines.insert(index, marker)
    return "\n".join(lines) + "\n"


def restart_needed(info, paths_mtime):
    """Whether the unit's running process started before a file it reads its heap from changed."""
    if (info or {}).get("active_state") != "active" or not info.get("main_pid_start"):
        return False
    started = info["main_pid_start"]
    return any(m is not None and m > started for m in paths_mtime)


def preflight(items):
    """Every error in heap_services that can be told without the host (unit names, runtime, via, path,
    variable, sizes; sizes in % against a stand-in total): run before the first host query."""
    if not isinstance(items, list):
        return ["heap_services must be a list of items, got %s" % type(items).__name__]
    errors = []
    seen = set()
    for item in items:
        resolved, item_errors = resolve(item, None, 1 << 40)
        errors.extend(item_errors)
        if resolved is not None:
            if resolved["unit"] in seen:
                errors.append("%s is listed twice in heap_services" % resolved["unit"])
            seen.add(resolved["unit"])
    return errors


def plan(items, infos, host, java_versions=None):
    """The whole plan for heap_services: per unit the flags, the file and its content, and refusals."""
    units, refused, seen = [], [], set()
    for item in items or []:
        resolved, errors = resolve(item, (infos or {}).get(unit_name((item or {}).get("unit") or "x")),
                                   host.get("mem_total"))
        refused.extend(errors)
        if resolved is None:
            continue
        unit = resolved["unit"]
        info = (infos or {}).get(unit) or {}
        if unit in seen:
            refused.append("%s is listed twice in heap_services" % unit)
            continue
        seen.add(unit)
        if info.get("load_state") in (None, "not-found"):
            refused.append("%s does not exist (LoadState=%s)" % (unit, info.get("load_state") or "unknown"))
        if errors:
            continue
        refused.extend(refusals(resolved))
        use_pct = False
        notes = []
        if resolved["runtime"] == "java" and resolved["percent"] is not None and resolved["base_source"] == "MemoryMax":
            version = parse_java_version((java_versions or {}).get(unit))
            use_pct = java_container_aware(version, host.get("cgroup"))
            notes.append("JVM %s %s container-aware on cgroup %s: %s" % (
                "%d (update %d)" % version if version else "(version unknown)", "is" if use_pct else "is not",
                host.get("cgroup"), "-XX:MaxRAMPercentage used" if use_pct else "explicit -Xmx computed"))
        flag_list = flags(resolved, use_pct) if resolved["max_bytes"] is not None else []
        if resolved["via"] == "dropin":
            path = dropin_path(unit, DROPIN_NAME)
            body = dropin_body(resolved["runtime"], flag_list)
        elif resolved["via"] == "jvm_options":
            path = "%s/%s" % (resolved["path"].rstrip("/"), JVM_OPTIONS_NAME)
            body = jvm_options_body(flag_list)
        else:
            path, body = resolved["path"], None
        units.append({
            "unit": unit, "runtime": resolved["runtime"], "via": resolved["via"], "path": path, "body": body,
            "variable": resolved["variable"], "flags": flag_list,
            "heap_mb": resolved["max_bytes"] // MIB if resolved["max_bytes"] is not None else None,
            "base_mb": resolved["base"] // MIB if resolved["base"] else None, "base_source": resolved["base_source"],
            "notes": notes,
        })
    return {"units": units, "refusals": refused}


def default_files(seen, targets=None):
    """The /etc/default files the role edits, judged by the collection's one rule for a file rewritten in place
    (plugin_utils/edited_file.py): ``{files: {configured path: {path (where to write: the link's target for a
    link), link, mode, owner, group}}, errors: [...]}``. A missing file is made (mode, owner and group None: the
    role writes it root:root 0644); a link is edited at its target in the link's own directory (the link stays),
    with the mode, owner and group the target has; anything else is refused, naming the unit and the path.

    ``seen``: ansible.builtin.stat (follow: false) looped over the plan's via-default units (each result's item has
    unit and path); ``targets``: a second stat (follow: false) looped over the results that are links (each one's
    item is that link's result), of the link's lnk_source."""
    of_link = {}
    for result in targets or []:
        of_link[result["item"]["item"]["path"]] = result.get("stat") or {}
    files, errors = {}, []
    for result in seen or []:
        unit, path = result["item"]["unit"], result["item"]["path"]
        got, error = judge("%s: %s" % (unit, path), path, result.get("stat") or {}, of_link.get(path), missing_ok=True)
        if error:
            errors.append(error)
        else:
            files[path] = got
    return {"files": files, "errors": errors}
