# -*- coding: utf-8 -*-
"""patch_module_args for every supported ansible-core: ansible.module_utils.testing's from 2.19 on, and
the same patch of AnsibleModule's argument source (basic._ANSIBLE_ARGS) on 2.16-2.18; run_module on top."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

try:
    from ansible.module_utils.testing import patch_module_args  # noqa: F401 pylint: disable=unused-import
except ImportError:  # ansible-core < 2.19
    import contextlib
    from unittest import mock

    from ansible.module_utils import basic

    @contextlib.contextmanager
    def patch_module_args(args=None):
        """Make the next AnsibleModule read ``args`` as its module arguments."""
        payload = json.dumps({"ANSIBLE_MODULE_ARGS": dict(args or {})}).encode("utf-8")
        with mock.patch.object(basic, "_ANSIBLE_ARGS", payload):
            yield


def run_module(capsys, main, args):
    """Run a module's ``main`` with ``args``: (exit code, the JSON result it printed)."""
    with patch_module_args(args):
        with pytest.raises(SystemExit) as e:
            main()
    return e.value.code, json.loads(capsys.readouterr().out)
