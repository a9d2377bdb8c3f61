# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Set a container's ``resources.limits.memory`` in a Kubernetes manifest file, splicing the text.

The file may hold several documents. The workload is found by ``metadata.name`` (optionally ``Kind/name``) among
Pods (``spec.containers``), Deployments, StatefulSets, DaemonSets, ReplicaSets and Jobs
(``spec.template.spec.containers``) and CronJobs (``spec.jobTemplate.spec.template.spec.containers``). A
``resources.requests.memory`` above the new limit is lowered to it (the API server rejects a request above its
limit); ``memory_reservation`` sets the request explicitly. Kubernetes has no per-container swap limit, so
``memory_swap`` is refused. Quantities are written in binary notation (``512Mi``, ``2Gi``) and read in all of
Kubernetes' forms (``512Mi``, ``500M``, ``1e9``, ``0.5Gi``, plain bytes).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
from fractions import Fraction

import yaml

from ansible_collections.headroom.memory.plugins.plugin_utils.containers import yamlsplice
from ansible_collections.headroom.memory.plugins.plugin_utils.containers.limits import (
    EditError, check_limits, result, run_editor)

TEMPLATE_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job")
KINDS = ("Pod",) + TEMPLATE_KINDS + ("CronJob",)
# DNS-1123 subdomain (metadata.name) and label (container name)
NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\Z")
CONTAINER_RE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\Z")
_QUANTITY_RE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)(?:[eE]([+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?\s*\Z")
_SUFFIX = {None: 1, "n": Fraction(1, 10 ** 9), "u": Fraction(1, 10 ** 6), "m": Fraction(1, 1000),
           "k": 10 ** 3, "M": 10 ** 6, "G": 10 ** 9, "T": 10 ** 12, "P": 10 ** 15, "E": 10 ** 18}
for _i, _s in enumerate(("Ki", "Mi", "Gi", "Ti", "Pi", "Ei"), start=1):
    _SUFFIX[_s] = 1024 ** _i


def parse_quantity(value):
    """A Kubernetes quantity in bytes (rounded up, as the API server does for memory); None if unreadable."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float):
        value = repr(value)
    if not isinstance(value, str):
        return None
    m = _QUANTITY_RE.match(value)
    if not m:
        return None
    number = Fraction(m.group(1))
    if m.group(2) is not None:
        exponent = int(m.group(2))
        if abs(exponent) > 30:
            return None
        number *= Fraction(10) ** exponent
    else:
        number *= _SUFFIX[m.group(3)]
    whole = int(number)
    return whole + (1 if number > whole else 0)


def format_quantity(nbytes):
    """Bytes in binary quantity notation: ``2Gi``, ``512Mi``, ``1536Ki`` or plain bytes."""
    for suffix, factor in (("Ti", 1024 ** 4), ("Gi", 1024 ** 3), ("Mi", 1024 ** 2), ("Ki", 1024)):
        if nbytes >= factor and nbytes % factor == 0:
            return "%d%s" % (nbytes // factor, suffix)
    return str(nbytes)


def _get(mapping_node, key):
    if not isinstance(mapping_node, yaml.MappingNode):
        return None
    pairs = yamlsplice.local_pairs(mapping_node, key)
    return pairs[-1][1] if pairs else None


def _container_path(kind):
    if kind == "Pod":
        return ("spec",)
    if kind == "CronJob":
        return ("spec", "jobTemplate", "spec", "template", "spec")
    return ("spec", "template", "spec")


def _parse_workload(workload):
    if not isinstance(workload, str):
        raise EditError("manifest: workload %r must be a name or Kind/name" % (workload,))
    kind, _sep, name = workload.rpartition("/")
    if kind and kind not in KINDS:
        raise EditError("manifest: workload kind %r is not one of %s" % (kind, ", ".join(KINDS)))
    if not NAME_RE.match(name):
        raise EditError("manifest: workload name %r is not a Kubernetes object name" % (name,))
    return kind or None, name


def kube_edit(text, workload, container, limits):
    """The result dict of :func:`limits.result` for one container of one workload of a manifest file."""
    return run_editor("manifest", _kube_edit, text, workload, container, limits)


def _find(docs, loaded, kind, name):
    found = []
    for index, (node, data) in enumerate(zip(docs, loaded)):
        if not isinstance(data, dict) or data.get("kind") not in KINDS:
            continue
        meta = data.get("metadata")
        if not isinstance(meta, dict) or meta.get("name") != name or (kind and data["kind"] != kind):
            continue
        found.append((index, node, data))
    if not found:
        raise EditError("manifest has no %s named %s (kinds read: %s)" % (kind or "workload", name, ", ".join(KINDS)))
    if len(found) > 1:
        where = ", ".join("document %d (%s in namespace %s)" % (i + 1, d["kind"], d["metadata"].get("namespace") or "default")
                          for i, _n, d in found)
        raise EditError("manifest has %d workloads named %s: %s; name it as Kind/name or split the file"
                        % (len(found), name, where))
    return found[0]


def _kube_edit(text, workload, container, limits):
    wanted = check_limits(limits)
    if wanted["memory_swap"] is not None:
        raise EditError("limits: memory_swap %r: Kubernetes has no per-container swap limit; leave it out"
                        % (limits.get("memory_swap"),))
    kind, name = _parse_workload(workload)
    if not isinstance(container, str) or not CONTAINER_RE.match(container):
        raise EditError("manifest: container name %r is not a Kubernetes container name" % (container,))
    docs = yamlsplice.compose_documents(text, "manifest")
    loaded = yamlsplice.load_documents(text, "manifest")
    index, root, data = _find(docs, loaded, kind, name)
    label = "%s/%s" % (data["kind"], name)
    what = "manifest, %s container %s" % (label, container)
    spec_node, spec_data, path = root, data, []
    for key in _container_path(data["kind"]):
        path.append(key)
        spec_node, spec_data = _get(spec_node, key), (spec_data or {}).get(key) if isinstance(spec_data, dict) else None
        if spec_node is None or not isinstance(spec_data, dict):
            raise EditError("manifest: %s has no %s mapping" % (label, ".".join(path)))
    containers_node = _get(spec_node, "containers")
    if not isinstance(containers_node, yaml.SequenceNode) or not isinstance(spec_data.get("containers"), list):
        raise EditError("manifest: %s has no %s.containers list" % (label, ".".join(path)))
    matches = [(i, n) for i, n in enumerate(containers_node.value)
               if isinstance(n, yaml.MappingNode) and isinstance(_get(n, "name"), yaml.ScalarNode)
               and _get(n, "name").value == container]
    if len(matches) != 1:
        names = ", ".join(str(c.get("name")) for c in spec_data["containers"] if isinstance(c, dict))
        raise EditError("manifest: %s has %s container named %s (it has: %s)"
                        % (label, "no" if not matches else "more than one", container, names or "none"))
    position, cnode = matches[0]
    if cnode.start_mark.index < containers_node.start_mark.index:
        raise EditError("%s is an alias (*name) of a container written elsewhere; edit it by hand" % what)
    cdata = spec_data["containers"][position]
    resources = cdata.get("resources") if isinstance(cdata.get("resources"), dict) else {}
    old_limit = (resources.get("limits") or {}).get("memory") if isinstance(resources.get("limits"), dict) else None
    old_request = (resources.get("requests") or {}).get("memory") \
        if isinstance(resources.get("requests"), dict) else None
    if old_limit is not None and parse_quantity(old_limit) is None:
        raise EditError("%s: resources.limits.memory %r is not a Kubernetes quantity" % (what, old_limit))
    if old_request is not None and parse_quantity(old_request) is None:
        raise EditError("%s: resources.requests.memory %r is not a Kubernetes quantity" % (what, old_request))

    splicer = yamlsplice.Splicer(text, docs[index], what)
    notes, keys, changes = [], [], []
    request = wanted["memory_reservation"]
    if request is None and old_request is not None and parse_quantity(old_request) > wanted["memory"]:
        request = wanted["memory"]
        notes.append("%s: resources.requests.memory %s was above the new limit; lowered to it"
                     % (what, old_request))
    for sub, nbytes, old in (("limits", wanted["memory"], old_limit), ("requests", request, old_request)):
        if nbytes is None or (old is not None and parse_quantity(old) == nbytes):
            continue
        rendered = format_quantity(nbytes)
        keys.append("%s.containers[%s].resources.%s.memory" % (label, container, sub))
        changes.append((sub, rendered))
    key = "%s.containers[%s].resources.limits.memory" % (label, container)
    if not changes:
        return result(text, False, "resources", key, notes=notes)
    tree = yamlsplice.build_tree((("resources", sub, "memory"), rendered) for sub, rendered in changes)
    splicer.set_tree(cnode, tree, "%s.containers[%s]" % (label, container), notes)
    new_text = splicer.apply()

    def expect(wanted_docs):
        node = wanted_docs[index]
        for k in path:
            node = node[k]
        target = node["containers"][position]
        for sub, rendered in changes:
            if not isinstance(target.get("resources"), dict):
                target["resources"] = {}
            if not isinstance(target["resources"].get(sub), dict):
                target["resources"][sub] = {}
            target["resources"][sub]["memory"] = yamlsplice.scalar_value(rendered)

    yamlsplice.self_check(what, text, new_text, expect)
    return result(new_text, True, "resources", key, keys=keys, notes=notes)
