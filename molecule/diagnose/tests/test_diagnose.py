# -*- coding: utf-8 -*-
"""diagnose found every planted problem on the right host and nothing on the clean one; the report files
are well-formed; the HTML renders in headless Chromium (the screenshot stays in .work/diagnose/)."""

import json
import re
import shutil
import struct
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
REPORT = ROOT / ".work" / "diagnose" / "report"
THRASH_REPORT = ROOT / ".work" / "diagnose" / "thrash-report"
SCREENSHOT = ROOT / ".work" / "diagnose" / "molecule-report.png"

# the one problem planted on each host (prepare.yml), and what its finding must say
PLANTED = {
    "diagnose-oom": ("oom_kills_recent", "diagnose-oomhog.service"),
    "diagnose-java": ("jvm_heap_unbounded", "diagnose-java.service"),
    "diagnose-workers": ("workers_oversubscribed", "diagnose-workers.service"),
    "diagnose-noswap": ("swap_missing", "RAM 1.0 GiB (cgroup limit)"),
    "diagnose-db": ("database_oversized", "redis-server.service"),
    "diagnose-clean": (None, None),
}
# findings that are true on a host besides its planted one, by how it is built: diagnose-db and
# diagnose-workers are 1 GiB containers without swap (and the container's limit killed a job on the latter),
# and vm.swappiness (shared with this machine) may be above the database line of 10;
# diagnose-noswap runs a PostgreSQL configured for a bigger host (its own test below)
# ram_tight (info) says that what the services hold now does not fit but would once tuned: true wherever a
# service is planted oversized, by however much it holds at the moment of the diagnosis
ALSO_TRUE = {
    "diagnose-db": {"swap_missing", "swappiness_high", "ram_tight"},
    "diagnose-workers": {"swap_missing", "swappiness_high", "oom_kills_recent", "ram_tight"},
    "diagnose-noswap": {"database_oversized", "swappiness_high", "ram_tight"},
}
DATABASE_CHECK = ROOT / ".work" / "diagnose" / "database-check-diagnose-noswap.json"
WORKERS_CHECK = ROOT / ".work" / "diagnose" / "workers-check-diagnose-workers.json"


@pytest.fixture(scope="module")
def report():
    return json.loads((REPORT / "report.json").read_text())


def entry(report, name):
    [found] = [h for h in report["hosts"] if h["host"] == name]
    return found


def test_planted_problem_found_on_its_host_and_nowhere_else(host, report):
    name = host.backend.get_hostname()
    rule, detail = PLANTED[name]
    mine = entry(report, name)
    assert mine["status"] == "ok", mine["message"]
    ids = [f["id"] for f in mine["findings"]]
    if rule is None:
        assert mine["findings"] == [], "false findings on the clean host: %s" % ids
        return
    assert rule in ids
    assert [f for f in mine["findings"] if f["id"] == rule and detail in json.dumps(f)], mine["findings"]
    others = [h["host"] for h in report["hosts"] if h["host"] != name and rule in [f["id"] for f in h["findings"]]
              and rule not in ALSO_TRUE.get(h["host"], ())]
    assert others == [], "%s also reported on %s" % (rule, others)
    if name in ALSO_TRUE:
        assert set(ids) <= {rule} | ALSO_TRUE[name], "unexpected findings on %s: %s" % (name, ids)


def test_oom_host_saw_its_three_kills_by_its_own_limit(report):
    oom = entry(report, "diagnose-oom")
    assert oom["summary"]["kills"] == 3
    assert [e["unit"] for e in oom["events"]] == ["diagnose-oomhog.service"] * 3
    [finding] = [f for f in oom["findings"] if f["id"] == "oom_kills_recent"]
    assert finding["severity"] == "critical"
    assert finding["remedy"]["vars"]["service_limits_units"][0]["unit"] == "diagnose-oomhog.service"


def test_java_remedy_names_the_heap_role_and_flags_only(report):
    [finding] = [f for f in entry(report, "diagnose-java")["findings"] if f["id"] == "jvm_heap_unbounded"]
    assert finding["remedy"]["role"] == "headroom.memory.heap"
    assert finding["remedy"]["vars"]["heap_services"][0]["unit"] == "diagnose-java.service"
    assert "Sleeper.java" not in json.dumps(report)  # flags only: no command line anywhere in the report


def workers_finding(report, comm):
    [finding] = [f for f in entry(report, "diagnose-workers")["findings"]
                 if f["id"] == "workers_oversubscribed" and comm in f["title"]]
    return finding


