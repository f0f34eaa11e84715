"""Every console shows the same truth: a write from another console or from the command
line appears on each open console, by key, without moving anyone's cursor."""
from __future__ import annotations

import threading

from warroom.app import WarRoomApp
from warroom.screens.timeline import PAGE
from warroom.store import commands
from warroom.store.store import Store
from warroom.widgets.journal_list import TRIM_SLACK

from .helpers import ready, rows, settle, type_into, until

SIZE = (120, 40)


async def test_an_action_in_one_console_shows_in_the_other(db_path):
    alice, bob = WarRoomApp(db_path, "Alice Martin"), WarRoomApp(db_path, "Bob Chen")
    async with alice.run_test(size=SIZE) as a, bob.run_test(size=SIZE) as b:
        await ready(a)
        await ready(b)
        await b.press("3")
        await a.press("i", *"Checkout", "enter")
        await settle(a)
        await until(b, lambda: "1" in bob.screen.incidents.keys)
        assert bob.screen.incidents.get_row("1")[-1].plain == "Checkout"
        await b.press("u")
        await type_into(b, "#field-note", "on it")
        await b.press("ctrl+s")
        await settle(b)
        await until(a, lambda: alice.room.last_id == 3)
        await a.press("6")
        await settle(a)
        assert alice.screen.table.cells("3")[2].plain == "Bob Chen"
    assert rows(db_path, "SELECT operator, action FROM events WHERE id > 1 ORDER BY id") == [
        ("Alice Martin", "incident.open"), ("Bob Chen", "incident.update")]


async def test_a_write_from_the_command_line_arrives_without_moving_the_cursor(db_path):
    app = WarRoomApp(db_path, "Alice Martin")
    with Store(db_path, "deploy-bot") as cli:
        commands.open_incident(cli, "first", 3)
        commands.open_incident(cli, "second", 3)
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            await pilot.press("3", "down")
            table = app.screen.incidents
            assert table.current_key == "1"
            commands.open_incident(cli, "worse", 1)
            await until(pilot, lambda: "3" in table.keys)
            assert table.current_key == "1"  # the new SEV1 went on top; the cursor stayed
            assert [table.coordinate_to_cell_key((i, 0)).row_key.value for i in range(3)] == ["3", "2", "1"]
            commands.update_incident(cli, "INC-1", status="resolved")
            await until(pilot, lambda: table.get_row("1")[2].plain == "resolved")
            assert table.current_key == "1"


async def test_a_burst_of_events_arrives_as_deltas(db_path):
    app = WarRoomApp(db_path, "Alice Martin")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("6")
        with Store(db_path, "script") as cli:
            for i in range(300):
                commands.note(cli, f"burst {i}")
        await until(pilot, lambda: app.room.last_id == 301)
        table = app.screen.table
        newest = {str(i) for i in range(301 - PAGE + 1, 302)}
        await until(pilot, lambda: newest <= table.keys)
        assert table.row_count <= PAGE + TRIM_SLACK and table.current_key == "1"  # it stayed on its row


async def test_the_first_frame_already_shows_the_room(demo_path):
    """The room is read while Textual starts, so the console does not open on empty panels."""
    app = WarRoomApp(demo_path, "Alice")
    app.first_read.result(timeout=30)  # as it is on a machine that is not busy
    async with app.run_test(size=SIZE):
        runbook = app.screen.query_one("#overview-runbook")
        assert app.room.loaded and "done" in str(runbook.render())


async def test_a_room_slow_to_read_shows_once_read(demo_path, monkeypatch):
    from warroom.console import views

    snapshot, readable = views.Reader.snapshot, threading.Event()
    monkeypatch.setattr(views.Reader, "snapshot", lambda self: (readable.wait(30), snapshot(self))[1])
    app = WarRoomApp(demo_path, "Alice")
    async with app.run_test(size=SIZE) as pilot:
        assert not app.room.loaded  # the first frame did not wait for it
        readable.set()
        await ready(pilot)
        assert "done" in str(app.screen.query_one("#overview-runbook").render())
