"""Timeline: every journal event by when it happened, latest first (a fact typed after later
ones takes its place in time and is marked ↶), filtered by kind, operator or text; earlier pages on
demand; the selected entry can be corrected (it happened at another time) or retracted (it
did not happen): both are new journal events, the original stays, marked."""
from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Input, Select, Static

from ..console import views
from ..console.field import Done, Field
from ..console.messages import TimelineFound
from ..console.views import Delta
from ..console.workers import start_worker
from ..domain import timefmt
from ..domain.events import CORRECTIONS
from ..domain.timefmt import duration
from ..store import commands
from ..store.reader import signed
from ..widgets.journal_list import JournalList
from ..widgets.keyed_table import Column, RowData
from ..widgets.text import safe
from .base import WarScreen
from .sentence import describe

PAGE = 100
KINDS = ["step", "incident", "risk", "decision", "role", "message", "kpi", "note", "correction", "warroom"]
COLUMNS = [Column("#", "id", 6), Column("Time", "time", 14), Column("Operator", "operator", 12),
           Column("Action", "action", 15), Column("What", "what", 20, fill=1)]


class TimelineScreen(WarScreen):
    MODE = "timeline"
    TITLE = "Timeline"
    BINDINGS = [
        Binding("slash", "find", "Filter", key_display="/"),
        Binding("m", "more", "Earlier events"),
        Binding("c", "correct", "Correct time"),
        Binding("x", "retract", "Retract"),
        Binding("escape", "to_table", "Back to the list", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.limit = PAGE
        self._events: dict[str, dict] = {}  # the events the table shows, by key
        self._detail_key: str | None = None

    def body(self) -> ComposeResult:
        with Horizontal(id="timeline-filters"):
            yield Select([(k, k) for k in KINDS], prompt="any kind", id="timeline-kind", compact=True)
            yield Input(placeholder="operator", id="timeline-operator", compact=True)
            yield Input(placeholder="text", id="timeline-text", compact=True)
        yield JournalList(COLUMNS, limit=self.limit, id="timeline-table")
        yield Static(id="timeline-detail")

    def on_mount(self) -> None:
        super().on_mount()
        self.table.focus()

    @property
    def table(self) -> JournalList:
        return self.query_one("#timeline-table", JournalList)

    def filters(self) -> tuple[str, str, str]:
        kind = self.query_one("#timeline-kind", Select).value
        return ("" if kind is Select.NULL else str(kind),
                self.query_one("#timeline-operator", Input).value.strip(),
                self.query_one("#timeline-text", Input).value.strip())

    def show_delta(self, delta: Delta) -> None:
        kind, operator, text = self.filters()
        events = delta.events[-self.limit:]
        refolded = [self._events[str(i)] | {"effect": e} for i, e in delta.effects.items() if str(i) in self._events]
        self.table.upsert(self._row(e) for e in [*events, *refolded] if views.event_matches(e, kind, operator, text))
        if delta.initial or refolded:
            self._show_detail()

    def _row(self, event: dict) -> RowData:
        self._events[str(event["id"])] = event
        late = event.get("typed_after") is not None
        when = Text(views.since(event["happened_at"], self.console.now(), self.console.tz, seconds=True), end="")
        if late:
            when.append(" ↶", "bold yellow")
        return RowData(str(event["id"]), (event["happened_at"], event["id"]), [
            Text(str(event["id"]), "dim", end=""),
            when,
            safe(event["operator"], limit=40),
            Text(event["action"], "bold", end=""),
            safe(describe(event, self.console.room), limit=240),
        ])

    # -- filtering and paging --------------------------------------------------------------
    @on(Select.Changed, "#timeline-kind")
    @on(Input.Changed)
    def refilter(self) -> None:
        self.limit = PAGE
        self.table.limit = PAGE
        self.search(None, self.filters(), replace=True)

    def search(self, before: tuple[int, int] | None, filters: tuple[str, str, str], replace: bool) -> None:
        """A page of events older than `before` (the latest when None); a newer search cancels this one."""
        reader = self.console.reader
        start_worker(self, lambda: TimelineFound(reader.events_page(before, PAGE, *filters), filters, replace),
                     group="timeline", exclusive=True)

    def on_timeline_found(self, message: TimelineFound) -> None:
        if message.filters != self.filters():
            return  # the filter changed meanwhile: another search is on its way
        with self.app.batch_update():
            if message.replace:
                self.table.remove_rows(self.table.keys - {str(e["id"]) for e in message.events})
            self.table.upsert(self._row(e) for e in message.events)
        self._show_detail()

    def action_more(self) -> None:
        oldest = self.table.oldest_order()
        if oldest is None:
            return
        self.limit += PAGE
        self.table.limit = self.limit
        self.search(oldest, self.filters(), replace=False)

    def action_find(self) -> None:
        self.query_one("#timeline-text", Input).focus()

    def action_to_table(self) -> None:
        self.table.focus()

    # -- the selected event in full --------------------------------------------------------
    def on_journal_list_highlighted(self, event: JournalList.Highlighted) -> None:
        if event.key != self._detail_key:
            self._show_detail()

    def _show_detail(self) -> None:
        key = self.table.current_key
        if len(self._events) > 2 * self.limit:
            self._events = {k: e for k, e in self._events.items() if k in self.table.keys}
        event = self._events.get(key) if key else None
        detail = self.query_one("#timeline-detail", Static)
        self._detail_key = key if event else None
        if event is None:
            detail.update(Text(f"{self.table.row_count} events shown; m for older ones", "dim"), layout=False)
            return
        tz = self.console.tz
        text = Text(f"#{event['id']} {views.day_time(event['happened_at'], tz)} ", "bold", end="")
        if event.get("typed_after") is not None:
            late = duration(event["recorded_at"] - event["happened_at"])
            text.append(f"↶ typed late ({late} after, at {views.day_time(event['recorded_at'], tz)}) ", "yellow")
        text.append_text(safe(f"{signed(event['operator'], event.get('login'))} · {event['action']}", limit=200))
        text.append("\n")
        text.append_text(safe(describe(event, self.console.room), multiline=True, limit=2000))
        detail.update(text, layout=False)

    # -- corrections -----------------------------------------------------------------------
    def _selected(self) -> dict | None:
        event = self._events.get(self.table.current_key or "")
        if event is None:
            self.console.tell("no entry selected")
        elif event["action"] == "init":
            self.console.tell("the war room's creation from its plan cannot be corrected")
            event = None
        return event

    def action_correct(self) -> None:
        event = self._selected()
        if event is None or event["action"] in CORRECTIONS:
            if event is not None:
                self.console.tell("a correction is not corrected: retract it (x) and record the right one")
            return
        shown = views.day_time(event["happened_at"], self.console.tz)
        typed = timefmt.show(event["happened_at"], self.console.tz, "%Y-%m-%dT%H:%M")
        self.console.form(safe(f"#{event['id']} did not happen at {shown}", limit=120), [
            Field("at", "When it really happened", value=typed),
            Field("why", "Why the time was wrong"),
        ], lambda v, done: self._correct(event["id"], v, done))

    def _correct(self, event_id: int, values: dict, done: Done) -> None:
        try:
            steps = self.console.room.steps()
            earliest = min((s["planned_start"] for s in steps), default=None)
            at = timefmt.parse_at(values["at"], self.console.now(), self.console.tz, earliest)
        except ValueError as exc:
            self.console.tell(str(exc), "error")
            return
        self.console.write(commands.correct, event_id, at, values["why"], then=done)

    def action_retract(self) -> None:
        event = self._selected()
        if event is None:
            return
        self.console.form(safe(f"#{event['id']} did not happen: {describe(event, self.console.room)}", limit=160), [
            Field("why", "Why it did not happen (the journal keeps the entry, marked)"),
        ], lambda v, done: self.console.write(commands.retract, event["id"], v["why"], then=done))