def test_workers_remedy_names_the_setting_and_the_backstop(report):
    finding = workers_finding(report, "python3")
    assert finding["remedy"]["settings"][0]["setting"].startswith("worker count")
    assert finding["remedy"]["role"] == "headroom.memory.service_limits"
    assert "12 python3 workers" in finding["evidence"][0]


def test_php_fpm_judged_by_its_configured_children_not_the_ones_running(report):
    """php-fpm runs its spare children (idle, grown by the load in prepare), but pm.max_children = 40 is judged."""
    finding = workers_finding(report, "pm.max_children = 40")
    # 40 workers at their measured size, beside the other processes, need more than the container has
    assert finding["severity"] == "critical"
    [setting] = finding["remedy"]["settings"]
    assert setting["setting"] == "pm.max_children" and 1 <= setting["value"] < 40
    assert setting["value"] * setting["per_worker_mb"] <= setting["room_mb"]
    # grow.php leaves 20-some MiB in each worker it ran in (an idle php-fpm worker holds 2-4 MiB of its own): the
    # per-worker cost is the grown workers' size
    assert setting["per_worker_mb"] >= 16, finding["evidence"]
    evidence = "\n".join(finding["evidence"])
    assert "largest PSS" in evidence and "1024 MiB (cgroup" in evidence
    assert finding["remedy"]["role"] == "headroom.memory.workers"
    remedy = yaml.safe_load((REPORT / "remedy-vars" / "diagnose-workers.yml").read_text())
    assert remedy["workers_pools"] == [{"kind": "php_fpm", "config": "/etc/php/8.4/fpm/pool.d/www.conf"}]


def test_a_kill_by_the_containers_limit_is_blamed_on_the_container_not_the_unit(report):
    host = entry(report, "diagnose-workers")
    [kill] = [e for e in host["events"] if e["unit"] == "diagnose-batch.service"]
    assert kill["comm"] == "diagnose-batch" and kill["scope"] == "memcg"
    [finding] = [f for f in host["findings"] if f["id"] == "oom_kills_recent"]
    evidence = "\n".join(finding["evidence"])
    assert "diagnose-batch.service: 1 kill(s) by the container's limit (/libpod_parent/libpod-" in evidence
    assert "not the unit's own" in evidence
    assert "raise or add the container's memory limit" in finding["remedy"]["text"]
    assert "Units killed by their own MemoryMax" not in finding["remedy"]["text"]
    # no MemoryMax guessed for the job from its dead process's size
    units = [u["unit"] for u in (finding["remedy"]["vars"] or {}).get("service_limits_units", [])]
    assert "diagnose-batch.service" not in units


