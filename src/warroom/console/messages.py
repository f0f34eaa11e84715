"""Every message the console's background work hands back with (console/workers.py posts
them), each handled by an `on_<name>` method of whoever started the work. Failures are not
messages: the App's one `worker_changed` handler tells them. None bubbles: each goes to the
node that started the work (the App, or a screen).

A widget's own public message (JournalList.Highlighted, like DataTable.RowHighlighted) stays
with its widget, as Textual does it."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual.message import Message

from .views import Delta


class FeedDelta(Message, bubble=False):
    """What the change feed found (or the first read of the room). A newer one supersedes a
    queued one: the cursors only move when a delta is applied, so the newer one holds
    everything the older one did."""

    def __init__(self, delta: Delta):
        super().__init__()
        self.delta = delta

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, FeedDelta) and not (self.delta.initial or message.delta.initial)


@dataclass
class Recorded(Message, bubble=False):
    """A command was accepted: `then(result)` (a form closes). What it changed comes by the feed."""

    result: Any
    then: Callable[[Any], None] | None = None


@dataclass
class Exported(Message, bubble=False):
    """The report is written at `path` (absolute): `then(path)`."""

    path: Path
    then: Callable[[Any], None]


@dataclass
class Rescued(Message, bubble=False):
    """What a console that stopped recording still saw: saved at `path`, or not, and why."""

    path: Path | None
    reason: str = ""


@dataclass
class HistoryLoaded(Message, bubble=False):
    """The latest journal events of one entity (a step, an incident), newest first."""

    entity: str
    key: str
    events: list[dict]


@dataclass
class TimelineFound(Message, bubble=False):
    """A page of the timeline, found with `filters` (kind, operator, text); `replace`: the
    page replaces what the list shows (a new filter), rather than adding to it (older events)."""

    events: list[dict]
    filters: tuple[str, str, str]
    replace: bool
