# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PGTune's algorithm, ported from le0pard/pgtune src/features/configuration/configurationSlice.js
(HEAD 7caef27, 2026) and its view's formatValue, so that our numbers are PGTune's numbers.

Every memory value is computed in integer kB with floor division, as PGTune does, and printed as PGTune
prints it: GB when the kB count divides by 1048576, else MB when it divides by 1024, else kB. Settings
PGTune leaves out (null/empty there) are absent here. The order of the keys is PGTune's output order.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math

KB_PER_MB = 1024
KB_PER_GB = 1048576

VERSIONS = tuple(range(10, 19))
WORKLOADS = ("web", "oltp", "dw", "desktop", "mixed")
STORAGES = ("ssd", "hdd", "san", "nvme")
DB_SIZES = ("less_ram", "mid_ram", "greater_ram")
OSES = ("linux", "windows", "mac")

DEFAULT_CONNECTIONS = {"web": 200, "oltp": 300, "dw": 40, "desktop": 20, "mixed": 100}
# PostgreSQL's max_worker_processes default: the W of work_mem's divisor when no cpus are given
DEFAULT_MAX_WORKER_PROCESSES = 8
WORK_MEM_DIVISOR = {"web": 1, "oltp": 1, "dw": 2, "desktop": 6, "mixed": 2}
WORK_MEM_FLOOR_KB = 4 * KB_PER_MB
WAL_SIZES_MB = {"web": (1024, 4096), "oltp": (2048, 8192), "dw": (4096, 16384),
                "desktop": (100, 2048), "mixed": (1024, 4096)}
IO_CONCURRENCY = {"hdd": 2, "ssd": 200, "san": 300, "nvme": 1000}
WINDOWS_2GB_LIMIT_KB = 2 * KB_PER_GB - KB_PER_MB


class PgtuneError(ValueError):
    """An input PGTune does not accept; the message names it."""


