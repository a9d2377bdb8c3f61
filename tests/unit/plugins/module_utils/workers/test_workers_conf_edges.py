# -*- coding: utf-8 -*-
"""Worker pool settings: the edges of each php-fpm, Apache and gunicorn rule (issue #10: a mutation run found
them unpinned). Files are planted in a copy of the Debian fixture tree; problems are checked word for word."""

import pytest

from ansible_collections.headroom.memory.plugins.module_utils import config_files
from ansible_collections.headroom.memory.plugins.module_utils.workers import conf
from ansible_collections.headroom.memory.tests.unit.plugins.module_utils.workers.test_workers_conf import (
    PHP_CONF, POOL_D, ROOT, apache, php, tree)

APACHE_MODS = "etc/apache2/mods-enabled"
APACHE_CONF = "etc/apache2/conf-enabled"


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# --- php-fpm ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    ('"12"', "12"), ("'12'", "12"), ('""', ""), ('"a" ; "b"', "a"), ('"a;b" ; note', "a;b"), ("'open", "open"), ("  5 ; note", "5"),
    ("5;6;7", "5"), ("dynamic", "dynamic"),
])
def test_ini_values_quotes_and_comments(value, expected):
    assert conf._ini_value(value) == expected


def test_php_fpm_sections_headers_and_includes(tmp_path):
    root = tree(tmp_path)
    # settings before the first header are [global]'s: an include there is followed, a pm there is no pool
    write(root / PHP_CONF.lstrip("/"), "pm.max_children = 99\ninclude = /etc/php/8.2/fpm/pool.d/*.conf\n")
    write(root / POOL_D / "www.conf", "\n".join([
        "[ api ]", "pm.max_children = 4", "[broken", "pm.max_children = 6",
        "include = /etc/php/8.2/fpm/other.conf",  # php-fpm follows an include in a pool section too
        "[ends]", "pm = static ; [note]", "[plain]", "pm = ondemand ; was pm=static", "pm.max_children = 2", ""]))
    write(root / "etc/php/8.2/fpm/other.conf", "[other]\npm.max_children = 50\n")
    settings, r = php(root)
    assert settings == {"pools": [{"name": "api", "pm": "dynamic", "max_children": 6},
                                  {"name": "ends", "pm": "static", "max_children": None},
                                  {"name": "other", "pm": "dynamic", "max_children": 50},
                                  {"name": "plain", "pm": "ondemand", "max_children": 2}],
                        "max_children": None}
    assert r.problems == [] and r.files == 3


def test_php_fpm_global_settings_after_pools_are_not_a_pool(tmp_path):
    root = tree(tmp_path)
    write(root / PHP_CONF.lstrip("/"), "[global]\npm.max_children = 7\npm = static\n"
                                       "include=/etc/php/8.2/fpm/pool.d/*.conf\n")
    assert php(root)[0] == {"pools": [{"name": "www", "pm": "dynamic", "max_children": 5}], "max_children": 5}


def test_php_fpm_problems_word_for_word(tmp_path):
    root = tree(tmp_path)
    write(root / POOL_D / "odd.conf", "[odd pool]\npm.max_children = 5\n[n]\npm.max_children = 5x\n")
    settings, r = php(root)
    assert r.problems == ["php-fpm pm.max_children has a value that is not a number: ignored",
                          "a php-fpm pool has a name that is not a plain word: its name is not shown"]
    assert settings["max_children"] is None
    r = config_files.Reader(str(tmp_path / "nothing"))
    assert conf.php_fpm_settings(r, PHP_CONF) == {"pools": [], "max_children": None}
    assert r.problems == ["php-fpm's configuration file could not be read"]


def test_php_fpm_without_pools_has_no_total(tmp_path):
    root = tree(tmp_path)
    (root / POOL_D / "www.conf").unlink()
    settings, r = php(root)
    assert settings == {"pools": [], "max_children": None} and r.problems == []


def test_php_fpm_config_from_a_title_split_into_words_or_padded():
    title = ["php-fpm:", "master", "process", "(/srv/php/fpm.conf)"]
    assert conf.php_fpm_config("php-fpm8.2", title) == "/srv/php/fpm.conf"
    assert conf.php_fpm_config("php-fpm8.2", ["php-fpm: master process (/srv/a.conf)", "", ""]) == "/srv/a.conf"
    assert conf.php_fpm_config(None, None) is None
    assert conf.php_fpm_config("php-fpm8.2", None) == "/etc/php/8.2/fpm/php-fpm.conf"


