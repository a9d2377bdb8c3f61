# -*- coding: utf-8 -*-
"""Worker pool settings read on the target: Debian's own php-fpm and Apache files (fixtures taken from
php8.2-fpm and apache2 of bookworm), the forms gunicorn takes its worker count in, and planted files."""

import os
import shutil
from pathlib import Path

import pytest

from ansible_collections.headroom.memory.plugins.module_utils import config_files
from ansible_collections.headroom.memory.plugins.module_utils.facts.settings import read_workers
from ansible_collections.headroom.memory.plugins.module_utils.workers import conf
from ansible_collections.headroom.memory.tests.unit.plugins.module_utils.facts.test_processes import add_process

ROOT = Path(__file__).resolve().parents[3] / "fixtures" / "workers" / "root"
PHP_CONF = "/etc/php/8.2/fpm/php-fpm.conf"
POOL_D = "etc/php/8.2/fpm/pool.d"


def tree(tmp_path):
    root = tmp_path / "root"
    shutil.copytree(str(ROOT), str(root))
    return root


def php(root):
    r = config_files.Reader(str(root))
    return conf.php_fpm_settings(r, PHP_CONF), r


def test_debian_php_fpm_pool_as_shipped():
    settings, r = php(ROOT)
    assert settings == {"pools": [{"name": "www", "pm": "dynamic", "max_children": 5}], "max_children": 5}
    assert r.files == 2 and r.problems == []


def test_every_pool_of_every_included_file_adds_up(tmp_path):
    root = tree(tmp_path)
    (root / POOL_D / "api.conf").write_text("[api]\npm = static ; fixed\npm.max_children = \"12\"\n[admin]\n"
                                            "pm=ondemand\npm.max_children=3\n")
    (root / POOL_D / "notes.txt").write_text("[ignored]\npm.max_children = 500\n")  # not *.conf
    settings, _r = php(root)
    assert settings["pools"] == [{"name": "admin", "pm": "ondemand", "max_children": 3},
                                 {"name": "api", "pm": "static", "max_children": 12},
                                 {"name": "www", "pm": "dynamic", "max_children": 5}]
    assert settings["max_children"] == 20


def test_a_commented_setting_does_not_count_and_the_last_one_wins(tmp_path):
    root = tree(tmp_path)
    with open(str(root / POOL_D / "www.conf"), "a") as f:
        f.write(";pm.max_children = 900\n# pm.max_children = 800\npm.max_children = 40\n")
    assert php(root)[0]["max_children"] == 40


def test_a_pool_without_max_children_or_with_text_leaves_the_total_unknown(tmp_path):
    root = tree(tmp_path)
    (root / POOL_D / "odd.conf").write_text("[odd]\npm.max_children = ${CHILDREN}\n[bad name!]\npm = turbo\n")
    settings, r = php(root)
    by_name = dict((p["name"], p) for p in settings["pools"])
    assert by_name["odd"]["max_children"] is None
    assert by_name[None] == {"name": None, "pm": None, "max_children": None}
    assert settings["max_children"] is None
    assert any("not a number" in p for p in r.problems) and any("plain word" in p for p in r.problems)
    assert not any("CHILDREN" in p or "bad name" in p for p in r.problems)


def test_php_fpm_config_comes_from_the_title_else_debian():
    assert conf.php_fpm_config("php-fpm8.2", ["php-fpm: master process (/srv/php/fpm.conf)"]) == "/srv/php/fpm.conf"
    assert conf.php_fpm_config("php-fpm8.4", ["php-fpm: pool www"]) == "/etc/php/8.4/fpm/php-fpm.conf"
    assert conf.php_fpm_config("php-fpm", ["php-fpm: master process (relative.conf)"]) is None


