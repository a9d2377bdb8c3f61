# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for headroom.memory.diagnose_report: renders a triage_fleet report and writes its files
on the controller, in the controller process (no module is sent anywhere). Documentation in
plugins/modules/diagnose_report.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.action import ActionBase
from ansible_collections.headroom.memory.plugins.plugin_utils.report.files import report_files, write_all


class ActionModule(ActionBase):
    """Write index.html, report.md, report.json and remedy-vars/<host>.yml under ``dest``."""

    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("report", "dest", "on_error"))
    _supports_check_mode = True  # the report is output on the controller, not a change: written in check mode too
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp  # not used: nothing goes to a remote host
        report = self._task.args.get("report")
        dest = self._task.args.get("dest")
        if not isinstance(dest, str) or not dest:
            raise AnsibleActionFail("dest is required: the report directory on the controller")
        on_error = self._task.args.get("on_error", "fail")
        if on_error not in ("fail", "warn"):
            raise AnsibleActionFail("on_error must be fail or warn, got %r" % (on_error,))
        try:
            files = report_files(report)
            written = write_all(os.path.expanduser(dest), files)
        except (ValueError, OSError) as exc:
            msg = "cannot write the report under %s: %s" % (dest, to_native(exc))
            if on_error == "fail":
                raise AnsibleActionFail(msg)
            result.update(changed=False, written=False, msg=msg, dest=dest, files=[])
            result.setdefault("warnings", []).append(msg)
            return result
        result.update(changed=False, written=True, dest=os.path.realpath(os.path.expanduser(dest)), files=written)
        return result
