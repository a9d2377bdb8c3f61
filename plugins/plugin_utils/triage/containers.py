# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Triage rule container_without_limit: docker / podman / containerd / kubepods cgroups with no memory
limit, so one container can take the whole host."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.headroom.memory.plugins.plugin_utils.triage.common import finding


def container_without_limit(facts, thresholds, ctx):
    containers = (facts.get("cgroup") or {}).get("unlimited_containers") or []
    if not containers:
        return []
    by_runtime = {}
    for c in containers:
        by_runtime.setdefault(c.get("runtime") or "?", []).append(c.get("cgroup") or "?")
    evidence = ["%d %s container(s) without a memory limit: %s" % (
        len(paths), runtime, ", ".join(sorted(paths)[:5]) + (" ..." if len(paths) > 5 else ""))
        for runtime, paths in sorted(by_runtime.items())]
    text = ("Give every container a memory limit: docker/podman run --memory, compose mem_limit, "
            "Kubernetes resources.limits.memory. For a container run as a systemd unit, "
            "headroom.memory.service_limits can put MemoryMax on that unit.")
    return [finding("container_without_limit", "warning",
                    "%d container(s) without a memory limit" % len(containers), evidence, text)]
