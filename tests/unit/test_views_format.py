"""How the console writes times and durations."""
from datetime import datetime

from warroom.console import views
from warroom.domain import timefmt

PARIS = timefmt.zone("Europe/Paris")


def ms(*parts: int) -> int:
    return timefmt.to_ms(datetime(*parts, tzinfo=PARIS))


def test_since_gives_the_date_only_for_another_day_in_the_war_rooms_zone():
    now = ms(2026, 11, 24, 0, 30)
    assert views.since(ms(2026, 11, 24, 0, 5), now, PARIS) == "00:05"
    assert views.since(ms(2026, 11, 23, 23, 55), now, PARIS) == "23 Nov 23:55"  # same UTC day, not local


def test_a_duration_reads_as_people_say_it_the_same_in_the_console_and_the_report():
    assert [timefmt.duration(s * 1000) for s in (45, 420, 3900, 183600)] == ["45s", "7m", "1h05m", "2d3h"]
    assert timefmt.duration(-3_900_000) == "-1h05m"
    assert timefmt.duration(459_999) == "7m"  # whole minutes, as a clock counts them


def test_t_label_counts_days_from_a_day_on():
    golive = ms(2026, 11, 24, 20, 0)
    assert timefmt.t_label(golive + 2_110_000, golive) == "T+0:35:10"
    assert timefmt.t_label(golive - 5_025_000, golive) == "T-1:23:45"
    five_days = ((5 * 24 + 4) * 60 + 12) * 60_000 + 33_000
    assert timefmt.t_label(golive + five_days, golive) == "T+5d 04:12"
    assert timefmt.t_label(golive - five_days, golive) == "T-5d 04:12"
    assert timefmt.t_label(golive + 86_400_000, golive) == "T+1d 00:00"


def test_an_instant_an_old_journal_holds_out_of_range_is_shown_not_raised():
    ancient = -84_604_449_600_000  # what `--at -1000000d` once stored: year -711
    now = ms(2026, 11, 24, 0, 30)
    shown = f"⟨invalid time {ancient} ms⟩"
    assert views.hhmm(ancient, PARIS) == views.hhmm(ancient, PARIS, seconds=True) == shown
    assert views.day_time(ancient, PARIS) == views.since(ancient, now, PARIS) == shown


def test_a_span_of_days_names_the_day_it_ends():
    from warroom.console.views import day_span
    from warroom.domain import timefmt

    tz = timefmt.zone("Europe/Paris")
    golive, hour = timefmt.to_ms(timefmt.parse_datetime("2026-11-24T20:00", tz)), 3_600_000
    assert day_span(golive + 13 * hour, golive + 157 * hour, golive, tz) == "D+1 09:00-D+7 09:00"
    assert day_span(golive + 3 * hour, golive + 5 * hour, golive, tz) == "23:00-01:00"  # over midnight: it reads
    assert day_span(golive - 24 * hour, golive - 23 * hour, golive, tz) == "D-1 20:00-21:00"
