# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The containers filters are thin: every filter the docs name exists and passes through to plugin_utils."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.headroom.memory.plugins.filter.containers import FilterModule

F = FilterModule().filters()
FILTER_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "plugins", "filter")


def test_every_filter_has_its_doc_named_after_it():
    for name in F:
        with open(os.path.join(FILTER_DIR, "%s.yml" % name)) as f:
            doc = yaml.safe_load(f)["DOCUMENTATION"]
        assert doc["name"] == name
        assert doc["short_description"].startswith("Internal (used by the headroom.memory.containers role)")
    assert sorted(F) == ["containers_compose_edit", "containers_file_plan", "containers_kube_edit",
                         "containers_quadlet_edit"]


def test_edits_pass_through():
    r = F["containers_compose_edit"]("services:\n  web:\n    image: x\n", "web", {"memory": "512M"})
    assert r["text"] == "services:\n  web:\n    image: x\n    mem_limit: 512m\n" and r["error"] is None
    r = F["containers_kube_edit"]("kind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n", "p", "c",
                                  {"memory": "1G"})
    assert r["text"].endswith("  - name: c\n    resources:\n      limits:\n        memory: 1Gi\n")
    r = F["containers_quadlet_edit"]("[Container]\nImage=x\n", {"memory": "1G"}, "5.5.0")
    assert r["text"] == "[Container]\nImage=x\nMemory=1g\n"
    r = F["containers_quadlet_edit"]("[Container]\nImage=x\n", {"memory": "1G"})
    assert r["text"] == "[Container]\nImage=x\nPodmanArgs=--memory=1g\n"


def test_plan_turns_bad_input_into_a_filter_error():
    plan = F["containers_file_plan"]({"name": "c", "runtime": "docker", "source": {"kind": "run"}}, {"memory": "1G"})
    assert plan["kind"] == "none" and "--memory=1g" in plan["warning"]
    with pytest.raises(AnsibleFilterError, match="containers_file_plan: limits: memory is required"):
        F["containers_file_plan"]({"name": "c"}, {})
