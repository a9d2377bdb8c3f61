# -*- coding: utf-8 -*-
"""procs: the process walk over a fake /proc (with vanished and unreadable processes) and this real one."""

import os

from ansible_collections.headroom.memory.plugins.module_utils.facts import processes as procs

STATUS = """Name:\t{name}
Umask:\t0022
State:\tS (sleeping)
Tgid:\t{pid}
Ngid:\t0
Pid:\t{pid}
PPid:\t1
TracerPid:\t0
Uid:\t{uid}\t{euid}\t{euid}\t{euid}
Gid:\t0\t0\t0\t0
FDSize:\t64
Groups:\t
VmPeak:\t   20000 kB
VmSize:\t   19000 kB
VmLck:\t       0 kB
VmPin:\t       0 kB
VmHWM:\t   {rss} kB
VmRSS:\t   {rss} kB
RssAnon:\t    {rss} kB
RssFile:\t       0 kB
RssShmem:\t       0 kB
VmData:\t    1000 kB
VmStk:\t     132 kB
VmExe:\t      16 kB
VmLib:\t    2000 kB
VmPTE:\t      60 kB
VmSwap:\t   {swap} kB
HugetlbPages:\t       0 kB
Threads:\t1
"""

KTHREAD = """Name:\tkworker/0:1-events
Umask:\t0000
State:\tI (idle)
Tgid:\t{pid}
Pid:\t{pid}
Uid:\t0\t0\t0\t0
Threads:\t1
"""


def add_process(proc, pid, name, rss, swap=0, uid=0, euid=None, cgroup="0::/system.slice/x.service\n",
                oom_score=100, oom_score_adj=0, cmdline=None, kernel_thread=False):
    d = proc / str(pid)
    d.mkdir(parents=True)
    template = KTHREAD if kernel_thread else STATUS
    (d / "status").write_text(template.format(name=name, pid=pid, uid=uid, euid=uid if euid is None else euid,
                                              rss=rss, swap=swap))
    (d / "cgroup").write_text(cgroup)
    (d / "oom_score").write_text("%d\n" % oom_score)
    (d / "oom_score_adj").write_text("%d\n" % oom_score_adj)
    if cmdline is not None:
        (d / "cmdline").write_bytes(b"\0".join(a.encode() for a in cmdline) + b"\0")
    return d


def fake_proc(tmp_path):
    proc = tmp_path / "proc"
    proc.mkdir()
    (proc / "meminfo").write_text("MemTotal: 1 kB\n")  # not a pid: ignored
    (proc / "self").mkdir()
    add_process(proc, 1, "systemd", 12000, cgroup="0::/init.scope\n", oom_score=0)
    add_process(proc, 2, "kworker/0:1-events", 0, kernel_thread=True)
    for i in range(40):  # 40 php-fpm workers of 60 MiB + i*10 kB
        add_process(proc, 1000 + i, "php-fpm8.2", 61440 + i * 10, uid=33,
                    cgroup="9:name=systemd:/system.slice/php8.2-fpm.service\n4:memory:/system.slice/php8.2-fpm.service\n0::/system.slice/php8.2-fpm.service\n")
    add_process(proc, 500, "mysqld", 2 * 1024 * 1024, swap=51200, uid=106, oom_score=700, oom_score_adj=-500,
                cgroup="0::/system.slice/mariadb.service\n",
                cmdline=["/usr/sbin/mysqld", "--user=mysql", "--password=hunter2", "--port=3306"])
    add_process(proc, 600, "my hog (test)", 300 * 1024, uid=4242, cgroup="0::/user.slice/user-4242.slice/session-9.scope\n",
                cmdline=["python3", "-c", "x = ' ' * 10**9"])
    return proc


