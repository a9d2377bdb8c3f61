# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The database role's config files, judged from stat before any read: non-regular files refused with the
path and its type, links followed into their own directory only, mode/owner/group kept from the file."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.headroom.memory.plugins.filter.database import FilterModule
from ansible_collections.headroom.memory.plugins.plugin_utils.database import files

F = FilterModule().filters()
REG = {"exists": True, "isreg": True, "islnk": False, "mode": "0644", "uid": 0, "gid": 0, "pw_name": "root", "gr_name": "root"}


def _seen(name, path, stat):
    return {"item": {"name": name, "config_file": path, "engine": "redis"}, "stat": stat}


def _link(name, path, target):
    return _seen(name, path, {"exists": True, "islnk": True, "isreg": False, "lnk_source": target, "mode": "0777"})


def test_a_regular_file_keeps_its_mode_owner_and_group():
    # the issue's case: a root:root 0644 mongod.conf read by the mongodb user must stay 0644, not become 0600
    got = F["database_config_files"]([_seen("mongodb", "/etc/mongod.conf", REG)])
    assert got == {"files": {"mongodb": {"path": "/etc/mongod.conf", "link": None, "mode": "0644",
                                         "owner": "root", "group": "root"}}, "errors": []}


def test_an_owner_without_a_name_is_kept_by_number():
    stat = dict(REG, mode="0640", uid=997, gid=996, pw_name="", gr_name="")
    got = files.config_files([_seen("redis", "/etc/redis/redis.conf", stat)])["files"]["redis"]
    assert (got["mode"], got["owner"], got["group"]) == ("0640", "997", "996")


@pytest.mark.parametrize("flag, shown", [("isfifo", "a FIFO (named pipe)"), ("issock", "a socket"), ("isdir", "a directory"),
                                         ("ischr", "a character device"), ("isblk", "a block device")])
def test_what_is_not_a_regular_file_is_refused_naming_path_and_type(flag, shown):
    stat = {"exists": True, "isreg": False, "islnk": False, flag: True}
    got = files.config_files([_seen("fifo", "/etc/redis/fifo.conf", stat), _seen("redis", "/etc/redis/redis.conf", REG)])
    assert got["errors"] == ["database_instances fifo: config_file /etc/redis/fifo.conf is %s, not a regular file "
                             "(refused before reading it)" % shown]
    assert list(got["files"]) == ["redis"]


def test_a_missing_file_is_refused():
    got = files.config_files([_seen("redis", "/etc/redis/none.conf", {"exists": False})])
    assert got == {"files": {}, "errors": [
        "database_instances redis: config_file /etc/redis/none.conf is missing, not a regular file (refused before reading it)"]}


def test_a_link_is_edited_at_its_target_with_the_targets_mode():
    seen = _link("redis", "/etc/redis/redis.conf", "/etc/redis/conf/redis.conf")
    target = {"item": seen, "stat": dict(REG, mode="0644")}
    got = F["database_config_files"]([seen], [target])
    assert got == {"files": {"redis": {"path": "/etc/redis/conf/redis.conf", "link": "/etc/redis/redis.conf",
                                       "mode": "0644", "owner": "root", "group": "root"}}, "errors": []}


@pytest.mark.parametrize("target", ["/etc/shadow", "/etc/redisx/redis.conf", "/var/lib/redis/redis.conf",
                                    "/etc/redis/a b.conf", "", None])
def test_a_link_out_of_its_directory_is_refused(target):
    # /etc/redis belongs to the redis user on Debian: a link it made must not get root to edit /etc/shadow
    seen = _link("redis", "/etc/redis/redis.conf", target)
    got = files.config_files([seen], [{"item": seen, "stat": REG}])
    assert got["files"] == {}
    assert len(got["errors"]) == 1 and "config_file /etc/redis/redis.conf is a symbolic link to %r" % target in got["errors"][0]
    assert "under /etc/redis/" in got["errors"][0]


@pytest.mark.parametrize("stat, shown", [({"exists": True, "isfifo": True}, "a FIFO (named pipe)"),
                                         ({"exists": False}, "missing"), (None, "missing"),
                                         ({"exists": True, "isdir": True}, "a directory")])
def test_a_link_to_what_is_not_a_regular_file_is_refused(stat, shown):
    seen = _link("redis", "/etc/redis/redis.conf", "/etc/redis/fifo")
    got = files.config_files([seen], [{"item": seen, "stat": stat}] if stat is not None else [])
    assert got == {"files": {}, "errors": [
        "database_instances redis: config_file /etc/redis/redis.conf is a symbolic link to /etc/redis/fifo, which is %s, "
        "not a regular file (refused before reading it)" % shown]}


def test_bad_input():
    with pytest.raises(AnsibleFilterError) as err:
        F["database_config_files"]([{"stat": REG}])
    assert "not a list of stat results" in str(err.value)