def test_workers_role_accepts_the_remedy_in_check_mode(report):
    """side_effect.yml ran headroom.memory.workers in check mode on diagnose-workers with its remedy-vars: the role
    sizes the pool (no refusal) close to what diagnose offered, far below the 40 planted."""
    [pool] = json.loads(WORKERS_CHECK.read_text())["pools"]
    assert pool["kind"] == "php_fpm" and not pool.get("error"), pool
    assert pool["current_count"] == 40 and not pool["left_alone"]
    offered = workers_finding(report, "pm.max_children = 40")["remedy"]["settings"][0]["value"]
    assert pool["count"] < 40
    # the same arithmetic on facts read a minute apart: within the role's own 10 % tolerance (and one worker)
    assert abs(pool["count"] - offered) <= max(1, offered // 10) + 1, (pool["count"], offered, pool["arithmetic"])


def test_database_remedy_sizes_redis_to_its_share_with_the_database_role(report):
    db = entry(report, "diagnose-db")
    assert db["summary"]["ram_mb"] == 1024 and db["summary"]["scope"] == "cgroup"
    [finding] = [f for f in db["findings"] if f["id"] == "database_oversized"]
    assert finding["severity"] == "warning"  # 50% <= share < 85%
    assert "redis-server" in finding["evidence"][0]
    assert "it has no maxmemory" in json.dumps(finding["evidence"])
    # the remedy is the database role with its share (90% of what the role's arithmetic gives now), and the
    # maxmemory the role's plan makes of it (80% of the share: prepare turned persistence off)
    assert finding["remedy"]["role"] == "headroom.memory.database"
    [instance] = finding["remedy"]["vars"]["database_instances"]
    assert instance["engine"] == "redis" and instance["name"] == "redis"
    offered = int(instance["memory"].rstrip("M"))
    # the share leaves the budget's OS reserve for a 1 GiB container (128 MiB: it scales with the host) and the
    # other processes out of the container's limit
    assert "- 128 MiB reserve" in json.dumps(finding["evidence"])
    assert 256 < offered <= 1024 - 128
    assert finding["remedy"]["settings"] == []  # the role manages maxmemory: it is in the evidence
    assert "the database role would set maxmemory = %dmb" % int(offered * 0.8) in finding["evidence"][-1]
    assert db["remedy_vars"]["database_instances"] == [instance]
    assert "service_limits_units" not in db["remedy_vars"]
    # the settings were read from redis.conf: no second finding about its defaults
    assert "database_defaults" not in [f["id"] for f in db["findings"]]


def test_postgresql_judged_by_its_settings_names_them(report):
    host = entry(report, "diagnose-noswap")
    [finding] = [f for f in host["findings"] if f["id"] == "database_oversized"]
    assert finding["severity"] == "critical"
    evidence = "\n".join(finding["evidence"])
    # shared_buffers 768MB is far more than the database role sets for PostgreSQL's share of a 1 GiB container
    assert re.search(r"shared_buffers 768 MiB is \d+ MiB over the \d+ MiB the database role sets for a \d+ MiB share",
                     evidence), evidence
    assert "max_connections 300 is" in evidence and "work_mem 64 MiB is" in evidence
    assert "(the container limit)" in evidence
    assert finding["remedy"]["role"] == "headroom.memory.database"
    [instance] = host["remedy_vars"]["database_instances"]
    assert instance["engine"] == "postgresql" and instance["cluster"] == "15/main"
    assert instance["connections"] < 300


def test_database_role_accepts_the_remedy_in_check_mode():
    """side_effect.yml ran headroom.memory.database in check mode on diagnose-noswap with its remedy-vars."""
    result = json.loads(DATABASE_CHECK.read_text())
    [pg] = result["instances"]
    assert pg["engine"] == "postgresql" and pg["cluster"] == "15/main"
    remedy = yaml.safe_load((REPORT / "remedy-vars" / "diagnose-noswap.yml").read_text())
    [instance] = remedy["database_instances"]
    assert pg["share_mb"] == int(instance["memory"].rstrip("M"))
    assert pg["settings"]["max_connections"] == instance["connections"]
    kb = {"kB": 1, "MB": 1024, "GB": 1024 * 1024}
    value = pg["settings"]["shared_buffers"]
    unit = value.lstrip("0123456789")
    assert int(value[:-len(unit)]) * kb[unit] < 768 * 1024
    assert pg["worst_case_kb"] <= pg["share_mb"] * 1024


ROLE_VARS = {"swap": ("swap_files", "swap_swappiness"), "service_limits": ("service_limits_units",),
             "heap": ("heap_services",), "database": ("database_instances",), "workers": ("workers_pools",)}
CHECKED = {"database": {"diagnose-noswap"}, "workers": {"diagnose-workers"}}  # side_effect's first two plays


def test_every_remedy_was_accepted_by_the_role_it_names(report):
    """side_effect.yml ran each role a host's remedy-vars name, in check mode with those variables: none refused.
    The database role runs there on diagnose-noswap's PostgreSQL only: its Redis path needs a real --check, and
    the remediate scenario applies diagnose's Redis remedy for real (test_redis_was_sized_live_...)."""
    for host in report["hosts"]:
        path = REPORT / "remedy-vars" / ("%s.yml" % host["host"])
        if not path.exists():
            continue
        keys = set(yaml.safe_load(path.read_text()) or {})
        if not keys:
            continue  # an empty remedy (the clean host's) names no role
        named = set(role for role, names in ROLE_VARS.items() if keys & set(names))
        assert keys <= set(n for names in ROLE_VARS.values() for n in names), keys
        checked = set(json.loads((REPORT.parent / ("roles-check-%s.json" % host["host"])).read_text())["roles"])
        checked |= set(role for role, hosts in CHECKED.items() if host["host"] in hosts)
        if host["host"] == "diagnose-db":
            named -= {"database"}  # Redis: proven by the remediate scenario (see the docstring)
        assert named <= checked, (host["host"], named, checked)


def test_clean_host_read_without_root_says_what_it_could_not_read(report):
    clean = entry(report, "diagnose-clean")
    assert clean["status"] == "ok" and clean["findings"] == []
    # kernel.dmesg_restrict=1 on this machine: the unprivileged read of the kernel log is refused and listed
    assert "kmsg" in [u["name"] for u in clean["unread"]], clean["unread"]
    assert "Could not read: kmsg" in (REPORT / "report.md").read_text()


def test_a_calm_host_next_to_a_thrashing_one_gets_no_warning_and_no_remedy():
    """side_effect.yml: diagnose-oom thrashed (a unit re-reading a file through what its MemoryMax leaves) until the
    whole machine's memory PSI was over the warning line as diagnose-clean reads it, and diagnose-clean alone was
    diagnosed again. On this cgroup v1 kernel the container has no pressure of its own: the machine's figure is
    shown, labelled as the whole machine's, as information, and nothing is proposed for it."""
    thrash = THRASH_REPORT / "report.json"
    report = json.loads(thrash.read_text())
    clean = entry(report, "diagnose-clean")
    summary = clean["summary"]
    assert clean["status"] == "ok", clean["message"]
    # the neighbour's thrash reached the calm host's reading: the test is not vacuous
    assert summary["psi_scope"] == "machine" and summary["psi_some_avg60"] >= 10, summary
    [finding] = clean["findings"]
    assert (finding["id"], finding["severity"]) == ("memory_pressure_high", "info"), finding
    assert finding["title"] == "Memory pressure high on the whole machine (not this host's own)"
    assert finding["evidence"][0].startswith("whole-machine memory PSI (/proc/pressure/memory")
    assert finding["remedy"]["role"] is None and not finding["remedy"]["vars"]
    assert clean["remedy_vars"] == {} and clean["withheld"] == []
    assert yaml.safe_load((THRASH_REPORT / "remedy-vars" / "diagnose-clean.yml").read_text()) in (None, {})


def test_containers_get_no_swap_file_and_no_vm_sysctl(report):
    """Every host here is a container sharing this machine's kernel: swap and vm.* sysctls are the machine's, so no
    finding proposes the swap role or a vm.* setting, and swap_missing names the levers instead (issue 32)."""
    for h in report["hosts"]:
        for f in h["findings"]:
            assert f["remedy"]["role"] != "headroom.memory.swap", (h["host"], f["id"])
            assert [s for s in f["remedy"]["settings"] if str(s.get("setting")).startswith("vm.")] == [], (h["host"], f["id"])
        path = REPORT / "remedy-vars" / ("%s.yml" % h["host"])
        if path.exists():
            assert [k for k in yaml.safe_load(path.read_text()) or {} if k.startswith("swap_")] == [], h["host"]
    [swap] = [f for f in entry(report, "diagnose-noswap")["findings"] if f["id"] == "swap_missing"]
    assert "The levers are the host's swap and sysctls" in swap["remedy"]["text"]


def test_noswap_host_ram_is_its_cgroup_limit(report):
    summary = entry(report, "diagnose-noswap")["summary"]
    assert summary["ram_mb"] == 1024 and summary["scope"] == "cgroup" and summary["swap_total_mb"] == 0


def test_report_files_exist_and_are_well_formed(report):
    assert report["totals"]["hosts"] == 6 and report["totals"]["ok"] == 6
    markdown = (REPORT / "report.md").read_text()
    assert markdown.startswith("# headroom.memory diagnose report") and "## diagnose-clean" in markdown

    class Balanced(HTMLParser):
        void = {"meta", "rect", "circle", "line", "br"}

        def __init__(self):
            HTMLParser.__init__(self)
            self.stack = []

        def handle_starttag(self, tag, attrs):
            if tag not in self.void:
                self.stack.append(tag)

        def handle_endtag(self, tag):
            if tag not in self.void:
                assert self.stack.pop() == tag

    parser = Balanced()
    parser.feed((REPORT / "index.html").read_text())
    parser.close()
    assert parser.stack == []
    for name in PLANTED:
        remedy = yaml.safe_load((REPORT / "remedy-vars" / ("%s.yml" % name)).read_text())
        assert remedy == entry(report, name)["remedy_vars"] or (remedy is None and name == "diagnose-clean")


def test_html_report_renders_in_headless_chromium():
    chromium = shutil.which("chromium")
    assert chromium, "chromium is installed by prepare.yml"
    profile = tempfile.mkdtemp(prefix="diagnose-chromium-")
    try:
        run = subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--user-data-dir=" + profile, "--screenshot=" + str(SCREENSHOT), "--window-size=1400,2000",
             (REPORT / "index.html").as_uri()],
            capture_output=True, text=True, timeout=120, check=False)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "bytes written to file" in run.stdout + run.stderr
    png = SCREENSHOT.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", png[16:24]) == (1400, 2000)
    assert len(png) > 50000  # a rendered page, not a blank one
