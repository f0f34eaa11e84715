"""What every war room screen shares: the top bar, the footer, the room's deltas and the
clock's ticks, and a wider layout when the terminal has the room.

A screen reaches the war room console it runs in through `self.console` (typed by
console/protocol.py: the room, the way to record, notices), and Textual's App through
`self.app` as any screen does."""
from __future__ import annotations

from typing import ClassVar, cast

from textual import events
from textual.app import ComposeResult
from textual.screen import Screen

from ..console.compat import spare_restyle
from ..console.protocol import Console
from ..console.views import Delta
from ..widgets.keybar import KeyBar
from ..widgets.topbar import TopBar

WIDE = 110  # columns from which screens lay their panes side by side
SLOW_TICK_MS = 5_000  # ages, slips and what is overdue move in minutes: redraw them this often


class WarScreen(Screen[None]):
    TITLE: ClassVar[str] = ""
    ROWS_LATER: ClassVar[bool] = True  # fill a frame after the screen shows: switching stays quick
    _slow_slot = 0

    def __init__(self) -> None:
        super().__init__(classes="-wide" if self.app.size.width >= WIDE else "")
        # Textual re-parses every rule before it mounts a mode's first screen (textual#5211):
        # ~20 ms on start and on each screen's first visit, which a new screen does not need.
        spare_restyle(self)

    @property
    def console(self) -> Console:
        """The war room console this screen runs in (warroom.app.WarRoomApp, which screens
        cannot import: it is above them)."""
        return cast(Console, self.app)

    def compose(self) -> ComposeResult:
        yield TopBar()
        yield from self.body()
        yield KeyBar()

    def body(self) -> ComposeResult:
        raise NotImplementedError

    def on_mount(self) -> None:
        self.console.room_changed.subscribe(self, self._changed, immediate=True)
        self.console.ticked.subscribe(self, self._tick, immediate=True)
        if self.console.room.loaded and self.ROWS_LATER:
            self.call_after_refresh(self._first_fill)  # the screen first, its rows a frame later
        elif self.console.room.loaded:
            self._first_fill()

    def _first_fill(self) -> None:
        with self.app.batch_update():
            self.show_delta(self.console.room.everything())
            self._tick(self.console.now(), force=True)
        self.set_timer(1.0, self.console.freeze_heap)  # once the first rows are in

    def on_screen_resume(self) -> None:
        self._tick(self.console.now(), force=True)

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.width >= WIDE, "-wide")

    def _tick(self, now: int, force: bool = False) -> None:
        """Every second: the top bar's clock; every few seconds, the rest of the screen."""
        if self.is_current and self.console.room.loaded:
            bar = self.query_one(TopBar)
            bar.show(self.console.header(now, bar.size.width or self.app.size.width))
            if force or now // SLOW_TICK_MS != self._slow_slot:
                self._slow_slot = now // SLOW_TICK_MS
                self.tick(now)

    def _changed(self, delta: Delta) -> None:
        self.show_delta(delta)
        if delta.initial:
            self._tick(self.console.now(), force=True)

    def show_delta(self, delta: Delta) -> None:
        """Apply what changed in the room, by key."""

    def tick(self, now: int) -> None:
        """Refresh what depends on the time of day."""
