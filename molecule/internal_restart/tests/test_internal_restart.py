"""internal_restart on real systemd: one action per unit per play, restart winning over reload, check mode
acting on nothing (prepare started each unit once; check mode ran before converge and idempotence)."""
import json


def log(host, unit):
    return host.file("/var/lib/hr-%s.log" % unit).content_string.split()


def test_unit_queued_by_two_roles_is_restarted_once_and_not_reloaded(host):
    # prepare's start + converge's single restart; check mode and the idempotence run added nothing
    assert log(host, "a") == ["start", "start"]


def test_reload_only_unit_is_reloaded_once(host):
    assert log(host, "b") == ["start", "reload"]


def test_units_are_active_again(host):
    for unit in ("hr-a.service", "hr-b.service"):
        assert host.service(unit).is_running


def test_queue_is_empty_after_the_handler(host):
    assert json.loads(host.file("/var/lib/hr-queue-after.json").content_string) == []
