"""A neighbour that thrashes: hold ANON MiB, then re-read a FILE MiB file through what is left of the unit's
MemoryMax, page by page, for SECONDS. Its page cache is evicted and faulted back in over and over (workingset
refaults), which the kernel counts as memory stall: the whole machine's /proc/pressure/memory rises, and on
cgroup v1 every container reads that same file. No kill: the anonymous part stays below the limit.
usage: python3 thrash.py PATH [FILE_MB ANON_MB SECONDS]"""
import mmap
import os
import sys
import time

path = sys.argv[1]
file_mb, anon_mb, seconds = (int(a) for a in (sys.argv[2:5] + ["48", "40", "240"][len(sys.argv[2:5]):]))
with open(path, "wb") as f:
    for _ in range(file_mb):
        f.write(os.urandom(1 << 20))
    f.flush()
    os.fsync(f.fileno())
hold = bytearray(anon_mb << 20)
for i in range(0, len(hold), 4096):
    hold[i] = 1
fd = os.open(path, os.O_RDONLY)
os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)  # start cold: the pages are charged to this unit as read
view = mmap.mmap(fd, 0, prot=mmap.PROT_READ)
end = time.monotonic() + seconds
total = 0
while time.monotonic() < end:
    for off in range(0, len(view), 4096):
        total += view[off]
print("read", total)
