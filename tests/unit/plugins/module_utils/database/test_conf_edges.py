# -*- coding: utf-8 -*-
"""Database configuration files: the edges of each value form, include rule and bound (issue #10: a mutation
run found them unpinned). Files are written to tmp_path; the servers' own rules are cited where they decide."""

import errno
import os

import pytest

from ansible_collections.headroom.memory.plugins.module_utils import config_files
from ansible_collections.headroom.memory.plugins.module_utils.database import conf


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return str(path)


# --- PostgreSQL values (guc.c parse_int: a unit is case-sensitive, B/kB/MB/GB/TB, fractions allowed) ----------

@pytest.mark.parametrize("value, base, kb", [
    ("0.5GB", 1, 524288), ("1.5MB", 8, 1536), ("1.5kB", 1, 1), ("2048B", 8, 2), ("1023B", 1, 0), ("1536.5B", 1, 1),
    ("12 MB", 1, 12288), ("1GB", 8, 1048576), ("2TB", 1, 2 * 1024 ** 3), ("0", 8, 0), ("-1", 8, -1), ("-3", 8, -3),
    ("7", 8, 56), ("-1", None, -1), ("0", None, 0), ("1." + "5" * 9 + "kB", 1, 1), ("9" * 20, 1, int("9" * 20)),
    ("1Gb", 1, None), ("1gB", 1, None), ("1.0", None, None), ("1MB", None, None), ("1.", 1, None),
    ("1." + "5" * 10 + "kB", 1, None), ("9" * 21, 1, None), ("1.5", 1, None), ("1 M B", 1, None), (None, 1, None),
    ("1MBB", 1, None), ("x1MB", 1, None),
])
def test_pg_memory_value_edges(value, base, kb):
    assert conf.pg_memory_kb(value, base) == kb


def test_pg_lines_names_values_and_quotes():
    text = "\n".join([
        "  Shared_Buffers=256MB#c", "auto_explain.log_min_duration = 5s", "9abc = 1", "a" * 129 + " = 1",
        "a" * 128 + " = 2", "lonely", "quoted = 'a\\'b'", "tail = 'ends in a backslash\\", "x=5 y=6",
        "tab\t=\t7", "empty = ''", "mid = 'a''b''c'", "\t# indented comment", "# shared_buffers = 1GB",
    ])
    assert conf.pg_lines(text) == [
        ("shared_buffers", "256MB"), ("auto_explain.log_min_duration", "5s"), ("a" * 128, "2"), ("lonely", ""),
        ("quoted", "a'b"), ("x", "5"), ("tab", "7"), ("empty", ""), ("mid", "a'b'c")]


def test_a_line_of_exactly_max_line_characters_is_read_one_more_is_not():
    pad = " " * (config_files.MAX_LINE - len("work_mem = 1MB"))
    assert conf.pg_lines("work_mem = 1MB" + pad) == [("work_mem", "1MB")]
    assert conf.pg_lines("work_mem = 1MB" + pad + " ") == []
    assert conf.pg_lines(None) == []


def test_postgresql_includes_relative_absolute_optional_and_empty(tmp_path):
    main = write(tmp_path / "etc" / "postgresql.conf", "\n".join([
        "include 'sub/a.conf'", "include '%s'" % (tmp_path / "abs.conf"), "include_if_exists 'nope.conf'",
        "include_dir 'conf.d'", "work_mem = 1MB"]))
    write(tmp_path / "etc" / "sub" / "a.conf", "shared_buffers = 1GB\ninclude '../b.conf'\n")
    write(tmp_path / "etc" / "b.conf", "temp_buffers = 16MB\n")
    write(tmp_path / "abs.conf", "wal_buffers = 16MB\nwork_mem = 2MB\n")
    write(tmp_path / "etc" / "conf.d" / "01.conf", "effective_cache_size = 4GB\n")
    write(tmp_path / "etc" / "conf.d" / "02.txt", "maintenance_work_mem = 1GB\n")
    r = config_files.Reader()
    settings, explicit = conf.pg_settings(r, main)
    assert settings == {"shared_buffers": 1048576, "temp_buffers": 16384, "wal_buffers": 16384, "work_mem": 1024,
                        "effective_cache_size": 4194304}
    assert explicit == sorted(settings)
    assert r.problems == [] and r.files == 5
    # a missing include (not include_if_exists) is reported, an empty path is refused
    write(tmp_path / "m.conf", "include 'gone.conf'\ninclude_if_exists ''\nwork_mem = 1MB\n")
    r = config_files.Reader()
    assert conf.pg_settings(r, str(tmp_path / "m.conf"))[0] == {"work_mem": 1024}
    assert r.problems == ["a PostgreSQL configuration file named by the server could not be read",
                          "includes nested deeper than 8 levels were not read"]
    write(tmp_path / "d.conf", "include_dir ''\n")
    r = config_files.Reader()
    conf.pg_settings(r, str(tmp_path / "d.conf"))
    assert r.problems == ["includes nested deeper than 8 levels were not read"]


