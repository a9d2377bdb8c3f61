# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The heap role's /etc/default files (issue 31), judged from stat before any read by the collection's one rule for a
file rewritten in place: a link is edited at its target and kept, a file keeps its mode, owner and group, a missing
one is made, a FIFO or a link out of its directory is refused naming the unit and the path; remediate copies aside
the file that is written (the target), never the link."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.headroom.memory.plugins.filter.heap_plan import FilterModule
from ansible_collections.headroom.memory.plugins.plugin_utils.remediate.phases import planned_files

F = FilterModule().filters()
PATH = "/etc/default/tomcat"
REAL = "/etc/default/real/tomcat"
REG = {"exists": True, "isreg": True, "islnk": False, "mode": "0640", "uid": 0, "gid": 997, "pw_name": "root",
       "gr_name": "tomcat"}


def _seen(path, stat, unit="tomcat.service"):
    return {"item": {"unit": unit, "path": path, "via": "default"}, "stat": stat}


def _link(path, target):
    return _seen(path, {"exists": True, "islnk": True, "isreg": False, "lnk_source": target, "mode": "0777"})


def test_a_regular_file_is_written_where_it_is_with_its_mode_owner_and_group():
    got = F["heap_default_files"]([_seen(PATH, REG)])
    assert got == {"files": {PATH: {"path": PATH, "link": None, "mode": "0640", "owner": "root", "group": "tomcat"}},
                   "errors": []}


def test_a_link_is_written_at_its_target_with_the_target_s_mode_and_the_link_stays():
    link = _link(PATH, REAL)
    got = F["heap_default_files"]([link], [{"item": link, "stat": REG}])
    assert got["errors"] == []
    assert got["files"][PATH] == {"path": REAL, "link": PATH, "mode": "0640", "owner": "root", "group": "tomcat"}


def test_a_missing_file_is_made_and_a_link_to_a_missing_file_makes_the_target():
    got = F["heap_default_files"]([_seen(PATH, {"exists": False})])
    assert got["files"][PATH] == {"path": PATH, "link": None, "mode": None, "owner": None, "group": None}
    link = _link(PATH, REAL)
    got = F["heap_default_files"]([link], [{"item": link, "stat": {"exists": False}}])
    assert got["files"][PATH]["path"] == REAL and got["errors"] == []


@pytest.mark.parametrize("stat, shown", [({"exists": True, "isfifo": True}, "a FIFO (named pipe)"),
                                         ({"exists": True, "isdir": True}, "a directory"),
                                         ({"exists": True, "ischr": True}, "a character device")])
def test_a_special_file_or_a_link_to_one_is_refused_naming_the_unit_and_the_path(stat, shown):
    got = F["heap_default_files"]([_seen(PATH, stat)])
    assert got["files"] == {} and got["errors"] == [
        "tomcat.service: %s is %s, not a regular file (refused before reading it)" % (PATH, shown)]
    link = _link(PATH, REAL)
    got = F["heap_default_files"]([link], [{"item": link, "stat": stat}])
    assert got["errors"] == ["tomcat.service: %s is a symbolic link to %s, which is %s, not a regular file (refused "
                             "before reading it)" % (PATH, REAL, shown)]


@pytest.mark.parametrize("target", ["/etc/shadow", "/etc/tomcat/default", "/etc/default/../shadow", "/etc/default/a b"])
def test_a_link_out_of_its_directory_or_with_odd_characters_is_refused(target):
    got = F["heap_default_files"]([_link(PATH, target)], [])
    assert got["files"] == {}
    assert got["errors"] == ["tomcat.service: %s is a symbolic link to %r, which is not a path of plain characters "
                             "under /etc/default/; point it at the file itself" % (PATH, target)]


def test_bad_input_fails_clearly():
    with pytest.raises(AnsibleFilterError, match="two stat loops"):
        F["heap_default_files"]("nope")
    with pytest.raises(AnsibleFilterError, match="without item.unit and item.path"):
        F["heap_default_files"]([{"item": {}, "stat": REG}])


def test_remediate_copies_aside_the_target_the_heap_role_writes():
    facts = {"__heap_plan": {"units": [{"unit": "tomcat.service", "via": "default", "path": PATH},
                                       {"unit": "app.service", "via": "dropin",
                                        "path": "/etc/systemd/system/app.service.d/50-headroom-heap.conf"}]},
             "__heap_default_files": {"files": {PATH: {"path": REAL, "link": PATH}}, "errors": []}}
    assert planned_files("heap", facts) == [REAL, "/etc/systemd/system/app.service.d/50-headroom-heap.conf"]
