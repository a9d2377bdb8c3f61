# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import random

import pytest
import yaml

from ansible_collections.headroom.memory.plugins.module_utils.sizes import parse_size
from ansible_collections.headroom.memory.plugins.plugin_utils.containers.kube import (
    format_quantity, kube_edit, parse_quantity)

HERE = os.path.join(os.path.dirname(__file__), "fixtures")
MI = 1024 ** 2


def fixture(name):
    with open(os.path.join(HERE, name)) as f:
        return f.read()


def docs(text):
    return list(yaml.safe_load_all(text))


@pytest.mark.parametrize("value,nbytes", [
    ("512Mi", 512 * MI), ("1Gi", 1024 * MI), ("500M", 500 * 10 ** 6), ("1G", 10 ** 9), ("1e9", 10 ** 9),
    ("0.5Gi", 512 * MI), (".5Gi", 512 * MI), ("128974848", 128974848), (128974848, 128974848), ("1k", 1000),
    ("1500m", 2), ("1Ki", 1024), ("2Ti", 2 * 1024 ** 4), ("1E", 10 ** 18), (" 64Mi ", 64 * MI),
    ("12Mb", None), ("-1Gi", None), ("1 Gi", None), ("", None), (True, None), (None, None), ("1e99", None),
])
def test_parse_quantity(value, nbytes):
    assert parse_quantity(value) == nbytes


@pytest.mark.parametrize("nbytes,text", [(512 * MI, "512Mi"), (2048 * MI, "2Gi"), (1536 * 1024, "1536Ki"),
                                         (1000, "1000"), (1024 ** 4, "1Ti")])
def test_format_quantity(nbytes, text):
    assert format_quantity(nbytes) == text
    assert parse_quantity(text) == nbytes


def test_empty_resources_become_a_block_and_nothing_else_moves():
    text = fixture("kube_multi.k8s.txt")
    r = kube_edit(text, "web", "nginx", {"memory": "512M"})
    assert r["error"] is None and r["changed"] and r["form"] == "resources"
    assert r["key"] == "Deployment/web.containers[nginx].resources.limits.memory"
    assert r["text"] == text.replace("        resources: {}\n",
                                     "        resources:\n          limits:\n            memory: 512Mi\n")


def test_request_above_the_new_limit_is_lowered_and_said():
    text = fixture("kube_multi.k8s.txt")
    r = kube_edit(text, "Deployment/web", "exporter", {"memory": "768M"})
    assert r["error"] is None
    assert r["text"] == text.replace('            memory: "1Gi"\n', '            memory: "768Mi"\n').replace(
        "            memory: 2Gi\n", "            memory: 768Mi\n")
    assert r["notes"] == ["manifest, Deployment/web container exporter: resources.requests.memory 1Gi was above the "
                          "new limit; lowered to it"]


def test_request_below_the_limit_is_kept():
    text = fixture("kube_multi.k8s.txt")
    r = kube_edit(text, "web", "exporter", {"memory": "4G"})
    assert docs(r["text"])[1]["spec"]["template"]["spec"]["containers"][1]["resources"] == {
        "requests": {"cpu": "50m", "memory": "1Gi"}, "limits": {"cpu": "100m", "memory": "4Gi"}}
    assert r["notes"] == []


def test_cronjob_decimal_quantity_and_idempotence():
    text = fixture("kube_multi.k8s.txt")
    same = kube_edit(text, "nightly", "report", {"memory": "500000000"})
    assert same["changed"] is False and same["error"] is None and same["text"] == text
    r = kube_edit(text, "CronJob/nightly", "report", {"memory": "1G", "memory_reservation": "256M"})
    assert "                limits:\n                  memory: 1Gi\n                requests:\n" \
           "                  memory: 256Mi\n---\n" in r["text"]
    assert kube_edit(r["text"], "nightly", "report", {"memory": "1G", "memory_reservation": "256M"})["changed"] is False


def test_crlf_manifest_keeps_its_line_ends():
    text = fixture("kube_multi.k8s.txt").replace("\n", "\r\n")
    r = kube_edit(text, "web", "nginx", {"memory": "512M"})
    assert "        resources:\r\n          limits:\r\n            memory: 512Mi\r\n" in r["text"]
    assert r["text"].count("\n") == r["text"].count("\r\n")


def test_pod_container_without_resources():
    text = fixture("kube_multi.k8s.txt")
    r = kube_edit(text, "Pod/debug", "shell", {"memory": "64M"})
    assert "    - name: shell\n      image: busybox\n      resources:\n        limits:\n          memory: 64Mi\n---\n" \
        in r["text"]
    assert [d for i, d in enumerate(docs(r["text"])) if i != 3] == [d for i, d in enumerate(docs(text)) if i != 3]


