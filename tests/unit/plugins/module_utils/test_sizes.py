# -*- coding: utf-8 -*-
"""Size parsing shared by the swap, service_limits and heap code."""

import pytest

from ansible_collections.headroom.memory.plugins.module_utils.sizes import (
    SizeError, format_bytes, format_mb, format_size, kb_to_mb, parse_size, size_string_mb, to_mb)

MIB = 1024 ** 2
GIB = 1024 ** 3


@pytest.mark.parametrize("text, expected", [
    ("512M", 512 * 1024 ** 2), ("2G", 2 * GIB), ("2GiB", 2 * GIB), ("2gb", 2 * GIB),
    ("1.5G", 3 * GIB // 2), ("4096", 4096), (" 64 K ", 65536), ("1T", 1024 * GIB), (1048576, 1048576),
])
def test_parse_size_units_are_binary(text, expected):
    assert parse_size(text) == expected


def test_percent_of_total_only_when_allowed():
    assert parse_size("75%", total=4 * GIB, allow_percent=True) == 3 * GIB
    with pytest.raises(SizeError, match="percentage is not accepted"):
        parse_size("75%", total=4 * GIB)
    with pytest.raises(SizeError, match="needs a known total"):
        parse_size("75%", allow_percent=True)
    with pytest.raises(SizeError, match="above 100"):
        parse_size("150%", total=GIB, allow_percent=True)


def test_infinity_only_when_allowed():
    assert parse_size("infinity", allow_infinity=True) is None
    with pytest.raises(SizeError, match="not understood"):
        parse_size("infinity")


@pytest.mark.parametrize("bad", ["", "2X", "G2", "-1", "1..5G", True, None, [], -5])
def test_bad_sizes_raise_clear_errors(bad):
    with pytest.raises(SizeError):
        parse_size(bad)


def test_format_size_is_exact_and_round_trips():
    assert format_size(2 * GIB) == "2G"
    assert format_size(1536 * 1024 ** 2) == "1536M"
    assert format_size(1000) == "1000"
    assert format_size(None) == "infinity"
    for n in (1, 4096, 3 * GIB, 123456789):
        assert parse_size(format_size(n)) == n


def test_mb_conversions_round_down_and_keep_none():
    assert to_mb(1024 ** 2 * 3 - 1) == 2
    assert kb_to_mb(2047) == 1
    assert to_mb(None) is None and kb_to_mb(None) is None


def test_format_bytes_for_messages():
    assert format_bytes(5 * MIB + MIB // 2) == "5.5 MiB"
    assert format_bytes(10 * MIB + MIB // 2) == "10 MiB"
    assert format_bytes(3 * GIB) == "3072 MiB"
    assert format_bytes(None) == "unknown"


def test_format_mb_for_people():
    assert format_mb(812) == "812 MiB"
    assert format_mb(1023) == "1023 MiB"
    assert format_mb(1024) == "1.0 GiB"
    assert format_mb(3482) == "3.4 GiB"
    assert format_mb(None) == "?"


@pytest.mark.parametrize("mb, step, text", [
    (700, None, "704M"), (2048, None, "2G"), (10, None, "16M"), (511, None, "512M"), (512, None, "512M"),
    (4095, None, "4G"), (4100, None, "4352M"), (4000, 512, "4G"), (2100, 512, "2560M"), (0, 16, "16M"),
])
def test_size_string_mb_rounds_up_to_its_step(mb, step, text):
    assert size_string_mb(mb, step) == text


# The messages are what a user reads when a size is refused: each names the value and what was wrong.
@pytest.mark.parametrize("value, kwargs, message", [
    (True, {}, "size True is a boolean, not a size"),
    (-1, {}, "size -1 is negative"),
    (-1.5, {}, "size -1.5 is negative"),
    ([1], {}, "size [1] is not a string or a number"),
    ("75%", {}, "size '75%': a percentage is not accepted here"),
    ("75%", {"allow_percent": True}, "size '75%': a percentage needs a known total"),
    ("100.5%", {"allow_percent": True, "total": 1000}, "size '100.5%': a percentage above 100% is not a share of the total"),
    ("lots", {}, "size 'lots' is not understood: use bytes or a number with K, M, G or T (binary units, e.g. 512M, "
                 "2G, 2GiB)"),
    ("lots", {"allow_percent": True, "allow_infinity": True},
     "size 'lots' is not understood: use bytes or a number with K, M, G or T (binary units, e.g. 512M, 2G, 2GiB), "
     "a percentage such as 75%, or infinity"),
])
def test_refusals_say_what_was_wrong(value, kwargs, message):
    with pytest.raises(SizeError) as e:
        parse_size(value, **kwargs)
    assert str(e.value) == message


def test_zero_and_whole_floats_are_sizes():
    assert parse_size(0) == 0 and parse_size(0.0) == 0
    assert parse_size(1536.0) == 1536 and parse_size(1536.9) == 1536


def test_a_percentage_is_a_share_up_to_the_whole_total():
    assert parse_size("100%", total=1000, allow_percent=True) == 1000
    assert parse_size("0%", total=1000, allow_percent=True) == 0


def test_format_bytes_keeps_whole_mib_whole():
    assert format_bytes(5 * MIB) == "5 MiB" and format_bytes(0) == "0 MiB"
