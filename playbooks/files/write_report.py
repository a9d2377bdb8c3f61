# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write the diagnose report's files in one go on the controller (one process instead of one copy module
per file): reads ``{"relative/path": "text", ...}`` as JSON on stdin, writes each file under the directory
given as the only argument (atomically: a temporary file renamed over it, mode 0644), creating
subdirectories as needed. Paths that leave the directory are refused. Prints the paths written."""

import json
import os
import sys
import tempfile


def write_all(root, files):
    """Write ``files`` ({relative path: text}) under ``root``; returns the paths written."""
    root = os.path.realpath(root)
    written = []
    for rel, text in sorted(files.items()):
        path = os.path.realpath(os.path.join(root, rel))
        if os.path.commonpath([root, path]) != root or path == root:
            raise ValueError("refusing to write %r outside %s" % (rel, root))
        os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".diagnose-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
        written.append(path)
    return written


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: write_report.py <report dir> < files.json")
    for path in write_all(sys.argv[1], json.load(sys.stdin)):
        print(path)


if __name__ == "__main__":
    main()
