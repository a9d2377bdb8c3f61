#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: unit_memory_info
short_description: Read systemd units' memory settings, their live cgroup limits and set-property overrides
version_added: 0.1.0
description:
  - Reads, for each unit, what C(systemctl show) reports (load and active state, main PID, C(MemoryCurrent),
    C(MemoryMax), C(MemoryHigh), C(MemorySwapMax), C(MemoryLow), C(MemoryLimit), C(OOMScoreAdjust), C(OOMPolicy),
    C(Restart), C(NRestarts)), the limits the kernel really enforces on the unit's cgroup now
    (cgroup v2 C(memory.max), C(memory.high), C(memory.swap.max), C(memory.low); cgroup v1
    C(memory.limit_in_bytes)), the running process's C(oom_score_adj) and start time, and the
    C(systemctl set-property) drop-ins under C(/etc/systemd/system.control) and C(/run/systemd/system.control)
    that set a memory, OOM or restart setting.
  - Read-only; used by the C(headroom.memory.service_limits) and C(headroom.memory.heap) roles for their checks.
  - Never returns process command lines or environments.
author:
  - headroom.memory maintainers (@headroom)
options:
  units:
    description:
      - Unit names. A name without a unit suffix gets C(.service).
    type: list
    elements: str
    required: true
  paths:
    description:
      - Files whose modification time (seconds since the epoch) to return, to compare with a process's
        start time.
    type: list
    elements: path
    default: []
attributes:
  check_mode:
    support: full
    description: Reads only.
  diff_mode:
    support: none
    description: Reads only.
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: posix
    details: Linux hosts whose service manager is systemd (C(systemctl show)).
requirements:
  - systemd (C(systemctl)) on the target.
notes:
  - Byte values are integers, the string C(infinity), or C(null) when systemd or the kernel does not say.
  - On cgroup v1, systemd still reports C(MemoryHigh) and friends from the unit's configuration, but only
    C(live.MemoryMax) (from C(memory.limit_in_bytes)) is enforced.
"""

EXAMPLES = r"""
- name: Read the memory settings of two units
  headroom.memory.unit_memory_info:
    units: [postgresql, myapp.service]
  register: units

- name: Show the live limit of myapp
  ansible.builtin.debug:
    msg: "{{ units.units['myapp.service'].live.MemoryMax }}"
"""

RETURN = r"""
host:
  description: The host as it matters for memory limits.
  returned: always
  type: dict
  contains:
    cgroup:
      description: C(v2) (unified), C(v1) (memory controller on a v1 or hybrid hierarchy) or C(null).
      type: str
      sample: v1
    systemd_version:
      description: Major version of the running systemd, or C(null).
      type: int
      sample: 252
    mem_total:
      description: MemTotal in bytes.
      type: int
      sample: 25769803776
    swap_total:
      description: SwapTotal in bytes.
      type: int
      sample: 0
units:
  description: One entry per unit, keyed by the full unit name.
  returned: always
  type: dict
  contains:
    unit:
      description: The full unit name.
      type: str
      sample: myapp.service
    load_state:
      description: C(LoadState); C(not-found) for a unit that does not exist.
      type: str
      sample: loaded
    active_state:
      description: C(ActiveState).
      type: str
      sample: active
    main_pid:
      description: C(MainPID), C(null) when no process runs.
      type: int
      sample: 1234
    control_group:
      description: The unit's cgroup path.
      type: str
      sample: /system.slice/myapp.service
    memory_current:
      description: C(MemoryCurrent) in bytes, or C(null).
      type: int
      sample: 52428800
    working_set:
      description:
        - The unit's cgroup usage minus its inactive page cache (C(inactive_file) of C(memory.stat)) in bytes, or
          C(null) when the cgroup is not readable (the unit is stopped, or has no memory cgroup).
        - What service_limits compares a new C(memory_max) with, as diagnose's remedy gate does.
      type: int
      sample: 41943040
    props:
      description: The raw C(systemctl show) properties read.
      type: dict
    live:
      description: The limits the kernel enforces on the unit's cgroup now, by systemd key (v1 has C(MemoryMax) only).
      type: dict
      sample: {MemoryMax: 67108864}
    oom_score_adj:
      description: C(/proc/<MainPID>/oom_score_adj), or C(null).
      type: int
      sample: 300
    main_pid_start:
      description: Start time of the main process, seconds since the epoch, or C(null).
      type: float
      sample: 1764108000.25
    overrides:
      description: C(systemctl set-property) settings for memory, OOM or restart keys.
      type: list
      elements: dict
      contains:
        path:
          description: The drop-in file.
          type: str
        key:
          description: The setting.
          type: str
        value:
          description: Its value as written.
          type: str
        runtime:
          description: True under C(/run) (C(--runtime)), false under C(/etc).
          type: bool
        other_keys:
          description: Other settings in the same file.
          type: list
          elements: str
