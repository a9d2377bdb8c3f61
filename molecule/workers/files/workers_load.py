"""Bounded load for the headroom.memory workers scenario: at most REQUESTS requests, CONCURRENCY at a time,
for at most SECONDS, to an HTTP URL on 127.0.0.1 or a php-fpm socket (through cgi-fcgi). Prints one JSON line."""
import argparse
import json
import os
import subprocess
import threading
import time
import urllib.request

parser = argparse.ArgumentParser()
parser.add_argument("target", help="http://127.0.0.1... or a php-fpm unix socket path")
parser.add_argument("--script", default="/var/www/html/grow.php", help="the PHP script, for a socket")
parser.add_argument("--requests", type=int, default=100)
parser.add_argument("--concurrency", type=int, default=4)
parser.add_argument("--seconds", type=float, default=60)
opts = parser.parse_args()
if not (opts.target.startswith("http://127.0.0.1") or opts.target.startswith("/run/php/")):
    raise SystemExit("target must be http://127.0.0.1... or /run/php/...: %r" % opts.target)

deadline = time.time() + opts.seconds
lock = threading.Lock()
state = {"left": min(opts.requests, 10000), "ok": 0, "failed": 0}


def one():
    left = deadline - time.time()
    if opts.target.startswith("http"):
        with urllib.request.urlopen(opts.target, timeout=max(left, 1)) as r:
            return r.status == 200 and r.read().strip().isdigit()
    env = dict(os.environ, SCRIPT_FILENAME=opts.script, REQUEST_METHOD="GET")
    p = subprocess.run(["cgi-fcgi", "-bind", "-connect", opts.target], env=env, capture_output=True,
                       timeout=max(left, 1), check=False)
    return p.returncode == 0 and b"250000" in p.stdout


def worker():
    while time.time() < deadline:
        with lock:
            if state["left"] <= 0:
                return
            state["left"] -= 1
        try:
            good = one()
        except Exception:  # pylint: disable=broad-except
            good = False
        with lock:
            state["ok" if good else "failed"] += 1


threads = [threading.Thread(target=worker) for n in range(max(1, min(opts.concurrency, 64)))]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(json.dumps({"ok": state["ok"], "failed": state["failed"]}))
