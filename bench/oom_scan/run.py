# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""bench/oom_scan: memory_facts' OOM scan of a big kern.log against grep for the same markers.

Generates (once, cached under /var/tmp/headroom-bench/oom_scan/) a ~1 GiB kern.log of realistic syslog
noise with a few hundred real OOM reports (the kernel reports of tests/unit/fixtures/oom) spread through
it, and a gzip copy. Then, in the same run, several rounds each of:

  scan plain  read_log_file() (marker pre-filter + parse + events) on kern.log
  grep plain  grep -c -E '<the same markers>' kern.log           (LC_ALL=C)
  (grep -c -E with a longer hand-written marker list, for reference)
  scan gz     read_log_file() on kern.log.gz
  zcat|grep   gzip -dc kern.log.gz | grep -c -E '<markers>'

and prints the medians, the ratios scan/grep, and the peak RSS (ru_maxrss from wait4) of a child process
that runs the scan alone. Targets (issue 3): scan within 2x of grep on the plain file, peak memory under
64 MiB. Nothing is asserted: this prints numbers.

usage: .venv/bin/python bench/oom_scan/run.py [--size-mib 1024] [--rounds 5] [--dir /var/tmp/headroom-bench/oom_scan]
"""

from __future__ import absolute_import, division, print_function

import argparse
import glob
import os
import random
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.dirname(HERE))
from benchlib import collection_path  # noqa: E402  pylint: disable=wrong-import-position
FIXTURES = os.path.join(ROOT, 'tests', 'unit', 'fixtures', 'oom')

sys.path.insert(0, collection_path())
# pylint: disable=wrong-import-position
from ansible_collections.headroom.memory.plugins.module_utils.oom.lines import split_line  # noqa: E402
from ansible_collections.headroom.memory.plugins.module_utils.oom.scan import GREP_PATTERN  # noqa: E402
from ansible_collections.headroom.memory.plugins.module_utils.oom.sources import read_log_file  # noqa: E402
from ansible_collections.headroom.memory.plugins.module_utils.oom.events import build_history  # noqa: E402

HOSTS = ['web01', 'db-02.prod.example.com', 'cache3']
NOISE = [
    'kernel: [{up}] audit: type=1400 audit({ep}.{ms}:{n}): apparmor="DENIED" operation="open" profile="/usr/sbin/cupsd" '
    'name="/etc/ssl/openssl.cnf" pid={pid} comm="cupsd" requested_mask="r" denied_mask="r" fsuid=0 ouid=0',
    'kernel: [{up}] [UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00 SRC=192.168.{a}.{b} '
    'DST=10.0.0.1 LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID={n} DF PROTO=TCP SPT=443 DPT={port} WINDOW=0 RES=0x00 RST URGP=0',
    'kernel: [{up}] EXT4-fs (sda1): re-mounted. Opts: errors=remount-ro. Quota mode: none.',
    'kernel: [{up}] e1000e 0000:00:19.0 eth0: NIC Link is Up 1000 Mbps Full Duplex, Flow Control: Rx/Tx',
    'kernel: [{up}] TCP: request_sock_TCP: Possible SYN flooding on port 80. Sending cookies.  Check SNMP counters.',
    'kernel: [{up}] nf_conntrack: nf_conntrack: table full, dropping packet',
    'kernel: [{up}] veth{b}: entered promiscuous mode',
    'kernel: [{up}] docker0: port {a}(veth{b}) entered forwarding state',
    'kernel: [{up}] perf: interrupt took too long (2504 > 2500), lowering kernel.perf_event_max_sample_rate to 79750',
    'kernel: [{up}] usb 1-1: new high-speed USB device number {a} using xhci_hcd',
    'CRON[{pid}]: (root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)',
    'CRON[{pid}]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)',
    'sshd[{pid}]: Accepted publickey for deploy from 10.0.{a}.{b} port {port} ssh2: RSA SHA256:Yp8bkR0m2l7Q5v1JxT4s9w',
    'sshd[{pid}]: Received disconnect from 203.0.113.{a} port {port}:11: Bye Bye [preauth]',
    'sshd[{pid}]: pam_unix(sshd:session): session closed for user deploy',
    'systemd[1]: Started session-{n}.scope - Session {n} of User deploy.',
    'systemd[1]: Starting apt-daily.service - Daily apt download activities...',
    'systemd[1]: logrotate.service: Deactivated successfully.',
    'systemd[1]: Finished logrotate.service - Rotate log files.',
    'systemd-logind[{pid}]: New session {n} of user deploy.',
    'systemd-logind[{pid}]: Removed session {n}.',
    'dockerd[{pid}]: time="2026-11-25T10:00:00.123456789Z" level=info msg="ignoring event" container={hex} '
    'module=libcontainerd namespace=moby topic=/tasks/delete type="*events.TaskDelete"',
    'containerd[{pid}]: time="2026-11-25T10:00:00.000000000Z" level=info msg="shim disconnected" id={hex}',
    'nginx[{pid}]: 2026/11/25 10:00:00 [error] {pid}#0: *{n} upstream timed out (110: Connection timed out) while '
    'reading response header from upstream, client: 198.51.100.{a}, server: example.com, request: "GET /api HTTP/1.1"',
    'postgres[{pid}]: [{n}-1] 2026-11-25 10:00:00 UTC LOG:  checkpoint complete: wrote {a} buffers (0.1%); 0 WAL file(s) '
    'added, 0 removed, 1 recycled; write=3.112 s, sync=0.004 s, total=3.131 s',
    'NetworkManager[{pid}]: <info>  [{ep}.{ms}] dhcp4 (eth0): state changed new lease, address=10.0.{a}.{b}',
    'rsyslogd[{pid}]: [origin software="rsyslogd" swVersion="8.2302.0" x-pid="{pid}"] rsyslogd was HUPed',
    'php-fpm[{pid}]: [WARNING] [pool www] server reached pm.max_children setting (50), consider raising it',
    'snapd[{pid}]: storehelpers.go:769: cannot refresh: snap has no updates available: "core20", "lxd"',
    'named[{pid}]: client @0x7f{hex8} 192.0.2.{a}#{port} (example.org): query (cache) denied',
    'postfix/smtpd[{pid}]: connect from unknown[203.0.113.{a}]',
    'kernel: [{up}] Out of socket memory',
    'app[{pid}]: worker {n} will retry the job; still waiting for the lock held by {b}',
    'java[{pid}]: WARN  c.e.Service - GC pause took {a}ms, still under the SLA, will fill the cache later',
]


def _fixture_reports():
    """The kernel OOM reports of the fixtures, as lists of kernel messages (report head to kill line)."""
    reports = []
    for path in sorted(glob.glob(os.path.join(FIXTURES, '*.log'))):
        if 'json' in os.path.basename(path):
            continue
        current = []
        with open(path, encoding='utf-8', errors='replace') as f:
            for line in f:
                _wall, _up, ident, _pid, msg = split_line(line)
                if ident not in (None, 'kernel'):
                    continue
                if 'invoked oom-killer' in msg:
                    current = [msg]
                elif current:
                    current.append(msg)
                    if 'Killed process' in msg:
                        reports.append(current)
                        current = []
    return reports


def generate(path, size_mib, n_reports):
    """Write the noise log with ``n_reports`` OOM reports spread through it."""
    rnd = random.Random(42)
    reports = _fixture_reports()
    if not reports:
        raise SystemExit('no OOM reports found under %s' % FIXTURES)
    target = size_mib * 1024 * 1024
    every = max(1, target // (n_reports + 1))
    t0 = time.mktime((2026, 10, 1, 0, 0, 0, 0, 0, -1))
    up = 1000.0
    written = 0
    next_report = every
    pid = 40000
    inserted = 0
    tmp = path + '.tmp'
    with open(tmp, 'w', encoding='utf-8') as out:
        while written < target:
            lines = []
            for _i in range(2000):
                up += rnd.random() * 0.3
                host = HOSTS[0]
                stamp = time.strftime('%b %d %H:%M:%S', time.localtime(t0 + up))
                tpl = rnd.choice(NOISE)
                text = tpl.format(up='%12.6f' % up, ep=int(t0 + up), ms=rnd.randrange(1000), n=rnd.randrange(1, 99999),
                                  pid=rnd.randrange(300, 99999), a=rnd.randrange(1, 254), b=rnd.randrange(1, 254),
                                  port=rnd.randrange(1024, 65535), hex='%064x' % rnd.getrandbits(256),
                                  hex8='%08x' % rnd.getrandbits(32))
                lines.append('%s %s %s\n' % (stamp, host, text))
            if written >= next_report:
                report = reports[inserted % len(reports)]
                pid += 1
                stamp = time.strftime('%b %d %H:%M:%S', time.localtime(t0 + up))
                for msg in report:
                    up += 0.000013
                    lines.append('%s %s kernel: [%12.6f] %s\n' % (stamp, HOSTS[0], up, msg))
                inserted += 1
                next_report += every
            chunk = ''.join(lines)
            out.write(chunk)
            written += len(chunk)
    os.rename(tmp, path)
    return inserted


def generate_worst(path, size_mib):
    """A log where every line holds a marker but none is an OOM line: the scan's worst case."""
    rnd = random.Random(7)
    target = size_mib * 1024 * 1024
    written = 0
    tmp = path + '.tmp'
    with open(tmp, 'w', encoding='utf-8') as out:
        while written < target:
            chunk = ''.join('Nov 25 10:%02d:%02d web01 app[%d]: Killing idle worker %d, will respawn (kill #%d)\n'
                            % (rnd.randrange(60), rnd.randrange(60), rnd.randrange(99999), rnd.randrange(999),
                               rnd.randrange(99999)) for _i in range(5000))
            out.write(chunk)
            written += len(chunk)
    os.rename(tmp, path)


