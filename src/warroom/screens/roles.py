"""Roles: who holds which role, how to reach them and since when; assign or hand over, with
every past holder kept."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable

from ..console import views
from ..console.field import Field
from ..console.views import Delta
from ..store import commands
from ..widgets.keyed_table import Column, KeyedTable, RowData
from ..widgets.text import safe
from .base import WarScreen

ROLE_COLUMNS = [Column("Role", "role", 16, fill=1), Column("Held by", "person", 14, fill=1),
                Column("Contact", "contact", 14, fill=2), Column("Since", "since", 12),
                Column("Rollback", "rollback", 10)]
HISTORY_COLUMNS = [Column("From", "from", 12), Column("To", "to", 12), Column("Person", "person", 18, fill=1),
                   Column("Contact", "contact", 20, fill=2)]


class RolesScreen(WarScreen):
    MODE = "roles"
    TITLE = "Roles"
    BINDINGS = [Binding("a", "assign", "Assign / hand over")]

    def body(self) -> ComposeResult:
        with Horizontal(id="roles-panes"):
            yield KeyedTable(ROLE_COLUMNS, id="roles-table")
            yield KeyedTable(HISTORY_COLUMNS, newest_first=True, id="roles-history")

    @property
    def table(self) -> KeyedTable:
        return self.query_one("#roles-table", KeyedTable)

    def show_delta(self, delta: Delta) -> None:
        if delta.touched("roles", "assignments"):
            self.tick(self.console.now())
            self._show_history()

    def tick(self, now: int) -> None:
        """'Since' drops to the date once the hand-over is a day old."""
        holders = views.holders(self.console.room)
        self.table.upsert(self._role_row(r, holders.get(r["key"]), now) for r in self.console.room.rows("roles"))

    def _role_row(self, role: dict, holder: dict | None, now: int) -> RowData:
        return RowData(role["key"], role["position"], [
            safe(role["title"], "bold", limit=60),
            safe(holder["person"], limit=60) if holder else Text("nobody", "bold red", end=""),
            safe(holder["contact"] if holder else "", limit=60),
            Text(views.since(holder["started_at"], now, self.console.tz) if holder else "", end=""),
            Text("may decide" if role["may_decide_rollback"] else "", "bold", end=""),
        ])

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "roles-table":
            self._show_history()

    def _show_history(self) -> None:
        role = self.table.current_key
        history = self.query_one("#roles-history", KeyedTable)
        assignments = views.role_history(self.console.room, role) if role else []
        title = self.console.room.tables["roles"][role]["title"] if role else ""
        history.border_title = safe(f"Who held {title}" if role else "Who held the role", limit=60)
        history.remove_rows(history.keys - {str(a["id"]) for a in assignments})
        history.upsert(self._history_row(a) for a in assignments)

    def _history_row(self, assignment: dict) -> RowData:
        tz = self.console.tz
        return RowData(str(assignment["id"]), assignment["id"], [
            Text(views.day_time(assignment["started_at"], tz)[4:], end=""),
            Text(views.day_time(assignment["ended_at"], tz)[4:] if assignment["ended_at"] else "now", end=""),
            safe(assignment["person"], limit=60),
            safe(assignment["contact"], limit=60),
        ])

    def action_assign(self) -> None:
        role_key = self.table.current_key
        role = self.console.room.tables["roles"].get(role_key) if role_key else None
        if role_key is None or role is None:
            self.console.tell("pick a role first")
            return
        holder = views.holders(self.console.room).get(role_key)
        title = safe(f"{role['title']}: assign or hand over"
                     + (f" (now {holder['person']})" if holder else ""), limit=120)
        self.console.form(title, [
            Field("person", "Person"),
            Field("contact", "Contact (phone, chat handle)"),
        ], lambda v, done: self.console.write(commands.assign, role_key, v["person"], contact=v["contact"] or "",
                                              then=done))