def test_auto_conf_is_optional_and_overrides_count_as_set(tmp_path):
    main = write(tmp_path / "postgresql.conf", "work_mem = 1MB\n")
    r = config_files.Reader()
    settings, explicit = conf.pg_settings(r, main, str(tmp_path / "data"),
                                          [("max_connections", "50"), ("work_mem", "2MB"), ("port", "5")])
    assert settings == {"work_mem": 2048, "max_connections": 50} and explicit == ["max_connections", "work_mem"]
    assert r.problems == []
    write(tmp_path / "data" / "postgresql.auto.conf", "work_mem = 3MB\n")
    assert conf.pg_settings(config_files.Reader(), main, str(tmp_path / "data"))[0] == {"work_mem": 3072}


def test_the_last_setting_of_a_file_wins(tmp_path):
    main = write(tmp_path / "postgresql.conf", "work_mem = 1MB\nwork_mem = 2MB\n")
    assert conf.pg_settings(config_files.Reader(), main)[0] == {"work_mem": 2048}


def test_exactly_max_depth_levels_of_includes_are_read(tmp_path):
    for i in range(config_files.MAX_DEPTH + 1):
        write(tmp_path / ("%d.conf" % i), "max_connections = %d\ninclude '%d.conf'\n" % (i, i + 1))
    write(tmp_path / ("%d.conf" % (config_files.MAX_DEPTH + 1)), "max_connections = 99\n")
    r = config_files.Reader()
    assert conf.pg_settings(r, str(tmp_path / "0.conf"))[0] == {"max_connections": config_files.MAX_DEPTH}
    assert r.problems == ["includes nested deeper than 8 levels were not read"]
    # one level less: all read
    os.remove(str(tmp_path / ("%d.conf" % (config_files.MAX_DEPTH + 1))))
    write(tmp_path / ("%d.conf" % config_files.MAX_DEPTH), "max_connections = 98\n")
    r = config_files.Reader()
    assert conf.pg_settings(r, str(tmp_path / "0.conf"))[0] == {"max_connections": 98}
    assert r.problems == []


def test_an_include_dir_deeper_than_max_depth_is_not_read(tmp_path):
    for i in range(config_files.MAX_DEPTH):
        write(tmp_path / ("%d.conf" % i), "include '%d.conf'\n" % (i + 1))
    write(tmp_path / ("%d.conf" % config_files.MAX_DEPTH), "include_dir 'd'\n")
    write(tmp_path / "d" / "x.conf", "work_mem = 1MB\n")
    r = config_files.Reader()
    assert conf.pg_settings(r, str(tmp_path / "0.conf"))[0] == {}
    assert r.problems == ["includes nested deeper than 8 levels were not read"]


# --- the reader ---------------------------------------------------------------------------------------------

def test_a_file_of_exactly_max_file_bytes_is_read(tmp_path):
    text = "work_mem = 1MB\n"
    path = write(tmp_path / "p.conf", text + "#" * (config_files.MAX_FILE_BYTES - len(text)))
    r = config_files.Reader()
    assert conf.pg_settings(r, path)[0] == {"work_mem": 1024} and r.problems == [] and r.files == 1
    with open(path, "a") as f:
        f.write("#")
    r = config_files.Reader()
    assert r.read(path) is None and r.files == 0
    assert r.problems == ["a configuration file is larger than 1048576 bytes: skipped"]


def test_a_big_file_is_read_whole_across_chunks(tmp_path):
    text = "#" * 200000 + "\nwork_mem = 5MB\n"
    assert config_files.Reader().read(write(tmp_path / "p.conf", text)) == text


def test_exactly_max_files_are_read(tmp_path):
    r = config_files.Reader()
    for i in range(config_files.MAX_FILES):
        assert r.read(write(tmp_path / ("%d" % i), "x")) == "x"
    assert r.problems == [] and r.files == config_files.MAX_FILES
    assert r.read(write(tmp_path / "last", "x")) is None
    assert r.problems == ["more than 64 configuration files: the rest were not read"]


