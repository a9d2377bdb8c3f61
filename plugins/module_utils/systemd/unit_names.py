# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Name the systemd unit or the container behind a cgroup path from an OOM report.

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

_UNIT_RE = re.compile(r'^[^/]+\.(?:service|scope|slice|socket|mount|swap|target)$')
_CONTAINER_RE = re.compile(
    r'^(?:(?:docker|libpod|libpod-conmon|crio|cri-containerd|containerd)-)?(?P<id>[0-9a-f]{64})(?:\.scope)?$')


def unit_from_cgroup(path):
    """Unit name or container id for a cgroup path, or None."""
    if not path or not isinstance(path, str):
        return None
    parts = [p for p in path.strip().split('/') if p]
    for part in reversed(parts):
        c = _CONTAINER_RE.match(part)
        if c:
            return c.group('id')
        if _UNIT_RE.match(part):
            return part
    return None


def slice_depth(unit):
    """How deep a unit sits in the slice tree by name: '-.slice' 0, 'user.slice' 1, 'user-1000.slice' 2."""
    if unit == '-.slice':
        return 0
    name = unit.rsplit('.', 1)[0]
    return name.count('-') + 1
