# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import random

import pytest

from ansible_collections.headroom.memory.plugins.plugin_utils.containers.quadlet import (
    effective, parse_unit, quadlet_edit)

HERE = os.path.join(os.path.dirname(__file__), "fixtures")


def fixture(name):
    with open(os.path.join(HERE, name)) as f:
        return f.read()


def test_short_flag_in_podman_args_is_changed_in_place_and_swap_appended():
    text = fixture("web.container")
    r = quadlet_edit(text, {"memory": "512M", "memory_swap": "1G"}, "5.4.2")
    assert r["error"] is None and r["changed"] and r["form"] == "podman_args"
    assert r["text"] == text.replace("-m 256M", "-m 512M").replace(
        '  "exec httpd -f"\n', '  "exec httpd -f"\nPodmanArgs=--memory-swap=1G\n')
    assert r["keys"] == ["Container.PodmanArgs --memory", "Container.PodmanArgs --memory-swap"]
    assert r["notes"] == ["quadlet file: [Service] MemoryMax=2G also limits the whole unit (conmon and the "
                          "container); left as it is"]


def test_same_size_changes_nothing():
    text = fixture("web.container")
    r = quadlet_edit(text, {"memory": "256m"})
    assert r["changed"] is False and r["text"] == text and r["error"] is None


def test_plain_file_gets_podman_args_on_trixie_and_memory_key_from_5_5():
    text = fixture("plain.container")
    old = quadlet_edit(text, {"memory": "1G", "memory_reservation": "512M"}, "5.4.2")
    assert old["form"] == "podman_args"
    assert old["text"] == text.replace("Environment=MODE=batch\n",
                                       "Environment=MODE=batch\nPodmanArgs=--memory=1g --memory-reservation=512m\n")
    unknown = quadlet_edit(text, {"memory": "1G", "memory_reservation": "512M"})
    assert unknown["text"] == old["text"]
    new = quadlet_edit(text, {"memory": "1G", "memory_reservation": "512M"}, "5.5.0")
    assert new["form"] == "memory_key" and new["key"] == "Container.Memory"
    assert new["text"] == text.replace("Environment=MODE=batch\n",
                                       "Environment=MODE=batch\nMemory=1g\nPodmanArgs=--memory-reservation=512m\n")
    assert quadlet_edit(new["text"], {"memory": "1G", "memory_reservation": "512M"}, "5.5.0")["changed"] is False
    assert quadlet_edit(old["text"], {"memory": "1G", "memory_reservation": "512M"}, "5.5.0")["changed"] is False


def test_memory_key_is_kept_where_the_file_uses_it():
    text = fixture("memory_key.container")
    r = quadlet_edit(text, {"memory": "2G"}, "5.6.1")
    assert r["text"] == text.replace("Memory=1g", "Memory=2g") and r["form"] == "memory_key"


def test_memory_key_on_a_podman_that_does_not_know_it_is_refused():
    text = fixture("memory_key.container")
    r = quadlet_edit(text, {"memory": "2G"}, "5.4.2")
    assert "uses Memory=, which podman 5.4.2 does not know (it came with 5.5)" in r["error"]
    assert r["text"] == text and r["changed"] is False


@pytest.mark.parametrize("text,limits,version,words", [
    (fixture("continued.container"), {"memory": "1G"}, None, "continued over lines 3-4 with backslashes"),
    (fixture("plain.container"), {"memory": "1G"}, "4.3.1", "podman 4.3.1 has no quadlet (it came with 4.4)"),
    (fixture("plain.container"), {"memory": "1G"}, "five", "podman version 'five' is not a version"),
    ("[Container]\nImage=x\nMemory=1g\nMemory=2g\n", {"memory": "1G"}, None, "sets Memory= 2 times"),
    ("[Container]\nImage=x\nPodmanArgs=--memory=1g\nPodmanArgs=-m 2g\n", {"memory": "1G"}, None,
     "gives --memory twice"),
    ("[Container]\nImage=x\nPodmanArgs=--memory=1g --label 'a b'\n", {"memory": "2G"}, None, "holds quotes"),
    ("[Container]\nImage=x\nPodmanArgs=--memory\n", {"memory": "2G"}, None, "ends with --memory and no value"),
    ("[Unit]\nDescription=x\n", {"memory": "2G"}, None, "has 0 [Container] sections"),
    ("[Container]\nImage=x\n[Container]\nExec=y\n", {"memory": "2G"}, None, "has 2 [Container] sections"),
    ("Image=x\n[Container]\n", {"memory": "2G"}, None, "line 1 comes before any [section]"),
    ("[Container]\nImage x\n", {"memory": "2G"}, None, "line 2 'Image x' is neither a section"),
    ("[Container]\nImage=x\n", {"memory": "2G", "memory_swap": "1G"}, None, "cannot be less than memory"),
    (None, {"memory": "2G"}, None, "quadlet: the file's text must be a string"),
    ("[Container]\nImage=x\nMemory=${MEM}\n", {"memory": "2G"}, "5.5.0", "Memory= is '${MEM}', a variable or specifier"),
    ("[Container]\nImage=x\nPodmanArgs=--memory=%i\n", {"memory": "2G"}, None, "--memory is '%i', a variable"),
    ("[Container]\r\nImage=x\rMemory=1g\n", {"memory": "2G"}, None, "mixes"),
])
def test_refusals(text, limits, version, words):
    r = quadlet_edit(text, limits, version)
    assert r["changed"] is False and words in r["error"], r["error"]
    if isinstance(text, str):
        assert r["text"] == text


