# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The oom_since option."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import calendar
import time

import pytest

from ansible_collections.headroom.memory.plugins.module_utils.oom.since import iso_utc, parse_since, since_error

NOW = calendar.timegm((2026, 11, 25, 22, 0, 0, 0, 0, 0))
BOOT = NOW - 7200


@pytest.mark.parametrize('value, seconds', [('90m', 5400), ('24h', 86400), ('7d', 7 * 86400), ('2w', 14 * 86400),
                                            ('30d', 30 * 86400), (' 24H ', 86400), ('0m', 0)])
def test_durations(value, seconds):
    assert parse_since(value, NOW, BOOT) == NOW - seconds


def test_all_and_boot():
    assert parse_since('all', NOW, BOOT) is None
    assert parse_since('ALL', NOW, BOOT) is None
    assert parse_since('boot', NOW, BOOT) == BOOT


@pytest.mark.parametrize('value, expected', [
    ('2026-11-01', (2026, 11, 1, 0, 0, 0)),
    ('2026-11-01T10:00', (2026, 11, 1, 10, 0, 0)),
    ('2026-11-01 10:00:30', (2026, 11, 1, 10, 0, 30)),
    ('2026-11-01T10:00:00Z', (2026, 11, 1, 10, 0, 0)),
    ('2026-11-01T11:00:00+01:00', (2026, 11, 1, 10, 0, 0)),
    ('2026-11-01T11:00:00+0100', (2026, 11, 1, 10, 0, 0)),
])
def test_iso_dates_are_utc_unless_an_offset_is_given(value, expected):
    assert parse_since(value, NOW, BOOT) == calendar.timegm(expected + (0, 0, 0))


@pytest.mark.parametrize('value, words', [
    ('', 'empty'), (None, 'empty'), ('yesterday', 'not understood'), ('7x', 'not understood'),
    ('-7d', 'negative'), ('2026-13-01', 'not understood'), ('2027-01-01', 'future'),
])
def test_bad_values_say_what_is_accepted(value, words):
    with pytest.raises(ValueError) as err:
        parse_since(value, NOW, BOOT)
    assert words in str(err.value)


def test_boot_without_boot_time():
    with pytest.raises(ValueError, match='boot time'):
        parse_since('boot', NOW, None)


@pytest.mark.parametrize('value', ['30d', ' 24H ', 'boot', 'ALL', '2026-11-01', '2026-11-01T11:00:00+0100'])
def test_since_error_passes_what_parse_since_reads_and_boot_without_a_host(value):
    assert since_error(value, NOW) is None


@pytest.mark.parametrize('value, words', [
    ('bogus', "diagnose_since 'bogus' is not understood: use a duration such as 90m"),
    ('', 'diagnose_since is empty: use a duration'), (None, 'diagnose_since is empty'),
    ('-7d', "diagnose_since '-7d': a duration cannot be negative"),
    ('2027-01-01', "diagnose_since '2027-01-01' is in the future"),
])
def test_since_error_is_parse_since_s_message_naming_the_variable(value, words):
    assert since_error(value, NOW, 'diagnose_since').startswith(words)


def test_messages_name_oom_since_by_default():
    assert since_error('7x', NOW) == ("oom_since '7x' is not understood: use a duration such as 90m, 24h, 7d or 2w, "
                                      "an ISO-8601 date or date and time, 'boot' or 'all'")
    with pytest.raises(ValueError, match="^oom_since 'boot': the boot time of this host is unknown$"):
        parse_since('boot', NOW, None)


def test_the_future_starts_a_minute_after_now():
    assert parse_since('2026-11-25T22:01:00Z', NOW, BOOT) == NOW + 60
    assert 'future' in since_error('2026-11-25T22:01:01Z', NOW)


def test_a_lowercase_z_is_utc_too():
    assert parse_since('2026-11-01T10:00:00z', NOW, BOOT) == calendar.timegm((2026, 11, 1, 10, 0, 0, 0, 0, 0))


@pytest.mark.parametrize('zone', ['Asia/Tokyo', 'America/New_York'])
def test_a_time_without_an_offset_is_utc_whatever_the_local_zone(monkeypatch, zone):
    monkeypatch.setenv('TZ', zone)
    time.tzset()
    try:
        assert parse_since('2026-11-01T10:00', NOW, BOOT) == calendar.timegm((2026, 11, 1, 10, 0, 0, 0, 0, 0))
        assert parse_since('2026-11-01', NOW, BOOT) == calendar.timegm((2026, 11, 1, 0, 0, 0, 0, 0, 0))
    finally:
        monkeypatch.undo()
        time.tzset()


def test_iso_utc_is_utc_whatever_the_local_zone(monkeypatch):
    monkeypatch.setenv('TZ', 'Asia/Tokyo')
    time.tzset()
    try:
        assert iso_utc(0) == '1970-01-01T00:00:00Z' and iso_utc(1.5) == '1970-01-01T00:00:01.500000Z'
    finally:
        monkeypatch.undo()
        time.tzset()