def test_top_by_rss_with_all_fields(tmp_path):
    proc = fake_proc(tmp_path)
    processes, _groups = procs.read_processes(str(proc), top=3, cmdline=False)
    assert [p["pid"] for p in processes] == [500, 600, 1039]
    mysqld = processes[0]
    assert mysqld == {"pid": 500, "comm": "mysqld", "user": mysqld["user"], "rss_mb": 2048, "swap_mb": 50,
                      "oom_score": 700, "oom_score_adj": -500, "unit": "mariadb.service",
                      "cgroup": "/system.slice/mariadb.service"}
    assert "cmdline" not in mysqld  # never without cmdline=true
    hog = processes[1]
    assert hog["comm"] == "my hog (test)" and hog["user"] == "4242"  # no passwd entry: the uid as text
    assert hog["unit"] == "session-9.scope"
    php = processes[2]
    assert php["unit"] == "php8.2-fpm.service" and php["cgroup"] == "/system.slice/php8.2-fpm.service"


def test_user_name_from_passwd(tmp_path):
    proc = tmp_path / "proc"
    add_process(proc, 7, "sshd", 5000, uid=1000, euid=0)
    (entry,) = procs.read_processes(str(proc), top=1)[0]
    assert entry["user"] == "root"  # the effective uid, as ps shows it


def test_cmdline_is_redacted_when_asked(tmp_path):
    proc = fake_proc(tmp_path)
    processes, _groups = procs.read_processes(str(proc), top=2, cmdline=True)
    assert processes[0]["cmdline"] == "/usr/sbin/mysqld --user=mysql --password=******** --port=3306"
    assert processes[1]["cmdline"] == "python3 -c x = ' ' * 10**9"


def test_process_groups_cover_every_process(tmp_path):
    proc = fake_proc(tmp_path)
    _processes, groups = procs.read_processes(str(proc), top=1)
    by_comm = {g["comm"]: g for g in groups}
    assert set(by_comm) == {"systemd", "php-fpm8.2", "mysqld", "my hog (test)"}  # no kernel thread
    php_total = sum(61440 + i * 10 for i in range(40))
    assert by_comm["php-fpm8.2"] == {"comm": "php-fpm8.2", "count": 40, "rss_mb": php_total // 1024,
                                     "rss_mb_avg": php_total // 40 // 1024, "rss_mb_max": (61440 + 390) // 1024}
    assert [g["comm"] for g in groups] == ["php-fpm8.2", "mysqld", "my hog (test)", "systemd"]


def test_small_processes_add_up_in_kb():
    entries = [{"pid": i, "comm": "w", "uid": 0, "rss_kb": 900, "swap_kb": 0} for i in range(40)]
    (group,) = procs.process_groups(entries)
    assert group["rss_mb"] == 35 and group["rss_mb_avg"] == 0 and group["rss_mb_max"] == 0


def test_vanished_and_unreadable_processes_are_tolerated(tmp_path):
    proc = fake_proc(tmp_path)
    (proc / "777").mkdir()  # exited between listdir and open: no status file
    gone = add_process(proc, 888, "gone", 3000000)
    for name in ("oom_score", "oom_score_adj", "cgroup"):
        os.remove(str(gone / name))  # exited after its status was read
    (proc / "999").mkdir()
    (proc / "999" / "status").mkdir()  # open() fails as with EACCES
    processes, groups = procs.read_processes(str(proc), top=1, cmdline=True)
    assert processes[0]["pid"] == 888
    assert processes[0]["oom_score"] is None and processes[0]["oom_score_adj"] is None
    assert processes[0]["unit"] is None and processes[0]["cgroup"] is None and processes[0]["cmdline"] is None
    assert "gone" in {g["comm"] for g in groups}


def test_no_proc_at_all(tmp_path):
    assert procs.read_processes(str(tmp_path / "nothing"), top=10) == ([], [])


def test_top_zero_lists_none_but_still_groups(tmp_path):
    processes, groups = procs.read_processes(str(fake_proc(tmp_path)), top=0)
    assert processes == [] and len(groups) == 4


def test_excluded_pids_are_left_out(tmp_path):
    processes, groups = procs.read_processes(str(fake_proc(tmp_path)), top=100, exclude=(500, 1))
    assert 500 not in {p["pid"] for p in processes} and 1 not in {p["pid"] for p in processes}
    assert {g["comm"] for g in groups} == {"php-fpm8.2", "my hog (test)"}


def test_this_machines_proc_finds_this_process():
    processes, groups = procs.read_processes("/proc", top=100000)
    me = [p for p in processes if p["pid"] == os.getpid()]
    assert len(me) == 1
    assert me[0]["rss_mb"] >= 1 and me[0]["oom_score_adj"] is not None
    assert sum(g["count"] for g in groups) == len(processes)


def test_status_parser_keeps_odd_names():
    assert procs.parse_status("Name:\trunc:[2:INIT]\nUid:\t0\t0\t0\t0\nVmRSS:\t 10 kB\n")[0] == "runc:[2:INIT]"
    assert procs.parse_status("Name:\t (sd-pam)\nUid:\t5\t6\t6\t6\n")[:3] == (" (sd-pam)", 6, None)


SMAPS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "fixtures", "proc", "smaps")


