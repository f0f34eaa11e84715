"""The Textual internals the console relies on (warroom/console/compat.py), checked against the
installed Textual: each test says what changed when an upgrade breaks one, and what to do.

Checked with textual 8.2.x. A failure here after an upgrade is the place to start: fix the
function in compat.py (only there), or drop it with its test if Textual no longer needs it."""
from __future__ import annotations

import dataclasses
import inspect

import textual
from rich.text import Text
from textual.app import App, ComposeResult
from textual.notifications import Notification
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import DataTable, Static
from textual.widgets.data_table import Column as DataTableColumn
from textual.widgets.data_table import ColumnKey

from warroom.console.compat import set_column_widths, spare_restyle
from warroom.widgets.keyed_table import Column, KeyedTable, RowData

from .helpers import frozen, ready, settle

TEXTUAL = f"textual {textual.__version__} (compat.py was checked against 8.2.x)"
COLUMNS = [Column("Ref", "ref", 6), Column("Owner", "owner", 8, fill=1), Column("Title", "title", 10, fill=3)]


def changed(what: str, then: str) -> str:
    return f"{TEXTUAL}: {what}. {then}"


# -- the attributes, as compat.py reads and writes them ---------------------------------------
async def test_the_restyle_counters_are_still_there():
    app = Bare()
    async with app.run_test():
        assert isinstance(getattr(app, "_css_update_count", None), int), changed(
            "App._css_update_count is gone or no longer an int", "spare_restyle cannot mark a screen styled")
        assert isinstance(getattr(Screen(), "_css_update_count", None), int), changed(
            "Screen._css_update_count is gone or no longer an int", "spare_restyle cannot mark a screen styled")
        assert "App._init_mode" in _callers_of_css_count(), changed(
            "App._init_mode no longer compares a screen's _css_update_count with the app's",
            "see whether a mode's first screen still triggers a full restyle (textual#5211)")
        assert callable(getattr(app.stylesheet, "apply", None)) and list(
            inspect.signature(app.stylesheet.apply).parameters)[:1] == ["node"], changed(
            "Stylesheet.apply(node, ...) changed", "spare_restyle styles the app with it")


def test_data_table_columns_are_still_mutable_dataclasses_with_a_width():
    fields = {f.name: f.type for f in dataclasses.fields(DataTableColumn)}
    assert {"key", "width", "auto_width"} <= set(fields), changed(
        f"DataTable's Column has the fields {sorted(fields)}", "set_column_widths sets Column.width")
    assert not DataTableColumn.__dataclass_params__.frozen, changed(
        "DataTable's Column is frozen", "set_column_widths must replace the column instead of setting its width")
    assert DataTable.notify_style_update is not Widget.notify_style_update, changed(
        "DataTable no longer overrides notify_style_update (which drops its render caches)",
        "set_column_widths needs another way to redraw the rows at their new widths")


async def test_the_notices_the_tests_read_are_still_there():
    """Not compat.py's, but tests read `app._notifications` (no public way in 8.2 to list the
    notices shown), tests/tui/test_actions.py among them."""
    app = Bare()
    async with app.run_test() as pilot:
        app.notify("hello", title="Saved", severity="warning")
        await pilot.pause()
        notices = list(app._notifications)
    assert [(n.message, n.title, n.severity) for n in notices] == [("hello", "Saved", "warning")], changed(
        "App._notifications no longer lists the notices shown", "the tests that read it need another way")
    assert all(isinstance(n, Notification) for n in notices)


# -- set_column_widths: a KeyedTable's columns follow the fill shares -----------------------
async def test_a_keyed_tables_columns_share_out_the_room_beyond_their_least_widths():
    app = Tables()
    async with app.run_test(size=(80, 12)) as pilot:
        table = app.query_one(KeyedTable)
        table.upsert(RowData(str(n), n, [Text(f"R{n}"), Text("owner " * 9), Text("title " * 30)]) for n in range(3))
        await settle(pilot)
        _assert_widths(table, 80)
        await pilot.resize_terminal(120, 12)
        await settle(pilot)
        _assert_widths(table, 120)
        await pilot.resize_terminal(24, 12)  # narrower than the least widths: they hold
        await settle(pilot)
        assert _widths(table) == {"ref": 6, "owner": 8, "title": 10}


