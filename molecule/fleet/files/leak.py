"""headroom.memory fleet test: a leak in bursts, 16 MiB kept every 20 ms while /run/fleet-leak.go exists (the load
makes it for a few seconds: the container's limit kills it, systemd restarts it, it leaks again, a kill loop);
what a burst kept is dropped once the file is gone, so every load starts from the same state."""
import os
import time

HELD = []
while True:
    if os.path.exists("/run/fleet-leak.go"):
        HELD.append(bytearray(16 << 20))  # zero-filled: its pages are touched
    elif HELD:
        HELD = []
    time.sleep(0.02)
