# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What compiling memory_facts' code costs on the target, file by file (issue 35's "import per subset" lever).

AnsiballZ ships the source of every module_utils file an import statement of the module reaches (also an import
inside a function), and the target's python compiles a file only when it is imported. This prints, for the module's
default call on this host (``gather_subset=all``, run once as the target runs it, with ``-X importtime``, from a copy
without ``__pycache__``): the files shipped, the files imported, and the median CPU time of compile() of each (15
rounds). A file shipped but not imported costs the controller's parse and the payload's bytes, not the compile.

usage: .venv/bin/python bench/facts_vs_setup/compile_cost.py [--args '{"gather_subset": ["all"]}']
"""

from __future__ import absolute_import, division, print_function

import argparse
import ast
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PREFIX = 'ansible_collections.headroom.memory.'
MODULE = os.path.join(ROOT, 'plugins', 'modules', 'memory_facts.py')


def path_of(name):
    rel = name[len(PREFIX):].replace('.', os.sep) if name.startswith(PREFIX) else None
    for candidate in ((rel + '.py', os.path.join(rel, '__init__.py')) if rel else ()):
        if os.path.isfile(os.path.join(ROOT, candidate)):
            return candidate
    return None


def shipped():
    """Every file of the collection an import statement reaches from the module (as ansible's finder walks)."""
    seen, todo = set(), [os.path.relpath(MODULE, ROOT)]
    while todo:
        rel = todo.pop()
        if rel in seen:
            continue
        seen.add(rel)
        with open(os.path.join(ROOT, rel)) as f:
            tree = ast.parse(f.read())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [node.module + '.' + a.name for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            todo.extend(p for p in (path_of(n) for n in names) if p)
    return seen


def imported(module_args):
    """The collection's files one run of the module imports on this host."""
    tmp = tempfile.mkdtemp(prefix='headroom-compile-')
    try:
        dest = os.path.join(tmp, 'ansible_collections', 'headroom', 'memory')
        shutil.copytree(ROOT, dest, ignore=shutil.ignore_patterns('.git', '.work', '.venv', '__pycache__', 'tests'))
        args = os.path.join(tmp, 'args.json')
        with open(args, 'w') as f:
            json.dump({'ANSIBLE_MODULE_ARGS': module_args}, f)
        env = dict(os.environ, PYTHONPATH=tmp, PYTHONDONTWRITEBYTECODE='1')
        proc = subprocess.run([sys.executable, '-X', 'importtime', '-m', PREFIX + 'plugins.modules.memory_facts', args],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                              check=False)
        names = [line.rsplit('|', 1)[-1].strip() for line in proc.stderr.splitlines() if '|' in line]
        return set(p for p in (path_of(n) for n in names) if p)
    finally:
        shutil.rmtree(tmp)


def compile_cpu(rel, rounds=15):
    with open(os.path.join(ROOT, rel)) as f:
        source = f.read()
    times = []
    for _round in range(rounds):
        t0 = time.process_time()
        compile(source, rel, 'exec')
        times.append(time.process_time() - t0)
    return sorted(times)[rounds // 2] * 1e3


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--args', default='{}', help='the module arguments, JSON')
    opts = parser.parse_args()
    files = shipped()
    used = imported(json.loads(opts.args)) | {os.path.relpath(MODULE, ROOT)}
    cost = dict((rel, compile_cpu(rel)) for rel in files if os.path.getsize(os.path.join(ROOT, rel)))
    print('compile CPU ms (median of 15)  imported  file')
    for rel in sorted(cost, key=lambda r: -cost[r]):
        print('%8.2f  %s  %s' % (cost[rel], 'yes' if rel in used else ' no', rel))
    print('shipped: %d files, %.1f ms to compile; imported by this call on this host: %d files, %.1f ms'
          % (len(files), sum(cost.values()), len(used & files), sum(v for r, v in cost.items() if r in used)))


if __name__ == '__main__':
    main()
