"""Typed text is shown literally on every screen: markup, escape sequences, control, right-
to-left and very long text never crash, restyle or move the terminal."""
from __future__ import annotations

import pytest

from warroom.app import WarRoomApp
from warroom.domain.visible import visible
from warroom.store import commands
from warroom.store.store import Store
from warroom.widgets.text import safe

from .helpers import HOSTILE, ready, settle

RAW_CONTROLS = [chr(c) for c in (*range(0x00, 0x09), *range(0x0B, 0x20), 0x7F, 0x9B)]
EVIL_OPERATOR = "Zoë [bold]\x1b[0m"


@pytest.fixture
def hostile_path(db_path):
    with Store(db_path, EVIL_OPERATOR) as store:
        for i, text in enumerate(HOSTILE):
            commands.open_incident(store, text, 1 + i % 4)
            commands.update_incident(store, f"INC-{i + 1}", note=text)
            commands.note(store, text, tags=("retro",))
            commands.log_message(store, "sponsors", text, channel=text)
            commands.assign(store, "qa", text, contact=text)
            commands.add_followup(store, text, "qa")
            commands.record_kpi_failure(store, "conversion", text)
        commands.record_kpi_failure(store, "conversion", HOSTILE[1] + HOSTILE[2])
        commands.decide(store, "hold", HOSTILE[2], HOSTILE[1])
        commands.step(store, "skip", "prepare", note=HOSTILE[2])
    return db_path


def shown(app: WarRoomApp) -> str:
    return app.export_screenshot()


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
async def test_every_screen_shows_hostile_text_literally(hostile_path, size):
    app = WarRoomApp(hostile_path, EVIL_OPERATOR)
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        for key in "123456":
            await pilot.press(key)
            await settle(pilot)
            screen = shown(app)
            assert not [c for c in RAW_CONTROLS if c in screen], f"screen {key} lets a control character through"
        await pilot.press("question_mark")
        await settle(pilot)
        assert not [c for c in RAW_CONTROLS if c in shown(app)], "the help screen lets a control character through"


async def test_tables_hold_the_text_as_typed_made_visible(hostile_path):
    app = WarRoomApp(hostile_path, EVIL_OPERATOR)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("3")
        await settle(pilot)
        titles = {app.screen.incidents.get_row(str(i + 1))[-1].plain for i in range(len(HOSTILE))}
        assert titles == {visible(t, one_line=True, limit=200) for t in HOSTILE}
        assert "[bold red]alarm[/bold red]" in titles and "␛[2J␛[31mESC␛[0m" in titles
        await pilot.press("6")
        await settle(pilot)
        operators = {app.screen.table.cells(k)[2].plain for k in app.screen.table.keys}
        assert visible(EVIL_OPERATOR, one_line=True) in operators
        assert visible(EVIL_OPERATOR, one_line=True) in app.header(app.now(), 200).plain


async def test_a_failed_sources_error_shows_literally(hostile_path):
    app = WarRoomApp(hostile_path, EVIL_OPERATOR)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        panel = str(app.screen.query_one("#overview-kpis").render())
        assert ": [bold red]alarm[/bold red]␛[2J␛[31mESC␛[0m" in panel


def test_safe_text_is_never_markup_and_shows_controls():
    text = safe("[bold red]x[/] \x1b[2J \x07 \u202e\nend")
    assert text.plain == "[bold red]x[/] ␛[2J ␇ ⟨U+202E⟩⏎end"
    assert not text.spans
    assert safe("a\nb", multiline=True).plain == "a\nb"
    assert safe("x" * 50, limit=10).plain == "x" * 9 + "…"
