# -*- coding: utf-8 -*-
"""Database configuration files read on the target: real Debian layouts (fixtures), every value form the
servers take, and what a local user could plant (huge files, FIFOs, include loops, crafted lines)."""

import os
import shutil
from pathlib import Path

import pytest

from ansible_collections.headroom.memory.plugins.module_utils import config_files
from ansible_collections.headroom.memory.plugins.module_utils.database import conf

ROOT = Path(__file__).resolve().parents[3] / "fixtures" / "database" / "root"
PG_CONF = "/etc/postgresql/15/main/postgresql.conf"
PG_DATA = "/var/lib/postgresql/15/main"


def reader(root=ROOT):
    return config_files.Reader(str(root))


@pytest.mark.parametrize("value, base, kb", [
    ("768MB", 8, 786432), ("16384", 8, 131072), ("4096", 1, 4096), ("1GB", 1, 1048576), ("64kB", 8, 64),
    ("1TB", 1, 1024 ** 3), ("8192B", 1, 8), ("1.5GB", 1, 1572864), ("-1", 1, -1), ("300", None, 300),
    ("  128MB ", 8, 131072),
    ("128mb", 8, None), ("128 MiB", 8, None), ("lots", 1, None), ("", 1, None), ("1.5", 8, None),
    ("300MB", None, None), ("1" * 30, 1, None),
])
def test_pg_memory_values(value, base, kb):
    assert conf.pg_memory_kb(value, base) == kb


def test_pg_lines_take_every_form_postgresql_writes():
    text = "\n".join([
        "# comment", "shared_buffers = 128MB  # trailing", "Work_Mem='4MB'", "max_connections 100",
        "search_path = '\"$user\", public'", "log_line_prefix = 'it''s %m # not a comment'",
        "bad = 'never closed", "= 5", "include 'extra.conf'",
    ])
    assert conf.pg_lines(text) == [
        ("shared_buffers", "128MB"), ("work_mem", "4MB"), ("max_connections", "100"),
        ("search_path", '"$user", public'), ("log_line_prefix", "it's %m # not a comment"),
        ("include", "extra.conf"),
    ]


def test_debian_cluster_with_conf_d_and_auto_conf():
    r = reader()
    settings, explicit = conf.pg_settings(r, PG_CONF, PG_DATA)
    # conf.d overrides postgresql.conf; postgresql.auto.conf (ALTER SYSTEM) overrides both
    assert settings == {"shared_buffers": 786432, "max_connections": 300, "work_mem": 32768,
                        "maintenance_work_mem": 1048576, "effective_cache_size": 786432}
    assert explicit == sorted(settings)
    assert r.files == 3 and r.problems == []  # the README in conf.d is not a .conf file


def test_command_line_options_win():
    settings, explicit = conf.pg_settings(reader(), PG_CONF, PG_DATA, [("shared_buffers", "256MB"), ("port", "1")])
    assert settings["shared_buffers"] == 262144 and "port" not in explicit


def test_a_missing_config_file_is_a_problem_not_an_error():
    r = reader()
    assert conf.pg_settings(r, "/etc/postgresql/99/x/postgresql.conf", None) == ({}, [])
    assert r.problems == ["a PostgreSQL configuration file named by the server could not be read"]


def test_mariadb_tree_with_includedir_groups_and_arguments():
    r = reader()
    settings, explicit = conf.mysql_settings(r, ["/etc/my.cnf", "/etc/mysql/my.cnf"], ["--key-buffer-size=32M"])
    # [mysql] (the client) and [embedded] are not the server's groups; loose- and dashes are the same option
    assert settings == {"innodb_buffer_pool_size": 6 * 1024 ** 3, "max_connections": 500,
                        "sort_buffer_size": 4 * 1024 ** 2, "join_buffer_size": 1024 ** 2,
                        "key_buffer_size": 32 * 1024 ** 2}
    assert explicit == sorted(settings)
    assert r.files == 4


@pytest.mark.parametrize("value, number", [
    ("1G", 1024 ** 3), ("128M", 128 * 1024 ** 2), ("512k", 524288), ("16777216", 16777216), ("'2G'", 2 * 1024 ** 3),
    ("1.5G", None), ("-1", None), ("lots", None), ("1X", None),
])
def test_mysql_numbers(value, number):
    assert conf.mysql_number(value) == number


def test_redis_with_include_and_persistence_off():
    r = reader()
    settings, explicit = conf.redis_settings(r, "/etc/redis/redis.conf")
    assert settings == {"maxmemory": 2 * 1024 ** 3, "maxmemory_policy": "allkeys-lru", "persistence": False}
    assert explicit == ["maxmemory", "maxmemory_policy"]


@pytest.mark.parametrize("text, expected", [
    ("", {"persistence": True}),  # Redis saves by default
    ("maxmemory 1g\nappendonly yes\nsave \"\"\n", {"maxmemory": 10 ** 9, "persistence": True}),
    ("maxmemory 0\nmaxmemory-policy $(reboot)\n", {"maxmemory": 0, "persistence": True}),
    ("MAXMEMORY 1KB\n", {"maxmemory": 1024, "persistence": True}),
])
def test_redis_values(tmp_path, text, expected):
    (tmp_path / "redis.conf").write_text(text)
    assert conf.redis_settings(config_files.Reader(), str(tmp_path / "redis.conf"))[0] == expected


