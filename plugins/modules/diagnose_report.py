#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: diagnose_report
short_description: Write the diagnose report (index.html, report.md, report.json, remedy-vars) on the controller
version_added: 0.1.0
description:
  - Renders a report made by the C(headroom.memory.triage_fleet) filter and writes its files under O(dest) on the
    controller, in the controller process (an action plugin; no module is sent to any host, whichever host the
    task runs for).
  - C(index.html) is self-contained (inline CSS and SVG, no network), C(report.md) is for tickets and chat,
    C(report.json) is the report itself for machines, and C(remedy-vars/<host>.yml) holds the suggested role
    variables of every host that was read. A host name of lower-case letters, digits, C(_), C(.) and C(-) is the
    file name as it is; any other name becomes a slug (other characters as C(_)) plus C(-) and 10 hex digits of
    its SHA-256, so that no two inventory hosts (C(a:b), C(a_b), C(a/b), C(A_B)) share a file.
  - C(report.json)'s entry of each host that was read records the SHA-256 of its remedy-vars file
    (C(remedy_vars_sha256)); C(headroom.memory.remediate) refuses a file that no longer matches it unless told the
    edit was intended.
  - Every text of the data (host, process, unit and log names, messages) is escaped for its file (HTML, Markdown),
    with control characters replaced, so that nothing in the data becomes markup or reaches a terminal raw.
  - Each file is written atomically (a temporary file in the same directory renamed over it), mode C(0644);
    missing directories are created. A path that would leave O(dest) is refused before anything is written.
  - The report is output, not a change to a managed host, so the task always returns C(changed=false) and
    writes the report in check mode too. Used by the C(headroom.memory.diagnose) role.
author:
  - headroom.memory maintainers (@headroom)
options:
  report:
    description:
      - The output of the C(headroom.memory.triage_fleet) filter (a dict with C(hosts) and C(totals)).
    type: dict
    required: true
  dest:
    description:
      - The report directory on the controller. Created if missing; existing report files in it are replaced,
        other files are left alone. An empty value is refused (it would mean the current directory).
    type: path
    required: true
  on_error:
    description:
      - What a report that cannot be written does. V(fail) fails the task. V(warn) returns a warning with the
        reason and RV(written=false), so a job still ends with the console table and its own exit status
        (the C(headroom.memory.diagnose) role uses it).
    type: str
    choices: [fail, warn]
    default: fail
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
attributes:
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
    details: The report is written in check mode too, and the task reports no change either way.
  diff_mode:
    support: none
  platform:
    support: full
    platforms: posix
seealso:
  - name: headroom.memory.diagnose role
    description: Gathers the facts, runs the triage and calls this module once, on the controller.
    link: https://github.com/headroom-memory/headroom.memory/tree/main/roles/diagnose
notes:
  - Run it once for the whole play (C(run_once=true)); the files land on the controller whatever host the task
    runs for.
"""

EXAMPLES = r"""
- name: Write the report of the whole play
  headroom.memory.diagnose_report:
    report: "{{ entries | headroom.memory.triage_fleet(since='30d') }}"
    dest: ./headroom-report
  run_once: true
"""

RETURN = r"""
written:
  description: Whether the report was written; V(false) only with O(on_error=warn).
  returned: always
  type: bool
  sample: true
msg:
  description: Why the report could not be written.
  returned: when RV(written=false)
  type: str
  sample: "cannot write the report under /runner/project/headroom-report: [Errno 30] Read-only file system"
dest:
  description: The report directory, resolved (symbolic links followed); as given when RV(written=false).
  returned: always
  type: str
  sample: /home/ops/headroom-report
files:
  description: The files written, absolute paths, sorted.
  returned: success
  type: list
  elements: str
  sample:
    - /home/ops/headroom-report/index.html
    - /home/ops/headroom-report/remedy-vars/web1.yml
    - /home/ops/headroom-report/report.json
    - /home/ops/headroom-report/report.md
"""
