# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pm2 filters are thin: they pass through to plugin_utils/pm2 and name bad input."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.headroom.memory.plugins.filter.pm2 import FilterModule

F = FilterModule().filters()


def test_edit_passes_through():
    out = F["pm2_ecosystem_edit"]('{"apps": [{"name": "api", "script": "a.js"}]}', "json", "api",
                                  {"max_memory_restart": "300M"})
    assert out["changed"] and out["error"] is None
    assert out["text"] == '{"apps": [{"name": "api", "script": "a.js", "max_memory_restart": "300M"}]}'


def test_format():
    assert F["pm2_ecosystem_format"]("/srv/app/ecosystem.config.cjs") == "js"
    with pytest.raises(AnsibleFilterError, match="is not an ecosystem file name"):
        F["pm2_ecosystem_format"]("/srv/app/pm2.toml")


def test_plan():
    facts = {"memory": {"total_mb": 1024}, "cgroup": {}, "process_groups": [{"comm": "node", "rss_mb": 100}]}
    out = F["pm2_plan"]({"name": "api", "instances": 1, "memory_mb": 100}, facts, max_memory_restart="300M")
    assert out["errors"] == [] and out["max_old_space_size"] == 225
    with pytest.raises(AnsibleFilterError, match="ansible_facts"):
        F["pm2_plan"]({"name": "api"}, None)
