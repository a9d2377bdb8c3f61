# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which sysctl.d file wins at boot, as systemd-sysctl reads them.

systemd-sysctl collects ``*.conf`` from /etc/sysctl.d, /run/sysctl.d, /usr/local/lib/sysctl.d,
/usr/lib/sysctl.d and /lib/sysctl.d; a file name in an earlier directory shadows the same name in a
later one; the surviving files are applied in lexical order of their names, so a later file overrides a
key set by an earlier one.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import posixpath

DIRS = ("/etc/sysctl.d", "/run/sysctl.d", "/usr/local/lib/sysctl.d", "/usr/lib/sysctl.d", "/lib/sysctl.d")
OUR_SUFFIX = "headroom-swap.conf"


def effective_files(paths):
    """The files systemd-sysctl applies, in order: {name: path} after shadowing, sorted by name."""
    chosen = {}
    rank = {}
    for path in paths:
        d, name = posixpath.split(path)
        if not name.endswith(".conf") or d not in DIRS:
            continue
        r = DIRS.index(d)
        if name not in chosen or r < rank[name]:
            chosen[name], rank[name] = path, r
    return [(name, chosen[name]) for name in sorted(chosen)]


def is_ours(name):
    return name.endswith(OUR_SUFFIX)


def sysctl_plan(setting_paths, default_name, override=False):
    """Where our file goes and who overrides it.

    ``setting_paths``: files (in any of DIRS) that set one of our keys; ours are recognised by name.
    Returns {name, overriders, remove}: ``overriders`` are the paths applied after ours that set one of our keys
    (so they win at boot); with ``override`` the name is moved after the last of them (and overriders is
    then what was overtaken, for the message); ``remove`` are our files in /etc/sysctl.d under another name (an
    earlier run's, before the name moved): the role deletes them, and remediate copies them aside first.
    """
    files = [(n, p) for n, p in effective_files(setting_paths) if not is_ours(n)]
    after = [p for n, p in files if n > default_name]
    if not override or not after:
        name, moved = default_name, False
    else:
        last = max(posixpath.basename(p) for p in after)
        stem = last[:-len(".conf")]
        # "_" sorts after ".", so "<stem>_headroom-swap.conf" comes right after "<stem>.conf"
        name, moved = "%s_%s" % (stem, OUR_SUFFIX), True
    remove = sorted(set(p for p in setting_paths if posixpath.dirname(p) == DIRS[0]
                        and is_ours(posixpath.basename(p)) and posixpath.basename(p) != name))
    return {"name": name, "overriders": after, "moved": moved, "remove": remove}
