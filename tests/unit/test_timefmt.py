from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

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
def test_a_written_duration_reads_back(seconds):
    exact = seconds if seconds < 60 else seconds - seconds % 60  # whole minutes from a minute on
    assert timefmt.parse_duration(timefmt.duration(seconds * 1000)) == exact


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


@pytest.mark.parametrize("text", ["2026-11-24T21:02", "2026-11-25T00:00", "9999-12-31T23:59"])
def test_at_refuses_the_future(text):
    with pytest.raises(ValueError, match="in the future"):
        timefmt.parse_at(text, NOW, PARIS)


def paris(*parts: int, fold: int = 0) -> int:
    return timefmt.to_ms(datetime(*parts, tzinfo=PARIS, fold=fold))


def test_a_clock_time_is_the_latest_one_not_in_the_future():
    morning = paris(2026, 11, 25, 8, 0)
    assert timefmt.parse_at("23:27", morning, PARIS) == paris(2026, 11, 24, 23, 27)
    assert timefmt.parse_at("07:59", morning, PARIS) == paris(2026, 11, 25, 7, 59)
    assert timefmt.parse_at("08:00:59", morning, PARIS) == morning + 59_000  # within the minute allowed
    assert timefmt.parse_at("08:02", morning, PARIS) == paris(2026, 11, 24, 8, 2)


@pytest.mark.parametrize("text, now", [
    ("2026-03-29T02:30", paris(2026, 3, 29, 8, 0)),
    ("02:30", paris(2026, 3, 29, 8, 0)),
    ("02:30", paris(2026, 3, 30, 1, 0)),  # the night before, not an existing 02:30 two days back
])
def test_a_time_the_clocks_skipped_is_refused_naming_the_gap(text, now):
    with pytest.raises(ValueError) as refused:
        timefmt.parse_at(text, now, PARIS)
    assert str(refused.value) == ("02:30 does not exist on 2026-03-29 in Europe/Paris: "
                                  "clocks jumped from 02:00 to 03:00")


def test_a_time_the_clocks_showed_twice_is_the_later_and_the_scribe_is_told():
    now = paris(2026, 10, 25, 9, 0)
    later = paris(2026, 10, 25, 2, 30, fold=1)
    for text in ("2026-10-25T02:30", "02:30"):
        assert timefmt.parse_at(text, now, PARIS) == later
        assert timefmt.ambiguity(text, later, PARIS) == (
            "02:30 happened twice on 2026-10-25; taken as 02:30 CET (+01:00); "
            "give an offset like 2026-10-25T02:30+02:00 for the other")


def test_an_explicit_offset_wins_and_needs_no_note():
    earlier = paris(2026, 10, 25, 2, 30)
    now = paris(2026, 10, 25, 9, 0)
    assert timefmt.parse_at("2026-10-25T02:30+02:00", now, PARIS) == earlier
    assert timefmt.ambiguity("2026-10-25T02:30+02:00", earlier, PARIS) is None
    assert timefmt.ambiguity("-10m", earlier, PARIS) is None
    assert timefmt.ambiguity("21:00", NOW, PARIS) is None


def test_during_the_first_pass_of_the_repeated_hour_a_clock_time_is_the_one_just_past():
    first_pass = paris(2026, 10, 25, 2, 40)  # 02:30 CET is still to come
    assert timefmt.parse_at("02:30", first_pass, PARIS) == paris(2026, 10, 25, 2, 30)


EARLIEST = paris(2026, 11, 23, 20, 0)


def test_at_takes_times_up_to_30_days_before_the_plans_first_step():
    assert timefmt.parse_at("2026-10-24T19:00Z", NOW, PARIS, EARLIEST) == EARLIEST - 30 * 86_400_000
    with pytest.raises(ValueError, match="more than 30 days before the plan's first step"):
        timefmt.parse_at("2026-10-24T18:59Z", NOW, PARIS, EARLIEST)


@pytest.mark.parametrize("text", ["-1000000d", "-99999999999999999999d", "0001-01-01T00:00",
                                  "0001-01-01T00:00+14:00", "9999-12-31T23:59-12:00", "99999999999999999999"])
@pytest.mark.parametrize("earliest", [EARLIEST, None])
def test_out_of_range_times_are_a_clean_value_error(text, earliest):
    with pytest.raises(ValueError) as refused:
        timefmt.parse_at(text, NOW, PARIS, earliest)
    assert type(refused.value) is ValueError and "\n" not in str(refused.value)


@given(st.text(alphabet="0123456789-:T+Zdhms ", max_size=25))
def test_at_returns_a_time_in_range_or_refuses_with_a_value_error(text):
    try:
        moment = timefmt.parse_at(text, NOW, PARIS, EARLIEST)
    except ValueError:
        return
    assert EARLIEST - 30 * 86_400_000 <= moment <= NOW + 60_000


@pytest.mark.parametrize("ms", [-84_604_449_600_000, 10**20])
def test_an_instant_no_calendar_holds_is_shown_not_raised(ms):
    assert timefmt.show(ms, PARIS, "%H:%M") == f"⟨invalid time {ms} ms⟩"
    with pytest.raises(ValueError, match="invalid time"):
        timefmt.from_ms(ms, PARIS)


@pytest.mark.parametrize("text", ["25:00", "12:61", "yesterday", "-5x"])
def test_at_refuses_nonsense(text):
    with pytest.raises(ValueError):
        timefmt.parse_at(text, NOW, PARIS)


def test_unknown_zone():
    with pytest.raises(ValueError, match="unknown time zone"):
        timefmt.zone("Mars/Olympus")
