"""Every place where the console reaches past Textual's public API, each in one small
function that says why. Checked against textual 8.2.x (pyproject pins >=8.2,<8.3);
tests/tui/test_compat.py fails, saying what changed, when an upgrade breaks one of them.

Upgrading Textual: run tests/tui/test_compat.py first. A function whose reason went away
(Textual fixed it) goes, with its test; one whose internals moved is fixed here, only here."""
from __future__ import annotations

from collections.abc import Mapping

from textual.geometry import Size
from textual.screen import Screen
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey


def spare_restyle(screen: Screen) -> None:
    """Let `screen`, made for a mode's first visit, go up without a full restyle.

    Checked against textual 8.2.x. Installing a mode's first screen calls `App.refresh_css`
    when the screen's private `_css_update_count` differs from the app's (App._init_mode):
    every rule is re-parsed and the whole DOM restyled, ~20 ms on start and on each
    screen's first visit (textual#5211: "could be improved upon"). A new screen needs none
    of it: its widgets are styled as they mount. All it needs is the app itself styled,
    which only the very first screen must see to (that restyle would have done it).
    Call it in the screen's `__init__`, before Textual installs it."""
    app = screen.app
    if not app.screen_stack:
        app.stylesheet.apply(app)
    screen._css_update_count = app._css_update_count


def set_column_widths(table: DataTable, widths: Mapping[str, int]) -> bool:
    """Give the columns of `table` (by key) these widths, without clearing the table.

    Checked against textual 8.2.x, whose DataTable has no API to resize a column: a
    column's width is fixed at `add_column`, or follows its content (`auto_width`). So
    this sets `DataTable.columns[key].width` itself, the scrollable `virtual_size` that
    DataTable would have computed from them, and calls `notify_style_update()`, which
    DataTable overrides to drop the rows it drew at the old widths (its render caches; a
    resize drops them too, but a call outside one would leave them drawn at the old widths).
    Returns False, doing nothing, when every column already has its width."""
    columns = {ColumnKey(key): width for key, width in widths.items()}
    if all(table.columns[key].width == width for key, width in columns.items()):
        return False
    for key, width in columns.items():
        table.columns[key].width = width
    padding = 2 * table.cell_padding
    table.virtual_size = Size(sum(width + padding for width in columns.values()), table.virtual_size.height)
    table.notify_style_update()
    return True
