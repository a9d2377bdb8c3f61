"""heap on live JVM and Node units: the flags are where the runtime reads them, and the running process
reports the heap limit it really uses (HotSpot's MaxHeapSize flag, V8's heap_size_limit)."""
import json

MIB = 1024 * 1024


def probe(host, name):
    """What the unit's own process wrote at start: key=value lines."""
    text = host.file("/run/%s.heap" % name).content_string
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def main_pid(host, unit):
    return host.check_output("systemctl show -p MainPID --value %s", unit).strip()


def test_java_dropin(host):
    text = host.file("/etc/systemd/system/headroom-java2.service.d/50-headroom-heap.conf").content_string
    assert "Managed by headroom.memory.heap" in text and text.startswith("#")
    assert 'Environment="JAVA_TOOL_OPTIONS=-Xms64m -Xmx200m"' in text.splitlines()


def test_live_jvm_heap_equals_xmx(host):
    live = probe(host, "headroom-java2")
    assert live["pid"] == main_pid(host, "headroom-java2.service")
    assert int(live["MaxHeapSize"]) == 200 * MIB
    assert int(live["InitialHeapSize"]) == 64 * MIB


def test_live_jvm_heap_from_ram_percentage_of_memory_max(host):
    """percent: 50 of the unit's MemoryMax=512M, on a container-aware JVM: MaxRAMPercentage=50 -> 256 MiB."""
    text = host.file("/etc/systemd/system/headroom-java.service.d/50-headroom-heap.conf").content_string
    assert 'Environment="JAVA_TOOL_OPTIONS=-XX:MaxRAMPercentage=50.0"' in text.splitlines()
    live = probe(host, "headroom-java")
    assert live["pid"] == main_pid(host, "headroom-java.service")
    assert float(live["MaxRAMPercentage"]) == 50.0
    assert int(live["MaxHeapSize"]) == 256 * MIB


def test_live_node_heap_reflects_max_old_space_size(host):
    """Converge set 96 MiB and restarted; side_effect set 112 MiB without permission to restart."""
    text = host.file("/etc/systemd/system/headroom-node.service.d/50-headroom-heap.conf").content_string
    assert 'Environment="NODE_OPTIONS=--max-old-space-size=112"' in text.splitlines()
    live = probe(host, "headroom-node")
    assert live["pid"] == main_pid(host, "headroom-node.service")
    limit_mb = int(live["heap_size_limit"]) // MIB
    # heap_size_limit = old space (the flag) + V8's young generation (48 MiB on Node 18 and 20)
    assert 96 <= limit_mb <= 96 + 64
    default_mb = int(host.check_output("node -e 'console.log(require(\"v8\").getHeapStatistics().heap_size_limit)'")) // MIB
    assert default_mb > limit_mb + 256


def test_restart_required_reported_without_restart(host):
    assert json.loads(host.file("/var/tmp/heap_no_restart.json").content_string) == ["headroom-node.service"]


def test_first_run_reported_then_restarted(host):
    report = json.loads(host.file("/var/tmp/heap_result.json").content_string)
    assert sorted(report["restart_required"]) == sorted([
        "headroom-java.service", "headroom-java2.service", "headroom-node.service", "headroom-es.service",
        "headroom-tomcat.service"])
    java = [u for u in report["result"]["units"] if u["unit"] == "headroom-java.service"][0]
    assert java["base_source"] == "MemoryMax" and java["base_mb"] == 512 and java["heap_mb"] == 256


def test_jvm_options_file_and_backup(host):
    d = "/etc/headroom-es/jvm.options.d"
    text = host.file(d + "/50-headroom-heap.options").content_string
    assert "Managed by headroom.memory.heap" in text
    assert [line for line in text.splitlines() if not line.startswith("#")] == ["-Xmx1024m"]
    backups = host.check_output("ls %s", d).split()
    backups = [b for b in backups if b.startswith("50-headroom-heap.options.") and b.endswith("~")]
    assert len(backups) == 1
    assert host.file(d + "/" + backups[0]).content_string == "-Xms4g\n-Xmx4g\n"


def test_default_file_variable_and_backup(host):
    # issue 31: /etc/default/headroom-tomcat is a link (prepare.yml): edited at its target, the link kept, and the
    # target's mode and group (root:adm 0640) kept; the backup sits beside the target
    link, real = host.file("/etc/default/headroom-tomcat"), host.file("/etc/default/headroom/headroom-tomcat")
    assert link.is_symlink and link.linked_to == "/etc/default/headroom/headroom-tomcat"
    assert real.is_file and not real.is_symlink
    assert (real.user, real.group, real.mode) == ("root", "adm", 0o640)
    text = real.content_string
    assert 'JAVA_OPTS="-Djava.awt.headless=true -Xmx512m"' in text.splitlines()
    assert "# heap flags: Managed by headroom.memory.heap" in text.splitlines()
    backups = [b for b in host.check_output("ls /etc/default/headroom").split() if b.startswith("headroom-tomcat.")]
    assert len(backups) == 1
    assert "-Xmx1g" in host.file("/etc/default/headroom/" + backups[0]).content_string
    assert not [b for b in host.check_output("ls /etc/default").split() if b.startswith("headroom-tomcat.")]


def test_a_fifo_and_a_link_out_of_etc_default_were_refused_naming_them(host):
    # side_effect gave the role a FIFO and a link to /etc/shadow as /etc/default files: refused in preflight
    msg = host.file("/var/tmp/heap_default_refusal.txt").content_string
    assert "heap refused, nothing was changed" in msg
    assert ("headroom-tomcat.service: /etc/default/headroom-fifo is a FIFO (named pipe), not a regular file "
            "(refused before reading it)") in msg
    assert ("headroom-es.service: /etc/default/headroom-shadow is a symbolic link to '/etc/shadow', which is not a "
            "path of plain characters under /etc/default/; point it at the file itself") in msg
    assert host.file("/etc/default/headroom-fifo").is_pipe
    assert host.file("/etc/default/headroom-shadow").is_symlink
    assert "JAVA_OPTS" not in host.file("/etc/shadow").content_string


def test_refusal_with_numbers_changed_nothing(host):
    msg = host.file("/var/tmp/heap_refusal.txt").content_string
    assert "heap 409 MiB is above 75% of the unit's MemoryMax 512 MiB (384 MiB)" in msg
    text = host.file("/etc/systemd/system/headroom-java.service.d/50-headroom-heap.conf").content_string
    assert "MaxRAMPercentage=50.0" in text