def _assert_widths(table: KeyedTable, width: int) -> None:
    padding = 2 * table.cell_padding
    room = width - table.styles.scrollbar_size_vertical - sum(c.width + padding for c in COLUMNS)
    expected = {"ref": 6, "owner": 8 + room * 1 // 4, "title": 10 + room * 3 // 4}
    assert _widths(table) == expected, changed(
        f"at {width} columns, the widths are {_widths(table)}, not {expected}", "see set_column_widths")
    assert table.virtual_size.width == sum(expected.values()) + padding * 3, changed(
        "the table's virtual_size does not follow the widths set", "see set_column_widths")
    header = table.render_line(0).text
    starts = {key: header.index(label) - table.cell_padding for key, label in (("owner", "Owner"), ("title", "Title"))}
    assert starts == {"owner": expected["ref"] + padding, "title": expected["ref"] + expected["owner"] + 2 * padding}, \
        changed(f"the header drawn is {header!r}: its columns are not at the widths set",
                "the rows drawn at the old widths were not dropped (notify_style_update)")
    row = table.render_line(1).text
    assert row[starts["title"]:].strip().startswith("title"), changed(
        f"a row drawn is {row!r}", "rows are not drawn at the widths set")


def _widths(table: KeyedTable) -> dict[str, int]:
    return {c.key: table.columns[ColumnKey(c.key)].width for c in COLUMNS}


async def test_set_column_widths_does_nothing_when_the_widths_hold():
    app = Tables()
    async with app.run_test(size=(80, 12)) as pilot:
        await settle(pilot)
        table = app.query_one(KeyedTable)
        assert not set_column_widths(table, _widths(table))
        header = table.render_line(0).text
        assert set_column_widths(table, {"ref": 7})  # not on a resize, which redraws every row anyway
        await pilot.pause()
        assert _widths(table)["ref"] == 7
        assert table.render_line(0).text.index("Owner") == header.index("Owner") + 1, changed(
            "the header is still drawn at the old widths", "set_column_widths must drop DataTable's render caches")


# -- spare_restyle: a mode's first screen goes up without a full restyle -------------------
async def test_a_spared_screen_skips_the_full_restyle_and_is_styled_all_the_same():
    app = Modes()
    async with app.run_test(size=(60, 10)) as pilot:
        restyles = _count_restyles(app)
        await pilot.pause()
        first = app.screen
        assert isinstance(first, Spared) and first.app_background == "#102030", changed(
            "the app was not styled yet when its first screen, spared the restyle, mounted its widgets "
            "(the restyle would have styled it)", "see spare_restyle")
        assert first.query_one("#probe").size.width == 7
        await app.switch_mode("plain")  # the control: a screen not spared
        await pilot.pause()
        assert restyles, changed(
            "installing a mode's first screen no longer restyles everything (textual#5211 fixed?)",
            "spare_restyle may go, with this test")
        assert app.screen.query_one("#probe").size.width == 7
        before = len(restyles)  # two in 8.2: _init_mode's, then switch_mode's (the screen not mounted yet)
        await app.switch_mode("other")
        await pilot.pause()
        assert len(restyles) == before, changed(
            "a screen marked by spare_restyle still triggered a full restyle", "see spare_restyle")
        assert app.screen.query_one("#probe").size.width == 7, "the spared screen's own rules did not apply"


async def test_no_war_room_screen_triggers_a_full_restyle(demo_path):
    app = frozen(demo_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        restyles = _count_restyles(app)
        for key in "234561":
            await pilot.press(key)
            await settle(pilot)
        assert restyles == [], changed("a war room screen's first visit restyled everything", "see spare_restyle")
        assert app.screen.query_one("#overview-columns").size.height == 38  # its rule (1fr) applied


def _count_restyles(app: App) -> list[str]:
    calls: list[str] = []
    refresh_css = app.refresh_css

    def counting(animate: bool = True) -> None:
        calls.append("refresh_css")
        refresh_css(animate)

    app.refresh_css = counting  # type: ignore[method-assign]
    return calls


def _callers_of_css_count() -> set[str]:
    return {f"App.{name}" for name, member in vars(App).items()
            if inspect.isfunction(member) and "screen._css_update_count != self._css_update_count"
            in inspect.getsource(member)}


class Bare(App[None]):
    pass


class Tables(App[None]):
    def compose(self) -> ComposeResult:
        yield KeyedTable(COLUMNS)


class Probed(Screen[None]):
    app_background = ""  # the app's, as this screen's widgets mount

    def compose(self) -> ComposeResult:
        yield Static("probe", id="probe")

    def on_mount(self) -> None:
        self.app_background = self.app.styles.background.hex


class Spared(Probed):
    def __init__(self) -> None:
        super().__init__()
        spare_restyle(self)


class Other(Spared):
    pass


class Modes(App[None]):
    CSS = "App { background: #102030; } #probe { width: 7; }"
    MODES = {"spared": Spared, "plain": Probed, "other": Other}
    DEFAULT_MODE = "spared"
