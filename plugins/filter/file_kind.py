# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""file_kind: the type of a file from ansible.builtin.stat, in words, for the roles' refusals. Thin over
plugin_utils.file_kind."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.headroom.memory.plugins.plugin_utils.file_kind import article, kind


def file_kind(stat):
    """'a regular file', 'a FIFO (named pipe)', 'a symbolic link', ... or 'missing'."""
    return article(kind(stat))


class FilterModule(object):
    def filters(self):
        return {"file_kind": file_kind}
