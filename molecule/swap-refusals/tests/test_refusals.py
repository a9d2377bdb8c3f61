# -*- coding: utf-8 -*-
"""After every refusal: the data file's bytes, fstab and /proc/swaps are as they were; nothing was created."""


def _name(host):
    return host.backend.get_hostname()


def test_data_file_bytes_unchanged(host):
    name = _name(host)
    recorded = host.file("/root/swap-data.sha256").content_string.strip()
    assert len(recorded) == 64
    assert host.file("/var/tmp/swap-data-%s" % name).sha256sum == recorded
    assert host.file("/var/tmp/swap-data-%s" % name).size == 262144


def test_no_swap_file_was_created_anywhere(host):
    name = _name(host)
    for path in ("/mnt/swap-tmpfs/swapfile", "/mnt/swap-small/swapfile", "/swap-bad-%s" % name,
                 "/swap-bad2-%s" % name, "/swap-mem-%s" % name, "/.swap-mem-%s.headroom-resize" % name):
        assert not host.file(path).exists, path


def test_fstab_and_swaps_untouched(host):
    assert host.file("/etc/fstab").content_string == host.file("/root/fstab.before").content_string
    assert _name(host) not in host.file("/proc/swaps").content_string


def test_refused_filesystems_are_what_the_test_claims(host):
    assert host.mount_point("/mnt/swap-tmpfs").filesystem == "tmpfs"
    small = host.mount_point("/mnt/swap-small")
    assert small.filesystem == "ext4" and small.device.startswith("/dev/loop")


def test_no_sysctl_file_written_by_failed_role_runs(host):
    assert not host.file("/etc/sysctl.d/90-headroom-swap.conf").exists
