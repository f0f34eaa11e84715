"""The forecast on hand-computed graphs: the day's critical path, the backout if rollback
were decided now, and the last moment it can still be decided inside the window."""
from __future__ import annotations

from warroom.domain.forecast import Task, forecast, point_of_no_return, schedule

M = 60_000


def step(id, minutes, deps=(), status="pending", start=0, started=None, ended=None, **more):
    return {"id": id, "phase": "day", "planned_duration": minutes * 60, "depends_on": list(deps), "status": status,
            "planned_start": start, "started_at": started, "ended_at": ended, **more}


def test_a_diamond_ends_on_its_longer_branch():
    steps = [step("a", 10), step("b", 20, ["a"]), step("c", 5, ["a"]), step("d", 10, ["b", "c"])]
    result = forecast(steps, 0)
    assert (result.finish, result.critical_path) == (40 * M, ["a", "b", "d"])


def test_parallel_branches_end_with_the_longest_and_a_late_start_counts():
    steps = [step("x1", 30), step("x2", 30, ["x1"]), step("y1", 10, start=55 * M), step("y2", 10, ["y1"])]
    result = forecast(steps, 0)
    assert (result.finish, result.critical_path) == (75 * M, ["y1", "y2"])  # y1 not before its planned start


def test_a_running_step_counts_from_its_actual_start_and_never_ends_before_now():
    steps = [step("a", 10, status="in_progress", started=-5 * M), step("b", 20, ["a"])]
    assert forecast(steps, 0).finish == 25 * M
    late = [step("a", 10, status="in_progress", started=-30 * M), step("b", 20, ["a"])]
    assert forecast(late, 0).finish == 20 * M  # a overran: it ends no earlier than now


def test_settled_steps_are_behind_and_rehearsed_durations_replace_planned_ones():
    steps = [step("a", 10, status="done", ended=-M), step("b", 20, ["a"]), step("c", 10, ["b"])]
    assert forecast(steps, 0).critical_path == ["b", "c"]
    assert forecast(steps, 0, rehearsed={"b": 45 * M}).finish == 55 * M


def test_nothing_left_means_no_finish_to_forecast():
    assert forecast([step("a", 10, status="done", ended=0)], 0).finish is None


def test_the_backout_undoes_later_work_first_and_runs_the_rollback_runbook_in_order():
    steps = [step("schema", 10, status="done", ended=0, backout_duration=15 * 60),
             step("deploy", 20, ["schema"], status="in_progress", started=0, backout=["redeploy-old"]),
             step("announce", 5, contingency=True), step("redeploy-old", 30, contingency=True),
             step("verify", 10, contingency=True)]
    result = forecast(steps, 0, rollback=["announce", "redeploy-old", "verify"], window_end=120 * M)
    # announce 5 -> redeploy-old 30 -> verify 10 = 45, and undo:schema 15 after redeploy-old: 50
    assert result.backout_ms == 50 * M
    assert (result.backout_end, result.rollback_deadline, result.window_end) == (50 * M, 70 * M, 120 * M)
    assert result.as_json()["backout_minutes"] == 50


def test_a_step_not_started_needs_no_backout_and_contingency_steps_are_not_the_day():
    steps = [step("a", 10, backout_duration=600), step("rb", 30, contingency=True)]
    result = forecast(steps, 0, rollback=[], window_end=60 * M)
    assert (result.backout_ms, result.rollback_deadline, result.finish) == (0, 60 * M, 10 * M)


def test_backouts_through_a_step_without_one_keep_their_order():
    steps = [step("a", 10, status="done", ended=0, backout_duration=600), step("m", 5, ["a"], status="done", ended=0),
             step("b", 10, ["m"], status="done", ended=0, backout_duration=1200)]
    assert forecast(steps, 0).backout_ms == 30 * M  # undo b (20) then undo a (10): m has none


def test_once_rollback_is_decided_the_forecast_tracks_the_backout():
    steps = [step("deploy", 20, status="done", ended=0, backout_duration=10 * 60),
             step("announce", 5, contingency=True, invoked=1, status="done", started=M, ended=6 * M),
             step("restore", 30, ["announce"], contingency=True, invoked=1, status="in_progress", started=6 * M)]
    result = forecast(steps, 10 * M, rollback=["announce", "restore"], window_end=120 * M, rollback_at=M)
    assert result.backing_out and result.rollback_deadline is None
    assert result.backout_end == 36 * M and result.backout_ms == 26 * M
    assert result.finish == 36 * M and result.critical_path == ["restore"]  # invoked steps are the day now


def test_the_point_of_no_return_is_passed_when_its_step_is_done():
    marked = [step("a", 10, status="done", ended=7 * M), step("cutover", 5, point_of_no_return=True)]
    assert point_of_no_return(marked) == {"step": "cutover", "passed_at": None}
    marked[1] |= {"status": "done", "ended_at": 9 * M}
    assert point_of_no_return(marked) == {"step": "cutover", "passed_at": 9 * M}
    assert point_of_no_return([step("a", 1)]) is None


def test_a_cycle_among_backouts_still_counts_every_task():
    tasks = [Task("p", 5 * M, ("q",)), Task("q", 5 * M, ("p",))]
    assert set(schedule(tasks, 0).ends) == {"p", "q"}


def test_the_weeks_after_count_only_once_the_day_is_settled():
    steps = [step("deploy", 30), step("watch", 7 * 24 * 60, ["deploy"]) | {"phase": "after"}]
    assert forecast(steps, 0).critical_path == ["deploy"]
    steps[0] |= {"status": "done", "ended_at": 0}
    assert forecast(steps, 0).critical_path == ["watch"]


def test_a_contingency_step_waits_on_standby_until_invoked():
    steps = [step("deploy", 30), step("restore", 60, contingency=True)]
    assert forecast(steps, 0).finish == 30 * M
    steps[1] |= {"invoked": 1}
    assert forecast(steps, 0).finish == 60 * M
