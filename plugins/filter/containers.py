# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the containers role: thin over plugin_utils/containers (compose, kube, quadlet, plan)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible_collections.headroom.memory.plugins.plugin_utils.containers.compose import compose_edit
from ansible_collections.headroom.memory.plugins.plugin_utils.containers.kube import kube_edit
from ansible_collections.headroom.memory.plugins.plugin_utils.containers.limits import EditError
from ansible_collections.headroom.memory.plugins.plugin_utils.containers.plan import file_plan
from ansible_collections.headroom.memory.plugins.plugin_utils.containers.quadlet import quadlet_edit


def containers_compose_edit(text, service, limits):
    """{text, changed, form, key, keys, notes, error} for a Compose file's service."""
    return compose_edit(text, service, limits)


def containers_kube_edit(text, workload, container, limits):
    """{text, changed, form, key, keys, notes, error} for one container of a Kubernetes manifest file."""
    return kube_edit(text, workload, container, limits)


def containers_quadlet_edit(text, limits, podman_version=None):
    """{text, changed, form, key, keys, notes, error} for a quadlet .container file."""
    return quadlet_edit(text, limits, podman_version)


def containers_file_plan(container, limits):
    """{kind, path, service, warning}: the file that keeps a container's limit, or what to tell the user."""
    try:
        return file_plan(container, limits)
    except EditError as e:
        raise AnsibleFilterError("containers_file_plan: %s" % e)


class FilterModule(object):
    def filters(self):
        return {
            "containers_compose_edit": containers_compose_edit,
            "containers_kube_edit": containers_kube_edit,
            "containers_quadlet_edit": containers_quadlet_edit,
            "containers_file_plan": containers_file_plan,
        }