def test_missing_paths_are_quiet_other_open_errors_are_named(tmp_path):
    r = config_files.Reader()
    assert r.read(str(tmp_path / "nope")) is None
    assert r.read(write(tmp_path / "file", "x") + "/below") is None  # ENOTDIR
    assert r.problems == []
    os.symlink("loop", str(tmp_path / "loop"))
    assert r.read(str(tmp_path / "loop")) is None
    assert r.problems == ["a configuration file could not be opened (%s)" % errno.errorcode[errno.ELOOP]]


def test_a_read_error_is_a_problem(tmp_path, monkeypatch):
    path = write(tmp_path / "p.conf", "work_mem = 1MB\n")

    def broken(fd, n):
        raise OSError(errno.EIO, "I/O error")
    monkeypatch.setattr(conf.os, "read", broken)
    r = config_files.Reader()
    assert r.read(path) is None and r.problems == ["a configuration file could not be read"]


def test_a_file_that_grows_while_read_is_skipped(tmp_path, monkeypatch):
    path = write(tmp_path / "p.conf", "work_mem = 1MB\n")
    real = os.read

    def growing(fd, n):
        data = real(fd, n)
        return data if not data else data + b"#" * config_files.MAX_FILE_BYTES
    monkeypatch.setattr(conf.os, "read", growing)
    r = config_files.Reader()
    assert r.read(path) is None
    assert r.problems == ["a configuration file grew beyond 1048576 bytes while read: skipped"]


def test_text_that_is_not_utf8_is_read_with_replacements(tmp_path):
    path = tmp_path / "p.conf"
    path.write_bytes(b"# \xff\xfe\nwork_mem = 1MB\n")
    assert config_files.Reader().read(str(path)) == "# \ufffd\ufffd\nwork_mem = 1MB\n"


def test_the_root_prefix_is_prepended_and_a_problem_is_listed_once(tmp_path):
    write(tmp_path / "etc" / "x.conf", "y")
    r = config_files.Reader(str(tmp_path))
    assert r.read("/etc/x.conf") == "y" and r.read(str(tmp_path / "etc" / "x.conf")) is None
    r.problem("p")
    r.problem("p")
    assert r.problems == ["p"]


def test_listdir_sorted_by_suffix_and_plain_names(tmp_path):
    d = tmp_path / "d"
    for name in ("b.cnf", "a.cnf", "c.cnf.bak", "_x.cnf", "-x.cnf", "a@b+c.cnf", "z.conf", "x" * 251 + ".cnf"):
        write(d / name, "")
    assert config_files.Reader().listdir(str(d), ".cnf") == ["_x.cnf", "a.cnf", "a@b+c.cnf", "b.cnf"]
    assert config_files.Reader().listdir(str(d / "a.cnf"), ".cnf") == []
    assert config_files.Reader().listdir(str(tmp_path / "none"), ".cnf") == []
    assert config_files.Reader(str(tmp_path)).listdir("/d", ".conf") == ["z.conf"]


# --- MariaDB / MySQL ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, number", [
    ("1K", 1024), ("1m", 1024 ** 2), ("1g", 1024 ** 3), ("1T", 1024 ** 4), ("1P", 1024 ** 5), ("1e", 1024 ** 6),
    ('"3M"', 3 * 1024 ** 2), (" 7 ", 7), ("0", 0), ("1KB", None), ("1.0", None), ("", None), (None, None),
])
def test_mysql_number_edges(value, number):
    assert conf.mysql_number(value) == number


def test_mysql_option_names():
    assert conf.mysql_option(" Loose-Key-Buffer-Size ") == "key_buffer_size"
    assert conf.mysql_option("loose_max_connections") == "max_connections"
    assert conf.mysql_option("xloose_a") == "xloose_a"


def test_mysql_groups_the_server_reads(tmp_path):
    groups = ["mysqld", " MariaDB ", "server", "mariadbd", "client-server", "galera", "mysqld-8.0", "mariadb-10.11",
              "mariadbd-11", "mysql", "client", "server-10.6", "mysqld-", "mysqld-abc", "embedded", "mariadb-10.x"]
    text = "".join("[%s]\nmax_connections = %d\n" % (g, i) for i, g in enumerate(groups))
    path = write(tmp_path / "my.cnf", text)
    # the last group the server reads wins: mariadbd-11 (index 8); then check each one on its own
    assert conf.mysql_settings(config_files.Reader(), [path])[0] == {"max_connections": 8}
    read = []
    for i, g in enumerate(groups):
        path = write(tmp_path / ("g%d.cnf" % i), "[%s]\nmax_connections = 1\n" % g)
        if conf.mysql_settings(config_files.Reader(), [path])[0]:
            read.append(g)
    assert read == groups[:9]


