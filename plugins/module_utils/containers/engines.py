# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Docker's and rootful Podman's containers through their own CLIs: one ``ps -a --no-trunc -q``, and when it
lists any, one ``container inspect`` of the ids it printed and one ``version``, each under a time bound.

No CLI is started when it cannot have anything to say: docker without a daemon socket (``/run/docker.sock``,
``/var/run/docker.sock``, or a ``DOCKER_HOST`` of the module's environment), podman with no container in its
storage (``<graphroot>/*-containers/containers.json`` empty or absent) and no libpod cgroup outside
``user.slice`` (a rootless podman's), or when the
module does not run as root (rootful podman's containers are root's). A failed, timed-out, oversized or
malformed answer becomes the engine's ``error``; it never raises.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import json
import os
import re

from ansible_collections.headroom.memory.plugins.module_utils.containers.parse import ID_RE, parse_inspect, path, text
from ansible_collections.headroom.memory.plugins.module_utils.oom.sources import C_ENV, timeout_args

ENGINES = ("docker", "podman")
TIMEOUT = 20            # seconds for each CLI call
MAX_IDS = 1000          # containers inspected per engine; ps may list more (counted in total)
MAX_OUTPUT = 64 * 1024 * 1024   # bytes of inspect output parsed at most
ERROR_MAX = 300
DOCKER_SOCKETS = ("/run/docker.sock", "/var/run/docker.sock")
# podman's storage.conf: the module's CONTAINERS_STORAGE_CONF, then the administrator's, then the distribution's
STORAGE_CONFS = ("/etc/containers/storage.conf", "/usr/share/containers/storage.conf")
DEFAULT_GRAPHROOT = "/var/lib/containers/storage"
_GRAPHROOT_RE = re.compile(r"""^\s*graphroot\s*=\s*["']([^"'\n]+)["']""", re.M)
VERSION_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.+~_-]{0,63}$")
VERSION_FORMAT = {"docker": "{{.Server.Version}}", "podman": "{{.Client.Version}}"}


def _head(file_path, size):
    try:
        with open(file_path, "rb") as f:
            return f.read(size).decode("utf-8", "replace")
    except (IOError, OSError):
        return None


def graphroot(rootfs="", environ=None):
    """Rootful podman's storage directory, from the first storage.conf that exists (default
    /var/lib/containers/storage)."""
    environ = os.environ if environ is None else environ
    confs = list(STORAGE_CONFS)
    if environ.get("CONTAINERS_STORAGE_CONF"):
        confs.insert(0, environ["CONTAINERS_STORAGE_CONF"])
    for conf in confs:
        content = _head(rootfs + conf if conf.startswith("/") else conf, 65536)
        if content is None:
            continue
        m = _GRAPHROOT_RE.search(content)
        return (m and path(m.group(1))) or DEFAULT_GRAPHROOT
    return DEFAULT_GRAPHROOT


def podman_has_containers(rootfs="", environ=None):
    """Whether podman's storage records a container: a ``containers.json`` of a storage driver that is more
    than an empty list."""
    for name in glob.glob(os.path.join(rootfs + graphroot(rootfs, environ), "*-containers", "containers.json")):
        head = (_head(name, 4096) or "").strip()
        if head not in ("", "[]"):
            return True
    return False


def skip_reason(engine, units, rootfs="", environ=None, euid=None):
    """Why ``engine`` need not be asked (a short sentence; None: ask it). ``units`` are the cgroup scan's."""
    environ = os.environ if environ is None else environ
    if engine == "docker":
        if environ.get("DOCKER_HOST") or any(os.path.exists(rootfs + s) for s in DOCKER_SOCKETS):
            return None
        return "no docker daemon socket"
    if (os.geteuid() if euid is None else euid) != 0:
        return "not root: rootful podman's containers are root's"
    # a rootless podman's cgroups (under user.slice) are a user's: rootful podman does not list them
    if any(u.get("runtime") == "podman" and not (u.get("cgroup") or "").startswith("/user.slice/") for u in units):
        return None
    if podman_has_containers(rootfs, environ):
        return None
    return "no podman container in storage or cgroups"


def _error(err, rc, what):
    first = ""
    for line in (err or "").splitlines():
        line = "".join(c if c.isprintable() else "?" for c in line.strip())
        if line:
            first = line[:ERROR_MAX]
            break
    return "%s: %s" % (what, first or "rc=%s" % rc)


def _run(run_command, args, what):
    """(stdout, error) of one CLI call under TIMEOUT."""
    try:
        rc, out, err = run_command(timeout_args(args, TIMEOUT), environ_update=dict(C_ENV))
    except (OSError, ValueError) as e:  # a program that vanished, an argument it refuses: the engine's error
        return None, "%s: %s" % (what, text(str(e)[:ERROR_MAX]) or type(e).__name__)
    if rc == 124:
        return out, "%s timed out after %ss" % (what, TIMEOUT)
    return out, (_error(err, rc, what) if rc != 0 else None)


def parse_ids(out):
    """The container ids of ``ps -q --no-trunc`` output, other lines ignored."""
    return [line.strip() for line in (out or "").splitlines() if ID_RE.match(line.strip())]


def parse_inspect_output(out, runtime, find_quadlet=None):
    """(entries, error) of ``container inspect`` output: a JSON array of containers."""
    if out is None or not out.strip():
        return [], None
    if len(out) > MAX_OUTPUT:
        return [], "%s inspect: output of %d bytes is larger than %d" % (runtime, len(out), MAX_OUTPUT)
    try:
        items = json.loads(out)
    except (ValueError, RecursionError) as e:
        return [], "%s inspect: not JSON (%s)" % (runtime, text(str(e)[:ERROR_MAX]) or type(e).__name__)
    if not isinstance(items, list):
        return [], "%s inspect: not a JSON list" % runtime
    entries = [parse_inspect(item, runtime, find_quadlet) for item in items[:MAX_IDS]]
    return [e for e in entries if e], None


def query(engine, cli, run_command, find_quadlet=None):
    """Ask one engine: (entries, ids listed, version, error)."""
    out, error = _run(run_command, [cli, "ps", "-a", "--no-trunc", "-q"], "%s ps" % engine)
    if error:
        return [], 0, None, error
    ids = parse_ids(out)
    if not ids:  # nothing to inspect, and no container whose version matters
        return [], 0, None, None
    out, error = _run(run_command, [cli, "container", "inspect"] + ids[:MAX_IDS], "%s inspect" % engine)
    # a container removed between ps and inspect makes inspect fail after printing the others
    entries, parse_error = parse_inspect_output(out, engine, find_quadlet)
    if entries or parse_error:
        error = parse_error
    if error:
        return entries, len(ids), None, error
    # the containers were read: a version the CLI will not tell is null, not the engine's error
    out, _error_text = _run(run_command, [cli, "version", "--format", VERSION_FORMAT[engine]], "%s version" % engine)
    version = text((out or "").strip(), 64, VERSION_RE)
    return entries, len(ids), version, None
