"""The Timeline in time order, and corrections made from the console: what the journal and
the state tables hold after the keys, and what the screen then shows."""
from __future__ import annotations

import json

import pytest

from warroom.domain import timefmt
from warroom.plan import load_plan
from warroom.store import commands
from warroom.store.store import Store

from ..conftest import SMALL_PLAN
from .helpers import NOW, frozen, ready, rows, settle, type_into, until

SIZE = (120, 40)
MIN, DAY = 60_000, 86_400_000


@pytest.fixture
def db_path(tmp_path):
    """The small plan with its go-live at the consoles' frozen NOW, opened three days before."""
    path = tmp_path / "warroom.db"
    with Store.create(path, "setup") as store:
        commands.init(store, load_plan(SMALL_PLAN).moved_to(NOW), at=NOW - 3 * DAY)
    return path


def cells(app, key: str) -> list[str]:
    return [c.plain for c in app.screen.table.cells(key)]


def seed(db_path) -> dict[str, int]:
    """A note two days before NOW, then facts in time order, then one typed late."""
    with Store(db_path, "Bob Chen") as bob:
        ids = {"old": commands.note(bob, "two days ago", at=NOW - 2 * DAY)["event"],
               "first": commands.note(bob, "first", at=NOW - 30 * MIN)["event"],
               "incident": commands.open_incident(bob, "Checkout 500s", 3, at=NOW - 20 * MIN)["event"],
               "last": commands.note(bob, "last", at=NOW - 5 * MIN)["event"]}
        ids["late"] = commands.note(bob, "typed late", at=NOW - 25 * MIN)["event"]
    return ids


async def test_the_timeline_reads_in_time_order_with_dates_and_late_entries_marked(db_path):
    ids = seed(db_path)
    app = frozen(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("6")
        await settle(pilot)
        table = app.screen.table
        order = [k for k in table._keys if k != "1"]
        assert order == [str(ids[k]) for k in ("last", "incident", "late", "first", "old")]
        assert cells(app, str(ids["late"]))[1].endswith("↶")
        assert not cells(app, str(ids["last"]))[1].endswith("↶")
        day = timefmt.from_ms(NOW - 2 * DAY, app.tz).strftime("%d %b")
        assert cells(app, str(ids["old"]))[1].startswith(day)


async def test_correct_and_retract_the_selected_entry_from_the_timeline(db_path):
    with Store(db_path, "Bob Chen") as bob:
        opened = commands.open_incident(bob, "Checkout 500s", 3, at=NOW - 30 * MIN)["event"]
        raised = commands.update_incident(bob, "INC-1", severity=1, at=NOW - 20 * MIN)["event"]
    app = frozen(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("6")
        await settle(pilot)
        assert app.screen.table.current_key == str(raised)
        await pilot.press("c")
        clock = timefmt.from_ms(NOW - 25 * MIN, app.tz).strftime("%H:%M")
        await type_into(pilot, "#field-at", clock)
        await type_into(pilot, "#field-why", "typed at the wrong minute")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.room.last_id == raised + 1)
        await until(pilot, lambda: "corrected by" in cells(app, str(raised))[4])
        await pilot.press("x")
        await type_into(pilot, "#field-why", "it was SEV3 all along")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.room.tables["incidents"][1]["severity"] == 3)
    corrections = rows(db_path, "SELECT action, operator, payload FROM events WHERE entity = 'correction' ORDER BY id")
    assert [(a, o) for a, o, _ in corrections] == [("correct", "Alice Martin"), ("retract", "Alice Martin")]
    moved, retracted = (json.loads(p) for _, _, p in corrections)
    assert moved == {"event": raised, "happened_at": NOW - 25 * MIN, "why": "typed at the wrong minute"}
    assert retracted == {"event": raised, "why": "it was SEV3 all along"}
    assert rows(db_path, "SELECT severity FROM incidents") == [(3,)]
    assert opened < raised


async def test_a_retracted_message_leaves_every_console(db_path):
    with Store(db_path, "Bob Chen") as bob:
        kept = commands.log_message(bob, "sponsors", "on track", at=NOW - 10 * MIN)["message"]
        wrong = commands.log_message(bob, "sponsors", "wrong audience", at=NOW - 5 * MIN)["message"]
    app = frozen(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("5")
        await settle(pilot)
        assert app.screen.messages_table.keys == {str(kept), str(wrong)}
        with Store(db_path, "Bob Chen") as bob:
            commands.retract(bob, wrong, "sent to the wrong list")
        await until(pilot, lambda: app.screen.messages_table.keys == {str(kept)})
        assert wrong not in app.room.tables["messages"]
