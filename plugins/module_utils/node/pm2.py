# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PM2 daemons and their apps, for memory_facts' ``pm2`` subset.

Daemons are found in the process scan memory_facts already makes: a God Daemon's title is
``PM2 vX.Y.Z: God Daemon (<PM2_HOME>)`` (its comm starts ``PM2 v``; only those get their command line read),
its owner is the process's uid. No process, no further work: nothing is spawned, no file is opened.

The apps are asked from the running daemon itself, over its RPC socket ``<PM2_HOME>/rpc.sock`` with the
call ``pm2 jlist`` makes (``getMonitorData`` of pm2-axon-rpc: amp-framed ``j:<json>`` messages). Chosen over the
two obvious ways, measured on PM2 5.4.3 / Node 20 on 2026-12-07:

- ``pm2 jlist`` as the daemon's user: 200 ms of CPU and a Node start per daemon, needs the CLI found and run
  as that user, and starts a new daemon when the one seen has just died (the CLI always launches one when it
  cannot ping one). The socket gives the same list in 4 ms and cannot start anything: no daemon, no answer.
- ``/proc/<pid>/environ`` of each app process: fork-mode apps carry PM2's keys (``name pm_id exec_mode
  instances max_memory_restart node_args restart_time unstable_restarts pm_cwd pm_exec_path status
  PM2_HOME``...) frozen at spawn (``status=launching`` for an app online for days), cluster-mode workers only
  a ``pm2_env`` JSON holding the app's whole environment, and stopped or errored apps (no process) not at all.

