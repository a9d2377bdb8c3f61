# -*- coding: utf-8 -*-
"""node.pm2: daemon discovery from titles, the RPC framing against a fake socket, jlist shapes of PM2 5.4.3
(captured) and 4.x (documented fields), hostile names and paths, environ key names, and the cheap path."""

import json
import os
import socket
import struct
import threading

import pytest

from ansible_collections.headroom.memory.plugins.module_utils.node import pm2

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")


def _fixture(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return f.read()


def _proc(tmp_path, processes):
    """A fake /proc: {pid: (comm, cmdline bytes, status extra, environ bytes)}."""
    proc = tmp_path / "proc"
    for pid, (cmdline, rss_kb, environ) in processes.items():
        base = proc / str(pid)
        base.mkdir(parents=True)
        (base / "cmdline").write_bytes(cmdline)
        (base / "status").write_text("Name:\tx\nVmRSS:\t  %d kB\n" % rss_kb)
        (base / "environ").write_bytes(environ)
        (base / "cgroup").write_text("1:name=systemd:/system.slice/pm2-deploy.service\n0::/system.slice/pm2-deploy.service\n")
    (proc / "meminfo").write_text("MemTotal:  2097152 kB\n")
    return str(proc)


def test_title_parsing():
    assert pm2.parse_title(b"PM2 v5.4.3: God Daemon (/tmp/pfacts-pm2/home)" + b"\0" * 7) == ("5.4.3", "/tmp/pfacts-pm2/home")
    assert pm2.parse_title(b"PM2 v4.5.6: God Daemon (/home/deploy/.pm2)\0") == ("4.5.6", "/home/deploy/.pm2")
    assert pm2.parse_title(b"PM2 v5.4.3: God Daemon (/a/../b)\0") == ("5.4.3", "/b")       # normalised
    assert pm2.parse_title(b"PM2 v5.4.3: God Daemon (relative)\0") is None
    assert pm2.parse_title(b"PM2 v5.4.3: God Daemon (/x\x1b[31m)\0") is None              # escape sequences
    assert pm2.parse_title(b"node /srv/app.js\0") is None
    assert pm2.parse_title(b"PM2 v5.4.3: God Daemon (/" + b"a" * 10000 + b")") is None    # too long


def test_find_daemons_reads_only_pm2_titles(tmp_path):
    proc = _proc(tmp_path, {10: (b"PM2 v5.4.3: God Daemon (/home/deploy/.pm2)\0", 50000, b""),
                            11: (b"PM2 v5.4.3: God Daemon (/fake)\0", 1000, b"")})
    entries = [{"pid": 10, "comm": "PM2 v5.4.3: God", "uid": 0}, {"pid": 11, "comm": "python3", "uid": 0},
               {"pid": 12, "comm": "PM2 v5.4.3: God", "uid": 0}]   # 12 is gone: no cmdline
    assert pm2.find_daemons(entries, proc) == [
        {"home": "/home/deploy/.pm2", "user": "root", "uid": 0, "pid": 10, "version": "5.4.3"}]


def test_no_pm2_is_cheap(tmp_path):
    """No daemon in the scan: nothing is asked and no file is read (an empty /proc would raise otherwise)."""
    def ask(home, uid, root):
        raise AssertionError("asked without a daemon")
    entries = [{"pid": 5, "comm": "node", "uid": 0}, {"pid": 6, "comm": "nginx", "uid": 33}]
    assert pm2.read_pm2(entries, str(tmp_path / "nonexistent"), ask=ask) == {"daemons": [], "apps": []}


def test_real_5x_jlist(tmp_path):
    proc = _proc(tmp_path, {12846: (b"PM2 v5.4.3: God Daemon (/tmp/pfacts-pm2/home)\0", 50000, b""),
                            7328: (b"node /tmp/pfacts-pm2/app/app.js" + b"\0" * 9, 56000, b"SECRET=1\0"),
                            12890: (b"node /tmp/pfacts-pm2/app/app.js\0\0", 54000,
                                    b"NODE_OPTIONS=--max-old-space-size=200\0")})
    raw = pm2.parse_jlist(_fixture("jlist-pm2-5.4.3.json"))
    entries = [{"pid": 12846, "comm": "PM2 v5.4.3: God", "uid": 0, "ppid": 1},
               {"pid": 7328, "comm": "node /tmp/pfact", "uid": 0, "ppid": 12846},
               {"pid": 12890, "comm": "node /tmp/pfact", "uid": 0, "ppid": 12846}]
    result = pm2.read_pm2(entries, proc, ask=lambda home, uid, root: raw)
    assert result["daemons"][0]["error"] is None
    apps = dict((a["pm_id"], a) for a in result["apps"])
    fork, cluster, stopped = apps[0], apps[1], apps[2]
    assert (fork["name"], fork["exec_mode"], fork["status"], fork["restarts"], fork["instances"]) == ("api-fork", "fork", "online", 1, 1)
    assert (fork["max_memory_restart_mb"], fork["heap_mb"], fork["heap_source"]) == (300, 256, "flag")
    assert fork["node_args"] == ["--max-old-space-size=256"] and fork["node_version"] == "20.20.2"
    assert fork["memory_mb"] == 54 and fork["unit"] == "pm2-deploy.service" and fork["home"] == "/tmp/pfacts-pm2/home"
    assert fork["default_heap_mb"] == 1024          # Node 20 on a 2 GiB host, no limit
    assert (cluster["exec_mode"], cluster["instances"], cluster["max_memory_restart_mb"]) == ("cluster", 2, None)
    assert (cluster["heap_mb"], cluster["heap_source"]) == (200, "NODE_OPTIONS")   # read from the process itself
    assert (stopped["pid"], stopped["status"], stopped["memory_mb"], stopped["heap_source"]) == (None, "stopped", None, "default")
    flat = json.dumps(result)
    assert "env" not in [k for a in result["apps"] for k in a] and "<redacted>" not in flat and "SECRET" not in flat


def test_documented_4x_jlist(tmp_path):
    proc = _proc(tmp_path, {2101: (b"node /srv/legacy/server.js\0\0", 92160, b"")})
    raw = pm2.parse_jlist(_fixture("jlist-pm2-4.x-documented.json"))
    daemon = {"home": "/home/deploy/.pm2", "user": "deploy", "uid": 1000, "pid": 9, "version": "4.5.6"}
    apps = pm2.describe_apps(raw, daemon, proc)
    legacy, worker = apps
    assert legacy["max_memory_restart_mb"] == 300                     # a size string in older PM2
    assert legacy["node_args"] == ["--max-old-space-size=512"]       # --harmony and --inspect dropped
    assert (legacy["heap_mb"], legacy["node_version"], legacy["default_heap_mb"]) == (512, None, None)
    assert (legacy["restarts"], legacy["unstable_restarts"], legacy["exec_mode"]) == (12, 3, "fork")
    assert (worker["status"], worker["pid"], worker["unstable_restarts"], worker["exec_mode"]) == ("errored", None, 15, "cluster")
    assert worker["default_heap_mb"] is None                          # Node 16: not measured, no guess
    assert raw == []                                                  # the raw list (and its env) is dropped


def test_environ_key_names_fixture_shows_why_not_environ():
    keys = _fixture("environ-keys-pm2-5.4.3.txt").split("# cluster worker of web-cluster:")
    fork_keys, cluster_keys = keys[0].split(), keys[1].split()
    for key in ("name", "pm_id", "exec_mode", "max_memory_restart", "node_args", "restart_time", "status", "PM2_HOME"):
        assert key in fork_keys
    assert "pm2_env" in cluster_keys and "restart_time" not in cluster_keys and "name" not in cluster_keys


@pytest.mark.parametrize("name", ["\x1b[2Jevil", "", "a" * 129, None, 42, "bad\nline"])
def test_hostile_names_drop_the_entry(name):
    assert pm2.reduce_app({"name": name, "pm_id": 0, "pm2_env": {"status": "online"}}) is None


def test_hostile_fields_are_nulled():
    app = pm2.reduce_app({"name": "ok", "pm_id": "3", "pid": -5, "pm2_env": {
        "status": "<script>", "exec_mode": "rm -rf", "pm_cwd": "../../etc", "node_version": "v20.1.0; echo",
        "restart_time": True, "unstable_restarts": 10 ** 20, "max_memory_restart": "lots",
        "node_args": ["--max-old-space-size=256", "--require=/tmp/x.js", {"a": 1}]}})
    assert app == {"name": "ok", "pm_id": 3, "pid": None, "status": None, "restarts": None, "unstable_restarts": None,
                   "exec_mode": None, "max_memory_restart_mb": None, "node_args": ["--max-old-space-size=256"],
                   "node_version": None, "cwd": None, "script_dir": None}
    assert pm2.reduce_app("not a dict") is None and pm2.reduce_app({"name": "x"}) is None


def test_malformed_jlist():
    for text in ("not json", "{\"a\": 1}", ""):
        with pytest.raises(pm2.Pm2Error):
            pm2.parse_jlist(text)


def test_ecosystem_lookup(tmp_path):
    (tmp_path / "ecosystem.config.js").write_text("module.exports = {apps: [{name: 'api', script: 'a.js'}]}\n")
    (tmp_path / "ecosystem.json").write_text('{"apps": [{"name": "web"}]}')
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "ecosystem.yml").write_text("apps:\n  - name: worker\n    script: w.js\n")
    os.symlink("/etc/passwd", str(tmp_path / "b" / "ecosystem.json"))
    assert pm2.find_ecosystem(str(tmp_path), "api") == str(tmp_path / "ecosystem.config.js")
    assert pm2.find_ecosystem(str(tmp_path), "web") == str(tmp_path / "ecosystem.json")
    assert pm2.find_ecosystem(str(tmp_path), "ap") is None                    # a prefix is not the name
    assert pm2.find_ecosystem(str(tmp_path / "b"), "worker") == str(tmp_path / "b" / "ecosystem.yml")
    assert pm2.find_ecosystem(str(tmp_path / "b"), "root") is None            # the symlink is not followed
    assert pm2.find_ecosystem(str(tmp_path), "a.*") is None                   # the name is not a pattern
    assert pm2.find_ecosystem(None, "api") is None