@pytest.mark.parametrize("pattern, step", [
    ("/etc/x/a?.conf", ("include", "", False)),
    ("/etc/a?/*.conf", ("include", "", False)),
    ("/etc/[a]/*.conf", ("include", "", False)),
    ("/srv/X/*.conf", ("dir", "/srv/X", ("", ".conf"))),
    ("/srv/x/*", ("dir", "/srv/x", ("", ""))),
    ("/etc/x/*?.conf", ("include", "", False)),
    ("/etc/x/*[ab].conf", ("include", "", False)),
])
def test_include_patterns_edges(pattern, step):
    assert conf._include("/base", pattern) == step


# --- Apache -----------------------------------------------------------------------------------------

def event_tree(tmp_path, conf_text=None):
    """The Debian tree switched to mpm_event (as a2dismod mpm_prefork; a2enmod mpm_event leaves it)."""
    root = tree(tmp_path)
    (root / APACHE_MODS / "mpm_prefork.load").unlink()
    (root / APACHE_MODS / "mpm_prefork.conf").unlink()
    write(root / APACHE_MODS / "mpm_event.load",
          "LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so\n")
    if conf_text is not None:
        write(root / APACHE_CONF / "limits.conf", conf_text)
    return root


def test_event_defaults_are_apaches_compiled_in_ones(tmp_path):
    settings, r = apache(event_tree(tmp_path))
    assert settings == {"mpm": "event", "max_request_workers": 400, "server_limit": 16, "threads_per_child": 25,
                        "explicit": []}
    assert conf.apache_processes(settings) == 16 and r.problems == []


def test_prefork_without_max_request_workers_is_capped_by_server_limit(tmp_path):
    root = tree(tmp_path)
    (root / APACHE_MODS / "mpm_prefork.conf").write_text("ServerLimit 100\n")
    settings = apache(root)[0]
    assert settings["max_request_workers"] == 100 and conf.apache_processes(settings) == 100
    # a MaxRequestWorkers above ServerLimit is reported as configured; Apache starts at most ServerLimit processes
    (root / APACHE_MODS / "mpm_prefork.conf").write_text("ServerLimit 100\nMaxRequestWorkers 300\n")
    settings = apache(root)[0]
    assert settings["max_request_workers"] == 300 and conf.apache_processes(settings) == 100
    # prefork ignores ThreadsPerChild: one process per worker
    (root / APACHE_MODS / "mpm_prefork.conf").write_text("MaxRequestWorkers 40\nThreadsPerChild 25\n")
    assert conf.apache_processes(apache(root)[0]) == 40


@pytest.mark.parametrize("text, processes", [
    ("MaxRequestWorkers 310\nThreadsPerChild 25\n", 13),   # a part-filled child counts
    ("MaxRequestWorkers 10\nThreadsPerChild 1\n", 10),
    ("MaxRequestWorkers 10\nThreadsPerChild 0\n", 10),    # Apache raises 0 to 1
    ("MaxRequestWorkers 50\nThreadsPerChild 2\nServerLimit 30\n", 25),
])
def test_event_processes_are_workers_over_threads_rounded_up(tmp_path, text, processes):
    assert conf.apache_processes(apache(event_tree(tmp_path, text))[0]) == processes


def test_tabs_separate_a_directive_from_its_value(tmp_path):
    root = event_tree(tmp_path, "<IfModule\tmpm_prefork_module>\n\tMaxRequestWorkers\t900\n</IfModule>\n"
                                "MaxRequestWorkers\t\t60\nThreadsPerChild\t 5\n")
    settings = apache(root)[0]
    assert (settings["max_request_workers"], settings["threads_per_child"]) == (60, 5)


def test_ifmodule_blocks_nest_and_close(tmp_path):
    root = event_tree(tmp_path, "\n".join([
        "</IfModule>",  # a stray closing tag is ignored
        "<IfModule event.c>", "ThreadsPerChild 10", "</IfModule>",
        "<ifmodule mpm_event_module>", "ServerLimit 20", "</ifmodule>",
        "<IfModule mod_headers.c>", "<IfModule mpm_prefork_module>", "ServerLimit 900", "</IfModule>", "</IfModule>",
        "<IfModule \"mpm_worker_module\">", "ServerLimit 800", "</IfModule>",
        "<IfModule mod_mpm_prefork.c>", "ServerLimit 3", "</IfModule>",
        "<IfModule worker.c>", "ServerLimit 4", "</IfModule>",
        "<IfModule !event.c>", "ServerLimit 5", "</IfModule>",
        "MaxRequestWorkers 60", "<", "LoadModule", "#MaxRequestWorkers 1", ""]))
    settings, r = apache(root)
    assert settings == {"mpm": "event", "max_request_workers": 60, "server_limit": 20, "threads_per_child": 10,
                        "explicit": ["max_request_workers", "server_limit", "threads_per_child"]}
    assert r.problems == []


