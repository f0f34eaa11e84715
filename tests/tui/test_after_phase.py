"""The after-phase in the console, on tests/fixtures/after.yaml (go-live 2026-11-30 10:00 UTC):
KPIs around go-live on the Overview (the sparkline marks H, 'no data' since H, a failed source
run, a baseline measured before H), and a check step done with its evidence on the Runbook."""
from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Static

from warroom.app import WarRoomApp
from warroom.console import views
from warroom.plan import load_plan
from warroom.screens.overview import kpi_value
from warroom.store import commands
from warroom.store.store import Store
from warroom.widgets.form import FormScreen
from warroom.widgets.spark import around_golive

from ..store.test_time_order import T
from .helpers import ready, rows, settle, type_into, until
from .test_rollback_clock import room_of

PLAN = Path(__file__).parents[1] / "fixtures" / "after.yaml"
FAILURE = "exit 7: curl: (7) [bold red]refused[/] \x1b[31m"


@pytest.fixture
def after_day(tmp_path: Path) -> Path:
    """Conversion read by its source before and after H, then a failed run; support tickets
    read once, before H (no baseline in the plan); the gate passed, the check step started."""
    path = tmp_path / "after.db"
    with Store.create(path, "Ann") as store:
        commands.init(store, load_plan(PLAN), at=T("2026-11-29T09:00"))
        for at, value in (("08:00", 59), ("09:00", 61), ("11:00", 62)):
            commands.record_kpi(store, "conv", value, source=True, at=T(f"2026-11-30T{at}"))
        commands.record_kpi(store, "tickets", 6, at=T("2026-11-30T09:00"))
        commands.record_kpi_failure(store, "conv", FAILURE, at=T("2026-11-30T12:00"))
        commands.step(store, "start", "deploy", at=T("2026-11-30T10:00"))
        commands.step(store, "done", "deploy", at=T("2026-11-30T10:30"))
        commands.signoff(store, "gate", "rm", "go", at=T("2026-11-30T10:35"))
        commands.step(store, "start", "journey", at=T("2026-11-30T11:00"))
    return path


def test_a_kpi_is_read_around_go_live(after_day):
    conv, tickets = views.kpis(room_of(after_day))
    assert (conv.before, conv.since, conv.baseline, conv.latest, conv.met) == ([59, 61], [62], 60, 62, False)
    assert (conv.failed["error"], conv.failed["happened_at"]) == (
        "exit 7: curl: (7) [bold red]refused[/] ␛[31m", T("2026-11-30T12:00"))
    assert (tickets.before, tickets.since, tickets.baseline, tickets.latest, tickets.met) == ([6], [], 6, None, False)
    assert tickets.failed is None


def test_a_busy_day_keeps_the_readings_before_go_live_in_view(after_day):
    """The mirror keeps the latest readings on each side of H (and failed runs apart): the
    baseline they measure survives a day of readings, read at start or arriving live."""
    with Store(after_day, "kpi-watch") as store:
        for minute in range(views.KPI_POINTS + 10):
            commands.record_kpi(store, "tickets", 5, at=T("2026-11-30T12:00") + minute * 60_000)
    _, tickets = views.kpis(room_of(after_day))
    assert (tickets.before, len(tickets.since), tickets.baseline) == ([6], views.KPI_POINTS, 6)
    room = room_of(after_day)
    arriving = [{"id": 10_000 + i, "kpi": "tickets", "value": 4, "error": None,
                 "happened_at": T("2026-11-30T14:00") + i * 60_000} for i in range(5)]
    room.apply(views.Delta({"kpi_readings": arriving}, [], room.last_id, room.last_rev))
    _, tickets = views.kpis(room)
    assert (tickets.before, len(tickets.since), tickets.since[-6:]) == ([6], views.KPI_POINTS, [5, 4, 4, 4, 4, 4])


