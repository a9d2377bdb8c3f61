# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One container of ``docker inspect`` / ``podman inspect`` output as memory_facts lists it, and where it was
defined (its source), from its labels.

Names, labels and images are chosen by whoever starts a container, so every string is checked before it
becomes a fact: printable, of bounded length, of the form its kind allows (a Compose project name, a
Kubernetes name, a systemd unit name, an absolute normalised path without ``..``), or None. Environment
variables, command lines and mounts are never read: they hold secrets.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import posixpath
import re

from ansible_collections.headroom.memory.plugins.module_utils.sizes import to_mb
from ansible_collections.headroom.memory.plugins.module_utils.systemd.unit_names import unit_name_error

TEXT_MAX = 256
PATH_MAX = 4096
COMPOSE_FILES_MAX = 16
ID_RE = re.compile(r"^[0-9a-f]{64}$")
# docker's and podman's own rule for container names ([a-zA-Z0-9][a-zA-Z0-9_.-]+), bounded: the one rule of a
# container name in this collection (facts, triage, remedy-vars, the containers role)
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}\Z")
NAME_RULE = "[A-Za-z0-9][A-Za-z0-9_.-]*, at most 128 characters"


def name_error(name):
    """Why ``name`` is not a docker/podman container name, or None."""
    if isinstance(name, str) and NAME_RE.match(name):
        return None
    return "container name %r is not a docker/podman name (%s)" % (name, NAME_RULE)


# a reference (registry/path:tag@digest) or an image id, as the engine reports it
IMAGE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/:@+-]{0,511}$")
STATE_RE = re.compile(r"^[a-z]{1,20}$")
# Compose project names (lower case, digits, '-', '_') and service names
PROJECT_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,254}$")
SERVICE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$")
# Kubernetes names: DNS-1123 subdomains (253 characters at most)
KUBE_RE = re.compile(r"^[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?$")

COMPOSE_PROJECT_LABELS = ("com.docker.compose.project", "io.podman.compose.project")
COMPOSE_SERVICE_LABELS = ("com.docker.compose.service", "io.podman.compose.service")
COMPOSE_DIR_LABEL = "com.docker.compose.project.working_dir"
COMPOSE_FILES_LABEL = "com.docker.compose.project.config_files"
SYSTEMD_UNIT_LABEL = "PODMAN_SYSTEMD_UNIT"
KUBE_LABELS = (("kube_namespace", "io.kubernetes.pod.namespace"), ("kube_pod", "io.kubernetes.pod.name"),
               ("kube_container", "io.kubernetes.container.name"))
# where quadlet reads a rootful system's units, in its order (the first file of a name wins)
QUADLET_DIRS = ("/run/containers/systemd", "/etc/containers/systemd", "/usr/share/containers/systemd")
QUADLET_SUFFIXES = (".container", ".kube")
QUADLET_DEPTH = 3
QUADLET_MAX_FILES = 2000


def text(value, max_len=TEXT_MAX, pattern=None):
    """``value`` when it is a printable string of 1 to ``max_len`` characters (matching ``pattern`` if given),
    else None."""
    if not isinstance(value, str) or not value or len(value) > max_len or not value.isprintable():
        return None
    if pattern is not None and not pattern.match(value):
        return None
    return value


def path(value):
    """``value`` when it is an absolute, normalised path (no ``..``, ``.``, ``//`` or trailing ``/``) of
    printable characters, else None."""
    value = text(value, PATH_MAX)
    if value is None or not value.startswith("/") or posixpath.normpath(value) != value or value.startswith("//"):
        return None
    if ".." in value.split("/"):
        return None
    return value


def unit(value):
    """A valid systemd unit name, else None."""
    return value if isinstance(value, str) and unit_name_error(value) is None else None


