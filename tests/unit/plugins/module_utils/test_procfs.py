# -*- coding: utf-8 -*-
"""memstate: /proc/meminfo, /proc/swaps, sysctls, PSI and vmstat, over real and hand-made /proc files."""

import os
import shutil

import pytest

from ansible_collections.headroom.memory.plugins.module_utils import procfs as memstate

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "proc")
HOST = os.path.join(FIXTURES, "debian12-host")  # copied from this project's Debian 12 machine (kernel 6.18)
RHEL6 = os.path.join(FIXTURES, "rhel6-swap")    # an old kernel: no MemAvailable, no oom_kill counter


def test_memory_from_a_real_debian12_meminfo():
    memory = memstate.read_memory(HOST)
    assert memory == {
        "total_mb": 24684084 // 1024,
        "available_mb": 24224428 // 1024,
        "free_mb": 22184176 // 1024,
        "used_mb": (24684084 - 24224428) // 1024,
        "buffers_mb": 59852 // 1024,
        "cached_mb": 2022880 // 1024,
        "shmem_mb": 9016 // 1024,
        "slab_mb": 306508 // 1024,
        "committed_as_mb": 122640 // 1024,
        "commit_limit_mb": 12342040 // 1024,
        "hugepages_total": 0,
        "hugepages_free": 0,
    }


def test_old_kernel_without_memavailable_gives_null_not_a_guess():
    memory = memstate.read_memory(RHEL6)
    assert memory["available_mb"] is None
    assert memory["used_mb"] is None  # used is total - available: unknown without MemAvailable
    assert memory["total_mb"] == 8061116 // 1024
    assert memory["hugepages_total"] == 16 and memory["hugepages_free"] == 4  # counts, not MiB


def test_missing_meminfo_gives_all_null(tmp_path):
    memory = memstate.read_memory(str(tmp_path))
    assert set(memory) == {"total_mb", "available_mb", "free_mb", "used_mb", "buffers_mb", "cached_mb",
                           "shmem_mb", "slab_mb", "committed_as_mb", "commit_limit_mb",
                           "hugepages_total", "hugepages_free"}
    assert all(v is None for v in memory.values())


def test_unreadable_meminfo_gives_null(tmp_path):
    # a directory where the file should be: open() fails like a permission error would
    (tmp_path / "meminfo").mkdir()
    assert memstate.read_memory(str(tmp_path))["total_mb"] is None


def test_swap_devices_with_escaped_path_and_totals():
    swap = memstate.read_swap(RHEL6)
    assert swap["total_mb"] == 4194300 // 1024
    assert swap["free_mb"] == 2620856 // 1024
    assert swap["used_mb"] == (4194300 - 2620856) // 1024
    assert swap["devices"] == [
        {"path": "/dev/dm-1", "type": "partition", "size_mb": 2097148 // 1024, "used_mb": 1573444 // 1024,
         "priority": -1},
        {"path": "/var/swap file", "type": "file", "size_mb": 2048, "used_mb": 0, "priority": -2},
    ]


def test_no_swap_active_is_an_empty_list():
    swap = memstate.read_swap(HOST)
    assert swap == {"total_mb": 0, "free_mb": 0, "used_mb": 0, "devices": []}


def test_swaps_unreadable_is_null_devices(tmp_path):
    (tmp_path / "meminfo").write_text("SwapTotal: 1024 kB\nSwapFree: 0 kB\n")
    swap = memstate.read_swap(str(tmp_path))
    assert swap["devices"] is None
    assert swap["used_mb"] == 1


def test_swap_rows_are_the_kernels_kib_with_null_for_garbage():
    text = "Filename Type Size Used Priority\n/a\\040b\\040(deleted) file 65532 12 -2\n/c file x 0 5\nshort\n"
    assert memstate.swap_rows(text) == [
        {"path": "/a b (deleted)", "type": "file", "size_kb": 65532, "used_kb": 12, "priority": -2},
        {"path": "/c", "type": "file", "size_kb": None, "used_kb": 0, "priority": 5},
    ]
    assert memstate.swap_rows(None) is None
    assert memstate.unescape("/mnt/my\\040disk\\011x") == "/mnt/my disk\tx"


def test_boot_time_from_fixture_and_missing(tmp_path):
    (tmp_path / "stat").write_text("cpu  1 2 3\nbtime 1795637464\nprocesses 9\n")
    assert memstate.read_boot_time(str(tmp_path)) == 1795637464
    assert memstate.read_boot_time(str(tmp_path / "nothing")) is None
    assert memstate.parse_btime("btime\n") is None and memstate.parse_btime("btime x\n") is None


def test_sysctls_read_as_integers():
    assert memstate.read_sysctls(HOST) == {
        "vm.swappiness": 60, "vm.vfs_cache_pressure": 100, "vm.overcommit_memory": 0,
        "vm.overcommit_ratio": 50, "vm.min_free_kbytes": 67584, "vm.panic_on_oom": 0,
        "vm.oom_kill_allocating_task": 0, "kernel.dmesg_restrict": 1,
    }


def test_sysctl_missing_or_garbage_is_null(tmp_path):
    shutil.copytree(os.path.join(HOST, "sys"), str(tmp_path / "sys"))
    os.remove(str(tmp_path / "sys" / "vm" / "panic_on_oom"))
    (tmp_path / "sys" / "vm" / "swappiness").write_text("not a number\n")
    values = memstate.read_sysctls(str(tmp_path))
    assert values["vm.panic_on_oom"] is None
    assert values["vm.swappiness"] is None
    assert values["vm.overcommit_ratio"] == 50


def test_pressure_from_real_psi_file():
    assert memstate.read_pressure(HOST) == {
        "some": {"avg10": 0.0, "avg60": 0.0, "avg300": 0.0, "total_us": 5491},
        "full": {"avg10": 0.0, "avg60": 0.0, "avg300": 0.0, "total_us": 4612},
    }


def test_pressure_values_under_load():
    text = "some avg10=12.50 avg60=3.07 avg300=0.66 total=98765432\nfull avg10=4.00 avg60=1.01 avg300=0.20 total=1234567\n"
    pressure = memstate.parse_pressure(text)
    assert pressure["some"] == {"avg10": 12.5, "avg60": 3.07, "avg300": 0.66, "total_us": 98765432}
    assert pressure["full"]["total_us"] == 1234567


def test_pressure_some_only_kernel_gives_full_null():
    # kernels 4.20-5.12 print no "full" line for memory on some configs; never invent one
    pressure = memstate.parse_pressure("some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n")
    assert pressure["full"] is None and pressure["some"]["total_us"] == 0


@pytest.mark.parametrize("text", [None, "", "garbage\n"])
def test_no_psi_is_null(text):
    assert memstate.parse_pressure(text) is None


def test_vmstat_counters_from_real_file():
    assert memstate.read_vmstat(HOST) == {"oom_kill": 5, "pswpin": 0, "pswpout": 0, "pgmajfault": 1964}


def test_vmstat_counter_missing_on_old_kernel_is_null():
    vmstat = memstate.read_vmstat(RHEL6)
    assert vmstat == {"oom_kill": None, "pswpin": 21391, "pswpout": 412345, "pgmajfault": 18270}


def test_vmstat_missing_file(tmp_path):
    assert memstate.read_vmstat(str(tmp_path)) == dict.fromkeys(memstate.VMSTAT_KEYS)


def test_meminfo_parser_skips_malformed_lines():
    values = memstate.parse_meminfo("MemTotal: 100 kB\nnonsense\nMemFree: x kB\nCached:\n")
    assert values == {"MemTotal": 100}
