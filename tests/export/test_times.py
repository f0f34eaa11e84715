"""--since / --until / --as-of as people write them after the day."""
from zoneinfo import ZoneInfo

import pytest

from warroom.domain import timefmt
from warroom.export.times import Clockface, parse_moment

from .conftest import PARIS, at

GOLIVE = at("20:00")
NOW = timefmt.to_ms(timefmt.parse_datetime("2026-11-20T12:00", PARIS))


@pytest.mark.parametrize("text, expected", [
    ("21:05", at("21:05")),
    ("08:00", at("08:00")),
    ("H+90m", at("21:30")),
    ("H-30m", at("19:30")),
    ("2026-11-10T21:05", at("21:05")),
    ("2026-11-10T20:05Z", at("21:05")),
    ("-2h", NOW - 7_200_000),
])
def test_moments(text, expected):
    assert parse_moment(text, golive=GOLIVE, now=NOW, tz=PARIS) == expected


def test_a_clock_time_is_the_one_nearest_go_live():
    late_golive = timefmt.to_ms(timefmt.parse_datetime("2026-11-10T23:00", PARIS))
    after_midnight = timefmt.to_ms(timefmt.parse_datetime("2026-11-11T00:30", PARIS))
    assert parse_moment("00:30", golive=late_golive, now=NOW, tz=PARIS) == after_midnight


def test_times_shown_in_the_zone_with_utc_alongside():
    face = Clockface(PARIS)
    assert face.at(at("21:05")) == "2026-11-10 21:05 CET (20:05 UTC)"
    assert face.at(at("00:30")) == "2026-11-10 00:30 CET (2026-11-09 23:30 UTC)"
    assert face.clock(at("21:05")) == "21:05 (20:05 UTC)"
    assert face.day(at("21:05")) == "Tuesday 10 November 2026"
    assert face.iso_both(at("21:05") + 7_123) == ("2026-11-10T20:05:07.123Z", "2026-11-10T21:05:07.123+01:00")
    assert Clockface(ZoneInfo("UTC")).at(at("21:05")) == "2026-11-10 20:05 UTC"
