# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the containers role: thin over plugin_utils/containers (compose, kube, quadlet, plan)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible_collections.headroom.memory.plugins.plugin_utils.lazy_import import LazyModule

# imported on first use: ansible loads this file in every worker that looks up any headroom.memory filter
compose = LazyModule("ansible_collections.headroom.memory.plugins.plugin_utils.containers.compose")
kube = LazyModule("ansible_collections.headroom.memory.plugins.plugin_utils.containers.kube")
edit_limits = LazyModule("ansible_collections.headroom.memory.plugins.plugin_utils.containers.limits")
plan = LazyModule("ansible_collections.headroom.memory.plugins.plugin_utils.containers.plan")
quadlet = LazyModule("ansible_collections.headroom.memory.plugins.plugin_utils.containers.quadlet")


def containers_compose_edit(text, service, limits):
    """{text, changed, form, key, keys, notes, error} for a Compose file's service."""
    return compose.compose_edit(text, service, limits)


def containers_kube_edit(text, workload, container, limits):
    """{text, changed, form, key, keys, notes, error} for one container of a Kubernetes manifest file."""
    return kube.kube_edit(text, workload, container, limits)


def containers_quadlet_edit(text, limits, podman_version=None):
    """{text, changed, form, key, keys, notes, error} for a quadlet .container file."""
    return quadlet.quadlet_edit(text, limits, podman_version)


def containers_file_plan(container, limits):
    """{kind, path, service, warning}: the file that keeps a container's limit, or what to tell the user."""
    try:
        return plan.file_plan(container, limits)
    except edit_limits.EditError as e:
        raise AnsibleFilterError("containers_file_plan: %s" % e)


class FilterModule(object):
    def filters(self):
        return {
            "containers_compose_edit": containers_compose_edit,
            "containers_kube_edit": containers_kube_edit,
            "containers_quadlet_edit": containers_quadlet_edit,
            "containers_file_plan": containers_file_plan,
        }
