"""What the screens use of the console they run in (the App, warroom/app.py), as a type.

Screens sit below the App in the layers, so they cannot import it, not even for typing.
They reach it through `WarScreen.console`, typed by this protocol; what is Textual's own
(`batch_update`, `push_screen`, `size`, ...) they reach through `self.app` as usual. The
App is checked against it where it hands itself to a screen's code (BoardScreen.incident_form)."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from rich.text import Text
from textual.notifications import SeverityLevel
from textual.signal import Signal

from ..store.store import Store
from .field import Field, Submit
from .views import Delta, Reader, Room


class Console(Protocol):
    """One war room console: its mirror of the room, the way it records, what it says."""

    @property
    def room(self) -> Room:
        """The console's mirror of the war room, moved by the change feed."""

    @property
    def store(self) -> Store:
        """The war room's file, as this console writes it (its operator, read-only or not)."""

    @property
    def reader(self) -> Reader:
        """Reads of the journal beyond the mirror (an entity's history, a timeline page), for workers."""

    @property
    def tz(self) -> ZoneInfo:
        """The war room's time zone, in which every time is shown."""

    @property
    def room_changed(self) -> Signal[Delta]:
        """Published with each delta, once the mirror holds it."""

    @property
    def ticked(self) -> Signal[int]:
        """Published every second with the time (ms)."""

    def now(self) -> int:
        """The time, in ms since the epoch (a fixed clock in tests)."""

    def write(self, command: Callable[..., dict[str, Any] | None], *args: Any,
              then: Callable[[Any], None] | None = None,
              **kwargs: Any) -> None:
        """Record something with a store command, in the background; `then(result)` once accepted."""

    def form(self, title: Text | str, fields: Iterable[Field], on_submit: Submit) -> None:
        """Open a form, unless this console does not record (it says why)."""

    def tell(self, message: str, severity: SeverityLevel = "warning") -> None:
        """A notice that may quote typed text: shown literally."""

    def header(self, now: int, width: int) -> Text:
        """The top bar's line in `width` cells."""

    def freeze_heap(self) -> None:
        """Keep what lives all day out of the full garbage collections."""
