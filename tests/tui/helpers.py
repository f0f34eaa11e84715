"""Helpers for the console tests: a frozen clock, waiting for the console, reading the file."""
from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import TextArea

from warroom.app import WarRoomApp
from warroom.domain import timefmt

# "now" for every frozen console: a past instant, so that the store accepts every `at`
NOW = timefmt.to_ms(datetime(2026, 3, 10, 23, 30, tzinfo=UTC))
HOSTILE = ["[/]", "[bold red]alarm[/bold red]", "\x1b[2J\x1b[31mESC\x1b[0m", "bell\x07 NUL\x00",
           "tab\there\r\nnew line", "Déploiement échoué — café", "🔥🚀 👩‍💻", "שלום עולם مرحبا",
           "\u202eevil override", "x" * 5000]


def frozen(path: Path, operator: str = "Alice Martin", **kwargs) -> WarRoomApp:
    return WarRoomApp(path, operator, now_ms=lambda: NOW, **kwargs)


def rows(path: Path, sql: str, params=()) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql, params).fetchall()


async def ready(pilot: Pilot) -> None:
    """The room is loaded and every worker has finished."""
    app = pilot.app
    await until(pilot, lambda: app.room.loaded)
    await settle(pilot)


async def settle(pilot: Pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def until(pilot: Pilot, condition, timeout: float = 5.0) -> None:
    """Wait for the console to show something (the feed polls every 100 ms)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the console did not get there in time")
        await pilot.pause(0.05)
    await settle(pilot)


async def type_into(pilot: Pilot, selector: str, text: str) -> None:
    """Put text in a form field as if pasted (hostile text cannot be typed key by key)."""
    widget = pilot.app.screen.query_one(selector)
    if isinstance(widget, TextArea):
        widget.text = text
    else:
        widget.value = text
    await pilot.pause()


async def no_blink(pilot: Pilot) -> None:
    for widget in pilot.app.screen.query("Input, TextArea"):
        widget.cursor_blink = False
    await pilot.pause()
