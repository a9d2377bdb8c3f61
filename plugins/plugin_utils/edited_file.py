# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one rule for a configuration file a role rewrites in place (the database role's redis.conf and mongod.conf,
the heap role's /etc/default file), judged from ansible.builtin.stat (follow: false) before anything reads it:

- a regular file is written where it is;
- a symbolic link is written at its target (the link stays), when the target is a regular file in the link's own
  directory or below it, named in plain characters;
- anything else (a FIFO, whose read blocks forever, a socket, a device, a directory, a link elsewhere) is refused
  with the path and what it is;

and the file is written back with the mode, owner and group it has now (``mode: preserve`` would copy the
temporary source's 0600)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import posixpath
import re

from ansible_collections.headroom.memory.plugins.plugin_utils.file_kind import article, kind

PLAIN_PATH_RE = re.compile(r"^/[A-Za-z0-9_./@+-]{1,255}$")


def _keep(path, link, stat):
    return {"path": path, "link": link, "mode": stat["mode"],
            "owner": stat.get("pw_name") or str(stat["uid"]), "group": stat.get("gr_name") or str(stat["gid"])}


def judge(where, path, stat, target_stat=None, missing_ok=False):
    """``(file, None)`` or ``(None, error)``. ``where``: what names the file in an error (e.g. ``database_instances
    redis: config_file /etc/redis/redis.conf``); ``stat``: stat (follow: false) of ``path``; ``target_stat``: stat
    (follow: false) of its ``lnk_source`` when it is a link. ``file`` is ``{path: where to write, link: path when it
    is a link else None, mode, owner, group}``; with ``missing_ok`` a missing file (or a link to a missing target)
    gives ``file`` with mode, owner and group None: the caller makes it."""
    what = kind(stat)
    if what == "regular file":
        return _keep(path, None, stat), None
    if what == "missing" and missing_ok:
        return {"path": path, "link": None, "mode": None, "owner": None, "group": None}, None
    if what != "symbolic link":
        return None, "%s is %s, not a regular file (refused before reading it)" % (where, article(what))
    target, top = stat.get("lnk_source"), posixpath.dirname(path) + "/"
    if not (isinstance(target, str) and PLAIN_PATH_RE.match(target) and ".." not in target and target.startswith(top)):
        return None, ("%s is a symbolic link to %r, which is not a path of plain characters under %s; point %s at the "
                      "file itself" % (where, target, top, "config_file" if "config_file" in where else "it"))
    target_kind = kind(target_stat)
    if target_kind == "regular file":
        return _keep(target, path, target_stat), None
    if target_kind == "missing" and missing_ok:
        return {"path": target, "link": path, "mode": None, "owner": None, "group": None}, None
    return None, "%s is a symbolic link to %s, which is %s, not a regular file (refused before reading it)" % (
        where, target, article(target_kind))
