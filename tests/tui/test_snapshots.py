"""Every screen at 80x24 and 120x40 on the demo day, at a fixed minute (the frozen clock)."""
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
