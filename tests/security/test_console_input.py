"""The console under hostile input and a stopped day: a huge paste is cut at the field, and
the Runbook says when the runbook is on hold."""
from __future__ import annotations

from textual import events

from warroom.store import commands
from warroom.store.store import Store
from warroom.widgets.form import MAX_FIELD

from ..tui.helpers import frozen, ready, rows, settle, until

SIZE = (80, 24)


async def test_a_ten_megabyte_paste_is_cut_at_the_field(db_path):
    app = frozen(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("n")
        await settle(pilot)
        field = app.screen.query_one("#field-text")
        field.post_message(events.Paste("x" * 10_000_000))
        await settle(pilot)
        assert len(field.value) == MAX_FIELD
        await pilot.press("enter")
        await until(pilot, lambda: app.room.last_id == 2)
    assert rows(db_path, "SELECT length(text) FROM notes") == [(MAX_FIELD,)]


async def test_the_runbook_says_when_it_is_on_hold(db_path):
    app = frozen(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("2")
        await settle(pilot)
        banner = app.screen.query_one("#runbook-hold")
        assert not banner.display
        with Store(db_path, "Alice Martin") as alice:
            commands.decide(alice, "hold", "Alice Martin", "payment provider degraded")
        await until(pilot, lambda: banner.display)
        assert "RUNBOOK ON HOLD: hold decided by Alice Martin" in str(banner.render())
        with Store(db_path, "Alice Martin") as alice:
            commands.decide(alice, "resume", "Alice Martin", "provider back")
        await until(pilot, lambda: not banner.display)


async def test_the_top_bar_at_80_columns_never_drops_read_only_nor_on_hold(db_path):
    with Store(db_path, "Alice Martin") as alice:
        commands.decide(alice, "hold", "Alice Martin", "payment provider degraded")
    app = frozen(db_path, readonly=True)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        bar = app.header(app.now(), 80)
        assert bar.cell_len <= 80
        assert "READ-ONLY" in bar.plain and "ON HOLD: hold decided" in bar.plain
        assert "Test go-live" not in app.header(app.now(), 60).plain  # the name goes first
