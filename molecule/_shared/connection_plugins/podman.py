# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The test hosts' podman connection, with pipelining.

molecule's podman driver names the connection ``podman``; a plugin of that name in the configured
connection_plugins path (``.config/molecule/config.yml``) comes before ansible-core's redirect to
containers.podman.podman. It is that plugin with two differences, both about cost, not behaviour:

- pipelining: the module is piped to ``podman exec -i`` and run there, one podman call per task instead of
  mkdir + copy + chmod + run + rm (containers.podman disables pipelining because its ``exec`` leaves out
  ``-i``, which is what carries the module on stdin);
- the container's file system is mounted only when a file is copied (copy, template, fetch), not for every
  task.

Test infrastructure only: it lives under molecule/, which the built collection leaves out."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import shlex

from ansible.module_utils.common.text.converters import to_native
from ansible_collections.containers.podman.plugins.connection.podman import (  # noqa: F401 pylint: disable=unused-import
    DOCUMENTATION, Connection as _PodmanConnection)


class Connection(_PodmanConnection):
    """containers.podman.podman with pipelining and a lazy mount."""

    transport = "podman"
    has_pipelining = True

    def _connect(self):
        # the parent mounts the container's file system here; that is only needed to copy a file
        self._connected = True
        return self

    def _mount(self):
        if self._mount_point is None:
            super(Connection, self)._connect()

    def exec_command(self, cmd, in_data=None, sudoable=False):
        if in_data is None:
            return super(Connection, self).exec_command(cmd, in_data=in_data, sudoable=sudoable)
        # pipelining: the module comes on stdin, so exec must keep stdin open (-i)
        args = ["exec", "-i"] + (["--user", self.user] if self.user else [])
        return self._podman(args, shlex.split(to_native(cmd, errors="surrogate_or_strict")), in_data)

    def put_file(self, in_path, out_path):
        self._mount()
        return super(Connection, self).put_file(in_path, out_path)

    def fetch_file(self, in_path, out_path):
        self._mount()
        return super(Connection, self).fetch_file(in_path, out_path)
