#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: memory_facts
short_description: A host's memory state, its memory hogs and its OOM-kill history as facts
version_added: 0.1.0
description:
  - Reads C(/proc) and C(/sys) directly and returns C(ansible_facts['headroom']) with what the first
    minutes of an out-of-memory incident need, in one fast call over a whole fleet
    (C(ansible all -m headroom.memory.memory_facts)).
  - Memory as the kernel sees it, including C(MemAvailable) (the M(ansible.builtin.setup) module reports
    only seven C(/proc/meminfo) keys), swap devices, the memory sysctls, pressure stall information (PSI),
    the kernel's OOM-kill counter, the memory cgroup limit that applies to this host or container (inside a
    container the container's limit, not the host's memory), the units and containers that have a memory
    limit and the containers that have none, the biggest processes and per-program totals, every OOM
    kill logged by the kernel, systemd-oomd and earlyoom within O(oom_since), and the Docker and Podman
    containers with their limits, use and where they were defined.
  - Runs with the Python standard library only (Python 3.8 or later). It starts programs only for the OOM
    history, where there is no file to read (C(journalctl), and C(dmesg) where C(/dev/kmsg) is missing),
    and for the containers (C(docker), C(podman)) when an engine can have any, each with an argument list,
    C(LANG=C) and a time bound (C(timeout)).
  - Sizes are integer MiB (rounded down) in fields named C(*_mb) unless a field says otherwise. A value
    that cannot be read (missing file, permission denied, a kernel without that counter) is V(null), never
    a guess.
  - The module changes nothing on the host. A run without root privileges succeeds with what it may read,
    and says which OOM sources it was denied in RV(ansible_facts.headroom.oom.sources).
author:
  - headroom.memory maintainers (@headroom)
attributes:
  check_mode:
    description: Can run in check mode; it never changes anything, so check mode returns the same facts.
    support: full
  diff_mode:
    description: The module changes nothing, so there is no diff to show.
    support: none
  facts:
    description: Returns an C(ansible_facts) dictionary (the C(headroom) key) that updates the host's facts.
    support: full
  platform:
    description: Target OS/families that can be operated against.
    support: N/A
    platforms: posix
