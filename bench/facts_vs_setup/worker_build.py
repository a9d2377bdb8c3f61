# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the `ansible` ad hoc CLI with the payload build timed where it really happens: in the forked worker.

`ansible.plugins.action` calls `modify_module()` (find every module_utils file, parse it, zip the payload)
inside the worker process that ansible forks for the task. A worker carries the whole controller heap, so
the cyclic garbage collector, triggered by the many AST objects the parse makes, costs more there than in a
small process that only builds payloads. This wrapper records, per build, the wall time, the collections
per GC generation, and (with HEADROOM_BENCH_NOGC=1, for comparison only) the time with the collector off.

usage: python worker_build.py <log file> <ansible ad hoc arguments...>
Each build appends one JSON line {module, seconds, gc} to the log file.
"""

import gc
import json
import os
import sys
import time

import ansible.plugins.action as action_base

_LOG = sys.argv.pop(1)
_BUILD = action_base.modify_module


def _timed_build(*args, **kwargs):
    before = [s["collections"] for s in gc.get_stats()]
    if os.environ.get("HEADROOM_BENCH_NOGC") == "1":
        gc.disable()
    start = time.perf_counter()
    try:
        return _BUILD(*args, **kwargs)
    finally:
        elapsed = time.perf_counter() - start
        gc.enable()
        after = [s["collections"] for s in gc.get_stats()]
        with open(_LOG, "a") as log:
            log.write(json.dumps({"module": kwargs.get("module_name"), "seconds": elapsed,
                                  "gc": [b - a for a, b in zip(before, after)]}) + "\n")


action_base.modify_module = _timed_build

if __name__ == "__main__":
    from ansible.cli.adhoc import main  # pylint: disable=ungrouped-imports
    sys.argv[0] = "ansible"
    main()
