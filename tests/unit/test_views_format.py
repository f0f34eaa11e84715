"""How the console writes times and durations."""
from datetime import datetime

from warroom.domain import timefmt
from warroom.store import views

PARIS = timefmt.zone("Europe/Paris")


def ms(*parts: int) -> int:
    return timefmt.to_ms(datetime(*parts, tzinfo=PARIS))


def test_since_gives_the_date_only_for_another_day_in_the_war_rooms_zone():
    now = ms(2026, 11, 24, 0, 30)
    assert views.since(ms(2026, 11, 24, 0, 5), now, PARIS) == "00:05"
    assert views.since(ms(2026, 11, 23, 23, 55), now, PARIS) == "23 Nov 23:55"  # same UTC day, not local


def test_span_reads_as_people_say_it():
    assert [views.span(s * 1000) for s in (45, 420, 3900, 183600)] == ["45s", "7m", "1h05m", "2d3h"]


def test_t_label_counts_days_from_a_day_on():
    golive = ms(2026, 11, 24, 20, 0)
    assert views.t_label(golive + 2_110_000, golive) == "T+0:35:10"
    assert views.t_label(golive - 5_025_000, golive) == "T-1:23:45"
    five_days = ((5 * 24 + 4) * 60 + 12) * 60_000 + 33_000
    assert views.t_label(golive + five_days, golive) == "T+5d 04:12"
    assert views.t_label(golive - five_days, golive) == "T-5d 04:12"
    assert views.t_label(golive + 86_400_000, golive) == "T+1d 00:00"


def test_an_instant_an_old_journal_holds_out_of_range_is_shown_not_raised():
    ancient = -84_604_449_600_000  # what `--at -1000000d` once stored: year -711
    now = ms(2026, 11, 24, 0, 30)
    shown = f"⟨invalid time {ancient} ms⟩"
    assert views.hhmm(ancient, PARIS) == views.hhmm(ancient, PARIS, seconds=True) == shown
    assert views.day_time(ancient, PARIS) == views.since(ancient, now, PARIS) == shown