def smaps(name):
    with open(os.path.join(SMAPS, name)) as f:
        return f.read()


def test_parse_smaps_rollup_of_a_php_fpm_worker():
    m = procs.parse_smaps_rollup(smaps("php-fpm-worker"))
    # USS = Private_Clean + Private_Dirty, shared = Shared_Clean + Shared_Dirty, as the file says
    assert m == {"rss_kb": 38412, "pss_kb": 13219, "uss_kb": 12 + 12356, "shared_kb": 22860 + 3184}
    assert m["uss_kb"] + m["shared_kb"] == m["rss_kb"]


def test_parse_smaps_rollup_of_the_first_kernel_format():
    # 4.14 had no Pss_* breakdown lines; Pss_Anon must not be taken for Pss either way
    assert procs.parse_smaps_rollup(smaps("kernel-4.14-short")) == {
        "rss_kb": 884, "pss_kb": 385, "uss_kb": 188, "shared_kb": 696}


def test_parse_smaps_rollup_without_pss_is_none():
    assert procs.parse_smaps_rollup("") is None
    assert procs.parse_smaps_rollup("Rss: 10 kB\nPrivate_Dirty: 4 kB\n") is None


def add_pool(proc, master, workers, comm="php-fpm8.2"):
    """A master (ppid 1) and its workers, each with a smaps_rollup: {pid: (rss, pss, uss, shared)} in kB."""
    for pid, (rss, pss, uss, shared) in [(master[0], master[1])] + sorted(workers.items()):
        d = add_process(proc, pid, comm, rss, uid=33)
        if pid != master[0]:
            status = (d / "status").read_text().replace("PPid:\t1\n", "PPid:\t%d\n" % master[0])
            (d / "status").write_text(status)
        (d / "smaps_rollup").write_text(
            "Rss: %d kB\nPss: %d kB\nShared_Clean: %d kB\nShared_Dirty: 0 kB\nPrivate_Clean: 0 kB\n"
            "Private_Dirty: %d kB\n" % (rss, pss, shared, uss))


def test_pss_of_a_pool_with_its_parent_apart(tmp_path):
    proc = tmp_path / "proc"
    add_pool(proc, (100, (30720, 10240, 4096, 26624)),
             {101: (40960, 20480, 15360, 25600), 102: (51200, 30720, 25600, 25600), 103: (20480, 8192, 5120, 15360)})
    add_process(proc, 7, "sshd", 5000)
    _processes, groups = procs.read_processes(str(proc), top=0, pss=True)
    php = [g for g in groups if g["comm"] == "php-fpm8.2"][0]
    assert php["count"] == 4 and php["measured"] == 3
    assert php["pss_avg_mb"] == (20480 + 30720 + 8192) // 3 // 1024
    assert php["pss_max_mb"] == 30
    assert php["uss_avg_mb"] == (15360 + 25600 + 5120) // 3 // 1024
    assert php["shared_max_mb"] == 25
    assert php["parent"] == {"pid": 100, "rss_mb": 30, "pss_mb": 10, "uss_mb": 4}
    sshd = [g for g in groups if g["comm"] == "sshd"][0]
    assert "pss_avg_mb" not in sshd  # one process: nothing to share, nothing read


def test_pss_is_not_read_unless_asked(tmp_path):
    proc = tmp_path / "proc"
    add_pool(proc, (100, (30720, 10240, 4096, 26624)), {101: (40960, 20480, 15360, 25600)})
    (group,) = procs.read_processes(str(proc), top=0)[1]
    assert set(group) == {"comm", "count", "rss_mb", "rss_mb_avg", "rss_mb_max"}


