# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Swap sizes: ``auto`` from RAM by a named policy, and the size strings people write.

Policies (RAM is MemTotal rounded up to a multiple of 256 MiB, since installed memory comes in such
steps and the kernel keeps a little for itself; this also keeps ``auto`` stable across kernels):

- ``vps``: the usual cushion on a small server: 1 GiB up to 2 GiB of RAM, 2 GiB above.
- ``redhat``: Red Hat's "Recommended System Swap Space" without hibernation: up to 2 GiB of RAM twice
  the RAM, up to 8 GiB the RAM, above that 4 GiB.
- ``sqrt``: Ubuntu's SwapFaq rule without hibernation: the square root of RAM in GiB, rounded, at least 1 GiB.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math

from ansible_collections.headroom.memory.plugins.module_utils.sizes import SizeError, parse_size

MIB = 1024 ** 2
GIB = 1024 ** 3
RAM_STEP = 256 * MIB
POLICIES = ("vps", "redhat", "sqrt")
# mkswap needs 10 pages; anything below a MiB is a typo, not a swap file
MIN_SWAP = MIB


def ram_for_policy(memtotal_bytes):
    """MemTotal rounded up to the next multiple of 256 MiB."""
    return int(math.ceil(memtotal_bytes / float(RAM_STEP))) * RAM_STEP


def auto_size(memtotal_bytes, policy="vps"):
    """Swap size in bytes for ``memtotal_bytes`` of RAM under ``policy``."""
    if policy not in POLICIES:
        raise SizeError("swap size policy %r is not one of %s" % (policy, ", ".join(POLICIES)))
    if memtotal_bytes is None or memtotal_bytes <= 0:
        raise SizeError("size auto needs the RAM size (MemTotal), which could not be read")
    ram = ram_for_policy(memtotal_bytes)
    if policy == "vps":
        return GIB if ram <= 2 * GIB else 2 * GIB
    if policy == "redhat":
        if ram <= 2 * GIB:
            return 2 * ram
        if ram <= 8 * GIB:
            return ram
        return 4 * GIB
    return max(1, int(round(math.sqrt(ram / float(GIB))))) * GIB


def swap_size(value, memtotal_bytes=None, policy="vps", page_size=4096):
    """Bytes for a swap size: ``auto`` (by policy), a size string or a number of bytes.

    The result is rounded up to whole pages (mkswap uses whole pages). Raises SizeError with a readable
    message for anything else, and for sizes under 1 MiB.
    """
    if isinstance(value, str) and value.strip().lower() == "auto":
        nbytes = auto_size(memtotal_bytes, policy)
    else:
        nbytes = parse_size(value)
    if nbytes < MIN_SWAP:
        raise SizeError("swap size %r is %d bytes: a swap file needs at least 1M" % (value, nbytes))
    return int(math.ceil(nbytes / float(page_size))) * page_size


def size_errors(entries, policy="vps"):
    """Readable problems with a list of swap file entries ({path, size, priority, state}); [] when all is well."""
    errors = []
    if policy not in POLICIES:
        errors.append("swap size policy %r is not one of %s" % (policy, ", ".join(POLICIES)))
    for i, entry in enumerate(entries or []):
        if not isinstance(entry, dict):
            errors.append("entry %d is not a mapping with path, size, priority, state" % i)
            continue
        where = "entry %d (%s)" % (i, entry.get("path", "no path"))
        path = entry.get("path")
        if not isinstance(path, str) or not path.startswith("/"):
            errors.append("%s: path must be an absolute path" % where)
        state = entry.get("state", "present")
        if state not in ("present", "absent"):
            errors.append("%s: state %r is not present or absent" % (where, state))
        prio = entry.get("priority")
        if prio is not None and (isinstance(prio, bool) or not isinstance(prio, int) or not -1 <= prio <= 32767):
            errors.append("%s: priority %r is not a whole number from -1 to 32767" % (where, prio))
        if state == "present":
            size = entry.get("size", "auto")
            if not (isinstance(size, str) and size.strip().lower() == "auto"):
                try:
                    swap_size(size)
                except SizeError as e:
                    errors.append("%s: %s" % (where, e))
    return errors
