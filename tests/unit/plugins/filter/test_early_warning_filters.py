# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The early_warning_rules filter's result survives being used as a fact: its Prometheus templates are
written as they are, never templated again by Ansible (ansible-core 2.16 did, and failed on '$'). The
core216 stage of make test runs this file on ansible-core 2.16."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import yaml

from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

try:  # ansible-core 2.19+ templates only strings marked as trusted templates; 2.16 templates every string
    from ansible.template import trust_as_template
except ImportError:
    def trust_as_template(text):
        return text

from ansible_collections.headroom.memory.plugins.filter.early_warning import FilterModule

F = FilterModule().filters()
ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..")
DEFAULTS = os.path.join(ROOT, "roles", "early_warning", "defaults", "main.yml")


def test_rules_fact_renders_with_its_prometheus_templates_intact():
    with open(DEFAULTS) as f:
        inputs = yaml.safe_load(f)
    rules = F["early_warning_rules"](inputs)
    # the role's set_fact, then the copy task's content: the fact's strings must not be templated again
    templar = Templar(loader=DataLoader(), variables={"early_warning_rules": rules})
    text = templar.template(trust_as_template("{{ early_warning_rules | to_nice_yaml(indent=2, width=1000) }}"))
    written = yaml.safe_load(text)
    annotations = [r["annotations"] for g in written["groups"] for r in g["rules"] if "annotations" in r]
    assert annotations, "the rules file has no annotations to check"
    assert any("{{ $labels.instance }}" in a.get("summary", "") + a.get("description", "") for a in annotations)
    assert written["groups"][0]["name"] == rules["groups"][0]["name"]
    assert len(written["groups"][0]["rules"]) == len(rules["groups"][0]["rules"])
