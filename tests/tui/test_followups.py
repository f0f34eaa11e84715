"""Follow-ups on the Board: listed open first and overdue marked, added from the selected
incident and closed with a note by keys; what counts is what the FILE holds afterwards."""
from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from textual.widgets import Select

from warroom.app import WarRoomApp
from warroom.domain import timefmt
from warroom.domain.visible import visible
from warroom.store import commands
from warroom.store.store import Store
from warroom.widgets.form import FormScreen

from .helpers import HOSTILE, NOW, frozen, ready, rows, settle, type_into, until
from .test_hostile import RAW_CONTROLS

SIZE = (120, 40)
DAY = 86_400_000


async def pick(pilot, selector: str, value) -> None:
    pilot.app.screen.query_one(selector, Select).value = value
    await pilot.pause()


def cells(table, key: str) -> list[str]:
    return [cell.plain for cell in table.get_row(key)]


async def test_the_board_lists_the_demos_followups_open_first_and_marks_the_overdue(after_demo_path):
    app = frozen(after_demo_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("3")
        await settle(pilot)
        table = app.screen.followups
        assert [table.coordinate_to_cell_key((i, 0)).row_key.value for i in range(3)] == ["3", "2", "1"]
        assert cells(table, "3")[:5] == ["FU-3", "P2", "overdue 7d", "tech_lead", "retest-saved-cards"]
        assert cells(table, "2")[:5] == ["FU-2", "P3", "overdue 14h", "tech_lead", "INC-2"]
        assert cells(table, "1")[:5] == ["FU-1", "P2", "✓ done", "release_manager", "INC-1"]
        assert "red" in str(table.get_row("3")[2].style)
        await pilot.press("tab", "tab", "down", "down")  # the follow-ups, FU-1: its details
        await settle(pilot)
        detail = str(app.screen.query_one("#board-incident-detail").render())
        assert detail.startswith("FU-1 P2 Freeze batch jobs") and "owner release_manager" in detail
        assert "done" in detail and "Added to the runbook" in detail


async def test_f_adds_a_followup_about_the_selected_incident(db_path):
    with Store(db_path, "Bob Chen") as store:
        commands.open_incident(store, "Checkout slow", 2, owner="tech")
        commands.open_incident(store, "Cards refused", 3)
    app = WarRoomApp(db_path, "Alice Martin")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("3")
        await settle(pilot)
        assert app.screen.selected_incident()["ref"] == "INC-1"  # the worse one, on top
        await pilot.press("f")
        assert app.screen.query_one("#field-owner", Select).value == "tech"  # the incident's owner
        await pilot.press(*"Add an index")
        await pick(pilot, "#field-priority", "P1")
        await type_into(pilot, "#field-due", "2026-12-15")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "1" in app.screen.followups.keys)
        assert not isinstance(app.screen, FormScreen)
        shown = cells(app.screen.followups, "1")
        assert shown[:2] + shown[3:5] == ["FU-1", "P1", "tech", "INC-1"]
    due = timefmt.to_ms(datetime(2026, 12, 15, 23, 59, 59, 999_000, tzinfo=ZoneInfo("Europe/Paris")))  # that day's end
    assert rows(db_path, "SELECT ref, title, owner, priority, incident, step, due, status, opened_by"
                         " FROM followups") == [
        ("FU-1", "Add an index", "tech", "P1", "INC-1", None, due, "open", "Alice Martin")]


async def test_a_followup_may_be_about_no_incident(db_path):
    app = WarRoomApp(db_path, "Alice Martin")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("3", "f", *"Write the retro", "enter")
        await until(pilot, lambda: "1" in app.screen.followups.keys)
    assert rows(db_path, "SELECT title, owner, priority, incident, due FROM followups") == [
        ("Write the retro", "rm", "P3", None, None)]


