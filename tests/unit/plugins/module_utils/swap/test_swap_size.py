# -*- coding: utf-8 -*-
"""Swap sizing policies (vps, redhat, sqrt) at the RAM sizes their sources tabulate."""

import pytest

from ansible_collections.headroom.memory.plugins.module_utils.sizes import SizeError
from ansible_collections.headroom.memory.plugins.module_utils.swap.size import (
    auto_size, ram_for_policy, size_errors, swap_size)

MIB = 1024 ** 2
GIB = 1024 ** 3


@pytest.mark.parametrize("ram_gib, swap_gib", [(0.5, 1), (1, 1), (2, 1), (3, 2), (4, 2), (16, 2), (256, 2)])
def test_vps(ram_gib, swap_gib):
    assert auto_size(int(ram_gib * GIB), "vps") == swap_gib * GIB


@pytest.mark.parametrize("ram_gib, swap_bytes", [
    (1, 2 * GIB), (2, 4 * GIB), (0.5, GIB), (4, 4 * GIB), (8, 8 * GIB), (16, 4 * GIB), (64, 4 * GIB), (128, 4 * GIB)])
def test_redhat(ram_gib, swap_bytes):
    assert auto_size(int(ram_gib * GIB), "redhat") == swap_bytes


@pytest.mark.parametrize("ram_gib, swap_gib", [(1, 1), (2, 1), (4, 2), (8, 3), (16, 4), (32, 6), (64, 8), (128, 11)])
def test_sqrt_matches_ubuntu_table(ram_gib, swap_gib):
    assert auto_size(ram_gib * GIB, "sqrt") == swap_gib * GIB


def test_memtotal_is_rounded_up_to_256_mib():
    # a "2 GiB" VM shows MemTotal a little under 2 GiB: it is still a 2 GiB machine
    assert ram_for_policy(2 * GIB - 90 * MIB) == 2 * GIB
    assert auto_size(2 * GIB - 90 * MIB, "redhat") == 4 * GIB
    assert auto_size(8 * GIB - 200 * MIB, "redhat") == 8 * GIB
    assert auto_size(2 * GIB + 1, "vps") == 2 * GIB


def test_auto_needs_ram_and_a_known_policy():
    with pytest.raises(SizeError, match="MemTotal"):
        auto_size(None)
    with pytest.raises(SizeError, match="not one of vps, redhat, sqrt"):
        auto_size(GIB, "debian")


def test_swap_size_parses_rounds_to_pages_and_rejects_tiny():
    assert swap_size("512M") == 512 * MIB
    assert swap_size("2GiB") == 2 * GIB
    assert swap_size(1048577) == MIB + 4096
    assert swap_size("auto", 4 * GIB, "sqrt") == 2 * GIB
    assert swap_size("AUTO", GIB) == GIB
    with pytest.raises(SizeError, match="at least 1M"):
        swap_size("64K")
    with pytest.raises(SizeError, match="not understood"):
        swap_size("2X")


def test_size_errors_lists_every_problem():
    errors = size_errors([
        {"path": "/ok", "size": "1G", "priority": 3},
        {"path": "relative", "size": "1G"},
        {"path": "/bad-size", "size": "lots"},
        {"path": "/bad-prio", "size": "1G", "priority": 40000},
        {"path": "/bool-prio", "size": "1G", "priority": True},
        {"path": "/bad-state", "size": "1G", "state": "gone"},
        {"path": "/absent-any-size", "size": "whatever", "state": "absent"},
        "not a dict",
    ], policy="vps")
    assert errors == [
        "entry 1 (relative): path must be an absolute path",
        "entry 2 (/bad-size): size 'lots' is not understood: use bytes or a number with K, M, G or T "
        "(binary units, e.g. 512M, 2G, 2GiB)",
        "entry 3 (/bad-prio): priority 40000 is not a whole number from -1 to 32767",
        "entry 4 (/bool-prio): priority True is not a whole number from -1 to 32767",
        "entry 5 (/bad-state): state 'gone' is not present or absent",
        "entry 7 is not a mapping with path, size, priority, state",
    ]
    assert size_errors([{"path": "/x", "size": "auto"}], policy="nope") == [
        "swap size policy 'nope' is not one of vps, redhat, sqrt"]