def test_no_reading_since_go_live_is_no_data_never_met(after_day):
    _, tickets = views.kpis(room_of(after_day))
    shown = kpi_value(tickets, "", started=True)
    assert shown.plain == "no data" and "green" not in str(shown.style)
    assert kpi_value(tickets, "", started=False).plain == "    6"  # before H: where it stands


def test_the_sparkline_marks_go_live_and_dims_what_came_before():
    line = around_golive([1, 2, 3, 4], [5, 6], 8, started=True)
    assert line.plain == "▁▂▄▅┊▇█"
    assert [(line.plain[s.start:s.end], str(s.style)) for s in line.spans] == [
        ("▁▂▄▅", "dim cyan"), ("┊", "bold"), ("▇█", "cyan")]
    busy = around_golive([1, 2, 3, 4], [5] * 10, 8, started=True)
    assert len(busy.plain) == 8 and busy.plain.index("┊") == 2  # the latest readings, two from before H
    assert around_golive([1, 2], [], 8, started=False).plain == "▁█"  # no H yet
    assert around_golive([], [], 8, started=True).plain == ""


async def test_the_overview_shows_kpis_since_go_live_and_a_failed_source(after_day):
    app = WarRoomApp(after_day, "Ann", now_ms=lambda: T("2026-11-30T13:00"))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        panel = str(app.screen.query_one("#overview-kpis", Static).render())
        conv, failed, tickets = panel.splitlines()
        assert conv.startswith("Conversion") and "62% (60→65) ▁▆┊█" in conv
        assert failed == "  ✗ source failed 12:00: exit 7: curl: (7) [bold red]refused[/] ␛[31m"
        assert tickets.startswith("Support tickets") and "no data (6→5) ▅┊" in tickets


async def test_the_overview_at_80_columns_fits_each_kpi_on_its_line(after_day):
    app = WarRoomApp(after_day, "Ann", now_ms=lambda: T("2026-11-30T13:00"))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        panel = app.screen.query_one("#overview-kpis", Static)
        lines = str(panel.render()).splitlines()
        assert len(lines) == 3 and all(len(line) <= panel.content_region.width for line in lines[::2])
        assert "┊" in lines[0]


async def test_done_on_a_check_step_asks_for_the_evidence_and_records_it(after_day):
    app = WarRoomApp(after_day, "Bob", now_ms=lambda: T("2026-11-30T13:00"))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("2")
        await settle(pilot)
        table = app.screen.table
        assert table.current_key == "journey" and table.get_row("journey")[-1].head.plain.startswith("» ◎ ")
        details = app.screen.query_one("#runbook-detail-text", Static)
        assert "a check: done with its evidence (d asks for it)" in str(details.render())
        await pilot.press("d")
        assert isinstance(app.screen, FormScreen)
        await type_into(pilot, "#field-evidence", "3 orders paid on production (88412-88414)")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.room.tables["steps"]["journey"]["status"] == "done")
        assert not isinstance(app.screen, FormScreen)
        await settle(pilot)
        assert "evidence: 3 orders paid on production (88412-88414)" in str(details.render())
    assert rows(after_day, "SELECT status, evidence FROM steps WHERE id = 'journey'") == [
        ("done", "3 orders paid on production (88412-88414)")]
    assert rows(after_day, "SELECT operator, json_extract(payload, '$.evidence') FROM events"
                           " WHERE action = 'step.done' AND entity_id = 'journey'") == [
        ("Bob", "3 orders paid on production (88412-88414)")]


async def test_a_failed_check_shows_why(after_day):
    with Store(after_day, "Bob") as store:
        commands.step(store, "fail", "journey", note="saved card still offered", at=T("2026-11-30T12:00"))
    app = WarRoomApp(after_day, "Bob", now_ms=lambda: T("2026-11-30T13:00"))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("2")
        await settle(pilot)
        app.screen.table.move_cursor(row=app.screen.table.get_row_index("journey"))
        await settle(pilot)
        details = str(app.screen.query_one("#runbook-detail-text", Static).render())
        assert "check FAILED on the real environment" in details and "reason: saved card still offered" in details
