# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The config files the database role rewrites (Redis's, MongoDB's), judged from ansible.builtin.stat
(follow: false) before anything reads them, by the collection's one rule for a file rewritten in place
(plugin_utils/edited_file.py: a regular file, or a link edited at its target in the link's own directory, kept
with its mode, owner and group; anything else refused)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.headroom.memory.plugins.plugin_utils.edited_file import judge


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
        name, path = result["item"]["name"], result["item"]["config_file"]
        got, error = judge("database_instances %s: config_file %s" % (name, path), path, result.get("stat") or {},
                           of_link.get(name))
        if error:
            errors.append(error)
        else:
            files[name] = got
    return {"files": files, "errors": errors}
