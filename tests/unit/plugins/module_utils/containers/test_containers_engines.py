# -*- coding: utf-8 -*-
"""containers.engines: the CLI calls, their failures, and when no CLI is started at all."""

import json
import os

import pytest

from ansible_collections.headroom.memory.plugins.module_utils.containers import engines

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
WEB, LEAKY = "1" * 64, "2" * 64


def fixture_text(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return f.read()


class FakeCli(object):
    """run_command answering `ps`, `container inspect` and `version` by the CLI's subcommand."""

    def __init__(self, ps=(0, WEB + "\n" + LEAKY + "\n", ""), inspect=None, version=(0, "26.1.5\n", "")):
        self.answers = {"ps": ps, "inspect": inspect or (0, fixture_text("docker-26-inspect.json"), ""),
                        "version": version}
        self.calls = []

    def __call__(self, args, environ_update=None, **kwargs):
        self.calls.append(list(args))
        assert environ_update["LC_ALL"] == "C"
        for word in ("ps", "inspect", "version"):
            if word in args:
                answer = self.answers[word]
                if isinstance(answer, Exception):
                    raise answer
                return answer
        raise AssertionError("unexpected command %r" % (args,))

    def tail(self, i):
        """The call without the timeout wrapper."""
        args = self.calls[i]
        return args[args.index("/usr/bin/docker"):]


def test_one_ps_one_inspect_one_version():
    cli = FakeCli()
    entries, listed, version, error = engines.query("docker", "/usr/bin/docker", cli)
    assert (listed, version, error) == (2, "26.1.5", None)
    assert [e["name"] for e in entries] == ["shop-web-1", "leaky"]
    assert cli.tail(0) == ["/usr/bin/docker", "ps", "-a", "--no-trunc", "-q"]
    assert cli.tail(1) == ["/usr/bin/docker", "container", "inspect", WEB, LEAKY]
    assert cli.tail(2) == ["/usr/bin/docker", "version", "--format", "{{.Server.Version}}"]
    if engines.timeout_args(["x"], 1) != ["x"]:  # coreutils' timeout bounds every call
        assert all(call[1:3] == [str(engines.TIMEOUT), "/usr/bin/docker"] for call in cli.calls)


def test_no_container_no_inspect():
    cli = FakeCli(ps=(0, "\n", ""))
    assert engines.query("docker", "/usr/bin/docker", cli) == ([], 0, None, None)
    assert len(cli.calls) == 1  # and no version call either


def test_ps_lines_that_are_not_ids_are_ignored():
    assert engines.parse_ids(WEB + "\nWARNING: something\n" + "f" * 63 + "\n--all\n") == [WEB]


def test_a_container_removed_between_ps_and_inspect():
    """inspect prints the others and fails: those are read, not an engine error."""
    only_web = json.dumps(json.loads(fixture_text("docker-26-inspect.json"))[:1])
    cli = FakeCli(inspect=(1, only_web, "Error: No such container: " + LEAKY))
    entries, listed, _version, error = engines.query("docker", "/usr/bin/docker", cli)
    assert [e["id"] for e in entries] == [WEB] and listed == 2 and error is None


@pytest.mark.parametrize("ps, message", [
    ((124, "", ""), "docker ps timed out after 20s"),
    ((1, "", "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n"),
     "docker ps: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?"),
    ((1, "", ""), "docker ps: rc=1"),
    ((1, "", "\x1b]0;owned\x07evil\r\n"), "docker ps: ?]0;owned?evil"),
    (OSError(2, "No such file or directory"), "docker ps: [Errno 2] No such file or directory"),
])
def test_a_failing_ps_is_the_engines_error_and_nothing_else_runs(ps, message):
    cli = FakeCli(ps=ps)
    assert engines.query("docker", "/usr/bin/docker", cli) == ([], 0, None, message)
    assert len(cli.calls) == 1


def test_a_hung_inspect_is_an_error():
    cli = FakeCli(inspect=(124, "", ""))
    entries, _listed, version, error = engines.query("docker", "/usr/bin/docker", cli)
    assert (entries, version, error) == ([], None, "docker inspect timed out after 20s")


@pytest.mark.parametrize("out, message", [
    ("{not json", "docker inspect: not JSON"),
    ("[" * 100000 + "]" * 100000, "docker inspect: not JSON"),   # nested past the recursion limit
    ('{"Id": "x"}', "docker inspect: not a JSON list"),
])
def test_malformed_inspect_output_is_an_error(out, message):
    entries, _listed, _version, error = engines.query("docker", "/usr/bin/docker", FakeCli(inspect=(0, out, "")))
    assert entries == [] and error.startswith(message)


def test_huge_inspect_output_is_refused_before_parsing(monkeypatch):
    monkeypatch.setattr(engines, "MAX_OUTPUT", 1000)
    entries, _listed, _version, error = engines.query("docker", "/usr/bin/docker", FakeCli())
    assert entries == [] and "is larger than 1000" in error


def test_at_most_max_ids_are_inspected(monkeypatch):
    monkeypatch.setattr(engines, "MAX_IDS", 1)
    cli = FakeCli()
    entries, listed, _version, _error = engines.query("docker", "/usr/bin/docker", cli)
    assert cli.tail(1) == ["/usr/bin/docker", "container", "inspect", WEB] and listed == 2 and len(entries) == 1


def test_a_version_that_is_not_one_is_null():
    cli = FakeCli(version=(0, "26.1.5; echo pwned\n", ""))
    assert engines.query("docker", "/usr/bin/docker", cli)[2] is None
    cli = FakeCli(version=(1, "", "Error response from daemon"))
    assert engines.query("docker", "/usr/bin/docker", cli)[2:] == (None, None)  # the containers were read


# --- when no CLI is started ---------------------------------------------------------------------------

def touch(root, rel, content=""):
    full = os.path.join(str(root), rel.lstrip("/"))
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w") as f:
        f.write(content)


def test_docker_is_asked_only_with_a_daemon_socket_or_docker_host(tmp_path):
    root = str(tmp_path)
    assert engines.skip_reason("docker", [], root, environ={}) == "no docker daemon socket"
    assert engines.skip_reason("docker", [], root, environ={"DOCKER_HOST": "tcp://10.0.0.1:2376"}) is None
    touch(tmp_path, "/var/run/docker.sock")
    assert engines.skip_reason("docker", [], root, environ={}) is None


def test_podman_is_asked_only_with_containers_in_storage_or_cgroups(tmp_path):
    root = str(tmp_path)
    assert engines.skip_reason("podman", [], root, environ={}, euid=0) == "no podman container in storage or cgroups"
    touch(tmp_path, "/var/lib/containers/storage/overlay-containers/containers.json", "[]")
    assert engines.skip_reason("podman", [], root, environ={}, euid=0) == "no podman container in storage or cgroups"
    assert engines.skip_reason("podman", [{"runtime": "podman", "cgroup": "/machine.slice/libpod-x.scope"}], root,
                               environ={}, euid=0) is None
    rootless = {"runtime": "podman", "cgroup": "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-x.scope"}
    assert engines.skip_reason("podman", [rootless], root, environ={}, euid=0) == "no podman container in storage or cgroups"
    touch(tmp_path, "/var/lib/containers/storage/overlay-containers/containers.json", '[{"id":"%s"}]' % WEB)
    assert engines.skip_reason("podman", [], root, environ={}, euid=0) is None
    assert engines.skip_reason("podman", [], root, environ={}, euid=1000).startswith("not root")


def test_podman_storage_follows_storage_conf(tmp_path):
    root = str(tmp_path)
    touch(tmp_path, "/etc/containers/storage.conf", '[storage]\ndriver = "vfs"\ngraphroot = "/srv/podman"\n')
    touch(tmp_path, "/srv/podman/vfs-containers/containers.json", '[{"id":"%s"}]' % WEB)
    assert engines.graphroot(root, environ={}) == "/srv/podman"
    assert engines.skip_reason("podman", [], root, environ={}, euid=0) is None
    # the module's own CONTAINERS_STORAGE_CONF comes first
    touch(tmp_path, "/opt/storage.conf", "[storage]\ngraphroot = '/opt/empty'\n")
    assert engines.graphroot(root, environ={"CONTAINERS_STORAGE_CONF": "/opt/storage.conf"}) == "/opt/empty"
    # a graphroot that is not a clean absolute path falls back to the default
    touch(tmp_path, "/etc/containers/storage.conf", '[storage]\ngraphroot = "/srv/../etc"\n')
    assert engines.graphroot(root, environ={}) == engines.DEFAULT_GRAPHROOT