def test_mysql_lines_comments_flags_and_broken_groups(tmp_path):
    path = write(tmp_path / "my.cnf", "\n".join([
        "max_connections = 1", "[mysqld]", "# key_buffer_size = 1M", "; key_buffer_size = 2M",
        "skip-name-resolve", "sort_buffer_size=2M # two", "join_buffer_size = 1M ; not a comment in my.cnf",
        "key_buffer_size = 4M", "[mysqld", "read_buffer_size = 1M", "[]", "thread_stack = 1M",
        "[mysqld]", "tmp_table_size = 8M", "unknown_size = 1M"]))
    r = config_files.Reader()
    settings, explicit = conf.mysql_settings(r, [path])
    assert settings == {"sort_buffer_size": 2 * 1024 ** 2, "key_buffer_size": 4 * 1024 ** 2,
                        "tmp_table_size": 8 * 1024 ** 2}
    assert explicit == ["join_buffer_size", "key_buffer_size", "sort_buffer_size", "tmp_table_size"]
    assert r.problems == ["MariaDB/MySQL setting join_buffer_size has a value that is not a number: ignored"]


def test_mysql_includes(tmp_path):
    path = write(tmp_path / "etc" / "my.cnf", "\n".join([
        "!include sub/a.cnf", "!includedir conf.d", "!include", "!includex other.cnf", "!include missing.cnf",
        "[mysqld]", "max_connections = 1"]))
    write(tmp_path / "etc" / "sub" / "a.cnf", "[mysqld]\nkey_buffer_size = 1M\nmax_connections = 5\n")
    write(tmp_path / "etc" / "conf.d" / "z.cnf", "[mysqld]\nthread_stack = 1M\n")
    write(tmp_path / "etc" / "conf.d" / "y.conf", "[mysqld]\nthread_stack = 2M\n")
    write(tmp_path / "etc" / "other.cnf", "[mysqld]\nread_buffer_size = 2M\n")
    r = config_files.Reader()
    settings, _explicit = conf.mysql_settings(r, [path, str(tmp_path / "none.cnf")])
    assert settings == {"key_buffer_size": 1024 ** 2, "thread_stack": 1024 ** 2, "max_connections": 1}
    assert r.problems == []


def test_mysql_arguments(tmp_path):
    path = write(tmp_path / "my.cnf", "[mysqld]\nmax_connections = 1\n")
    settings, explicit = conf.mysql_settings(config_files.Reader(), [path], [
        "--max-connections=7", "-key_buffer_size=1M", "--thread-stack", "--loose-sort-buffer-size=2M",
        "--port=3306", "max_connections=9"])
    assert settings == {"max_connections": 7, "sort_buffer_size": 2 * 1024 ** 2}
    assert explicit == ["max_connections", "sort_buffer_size"]
    assert conf.mysql_settings(config_files.Reader(), [])[0] == {}


# --- Redis -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, number", [
    ("1k", 1000), ("1kb", 1024), ("1m", 10 ** 6), ("1mb", 1024 ** 2), ("1g", 10 ** 9), ("1GB", 1024 ** 3),
    ("'5mb'", 5 * 1024 ** 2), ("7", 7), ("1t", None), ("1.5gb", None), ("-1", None), (None, None),
])
def test_redis_byte_edges(value, number):
    assert conf.redis_bytes(value) == number


@pytest.mark.parametrize("text, expected", [
    ("save \"\"\n", {"persistence": False}),
    ("save ''\nappendonly YES\n", {"persistence": True}),
    ("save ' '\nappendonly no\n", {"persistence": False}),
    ("save 900 1\n", {"persistence": True}),
    ("save\nappendonly \"yes\"\n", {"persistence": True}),
    ("save\n", {"persistence": False}),
    ("maxmemory-policy \"ALLKEYS-LFU\"\nsave ''\n", {"maxmemory_policy": "allkeys-lfu", "persistence": False}),
    ("maxmemory-policy volatile-ttl\nmaxmemory-policy nonsense\nsave ''\n", {"persistence": False}),
    ("# maxmemory 1gb\n  maxmemory   2mb  \nsave ''\n", {"maxmemory": 2 * 1024 ** 2, "persistence": False}),
])
def test_redis_settings_edges(tmp_path, text, expected):
    assert conf.redis_settings(config_files.Reader(), write(tmp_path / "redis.conf", text))[0] == expected


