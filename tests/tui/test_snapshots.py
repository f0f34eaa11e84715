"""Every screen at 80x24 and 120x40 on the demo day, at a fixed minute (the frozen clock); the
after-phase screens two weeks on; the forms."""
from __future__ import annotations

import pytest

from .helpers import frozen, no_blink, ready, settle

SIZES = {"80x24": (80, 24), "120x40": (120, 40)}
SCREENS = {"overview": "1", "runbook": "2", "board": "3", "roles": "4", "comms": "5", "timeline": "6",
           "help": "question_mark"}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("screen", SCREENS)
def test_screen(snap_compare, demo_path, screen, size):
    async def open_screen(pilot):
        await ready(pilot)
        await pilot.press(SCREENS[screen])
        await settle(pilot)
        await no_blink(pilot)

    assert snap_compare(frozen(demo_path), terminal_size=SIZES[size], run_before=open_screen)


def test_incident_form(snap_compare, demo_path):
    async def open_form(pilot):
        await ready(pilot)
        await pilot.press("3", "o", *"Payment")
        await settle(pilot)
        await no_blink(pilot)

    assert snap_compare(frozen(demo_path), terminal_size=(80, 24), run_before=open_form)


AFTER = {"overview": "1", "runbook": "2", "board": "3"}


@pytest.mark.parametrize("screen", AFTER)
def test_after_phase(snap_compare, after_demo_path, screen):
    """Two weeks on: KPIs since go-live, the check steps (the failed one selected), the follow-ups."""
    async def open_screen(pilot):
        await ready(pilot)
        await pilot.press(AFTER[screen])
        await settle(pilot)
        if screen == "runbook":
            table = pilot.app.screen.table
            table.move_cursor(row=table.get_row_index("retest-saved-cards"))
            await settle(pilot)
        await no_blink(pilot)

    assert snap_compare(frozen(after_demo_path), terminal_size=(80, 24), run_before=open_screen)


def test_followup_form(snap_compare, demo_path):
    async def open_form(pilot):
        await ready(pilot)
        await pilot.press("3", "f", *"Freeze batch jobs")
        await settle(pilot)
        await no_blink(pilot)

    assert snap_compare(frozen(demo_path), terminal_size=(80, 24), run_before=open_form)
