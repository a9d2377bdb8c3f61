# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which file defines a container, so that its memory limit outlives a re-creation: the plan of one container.

``file_plan(container, limits)`` reads one entry of ``ansible_facts['headroom']['containers']['list']`` and
returns ``{kind, path, service, warning}``:

- ``compose``: the Compose file of the service (label ``com.docker.compose.project.config_files``), when the
  project has exactly one; with several (override files) no file is chosen, since the limit belongs in whichever
  file the user keeps it in, and the warning says so;
- ``quadlet``: the ``.container`` unit podman's systemd integration named;
- ``none``: a bare ``run``, a ``podman generate systemd`` unit, a Kubernetes pod or an unknown origin; the
  warning tells the user what to add where the container is started.

Paths and names come from container labels, so anyone who can start a container chose them: a path must be
absolute and normalised, a name printable and short, or the plan writes nothing and says why. The role still
checks that the path is a regular file before it reads it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import posixpath
import re

from ansible_collections.headroom.memory.plugins.module_utils.containers.parse import name_error
from ansible_collections.headroom.memory.plugins.plugin_utils.containers.compose import SERVICE_RE
from ansible_collections.headroom.memory.plugins.plugin_utils.containers.limits import (
    EditError, check_limits, engine_size)

ID_RE = re.compile(r"^[0-9a-f]{12,64}\Z")
UNIT_RE = re.compile(r"^[A-Za-z0-9:_.@\\-]{1,250}\.service\Z")
PATH_MAX = 4096
ENGINES = ("docker", "podman")


def safe_path(path):
    """The path when it is absolute, normalised and printable, else None."""
    if not isinstance(path, str) or not path.startswith("/") or len(path) > PATH_MAX:
        return None
    if any(ord(c) < 32 or ord(c) == 127 for c in path) or posixpath.normpath(path) != path or path.startswith("//"):
        return None
    return path


def _label(container):
    name = container.get("name")
    if name_error(name) is None:
        return name
    cid = container.get("id")
    if isinstance(cid, str) and ID_RE.match(cid):
        return cid[:12]
    return "(unnamed container)"


def flags(wanted):
    """The engine flags for the limits: ``--memory=512m --memory-swap=1g``."""
    out = ["--memory=%s" % engine_size(wanted["memory"])]
    if wanted["memory_swap"] is not None:
        out.append("--memory-swap=%s" % engine_size(wanted["memory_swap"]))
    if wanted["memory_reservation"] is not None:
        out.append("--memory-reservation=%s" % engine_size(wanted["memory_reservation"]))
    return " ".join(out)


def file_plan(container, limits):
    """{kind: compose|quadlet|none, path, service, warning} for one container of the facts' list."""
    if not isinstance(container, dict):
        raise EditError("container must be an entry of the containers facts' list, got %s" % type(container).__name__)
    wanted = check_limits(limits)
    label = _label(container)
    runtime = container.get("runtime")
    engine = runtime if runtime in ENGINES else "docker"
    source = container.get("source") if isinstance(container.get("source"), dict) else {}
    kind = source.get("kind")
    plan = {"kind": "none", "path": None, "service": None, "warning": None}
    add = flags(wanted)
    recreate = ("container %s: the limit set live is lost when the container is re-created; " % label)
    if kind == "kubernetes" or runtime == "kubepods":
        plan["warning"] = ("container %s belongs to a Kubernetes pod: the kubelet owns its cgroup and re-creates it; "
                           "set resources.limits.memory in its manifest (containers_manifests) instead" % label)
        return plan
    if runtime not in ENGINES:
        plan["warning"] = ("container %s is run by %s, not docker or podman: nothing is changed; set its limit "
                           "where %s defines it" % (label, runtime if name_error(runtime) is None
                                                    else "another runtime", "that runtime"))
        return plan
    if kind == "compose":
        service = source.get("compose_service")
        files = source.get("compose_files") or []
        if not isinstance(service, str) or not SERVICE_RE.match(service):
            plan["warning"] = recreate + ("its Compose service name is missing or not a valid name, so no file is "
                                          "edited; add mem_limit to its service by hand")
            return plan
        plan["service"] = service
        paths = [safe_path(p) for p in files] if isinstance(files, list) else [None]
        if not paths or None in paths:
            plan["warning"] = recreate + ("its Compose file is not named by an absolute, normalised path, so no file "
                                          "is edited; add mem_limit: %s to service %s by hand"
                                          % (engine_size(wanted["memory"]), service))
            return plan
        if len(paths) > 1:
            plan["warning"] = recreate + ("service %s is defined by %d Compose files (%s); no file is chosen for you: "
                                          "add mem_limit: %s to the service in the one that should carry it"
                                          % (service, len(paths), ", ".join(paths), engine_size(wanted["memory"])))
            return plan
        plan.update(kind="compose", path=paths[0])
        return plan
    if kind == "quadlet" or (kind == "systemd" and source.get("quadlet_file")):
        path = safe_path(source.get("quadlet_file"))
        if path and path.endswith(".container"):
            plan.update(kind="quadlet", path=path)
            return plan
        plan["warning"] = recreate + ("its quadlet file is missing or not an absolute path to a .container file; "
                                      "add PodmanArgs=%s to its [Container] section by hand" % add)
        return plan
    if kind == "systemd":
        unit = source.get("systemd_unit")
        unit = unit if isinstance(unit, str) and UNIT_RE.match(unit) else "its systemd unit"
        plan["warning"] = recreate + ("it is run by %s (podman generate systemd): add %s to the podman run line of "
                                      "the unit's ExecStart=" % (unit, add))
        return plan
    plan["warning"] = recreate + ("it was started by a bare `%s run` (or its origin is unknown): add %s to the "
                                  "command that starts it" % (engine, add))
    return plan
