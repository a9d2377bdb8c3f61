# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The user-space killer plan: earlyoom's prefer/avoid lists and command line, systemd-oomd's checks,
cgroup v2 detection, the role's input checks, and the closure of the modules the collector ships."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast
import os
import re
import subprocess

import pytest
import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.headroom.memory.plugins.filter.early_warning import FilterModule
from ansible_collections.headroom.memory.plugins.plugin_utils.early_warning import killer as K
from ansible_collections.headroom.memory.plugins.plugin_utils.early_warning.inputs import input_errors

HERE = os.path.dirname(__file__)
ROOT = os.path.join(HERE, "..", "..", "..", "..", "..")
ROLE = os.path.join(ROOT, "roles", "early_warning")
MODULE_UTILS = os.path.join(ROOT, "plugins", "module_utils")
F = FilterModule().filters()

SHOW = """Id=postgresql@15-main.service
OOMScoreAdjust=-900
MemoryMax=infinity
MemoryLimit=infinity
ExecStart={ path=/usr/bin/pg_ctlcluster ; argv[]=/usr/bin/pg_ctlcluster 15-main start ; ignore_errors=no ; pid=0 }

Id=worker.service
OOMScoreAdjust=0
MemoryMax=1073741824
MemoryLimit=infinity
ExecStart={ path=/opt/app/bin/my.worker+2 ; argv[]=/opt/app/bin/my.worker+2 ; ignore_errors=no }

Id=both.service
OOMScoreAdjust=-100
MemoryMax=536870912
MemoryLimit=infinity
ExecStart={ path=/usr/sbin/both ; argv[]=/usr/sbin/both ; ignore_errors=no }

Id=nothing.service
OOMScoreAdjust=0
MemoryMax=infinity
MemoryLimit=infinity
ExecStart={ path=/usr/bin/plain ; argv[]=/usr/bin/plain ; ignore_errors=no }

Id=weird.service
OOMScoreAdjust=-500
MemoryMax=infinity
MemoryLimit=infinity
ExecStart={ path=/usr/bin/we ird ; argv[]=x ; ignore_errors=no }
"""

V1_HYBRID = """25 30 0:22 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
26 25 0:23 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw
27 25 0:24 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,memory
"""
V1 = """27 25 0:24 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,memory
"""
V2 = """30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate
"""


def test_units_from_show():
    units = K.units_from_show(SHOW)
    assert [u["unit"] for u in units] == ["postgresql@15-main.service", "worker.service", "both.service",
                                          "nothing.service", "weird.service"]
    assert units[0] == {"unit": "postgresql@15-main.service", "oom_score_adjust": -900, "memory_max": None,
                        "exec_path": "/usr/bin/pg_ctlcluster"}
    assert units[1]["memory_max"] == 1073741824


def test_lists_avoid_protected_prefer_bounded():
    prefer, avoid = K.earlyoom_lists(K.units_from_show(SHOW), prefer=["chrome"], avoid=["sshd", "chrome"])
    assert avoid == ["both", "chrome", "pg_ctlcluster", "sshd"]   # protected wins over bounded, avoid over prefer
    assert prefer == ["my.worker+2"]
    assert "we ird" not in avoid + prefer                         # not a usable process name: left out


def test_lists_are_bounded():
    units = [{"unit": "u%d.service" % i, "oom_score_adjust": 0, "memory_max": 1, "exec_path": "/bin/p%02d" % i}
             for i in range(50)]
    prefer, _avoid = K.earlyoom_lists(units, limit=32)
    assert len(prefer) == 32


def test_comm_is_cut_like_the_kernel():
    assert K.comm_of("/usr/lib/jvm/bin/gnome-control-center") == "gnome-control-c"
    assert K.comm_of(None) is None


@pytest.mark.parametrize("names,regex", [
    (["sshd"], "^(sshd)$"),
    (["my.worker+2", "a$b"], "^(my[.]worker[+]2|a[$]b)$"),
    ([], None),
])
def test_ere_names(names, regex):
    assert K.ere_names(names) == regex


def test_ere_matches_only_the_names():
    # grep -E is a POSIX ERE like earlyoom's regcomp(REG_EXTENDED)
    regex = K.ere_names(["my.worker+2", "pg_ctlcluster"])
    candidates = "my.worker+2\nmyxworker+2\nmy.workerr2\npg_ctlcluster\npg_ctlclusterX\n"
    out = subprocess.run(["grep", "-E", regex], input=candidates.encode(), capture_output=True, check=False).stdout.decode()
    assert out.split() == ["my.worker+2", "pg_ctlcluster"]
    assert "\\" not in regex


def settings(**over):
    base = {"mem_term_percent": 10, "mem_kill_percent": 5, "swap_term_percent": 10, "swap_kill_percent": 5,
            "mem_term_kib": None, "mem_kill_kib": None, "report_interval": 3600}
    base.update(over)
    return base


def test_argv_and_exec_start():
    argv = K.earlyoom_argv(settings(mem_term_kib=1000, mem_kill_kib=500), ["hog"], ["keeper"])
    assert argv == ["-m", "10,5", "-s", "10,5", "-M", "1000,500", "-r", "3600", "--prefer", "^(hog)$",
                    "--avoid", "^(keeper)$"]
    line = K.exec_start("/usr/bin/earlyoom", argv)
    assert line.endswith("--prefer ^(hog)$$ --avoid ^(keeper)$$")  # systemd would expand a single $


