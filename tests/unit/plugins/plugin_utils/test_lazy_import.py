# -*- coding: utf-8 -*-
"""lazy_import.LazyModule, and the filter files that use it: loading every filter file, as ansible-core does in
each worker that looks up any headroom.memory filter, imports none of the plan code behind them."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess
import sys

import pytest

import ansible_collections
from ansible_collections.headroom.memory.plugins.plugin_utils.lazy_import import LazyModule

FILTERS = "ansible_collections.headroom.memory.plugins.filter"
PLAN_CODE = [
    "plugin_utils.triage.engine", "plugin_utils.triage.common", "plugin_utils.remediate.plan",
    "plugin_utils.remediate.remedy_file", "plugin_utils.report.html_page", "plugin_utils.report.console_table",
    "plugin_utils.report.yaml_writer", "plugin_utils.containers.compose", "plugin_utils.containers.live",
    "plugin_utils.database.pgtune", "plugin_utils.pm2.plan", "plugin_utils.heap.plan", "plugin_utils.service_limits.plan",
]


def test_the_module_is_imported_on_the_first_attribute_read_and_kept(tmp_path, monkeypatch):
    (tmp_path / "lazy_probe_module.py").write_text("LOADS = []\nLOADS.append(1)\nVALUE = 42\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "lazy_probe_module", raising=False)
    lazy = LazyModule("lazy_probe_module")
    assert "lazy_probe_module" not in sys.modules
    assert lazy.VALUE == 42
    assert "lazy_probe_module" in sys.modules
    assert lazy.LOADS == [1]  # imported once
    with pytest.raises(AttributeError):
        lazy.MISSING  # pylint: disable=pointless-statement


def test_a_missing_module_fails_on_use_not_on_definition():
    lazy = LazyModule("headroom_no_such_module_anywhere")
    with pytest.raises(ImportError):
        lazy.anything  # pylint: disable=pointless-statement


def test_loading_every_filter_file_imports_no_plan_code():
    # a fresh interpreter: this test process has imported the plan code already
    code = (
        "import json, pkgutil, importlib, sys\n"
        "import %s as pkg\n"
        "names = [m for _f, m, ispkg in pkgutil.iter_modules(pkg.__path__) if not ispkg]\n"
        "for m in names:\n"
        "    importlib.import_module(pkg.__name__ + '.' + m).FilterModule().filters()\n"
        "print(json.dumps({'files': names, 'loaded': sorted(sys.modules)}))\n" % FILTERS)
    root = os.path.dirname(list(ansible_collections.__path__)[0])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([root] + [p for p in sys.path if p]))
    out = json.loads(subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True).stdout)
    assert {"triage", "remediate", "report_render", "containers", "pm2"} <= set(out["files"])
    prefix = "ansible_collections.headroom.memory.plugins."
    assert [m for m in PLAN_CODE if prefix + m in out["loaded"]] == []