def timed(fn, rounds):
    times = []
    result = None
    for _i in range(rounds):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def scan(path):
    state, records = read_log_file(path)
    events, _counts = build_history([(state['name'], records)])
    return len(events), state['lines']


# for reference only: the longer marker list one would grep for by hand
HAND_PATTERN = 'oom|Kill|OOM|sending SIG|Comm: |as a result of limit|task='


def grep_count(path, pattern=GREP_PATTERN):
    env = dict(os.environ, LC_ALL='C', LANG='C')
    out = subprocess.run(['grep', '-c', '-E', pattern, path], env=env, check=False, stdout=subprocess.PIPE)
    return int(out.stdout or 0)


def zgrep_count(path):
    env = dict(os.environ, LC_ALL='C', LANG='C')
    gz = subprocess.Popen(['gzip', '-dc', path], stdout=subprocess.PIPE, env=env)
    out = subprocess.run(['grep', '-c', '-E', GREP_PATTERN], stdin=gz.stdout, env=env, check=False, stdout=subprocess.PIPE)
    gz.stdout.close()
    gz.wait()
    return int(out.stdout or 0)


def peak_rss_mib(path):
    """ru_maxrss (MiB) of a child that only imports the scanner and scans ``path`` ('' = import only)."""
    code = ('import sys; sys.path.insert(0, %r)\n'
            'from ansible_collections.headroom.memory.plugins.module_utils.oom.sources import read_log_file\n'
            'from ansible_collections.headroom.memory.plugins.module_utils.oom.events import build_history\n'
            'p = sys.argv[1]\n'
            'if p:\n'
            '    s, r = read_log_file(p); build_history([(s["name"], r)])\n') % collection_path()
    proc = subprocess.Popen([sys.executable, '-c', code, path])
    _pid, _status, usage = os.wait4(proc.pid, 0)
    proc.returncode = 0
    return usage.ru_maxrss / 1024.0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--size-mib', type=int, default=1024)
    parser.add_argument('--reports', type=int, default=300)
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--dir', default='/var/tmp/headroom-bench/oom_scan')
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    plain = os.path.join(args.dir, 'kern-%dMiB-%d.log' % (args.size_mib, args.reports))
    gz = plain + '.gz'
    if not os.path.exists(plain):
        print('generating %s ...' % plain, flush=True)
        start = time.time()
        n = generate(plain, args.size_mib, args.reports)
        print('  %d OOM reports inserted, %.1fs' % (n, time.time() - start), flush=True)
    if not os.path.exists(gz):
        print('compressing %s ...' % gz, flush=True)
        with open(gz + '.tmp', 'wb') as out:
            subprocess.run(['gzip', '-c', plain], stdout=out, check=True)
        os.rename(gz + '.tmp', gz)
    size = os.path.getsize(plain) / 2 ** 20
    gz_size = os.path.getsize(gz) / 2 ** 20
    print('plain %.0f MiB, gzip %.0f MiB, %d rounds, markers: grep -E %r' % (size, gz_size, args.rounds, GREP_PATTERN))
    # warm the page cache
    grep_count(plain)
    t_scan, (events, lines) = timed(lambda: scan(plain), args.rounds)
    t_grep, count = timed(lambda: grep_count(plain), args.rounds)
    t_hand, count_hand = timed(lambda: grep_count(plain, HAND_PATTERN), args.rounds)
    t_scan_gz, (events_gz, _l) = timed(lambda: scan(gz), args.rounds)
    t_zgrep, count_gz = timed(lambda: zgrep_count(gz), args.rounds)
    worst = os.path.join(args.dir, 'worst-%dMiB.log' % max(1, args.size_mib // 4))
    if not os.path.exists(worst):
        generate_worst(worst, max(1, args.size_mib // 4))
    worst_size = os.path.getsize(worst) / 2 ** 20
    t_worst, (events_worst, lines_worst) = timed(lambda: scan(worst), 1)
    t_worst_grep, count_worst = timed(lambda: grep_count(worst), 1)
    rss_worst = peak_rss_mib(worst)
    rss_base = peak_rss_mib('')
    rss_plain = peak_rss_mib(plain)
    rss_gz = peak_rss_mib(gz)
    print()
    print('%-28s %10s %10s %12s' % ('run', 'median s', 'MiB/s', 'result'))
    print('%-28s %10.3f %10.0f %12s' % ('scan kern.log', t_scan, size / t_scan, '%d events' % events))
    print('%-28s %10.3f %10.0f %12s' % ('grep -c -E kern.log', t_grep, size / t_grep, '%d lines' % count))
    print('%-28s %10.3f %10.0f %12s' % ('(grep -c -E hand markers)', t_hand, size / t_hand, '%d lines' % count_hand))
    print('%-28s %10.3f %10.0f %12s' % ('scan kern.log.gz', t_scan_gz, size / t_scan_gz, '%d events' % events_gz))
    print('%-28s %10.3f %10.0f %12s' % ('gzip -dc | grep -c -E', t_zgrep, size / t_zgrep, '%d lines' % count_gz))
    print()
    print('ratio scan/grep plain: %.2fx (target <= 2.00x)' % (t_scan / t_grep))
    print('ratio scan/zcat|grep gz: %.2fx' % (t_scan_gz / t_zgrep))
    print('(ratio scan/grep with the hand marker list %r: %.2fx)' % (HAND_PATTERN, t_scan / t_hand))
    print('candidate lines parsed: %d (grep counted %d)' % (lines, count))
    print('worst case (%.0f MiB, every line says Kill, no OOM line): scan %.3fs (%d lines parsed, %d events), '
          'grep %.3fs (%d lines), ratio %.2fx, peak RSS %.1f MiB'
          % (worst_size, t_worst, lines_worst, events_worst, t_worst_grep, count_worst, t_worst / t_worst_grep, rss_worst))
    print('peak RSS: scan plain %.1f MiB, scan gz %.1f MiB, python + imports alone %.1f MiB (target < 64 MiB)'
          % (rss_plain, rss_gz, rss_base))


if __name__ == '__main__':
    main()