@pytest.mark.parametrize("pattern, step", [
    ("/etc/x/pool.d/*.conf", ("dir", "/etc/x/pool.d", ("", ".conf"))),
    ("/etc/x/pool.d/web-*", ("dir", "/etc/x/pool.d", ("web-", ""))),
    ("pool.d/*.conf", ("dir", "/base/pool.d", ("", ".conf"))),
    ("/etc/x/one.conf", ("include", "/etc/x/one.conf", False)),
    ("/etc/*/pool.d/*.conf", ("include", "", False)),
    ("/etc/x/[ab].conf", ("include", "", False)),
    ("/etc/x/*a*.conf", ("include", "", False)),
    ("", ("include", "", True)),
])
def test_include_patterns(pattern, step):
    assert conf._include("/base", pattern) == step


def test_a_prefix_pattern_lists_only_matching_entries(tmp_path):
    d = tmp_path / "d"
    d.mkdir()
    for name in ("web-a.conf", "web-", "api.conf", "web-b.conf"):
        (d / name).write_text("x")
    r = config_files.Reader()
    assert r.listdir(str(d), ".conf", "web-") == ["web-a.conf", "web-b.conf"]


def test_a_fifo_pool_file_does_not_block_and_an_include_loop_ends(tmp_path):
    root = tree(tmp_path)
    os.mkfifo(str(root / POOL_D / "fifo.conf"))
    with open(str(root / POOL_D / "www.conf"), "a") as f:
        f.write("[global]\ninclude=/etc/php/8.2/fpm/php-fpm.conf\n")
    settings, r = php(root)
    assert settings["max_children"] == 5
    assert any("not a regular file" in p for p in r.problems)


# --- Apache ---

def apache(root, comm="apache2", args=("/usr/sbin/apache2", "-k", "start")):
    r = config_files.Reader(str(root))
    return conf.apache_settings(r, comm, list(args)), r


def test_debian_apache_prefork_as_shipped():
    settings, r = apache(ROOT)
    assert settings == {"mpm": "prefork", "max_request_workers": 150, "server_limit": 256, "threads_per_child": 1,
                        "explicit": ["max_request_workers"]}
    assert conf.apache_processes(settings) == 150
    assert r.problems == []


def test_the_workers_role_conf_in_conf_enabled_wins(tmp_path):
    root = tree(tmp_path)
    (root / "etc/apache2/conf-enabled/headroom-workers.conf").write_text(
        "# Managed\n<IfModule mpm_prefork_module>\n    MaxRequestWorkers 12\n</IfModule>\n"
        "<IfModule mpm_event_module>\n    MaxRequestWorkers 900\n</IfModule>\n"
        "<IfModule !mpm_prefork_module>\n    MaxRequestWorkers 800\n</IfModule>\n")
    settings, _r = apache(root)
    assert settings["max_request_workers"] == 12
    assert conf.apache_processes(settings) == 12


def test_server_limit_caps_prefork_and_event_counts_processes(tmp_path):
    root = tree(tmp_path)
    enabled = root / "etc/apache2/conf-enabled"
    (enabled / "limit.conf").write_text("ServerLimit 100\nMaxRequestWorkers 300\n")
    assert conf.apache_processes(apache(root)[0]) == 100
    mods = root / "etc/apache2/mods-enabled"
    (mods / "mpm_prefork.load").unlink()
    (mods / "mpm_prefork.conf").unlink()
    (mods / "mpm_event.load").write_text("LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so\n")
    (enabled / "limit.conf").write_text("MaxRequestWorkers 300\nThreadsPerChild 25\n")
    settings = apache(root)[0]
    assert settings["mpm"] == "event" and settings["server_limit"] == 16
    assert conf.apache_processes(settings) == 12  # ceil(300 / 25) under ServerLimit 16


def test_no_mpm_and_a_relative_root_are_problems(tmp_path):
    root = tree(tmp_path)
    (root / "etc/apache2/mods-enabled/mpm_prefork.load").unlink()
    settings, r = apache(root)
    assert settings["mpm"] is None and conf.apache_processes(settings) is None
    assert any("MPM" in p for p in r.problems)
    settings, r = apache(ROOT, args=["/usr/sbin/apache2", "-d", "etc/apache2"])
    assert settings["mpm"] is None and any("relative" in p for p in r.problems)


