"""The console reads at 80x24 and uses the room on larger terminals: tables fit their width,
long cells end in '…', and the footer always offers `? Help`."""
from __future__ import annotations

import pytest

from warroom.widgets.keybar import KeyBar
from warroom.widgets.keyed_table import KeyedTable

from .helpers import frozen, ready, settle

SIZES = [(80, 24), (120, 40), (160, 50)]


def drawn(table: KeyedTable, row: int) -> str:
    return "".join(s.text for s in table.render_line(row + 1)).rstrip()  # line 0 is the header


@pytest.mark.parametrize("size", SIZES)
async def test_every_table_fits_its_width_and_shares_out_the_room(demo_path, size):
    app = frozen(demo_path)
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        for key in "2345":
            await pilot.press(key)
            await settle(pilot)
            for table in app.screen.query(KeyedTable):
                widths = {c.key: table.columns[c.key].width for c in table.spec}
                used = sum(widths.values()) + 2 * table.cell_padding * len(widths)
                assert used <= table.size.width - table.styles.scrollbar_size_vertical, (key, table.id)
                room = table.size.width - table.styles.scrollbar_size_vertical - sum(
                    c.width + 2 * table.cell_padding for c in table.spec)
                filling = [c for c in table.spec if c.fill]
                if room >= sum(c.fill for c in filling) * 4:  # enough room for every share to show
                    assert all(widths[c.key] > c.width for c in filling), (key, table.id, widths)


async def test_a_cell_too_long_for_its_column_ends_in_an_ellipsis_and_the_owner_stays(demo_path):
    app = frozen(demo_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("2")
        await settle(pilot)
        table = app.screen.table
        row = table.get_row_index("watch-ramp")
        table.move_cursor(row=row)
        await settle(pilot)
        line = drawn(table, row - int(table.scroll_y))
        assert "Watch production du" in line and "… · sre" in line, line


async def test_roles_use_a_wide_terminal_to_show_contacts_in_full(demo_path):
    app = frozen(demo_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await ready(pilot)
        await pilot.press("4")
        await settle(pilot)
        table = app.screen.table
        contact = app.room.tables["assignments"]
        full = {a["contact"] for a in contact.values() if a["ended_at"] is None}
        lines = [drawn(table, i) for i in range(table.row_count)]
        assert all(any(c in line for line in lines) for c in full), lines


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_footer_always_offers_help_and_the_screens_own_keys_first(demo_path, size):
    app = frozen(demo_path)
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        for key in "123456":
            await pilot.press(key)
            await settle(pilot)
            bar = app.screen.query_one(KeyBar)
            shown = bar.line(bar.size.width).plain
            assert len(shown) <= bar.size.width and shown.rstrip().endswith(("? Help", "^p palette")), shown
            assert "? Help" in shown
            first = type(app.screen).BINDINGS[0]
            assert shown.startswith(f" {first.key_display or first.key} {first.description}"), shown