paths:
  description: Modification time of each requested path (seconds since the epoch), C(null) when missing.
  returned: always
  type: dict
  sample: {/etc/systemd/system/app.service.d/50-headroom-heap.conf: 1764108000.0}
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.headroom.memory.plugins.module_utils.systemd.unit_memory import (
    MEMORY_KEYS, SHOW_PROPERTIES, cgroup_layout, find_overrides, meminfo_bytes, parse_bytes, parse_int,
    parse_show, process_start_epoch, read_live_limits, read_oom_score_adj, read_unit_working_set, systemd_version)
from ansible_collections.headroom.memory.plugins.module_utils.systemd.unit_names import unit_name

OVERRIDE_KEYS = MEMORY_KEYS + ("OOMScoreAdjust", "OOMPolicy", "Restart", "RestartSec")


def main():
    module = AnsibleModule(
        argument_spec=dict(
            units=dict(type="list", elements="str", required=True),
            paths=dict(type="list", elements="path", default=[]),
        ),
        supports_check_mode=True,
    )
    env = dict(LANG="C", LC_ALL="C", SYSTEMD_PAGER="", SYSTEMD_COLORS="0")
    systemctl = module.get_bin_path("systemctl", required=True)
    units = []
    for name in module.params["units"]:
        full = unit_name(name)
        if full not in units:
            units.append(full)
    layout = cgroup_layout()
    rc, out, err = module.run_command([systemctl, "--version"], environ_update=env)
    host = {
        "cgroup": layout,
        "systemd_version": systemd_version(out) if rc == 0 else None,
        "mem_total": meminfo_bytes("MemTotal"),
        "swap_total": meminfo_bytes("SwapTotal"),
    }
    result = {}
    if units:
        cmd = [systemctl, "show", "--no-pager", "-p", ",".join(SHOW_PROPERTIES), "--"] + units
        rc, out, err = module.run_command(cmd, environ_update=env)
        if rc != 0:
            module.fail_json(msg="systemctl show failed: %s" % (err or out).strip(), rc=rc)
        shown = parse_show(out)
        if len(shown) != len(units):
            module.fail_json(msg="systemctl show returned %d blocks for %d units" % (len(shown), len(units)))
        for full, props in zip(units, shown):
            pid = parse_int(props.get("MainPID")) or None
            cgroup = props.get("ControlGroup") or None
            result[full] = {
                "unit": full,
                "load_state": props.get("LoadState"),
                "active_state": props.get("ActiveState"),
                "main_pid": pid,
                "control_group": cgroup,
                "memory_current": parse_bytes(props.get("MemoryCurrent")),
                "working_set": read_unit_working_set(cgroup, layout),
                "props": props,
                "live": read_live_limits(cgroup, layout),
                "oom_score_adj": read_oom_score_adj(pid),
                "main_pid_start": process_start_epoch(pid),
                "overrides": find_overrides(full, OVERRIDE_KEYS),
            }
    paths = {}
    for path in module.params["paths"]:
        try:
            paths[path] = os.stat(path).st_mtime
        except OSError:
            paths[path] = None
    module.exit_json(changed=False, host=host, units=result, paths=paths)


if __name__ == "__main__":
    main()