def test_a_loaded_mpm_is_remembered_across_files_and_quoted_values(tmp_path):
    root = event_tree(tmp_path, "<IfModule mpm_event_module>\nMaxRequestWorkers \"80\"\n</IfModule>\n")
    assert apache(root)[0]["max_request_workers"] == 80


def test_the_parser_steps_for_walk():
    parser = conf.ApacheParser("/etc/apache2")
    steps = list(parser("Include ports.conf\nIncludeOptional extra.conf\nInclude /abs/x.conf\n"
                        "IncludeOptional conf-enabled/*.conf\nInclude\nLoadModule mpm_worker_module x.so\n"
                        "MaxClients 30\nLoadModule other_module y.so\n", "/ignored"))
    assert steps == [("include", "/etc/apache2/ports.conf", True), ("include", "/etc/apache2/extra.conf", False),
                     ("include", "/abs/x.conf", True), ("dir", "/etc/apache2/conf-enabled", ("", ".conf")),
                     ("set", "mpm", "worker"), ("set", "max_request_workers", "30")]
    assert parser.mpm == "worker"


def test_only_include_directives_read_files(tmp_path):
    root = event_tree(tmp_path)
    write(root / "etc/apache2/300", "ServerLimit 99\n")  # apache2.conf has "Timeout 300"
    assert apache(root)[0]["server_limit"] == 16


def test_includes_missing_named_or_with_an_x_in_their_name(tmp_path):
    root = event_tree(tmp_path, "IncludeOptional /etc/apache2/nope.conf\nInclude /etc/apache2/limitsX\n")
    write(root / "etc/apache2/limitsX", "MaxRequestWorkers 33\n")
    settings, r = apache(root)
    assert settings["max_request_workers"] == 33 and r.problems == []
    write(root / APACHE_CONF / "limits.conf", "Include /etc/apache2/nope.conf\n")
    assert apache(root)[1].problems == ["Apache's configuration file could not be read"]


def test_apache_problems_and_results_word_for_word(tmp_path):
    root = event_tree(tmp_path, "ThreadsPerChild lots\n")
    settings, r = apache(root)
    assert settings["threads_per_child"] == 25
    assert r.problems == ["Apache threads_per_child has a value that is not a number: ignored"]
    settings, r = apache(ROOT, args=["/usr/sbin/apache2", "-d", "etc/apache2"])
    assert settings == {"mpm": None, "explicit": []}
    assert r.problems == ["Apache runs with a relative server root: not read"]
    (root / APACHE_MODS / "mpm_event.load").unlink()
    settings, r = apache(root)
    assert settings == {"mpm": None, "explicit": ["threads_per_child"]}
    assert r.problems == ["no LoadModule of an MPM was found in Apache's configuration"]
    settings, r = apache(tmp_path / "empty")
    assert settings == {"mpm": None, "explicit": []}
    assert r.problems == ["Apache's configuration file could not be read",
                          "no LoadModule of an MPM was found in Apache's configuration"]


def test_server_root_and_config_from_the_command_line(tmp_path):
    root = tmp_path / "root"
    write(root / "srv/web/main.conf", "LoadModule mpm_worker_module m.so\nInclude more.conf\n")
    write(root / "srv/web/more.conf", "MaxRequestWorkers 75\n")
    write(root / "etc/httpd/conf/httpd.conf", "LoadModule mpm_event_module m.so\nServerLimit 9\n")
    expected = {"mpm": "worker", "max_request_workers": 75, "server_limit": 16, "threads_per_child": 25,
                "explicit": ["max_request_workers"]}
    for args in (["/usr/sbin/apache2", "-d", "/srv/web", "-f", "main.conf"],
                 ["/usr/sbin/apache2", "-f", "main.conf", "-d", "/srv/web"],
                 ["/usr/sbin/apache2", "-k", "start", "-d", "/srv/web", "-f", "main.conf"]):
        assert apache(root, args=args)[0] == expected
    # Red Hat's layout for httpd; an unknown name and a dangling -f get Debian's
    httpd = apache(root, comm="httpd", args=["/usr/sbin/httpd", "-f"])[0]
    assert (httpd["mpm"], httpd["server_limit"]) == ("event", 9)
    assert apache(ROOT, comm="apache2-custom", args=["/usr/sbin/apache2", "-d"])[0]["mpm"] == "prefork"
    assert conf.apache_settings(config_files.Reader(str(ROOT)), "apache2", None)["mpm"] == "prefork"