def count(value):
    """A non-negative integer (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def engine_mb(value, minus_one=False):
    """An engine's memory setting in bytes as MiB: 0 or absent is None (not set); -1 stays -1 where it means
    unlimited (``MemorySwap``)."""
    if minus_one and value == -1 and not isinstance(value, bool):
        return -1
    value = count(value)
    return to_mb(value) if value else None


def _label(labels, *keys):
    for key in keys:
        value = labels.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def compose_files(value):
    """The comma-separated ``config_files`` label as a list of valid paths (the invalid ones left out)."""
    if not isinstance(value, str) or len(value) > PATH_MAX * COMPOSE_FILES_MAX:
        return []
    files = [path(p.strip()) for p in value.split(",")[:COMPOSE_FILES_MAX]]
    return [p for p in files if p]


def empty_source(kind="unknown"):
    return {"kind": kind, "compose_project": None, "compose_service": None, "compose_working_dir": None,
            "compose_files": [], "systemd_unit": None, "quadlet_file": None,
            "kube_namespace": None, "kube_pod": None, "kube_container": None}


def source_of(labels, find_quadlet=None):
    """Where a container was defined, from its labels: Kubernetes (``io.kubernetes.*``), Compose
    (``com.docker.compose.*``, podman-compose's ``io.podman.compose.*``), a quadlet unit (``PODMAN_SYSTEMD_UNIT``
    and a quadlet file for that unit, looked up by ``find_quadlet(unit)``), a unit of ``podman generate
    systemd`` (the label without a quadlet file: ``systemd``), or a bare ``run``."""
    labels = labels if isinstance(labels, dict) else {}
    source = empty_source("run")
    for key, label in KUBE_LABELS:
        source[key] = text(labels.get(label), 253, KUBE_RE)
    source["compose_project"] = text(_label(labels, *COMPOSE_PROJECT_LABELS), pattern=PROJECT_RE)
    source["compose_service"] = text(_label(labels, *COMPOSE_SERVICE_LABELS), pattern=SERVICE_RE)
    source["compose_working_dir"] = path(labels.get(COMPOSE_DIR_LABEL))
    source["compose_files"] = compose_files(labels.get(COMPOSE_FILES_LABEL))
    source["systemd_unit"] = unit(labels.get(SYSTEMD_UNIT_LABEL))
    if source["systemd_unit"] and find_quadlet is not None:
        source["quadlet_file"] = find_quadlet(source["systemd_unit"])
    if source["kube_pod"] or labels.get("io.kubernetes.pod.name") is not None:
        source["kind"] = "kubernetes"
    elif source["compose_project"] or _label(labels, *COMPOSE_PROJECT_LABELS):
        source["kind"] = "compose"
    elif source["quadlet_file"]:
        source["kind"] = "quadlet"
    elif source["systemd_unit"] or _label(labels, SYSTEMD_UNIT_LABEL):
        source["kind"] = "systemd"
    return source


def _dict(value):
    return value if isinstance(value, dict) else {}


def parse_inspect(item, runtime, find_quadlet=None):
    """One element of an inspect array as a ``containers.list`` entry (without the cgroup's counters), plus
    ``pid`` and ``cgroup_hint`` (podman's ``State.CgroupPath``) for the join; None when it has no valid id."""
    if not isinstance(item, dict):
        return None
    cid = text(item.get("Id"), 64, ID_RE)
    if cid is None:
        return None
    config, state, host = _dict(item.get("Config")), _dict(item.get("State")), _dict(item.get("HostConfig"))
    name = item.get("Name")
    if isinstance(name, str) and name.startswith("/"):
        name = name[1:]  # docker's names start with '/'
    image = item.get("ImageName") if runtime == "podman" else None  # podman: the name it was started from
    image = text(image, 512, IMAGE_RE) or text(config.get("Image"), 512, IMAGE_RE)
    oom_killed = state.get("OOMKilled")
    pid = count(state.get("Pid"))
    return {
        "name": text(name, 128, NAME_RE),
        "id": cid,
        "runtime": runtime,
        "image": image,
        "state": text(state.get("Status"), 20, STATE_RE),
        "engine_memory_mb": engine_mb(host.get("Memory")),
        "engine_memory_swap_mb": engine_mb(host.get("MemorySwap"), minus_one=True),
        "engine_reservation_mb": engine_mb(host.get("MemoryReservation")),
        "oom_killed": oom_killed if isinstance(oom_killed, bool) else None,
        "restart_count": count(item.get("RestartCount")),
        "source": source_of(config.get("Labels"), find_quadlet),
        "pid": pid or None,
        "cgroup_hint": path(state.get("CgroupPath")),
    }


def quadlet_finder(rootfs="", dirs=QUADLET_DIRS):
    """A function ``unit -> quadlet file or None`` over the quadlet directories (and their subdirectories, at
    most QUADLET_DEPTH deep), indexed once on first use: ``web.service`` is defined by ``web.container`` or
    ``web.kube``, ``web@1.service`` by ``web@1.container`` or the template ``web@.container``."""
    index = {}

    def build():
        for top in dirs:
            base = rootfs + top
            seen = 0
            for where, subdirs, files in os.walk(base):
                if where[len(base):].count("/") >= QUADLET_DEPTH or seen > QUADLET_MAX_FILES:
                    subdirs[:] = []
                subdirs.sort()
                for name in sorted(files)[:max(QUADLET_MAX_FILES - seen, 0)]:
                    seen += 1
                    if name.endswith(QUADLET_SUFFIXES) and name not in index:
                        found = path(os.path.join(where, name)[len(rootfs):])
                        if found:
                            index[name] = found
                seen += 1  # a directory counts too: a tree of empty directories ends as well
        index[None] = None  # built

    def find(unit_name):
        if None not in index:
            build()
        stem = unit_name[:-len(".service")] if unit_name.endswith(".service") else None
        if not stem:
            return None
        names = [stem]
        if "@" in stem:
            names.append(stem.split("@", 1)[0] + "@")
        for name in names:
            for suffix in QUADLET_SUFFIXES:
                if name + suffix in index:
                    return index[name + suffix]
        return None
    return find
