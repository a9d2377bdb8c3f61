# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Set a Compose service's memory limit in the form its file already uses, splicing the text.

Two forms exist in the Compose specification, and both docker-compose 1.27-1.29 (bookworm has 1.29.2) and
Compose v2 read them without swarm:

- the service keys ``mem_limit``, ``memswap_limit`` and ``mem_reservation`` (file format 2, kept by the spec);
- ``deploy.resources.limits.memory`` and ``deploy.resources.reservations.memory`` (file format 3; docker-compose
  before 1.27 needed ``--compatibility``; from 1.27 its project.py copies them over ``mem_limit`` and
  ``mem_reservation`` whenever ``limits``/``reservations`` exist). Swap has no deploy key: the service's
  ``memswap_limit`` is used with either form.

The service's own form wins (its local or merged keys); a service with neither follows the other services of
the file, and ``mem_limit`` when they say nothing, which every Compose honours without swarm. Sizes are byte
values as Docker reads them (``512m``, ``1g``, ``536870912``; binary units); a replaced value keeps its quotes,
its unit's case and, for a plain byte count, its form.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

import yaml

from ansible_collections.headroom.memory.plugins.module_utils.sizes import SizeError, parse_size
from ansible_collections.headroom.memory.plugins.plugin_utils.containers import yamlsplice
from ansible_collections.headroom.memory.plugins.plugin_utils.containers.limits import (
    EditError, check_limits, engine_size, result, run_editor)

SERVICE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}\Z")
V2 = {"memory": ("mem_limit",), "memory_swap": ("memswap_limit",), "memory_reservation": ("mem_reservation",)}
V3 = {"memory": ("deploy", "resources", "limits", "memory"), "memory_swap": ("memswap_limit",),
      "memory_reservation": ("deploy", "resources", "reservations", "memory")}
FORMS = {"mem_limit": V2, "deploy": V3}


def _effective(service_dict, path):
    node = service_dict
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def _form_of(service_dict):
    """The form a loaded (merged) service uses, or None.

    A ``deploy.resources.limits`` or ``reservations`` mapping makes it the deploy form even without a memory key:
    docker-compose 1.27-1.29 copy ``limits.memory`` over ``mem_limit`` (and ``reservations.memory`` over
    ``mem_reservation``) whenever the mapping exists, so a ``mem_limit`` beside it would be dropped."""
    if not isinstance(service_dict, dict):
        return None
    resources = _effective(service_dict, ("deploy", "resources"))
    if isinstance(resources, dict) and any(isinstance(resources.get(k), dict) for k in ("limits", "reservations")):
        return "deploy"
    if any(_effective(service_dict, V2[k]) is not None for k in ("memory", "memory_reservation")):
        return "mem_limit"
    return None


def choose_form(services, service):
    """The service's own form, else the form most other services use (mem_limit on a tie or none)."""
    own = _form_of(services.get(service))
    if own:
        return own, "the service's own"
    seen = [_form_of(v) for k, v in services.items() if k != service]
    deploy, mem = seen.count("deploy"), seen.count("mem_limit")
    if deploy > mem:
        return "deploy", "the other services'"
    if mem:
        return "mem_limit", "the other services'"
    return "mem_limit", "the default"


def _style_of(values):
    """(quote, lower) from the sizes already written in the file: the first one found decides."""
    for value in values:
        if isinstance(value, str) and value.strip():
            unit = value.strip()[-1:]
            if unit.isalpha():
                return unit.islower()
    return None


def render(nbytes, old_value=None, default_lower=True):
    """A size the way the file writes its sizes: an int stays bytes, a unit keeps its case."""
    if isinstance(old_value, int) and not isinstance(old_value, bool) and nbytes != -1:
        return str(nbytes)
    lower = default_lower
    if isinstance(old_value, str) and old_value.strip()[-1:].isalpha():
        lower = old_value.strip()[-1:].islower()
    return engine_size(nbytes, lower=lower)


def _same(old_value, nbytes):
    if old_value is None:
        return False
    if nbytes == -1:
        return str(old_value).strip() == "-1"
    try:
        return parse_size(old_value) == nbytes
    except SizeError:
        return False


def compose_edit(text, service, limits):
    """The result dict of :func:`limits.result` for setting ``limits`` on ``service`` of a Compose file."""
    return run_editor("compose file", _compose_edit, text, service, limits)


