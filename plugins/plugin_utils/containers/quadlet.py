# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Set the memory limit of a Podman quadlet ``.container`` unit, keeping its other lines and comments.

Which podman honours which form (read in podman's own sources, pkg/systemd/quadlet/quadlet.go):

- podman before 4.4 (Debian bookworm's 4.3.1) has no quadlet at all: there is no ``.container`` file to edit;
- podman 4.4 to 5.4 (Debian trixie's 5.4.2) has no memory key in ``[Container]`` and rejects an unknown key
  (``unsupported key 'Memory' in group 'Container'``: the generator then makes no service at all), so the limit is
  written as ``PodmanArgs=--memory=512m``; every ``PodmanArgs=`` line is appended to ``podman run``;
- podman 5.5 and later also read ``Memory=512m`` in ``[Container]`` (``--memory``); ``PodmanArgs`` still works
  and, coming last on the command line, wins over it.

There is no swap or reservation key in any version: ``--memory-swap`` and ``--memory-reservation`` always go
into ``PodmanArgs``. A file that already uses ``Memory=`` keeps it; otherwise ``PodmanArgs`` is used unless the
caller says the host's podman is 5.5 or later. A ``[Service]`` ``MemoryMax=`` limits the unit's whole cgroup
(conmon and the container): it is left alone and named in the notes.

The file is read as quadlet reads it (podman's pkg/systemd/parser): ``#`` and ``;`` comments, a trailing backslash
continues a line. A limit written on a continued line, a flag given twice, quotes in the ``PodmanArgs`` line to
edit or a second ``[Container]`` section are refused: a line-based edit could not be sure what it changes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.headroom.memory.plugins.module_utils.sizes import SizeError, parse_size
from ansible_collections.headroom.memory.plugins.plugin_utils.containers.limits import (
    EditError, check_limits, engine_size, result, run_editor)

FLAGS = {"memory": "--memory", "memory_swap": "--memory-swap", "memory_reservation": "--memory-reservation"}
SHORT = {"-m": "--memory"}
MEMORY_KEY_SINCE = (5, 5)
QUADLET_SINCE = (4, 4)
_SECTION_RE = re.compile(r"^\[([^\[\]]+)\]\s*$")
_VERSION_RE = re.compile(r"^\s*(\d+)\.(\d+)")


class Entry(object):
    """One logical ``Key=value`` line: its section and the physical lines it spans."""

    def __init__(self, section, key, value, first, last):
        self.section, self.key, self.value, self.first, self.last = section, key, value, first, last

    @property
    def continued(self):
        return self.last != self.first


def parse_unit(text):
    """(lines with their ends, entries, section names in order) as quadlet's parser reads the file."""
    lines = text.splitlines(True)
    entries, sections = [], []
    section, pending, first = None, None, None
    for number, raw in enumerate(lines):
        line = raw.strip()
        if line.startswith(("#", ";")):
            continue
        if pending is None and not line:
            continue
        continues = line.endswith("\\") and number != len(lines) - 1
        if continues:
            line = line[:-1]
        if pending is not None:
            line = pending + line
        else:
            first = number
        if continues:
            pending = line
            continue
        pending = None
        match = _SECTION_RE.match(line)
        if match:
            section = match.group(1)
            sections.append(section)
            continue
        if "=" not in line:
            raise EditError("quadlet file: line %d %r is neither a section, a Key=value nor a comment"
                            % (first + 1, line[:60]))
        if section is None:
            raise EditError("quadlet file: line %d comes before any [section]" % (first + 1))
        key, value = line.split("=", 1)
        entries.append(Entry(section, key.strip(), value.strip(), first, number))
    return lines, entries, sections


def parse_version(version):
    if version in (None, ""):
        return None
    match = _VERSION_RE.match(str(version))
    if not match:
        raise EditError("quadlet: podman version %r is not a version such as 5.4.2" % (version,))
    return int(match.group(1)), int(match.group(2))


def _flag_uses(entry):
    """[(canonical flag, value, (start, end) of the text to replace in the entry's value, token)]."""
    uses = []
    tokens = [(m.group(0), m.start(), m.end()) for m in re.finditer(r"\S+", entry.value)]
    wanted = set(FLAGS.values())
    for i, (token, start, end) in enumerate(tokens):
        name, eq, value = token.partition("=")
        name = SHORT.get(name, name)
        if name in wanted:
            if eq:
                uses.append((name, value, (start + len(token) - len(value), end)))
            elif i + 1 < len(tokens):
                nxt = tokens[i + 1]
                uses.append((name, nxt[0], (nxt[1], nxt[2])))
            else:
                raise EditError("quadlet file: PodmanArgs=%s ends with %s and no value" % (entry.value, token))
        elif token.startswith("-m") and not token.startswith("--") and len(token) > 2:
            uses.append(("--memory", token[2:], (start + 2, end)))
    return uses


def _render(nbytes, old=None):
    lower = True
    if isinstance(old, str) and old[-1:].isalpha():
        lower = old[-1:].islower()
    return engine_size(nbytes, lower=lower)


def _same(old, nbytes):
    if nbytes == -1:
        return old.strip() == "-1"
    try:
        return parse_size(old) == nbytes
    except SizeError:
        return False


def effective(text):
    """{memory, memory_swap, memory_reservation} as podman would get them from the file (raw strings)."""
    _lines, entries, _sections = parse_unit(text)
    out = dict((k, None) for k in FLAGS)
    for entry in entries:
        if entry.section == "Container" and entry.key == "Memory":
            out["memory"] = entry.value
    for entry in entries:
        if entry.section == "Container" and entry.key == "PodmanArgs":
            for flag, value, _span in _flag_uses(entry):
                out[[k for k, f in FLAGS.items() if f == flag][0]] = value
    return out


def _others(text):
    """Everything but the memory settings: entries as (section, key, value without the memory flags)."""
    _lines, entries, _sections = parse_unit(text)
    out = []
    for entry in entries:
        if entry.section == "Container" and entry.key == "Memory":
            continue
        value = entry.value
        if entry.section == "Container" and entry.key == "PodmanArgs":
            kept, skip = [], False
            for token in value.split():
                if skip:
                    skip = False
                    continue
                name, eq, _v = token.partition("=")
                name = SHORT.get(name, name)
                if name in FLAGS.values():
                    skip = not eq
                    continue
                if token.startswith("-m") and not token.startswith("--") and len(token) > 2:
                    continue
                kept.append(token)
            if not kept:
                continue
            value = " ".join(kept)
        out.append((entry.section, entry.key, value))
    return out


def quadlet_edit(text, limits, podman_version=None):
    """The result dict of :func:`limits.result` for a ``.container`` file."""
    return run_editor("quadlet", _quadlet_edit, text, limits, podman_version)


def _quadlet_edit(text, limits, podman_version):
    wanted = check_limits(limits)
    version = parse_version(podman_version)
    if version is not None and version < QUADLET_SINCE:
        raise EditError("quadlet: podman %s has no quadlet (it came with 4.4); there is no .container file it reads"
                        % podman_version)
    lines, entries, sections = parse_unit(text)
    if sections.count("Container") != 1:
        raise EditError("quadlet file has %d [Container] sections; a .container unit has exactly one"
                        % sections.count("Container"))
    container = [e for e in entries if e.section == "Container"]
    memory_keys = [e for e in container if e.key == "Memory"]
    if len(memory_keys) > 1:
        raise EditError("quadlet file sets Memory= %d times; remove the duplicates first" % len(memory_keys))
    if memory_keys and version is not None and version < MEMORY_KEY_SINCE:
        raise EditError("quadlet file uses Memory=, which podman %s does not know (it came with 5.5): quadlet "
                        "rejects the unit; replace it with PodmanArgs=--memory=... by hand" % podman_version)
    uses = {}
    for entry in container:
        if entry.key != "PodmanArgs":
            continue
        for flag, value, span in _flag_uses(entry):
            if flag in uses:
                raise EditError("quadlet file gives %s twice in PodmanArgs=; remove the duplicate first" % flag)
            uses[flag] = (entry, value, span)
    notes = []
    for entry in entries:
        if entry.section == "Service" and entry.key in ("MemoryMax", "MemoryLimit", "MemoryHigh"):
            notes.append("quadlet file: [Service] %s=%s also limits the whole unit (conmon and the container); "
                         "left as it is" % (entry.key, entry.value))

    style = ([v for _e, v, _s in uses.values()] + [e.value for e in memory_keys] + [None])[0]
    form = "memory_key" if memory_keys or (version is not None and version >= MEMORY_KEY_SINCE
                                           and "--memory" not in uses) else "podman_args"
    line_edits = {}   # physical line number -> list of (start, end, new) within the entry's value
    new_flags, keys, new_memory_key = [], [], None
    for limit_key, flag in FLAGS.items():
        nbytes = wanted[limit_key]
        if nbytes is None:
            continue
        targets = 0
        if limit_key == "memory" and memory_keys:
            targets += 1
            entry = memory_keys[0]
            _check_plain(entry.value, "Memory=")
            if not _same(entry.value, nbytes):
                _check_single(entry, "Memory=")
                line_edits.setdefault(entry.first, []).append((0, len(entry.value), _render(nbytes, entry.value)))
                keys.append("Container.Memory")
        if flag in uses:
            targets += 1
            entry, value, span = uses[flag]
            _check_plain(value, flag)
            if not _same(value, nbytes):
                _check_single(entry, "PodmanArgs=")
                if any(q in entry.value for q in "'\"\\$%"):
                    raise EditError("quadlet file: PodmanArgs=%s holds quotes, a backslash or a specifier; "
                                    "set %s there by hand" % (entry.value, flag))
                line_edits.setdefault(entry.first, []).append(span + (_render(nbytes, value),))
                keys.append("Container.PodmanArgs %s" % flag)
        if targets:
            continue
        if limit_key == "memory" and form == "memory_key":
            new_memory_key = "Memory=%s" % _render(nbytes, style)
            keys.append("Container.Memory")
        else:
            new_flags.append("%s=%s" % (flag, _render(nbytes, style)))
            keys.append("Container.PodmanArgs %s" % flag)
    key = "Container.Memory" if form == "memory_key" else "Container.PodmanArgs --memory"
    if not keys:
        return result(text, False, form, key, notes=notes)

    out = list(lines)
    for number, edits in line_edits.items():
        raw = out[number]
        entry = [e for e in container if e.first == number][0]
        offset = raw.index("=") + 1
        offset += len(raw[offset:]) - len(raw[offset:].lstrip())
        value = raw[offset:offset + len(entry.value)]
        if value != entry.value:
            raise EditError("quadlet file: line %d could not be matched to its value; edit it by hand" % (number + 1))
        for start, end, new in sorted(edits, reverse=True):
            value = value[:start] + new + value[end:]
        out[number] = raw[:offset] + value + raw[offset + len(entry.value):]
    added = ([new_memory_key] if new_memory_key else []) + (["PodmanArgs=%s" % " ".join(new_flags)] if new_flags else [])
    if added:
        after = max(e.last for e in container) if container else _section_line(lines, "Container")
        if not out[after].endswith("\n"):
            out[after] += "\n"
        out[after + 1:after + 1] = ["%s\n" % line for line in added]
    new_text = "".join(out)
    _self_check(text, new_text, wanted)
    return result(new_text, True, form, key, keys=keys, notes=notes)


def _check_plain(value, what):
    if "$" in value or "%" in value:
        raise EditError("quadlet file: %s is %r, a variable or specifier systemd expands; change it by hand"
                        % (what, value))


def _check_single(entry, what):
    if entry.continued:
        raise EditError("quadlet file: the %s line to change is continued over lines %d-%d with backslashes; "
                        "join it into one line first" % (what, entry.first + 1, entry.last + 1))


def _section_line(lines, name):
    for number, raw in enumerate(lines):
        if raw.strip() == "[%s]" % name:
            return number
    raise EditError("quadlet file has no [%s] section" % name)


def _self_check(old_text, new_text, wanted):
    got = effective(new_text)
    for key, nbytes in wanted.items():
        if nbytes is not None and (got[key] is None or not _same(got[key], nbytes)):
            raise EditError("quadlet file: after the edit %s reads %r, not the requested size; nothing was changed"
                            % (key, got[key]))
    if _others(old_text) != _others(new_text):
        raise EditError("quadlet file: the edit would change more than the memory settings; nothing was changed")