@pytest.mark.parametrize("over,words", [
    ({"mem_term_percent": 0}, "mem_term_percent"),
    ({"mem_term_percent": 100}, "mem_term_percent"),
    ({"mem_kill_percent": 20}, "must not be above mem_term_percent"),
    ({"swap_term_percent": "10"}, "swap_term_percent"),
    ({"mem_kill_kib": 10}, "needs mem_term_kib"),
    ({"mem_term_kib": 10, "mem_kill_kib": 20}, "must not be above mem_term_kib"),
    ({"report_interval": -1}, "report_interval"),
])
def test_earlyoom_errors(over, words):
    errors = K.earlyoom_errors(settings(**over))
    assert any(words in e for e in errors), errors


@pytest.mark.parametrize("names", [["sshd;rm -rf /"], ["a b"], ["x" * 16], [""], ["$(id)"], "sshd", [3]])
def test_bad_process_names(names):
    assert K.name_errors(names, "early_warning_earlyoom_avoid")


@pytest.mark.parametrize("text,version", [(V1_HYBRID, "hybrid"), (V1, "1"), (V2, "2"), ("", None)])
def test_cgroup_version(text, version):
    assert F["early_warning_cgroup_version"](text) == version


def test_oomd_errors():
    assert K.oomd_errors(["system.slice", "app.service"], 60, "30s", 90) == []
    errors = K.oomd_errors(["../etc/passwd", "x.socket"], 0, "30 s", 100)
    assert len(errors) == 5
    assert K.oomd_errors([], 60, "2min", 90) == ["early_warning_oomd_units is empty: systemd-oomd would watch nothing"]


@pytest.fixture(scope="module")
def defaults():
    with open(os.path.join(ROLE, "defaults", "main.yml")) as f:
        return yaml.safe_load(f)


@pytest.mark.parametrize("key,value", [
    ("early_warning_textfile_dir", "relative/dir"),
    ("early_warning_textfile_dir", "/var/lib/../../etc"),
    ("early_warning_install_dir", "/usr/local/lib/a b"),
    ("early_warning_state_dir", "/var/lib/x$(id)"),
    ("early_warning_rules_dest", "/etc/prometheus/%i.yml"),
    ("early_warning_textfile_name", "metrics.txt"),
    ("early_warning_textfile_name", "../x.prom"),
    ("early_warning_interval", 1),
    ("early_warning_interval", "60"),
    ("early_warning_top_units", -1),
    ("early_warning_oom_sources", ["kmsg", "files"]),
    ("early_warning_oom_sources", []),
    ("early_warning_rules_validate", "yes"),
    ("early_warning_killer", "both"),
    ("early_warning_collector", "maybe"),
    ("early_warning_earlyoom_prefer", ["a|b"]),
    ("early_warning_oomd_units", ["system.slice", "evil\n.slice"]),
])
def test_every_bad_input_is_named(defaults, key, value):
    errors = input_errors(dict(defaults, **{key: value}))
    shown = repr(value[-1] if isinstance(value, list) and value else value)
    assert errors and any(key in e and shown in e for e in errors), errors


def test_filter_plans_earlyoom(defaults):
    plan = F["early_warning_earlyoom"](SHOW, dict(defaults, early_warning_earlyoom_avoid=["sshd"]))
    assert plan["avoid"] == ["both", "pg_ctlcluster", "sshd"]
    assert plan["prefer"] == ["my.worker+2"]
    assert plan["exec_start"].startswith("/usr/bin/earlyoom -m 10,5 -s 10,5 -r 3600 --prefer ")
    off = F["early_warning_earlyoom"](SHOW, dict(defaults, early_warning_earlyoom_from_units=False))
    assert off["prefer"] == off["avoid"] == [] and "--prefer" not in off["argv"]
    with pytest.raises(AnsibleFilterError):
        F["early_warning_earlyoom"]("", dict(defaults, early_warning_earlyoom_prefer=["a b"]))


def test_filter_names():
    assert sorted(F) == ["early_warning_cgroup_version", "early_warning_earlyoom", "early_warning_errors",
                         "early_warning_netdata", "early_warning_rules"]


def collection_imports(path):
    """The module_utils files a file imports (at any depth of the code), as paths relative to module_utils."""
    with open(path) as f:
        tree = ast.parse(f.read())
    prefix = "ansible_collections.headroom.memory.plugins.module_utils."
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(prefix):
            found.add(node.module[len(prefix):].replace(".", "/") + ".py")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(prefix):
                    found.add(alias.name[len(prefix):].replace(".", "/") + ".py")
    return found


def test_shipped_modules_are_closed_under_imports():
    with open(os.path.join(ROLE, "vars", "main.yml")) as f:
        shipped = set(yaml.safe_load(f)["__early_warning_modules"])
    for rel in shipped:
        assert os.path.isfile(os.path.join(MODULE_UTILS, rel)), rel
        missing = collection_imports(os.path.join(MODULE_UTILS, rel)) - shipped
        assert not missing, "%s imports %s, which the role does not copy" % (rel, sorted(missing))
    pkgs = set(os.path.dirname(rel) for rel in shipped if os.path.dirname(rel))
    for pkg in pkgs:
        assert pkg + "/__init__.py" in shipped
    # the entry point (templates/collect.py.j2) imports the collector itself: test_ew_collect renders and runs it
    assert not re.search(r"^\s*(from|import) ansible(\.|\s)", open(os.path.join(MODULE_UTILS, "early_warning", "collect.py")).read(), re.M)