async def test_c_closes_the_selected_followup_with_a_note(db_path):
    with Store(db_path, "Bob Chen") as store:
        commands.add_followup(store, "Add an index", "tech", priority="P2")
        commands.add_followup(store, "Write the retro", "rm", priority="P1")
    app = WarRoomApp(db_path, "Alice Martin")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("3", "tab", "tab")
        await settle(pilot)
        assert app.screen.selected_followup()["ref"] == "FU-2"  # P1 first
        await pilot.press("down", "c")
        await pick(pilot, "#field-outcome", "drop")
        await type_into(pilot, "#field-note", "the planner does it")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.room.tables["followups"][1]["status"] == "dropped")
        assert not isinstance(app.screen, FormScreen)
        assert cells(app.screen.followups, "1")[2] == "✗ dropped"
        assert app.screen.followups.current_key == "1"  # the cursor stayed on its row, now last
    assert rows(db_path, "SELECT ref, status, note, closed_by FROM followups ORDER BY number") == [
        ("FU-1", "dropped", "the planner does it", "Alice Martin"), ("FU-2", "open", None, None)]


async def test_a_refused_close_says_why_keeps_the_form_and_writes_nothing(db_path):
    with Store(db_path, "Bob Chen") as store:
        commands.add_followup(store, "Add an index", "tech")
    app = WarRoomApp(db_path, "Alice Martin")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("3", "c", "ctrl+s")  # no note
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)
        notices = [n.message for n in app._notifications]
        assert any("closing FU-1 needs a note" in m for m in notices), notices
    assert rows(db_path, "SELECT COUNT(*) FROM events WHERE action LIKE 'followup.%'") == [(1,)]
    assert rows(db_path, "SELECT status FROM followups") == [("open",)]


async def test_a_due_date_that_is_no_date_is_told_and_records_nothing(db_path):
    app = WarRoomApp(db_path, "Alice Martin")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("3", "f", *"Add an index")
        await type_into(pilot, "#field-due", "next week")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)
        assert any(n.message.startswith("due: ") for n in app._notifications)
    assert rows(db_path, "SELECT COUNT(*) FROM followups") == [(0,)]


async def test_c_with_no_followup_says_so(db_path):
    app = WarRoomApp(db_path, "Alice Martin")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("3", "c")
        await settle(pilot)
        assert not isinstance(app.screen, FormScreen)
        assert any("no follow-up selected" in n.message for n in app._notifications)


async def test_a_followup_added_from_the_command_line_appears_without_a_key(db_path):
    app = WarRoomApp(db_path, "Alice Martin")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("3")
        await settle(pilot)
        subprocess.run([sys.executable, "-m", "warroom", "--db", str(db_path), "--as", "deploy-bot", "followup",
                        "add", "Rotate the API keys", "--owner", "tech", "--priority", "P2"], check=True,
                       capture_output=True)
        await until(pilot, lambda: "1" in app.screen.followups.keys)
        assert cells(app.screen.followups, "1")[:5] == ["FU-1", "P2", "—", "tech", "—"]
        subprocess.run([sys.executable, "-m", "warroom", "--db", str(db_path), "--as", "deploy-bot", "followup",
                        "done", "FU-1", "--note", "rotated"], check=True, capture_output=True)
        await until(pilot, lambda: cells(app.screen.followups, "1")[2] == "✓ done")


@pytest.mark.parametrize("size", [(80, 24), SIZE], ids=["80x24", "120x40"])
async def test_hostile_followup_titles_show_literally(db_path, size):
    with Store(db_path, "Bob Chen") as store:
        for text in HOSTILE:
            commands.add_followup(store, text, "tech", due=NOW - DAY, at=NOW - 2 * DAY)
    app = WarRoomApp(db_path, "Alice Martin", now_ms=lambda: NOW + 2 * DAY)
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        await pilot.press("3")
        await settle(pilot)
        table = app.screen.followups
        titles = {table.get_row(str(i + 1))[-1].plain for i in range(len(HOSTILE))}
        assert titles == {visible(t, one_line=True, limit=200) for t in HOSTILE}
        await pilot.press("tab", "tab", "down", "down")  # the details of the third: an ESC sequence
        await settle(pilot)
        detail = str(app.screen.query_one("#board-incident-detail").render())
        assert detail.startswith("FU-3 P3 ␛[2J␛[31mESC␛[0m")
        screen = app.export_screenshot()
        assert not [c for c in RAW_CONTROLS if c in screen]