options:
  gather_subset:
    description:
      - Which groups of facts to gather, as M(ansible.builtin.setup) takes it.
      - V(all) gathers everything; a name gathers that group; C(!name) leaves that group out. When only
        exclusions are given the rest of V(all) is gathered (C([!oom]) gathers everything but the OOM
        history); C([!all]) gathers nothing, C([!all, oom]) only what is named.
      - V(memory) gives RV(ansible_facts.headroom.memory) and RV(ansible_facts.headroom.vmstat);
        V(processes) gives RV(ansible_facts.headroom.processes) and RV(ansible_facts.headroom.process_groups);
        every other name gives the key of the same name.
      - The OOM history (V(oom)) is the only part that may read log files or start C(journalctl); leave it
        out (C([!oom])) for the fastest call.
      - V(settings) reads the memory settings of every running database server (PostgreSQL, MariaDB/MySQL,
        Redis) and the worker counts of every php-fpm, Apache and gunicorn master from their own
        configuration files, read-only and without credentials (root reads them all).
      - V(containers) lists Docker's and rootful Podman's containers through their CLIs (one C(ps), then one
        C(inspect) and one C(version) call each when there are containers), only when an engine can have containers (its daemon socket,
        containers in Podman's storage or cgroups), and every other container cgroup; it reads the cgroup tree
        once with V(cgroup).
      - V(pm2) finds the running PM2 daemons in the process list and asks each for its apps over its own
        socket (C(<PM2_HOME>/rpc.sock), what C(pm2 jlist) asks); no program is started, and a host without a
        PM2 daemon costs nothing beyond the process scan.
      - 'Choices: V(all), V(memory), V(swap), V(sysctl), V(pressure), V(cgroup), V(processes), V(oom),
        V(settings), V(containers), V(pm2), each also with a leading C(!).'
    type: list
    elements: str
    default: [all]
  top:
    description:
      - How many processes to list in RV(ansible_facts.headroom.processes), the biggest by resident memory.
      - V(0) lists none (RV(ansible_facts.headroom.process_groups) still covers every process).
    type: int
    default: 10
  oom_since:
    description:
      - How far back to look for OOM kills.
      - A duration back from now (V(90m), V(24h), V(7d), V(2w); units C(m), C(h), C(d), C(w)), an ISO-8601
        date (midnight UTC) or date and time (V(2026-11-01T08:00:00Z); UTC unless it carries an offset),
        V(boot) (since the host last booted), or V(all) (everything the sources still hold).
      - Rotated syslog files last written before this time are not read.
    type: str
    default: 30d
  oom_sources:
    description:
      - Where to read OOM kills from. V(auto) reads every source that exists.
      - V(kmsg) is the kernel ring buffer (C(/dev/kmsg), or C(dmesg) where C(/dev/kmsg) is missing).
        V(journal) is C(journalctl -o json) over the kernel messages of every boot in the window plus
        systemd-oomd, earlyoom and systemd's own notices. V(syslog) is C(/var/log/kern.log*),
        C(/var/log/messages*) and C(/var/log/syslog*), rotated and gzip-compressed ones included when they
        were written within O(oom_since). V(files) reads only O(oom_files).
      - The same kill seen in several sources is one event; RV(ansible_facts.headroom.oom.sources) says
        what each source gave.
    type: list
    elements: str
    choices: [auto, kmsg, journal, syslog, files]
    default: [auto]
  oom_files:
    description:
      - More log files to read for OOM kills, as paths or globs, plain or compressed (gzip, bzip2, xz); for
        example logs copied from another host. Any format the module reads may be mixed (syslog, C(dmesg) with
        any time format, C(journalctl) short and JSON output, C(/dev/kmsg) copies, earlyoom output).
      - Always read when given, in addition to O(oom_sources); O(oom_sources=[files]) reads only these and
        needs at least one.
      - Only regular files are read (a FIFO, a device such as C(/dev/zero) or a socket is reported as an C(error)
        source, never opened for reading), each for at most 8 GiB of (decompressed) text and 120 seconds; a file cut
        short (a truncated gzip, a budget reached) keeps the kills read before the cut and is reported as C(error).
    type: list
    elements: path
    default: []
  oom_max_events:
    description:
      - List only the newest this many OOM events in RV(ansible_facts.headroom.oom.events), from 1 to 100000.
        The older ones are still counted in RV(ansible_facts.headroom.oom.total), RV(ansible_facts.headroom.oom.dropped)
        and RV(ansible_facts.headroom.oom.counts), so that a host killing in a loop (a restart loop, a fork bomb) returns
        facts of a bounded size and the diagnose report stays readable.
    type: int
    default: 200
  cmdline:
    description:
      - Add each listed process's command line (RV(ansible_facts.headroom.processes[].cmdline)), with
        secrets replaced by C(********), and for a C(java) process the heap flags of its JVM option variables
        (RV(ansible_facts.headroom.processes[].java_env_heap)).
      - Redacted are C(--password=x) and C(--password x) and other options named after a secret (C(token),
        C(secret), C(api-key), C(passphrase), ...), Java C(-Dxxx.password=x), environment-style
        C(PASSWORD=x), C(*_TOKEN=x), C(*SECRET*=x), C(API_KEY=x), mysql-style C(-p<secret>), C(sshpass -p),
        C(redis-cli -a), C(curl -u user:x), C(user:x@) in URLs, C(password=)/C(token=) in URL queries and
        connection strings, and C(Authorization:)/C(Bearer) tokens.
      - Left as they are (not secrets) are for example C(-Xmx2g), C(-p 8080) outside the mysql family,
        C(--password-file=/path), C(PASSWORD_FILE=/path), C(--no-password) and C(--password-stdin).
      - Without it no command line is returned at all.
    type: bool
    default: false
  cmdline_heap_only:
    description:
      - With O(cmdline=true), return only what a heap check needs, that is for a JVM (C(comm) C(java), or a
        C(java) program) its program and its C(-X)/C(-XX) flags before the main class or C(-jar), and for any
        other process V(null) as RV(ansible_facts.headroom.processes[].cmdline).
      - No other argument, redacted or not, leaves the host, so a secret the redaction misses does not reach
        job logs either. The C(headroom.memory.diagnose) role asks for this.
    type: bool
    default: false
    version_added: 0.1.0
  pss:
    description:
      - Add the proportional and unique set sizes (PSS, USS) of every group of more than one process to
        RV(ansible_facts.headroom.process_groups), read from C(/proc/<pid>/smaps_rollup) (kernel 4.14 or later),
        with the pool's parent (the member whose parent process is not in the group, such as a PHP-FPM or
        Apache master) measured apart from its workers.
      - RSS counts the code, opcache and copy-on-write pages forked workers share once per worker, so RSS
        times the worker count overstates what a pool uses; PSS and USS do not. Worker sizing
        (the role C(headroom.memory.workers)) needs them.
      - The kernel walks every mapping of a process to fill C(smaps_rollup), so this costs time that grows
        with the number and size of the processes measured (see the collection's C(bench/README.md)); only
        the O(gather_subset=processes) subset reads it. Processes of other users need root.
    type: bool
    default: false
notes:
  - Facts are returned under the single key C(headroom) of C(ansible_facts). With fact injection on they
    are also C(ansible_headroom).
  - Only the groups in O(gather_subset) are returned; a group left out is absent, not V(null).
  - C(/proc/swaps), the C(vm.*) sysctls, PSI, C(/proc/vmstat) and the kernel ring buffer are global to the
    kernel, so inside a container they describe the host. The cgroup facts and the process list are the
    container's own.
  - Without root, C(/dev/kmsg) is usually denied (C(kernel.dmesg_restrict=1)) and the journal may be
    limited to the user's own entries; the module still succeeds and reports this per source.
  - Podman's containers are read as root's (rootful); a user's rootless containers are listed only as
    the cgroups the module can see.
seealso:
  - module: ansible.builtin.setup
    description: The general facts module; its C(hardware) subset has C(ansible_memtotal_mb) and friends.
  - name: proc_meminfo(5)
    description: What each C(/proc/meminfo) field means.
    link: https://man7.org/linux/man-pages/man5/proc_meminfo.5.html
  - name: PSI - Pressure Stall Information
    description: The kernel's documentation of C(/proc/pressure/memory).
    link: https://docs.kernel.org/accounting/psi.html
"""

EXAMPLES = r"""
- name: Gather memory facts
  headroom.memory.memory_facts:

- name: Show how much memory is left and the OOM kills of the last 30 days (the default oom_since)
  ansible.builtin.debug:
    msg: >-
      {{ ansible_facts['headroom']['memory']['available_mb'] }} MiB available,
      {{ ansible_facts['headroom']['oom']['events'] | length }} OOM kills since
      {{ ansible_facts['headroom']['oom']['since'] }}

- name: Everything but the OOM history (no log is read, fastest)
  headroom.memory.memory_facts:
    gather_subset:
      - '!oom'

- name: Only the OOM history of the last 24 hours, from the journal
  headroom.memory.memory_facts:
    gather_subset: [oom]
    oom_since: 24h
    oom_sources: [journal]

- name: Read OOM kills from logs copied from another host only
  headroom.memory.memory_facts:
    gather_subset: [oom]
    oom_since: all
    oom_sources: [files]
    oom_files:
      - /srv/incident-42/kern.log*
      - /srv/incident-42/journal.json

- name: Process groups with the PSS and USS of their workers, for sizing worker pools
  headroom.memory.memory_facts:
    gather_subset: [processes]
    pss: true

- name: The 20 biggest processes with their (redacted) command lines
  headroom.memory.memory_facts:
    gather_subset: [processes]
    top: 20
    cmdline: true

- name: The containers, each with its limits, use and where it was defined
  headroom.memory.memory_facts:
    gather_subset: [containers]

- name: Name the containers that run without a memory limit of their own
  ansible.builtin.debug:
    msg: >-
      {{ ansible_facts['headroom']['containers']['list'] | selectattr('state', 'equalto', 'running')
         | selectattr('limit_mb', 'none') | map(attribute='name') | list }}

- name: Only the OOM history of the last hour
  headroom.memory.memory_facts:
    gather_subset: [oom]
    oom_since: 1h

- name: Fail when myapp.service was OOM-killed in that hour
  ansible.builtin.assert:
    that:
      - ansible_facts['headroom']['oom']['counts']['by_unit']['myapp.service'] | default(0) == 0
    fail_msg: myapp.service was OOM-killed

# Ad hoc, on a whole fleet:
#   ansible all -m headroom.memory.memory_facts -a 'gather_subset=oom oom_since=7d'
"""

RETURN = r"""
ansible_facts:
  description: Facts to add to ansible_facts.
  returned: always
  type: complex
  contains:
    headroom:
      description: Everything this module gathers; only the groups asked for in O(gather_subset) are present.
      returned: always
      type: complex
      contains:
        memory:
          description: Memory of the host (the kernel's view, from C(/proc/meminfo)), in MiB.
          returned: when the V(memory) subset is gathered
          type: complex
          contains:
            total_mb:
              description: C(MemTotal), all usable RAM.
              type: int
              returned: always
              sample: 24105
            available_mb:
              description: C(MemAvailable), the kernel's estimate of what can be allocated without swapping.
              type: int
              returned: always
              sample: 23607
            free_mb:
              description: C(MemFree), RAM not used at all (usually small on a healthy host).
              type: int
              returned: always
              sample: 22456
            used_mb:
              description: C(MemTotal) minus C(MemAvailable), as C(free) from procps-ng 4 counts it.
              type: int
              returned: always
              sample: 497
            buffers_mb:
              description: C(Buffers).
              type: int
              returned: always
              sample: 32
            cached_mb:
              description: C(Cached), the page cache (without buffers and slab).
              type: int
              returned: always
              sample: 1201
            shmem_mb:
              description: C(Shmem), shared memory and tmpfs, which cannot be dropped like cache.
              type: int
              returned: always
              sample: 8
            slab_mb:
              description: C(Slab), kernel data structures.
              type: int
              returned: always
              sample: 256
            committed_as_mb:
              description: C(Committed_AS), memory promised to processes.
              type: int
              returned: always
              sample: 128
            commit_limit_mb:
              description: C(CommitLimit), the most that may be promised when C(vm.overcommit_memory=2).
              type: int
              returned: always
              sample: 12052
            hugepages_total:
              description: C(HugePages_Total), a count of huge pages, not MiB.
              type: int
              returned: always
              sample: 0
            hugepages_free:
              description: C(HugePages_Free), a count of huge pages, not MiB.
              type: int
              returned: always
              sample: 0
        vmstat:
          description: Kernel event counters since boot, from C(/proc/vmstat); a counter the kernel lacks is V(null).
          returned: when the V(memory) subset is gathered
          type: complex
          contains:
            oom_kill:
              description: OOM kills since boot, by the kernel (host-wide; kernel 4.13 or later).
              type: int
              returned: always
              sample: 5
            pswpin:
              description: Pages swapped in since boot.
              type: int
              returned: always
              sample: 0
            pswpout:
              description: Pages swapped out since boot.
              type: int
              returned: always
              sample: 0
            pgmajfault:
              description: Major page faults (pages read from disk) since boot.
              type: int
              returned: always
              sample: 1127
        swap:
          description: Swap of the host (host-wide, also inside a container).
          returned: when the V(swap) subset is gathered
          type: complex
          contains:
            total_mb:
              description: C(SwapTotal).
              type: int
              returned: always
              sample: 2048
            free_mb:
              description: C(SwapFree).
              type: int
              returned: always
              sample: 1990
            used_mb:
              description: C(SwapTotal) minus C(SwapFree).
              type: int
              returned: always
              sample: 58
            devices:
              description: Active swap areas from C(/proc/swaps), in its order; V(null) if it cannot be read.
              type: list
              elements: dict
              returned: always
              contains:
                path:
                  description: File or device path as the kernel shows it (inside a container, the path in that container).
                  type: str
                  sample: /swapfile
                type:
                  description: C(file) or C(partition).
                  type: str
                  sample: file
                size_mb:
                  description: Size of the swap area.
                  type: int
                  sample: 2048
                used_mb:
                  description: Used part of the swap area.
                  type: int
                  sample: 58
                priority:
                  description: Swap priority; higher is used first.
                  type: int
                  sample: -2
        sysctl:
          description:
            - Memory sysctls by their dotted name, with integer values (V(null) if unreadable).
            - The keys are C(vm.swappiness), C(vm.vfs_cache_pressure), C(vm.overcommit_memory),
              C(vm.overcommit_ratio), C(vm.min_free_kbytes), C(vm.panic_on_oom),
              C(vm.oom_kill_allocating_task) and C(kernel.dmesg_restrict).
          returned: when the V(sysctl) subset is gathered
          type: dict
          sample:
            vm.swappiness: 60
            vm.vfs_cache_pressure: 100
            vm.overcommit_memory: 0
            vm.overcommit_ratio: 50
            vm.min_free_kbytes: 67584
            vm.panic_on_oom: 0
            vm.oom_kill_allocating_task: 0
            kernel.dmesg_restrict: 1
        pressure:
          description:
            - Memory pressure stall information from C(/proc/pressure/memory), or V(null) where the kernel has
              no PSI (before 4.20, or booted with C(psi=0)).
            - C(some) is the share of time at least one task waited for memory, C(full) the share when all
              non-idle tasks did.
          returned: when the V(pressure) subset is gathered
          type: complex
          contains:
            some:
              description: At least one task stalled on memory.
              type: complex
              returned: when PSI is present
              contains:
                avg10:
                  description: Percent of the last 10 seconds.
                  type: float
                  sample: 0.0
                avg60:
                  description: Percent of the last 60 seconds.
                  type: float
                  sample: 0.12
                avg300:
                  description: Percent of the last 300 seconds.
                  type: float
                  sample: 0.05
                total_us:
                  description: Total stall time since boot, in microseconds.
                  type: int
                  sample: 5491
            full:
              description: All non-idle tasks stalled on memory at once; same fields as C(some).
              type: dict
              returned: when PSI is present
              sample: {avg10: 0.0, avg60: 0.0, avg300: 0.0, total_us: 4612}
        cgroup:
          description: Memory cgroups, as this module (and so the container it runs in) sees them.
          returned: when the V(cgroup) subset is gathered
          type: complex
          contains:
            version:
              description: C(1) (only v1 hierarchies), C(2) (unified), C(hybrid) (both mounted), or V(null) (no cgroup filesystem).
              type: str
              returned: always
              sample: hybrid
            path:
              description: The memory cgroup of the module's own process, as C(/proc/self/cgroup) shows it.
              type: str
              returned: always
              sample: /user.slice/user-0.slice/session-3.scope
            limit_mb:
              description:
                - The memory limit that applies to this process, the smallest one on its cgroup and every
                  cgroup above it that is visible; V(null) when unlimited.
                - Inside a container this is the container's limit (podman/docker C(--memory)).
              type: int
              returned: always
              sample: 1024
            limit_cgroup:
              description: The cgroup that sets RV(ansible_facts.headroom.cgroup.limit_mb), V(null) when unlimited.
              type: str
              returned: always
              sample: /
            usage_mb:
              description: Memory used by the cgroup that sets the limit (or by the module's own cgroup when unlimited).
              type: int
              returned: always
              sample: 212
            swap_limit_mb:
              description:
                - Swap that cgroup may use, V(null) when unlimited or unknown.
                - v2 reads C(memory.swap.max); v1 limits memory and swap together, so this is
                  C(memory.memsw.limit_in_bytes) minus the memory limit.
              type: int
              returned: always
              sample: null
            oom_kill:
              description: OOM kills in that cgroup (v2 C(memory.events), v1 C(memory.oom_control)).
              type: int
              returned: always
              sample: 0
            limited:
              description: Every cgroup below the top of the visible hierarchy with a memory limit of its own (systemd units with C(MemoryMax=), containers).
              type: list
              elements: dict
              returned: always
              contains:
                cgroup:
                  description: The cgroup path.
                  type: str
                  sample: /system.slice/postgresql.service
                unit:
                  description: The systemd unit (deepest C(.service), C(.scope), C(.slice)...) or container id of the path, else V(null).
                  type: str
                  sample: postgresql.service
                limit_mb:
                  description: Its own memory limit.
                  type: int
                  sample: 2048
                usage_mb:
                  description: Its current memory use.
                  type: int
                  sample: 1630
                working_set_mb:
                  description: Its use minus the inactive page cache (see RV(ansible_facts.headroom.cgroup.units)).
                  type: int
                  sample: 1211
                runtime:
                  description:
                    - For a container's cgroup its runtime (C(docker), C(podman), C(containerd), C(cri-o), or C(kubepods) for anything under a kubepods
                      cgroup), else V(null).
                  type: str
                  sample: null
                container_id:
                  description: For a container's cgroup the container's full id (64 hex digits), else V(null).
                  type: str
                  sample: null
                peak_mb:
                  description:
                    - The highest use it has reached (cgroup v2 C(memory.peak), kernel 5.19 or later; v1 C(memory.max_usage_in_bytes)), V(null) when
                      unreadable.
                  type: int
                  sample: 1702
                pressure:
                  description: Its own memory pressure (cgroup v2 C(memory.pressure)), V(null) on cgroup v1.
                  type: dict
                  sample: null
                high_mb:
                  description: Its throttling threshold (cgroup v2 C(memory.high), systemd's C(MemoryHigh=)), V(null) when unset or on cgroup v1.
                  type: int
                  sample: 80
                swap_limit_mb:
                  description:
                    - Swap it may use (cgroup v2 C(memory.swap.max), systemd's C(MemorySwapMax=)), V(null) when unlimited or unknown.
                    - v1 limits memory and swap together, so there it is C(memory.memsw.limit_in_bytes) minus its memory limit.
                  type: int
                  sample: 0
                oom_kill:
                  description: OOM kills in it since it was created (v2 C(memory.events), v1 C(memory.oom_control)), V(null) when unreadable.
                  type: int
                  sample: 1
            container:
              description:
                - The container runtime the module runs under (from C(/run/systemd/container), C(/run/.containerenv)
                  or C(/.dockerenv)), V(null) on a machine of its own.
                - Inside a container C(/proc/pressure/memory) and C(/proc/meminfo) describe the whole machine.
              type: str
              returned: always
              sample: podman
            working_set_mb:
              description:
                - What the cgroup of RV(ansible_facts.headroom.cgroup.usage_mb) really holds, its use minus the page
                  cache the kernel reclaims first (C(inactive_file) of C(memory.stat)).
              type: int
              returned: always
              sample: 180
            pressure:
              description:
                - That cgroup's own memory pressure (cgroup v2 C(memory.pressure), the container's own inside one),
                  shaped as RV(ansible_facts.headroom.pressure); V(null) on cgroup v1 or on the root cgroup.
              type: dict
              returned: always
              sample: {some: {avg10: 0.0, avg60: 0.0, avg300: 0.0, total_us: 812}, full: null}
            units:
              description:
                - Every systemd service and container cgroup of the visible hierarchy (at most 1000), limited or not,
                  with the kernel's own counters. A unit's memory is RV(ansible_facts.headroom.cgroup.units[].working_set_mb),
                  not the sum of its processes' RSS, which counts shared memory once per process.
              type: list
              elements: dict
              returned: always
              contains:
                cgroup:
                  description: The cgroup path.
                  type: str
                  sample: /system.slice/postgresql.service
                unit:
                  description: The unit name or container id.
                  type: str
                  sample: postgresql.service
                limit_mb:
                  description: Its own memory limit, V(null) when it has none.
                  type: int
                  sample: null
                usage_mb:
                  description: Its use as the kernel charges it (v2 C(memory.current), v1 C(memory.usage_in_bytes)).
                  type: int
                  sample: 1630
                working_set_mb:
                  description: Its use minus the inactive page cache (v2 C(inactive_file), v1 C(total_inactive_file)).
                  type: int
                  sample: 1211
                runtime:
                  description:
                    - For a container's cgroup its runtime (C(docker), C(podman), C(containerd), C(cri-o), or C(kubepods) for anything under a kubepods
                      cgroup), else V(null).
                  type: str
                  sample: null
                container_id:
                  description: For a container's cgroup the container's full id (64 hex digits), else V(null).
                  type: str
                  sample: null
                peak_mb:
                  description:
                    - The highest use it has reached (cgroup v2 C(memory.peak), kernel 5.19 or later; v1 C(memory.max_usage_in_bytes)), V(null) when
                      unreadable.
                  type: int
                  sample: 1702
                pressure:
                  description: Its own memory pressure (cgroup v2 C(memory.pressure)), V(null) on cgroup v1.
                  type: dict
                  sample: null
                high_mb:
                  description: Its throttling threshold (cgroup v2 C(memory.high), systemd's C(MemoryHigh=)), V(null) when unset or on cgroup v1.
                  type: int
                  sample: 80
                swap_limit_mb:
                  description:
                    - Swap it may use (cgroup v2 C(memory.swap.max), systemd's C(MemorySwapMax=)), V(null) when unlimited or unknown.
                    - v1 limits memory and swap together, so there it is C(memory.memsw.limit_in_bytes) minus its memory limit.
                  type: int
                  sample: 0
                oom_kill:
                  description: OOM kills in it since it was created (v2 C(memory.events), v1 C(memory.oom_control)), V(null) when unreadable.
                  type: int
                  sample: 1
            unlimited_containers:
              description: Container cgroups (docker, podman, containerd, cri-o, Kubernetes pods) without a memory limit of their own.
              type: list
              elements: dict
              returned: always
              contains:
                cgroup:
                  description: The container's cgroup path.
                  type: str
                  sample: /system.slice/docker-4f1c0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5.scope
                runtime:
                  description: C(docker), C(podman), C(containerd), C(cri-o) or C(kubepods) (anything under a kubepods cgroup).
                  type: str
                  sample: docker
                id:
                  description: The container's full id (64 hex digits), as RV(ansible_facts.headroom.containers.list[].id) has it.
                  type: str
                  sample: 4f1c0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5
        containers:
          description:
            - The containers of Docker and rootful Podman, running and stopped, each joined to its memory cgroup, plus
              every other container cgroup of the visible hierarchy (containerd, CRI-O, Kubernetes pods, or an engine that
              was not asked) with what its cgroup says.
            - Names, images and labels are chosen by whoever starts a container; each string is returned only when it is
              printable, of bounded length and of the form its kind allows (paths absolute and normalised, without C(..)),
              else V(null). Environment variables, command lines and mounts are never read.
          returned: when the V(containers) subset is gathered
          type: dict
          contains:
            engines:
              description:
                - One entry per engine CLI found on the host (C(docker), C(podman)); an engine that is not installed has no key.
                - An engine is asked (C(ps -a --no-trunc -q), and when it lists any, C(container inspect) of those ids and
                  C(version), each under a 20 s time bound) only when it can have containers, see
                  RV(ansible_facts.headroom.containers.engines.docker.skipped).
              type: dict
              returned: always
              contains:
                docker:
                  description: The Docker CLI, when one is installed.
                  type: dict
                  returned: when a C(docker) CLI is found
                  contains:
                    cli:
                      description: The CLI's path.
                      type: str
                      sample: /usr/bin/docker
                    version:
                      description:
                        - The engine's version (Docker's server version, Podman's own), V(null) when it was not asked, listed no
                          container or did not say.
                      type: str
                      sample: 20.10.24
                    error:
                      description:
                        - Why its containers could not be read (the CLI's first error line, a timeout, output larger than 64 MiB
                          or not JSON), or V(null).
                      type: str
                      sample: null
                    containers:
                      description: How many containers the engine listed (0 when it was not asked).
                      type: int
                      sample: 3
                    skipped:
                      description:
                        - Why the engine was not asked, or V(null) when it was. Docker is asked only when its daemon socket
                          (C(/run/docker.sock), C(/var/run/docker.sock)) exists or C(DOCKER_HOST) is set; Podman only when the
                          module runs as root and Podman's storage (the C(graphroot) of C(storage.conf)) records a container
                          or a C(libpod) cgroup exists outside C(user.slice) (where a user's rootless containers run).
                      type: str
                      sample: no docker daemon socket
                podman:
                  description: The Podman CLI, when one is installed, with the same keys as RV(ansible_facts.headroom.containers.engines.docker).
                  type: dict
                  returned: when a C(podman) CLI is found
            list:
              description:
                - The containers, biggest current use first (stopped ones, which use nothing, last), at most 200; a container
                  both engines list (Podman's Docker emulation) is listed once.
              type: list
              elements: dict
              returned: always
              contains:
                name:
                  description: The engine's name for it (Docker's without the leading C(/)), V(null) for a cgroup-only container.
                  type: str
                  sample: shop-web-1
                id:
                  description: Its full id (64 hex digits).
                  type: str
                  sample: 4f1c0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5
                runtime:
                  description:
                    - C(docker) or C(podman) for an engine's container; for a cgroup-only one C(containerd), C(cri-o), C(docker), C(podman), or
                      C(kubepods) (anything under a kubepods cgroup).
                  type: str
                  sample: docker
                image:
                  description:
                    - The image as the engine reports it (Podman the name it was started from, Docker C(Config.Image)), V(null) for a cgroup-only
                      container.
                  type: str
                  sample: nginx:1.25
                state:
                  description: The engine's state (C(running), C(exited), C(created), C(paused), ...), V(null) for a cgroup-only container (which runs).
                  type: str
                  sample: running
                cgroup:
                  description: Its memory cgroup as C(/proc/<pid>/cgroup) shows it, V(null) when it is not running (or its cgroup was not found).
                  type: str
                  sample: /system.slice/docker-4f1c0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5.scope
                limit_mb:
                  description: Its cgroup's memory limit (v2 C(memory.max), v1 C(memory.limit_in_bytes)), V(null) when it has none or is not running.
                  type: int
                  sample: 512
                high_mb:
                  description: Its cgroup's throttling threshold (v2 C(memory.high)), V(null) when unset, on cgroup v1 or not running.
                  type: int
                  sample: null
                swap_limit_mb:
                  description: Swap its cgroup may use, as RV(ansible_facts.headroom.cgroup.units[].swap_limit_mb) gives it.
                  type: int
                  sample: 512
                usage_mb:
                  description: Its cgroup's current use (v2 C(memory.current), v1 C(memory.usage_in_bytes)), V(null) when not running.
                  type: int
                  sample: 300
                working_set_mb:
                  description: Its cgroup's use minus the inactive page cache, what it really holds.
                  type: int
                  sample: 200
                peak_mb:
                  description:
                    - The highest use its cgroup has reached (v2 C(memory.peak), kernel 5.19 or later; v1 C(memory.max_usage_in_bytes)), V(null) when
                      unreadable.
                  type: int
                  sample: 500
                oom_kill:
                  description:
                    - OOM kills inside its cgroup (v2 C(memory.events), v1 C(memory.oom_control)), the container's own limit firing; V(null) when not
                      running.
                  type: int
                  sample: 0
                engine_memory_mb:
                  description: The engine's memory limit (C(HostConfig.Memory), C(--memory)), V(null) when not set.
                  type: int
                  sample: 512
                engine_memory_swap_mb:
                  description: The engine's memory plus swap limit (C(HostConfig.MemorySwap), C(--memory-swap)); V(-1) means unlimited swap, V(null) not set.
                  type: int
                  sample: 1024
                engine_reservation_mb:
                  description: The engine's soft limit (C(HostConfig.MemoryReservation), C(--memory-reservation)), V(null) when not set.
                  type: int
                  sample: null
                oom_killed:
                  description: Whether the engine saw its last run end in an OOM kill (C(State.OOMKilled)), V(null) for a cgroup-only container.
                  type: bool
                  sample: false
                restart_count:
                  description: How often the engine restarted it (C(RestartCount)), V(null) for a cgroup-only container.
                  type: int
                  sample: 0
                source:
                  description: Where the container was defined, from its labels; every key is present, V(null) (or V([])) when unknown.
                  type: dict
                  contains:
                    kind:
                      description:
                        - V(kubernetes) (C(io.kubernetes.*) labels, or a kubepods cgroup), V(compose) (C(com.docker.compose.project),
                          podman-compose's C(io.podman.compose.project)), V(quadlet) (C(PODMAN_SYSTEMD_UNIT) and a quadlet file for that
                          unit), V(systemd) (the label without a quadlet file, as C(podman generate systemd) sets it), V(run) (an engine's
                          container without any of these), V(unknown) (a cgroup-only container outside Kubernetes).
                      type: str
                      sample: compose
                    compose_project:
                      description: The Compose project (label C(com.docker.compose.project)).
                      type: str
                      sample: shop
                    compose_service:
                      description: The Compose service (label C(com.docker.compose.service)).
                      type: str
                      sample: web
                    compose_working_dir:
                      description: The project's directory (label C(com.docker.compose.project.working_dir)).
                      type: str
                      sample: /srv/shop
                    compose_files:
                      description: The project's Compose files (label C(com.docker.compose.project.config_files)), at most 16.
                      type: list
                      elements: str
                      sample: [/srv/shop/docker-compose.yml]
                    systemd_unit:
                      description: The systemd unit that runs it (label C(PODMAN_SYSTEMD_UNIT)).
                      type: str
                      sample: web.service
                    quadlet_file:
                      description:
                        - The quadlet file that defines that unit (C(<name>.container) or C(<name>.kube), a template's C(<name>@.container)),
                          looked up in C(/run/containers/systemd), C(/etc/containers/systemd) and C(/usr/share/containers/systemd)
                          (and their subdirectories) in that order.
                      type: str
                      sample: /etc/containers/systemd/web.container
                    kube_namespace:
                      description: The pod's namespace (label C(io.kubernetes.pod.namespace)).
                      type: str
                      sample: shop
                    kube_pod:
                      description: The pod (label C(io.kubernetes.pod.name)).
                      type: str
                      sample: cache-0
                    kube_container:
                      description: The container's name in the pod (label C(io.kubernetes.container.name)).
                      type: str
                      sample: redis
            total:
              description: How many containers were seen, also those left out of the capped RV(ansible_facts.headroom.containers.list).
              type: int
              returned: always
              sample: 3
        processes:
          description:
            - The O(top) biggest processes by resident memory, biggest first.
            - Kernel threads are not processes here, and the module's own process is left out.
          returned: when the V(processes) subset is gathered
          type: list
          elements: dict
          contains:
            pid:
              description: Process id.
              type: int
              sample: 1234
            comm:
              description: Program name as the kernel keeps it (C(/proc/<pid>/status) C(Name), at most 15 characters).
              type: str
              sample: postgres
            user:
              description: User name of the effective uid, or the uid as text when it has no passwd entry.
              type: str
              sample: postgres
            rss_mb:
              description: Resident memory (C(VmRSS)).
              type: int
              sample: 812
            swap_mb:
              description: Swapped-out memory (C(VmSwap)).
              type: int
              sample: 0
            oom_score:
              description: The kernel's current OOM badness (0-1000 and more; the highest is killed first).
              type: int
              sample: 52
            oom_score_adj:
              description: The adjustment of the badness, from -1000 (never kill) to 1000.
              type: int
              sample: 0
            unit:
              description: The systemd unit (or container id) the process runs in, else V(null).
              type: str
              sample: postgresql@15-main.service
            cgroup:
              description: The process's memory cgroup path (v2 unified path, or the v1 C(memory) hierarchy's).
              type: str
              sample: /system.slice/system-postgresql.slice/postgresql@15-main.service
            cmdline:
              description:
                - The command line with secrets replaced by C(********) (see O(cmdline)); V(null) when unreadable.
                - With O(cmdline_heap_only=true), a JVM's program and C(-X)/C(-XX) flags only, V(null) for other processes.
              type: str
              returned: when O(cmdline=true)
              sample: "mysqld --user=mysql --password=******** --port=3306"
            java_env_heap:
              description:
                - For a C(java) process, the heap flags (C(-Xmx), C(-XX:MaxHeapSize=), C(-XX:MaxRAM=),
                  C(-XX:MaxRAMPercentage=), C(-XX:MaxRAMFraction=)) it picked up from C(JAVA_TOOL_OPTIONS),
                  C(JDK_JAVA_OPTIONS) or C(_JAVA_OPTIONS) when it started, as C(VAR=flag); V([]) when none.
                - Only whole, well-formed heap flags are kept; no other variable or token of the environment is
                  read into the result. The heap role's drop-in sets C(JAVA_TOOL_OPTIONS), so this shows whether
                  the running JVM was started with it.
              type: list
              elements: str
              returned: for C(java) processes, when O(cmdline=true)
              sample: ["JAVA_TOOL_OPTIONS=-Xmx512m"]
            node_heap_mb:
              description:
                - For a Node.js process (C(comm) V(node), V(nodejs), or a retitled C(node <script>)), the V8
                  old-generation ceiling in force in MiB, V(null) when unknown.
                - An explicit C(--max-old-space-size) (or C(--max_old_space_size)) from the command line or from
                  C(NODE_OPTIONS) in the environment it started with (only that variable is read); otherwise V8's
                  default for its Node version under the memory it sees, a rule measured on Debian's Node 18 and
                  20 (half the memory seen, 256 to 2048 MiB, 4096 MiB from 16 GiB). Node versions that were not
                  measured get V(null), not a guess.
              type: int
              returned: for Node.js processes
              sample: 1024
            node_heap_source:
              description:
                - Where RV(ansible_facts.headroom.processes[].node_heap_mb) comes from. V(flag) (the command line),
                  V(NODE_OPTIONS), V(default) (V8's default), or V(unknown) when the process rewrote its command
                  line (C(process.title), as PM2's apps do), so a flag it was started with cannot be read; the
                  V(pm2) subset reports those apps' flags from PM2.
                - Node 18 (libuv 1.44) does not see a systemd unit's limit on cgroup v1 nor any limit on
                  cgroup v2 (measured on v1); Node 20 sees the limit of its own cgroup.
              type: str
              returned: for Node.js processes
              sample: default
        processes_uptime_s:
          description:
            - Seconds since boot when the processes were read (C(/proc/uptime)), V(null) when unreadable.
            - The diagnose playbook measures the time between its two process samples with it (leak rates).
          returned: when the V(processes) subset is gathered
          type: float
          sample: 86412.37
        process_groups:
          description:
            - Every process (but kernel threads and the module itself) grouped by C(comm), biggest total
              first; 40 C(php-fpm) workers are one entry with their average, the number worker sizing needs.
            - Averages and maxima are MiB rounded down; the total is summed in kB first.
          returned: when the V(processes) subset is gathered
          type: list
          elements: dict
          contains:
            comm:
              description: Program name.
              type: str
              sample: php-fpm8.2
            count:
              description: How many processes have that name.
              type: int
              sample: 40
            rss_mb:
              description: Their resident memory together.
              type: int
              sample: 2480
            rss_mb_avg:
              description: Their average resident memory.
              type: int
              sample: 62
            rss_mb_max:
              description: The biggest one's resident memory.
              type: int
              sample: 91
            pss_avg_mb:
              description:
                - The workers' average proportional set size (C(Pss) of C(smaps_rollup)), shared pages divided
                  among the processes sharing them; the workers are every member but RV(ansible_facts.headroom.process_groups[].parent).
                - V(null) when no worker's C(smaps_rollup) could be read (gone, denied, old kernel).
              type: int
              returned: when O(pss=true) and the group has more than one process
              sample: 21
            pss_max_mb:
              description: The largest worker's proportional set size.
              type: int
              returned: when O(pss=true) and the group has more than one process
              sample: 34
            uss_avg_mb:
              description:
                - The workers' average unique set size (C(Private_Clean) + C(Private_Dirty)), what one more
                  worker adds.
              type: int
              returned: when O(pss=true) and the group has more than one process
              sample: 12
            shared_max_mb:
              description:
                - The largest shared part of one worker (C(Shared_Clean) + C(Shared_Dirty)), the resident pages it
                  shares with its parent or siblings; the pool holds them once, whatever its size.
              type: int
              returned: when O(pss=true) and the group has more than one process
              sample: 30
            measured:
              description: How many workers' C(smaps_rollup) were read (the averages are over them).
              type: int
              returned: when O(pss=true) and the group has more than one process
              sample: 39
            parent:
              description:
                - The pool's parent, the one member whose parent process is not in the group (a PHP-FPM, Apache
                  or gunicorn master), measured apart from its workers; V(null) when there is not exactly one
                  such member (unrelated processes of the same name).
              type: dict
              returned: when O(pss=true) and the group has more than one process
              contains:
                pid:
                  description: Its pid.
                  type: int
                  sample: 811
                rss_mb:
                  description: Its resident memory.
                  type: int
                  sample: 38
                pss_mb:
                  description: Its proportional set size, V(null) when unreadable.
                  type: int
                  sample: 9
                uss_mb:
                  description: Its unique set size, V(null) when unreadable.
                  type: int
                  sample: 4
        settings:
          description:
            - The memory settings the running database servers are configured with, from their own files
              (PostgreSQL C(postgresql.conf) with its includes and C(postgresql.auto.conf); the MariaDB/MySQL
              C(my.cnf) tree; C(redis.conf)), and the worker counts of the running worker pools, as numbers only.
            - Files are read only when regular, at most 1 MiB each and 64 in all, includes at most 8 deep.
          returned: when the V(settings) subset is gathered
          type: dict
          contains:
            databases:
              description: One entry per server (a PostgreSQL postmaster, a mariadbd/mysqld, a redis-server).
              type: list
              elements: dict
              returned: always
              contains:
                engine:
                  description: V(postgresql), V(mariadb), V(mysql) or V(redis).
                  type: str
                  sample: postgresql
                pid:
                  description: The server's process id.
                  type: int
                  sample: 812
                unit:
                  description: The systemd service it runs in, or V(null).
                  type: str
                  sample: postgresql@15-main.service
                version:
                  description: PostgreSQL's major version (from its binary's path or C(PG_VERSION)); PostgreSQL only.
                  type: int
                  sample: 15
                cluster:
                  description: The Debian cluster C(VERSION/NAME) when its config is C(/etc/postgresql/VERSION/NAME/postgresql.conf); PostgreSQL only.
                  type: str
                  sample: 15/main
                settings:
                  description:
                    - 'PostgreSQL: memory settings in kB (C(shared_buffers), C(work_mem), C(maintenance_work_mem),
                      C(autovacuum_work_mem), C(effective_cache_size), C(wal_buffers), C(temp_buffers)) and counts
                      (C(max_connections), C(autovacuum_max_workers), C(max_worker_processes)).'
                    - 'MariaDB/MySQL: sizes in bytes (C(innodb_buffer_pool_size), the per-thread buffers, ...) and
                      C(max_connections).'
                    - 'Redis: C(maxmemory) in bytes, C(maxmemory_policy), C(persistence) (RDB or AOF on).'
                    - Only what the files set; the server's built-in default applies to the rest.
                  type: dict
                  sample: {shared_buffers: 786432, max_connections: 300, work_mem: 65536}
                explicit:
                  description: The names of the settings set in a file or on the command line.
                  type: list
                  elements: str
                  sample: [max_connections, shared_buffers, work_mem]
                files_read:
                  description: How many configuration files were read.
                  type: int
                  sample: 3
                problems:
                  description: What could not be read or was skipped (no paths or file text in it).
                  type: list
                  elements: str
                  sample: []
            workers:
              description:
                - One entry per worker pool master (a php-fpm master, an Apache parent, a gunicorn arbiter), with how
                  many workers its configuration lets it start.
                - 'php-fpm: C(php-fpm.conf) (its path from the process title of the master) and the pool files its
                  C(include=) pattern names. Apache: C(apache2.conf) or C(httpd.conf) with C(Include) and
                  C(IncludeOptional), the MPM its C(LoadModule) lines load and the settings of that MPM (an C(<IfModule>)
                  of another MPM is skipped). gunicorn: C(--workers) on its command line, else in C(GUNICORN_CMD_ARGS),
                  else C(WEB_CONCURRENCY), else 1 (only those two variables of its environment are read).'
              type: list
              elements: dict
              returned: always
              contains:
                kind:
                  description: V(php_fpm), V(apache) or V(gunicorn).
                  type: str
                  sample: php_fpm
                comm:
                  description: The master's process name.
                  type: str
                  sample: php-fpm8.2
                pid:
                  description: The master's process id.
                  type: int
                  sample: 644
                unit:
                  description: The systemd service it runs in, or V(null).
                  type: str
                  sample: php8.2-fpm.service
                settings:
                  description:
                    - 'php-fpm: C(pools), one C({name, pm, max_children}) per pool (a name that is not a plain word is
                      V(null)), and C(max_children), their sum (V(null) when a pool does not set it).'
                    - 'Apache: C(mpm) (V(prefork), V(worker), V(event), V(null) when none was found),
                      C(max_request_workers), C(server_limit), C(threads_per_child) (the compiled-in default of Apache
                      where the files leave one out), C(explicit) (the ones the files set) and C(processes), the
                      most child processes those allow.'
                    - 'gunicorn: C(workers) (V(null) when a Python config file may set it: it is never run) and
                      C(source), where the count came from.'
                  type: dict
                  sample: {pools: [{name: www, pm: dynamic, max_children: 40}], max_children: 40}
                files_read:
                  description: How many configuration files were read.
                  type: int
                  sample: 2
                problems:
                  description: What could not be read or was skipped (no paths or file text in it).
                  type: list
                  elements: str
                  sample: []
        pm2:
          description:
            - The running PM2 daemons (one per C(PM2_HOME)) and their apps, asked from each daemon over its socket
              (C(<PM2_HOME>/rpc.sock), the call C(pm2 jlist) makes); the apps' environments PM2 hands over are
              dropped unread. No program is started; a PM2 that is not running is not seen, nor its saved apps.
            - App names and paths are PM2's user-controlled text; a name that is not 1-128 printable characters
              drops its entry; a path that is not absolute and printable is V(null).
          returned: when the V(pm2) subset is gathered
          type: dict
          contains:
            daemons:
              description: 'One entry per God Daemon process (title C(PM2 vX.Y.Z: God Daemon (<home>))), by pid.'
              type: list
              elements: dict
              contains:
                home:
                  description: Its C(PM2_HOME), from its title.
                  type: str
                  sample: /home/deploy/.pm2
                user:
                  description: The user it runs as (the uid as text without a passwd entry).
                  type: str
                  sample: deploy
                uid:
                  description: Its uid.
                  type: int
                  sample: 1000
                pid:
                  description: Its pid.
                  type: int
                  sample: 1234
                version:
                  description: The PM2 version its title shows.
                  type: str
                  sample: 5.4.3
                error:
                  description: Why its apps could not be read (socket missing, not owned by its uid, no or a
                    malformed answer within 5 s), else V(null); such a daemon contributes no apps.
                  type: str
                  sample: null
            apps:
              description: One entry per PM2 process (a cluster app of 2 instances is 2 entries), of every daemon.
              type: list
              elements: dict
              contains:
                name:
                  description: The app name.
                  type: str
                  sample: api
                pm_id:
                  description: PM2's id of the process.
                  type: int
                  sample: 0
                pid:
                  description: Its pid, V(null) when it is not running.
                  type: int
                  sample: 4321
                status:
                  description: V(online), V(stopped), V(errored), V(launching), V(stopping), V(one-launch-status) or
                    V(waiting restart); V(null) for anything else.
                  type: str
                  sample: online
                memory_mb:
                  description: Resident memory of its process (C(VmRSS)), V(null) when not running.
                  type: int
                  sample: 85
                restarts:
                  description: PM2's C(restart_time), the restarts since it was started.
                  type: int
                  sample: 3
                unstable_restarts:
                  description: PM2's C(unstable_restarts) (restarts within C(min_uptime) of a start).
                  type: int
                  sample: 0
                exec_mode:
                  description: V(fork) or V(cluster).
                  type: str
                  sample: cluster
                instances:
                  description: How many PM2 processes share its name.
                  type: int
                  sample: 2
                max_memory_restart_mb:
                  description: Its C(max_memory_restart) in MiB, V(null) when not set.
                  type: int
                  sample: 300
                heap_mb:
                  description: An explicit C(--max-old-space-size) from its C(node_args) or from C(NODE_OPTIONS)
                    in its process's environment (only that variable is read), else V(null).
                  type: int
                  sample: null
                heap_source:
                  description: V(flag) (C(node_args)), V(NODE_OPTIONS) or V(default).
                  type: str
                  sample: default
                default_heap_mb:
                  description: V8's default old-generation ceiling for its Node version under the memory it sees
                    (see RV(ansible_facts.headroom.processes[].node_heap_mb)); V(null) for a Node version not
                    measured or not known.
                  type: int
                  sample: 1024
                node_args:
                  description: Its interpreter's heap and GC flags only (C(--max-old-space-size),
                    C(--max-semi-space-size), C(--optimize-for-size), C(--expose-gc), ...); no other argument.
                  type: list
                  elements: str
                  sample: ["--max-old-space-size=256"]
                node_version:
                  description: The Node version PM2 recorded for it, V(null) when absent.
                  type: str
                  sample: 20.19.2
                ecosystem_file:
                  description: PM2 does not record the file an app came from; this is the
                    C(ecosystem.config.js), C(.cjs), C(ecosystem.json), C(.yml) or C(.yaml) in its cwd that names
                    it (a regular file, read at most 512 KiB), else V(null).
                  type: str
                  sample: /srv/app/ecosystem.config.js
                cwd:
                  description: Its working directory (C(pm_cwd)).
                  type: str
                  sample: /srv/app
                user:
                  description: The user its daemon runs as.
                  type: str
                  sample: deploy
                home:
                  description: Its daemon's C(PM2_HOME).
                  type: str
                  sample: /home/deploy/.pm2
                unit:
                  description: The systemd service its daemon runs in (C(pm2-<user>.service) after C(pm2 startup)),
                    else V(null).
                  type: str
                  sample: pm2-deploy.service
        oom:
          description:
            - The OOM-kill history of the host within O(oom_since), from the sources chosen by O(oom_sources) and the
              files in O(oom_files).
            - The same kill seen in several sources (ring buffer, journal, syslog files) is one event listing every source.
          returned: when C(oom) is in O(gather_subset)
          type: dict
          contains:
            since:
              description:
                - Start of the window read, ISO-8601 UTC (C(Z)); V(null) for O(oom_since=all).
                - Events whose wall-clock time is unknown (a raw C(dmesg) file has only the kernel's time) are kept whatever
                  the window.
              type: str
              returned: always
              sample: '2026-10-26T22:00:00Z'
            kills_since_boot:
              description: OOM kills the kernel counted since boot (C(oom_kill) in C(/proc/vmstat)); V(null) on kernels older than 4.13.
              type: int
              returned: always
              sample: 3
            kernel_kills_logged_since_boot:
              description:
                - Kernel OOM kills since the host booted among every event of the window, listed in
                  RV(ansible_facts.headroom.oom.events) or not; V(null) when the boot time is unknown.
              type: int
              returned: always
              sample: 3
            kills_implausible:
              description:
                - V(true) when the logs hold more kernel kills since boot than the kernel counted
                  (RV(ansible_facts.headroom.oom.kernel_kills_logged_since_boot) above
                  RV(ansible_facts.headroom.oom.kills_since_boot)) - some of those lines were not written by the kernel.
              type: bool
              returned: always
              sample: false
            kills_notice:
              description: The sentence that says why RV(ansible_facts.headroom.oom.kills_implausible) is V(true), else V(null).
              type: str
              returned: always
              sample: null
            total:
              description: OOM events in the window, listed in RV(ansible_facts.headroom.oom.events) or not.
              type: int
              returned: always
              sample: 3
            dropped:
              description: The oldest events of the window left out of RV(ansible_facts.headroom.oom.events), beyond O(oom_max_events).
              type: int
              returned: always
              sample: 0
            events:
              description:
                - One entry per OOM kill, oldest first; events with no wall-clock time come last, ordered by kernel time.
                - Only the newest O(oom_max_events) events of the window (the last ones of this order) are listed.
                - One C(Killed process) line of the kernel, one systemd-oomd kill, or one earlyoom victim (earlyoom signalling
                  the same pid again within 60 seconds is the same event).
                - A kernel report cut off before its C(Killed process) line is listed too, with C(complete=true) when its
                  C(oom-kill:) summary line names the victim (the sizes only the C(Killed process) line prints are
                  V(null)), C(complete=false) when the victim is unknown.
                - Only the kernel's own report lines count (at the start of a kernel message, fields in the kernel's
                  order); kill text inside another message (a file name, an audit record) is never a kill.
                - Each line counts only from its own writer - the kernel's from /dev/kmsg, the journal's kernel transport
                  or a C(kernel:) syslog tag with no pid; systemd's notices from PID 1 as root; systemd-oomd's and
                  earlyoom's from their own unit and program under a system uid (journal) or, when the journal cannot
                  be read, their own tag in the syslog files (which cannot prove a program's writer).
                  A program's C(logger -t kernel) or C(logger -t systemd) line is never a kill.
                - A systemd C(A process of this unit has been killed by the OOM killer) / C(Failed with result 'oom-kill')
                  notice is not an event of its own; it gives the kill its C(unit). When no source holds the kill
                  itself, a unit's notice is kept as one event with C(complete=false) and only C(time), C(killer)
                  and C(unit) set; a slice's is not (a slice holds no process, so alone its notice is a counter
                  systemd read again, not a kill).
              type: list
              elements: dict
              returned: always
              contains:
                time:
                  description:
                    - When the kill happened, ISO-8601 UTC (C(Z)), or V(null) when no source gave a wall-clock time.
                    - For kernel messages read from the journal it is the boot's start plus the kernel's own time stamp, not
                      the time journald ingested the message; for /dev/kmsg it is the boot time plus the kernel time stamp.
                  type: str
                  sample: '2026-11-25T19:10:21.935257Z'
                uptime_s:
                  description: The kernel's time stamp of the kill line in seconds since boot (kernel kills), or V(null).
                  type: float
                  sample: 160.087502
                killer:
                  description: Who killed.
                  type: str
                  choices: [kernel, systemd-oomd, earlyoom]
                scope:
                  description:
                    - For kernel kills, V(memcg) when a cgroup hit its memory limit, V(global) when the whole host ran out of
                      memory; V(null) when the log does not say, and for user-space killers.
                  type: str
                  choices: [global, memcg]
                  sample: memcg
                constraint:
                  description: The constraint as the kernel printed it in the C(oom-kill:) line (kernels 4.19 and later), or V(null).
                  type: str
                  sample: CONSTRAINT_MEMCG
                victim:
                  description: The killed process; fields the log lacks are V(null) (systemd-oomd names only a cgroup).
                  type: dict
                  contains:
                    pid:
                      description: Its pid.
                      type: int
                      sample: 5013
                    comm:
                      description: Its name (may hold spaces, brackets and parentheses, e.g. C(my hog (test)), C(runc:[2:INIT])).
                      type: str
                      sample: python3
                    uid:
                      description: Its user id.
                      type: int
                      sample: 0
                    total_vm_kb:
                      description: Virtual memory size in kB, as the kernel printed it.
                      type: int
                      sample: 75176
                    anon_rss_kb:
                      description: Anonymous resident memory in kB at the kill.
                      type: int
                      sample: 65280
                    file_rss_kb:
                      description: File-backed resident memory in kB.
                      type: int
                      sample: 6664
                    shmem_rss_kb:
                      description: Shared-memory resident memory in kB (kernels 4.6 and later).
                      type: int
                      sample: 0
                    pgtables_kb:
                      description: Page tables in kB (kernels 5.3 and later).
                      type: int
                      sample: 192
                    oom_score_adj:
                      description: Its oom_score_adj (kernels 5.3 and later).
                      type: int
                      sample: 0
                trigger:
                  description:
                    - The task whose allocation invoked the OOM killer (a thread name and thread id when a thread did), or V(null)
                      when the report's head was not in the log.
                  type: dict
                  contains:
                    pid:
                      description: Its pid (thread id), from the C(CPU:/Pid:) line after the C(invoked oom-killer) line, or V(null).
                      type: int
                      sample: 15505
                    comm:
                      description: Its name.
                      type: str
                      sample: alloc worker
                    gfp_mask:
                      description: The allocation's GFP mask as printed, flags included.
                      type: str
                      sample: 0xcc0(GFP_KERNEL)
                    order:
                      description: The allocation order (V(-1) for a memcg or sysrq-forced OOM on some kernels).
                      type: int
                      sample: 0
                    oom_score_adj:
                      description: Its oom_score_adj; V(null) on kernels that print only the old oom_adj.
                      type: int
                      sample: 250
                oom_memcg:
                  description: The memory cgroup whose limit was hit (C(oom_memcg=) or the C(limit of) part of C(Task in)), or V(null).
                  type: str
                  sample: /system.slice/hog.service
                task_memcg:
                  description: The victim's memory cgroup (C(task_memcg=) or C(Task in)), or V(null).
                  type: str
                  sample: /system.slice/hog.service
                cgroup:
                  description: The cgroup systemd-oomd killed, or V(null).
                  type: str
                  sample: /user.slice/user-1000.slice/user@1000.service/app.slice/app-firefox.scope
                unit:
                  description:
                    - The systemd unit derived from RV(ansible_facts.headroom.oom.events[].task_memcg),
                      RV(ansible_facts.headroom.oom.events[].oom_memcg) or RV(ansible_facts.headroom.oom.events[].cgroup) (the
                      deepest C(.service),
                      C(.scope) or C(.slice) named), or the 64-hex container id for docker, podman, containerd, CRI-O and
                      kubepods cgroups (unless a unit runs inside the container), or the unit named by systemd's notice.
                    - V(null) when none can be named.
                  type: str
                  sample: hog.service
                complete:
                  description:
                    - V(true) when the victim is known (pid and comm from the C(Killed process) line or the C(oom-kill:)
                      summary line; the fields neither printed are V(null)), and for every systemd-oomd and earlyoom kill.
                    - V(false) for a report cut off before the victim was named (only the C(invoked oom-killer) head, or a
                      C(Kill process .. or sacrifice child) selection without its kill), or a kill known only from
                      systemd's notice.
                  type: bool
                  sample: true
                sources:
                  description: Every source the kill was seen in (C(kmsg), C(dmesg), C(journal), C(file:<path>)).
                  type: list
                  elements: str
                  sample: [kmsg, journal, 'file:/var/log/kern.log']
            counts:
              description: Every event of the window counted (RV(ansible_facts.headroom.oom.total)), listed or not.
              type: dict
              returned: always
              contains:
                by_comm:
                  description: Events per victim name (events without a victim name are not counted here).
                  type: dict
                  sample: {python3: 2, java: 1}
                by_unit:
                  description: Events per unit or container id (events without a unit are not counted here).
                  type: dict
                  sample: {hog.service: 3}
                by_killer:
                  description: Events per killer.
                  type: dict
                  sample: {kernel: 3, earlyoom: 1}
            sources:
              description:
                - Every source the module tried, in the order read. A source it may not read (a non-root user with
                  C(kernel.dmesg_restrict=1) on /dev/kmsg, an unreadable file) is reported here and the module still succeeds
                  with what it could read.
              type: list
              elements: dict
              returned: always
              contains:
                name:
                  description:
                    - C(kmsg), C(dmesg) (read only when /dev/kmsg is missing), C(journal), C(syslog) (when no syslog file exists),
                      or C(file:<path>).
                  type: str
                  sample: 'file:/var/log/kern.log.2.gz'
                status:
                  description: What happened.
                  type: str
                  choices: [read, absent, denied, error]
                lines:
                  description:
                    - How many lines were handed to the parser; for files, after the fast marker pre-filter (so not the file's
                      length), for the journal the entries C(journalctl --grep) returned, for /dev/kmsg the records read.
                  type: int
                  sample: 42
                msg:
                  description: Why a source was not read, or V('').
                  type: str
                  sample: '/dev/kmsg: Operation not permitted'
"""

import os
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.headroom.memory.plugins.module_utils.cgroups import read_cgroup
from ansible_collections.headroom.memory.plugins.module_utils.procfs import (
    parse_meminfo, memory_from_meminfo, read_boot_time, read_pressure, read_sysctls, read_text, read_vmstat, swap_from)
from ansible_collections.headroom.memory.plugins.module_utils.facts.processes import CMDLINE_HEAP, read_processes, scan
from ansible_collections.headroom.memory.plugins.module_utils.facts.settings import read_databases, read_workers
from ansible_collections.headroom.memory.plugins.module_utils.facts.subsets import resolve_subsets
from ansible_collections.headroom.memory.plugins.module_utils.node.pm2 import read_pm2
from ansible_collections.headroom.memory.plugins.module_utils.oom.options import MAX_EVENTS_DEFAULT, SOURCE_CHOICES

# where the facts are read from (unit tests point these at a fixture tree)
PROC = "/proc"
ROOTFS = ""


def read_uptime(proc="/proc"):
    """Seconds since boot (the first field of ``<proc>/uptime``), or None: a clock that wall-clock changes
    do not move, to measure the time between two samples."""
    text = read_text(os.path.join(proc, "uptime")) or ""
    try:
        return round(float(text.split()[0]), 2)
    except (IndexError, ValueError):
        return None


def gather(subsets, params, proc="/proc", rootfs="", oom_collector=None, run_command=None):
    """The ``headroom`` facts for the resolved ``subsets`` (a set of names from subsets.SUBSETS).

    ``oom_collector(params)`` returns the OOM history; the module passes one bound to its run_command and to
    the boot time it checked ``oom_since`` against. ``run_command`` asks the container engines (``containers``;
    None: only their cgroups are listed). Everything else is read from files under ``proc`` (and
    ``rootfs`` + the cgroup mounts).
    """
    facts = {}
    vmstat = None
    if subsets & {"memory", "swap"}:
        meminfo = parse_meminfo(read_text(os.path.join(proc, "meminfo")))
        if "memory" in subsets:
            facts["memory"] = memory_from_meminfo(meminfo)
        if "swap" in subsets:
            facts["swap"] = swap_from(meminfo, read_text(os.path.join(proc, "swaps")))
    if subsets & {"memory", "oom"}:
        vmstat = read_vmstat(proc)
        if "memory" in subsets:
            facts["vmstat"] = vmstat
    if "sysctl" in subsets:
        facts["sysctl"] = read_sysctls(proc)
    if "pressure" in subsets:
        facts["pressure"] = read_pressure(proc)
    if subsets & {"cgroup", "containers"}:
        cgroup = read_cgroup(proc, rootfs)  # one scan of the hierarchy serves both
        if "cgroup" in subsets:
            facts["cgroup"] = cgroup
        if "containers" in subsets:
            from ansible_collections.headroom.memory.plugins.module_utils.containers.collect import read_containers
            facts["containers"] = read_containers(cgroup.get("units"), run_command, rootfs)
    # one process scan serves every subset that needs one; the module's own python is an artefact of asking
    entries = scan(proc, (os.getpid(),)) if subsets & {"processes", "settings", "pm2"} else None
    if "processes" in subsets:
        cmdline = CMDLINE_HEAP if params["cmdline"] and params.get("cmdline_heap_only") else params["cmdline"]
        facts["processes"], facts["process_groups"] = read_processes(
            proc, params["top"], cmdline, pss=params.get("pss", False), rootfs=rootfs, entries=entries)
        facts["processes_uptime_s"] = read_uptime(proc)
    if "settings" in subsets:
        facts["settings"] = {"databases": read_databases(proc, rootfs, entries),
                             "workers": read_workers(proc, rootfs, entries)}
    if "pm2" in subsets:
        facts["pm2"] = read_pm2(entries, proc, rootfs)
    if "oom" in subsets and oom_collector is not None:
        from ansible_collections.headroom.memory.plugins.module_utils.oom.history import check_kill_count
        oom = oom_collector(params)
        facts["oom"] = check_kill_count(oom, vmstat.get("oom_kill") if vmstat else None, read_boot_time(proc))
    return facts


def main():
    module = AnsibleModule(
        argument_spec=dict(
            gather_subset=dict(type="list", elements="str", default=["all"]),
            top=dict(type="int", default=10),
            oom_since=dict(type="str", default="30d"),
            oom_sources=dict(type="list", elements="str", default=["auto"], choices=list(SOURCE_CHOICES)),
            oom_files=dict(type="list", elements="path", default=[]),
            oom_max_events=dict(type="int", default=MAX_EVENTS_DEFAULT),
            cmdline=dict(type="bool", default=False),
            cmdline_heap_only=dict(type="bool", default=False),
            pss=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    params = module.params
    try:
        subsets = resolve_subsets(params["gather_subset"])
    except ValueError as e:
        module.fail_json(msg=str(e))
    if params["top"] < 0:
        module.fail_json(msg="top must be 0 or more, got %d" % params["top"])

    oom_collector = None
    if "oom" in subsets:
        oom_collector = _oom_collector(module)
    facts = gather(subsets, params, proc=PROC, rootfs=ROOTFS, oom_collector=oom_collector,
                   run_command=module.run_command)
    module.exit_json(changed=False, ansible_facts={"headroom": facts})


def _oom_collector(module):
    """Check the OOM options before anything is read, and return the function that reads the history.

    The OOM code is imported here, not at the top: a run without the oom subset does not pay for it.
    """
    from ansible_collections.headroom.memory.plugins.module_utils.oom.history import oom_window, read_oom_history
    from ansible_collections.headroom.memory.plugins.module_utils.oom.options import check_max_events

    params = module.params
    try:
        check_max_events(params["oom_max_events"])
        kinds, cutoff, boot = oom_window(params["oom_sources"], params["oom_files"], params["oom_since"],
                                         time.time(), read_boot_time(PROC))
    except ValueError as e:
        module.fail_json(msg=str(e))

    def collect(params):
        return read_oom_history(kinds, cutoff, boot, files=params["oom_files"], run_command=module.run_command,
                                max_events=params["oom_max_events"])
    return collect


if __name__ == "__main__":
    main()