def test_flag_forms_are_read_and_kept():
    text = "[Container]\nImage=x\nPodmanArgs=--memory 256m -m=1g --memory-swap=-1 --memory-reservation=64m\n"
    assert effective(text) == {"memory": "1g", "memory_swap": "-1", "memory_reservation": "64m"}
    r = quadlet_edit("[Container]\nImage=x\nPodmanArgs=--memory=256m -d\n", {"memory": "2G", "memory_swap": "-1"})
    assert r["text"] == "[Container]\nImage=x\nPodmanArgs=--memory=2g -d\nPodmanArgs=--memory-swap=-1\n"
    r = quadlet_edit("[Container]\nImage=x\nPodmanArgs=-m512m\n", {"memory": "1G"})
    assert r["text"] == "[Container]\nImage=x\nPodmanArgs=-m1g\n"


def test_comment_inside_a_continuation_is_skipped_as_quadlet_does():
    lines, entries, sections = parse_unit("[Container]\nExec=a \\\n# note\n  b\nImage=x")
    assert [(e.key, e.value, e.first, e.last) for e in entries] == [("Exec", "a b", 1, 3), ("Image", "x", 4, 4)]
    assert sections == ["Container"] and len(lines) == 5


def test_crlf_file_keeps_its_line_ends():
    text = "[Container]\r\nImage=x\r\nPodmanArgs=-m 1g\r\n"
    r = quadlet_edit(text, {"memory": "2G", "memory_swap": "4G"})
    assert r["text"] == "[Container]\r\nImage=x\r\nPodmanArgs=-m 2g\r\nPodmanArgs=--memory-swap=4g\r\n"
    same = quadlet_edit(r["text"], {"memory": "2G", "memory_swap": "4G"})
    assert same["changed"] is False and same["text"] == r["text"]


def test_file_without_trailing_newline_and_empty_container_section():
    r = quadlet_edit("[Container]\nImage=x", {"memory": "1G"})
    assert r["text"] == "[Container]\nImage=x\nPodmanArgs=--memory=1g\n"
    r = quadlet_edit("[Container]\n\n[Service]\nRestart=always\n", {"memory": "1G"})
    assert r["text"] == "[Container]\nPodmanArgs=--memory=1g\n\n[Service]\nRestart=always\n"


def test_fuzz_only_the_memory_settings_change():
    rng = random.Random(5)
    for _ in range(200):
        body = ["[Unit]", "Description=x", "", "[Container]", "Image=img"]
        flags = rng.sample(["--pids-limit=10", "-m 256m", "--memory=1G", "--memory-swap=2g", "--log-level=info",
                            "--memory-reservation 64m", "-d"], rng.randint(0, 3))
        if sum(f.startswith(("-m", "--memory ", "--memory=")) for f in flags) > 1:
            continue
        if flags:
            body.append("PodmanArgs=%s" % " ".join(flags))
        if rng.random() < 0.5:
            body.append("# a comment")
        body += ["Environment=A=1", "", "[Install]", "WantedBy=default.target"]
        text = "\n".join(body) + "\n"
        limits = {"memory": rng.choice(["512M", "1G", "3G"])}
        if rng.random() < 0.5:
            limits["memory_swap"] = "4G"
        r = quadlet_edit(text, limits, rng.choice([None, "4.9.3", "5.4.2", "5.5.2"]))
        assert r["error"] is None, (text, r["error"])
        assert [x for x in text.splitlines() if "PodmanArgs" not in x and "Memory=" not in x] == \
            [x for x in r["text"].splitlines() if "PodmanArgs" not in x and "Memory=" not in x]
        assert quadlet_edit(r["text"], limits, "5.5.2")["changed"] is False


def test_self_check_stops_an_edit_that_changes_anything_else(monkeypatch):
    from ansible_collections.headroom.memory.plugins.plugin_utils.containers import quadlet
    real = quadlet.parse_unit
    calls = []

    def parse(text):
        calls.append(text)
        return real(text.replace("Image=x", "Image=y") if len(calls) > 1 and "--memory" in text else text)
    monkeypatch.setattr(quadlet, "parse_unit", parse)
    r = quadlet_edit("[Container]\nImage=x\n", {"memory": "1G"})
    assert r["error"] == "quadlet file: the edit would change more than the memory settings; nothing was changed"
    assert r["text"] == "[Container]\nImage=x\n"