def test_pss_of_unrelated_processes_and_unreadable_ones():
    # two roots (ppid outside the group): no parent, every member is a worker; one cannot be read
    members = [{"pid": 1, "ppid": 0, "rss_kb": 1}, {"pid": 2, "ppid": 0, "rss_kb": 1}, {"pid": 3, "ppid": 0, "rss_kb": 1}]
    sizes = {1: {"pss_kb": 2048, "uss_kb": 1024, "shared_kb": 1024}, 3: {"pss_kb": 4096, "uss_kb": 3072, "shared_kb": 1024}}
    result = procs.pool_memory(members, sizes.get)
    assert result == {"pss_avg_mb": 3, "pss_max_mb": 4, "uss_avg_mb": 2, "shared_max_mb": 1, "measured": 2, "parent": None}
    assert procs.pool_memory(members, lambda pid: None)["pss_avg_mb"] is None


def test_pss_of_this_host_adds_up():
    # the real /proc (processes change between the status and smaps_rollup reads, so no cross-file check)
    _processes, groups = procs.read_processes("/proc", top=0, pss=True)
    measured = [g for g in groups if g["count"] > 1 and g["pss_max_mb"] is not None]
    assert measured  # some program runs twice on any host that runs these tests (shells, make, python)
    for g in measured:
        assert 0 <= g["pss_avg_mb"] <= g["pss_max_mb"] and 0 <= g["uss_avg_mb"] and g["measured"] >= 1


def test_a_java_process_gets_only_the_heap_flags_of_its_jvm_option_variables(tmp_path):
    proc = tmp_path / "proc"
    d = add_process(proc, 900, "java", 400 * 1024, cmdline=["/usr/bin/java", "-XX:+UseSerialGC", "App.java"])
    (d / "environ").write_bytes(b"\0".join([
        b"PATH=/usr/bin", b"DB_PASSWORD=hunter2 -Xmx1g",
        b"JAVA_TOOL_OPTIONS=-Dsecret=-Xmx9g -Xmx512m -XX:+UseG1GC -Xmx1g;touch",
        b"JDK_JAVA_OPTIONS=-XX:MaxRAMPercentage=62.5", b"_JAVA_OPTIONS", b"JAVA_TOOL_OPTIONSX=-Xmx2g"]) + b"\0")
    add_process(proc, 901, "sleep", 100 * 1024, cmdline=["sleep", "1"])
    (proc / "901" / "environ").write_bytes(b"JAVA_TOOL_OPTIONS=-Xmx64m\0")
    processes, _groups = procs.read_processes(str(proc), top=2, cmdline=True)
    java, sleep = processes
    # only whole, well-formed heap flags of the three JVM variables: no other variable, no other token
    assert java["java_env_heap"] == ["JAVA_TOOL_OPTIONS=-Xmx512m", "JDK_JAVA_OPTIONS=-XX:MaxRAMPercentage=62.5"]
    assert "java_env_heap" not in sleep  # only java processes have their environment looked at
    assert "java_env_heap" not in procs.read_processes(str(proc), top=1, cmdline=False)[0][0]


def test_java_env_heap_of_an_unreadable_or_huge_environment(tmp_path):
    assert procs.java_env_heap(None) == []
    assert procs.java_env_heap(b"") == []
    assert procs.java_env_heap(b"JAVA_TOOL_OPTIONS=-Xmx1\xffg -XX:MaxRAM=8g\0") == ["JAVA_TOOL_OPTIONS=-XX:MaxRAM=8g"]
    proc = tmp_path / "proc"
    d = add_process(proc, 5, "java", 1024, cmdline=["java"])
    (d / "environ").write_bytes(b"A=" + b"x" * (procs.MAX_ENVIRON + 10) + b"\0JAVA_TOOL_OPTIONS=-Xmx1g\0")
    (entry,) = procs.read_processes(str(proc), top=1, cmdline=True)[0]
    assert entry["java_env_heap"] == []  # beyond the read bound: not read, not guessed