def test_restart_threshold_forms():
    assert pm2.restart_threshold_mb(314572800) == 300
    assert pm2.restart_threshold_mb("1G") == 1024
    assert pm2.restart_threshold_mb(0) is None and pm2.restart_threshold_mb(None) is None
    assert pm2.restart_threshold_mb(True) is None and pm2.restart_threshold_mb("x" * 100) is None


def _serve(path, reply_parts=None, raw=None, uid_ok=True):
    """A one-shot fake daemon socket at ``path`` answering one message."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(1)
    seen = {}

    def run():
        conn = server.accept()[0]
        data = conn.recv(65536)
        seen["request"] = data
        if raw is not None:
            conn.sendall(raw)
        elif reply_parts is not None:
            conn.sendall(pm2._pack(reply_parts))
        conn.close()
        server.close()
    thread = threading.Thread(target=run)
    thread.daemon = True
    thread.start()
    return thread, seen


def test_rpc_call_round_trip(tmp_path):
    home = str(tmp_path)
    apps = [{"name": "api", "pm_id": 0, "pm2_env": {"env": {"TOKEN": "x"}}}]
    body = b"j:" + json.dumps({"args": [apps]}).encode()
    thread, seen = _serve(os.path.join(home, "rpc.sock"), [body, b"s:headroom:1"])
    assert pm2.rpc_call(home, os.getuid()) == apps
    thread.join(5)
    req = seen["request"]
    assert req[0] == 0x12
    size = struct.unpack(">I", req[1:5])[0]
    assert json.loads(req[7:5 + size].decode()) == {"type": "call", "method": "getMonitorData", "args": [{}]}


def test_rpc_refuses_wrong_owner_and_symlink(tmp_path):
    home = str(tmp_path)
    thread, _seen = _serve(os.path.join(home, "rpc.sock"), [b"j:{}"])
    with pytest.raises(pm2.Pm2Error, match="not a socket owned by uid"):
        pm2.rpc_call(home, os.getuid() + 1)
    other = tmp_path / "other"
    other.mkdir()
    os.symlink(os.path.join(home, "rpc.sock"), str(other / "rpc.sock"))
    with pytest.raises(pm2.Pm2Error, match="symlink"):
        pm2.rpc_call(str(other), os.getuid())
    with pytest.raises(pm2.Pm2Error, match="cannot open"):
        pm2.rpc_call(str(tmp_path / "none"), os.getuid())


def test_rpc_bounds_a_huge_or_stalled_answer(tmp_path, monkeypatch):
    home = str(tmp_path)
    thread, _seen = _serve(os.path.join(home, "rpc.sock"), raw=b"\x12" + struct.pack(">I", 2 ** 31))
    with pytest.raises(pm2.Pm2Error, match="larger than"):
        pm2.rpc_call(home, os.getuid())
    thread.join(5)
    os.unlink(os.path.join(home, "rpc.sock"))
    thread, _seen = _serve(os.path.join(home, "rpc.sock"), raw=b"\x12" + struct.pack(">I", 100) + b"j:{")
    with pytest.raises(pm2.Pm2Error):
        pm2.rpc_call(home, os.getuid(), timeout=0.5)


@pytest.mark.parametrize("parts", [[], [b"s:x"], [b"j:not json"], [b"j:{\"error\": \"boom\"}"], [b"j:{\"args\": []}"],
                                   [b"j:[1]"]])
def test_decode_reply_refuses_malformed(parts):
    with pytest.raises(pm2.Pm2Error):
        pm2.decode_reply(parts)


def test_home_is_resolved_in_the_daemons_root_without_symlinks(tmp_path):
    """A daemon in a container has its home under /proc/<pid>/root; a symlinked directory on the way (which
    would resolve against the host's root) is refused, not followed."""
    root = tmp_path / "root"
    home = root / "home" / "deploy" / ".pm2"
    home.mkdir(parents=True)
    thread, _seen = _serve(str(home / "rpc.sock"), [b"j:" + json.dumps({"args": [[]]}).encode(), b"s:headroom:1"])
    assert pm2.rpc_call("/home/deploy/.pm2", os.getuid(), str(root)) == []
    thread.join(5)
    (root / "srv").mkdir()
    os.symlink(str(home), str(root / "srv" / "pm2"))
    with pytest.raises(pm2.Pm2Error, match="symlink in it"):
        pm2.rpc_call("/srv/pm2", os.getuid(), str(root))
    (root / "app").mkdir()
    (root / "app" / "ecosystem.json").write_text('{"apps": [{"name": "api"}]}')
    assert pm2.find_ecosystem("/app", "api", str(root)) == "/app/ecosystem.json"   # the path as the daemon sees it
    os.symlink(str(root / "app"), str(root / "lnk"))
    assert pm2.find_ecosystem("/lnk", "api", str(root)) is None


def test_read_pm2_asks_under_the_daemons_root(tmp_path):
    proc = _proc(tmp_path, {10: (b"PM2 v5.4.3: God Daemon (/root/.pm2)\0", 50000, b"")})
    asked = []
    pm2.read_pm2([{"pid": 10, "comm": "PM2 v5.4.3: God", "uid": 0}], proc, ask=lambda h, u, r: asked.append((h, u, r)) or [])
    assert asked == [("/root/.pm2", 0, os.path.join(proc, "10", "root"))]


def test_pids_of_a_daemon_in_a_container_are_mapped_to_the_hosts(tmp_path):
    """Measured with PM2 5.4.3 in a podman container: jlist said pid 112 for a process that is 5000 here."""
    proc = _proc(tmp_path, {900: (b"PM2 v5.4.3: God Daemon (/root/.pm2)\0", 50000, b""),
                            5000: (b"node /srv/app/app.js\0\0", 40960, b""), 112: (b"sshd\0", 8000, b"")})
    with open(os.path.join(proc, "5000", "status"), "a") as f:
        f.write("NSpid:\t5000\t112\n")
    entries = [{"pid": 900, "comm": "PM2 v5.4.3: God", "uid": 0, "ppid": 1},
               {"pid": 5000, "comm": "node /srv/app/", "uid": 0, "ppid": 900},
               {"pid": 112, "comm": "sshd", "uid": 0, "ppid": 1}]
    raw = [{"name": "c-api", "pm_id": 0, "pid": 112, "pm2_env": {"status": "online"}},
           {"name": "ghost", "pm_id": 1, "pid": 113, "pm2_env": {"status": "online"}}]
    apps = pm2.read_pm2(entries, proc, ask=lambda h, u, r: raw)["apps"]
    assert [(a["name"], a["pid"], a["memory_mb"]) for a in apps] == [("c-api", 5000, 40), ("ghost", None, None)]


def test_ecosystem_in_the_scripts_directory(tmp_path):
    (tmp_path / "srv").mkdir()
    (tmp_path / "srv" / "ecosystem.json").write_text('{"apps": [{"name": "c-api"}]}')
    daemon = {"home": "/root/.pm2", "user": "root", "uid": 0, "pid": 9, "version": "5.4.3"}
    raw = [{"name": "c-api", "pm_id": 0, "pm2_env": {"pm_cwd": "/", "pm_exec_path": "/srv/app.js"}}]
    apps = pm2.describe_apps(raw, daemon, str(tmp_path / "proc"), root=str(tmp_path))
    assert apps[0]["ecosystem_file"] == "/srv/ecosystem.json" and "script_dir" not in apps[0]


def test_a_daemon_that_cannot_be_asked_keeps_its_error(tmp_path):
    proc = _proc(tmp_path, {10: (b"PM2 v5.4.3: God Daemon (/home/deploy/.pm2)\0", 50000, b"")})

    def ask(home, uid, root):
        raise pm2.Pm2Error("cannot open /home/deploy/.pm2/rpc.sock: No such file or directory")
    result = pm2.read_pm2([{"pid": 10, "comm": "PM2 v5.4.3: God", "uid": 1000}], proc, ask=ask)
    assert result["apps"] == [] and "rpc.sock" in result["daemons"][0]["error"]
    assert pm2.read_pm2([{"pid": 10, "comm": "PM2 v5.4.3: God", "uid": 1000}], proc, ask=lambda h, u, r: {"x": 1})[
        "daemons"][0]["error"].startswith("the daemon at")