# --- gunicorn ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("args, environ, expected", [
    (["/usr/bin/gunicorn", "--workers=3", "app"], b"", (3, "command line")),
    (["/usr/bin/gunicorn", "-w", "1", "app"], b"", (1, "command line")),
    (["/usr/bin/gunicorn", "--bind", "127.0.0.1:8000", "-w", "4", "app"], b"", (4, "command line")),
    (["/usr/bin/gunicorn", "-w", "3", "-w", "5", "app"], b"", (5, "command line")),
    (["/usr/bin/gunicorn", "app"], b"GUNICORN_CMD_ARGS=--workers=6\0", (6, "GUNICORN_CMD_ARGS")),
    (["/usr/bin/gunicorn", "app", "-w"], b"", (1, "default")),
    (["/usr/bin/gunicorn", "--config", "/etc/g.py", "app"], b"", (None, "config file (not read: it is Python)")),
    (["/usr/bin/gunicorn", "--config=/etc/g.py", "app"], b"", (None, "config file (not read: it is Python)")),
    (["/usr/bin/gunicorn", "app"], b"GUNICORN_CMD_ARGS=--config /etc/g.py\0WEB_CONCURRENCY=3\0",
     (None, "config file (not read: it is Python)")),
    (["/usr/bin/gunicorn", "app"], b"GUNICORN_CMD_ARGS=-w 0\0", (None, "GUNICORN_CMD_ARGS (not a positive number)")),
    (["/usr/bin/gunicorn", "app"], b"GUNICORN_CMD_ARGS=\xff -w 3\0", (3, "GUNICORN_CMD_ARGS")),
    (["/usr/bin/gunicorn", "app"], b"JUNK\0WEB_CONCURRENCY=3\0", (3, "WEB_CONCURRENCY")),
    (["/usr/bin/gunicorn", "app"], b"WEB_CONCURRENCY= 2 \0", (2, "WEB_CONCURRENCY")),
    (["/usr/bin/gunicorn", "app"], b"WEB_CONCURRENCY=1", (1, "WEB_CONCURRENCY")),
    (["/usr/bin/gunicorn", "app"], b"WEB_CONCURRENCY=0\0", (None, "WEB_CONCURRENCY (not a positive number)")),
    (["/usr/bin/gunicorn", "app"], b"WEB_CONCURRENCY=\xff4\0", (None, "WEB_CONCURRENCY (not a positive number)")),
    (["/usr/bin/gunicorn", "app"], None, (1, "default")),
    (None, None, (1, "default")),
])
def test_gunicorn_edges(args, environ, expected):
    s = conf.gunicorn_settings(args, environ)
    assert (s["workers"], s["source"]) == expected


def test_gunicorn_arguments_follow_the_gunicorn_script():
    assert conf.gunicorn_args(["/usr/bin/python3", "/usr/bin/gunicorn", "-w", "2"]) == ["-w", "2"]
    assert conf.gunicorn_args(["python3", "-m", "gunicorn", "app"]) == ["app"]
    assert conf.gunicorn_args(["/srv/venv/bin/app-server", "-w", "3"]) == ["-w", "3"]
    assert conf.gunicorn_args(None) == []


def test_a_prefix_include_reads_only_its_entries(tmp_path):
    root = tree(tmp_path)
    write(root / PHP_CONF.lstrip("/"), "[global]\ninclude = /etc/php/8.2/fpm/pool.d/web-*.conf\n")
    write(root / POOL_D / "web-a.conf", "[a]\npm.max_children = 3\n")
    settings = php(root)[0]
    assert [p["name"] for p in settings["pools"]] == ["a"]  # www.conf does not match web-*.conf


# --- the shared reader and walker (config_files) ------------------------------------------------------

def test_listdir_takes_a_glob_prefix_and_suffix_that_may_meet_but_not_overlap(tmp_path):
    d = tmp_path / "d"
    d.mkdir()
    for name in ("web-", "web-a.conf", "aba", "abba", "other"):
        (d / name).write_text("x")
    r = config_files.Reader()
    assert r.listdir(str(d), "", "web-") == ["web-", "web-a.conf"]  # web-* matches web- itself
    assert r.listdir(str(d), "ba", "ab") == ["abba"]  # ab*ba does not match aba


def test_join_takes_an_absolute_path_as_it_is():
    # the kernel resolves ".." after a symlink; normalising an absolute path could name another file
    assert config_files.join("/base", "/etc/x/../y.conf") == "/etc/x/../y.conf"
    assert config_files.join("/base/sub", "../y.conf") == "/base/y.conf"


def test_php_fpm_option_names_and_pm_style_in_any_case(tmp_path):
    """php-fpm compares option names and the pm style with strcasecmp (fpm_conf.c): PM.Max_Children = 12 and
    pm = Static are a static pool of 12, not Debian's default pool size."""
    root = tree(tmp_path)
    write(root / POOL_D / "www.conf", "[www]\nPM = Static\nPM.Max_Children = 12\n")
    settings, r = php(root)
    assert settings == {"pools": [{"name": "www", "pm": "static", "max_children": 12}], "max_children": 12}
    assert r.problems == []
