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
