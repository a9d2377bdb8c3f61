# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit and container names: the one list of systemd unit types, the one container-id recogniser, and
the unit or container behind a cgroup path from an OOM report.

``unit_from_cgroup(path)`` walks the path from its leaf up and returns:

- a container id (64 hex digits) for docker, podman, containerd, CRI-O and kubepods cgroups
  (``/docker/<id>``, ``/system.slice/docker-<id>.scope``, ``/machine.slice/libpod-<id>.scope/container``,
  ``/kubepods/burstable/pod<uid>/<id>``, ``.../cri-containerd-<id>.scope``), unless a systemd unit lies
  below it (a container running systemd: ``/libpod_parent/libpod-<id>/system.slice/hog.service`` ->
  ``hog.service``);
- else the deepest ``*.service``/``*.scope``/``*.slice``/... component, as systemd names the unit;
- else None (``/``, ``/oomtest``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

# every unit type: its suffix and the section its resource-control settings go in (None: no cgroup of its own)
UNIT_TYPES = (
    (".service", "Service"), (".socket", "Socket"), (".slice", "Slice"), (".scope", "Scope"),
    (".mount", "Mount"), (".swap", "Swap"), (".target", None), (".timer", None), (".path", None),
    (".device", None), (".automount", None),
)
UNIT_SUFFIXES = tuple(suffix for suffix, _section in UNIT_TYPES)
RESOURCE_SECTIONS = dict((suffix, section) for suffix, section in UNIT_TYPES if section)

# container cgroup directory names: <prefix>-<id>[.scope] or the bare id; libpod-conmon is podman's monitor
CONTAINER_RUNTIMES = {"libpod": "podman", "docker": "docker", "cri-containerd": "containerd",
                      "containerd": "containerd", "crio": "cri-o", "libpod-conmon": None}
_CONTAINER_RE = re.compile(r"^(?:(?P<prefix>%s)-)?(?P<id>[0-9a-f]{64})(?:\.scope)?$" % "|".join(
    re.escape(p) for p in sorted(CONTAINER_RUNTIMES, key=len, reverse=True)))
_UNIT_RE = re.compile(r"^[^/]+(?:%s)$" % "|".join(re.escape(s) for s in RESOURCE_SECTIONS))


def unit_name(name):
    """``foo`` -> ``foo.service``; a name with a unit suffix stays as it is."""
    name = str(name).strip()
    if name.endswith(UNIT_SUFFIXES):
        return name
    return name + ".service"


UNIT_NAME_MAX = 255  # systemd's UNIT_NAME_MAX (256) less the terminating NUL
_UNIT_CHARS_RE = re.compile(r"^[A-Za-z0-9:_.\\-]+$")        # systemd's VALID_CHARS
_INSTANCE_CHARS_RE = re.compile(r"^[A-Za-z0-9:_.\\@-]*$")  # an instance may also hold '@'


def unit_name_error(name):
    """Why ``name`` is not a valid systemd unit name (man systemd.unit; systemd's unit_name_is_valid), or None.

    ``prefix[@[instance]].type``: prefix and instance of ``A-Z a-z 0-9 : _ . \\ -`` (the instance also ``@``),
    the prefix not empty, the type one of UNIT_SUFFIXES, at most UNIT_NAME_MAX characters. Such a name holds
    no ``/``, blank or control character: a path built from it stays in its directory. The one check for
    every role that writes a file named after a unit.
    """
    if not isinstance(name, str) or not name:
        return "unit name %r is empty" % (name,)
    if len(name) > UNIT_NAME_MAX:
        return "unit name %r is longer than 255 characters (%d)" % (name[:40] + "...", len(name))
    stem, dot, suffix = name.rpartition(".")
    if not dot or "." + suffix not in UNIT_SUFFIXES:
        return "unit name %r has no valid type suffix (%s)" % (name, ", ".join(UNIT_SUFFIXES))
    prefix, at, instance = stem.partition("@")
    if not prefix:
        return "unit name %r has an empty prefix before %r" % (name, "@" if at else "." + suffix)
    bad = sorted(set(c for c in prefix if not _UNIT_CHARS_RE.match(c)) |
                 set(c for c in instance if not _INSTANCE_CHARS_RE.match(c)))
    if bad:
        return "unit name %r holds a character systemd does not allow in unit names: %s" % (
            name, " ".join(repr(c) for c in bad))
    return None


def resource_section(unit):
    """The section a unit's resource-control settings go in (``Service``, ``Slice``, ...), or None for
    unit types without a cgroup of their own."""
    for suffix, section in RESOURCE_SECTIONS.items():
        if unit.endswith(suffix):
            return section
    return None


def container_match(name):
    """``(prefix, id)`` when a cgroup directory name is a container's (prefix None for a bare id), else None."""
    m = _CONTAINER_RE.match(name or "")
    return (m.group("prefix"), m.group("id")) if m else None


def unit_from_cgroup(path):
    """Unit name or container id for a cgroup path, or None."""
    if not path or not isinstance(path, str):
        return None
    parts = [p for p in path.strip().split('/') if p]
    for part in reversed(parts):
        c = container_match(part)
        if c:
            return c[1]
        if _UNIT_RE.match(part):
            return part
    return None


def slice_depth(unit):
    """How deep a unit sits in the slice tree by name: '-.slice' 0, 'user.slice' 1, 'user-1000.slice' 2."""
    if unit == '-.slice':
        return 0
    name = unit.rsplit('.', 1)[0]
    return name.count('-') + 1