def test_redis_includes_only_absolute_paths_and_later_wins(tmp_path, monkeypatch):
    write(tmp_path / "abs.conf", "maxmemory 3mb\nmaxmemory-policy noeviction\n")
    write(tmp_path / "rel.conf", "maxmemory 9mb\n")
    monkeypatch.chdir(str(tmp_path))  # a relative include would be found from here: it must not be read
    main = write(tmp_path / "redis.conf", "maxmemory 1mb\ninclude %s\ninclude rel.conf\ninclude %s\nsave ''\n"
                 % (tmp_path / "abs.conf", tmp_path / "gone.conf"))
    r = config_files.Reader()
    settings, explicit = conf.redis_settings(r, main)
    assert settings == {"maxmemory": 3 * 1024 ** 2, "maxmemory_policy": "noeviction", "persistence": False}
    assert explicit == ["maxmemory", "maxmemory_policy"] and r.problems == [] and r.files == 2


def test_redis_problems_word_for_word(tmp_path):
    r = config_files.Reader()
    assert conf.redis_settings(r, str(tmp_path / "none.conf")) == ({"persistence": True}, [])
    assert r.problems == ["the Redis configuration file could not be read"]
    r = config_files.Reader()
    assert conf.redis_settings(r, write(tmp_path / "r.conf", "maxmemory lots\n")) == ({"persistence": True}, ["maxmemory"])
    assert r.problems == ["Redis setting maxmemory has a value that is not a number: ignored"]


# --- survivors of the first edge run -------------------------------------------------------------------------

def test_pg_values_cut_off_after_an_escaped_or_doubled_quote_are_dropped():
    assert conf.pg_lines("esc = 'ab\\'\ndq = 'it''\nok = 'a'") == [("ok", "a")]


def test_mysql_lines_edges(tmp_path):
    path = write(tmp_path / "etc" / "my.cnf", "\n".join([
        "#", ";", "[mysqld] # see [client]", "sort_buffer_size = 2M # a=b", "join_buffer_size = 1M # x # y",
        "!include my extra.cnf"]))
    write(tmp_path / "etc" / "my extra.cnf", "[mysqld]\nthread_stack = 1M\n")
    r = config_files.Reader()
    assert conf.mysql_settings(r, [path])[0] == {"sort_buffer_size": 2 * 1024 ** 2, "join_buffer_size": 1024 ** 2,
                                                 "thread_stack": 1024 ** 2}
    assert r.problems == []


def test_redis_blank_lines_are_skipped(tmp_path):
    assert conf.redis_settings(config_files.Reader(), write(tmp_path / "r.conf", "\n\nmaxmemory 1mb\n\n"))[0] == {
        "maxmemory": 1024 ** 2, "persistence": True}


def test_includes_inside_an_include_dir_count_one_level_each(tmp_path):
    write(tmp_path / "postgresql.conf", "include_dir 'd'\n")
    write(tmp_path / "d" / "a.conf", "include '../1.conf'\n")
    for i in range(1, config_files.MAX_DEPTH):
        write(tmp_path / ("%d.conf" % i), "max_connections = %d\ninclude '%d.conf'\n" % (i, i + 1))
    write(tmp_path / ("%d.conf" % config_files.MAX_DEPTH), "max_connections = 99\n")
    r = config_files.Reader()
    # postgresql.conf is level 0, d/a.conf level 1, N.conf level N + 1: 8.conf would be level 9
    assert conf.pg_settings(r, str(tmp_path / "postgresql.conf"))[0] == {"max_connections": config_files.MAX_DEPTH - 1}
    assert r.problems == ["includes nested deeper than 8 levels were not read"]


def test_a_dangling_entry_of_an_include_dir_is_not_a_problem(tmp_path):
    write(tmp_path / "postgresql.conf", "include_dir 'd'\n")
    (tmp_path / "d").mkdir()
    os.symlink(str(tmp_path / "gone"), str(tmp_path / "d" / "x.conf"))
    r = config_files.Reader()
    assert conf.pg_settings(r, str(tmp_path / "postgresql.conf")) == ({}, []) and r.problems == []


def test_a_file_that_grows_in_small_reads_is_stopped_at_the_bound(tmp_path, monkeypatch):
    path = write(tmp_path / "p.conf", "work_mem = 1MB\n")
    reads = []

    def endless(fd, n):
        reads.append(n)
        return b"#" * n if len(reads) < 100 else b""
    monkeypatch.setattr(conf.os, "read", endless)
    r = config_files.Reader()
    assert r.read(path) is None and len(reads) == config_files.MAX_FILE_BYTES // 65536 + 1
    assert r.problems == ["a configuration file grew beyond 1048576 bytes while read: skipped"]
