"""The rollback clock on the Overview and the critical path on the Runbook, on
tests/fixtures/rollback.yaml (go-live 2026-11-30 09:30 UTC, window to 12:30; once schema is
done and deploy running, a backout takes 50 minutes: decide by 11:40)."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from textual.widgets import Static

from warroom.app import WarRoomApp
from warroom.cli import main
from warroom.console import views
from warroom.domain import timefmt
from warroom.plan import load_plan
from warroom.store import commands
from warroom.store.db import connect
from warroom.store.store import Store

from ..store.test_time_order import T, export_json
from .helpers import ready, rows, until

PLAN = Path(__file__).parents[1] / "fixtures" / "rollback.yaml"
UTC = timefmt.zone("UTC")


@pytest.fixture
def under_way(tmp_path: Path) -> Path:
    path = tmp_path / "rollback.db"
    with Store.create(path, "Ann") as store:
        commands.init(store, load_plan(PLAN), at=T("2026-11-28T09:00"))
        commands.step(store, "start", "schema", at=T("2026-11-30T09:30"))
        commands.step(store, "done", "schema", at=T("2026-11-30T09:50"))
        commands.step(store, "start", "deploy", at=T("2026-11-30T09:50"))
    return path


def room_of(path: Path) -> views.Room:
    room = views.Room()
    conn = connect(path, readonly=True)
    room.apply(views.snapshot(conn))
    conn.close()
    return room


@pytest.mark.parametrize("at, text, tone", [
    ("09:55", "decide rollback by 11:40 · 1h45m left · backout 50m · window ends 12:30", "ok"),
    ("11:25", "decide rollback by 11:40 · 15m left · backout 50m · window ends 12:30", "amber"),
    ("11:35", "decide rollback by 11:40 · 5m left · backout 50m · window ends 12:30", "red"),
    ("11:45", "ROLLBACK DEADLINE PASSED at 11:40: a backout now ends 12:35 · window ends 12:30", "red"),
])
def test_the_clock_counts_down_to_the_rollback_deadline(under_way, at, text, tone):
    clock = views.rollback_clock(room_of(under_way), T(f"2026-11-30T{at}"), UTC)
    assert (clock.text, clock.tone) == (text, tone)


def test_once_rolling_back_or_past_the_point_of_no_return_the_clock_says_so(under_way):
    with Store(under_way, "Ann") as store:
        commands.decide(store, "rollback", "Ann", "payments fail", at=T("2026-11-30T10:00"))
    clock = views.rollback_clock(room_of(under_way), T("2026-11-30T10:00"), UTC)
    # announce 5 -> redeploy-old 30 -> verify 10, schema undone 15 after redeploy-old: 10:50
    assert (clock.text, clock.tone) == ("ROLLING BACK · backout ends ~10:50 · window ends 12:30", "amber")


def test_past_the_point_of_no_return_a_backout_is_a_recovery(under_way):
    with Store(under_way, "Bob") as store:
        for target in ("eu", "us"):
            commands.step(store, "done", "deploy", target=target, at=T("2026-11-30T10:15"))
        commands.step(store, "start", "cutover", at=T("2026-11-30T10:16"))
        commands.step(store, "done", "cutover", at=T("2026-11-30T10:25"))
    clock = views.rollback_clock(room_of(under_way), T("2026-11-30T10:30"), UTC)
    assert clock.text == "PAST THE POINT OF NO RETURN (cutover done at 10:25): a backout is now a recovery"


async def test_the_overview_shows_the_clock_and_the_runbook_marks_the_critical_path(under_way):
    app = WarRoomApp(under_way, "Ann", now_ms=lambda: T("2026-11-30T11:30"))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        panel = str(app.screen.query_one("#overview-decision", Static).render())
        assert "decide rollback by 11:40 · 10m left" in panel
        assert "REHEARSAL" not in app.header(app.now(), 80).plain  # a live day
        await pilot.press("2")
        await ready(pilot)
        table = app.screen.table
        titles = {key: table.get_row(key)[-1].head.plain for key in ("deploy", "cutover", "smoke", "redeploy-old")}
        assert [k for k, title in titles.items() if title.startswith("» ")] == ["deploy", "cutover", "smoke"]
        assert table.get_row("redeploy-old")[0].plain == "◌ standby"
        assert table.get_row("redeploy-old")[1].plain == "if needed · 30m"


def passed_events(path: Path) -> list[tuple]:
    return rows(path, "SELECT entity_id, happened_at, operator FROM events WHERE action = 'forecast.passed'"
                      " ORDER BY id")


async def console_at(path: Path, at: str, who: str) -> None:
    app = WarRoomApp(path, who, now_ms=lambda: T(f"2026-11-30T{at}"))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.pause(1.2)  # a tick
        await ready(pilot)


async def test_the_deadline_and_the_point_of_no_return_are_recorded_once_each(under_way):
    await console_at(under_way, "11:00", "Ann")
    assert passed_events(under_way) == []  # nothing passed yet
    await console_at(under_way, "11:45", "Ann")
    await console_at(under_way, "11:46", "Bob")  # a second console finds it recorded
    assert passed_events(under_way) == [("rollback_deadline", T("2026-11-30T11:40"), "Ann")]
    with Store(under_way, "Bob") as store:
        for target in ("eu", "us"):
            commands.step(store, "done", "deploy", target=target, at=T("2026-11-30T11:46"))
        commands.step(store, "start", "cutover", at=T("2026-11-30T11:47"))
        commands.step(store, "done", "cutover", at=T("2026-11-30T11:50"))
    await console_at(under_way, "11:52", "Bob")
    await console_at(under_way, "11:53", "Ann")
    assert passed_events(under_way)[1:] == [("point_of_no_return", T("2026-11-30T11:50"), "Bob")]
    report = CliRunner().invoke(main, ["--db", str(under_way), "export", "--as-of", "2026-11-30T11:45"]).output
    assert "Rollback deadline passed: a backout (50 min) decided from now on ends after the change window" in report
    assert "Point of no return passed" not in report  # not yet, as of 11:45
    assert export_json(under_way, "--as-of", "2026-11-30T11:45")["facts"]["passed"] == {
        "rollback_deadline": T("2026-11-30T11:40")}
    assert export_json(under_way)["facts"]["passed"] == {
        "rollback_deadline": T("2026-11-30T11:40"), "point_of_no_return": T("2026-11-30T11:50")}


async def test_a_rollback_decided_elsewhere_calls_up_its_steps_on_every_console(under_way):
    app = WarRoomApp(under_way, "Bob", now_ms=lambda: T("2026-11-30T10:05"))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        with Store(under_way, "Ann") as store:  # another process, as far as the console knows
            commands.decide(store, "rollback", "Ann", "payments fail", at=T("2026-11-30T10:00"))
        await until(pilot, lambda: app.room.tables["steps"]["announce-rb"]["invoked"] == 1)
        await ready(pilot)
        told = [n.message for n in app._notifications]
        assert any(m.startswith("Called up by the rollback, for their owners: Announce the rollback (rm); "
                                "Redeploy v1 (ops); Verify v1 (ops)") for m in told), told
        await pilot.press("2")
        await ready(pilot)
        assert app.screen.table.get_row("redeploy-old")[0].plain == "· pending"


async def test_a_rehearsal_says_so_in_the_top_bar(tmp_path):
    path = tmp_path / "rehearsal.db"
    with Store.create(path, "Ann") as store:
        commands.init(store, load_plan(PLAN), at=T("2026-11-28T09:00"), rehearsal=True)
    app = WarRoomApp(path, "Ann", now_ms=lambda: T("2026-11-30T10:00"))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        assert " REHEARSAL " in app.header(app.now(), 80).plain


async def test_R_on_the_runbook_attaches_a_rehearsal_and_its_timings_show(under_way, tmp_path):
    rehearsal = tmp_path / "r.db"
    with Store.create(rehearsal, "Ann") as store:
        commands.init(store, load_plan(PLAN), at=T("2026-11-28T09:00"), rehearsal=True)
        commands.step(store, "start", "schema", at=T("2026-11-30T09:30"))
        commands.step(store, "done", "schema", at=T("2026-11-30T10:05"))
    app = WarRoomApp(under_way, "Ann", now_ms=lambda: T("2026-11-30T10:00"))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("2", "R")
        await pilot.press(*str(rehearsal))
        await pilot.press("enter")
        await until(pilot, lambda: app.room.meta("rehearsal_file") == str(rehearsal))
        await ready(pilot)
        app.screen.table.move_cursor(row=app.screen.table.get_row_index("schema"))
        await ready(pilot)
        details = str(app.screen.query_one("#runbook-detail-text", Static).render())
        assert "rehearsed in 35m" in details
    assert rows(under_way, "SELECT operator, entity_id FROM events WHERE action = 'rehearsal.attach'") == [
        ("Ann", "r.db")]