def test_a_fifo_is_skipped_without_blocking(tmp_path):
    os.mkfifo(str(tmp_path / "fifo.conf"))
    (tmp_path / "postgresql.conf").write_text("include 'fifo.conf'\nshared_buffers = 1GB\n")
    r = config_files.Reader()
    # a blocking open would hang here: the reader opens only regular files, non-blocking, checked by fstat
    settings = conf.pg_settings(r, str(tmp_path / "postgresql.conf"))[0]
    assert settings == {"shared_buffers": 1048576}
    assert r.problems == ["a configuration file is not a regular file: skipped",
                          "a PostgreSQL configuration file named by the server could not be read"]


def test_a_device_or_directory_is_not_read(tmp_path):
    r = config_files.Reader()
    assert r.read("/dev/zero") is None and r.read(str(tmp_path)) is None
    assert r.problems == ["a configuration file is not a regular file: skipped"]


def test_a_huge_file_is_skipped(tmp_path):
    big = tmp_path / "big.conf"
    with open(str(big), "w") as f:
        f.write("shared_buffers = 1GB\n")
        f.seek(config_files.MAX_FILE_BYTES + 10)
        f.write("\n")
    r = config_files.Reader()
    assert conf.pg_settings(r, str(big)) == ({}, [])
    assert "a configuration file is larger than 1048576 bytes: skipped" in r.problems


def test_include_loops_and_self_includes_end(tmp_path):
    (tmp_path / "a.conf").write_text("include 'b.conf'\nwork_mem = 8MB\n")
    (tmp_path / "b.conf").write_text("include 'a.conf'\ninclude 'b.conf'\nshared_buffers = 256MB\n")
    os.symlink(str(tmp_path / "a.conf"), str(tmp_path / "c.conf"))
    (tmp_path / "b.conf").write_text("include 'a.conf'\ninclude 'c.conf'\nshared_buffers = 256MB\n")
    r = config_files.Reader()
    assert conf.pg_settings(r, str(tmp_path / "a.conf"))[0] == {"work_mem": 8192, "shared_buffers": 262144}
    assert r.files == 2


def test_include_depth_and_file_count_are_bounded(tmp_path):
    for i in range(config_files.MAX_FILES + 20):
        (tmp_path / ("%03d.conf" % i)).write_text("max_connections = %d\ninclude '%03d.conf'\n" % (i + 1, i + 1))
    r = config_files.Reader()
    settings = conf.pg_settings(r, str(tmp_path / "000.conf"))[0]
    assert settings == {"max_connections": config_files.MAX_DEPTH + 1}
    assert "includes nested deeper than 8 levels were not read" in r.problems
    # include_dir: many files, each read once, at most MAX_FILES in all
    many = tmp_path / "many"
    many.mkdir()
    for i in range(config_files.MAX_FILES + 5):
        (many / ("%03d.cnf" % i)).write_text("[mysqld]\nmax_connections = %d\n" % i)
    (tmp_path / "my.cnf").write_text("!includedir %s\n" % many)
    r = config_files.Reader()
    assert conf.mysql_settings(r, [str(tmp_path / "my.cnf")])[0] == {"max_connections": config_files.MAX_FILES - 2}
    assert r.files == config_files.MAX_FILES
    assert "more than 64 configuration files: the rest were not read" in r.problems


def test_crafted_lines_parse_in_linear_time(tmp_path):
    lines = ["shared_buffers = '" + "\\'" * 2000, "work_mem = " + "9" * 4000 + "kB", "x" * (config_files.MAX_LINE + 1),
             "max_connections " + "1" * 20 + ".5", "'" * 4000, "shared_buffers = 256MB"]
    (tmp_path / "evil.conf").write_text("\n".join(lines * 60) + "\n")  # under MAX_FILE_BYTES
    r = config_files.Reader()
    settings = conf.pg_settings(r, str(tmp_path / "evil.conf"))[0]
    assert settings == {"shared_buffers": 262144}
    # a value that is not a number is dropped, named by its setting only (no file text)
    assert r.problems == ["PostgreSQL setting work_mem has a value that is not a number: ignored",
                          "PostgreSQL setting max_connections has a value that is not a number: ignored"]


def test_problems_never_carry_paths_or_file_text(tmp_path):
    secret = tmp_path / "secret-name"
    secret.write_text("maxmemory hunter2\n")
    r = config_files.Reader()
    conf.redis_settings(r, str(secret))
    assert r.problems and all("secret" not in p and "hunter2" not in p for p in r.problems)


def test_directory_entries_with_odd_names_are_not_read(tmp_path):
    d = tmp_path / "conf.d"
    d.mkdir()
    (d / "good.conf").write_text("work_mem = 8MB\n")
    (d / ".hidden.conf").write_text("work_mem = 9MB\n")
    (d / "new\nline.conf").write_text("work_mem = 10MB\n")
    (tmp_path / "postgresql.conf").write_text("include_dir 'conf.d'\n")
    assert conf.pg_settings(config_files.Reader(), str(tmp_path / "postgresql.conf"))[0] == {"work_mem": 8192}


def test_root_prefix_applies_to_absolute_includes(tmp_path):
    shutil.copytree(str(ROOT), str(tmp_path / "r"))
    assert conf.redis_settings(config_files.Reader(str(tmp_path / "r")), "/etc/redis/redis.conf")[0]["maxmemory"] == 2 * 1024 ** 3
