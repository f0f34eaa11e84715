"""Comms: when each audience is owed an update, the log of every message by audience and
channel, a draft filled with the live state, and marking a draft sent."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from ..console import views
from ..console.field import Field
from ..console.views import Delta
from ..domain.timefmt import duration
from ..domain.visible import visible
from ..store import commands
from ..widgets.keyed_table import Column, KeyedTable, RowData
from ..widgets.text import safe
from .base import WarScreen

DUE_COLUMNS = [Column("Audience", "audience", 20, fill=1), Column("Channel", "channel", 10, fill=2),
               Column("Last sent", "last", 9), Column("Ago", "ago", 7), Column("Next due", "next", 8),
               Column("", "when", 12, fill=1)]
LOG_COLUMNS = [Column("#", "id", 4), Column("Time", "time", 5), Column("Audience", "audience", 12, fill=1),
               Column("Channel", "channel", 8, fill=1), Column("Status", "status", 6), Column("By", "by", 10, fill=1),
               Column("Text", "text", 19, fill=6)]


class CommsScreen(WarScreen):
    MODE = "comms"
    TITLE = "Comms"
    BINDINGS = [
        Binding("m", "message", "New message"),
        Binding("s", "send", "Mark sent"),
        Binding("f", "filter", "Only this audience"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.audience: str | None = None  # the log shows only this audience when set

    def body(self) -> ComposeResult:
        with Vertical(id="comms-panes"):
            yield KeyedTable(DUE_COLUMNS, id="comms-due")
            yield KeyedTable(LOG_COLUMNS, newest_first=True, id="comms-log")
            yield Static(id="comms-text")

    @property
    def due(self) -> KeyedTable:
        return self.query_one("#comms-due", KeyedTable)

    @property
    def messages_table(self) -> KeyedTable:
        return self.query_one("#comms-log", KeyedTable)

    def show_delta(self, delta: Delta) -> None:
        if delta.touched("messages", "audiences"):
            self._show_due(self.console.now())
            rows = self.console.room.tables["messages"].values() if delta.initial else delta.rows.get("messages", [])
            self.messages_table.remove_rows(str(k) for k in delta.removed.get("messages", []))
            self.messages_table.upsert(self._message_row(m) for m in rows if self._wanted(m))
            self._show_text()

    def tick(self, now: int) -> None:
        self._show_due(now)

    def _wanted(self, message: dict) -> bool:
        return self.audience is None or message["audience"] == self.audience

    def _show_due(self, now: int) -> None:
        tz = self.console.tz
        rows: list[RowData] = []
        for due in views.comms_due(self.console.room):
            if due.next_due is None:
                when = Text("nothing owed", "dim", end="")
            elif due.overdue(now):
                when = Text(f" OVERDUE by {duration(now - due.next_due)} ", "bold white on red", end="")
            else:
                when = Text(f"in {duration(due.next_due - now)}", end="")
            rows.append(RowData(due.key, len(rows), [
                safe(due.title, "bold", limit=100), safe(due.channel, limit=100),
                Text(views.hhmm(due.last_sent, tz) if due.last_sent else "never", end=""),
                Text(duration(now - due.last_sent) if due.last_sent else "", end=""),
                Text(views.hhmm(due.next_due, tz), end=""), when]))
        self.due.upsert(rows)

    def _message_row(self, message: dict) -> RowData:
        return RowData(str(message["id"]), message["id"], [
            Text(str(message["id"]), end=""),
            Text(views.hhmm(message["sent_at"] or message["happened_at"], self.console.tz), end=""),
            safe(message["audience"], limit=60), safe(message["channel"], limit=100),
            Text(message["status"], "bold yellow" if message["status"] == "draft" else "green", end=""),
            safe(message["operator"], limit=60),
            safe(message["text"], limit=200),
        ])

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "comms-log":
            self._show_text()

    def selected_message(self) -> dict | None:
        key = self.messages_table.current_key
        return self.console.room.tables["messages"].get(int(key)) if key else None

    def _show_text(self) -> None:
        message = self.selected_message()
        text = safe(message["text"], multiline=True, limit=2000) if message else Text("no message yet", "dim")
        self.query_one("#comms-text", Static).update(text, layout=False)

    # -- actions ---------------------------------------------------------------------------
    def action_filter(self) -> None:
        self.audience = None if self.audience else self.due.current_key
        messages = self.console.room.tables["messages"].values()
        self.messages_table.remove_rows(self.messages_table.keys - {str(m["id"]) for m in messages if self._wanted(m)})
        self.messages_table.upsert(self._message_row(m) for m in messages if self._wanted(m))
        self.messages_table.border_title = safe(f"Log: {self.audience}" if self.audience else "Log: every audience",
                                                limit=40)
        self._show_text()

    def action_message(self) -> None:
        room = self.console.room
        audiences = room.rows("audiences")
        if not audiences:
            self.console.tell("this war room has no audience")
            return
        chosen = self.due.current_key or audiences[0]["key"]
        self.console.form("New message (a draft from the live state: edit it)", [
            Field("audience", "Audience", "select", chosen,
                  [(safe(a["title"], limit=30), a["key"]) for a in audiences]),
            Field("channel", "Channel (blank: the audience's own)"),
            Field("text", "Text", "text", visible(views.draft(room, self.console.now()))),
            Field("draft", "Keep as a draft (not sent yet)", "check", False),
        ], lambda v, done: self.console.write(commands.log_message, v["audience"], v["text"],
                                              channel=v["channel"] or None, draft=v["draft"], then=done))

    def action_send(self) -> None:
        message = self.selected_message()
        if message is None or message["status"] != "draft":
            self.console.tell("pick a draft message in the log to mark it sent")
            return
        self.console.write(commands.send_message, message["id"])