@pytest.mark.parametrize("workload,container,limits,words", [
    ("db", "postgres", {"memory": "1G"}, "has 2 workloads named db: document 5 (StatefulSet in namespace shop), "
                                         "document 6 (StatefulSet in namespace staging)"),
    ("web", "nope", {"memory": "1G"}, "Deployment/web has no container named nope (it has: nginx, exporter)"),
    ("Pod/web", "nginx", {"memory": "1G"}, "manifest has no Pod named web"),
    ("Service/web", "nginx", {"memory": "1G"}, "workload kind 'Service' is not one of"),
    ("Web_1", "nginx", {"memory": "1G"}, "workload name 'Web_1' is not a Kubernetes object name"),
    ("web", "Nginx", {"memory": "1G"}, "container name 'Nginx' is not a Kubernetes container name"),
    ("web", "nginx", {"memory": "1G", "memory_swap": "2G"}, "Kubernetes has no per-container swap limit"),
    ("web", "nginx", {"memory": "huge"}, "size 'huge' is not understood"),
    (None, "nginx", {"memory": "1G"}, "workload None must be a name or Kind/name"),
])
def test_refusals(workload, container, limits, words):
    text = fixture("kube_multi.k8s.txt")
    r = kube_edit(text, workload, container, limits)
    assert r["changed"] is False and r["text"] == text and words in r["error"], r["error"]


@pytest.mark.parametrize("text,words", [
    ("kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    resources:\n      limits:\n"
     "        memory: lots\n", "resources.limits.memory 'lots' is not a Kubernetes quantity"),
    ("kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: c, image: x}\n", "is a flow mapping"),
    ("kind: Pod\nmetadata: {name: p}\nspec: {}\n", "Pod/p has no spec.containers list"),
    ("kind: Deployment\nmetadata: {name: p}\nspec:\n  replicas: 1\n", "Deployment/p has no spec.template mapping"),
    ("kind: Pod\nmetadata: {name: p}\nspec:\n  containers: [\n", "manifest is not valid YAML"),
    ("x: &c\n  name: c\n  image: x\n---\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n"
     "    resources:\n      limits: &l\n        memory: 1Gi\n  - name: d\n    resources:\n      limits: *l\n",
     "is shared through an anchor"),
    ("kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: !custom x\n",
     "manifest cannot be read as plain YAML data"),
    ("kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    resources:\n      limits: {}\n"
     "      requests:\n        memory: 1Gi\n", None),
])
def test_unsafe_manifests(text, words):
    r = kube_edit(text, "p", "c", {"memory": "512M"})
    if words is None:  # the control case: an empty limits mapping becomes a block, the request is lowered
        assert r["text"] == text.replace("limits: {}\n", "limits:\n        memory: 512Mi\n").replace(
            "memory: 1Gi", "memory: 512Mi")
        return
    assert r["changed"] is False and words in r["error"], r["error"]


def test_fuzz_other_documents_and_containers_never_change():
    rng = random.Random(28)
    for _round in range(150):
        n = rng.randint(1, 4)
        names = ["c%d" % i for i in range(n)]
        lines = ["# fuzz", "apiVersion: apps/v1", "kind: %s" % rng.choice(["Deployment", "StatefulSet", "DaemonSet"]),
                 "metadata:", "  name: app", "spec:", "  template:", "    spec:", "      containers:"]
        dash = rng.choice(["      - ", "        - "])
        for name in names:
            lines.append("%sname: %s" % (dash, name))
            pad = " " * len(dash)
            lines.append("%simage: img" % pad)
            shape = rng.choice(["none", "empty", "limits", "requests", "both"])
            if shape == "empty":
                lines.append("%sresources: {}" % pad)
            elif shape != "none":
                lines.append("%sresources:" % pad)
                if shape in ("requests", "both"):
                    lines += ["%s  requests:" % pad, "%s    memory: %s" % (pad, rng.choice(["64Mi", '"2Gi"', "1G"]))]
                if shape in ("limits", "both"):
                    lines += ["%s  limits:" % pad, "%s    memory: %s" % (pad, rng.choice(["128Mi", "'3Gi'", "2e9"]))]
            if rng.random() < 0.4:
                lines.append("%s# about %s" % (pad, name))
        text = "\n".join(lines) + "\n---\nkind: Service\nmetadata: {name: app}\n"
        target = rng.choice(names)
        limit = rng.choice(["256M", "1G", "1536M"])
        r = kube_edit(text, "app", target, {"memory": limit})
        assert r["error"] is None, (text, r["error"])
        old, new = docs(text), docs(r["text"])
        assert new[1] == old[1]
        oc, nc = old[0]["spec"]["template"]["spec"]["containers"], new[0]["spec"]["template"]["spec"]["containers"]
        for o, c in zip(oc, nc):
            if o["name"] != target:
                assert o == c
            else:
                assert parse_quantity(c["resources"]["limits"]["memory"]) == parse_size(limit)
                request = (c["resources"].get("requests") or {}).get("memory")
                assert request is None or parse_quantity(request) <= parse_quantity(c["resources"]["limits"]["memory"])
        assert kube_edit(r["text"], "app", target, {"memory": limit})["changed"] is False
