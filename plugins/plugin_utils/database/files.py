# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The config files the database role rewrites (Redis's, MongoDB's), judged from ansible.builtin.stat
(follow: false) before anything reads them: a FIFO, socket, device or directory is refused (reading a FIFO
blocks forever), a symbolic link is followed to its target when that is a regular file in the link's own
directory (or below it), and the file is written back with the mode, owner and group it has."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import posixpath

from ansible_collections.headroom.memory.plugins.plugin_utils.database.instances import PATH_RE
from ansible_collections.headroom.memory.plugins.plugin_utils.file_kind import article, kind


def _keep(path, link, stat):
    """Where to write and the mode, owner and group to write with (those of the file there now)."""
    return {"path": path, "link": link, "mode": stat["mode"],
            "owner": stat.get("pw_name") or str(stat["uid"]), "group": stat.get("gr_name") or str(stat["gid"])}


def config_files(seen, targets=None):
    """{files: {instance name: {path, link, mode, owner, group}}, errors: [...]}.

    seen: the results of ansible.builtin.stat (follow: false) looped over the instances (each result's item is
    the instance, with name and config_file); targets: the results of a second stat (follow: false) looped over
    the results of links (each one's item is that link's result), whose path is the link's lnk_source."""
    of_link = {}
    for result in targets or []:
        of_link[result["item"]["item"]["name"]] = result.get("stat") or {}
    files, errors = {}, []
    for result in seen:
        name, path, stat = result["item"]["name"], result["item"]["config_file"], result.get("stat") or {}
        where = "database_instances %s: config_file %s" % (name, path)
        what = kind(stat)
        if what == "regular file":
            files[name] = _keep(path, None, stat)
            continue
        if what != "symbolic link":
            errors.append("%s is %s, not a regular file (refused before reading it)" % (where, article(what)))
            continue
        target, top = stat.get("lnk_source"), posixpath.dirname(path) + "/"
        if not (isinstance(target, str) and PATH_RE.match(target) and ".." not in target and target.startswith(top)):
            errors.append("%s is a symbolic link to %r, which is not a path of plain characters under %s; point "
                          "config_file at the file itself" % (where, target, top))
            continue
        target_kind = kind(of_link.get(name))
        if target_kind != "regular file":
            errors.append("%s is a symbolic link to %s, which is %s, not a regular file (refused before reading it)" % (
                where, target, article(target_kind)))
            continue
        files[name] = _keep(target, path, of_link[name])
    return {"files": files, "errors": errors}
