from warroom.domain.cadence import Clock, Due, next_due, schedule

M = 60_000
CLOCK = Clock(start=0, golive=600 * M, day_end=900 * M)  # before 0-600, day 600-900, after 900-


def test_first_update_is_owed_one_cadence_after_the_start():
    assert next_due(CLOCK, {"before": 240}, []) == 240 * M


def test_phase_without_cadence_owes_nothing_until_one_with_cadence():
    assert next_due(CLOCK, {"day": 60}, []) == 660 * M
    assert next_due(CLOCK, {"before": 60}, [650 * M]) is None


def test_late_and_missing_updates_are_listed():
    cadence = {"before": 240, "day": 60}
    sent = [200 * M, 500 * M, 610 * M]
    due = schedule(CLOCK, cadence, sent, until=700 * M)
    assert due == [
        Due(240 * M, 200 * M, 0),         # early: on time
        Due(440 * M, 500 * M, 60 * M),    # 60 minutes late
        Due(660 * M, 610 * M, 0),         # the day starts at 600: an update is owed by 660
        Due(670 * M, None, 30 * M),       # after 610 (day), owed at 670, still not sent at 700
    ]


def test_phase_at():
    assert [CLOCK.phase_at(t * M).value for t in (0, 599, 600, 899, 900)] == [
        "before", "before", "day", "day", "after"]