def test_a_text_value_is_ignored_for_the_default(tmp_path):
    root = tree(tmp_path)
    (root / "etc/apache2/conf-enabled/x.conf").write_text("MaxRequestWorkers ${WORKERS}\n")
    settings, r = apache(root)
    assert settings["max_request_workers"] == 256
    assert any("not a number" in p for p in r.problems) and not any("WORKERS" in p for p in r.problems)


# --- gunicorn ---

@pytest.mark.parametrize("args, environ, cwd_config, expected", [
    (["/usr/bin/python3", "/usr/bin/gunicorn", "-w", "12", "app:app"], b"", False, (12, "command line")),
    (["/usr/bin/gunicorn", "--workers=3", "--workers", "7", "app"], b"", False, (7, "command line")),
    (["/usr/bin/gunicorn", "-w9", "app"], b"WEB_CONCURRENCY=2\0", False, (9, "command line")),
    (["/usr/bin/gunicorn", "app"], b"GUNICORN_CMD_ARGS=--workers 5 --max-requests 1000\0WEB_CONCURRENCY=5\0",
     False, (5, "GUNICORN_CMD_ARGS")),
    (["/usr/bin/gunicorn", "app"], b"WEB_CONCURRENCY=4\0", False, (4, "WEB_CONCURRENCY")),
    (["/usr/bin/gunicorn", "app"], b"PASSWORD=x\0", False, (1, "default")),
    (["/usr/bin/gunicorn", "-c", "/etc/app.py", "app"], b"WEB_CONCURRENCY=4\0", False,
     (None, "config file (not read: it is Python)")),
    (["/usr/bin/gunicorn", "app"], b"", True, (None, "config file (not read: it is Python)")),
    (["/usr/bin/gunicorn", "-w", "many", "app"], b"", False, (None, "command line (not a positive number)")),
    (["/usr/bin/gunicorn", "-w", "0", "app"], b"", False, (None, "command line (not a positive number)")),
    (["/usr/bin/gunicorn", "app"], b"WEB_CONCURRENCY=lots\0", False, (None, "WEB_CONCURRENCY (not a positive number)")),
])
def test_gunicorn_worker_count_as_gunicorn_resolves_it(args, environ, cwd_config, expected):
    s = conf.gunicorn_settings(args, environ, cwd_config)
    assert (s["workers"], s["source"]) == expected


# --- the masters in /proc ---

def test_read_workers_finds_each_master_once(tmp_path):
    proc = tmp_path / "proc"
    proc.mkdir()
    add_process(proc, 1, "systemd", 12000, cgroup="0::/init.scope\n")
    add_process(proc, 10, "php-fpm8.2", 20000, cgroup="0::/system.slice/php8.2-fpm.service\n",
                cmdline=["php-fpm: master process (/etc/php/8.2/fpm/php-fpm.conf)", "", ""])
    for pid in (11, 12):
        d = add_process(proc, pid, "php-fpm8.2", 30000, cgroup="0::/system.slice/php8.2-fpm.service\n",
                        cmdline=["php-fpm: pool www", ""])
        (d / "status").write_text((d / "status").read_text().replace("PPid:\t1\n", "PPid:\t10\n"))
    add_process(proc, 20, "apache2", 9000, cgroup="0::/system.slice/apache2.service\n",
                cmdline=["/usr/sbin/apache2", "-k", "start"])
    g = add_process(proc, 30, "gunicorn", 25000, cgroup="0::/system.slice/app.service\n",
                    cmdline=["/usr/bin/python3", "/usr/bin/gunicorn", "--bind", "127.0.0.1:8000", "app:app"])
    (g / "environ").write_bytes(b"SECRET_KEY=hunter2\0WEB_CONCURRENCY=6\0")
    found = read_workers(str(proc), str(ROOT))
    assert [(w["kind"], w["pid"], w["unit"]) for w in found] == [
        ("php_fpm", 10, "php8.2-fpm.service"), ("apache", 20, "apache2.service"), ("gunicorn", 30, "app.service")]
    assert found[0]["settings"]["max_children"] == 5
    assert found[1]["settings"]["processes"] == 150
    assert found[2]["settings"] == {"workers": 6, "source": "WEB_CONCURRENCY"}
    assert "hunter2" not in repr(found)