def _compose_edit(text, service, limits):
    wanted = check_limits(limits)
    if not isinstance(service, str) or not SERVICE_RE.match(service):
        raise EditError("compose file: service name %r is not a Compose service name" % (service,))
    what = "compose file, service %s" % service
    docs = yamlsplice.compose_documents(text, "compose file")
    if len(docs) != 1 or docs[0] is None:
        raise EditError("compose file holds %d YAML documents; a Compose file is exactly one" % len(docs))
    root = docs[0]
    loaded = yamlsplice.load_documents(text, "compose file")[0]
    if not isinstance(root, yaml.MappingNode) or not isinstance(loaded, dict):
        raise EditError("compose file is not a mapping of top-level keys")
    svc_pairs = yamlsplice.local_pairs(root, "services")
    if not svc_pairs or not isinstance(loaded.get("services"), dict):
        raise EditError("compose file has no services: mapping (the version 1 format, or not a Compose file); "
                        "it cannot be edited")
    if len(svc_pairs) > 1:
        raise EditError("compose file has services: twice")
    services_node = svc_pairs[0][1]
    pairs = yamlsplice.local_pairs(services_node, service) if isinstance(services_node, yaml.MappingNode) else []
    if not pairs:
        names = ", ".join(sorted(str(k) for k in loaded["services"]))
        raise EditError("compose file has no service %s (it has: %s)" % (service, names or "none"))
    if len(pairs) > 1:
        raise EditError("%s is written twice" % what)
    key_node, node = pairs[0]
    if yamlsplice.is_alias_use(key_node, node):
        raise EditError("%s is an alias (*name) of another service's settings; a limit added to it would apply to "
                        "that service too; write the service out before limiting it" % what)
    if not isinstance(node, yaml.MappingNode) or not isinstance(loaded["services"].get(service), dict):
        raise EditError("%s has no settings mapping" % what)
    splicer = yamlsplice.Splicer(text, root, what)
    if splicer.shared(node):
        raise EditError("%s: its settings carry an anchor that other services reuse (<<: or *); a limit set here "
                        "would apply to them too" % what)

    form, why = choose_form(loaded["services"], service)
    paths = FORMS[form]
    svc_loaded = loaded["services"][service]
    existing_sizes = []
    for svc in loaded["services"].values():
        for p in list(V2.values()) + list(V3.values()):
            existing_sizes.append(_effective(svc, p))
    file_lower = _style_of(existing_sizes)
    notes, keys, changes = [], [], []
    for limit_key in ("memory", "memory_swap", "memory_reservation"):
        nbytes = wanted[limit_key]
        if nbytes is None:
            continue
        path = paths[limit_key]
        targets = [path]
        other = (V2 if form == "deploy" else V3)[limit_key]
        if other != path and _effective(svc_loaded, other) is not None:
            targets.append(other)  # both forms written: keep them equal
        for target in targets:
            old = _effective(svc_loaded, target)
            if isinstance(old, str) and "$" in old:
                raise EditError("%s: %s is %r, set through an environment variable; change the variable, or the file "
                                "by hand" % (what, ".".join(target), old))
            if _same(old, nbytes):
                continue
            default_lower = file_lower if file_lower is not None else target[0] != "deploy"
            rendered = render(nbytes, old, default_lower)
            keys.append("services.%s.%s" % (service, ".".join(target)))
            changes.append((target, rendered))
    if not changes:
        return result(text, False, form, "services.%s.%s" % (service, ".".join(paths["memory"])))
    splicer.set_tree(node, yamlsplice.build_tree(changes), "services.%s" % service, notes, key_node)
    new_text = splicer.apply()

    def expect(wanted_docs):
        svc = wanted_docs[0]["services"][service]
        for target, rendered in changes:
            node_ = svc
            for key in target[:-1]:
                if not isinstance(node_.get(key), dict):
                    node_[key] = {}
                node_ = node_[key]
            node_[target[-1]] = yamlsplice.scalar_value(rendered)

    yamlsplice.self_check(what, text, new_text, expect)
    if why != "the service's own":
        notes.append("services.%s had no memory limit; written in the %s form (%s)" % (service, form, why))
    return result(new_text, True, form, "services.%s.%s" % (service, ".".join(paths["memory"])), keys=keys,
                  notes=notes)
