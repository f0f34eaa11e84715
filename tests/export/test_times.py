"""--since / --until / --as-of as people write them after the day."""
from zoneinfo import ZoneInfo

import pytest

from warroom.domain import timefmt
from warroom.domain.clockface import Clockface
from warroom.domain.timefmt import parse_moment

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


def test_a_wall_clock_time_is_read_as_at_reads_it():
    spring, autumn = (timefmt.to_ms(timefmt.parse_datetime(t, PARIS)) for t in ("2026-03-29T12:00", "2026-10-25T12:00"))
    with pytest.raises(ValueError, match="02:30 does not exist on 2026-03-29 in Europe/Paris"):
        parse_moment("02:30", golive=spring, now=NOW, tz=PARIS)
    later = timefmt.to_ms(timefmt.parse_datetime("2026-10-25T01:30Z", PARIS))
    assert parse_moment("02:30", golive=autumn, now=NOW, tz=PARIS) == later
    assert parse_moment("2026-10-25T02:30", golive=autumn, now=NOW, tz=PARIS) == later


@pytest.mark.parametrize("text", ["-1000000d", "H-1000000d", "H+99999999999999d", "0001-01-01T00:00-12:00"])
def test_a_moment_out_of_range_is_a_clean_value_error(text):
    with pytest.raises(ValueError) as refused:
        parse_moment(text, golive=GOLIVE, now=NOW, tz=PARIS)
    assert type(refused.value) is ValueError


def test_an_instant_out_of_any_calendar_is_shown_as_such():
    face, ancient = Clockface(PARIS), -84_604_449_600_000
    shown = f"⟨invalid time {ancient} ms⟩"
    assert face.at(ancient) == face.clock(ancient) == face.day(ancient) == face.iso_utc(ancient) == shown
    assert face.iso_both(ancient) == (shown, shown)
