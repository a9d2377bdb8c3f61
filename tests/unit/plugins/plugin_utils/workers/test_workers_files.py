# -*- coding: utf-8 -*-
"""workers files: the php-fpm pool file edited in place, Apache's conf file and gunicorn's drop-in."""

import pytest

from ansible_collections.headroom.memory.plugins.plugin_utils.workers import files, plan

POOL = """; Start a new pool named 'www'.
[www]
user = www-data
listen = /run/php/php8.2-fpm.sock
pm = dynamic
pm.max_children = 50
pm.start_servers = 20
;pm.max_spawn_rate = 32
pm.min_spare_servers = 10
pm.max_spare_servers = 30
;pm.max_requests = 500

[other]
pm = static
pm.max_children = 9
"""


def test_edit_sets_every_key_in_its_section_only():
    settings = plan.php_fpm_settings(6)
    out = files.php_fpm_pool_edit(POOL, "www", settings)
    www = files.php_fpm_pool_read(out, "www")
    for key, value in settings.items():
        assert www[key] == str(value)
    assert files.php_fpm_pool_read(out, "other") == {"pm": "static", "pm.max_children": "9"}
    assert ";pm.max_spawn_rate = 32" in out and "user = www-data" in out  # the rest kept as it was
    assert "; set by headroom.memory.workers\npm.max_requests = 500\n\n[other]" in out
    assert files.php_fpm_pool_edit(out, "www", settings) == out  # a second run changes nothing


def test_edit_rewrites_duplicates_and_refuses_a_missing_section():
    text = "[www]\npm.max_children = 50\npm.max_children = 70\n"
    out = files.php_fpm_pool_edit(text, "www", {"pm.max_children": 5})
    assert out == "[www]\npm.max_children = 5\npm.max_children = 5\n"
    with pytest.raises(ValueError, match=r"no \[api\] section \(it has: www\)"):
        files.php_fpm_pool_edit(text, "api", {"pm.max_children": 5})
    assert files.php_fpm_pool_read(text, "api") is None
    assert files.php_fpm_sections("[global]\n[www]\n[api]\n") == ["www", "api"]


def test_apache_conf_and_gunicorn_dropin_hold_integers_and_a_safe_comment():
    conf = files.apache_prefork_conf(plan.apache_prefork_settings(300), "share 1000 MiB\n</IfModule>\nInclude /x")
    lines = conf.splitlines()
    assert lines[2] == "<IfModule mpm_prefork_module>" and lines[-1] == "</IfModule>"
    assert "    ServerLimit 300" in lines and "    MaxRequestWorkers 300" in lines
    assert conf.count("</IfModule>") == 1 and "\nInclude" not in conf
    dropin = files.gunicorn_dropin(plan.gunicorn_settings(3, 1000, 50), 'x"\n[Service]\nExecStart=/bin/sh')
    assert dropin.count("[Service]") == 1 and "ExecStart" not in dropin.replace("# ", "#").split("[Service]")[1]
    assert 'Environment="GUNICORN_CMD_ARGS=--workers 3 --max-requests 1000 --max-requests-jitter 50" ' \
           '"WEB_CONCURRENCY=3"' in dropin


def test_gunicorn_cli_workers():
    assert files.gunicorn_cli_workers("/usr/bin/gunicorn -w 9 app:app")
    assert files.gunicorn_cli_workers("/usr/bin/gunicorn --workers=9 app:app")
    assert not files.gunicorn_cli_workers("/usr/bin/gunicorn --config /etc/app.py app:app")
    assert not files.gunicorn_cli_workers(None)


@pytest.mark.parametrize("line, arg", [
    ("/usr/bin/gunicorn -w 9 app:app", "-w 9"), ("/usr/bin/gunicorn -w9 app:app", "-w9"),
    ("/usr/bin/gunicorn --workers=9 app:app", "--workers=9"), ("gunicorn --bind :80 --workers  4", "--workers  4"),
    ("/usr/bin/gunicorn --worker-class gevent --worker-connections 100 app:app", None),
    ("/usr/bin/gunicorn --config /etc/app.py app:app", None),
    ("{ path=/usr/bin/gunicorn ; argv[]=/usr/bin/gunicorn -w 5 app:app ; ignore_errors=no }", "-w 5"),
])
def test_gunicorn_cli_workers_arg(line, arg):
    assert files.gunicorn_cli_workers_arg(files.gunicorn_command_line(line)) == arg


def test_gunicorn_cli_change_is_the_exact_edit():
    text = files.gunicorn_cli_change("app.service", "--workers 9", 5)
    assert "app.service sets `--workers 9` on gunicorn's command line (ExecStart)" in text
    assert "change `--workers 9` to `--workers 5` in its ExecStart (`systemctl edit app.service`: an empty " \
           "`ExecStart=`, then the same command line with that change" in text