Both jlist and the socket hand over each app's whole environment: the answer is reduced at once to the
fields below and the rest dropped; nothing of ``env`` is kept. The socket is opened without following a
symlink and used only when it is a socket owned by the daemon's uid; the answer is bounded in size and time.
PM2 does not record the ecosystem file an app came from (no such key in 5.4.3's jlist), so it is looked for
in the app's cwd (ecosystem.config.js/.cjs, ecosystem.json, ecosystem.yml/.yaml naming the app), then in its
script's directory. A daemon in a container is read through its /proc/<pid>/root, and its apps' pids (of its
pid namespace) are mapped to this host's through its children's NSpid. What is missed: a daemon whose socket
does not answer (reported with its ``error``, no apps), and apps of a PM2 that is not running (only its
``dump.pm2`` would know them).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import posixpath
import pwd
import re
import socket
import stat
import struct
import time

from ansible_collections.headroom.memory.plugins.module_utils.cgroups import parse_proc_cgroup
from ansible_collections.headroom.memory.plugins.module_utils.node.heap import (
    constraint_seen, default_heap_mb, flag_mb, major_from_version, node_options_from_environ, MAX_ENVIRON, NodeHost)
from ansible_collections.headroom.memory.plugins.module_utils.procfs import read_bytes
from ansible_collections.headroom.memory.plugins.module_utils.sizes import parse_size
from ansible_collections.headroom.memory.plugins.module_utils.systemd.unit_names import unit_from_cgroup

_TITLE = re.compile(r"^PM2 v([0-9]{1,4}\.[0-9]{1,4}\.[0-9]{1,4}(?:-[0-9A-Za-z.]{1,32})?): God Daemon \((/[^\x00-\x1f\x7f]{0,4000})\)$")
_NAME = re.compile(r"^[^\x00-\x1f\x7f]{1,128}$")
_VERSION = re.compile(r"^v?([0-9]{1,4}\.[0-9]{1,4}\.[0-9]{1,4})$")
_HEAP_ARG = re.compile(
    r"^--(?:max[-_]old[-_]space[-_]size|max[-_]semi[-_]space[-_]size|max[-_]heap[-_]size|optimize[-_]for[-_]size"
    r"|expose[-_]gc|gc[-_]interval|heapsnapshot[-_]near[-_]heap[-_]limit)(?:=[0-9]{1,9})?$")
STATUSES = ("online", "stopped", "errored", "launching", "stopping", "one-launch-status", "waiting restart")
ECOSYSTEM_FILES = ("ecosystem.config.js", "ecosystem.config.cjs", "ecosystem.json", "ecosystem.yml", "ecosystem.yaml")
MAX_PATH = 4096
MAX_REPLY = 64 * 1024 * 1024
MAX_APPS = 500
MAX_ECOSYSTEM = 512 * 1024
RPC_TIMEOUT = 5.0


class Pm2Error(Exception):
    """Why one daemon's apps could not be read (a sentence naming the home)."""


def clean_path(value):
    """An absolute, normalised path of printable characters (at most 4096), else None."""
    if not isinstance(value, str) or not value.startswith("/") or len(value) > MAX_PATH:
        return None
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        return None
    return posixpath.normpath(value)


def clean_name(value):
    """An app name as PM2 shows it: 1 to 128 printable characters, else None."""
    return value if isinstance(value, str) and _NAME.match(value) else None


def _int(value, low=0, high=2 ** 31):
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.isdigit() and len(value) <= 12:
        value = int(value)
    return value if isinstance(value, int) and low <= value <= high else None


def parse_title(cmdline):
    """(version, home) of a God Daemon from its raw /proc/<pid>/cmdline bytes, or None."""
    text = (cmdline or b"")[:MAX_PATH + 64].rstrip(b"\0").decode("utf-8", "replace")
    m = _TITLE.match(text)
    if not m:
        return None
    home = clean_path(m.group(2))
    return (m.group(1), home) if home else None


def _user(uid):
    try:
        return pwd.getpwuid(uid).pw_name
    except (KeyError, OverflowError, TypeError):
        return None if uid is None else str(uid)


def find_daemons(entries, proc="/proc"):
    """The PM2 God Daemons among scan() ``entries``: [{home, user, uid, pid, version}], by pid.

    Only processes whose comm starts ``PM2 v`` have their command line read; a title that does not parse
    (or names a home that is not a clean absolute path) is not a daemon.
    """
    daemons = []
    for e in entries:
        if not (e.get("comm") or "").startswith("PM2 v"):
            continue
        found = parse_title(read_bytes(os.path.join(proc, str(e["pid"]), "cmdline"), MAX_PATH + 64))
        if found is None:
            continue
        daemons.append({"home": found[1], "user": _user(e.get("uid")), "uid": e.get("uid"), "pid": e["pid"],
                        "version": found[0]})
    return sorted(daemons, key=lambda d: d["pid"])


def _pack(parts):
    return bytes(bytearray([0x10 | len(parts)])) + b"".join(struct.pack(">I", len(p)) + p for p in parts)


def _recv_message(sock, deadline, limit=MAX_REPLY):
    """One amp message from ``sock``: its parts (bytes), within ``deadline`` (time.time()) and ``limit`` bytes."""
    buf = bytearray()

    def need(n):
        if n > limit:
            raise Pm2Error("the answer is larger than %d bytes" % limit)
        while len(buf) < n:
            left = deadline - time.time()
            if left <= 0:
                raise Pm2Error("no complete answer within %.0f s" % RPC_TIMEOUT)
            sock.settimeout(left)
            chunk = sock.recv(min(1 << 20, n - len(buf)))
            if not chunk:
                raise Pm2Error("the daemon closed the connection")
            buf.extend(chunk)

    need(1)
    argc, offset, parts = buf[0] & 0x0F, 1, []
    for _i in range(argc):
        need(offset + 4)
        size = struct.unpack(">I", bytes(buf[offset:offset + 4]))[0]
        offset += 4
        need(offset + size)
        parts.append(bytes(buf[offset:offset + size]))
        offset += size
    return parts


O_PATH = getattr(os, "O_PATH", 0o10000000)


def open_no_symlinks(root, path):
    """An O_PATH descriptor of ``path`` (absolute, normalised) under the directory ``root`` ("" = /), walked one
    component at a time without following any symlink: a daemon's home is resolved in its own mount namespace
    (``/proc/<pid>/root``), and a link planted in it cannot point the walk at a file of the host. Pm2Error else."""
    try:
        fd = os.open(root or "/", O_PATH | os.O_DIRECTORY)
    except OSError as e:
        raise Pm2Error("cannot open %s: %s" % (root or "/", e.strerror))
    try:
        for part in [p for p in path.split("/") if p]:
            if part in (".", ".."):
                raise Pm2Error("%s is not a normalised path" % path)
            nfd = os.open(part, O_PATH | os.O_NOFOLLOW, dir_fd=fd)
            os.close(fd)
            fd = nfd
            if stat.S_ISLNK(os.fstat(fd).st_mode):
                raise Pm2Error("%s has a symlink in it (%s); it is not followed" % (path, part))
        return fd
    except OSError as e:
        os.close(fd)
        raise Pm2Error("cannot open %s: %s" % (path, e.strerror))
    except Pm2Error:
        os.close(fd)
        raise


def rpc_call(home, uid, root="", method="getMonitorData", timeout=RPC_TIMEOUT):
    """The answer of the daemon of ``home`` to ``method`` (decoded JSON ``args[0]``); Pm2Error on any failure.

    ``<home>/rpc.sock`` is opened under ``root`` (the daemon's ``/proc/<pid>/root``: a daemon in a container
    has its home there) by open_no_symlinks() and must be a socket owned by ``uid``; the connection goes
    through /proc/self/fd, so what was checked is what is connected to.
    """
    path = posixpath.join(home, "rpc.sock")
    fd = open_no_symlinks(root, path)
    sock = None
    try:
        st = os.fstat(fd)
        if not stat.S_ISSOCK(st.st_mode) or st.st_uid != uid:
            raise Pm2Error("%s is not a socket owned by uid %s" % (path, uid))
        deadline = time.time() + timeout
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        sock.connect("/proc/self/fd/%d" % fd)
        call = json.dumps({"type": "call", "method": method, "args": [{}]}).encode()
        sock.sendall(_pack([b"j:" + call, b"s:headroom:1"]))
        parts = _recv_message(sock, deadline)
    except (OSError, socket.error) as e:
        raise Pm2Error("cannot ask the PM2 daemon at %s: %s" % (path, getattr(e, "strerror", None) or e))
    finally:
        if sock is not None:
            sock.close()
        os.close(fd)
    return decode_reply(parts, path)


def decode_reply(parts, where="the socket"):
    """The list of apps of a getMonitorData answer's parts ([b'j:{"args": [[...]]}', b's:<id>'])."""
    if not parts or not parts[0].startswith(b"j:"):
        raise Pm2Error("%s answered something that is not PM2's JSON" % where)
    try:
        msg = json.loads(parts[0][2:].decode("utf-8", "replace"))
    except ValueError:
        raise Pm2Error("%s answered malformed JSON" % where)
    if not isinstance(msg, dict) or "error" in msg:
        raise Pm2Error("%s answered an error: %s" % (where, str(msg.get("error") if isinstance(msg, dict) else msg)[:200]))
    args = msg.get("args")
    if not isinstance(args, list) or not args or not isinstance(args[0], list):
        raise Pm2Error("%s answered no process list" % where)
    return args[0]


def parse_jlist(text):
    """The app list of ``pm2 jlist`` output (a JSON array; fixtures and older PM2 versions); Pm2Error if not one."""
    try:
        apps = json.loads(text)
    except ValueError:
        raise Pm2Error("pm2 jlist output is not JSON")
    if not isinstance(apps, list):
        raise Pm2Error("pm2 jlist output is not a list")
    return apps


def heap_args(node_args):
    """The heap and GC flags of an app's node_args (a list, or a string in older PM2); nothing else is kept."""
    if isinstance(node_args, str):
        node_args = node_args.split()
    if not isinstance(node_args, list):
        return []
    return [a for a in node_args[:200] if isinstance(a, str) and _HEAP_ARG.match(a)]


def restart_threshold_mb(value):
    """max_memory_restart in MiB: PM2 5 keeps bytes (a number), older files a size ("300M"); None if unset."""
    if isinstance(value, bool) or value in (None, "", 0):
        return None
    if isinstance(value, (int, float)) and 0 < value < 2 ** 50:
        return int(value) // (1024 * 1024)
    if isinstance(value, str) and len(value) <= 32:
        try:
            size = parse_size(value.strip())
        except (ValueError, TypeError):
            return None
        return size // (1024 * 1024) if size else None
    return None


def reduce_app(raw):
    """The fields of one jlist/getMonitorData entry this module reports, validated; env and all else dropped.
    None when the entry is not an app (no valid name or pm_id)."""
    if not isinstance(raw, dict):
        return None
    env = raw.get("pm2_env") if isinstance(raw.get("pm2_env"), dict) else {}
    name = clean_name(raw.get("name", env.get("name")))
    pm_id = _int(raw.get("pm_id", env.get("pm_id")))
    if name is None or pm_id is None:
        return None
    status = env.get("status")
    mode = env.get("exec_mode")
    mode = {"fork_mode": "fork", "cluster_mode": "cluster", "fork": "fork", "cluster": "cluster"}.get(mode)
    version = _VERSION.match(env.get("node_version") or "") if isinstance(env.get("node_version"), str) else None
    return {
        "name": name,
        "pm_id": pm_id,
        "pid": _int(raw.get("pid"), 1) or None,
        "status": status if status in STATUSES else None,
        "restarts": _int(env.get("restart_time")),
        "unstable_restarts": _int(env.get("unstable_restarts")),
        "exec_mode": mode,
        "max_memory_restart_mb": restart_threshold_mb(env.get("max_memory_restart")),
        "node_args": heap_args(env.get("node_args")),
        "node_version": version.group(1) if version else None,
        "cwd": clean_path(env.get("pm_cwd")),
        "script_dir": posixpath.dirname(clean_path(env.get("pm_exec_path")) or "") or None,
    }


def find_ecosystem(cwd, name, root=""):
    """The ecosystem file in ``cwd`` (under ``root``, the daemon's /proc/<pid>/root) that names app ``name``:
    a regular file reached without a symlink, read at most MAX_ECOSYSTEM bytes; else None."""
    if not cwd or not name:
        return None
    quoted = re.escape(name)
    pattern = re.compile(r"""\bname["']?\s*:\s*(?:["']%s["']|%s\s*$)""" % (quoted, quoted), re.M)
    try:
        dir_fd = open_no_symlinks(root, cwd)
    except Pm2Error:
        return None
    try:
        for candidate in ECOSYSTEM_FILES:
            try:
                fd = os.open(candidate, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
            except OSError:
                continue
            with os.fdopen(fd, "rb") as f:
                if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                    continue
                data = f.read(MAX_ECOSYSTEM)
            if data and pattern.search(data.decode("utf-8", "replace")):
                return posixpath.join(cwd, candidate)
    finally:
        os.close(dir_fd)
    return None


def daemon_unit(proc, pid):
    """The systemd service a daemon runs in (pm2-<user>.service from ``pm2 startup``), else None."""
    raw = read_bytes(os.path.join(proc, str(pid), "cgroup"), 64 * 1024)
    controllers = parse_proc_cgroup(raw.decode("utf-8", "replace")) if raw else {}
    path = controllers.get("name=systemd") or controllers.get("")
    unit = unit_from_cgroup(path) if path else None
    return unit if unit and unit.endswith(".service") else None


def ns_pid(proc, pid):
    """The pid of ``pid`` in its innermost pid namespace (the last ``NSpid`` field of its status), or None."""
    data = read_bytes(os.path.join(proc, str(pid), "status"), 64 * 1024)
    for line in (data or b"").decode("ascii", "replace").splitlines():
        if line.startswith("NSpid:"):
            fields = line.split()[1:]
            return int(fields[-1]) if fields and fields[-1].isdigit() else None
    return None


def app_pids(entries, daemon_pid, proc="/proc"):
    """{pid as the daemon sees it: pid here} for the daemon's children: PM2 reports pids of its own pid
    namespace (a daemon in a container), and only a child of the daemon is taken for one of its apps."""
    found = {}
    for e in entries:
        if e.get("ppid") == daemon_pid:
            inner = ns_pid(proc, e["pid"])
            found[inner if inner is not None else e["pid"]] = e["pid"]
    return found


def _own_cgroup_ns(proc, pid, host):
    """True when ``pid`` has a cgroup namespace other than this module's (it runs in a container)."""
    if not pid or host.own_ns is None:
        return False
    try:
        return os.readlink(os.path.join(proc, str(pid), "ns", "cgroup")) != host.own_ns
    except OSError:
        return False


def _rss_mb(proc, pid):
    data = read_bytes(os.path.join(proc, str(pid), "status"), 64 * 1024)
    for line in (data or b"").decode("ascii", "replace").splitlines():
        if line.startswith("VmRSS:"):
            fields = line.split()
            return int(fields[1]) // 1024 if len(fields) > 1 and fields[1].isdigit() else None
    return None


def describe_apps(raw_apps, daemon, proc="/proc", rootfs="", node_host=None, root="", pids=None):
    """The contract's app entries for one daemon's raw app list (jlist or the socket), at most MAX_APPS;
    ``root``: the daemon's /proc/<pid>/root, where its apps' paths are; ``pids``: app_pids() (None: PM2's
    pids are taken as they are, for fixtures). An app whose pid is not one of the daemon's children gets
    pid None: its number names another process here."""
    host = (node_host or NodeHost(proc, rootfs))
    apps = [a for a in (reduce_app(r) for r in raw_apps[:MAX_APPS]) if a is not None]
    if pids is not None:
        for a in apps:
            a["pid"] = pids.get(a["pid"]) if a["pid"] else None
    del raw_apps[:]  # the environments in it are not kept one step longer than needed
    counts = {}
    for a in apps:
        counts[a["name"]] = counts.get(a["name"], 0) + 1
    unit = daemon_unit(proc, daemon["pid"])
    ecosystems = {}  # (cwd, name) -> path: a cluster app's instances share one lookup
    result = []
    for a in apps:
        pid = a["pid"]
        options = node_options_from_environ(read_bytes(os.path.join(proc, str(pid), "environ"), MAX_ENVIRON)) if pid else None
        heap_mb, source = flag_mb(a["node_args"]), "flag"
        if heap_mb is None:
            heap_mb = flag_mb((options or "").split())
            source = "NODE_OPTIONS" if heap_mb is not None else "default"
        major = major_from_version(a["node_version"])
        host.load()
        cgroup = None
        if pid:
            raw = read_bytes(os.path.join(proc, str(pid), "cgroup"), 64 * 1024)
            controllers = parse_proc_cgroup(raw.decode("utf-8", "replace")) if raw else {}
            cgroup = controllers.get("memory") or controllers.get("")
        flavour = host.hierarchy[0] if host.hierarchy else None
        seen = constraint_seen(major, flavour, host.limit_mb(cgroup), _own_cgroup_ns(proc, pid, host), host.ns_root_limit_mb())
        key = (a["cwd"], a.pop("script_dir"), a["name"])
        if key not in ecosystems:
            ecosystems[key] = find_ecosystem(key[0], a["name"], root)
            if ecosystems[key] is None and key[1] not in (None, key[0]):
                ecosystems[key] = find_ecosystem(key[1], a["name"], root)
        entry = dict(a)
        entry.update({
            "memory_mb": _rss_mb(proc, pid) if pid else None,
            "instances": counts[a["name"]],
            "heap_mb": heap_mb,
            "heap_source": source,
            "default_heap_mb": default_heap_mb(major, host.memtotal_mb, seen),
            "ecosystem_file": ecosystems[key],
            "user": daemon["user"],
            "home": daemon["home"],
            "unit": unit,
        })
        result.append(entry)
    return result


def read_pm2(entries, proc="/proc", rootfs="", ask=None):
    """``{daemons, apps}`` of memory_facts' ``pm2`` subset from scan() ``entries``.

    ``ask(home, uid, root)`` returns a daemon's raw app list (rpc_call; tests pass a fixture), ``root`` being
    the daemon's ``/proc/<pid>/root``. A daemon that cannot be asked keeps its ``error`` sentence and
    contributes no apps.
    """
    ask = ask or rpc_call
    daemons = find_daemons(entries, proc)
    apps = []
    host = NodeHost(proc, rootfs)
    for d in daemons:
        d["error"] = None
        root = os.path.join(proc, str(d["pid"]), "root")
        try:
            raw = ask(d["home"], d["uid"], root)
            if not isinstance(raw, list):
                raise Pm2Error("the daemon at %s answered no process list" % d["home"])
            apps.extend(describe_apps(raw, d, proc, rootfs, host, root, app_pids(entries, d["pid"], proc)))
        except Pm2Error as e:
            d["error"] = str(e)
    return {"daemons": daemons, "apps": apps}
