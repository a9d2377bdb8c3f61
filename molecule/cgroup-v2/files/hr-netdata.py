"""Drive Netdata's available-memory alarm (early_warning's headroom_memory_available) on the VM: start Netdata
(Debian bookworm's 1.37, installed disabled in the image; it reads the role's health.d file as it starts), wait
until the alarm is evaluated, then hold MemAvailable between the critical and the warning share until the alarm
says WARNING, then below the critical share until it says CRITICAL, reading its status from Netdata's own API
on 127.0.0.1:19999 every second. Frees the memory and stops Netdata again (its CPU is the emulated VM's), and
prints what it saw as JSON: the alarms' definitions and a timeline of (seconds, MemAvailable %, status, value).

usage: hr-netdata.py WARN_PCT CRIT_PCT WINDOW_S TIMEOUT_S    (the thresholds given to the role)
"""
import json
import subprocess
import sys
import time
import urllib.request

API = "http://127.0.0.1:19999/api/v1/alarms?all"
AVAILABLE = "mem.available.headroom_memory_available"
CHUNK = 8 << 20


def meminfo():
    with open("/proc/meminfo") as f:
        return dict((line.split(":")[0], int(line.split()[1]) << 10) for line in f)


def available_pct():
    m = meminfo()
    return 100.0 * m["MemAvailable"] / m["MemTotal"]


def alarms():
    try:
        with urllib.request.urlopen(API, timeout=5) as r:
            return json.loads(r.read().decode())["alarms"]
    except (OSError, ValueError):
        return {}


def main(warn, crit, window, timeout):
    t0 = time.time()
    subprocess.check_call(["systemctl", "start", "netdata.service"])
    out = {"timeline": [], "phases": {}}
    held = []

    def step(target):
        """Allocate or free 8 MiB chunks towards MemAvailable == target % (touched pages: b'x' * n)."""
        total = meminfo()["MemTotal"]
        want = (available_pct() - target) * total / 100
        while want > CHUNK:
            held.append(b"\x01" * CHUNK)
            want -= CHUNK
        while want < -CHUNK and held:
            held.pop()
            want += CHUNK

    def poll(until, target=None):
        """Every second: steer towards ``target``, read the alarm, until its status is in ``until``."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if target is not None:
                step(target)
            alarm = alarms().get(AVAILABLE, {})
            row = (round(time.time() - t0, 1), round(available_pct(), 1), alarm.get("status"), alarm.get("value"))
            if not out["timeline"] or out["timeline"][-1][1:3] != row[1:3]:
                out["timeline"].append(row)
            if alarm.get("status") in until:
                return row
            time.sleep(1)
        raise SystemExit("timeout waiting for %s: %s" % (until, json.dumps(out)))

    try:
        # evaluated once its window holds data; CLEAR: the VM starts with enough available memory
        out["phases"]["evaluated"] = poll(("CLEAR", "WARNING", "CRITICAL"))
        out["alarms"] = dict((k, v) for k, v in alarms().items() if "headroom_memory_" in k)
        # below the warning share, well above the critical one
        target = (warn + crit) / 2.0
        step(target)
        out["phases"]["below_warn"] = (round(time.time() - t0, 1), round(available_pct(), 1))
        out["phases"]["warning"] = poll(("WARNING", "CRITICAL"), target)
        target = crit / 2.0
        step(target)
        out["phases"]["below_crit"] = (round(time.time() - t0, 1), round(available_pct(), 1))
        out["phases"]["critical"] = poll(("CRITICAL",), target)
    finally:
        del held[:]
        out["window_s"] = window
        print(json.dumps(out))
        subprocess.call(["systemctl", "stop", "netdata.service"])


if __name__ == "__main__":
    main(*(float(a) for a in sys.argv[1:]))
