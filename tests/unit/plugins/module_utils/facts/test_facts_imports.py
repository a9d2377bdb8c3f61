# -*- coding: utf-8 -*-
"""What memory_facts' default call imports on the target: AnsiballZ ships source, so every module imported is
compiled on every run. Code only some calls need waits until they need it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess
import sys

import ansible_collections

MU = "ansible_collections.headroom.memory.plugins.module_utils."


def _loaded_after(code):
    """sys.modules of a fresh interpreter after ``code`` (this test process has imported everything)."""
    root = os.path.dirname(list(ansible_collections.__path__)[0])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([root] + [p for p in sys.path if p]))
    code += "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))\n"
    return json.loads(subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True).stdout)


def test_the_module_and_a_process_walk_without_command_lines_import_no_redaction_nor_database_parsers():
    loaded = _loaded_after(
        "from ansible_collections.headroom.memory.plugins.modules import memory_facts\n"
        "from ansible_collections.headroom.memory.plugins.module_utils.facts import processes, settings\n"
        "entries = processes.scan('/proc')\n"
        "processes.read_processes('/proc', 5, False, entries=entries)\n"
        "settings.read_databases('/proc', '', [e for e in entries if e.get('comm') not in settings.ENGINES])\n")
    assert MU + "facts.processes" in loaded
    assert MU + "redact" not in loaded
    assert MU + "database.conf" not in loaded


def test_command_lines_and_a_database_server_import_them_when_needed():
    loaded = _loaded_after(
        "from ansible_collections.headroom.memory.plugins.module_utils.facts import processes, settings\n"
        "processes.read_processes('/proc', 5, True)\n"
        "settings.redis(settings.config_files.Reader(''), {'pid': 1}, ['redis-server'])\n")
    assert MU + "redact" in loaded
    assert MU + "database.conf" in loaded
