from datetime import datetime

import pytest
from hypothesis import given, strategies as st

from warroom.domain import timefmt

PARIS = timefmt.zone("Europe/Paris")
GOLIVE = datetime(2026, 11, 24, 20, 0, tzinfo=PARIS)
NOW = timefmt.to_ms(datetime(2026, 11, 24, 21, 0, tzinfo=PARIS))


@pytest.mark.parametrize("text, seconds", [
    ("45s", 45), ("30m", 1800), ("2h", 7200), ("1h30m", 5400), ("1d", 86400), ("1d2h", 93600),
])
def test_durations(text, seconds):
    assert timefmt.parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "30", "m", "1x", "-5m", "1h 30", "h1"])
def test_bad_durations_say_how_to_write_them(text):
    with pytest.raises(ValueError, match="bad duration"):
        timefmt.parse_duration(text)


@given(st.integers(min_value=0, max_value=10**7))
def test_format_duration_round_trips(seconds):
    assert timefmt.parse_duration(timefmt.format_duration(seconds)) == seconds


@pytest.mark.parametrize("text, expected", [
    ("H", GOLIVE),
    ("H-2h", datetime(2026, 11, 24, 18, 0, tzinfo=PARIS)),
    ("H+15m", datetime(2026, 11, 24, 20, 15, tzinfo=PARIS)),
    ("H-1d", datetime(2026, 11, 23, 20, 0, tzinfo=PARIS)),
    ("2026-11-23T10:00", datetime(2026, 11, 23, 10, 0, tzinfo=PARIS)),
    ("2026-11-23T10:00+00:00", datetime(2026, 11, 23, 11, 0, tzinfo=PARIS)),
])
def test_planned_times(text, expected):
    assert timefmt.parse_planned(text, GOLIVE, PARIS) == expected


def test_at_accepts_clock_times_iso_and_ago():
    assert timefmt.parse_at("20:30", NOW, PARIS) == NOW - 30 * 60_000
    assert timefmt.parse_at("-10m", NOW, PARIS) == NOW - 10 * 60_000
    assert timefmt.parse_at("2026-11-24T20:00:00+00:00", NOW, PARIS) == NOW  # 20:00 UTC = 21:00 Paris
    assert timefmt.parse_at("21:00:30", NOW, PARIS) == NOW + 30_000  # within the minute allowed


@pytest.mark.parametrize("text", ["21:02", "2026-11-25T00:00"])
def test_at_refuses_the_future(text):
    with pytest.raises(ValueError, match="in the future"):
        timefmt.parse_at(text, NOW, PARIS)


@pytest.mark.parametrize("text", ["25:00", "12:61", "yesterday", "-5x"])
def test_at_refuses_nonsense(text):
    with pytest.raises(ValueError):
        timefmt.parse_at(text, NOW, PARIS)


def test_unknown_zone():
    with pytest.raises(ValueError, match="unknown time zone"):
        timefmt.zone("Mars/Olympus")