def format_kb(value):
    """PGTune's formatValue: ``4194304`` -> ``4GB``, ``16384`` -> ``16MB``, ``40329`` -> ``40329kB``."""
    if value % KB_PER_GB == 0:
        return "%dGB" % (value // KB_PER_GB)
    if value % KB_PER_MB == 0:
        return "%dMB" % (value // KB_PER_MB)
    return "%dkB" % value


def _whole(name, value, low=1, high=999999):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise PgtuneError("%s %r is not a whole number from %d to %d" % (name, value, low, high))
    return value


def _choice(name, value, choices):
    if value not in choices:
        raise PgtuneError("%s %r is not one of %s" % (name, value, ", ".join(str(c) for c in choices)))
    return value


def normalise(params):
    """Validated PGTune inputs with PGTune's defaults (version 18, web, ssd, mid_ram, linux)."""
    if not isinstance(params, dict):
        raise PgtuneError("postgresql_settings expects a mapping, got %s" % type(params).__name__)
    known = ("memory_mb", "cpus", "workload", "storage", "connections", "db_size", "version", "os")
    unknown = sorted(str(k) for k in params if k not in known)
    if unknown:
        raise PgtuneError("unknown key(s) %s; known: %s" % (", ".join(unknown), ", ".join(known)))
    version = params.get("version", 18)
    if isinstance(version, str) and version.isdigit():
        version = int(version)
    return {
        "memory_mb": _whole("memory_mb", params.get("memory_mb"), 1, 1 << 40)
        if params.get("memory_mb") is not None else _missing("memory_mb"),
        "cpus": _whole("cpus", params.get("cpus"), 1, 9999) or None,
        "workload": _choice("workload", params.get("workload", "web"), WORKLOADS),
        "storage": _choice("storage", params.get("storage", "ssd"), STORAGES),
        "connections": _whole("connections", params.get("connections"), 1, 999999) or None,
        "db_size": _choice("db_size", params.get("db_size", "mid_ram"), DB_SIZES),
        "version": _choice("version", version, VERSIONS),
        "os": _choice("os", params.get("os", "linux"), OSES),
    }


def _missing(name):
    raise PgtuneError("%s is required" % name)


def max_connections(p):
    return p["connections"] or DEFAULT_CONNECTIONS[p["workload"]]


def shared_buffers_kb(p):
    ram = p["memory_mb"] * KB_PER_MB
    value = ram // 16 if p["workload"] == "desktop" else ram // 4
    if p["version"] < 10 and p["os"] == "windows":  # unreachable for 10..18; kept as PGTune has it
        value = min(value, 512 * KB_PER_MB)
    return value


def effective_cache_size_kb(p):
    ram = p["memory_mb"] * KB_PER_MB
    return ram // 4 if p["workload"] == "desktop" else ram * 3 // 4


def maintenance_work_mem_kb(p):
    ram = p["memory_mb"] * KB_PER_MB
    value = ram // 8 if p["workload"] == "dw" else ram // 16
    windows_old = p["os"] == "windows" and p["version"] <= 17
    limit = 2 * KB_PER_GB if windows_old else 8 * KB_PER_GB
    if value >= limit:
        value = limit - KB_PER_MB if windows_old else limit
    return value


def wal_buffers_kb(shared_buffers):
    value = 3 * shared_buffers // 100
    value = min(value, 16 * KB_PER_MB)
    if 14 * KB_PER_MB < value < 16 * KB_PER_MB:
        value = 16 * KB_PER_MB
    return max(value, 32)


def random_page_cost(p):
    if p["db_size"] == "less_ram":
        return 1.1
    if p["storage"] == "hdd" or p["workload"] == "dw":
        return 4
    return 1.1


def parallel_settings(p):
    """[(name, value)] PGTune's parallel settings: only with 4 or more cpus."""
    cpus = p["cpus"]
    if not cpus or cpus < 4:
        return []
    per_gather = int(math.ceil(cpus / 2.0))
    if p["workload"] != "dw":
        per_gather = min(per_gather, 4)
    out = [("max_worker_processes", cpus), ("max_parallel_workers_per_gather", per_gather)]
    if p["version"] >= 10:
        out.append(("max_parallel_workers", cpus))
    if p["version"] >= 11:
        out.append(("max_parallel_maintenance_workers", min(4, int(math.ceil(cpus / 2.0)))))
    return out


def work_mem_kb(p):
    """(RAM - shared_buffers) / ((max_connections + max_worker_processes) x 3), by workload and db size."""
    ram = p["memory_mb"] * KB_PER_MB
    parallel = dict(parallel_settings(p))
    workers = parallel.get("max_worker_processes") or DEFAULT_MAX_WORKER_PROCESSES
    base = (ram - shared_buffers_kb(p)) / float((max_connections(p) + workers) * 3)
    value = int(math.floor(base / WORK_MEM_DIVISOR[p["workload"]]))
    if p["db_size"] == "less_ram":
        value = int(math.floor(value * 1.3))
    elif p["db_size"] == "greater_ram":
        value = int(math.floor(value * 0.9))
    value = max(value, WORK_MEM_FLOOR_KB)
    if p["os"] == "windows" and p["version"] <= 17:
        value = min(value, WINDOWS_2GB_LIMIT_KB)
    return value


def autovacuum_max_workers(p):
    cpus = p["cpus"]
    if not cpus:
        return None
    if cpus >= 32:
        return 5
    if cpus >= 16:
        return 4
    return None


def autovacuum_work_mem_kb(p):
    value = 2 * KB_PER_GB if maintenance_work_mem_kb(p) >= 2 * KB_PER_GB else None
    if value is not None and p["os"] == "windows" and p["version"] <= 17:
        value = min(value, WINDOWS_2GB_LIMIT_KB)
    return value


def io_method(p):
    if p["version"] < 18:
        return None
    return "io_uring" if p["os"] == "linux" else "worker"


def io_workers(p):
    if p["version"] < 18 or not p["cpus"] or io_method(p) == "io_uring":
        return None
    value = min(32, max(3, p["cpus"] // 4))
    return value if value > 3 else None


def huge_pages(p):
    if p["os"] == "mac":
        return "off"
    return "try" if shared_buffers_kb(p) >= 2 * KB_PER_GB else "off"


def jit(p):
    return "off" if p["version"] >= 12 and p["workload"] in ("web", "oltp", "mixed") else None


def wal_compression(p):
    if p["version"] >= 15:
        return "lz4"
    return "on" if p["version"] >= 10 else None


def warnings(p):
    """PGTune's warning lines (without its leading 'WARNING'), empty when it prints none."""
    out = []
    ram_bytes = p["memory_mb"] * KB_PER_GB
    if ram_bytes < 256 * KB_PER_GB:
        out.append("this tool not being optimal for low memory systems")
    elif ram_bytes > 100 * KB_PER_GB * 1024:
        out.append("this tool not being optimal for very high memory systems")
    if wal_compression(p) == "lz4":
        out.append("wal_compression = lz4 requires PostgreSQL to be compiled with --with-lz4")
    if io_method(p) == "io_uring":
        out.append("io_method = io_uring requires PostgreSQL to be compiled with --with-liburing")
    if p["workload"] == "dw" and p["storage"] != "hdd" and p["db_size"] != "less_ram":
        drive = {"ssd": "SSDs", "nvme": "NVMe drives", "san": "SAN storage"}[p["storage"]]
        out.append("Cost parameters for Data Warehouses on %s are left at defaults to avoid catastrophic "
                   "index scan selections; monitor query planner behavior and adjust random_page_cost if "
                   "necessary" % drive)
    return out


def settings_kb(params):
    """PGTune's settings with memory values as integer kB (None = left out), in PGTune's output order."""
    p = normalise(params)
    sb = shared_buffers_kb(p)
    min_wal, max_wal = WAL_SIZES_MB[p["workload"]]
    rows = [
        ("max_connections", max_connections(p)),
        ("shared_buffers", sb),
        ("effective_cache_size", effective_cache_size_kb(p)),
        ("maintenance_work_mem", maintenance_work_mem_kb(p)),
        ("checkpoint_completion_target", 0.9),
        ("wal_buffers", wal_buffers_kb(sb)),
        ("default_statistics_target", 500 if p["workload"] == "dw" else 100),
        ("random_page_cost", random_page_cost(p)),
        ("effective_io_concurrency", IO_CONCURRENCY[p["storage"]] if p["os"] == "linux" else None),
        ("work_mem", work_mem_kb(p)),
        ("huge_pages", huge_pages(p)),
        ("jit", jit(p)),
        ("wal_compression", wal_compression(p)),
        ("autovacuum_max_workers", autovacuum_max_workers(p)),
        ("autovacuum_work_mem", autovacuum_work_mem_kb(p)),
        ("io_method", io_method(p)),
        ("io_workers", io_workers(p)),
        ("min_wal_size", min_wal * KB_PER_MB),
        ("max_wal_size", max_wal * KB_PER_MB),
    ]
    rows += parallel_settings(p)
    if p["workload"] == "desktop":
        rows += [("wal_level", "minimal"), ("max_wal_senders", "0")]
    return dict((k, v) for k, v in rows if v)


MEMORY_SETTINGS = ("shared_buffers", "effective_cache_size", "maintenance_work_mem", "wal_buffers", "work_mem",
                   "autovacuum_work_mem", "min_wal_size", "max_wal_size")


def format_settings(values_kb):
    """Print memory settings the way PGTune does; other values stay as they are."""
    return dict((k, format_kb(v) if k in MEMORY_SETTINGS else v) for k, v in values_kb.items())


def postgresql_settings(params):
    """PGTune's postgresql.conf settings for ``params`` (see the filter's documentation)."""
    return format_settings(settings_kb(params))
