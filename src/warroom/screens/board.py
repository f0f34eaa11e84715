"""Board: incidents and the risk register; open and update incidents, trigger or close a risk,
and record go / no-go / rollback / hold / resume decisions."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from ..console import views
from ..console.field import Done, Field
from ..console.messages import HistoryLoaded
from ..console.protocol import Console
from ..console.views import Delta
from ..console.workers import start_worker
from ..domain.kinds import DecisionKind, IncidentStatus
from ..domain.timefmt import duration
from ..store import commands
from ..widgets import badges
from ..widgets.confirm import ConfirmScreen
from ..widgets.keyed_table import Column, KeyedTable, RowData
from ..widgets.text import safe
from .base import WarScreen
from .sentence import describe

PAGE = 100
# least widths fit 80 columns; the room beyond goes to the columns that fill
INCIDENT_COLUMNS = [Column("Ref", "ref", 8), Column("Sev", "sev", 6), Column("Status", "status", 13),
                    Column("Age", "age", 6), Column("Owner", "owner", 7, fill=1), Column("Step", "step", 7, fill=1),
                    Column("Title", "title", 17, fill=6)]
RISK_COLUMNS = [Column("Crit", "crit", 10), Column("Risk", "id", 8, fill=1), Column("L×I", "li", 3),
                Column("Status", "status", 9), Column("Incident", "incident", 8),
                Column("Title", "title", 16, fill=3), Column("Mitigation", "mitigation", 10, fill=3)]
SEVERITIES = [(f"SEV{n}", n) for n in (1, 2, 3, 4)]


class BoardScreen(WarScreen):
    MODE = "board"
    TITLE = "Board"
    BINDINGS = [
        Binding("o", "open_incident", "Open incident"),
        Binding("u", "update_incident", "Update incident"),
        Binding("r", "trigger_risk", "Trigger risk"),
        Binding("x", "close_risk", "Close risk"),
        Binding("d", "decide", "Decide"),
        Binding("m", "more", "More rows"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.limit = PAGE
        self._updates: dict[str, list[dict]] = {}

    def body(self) -> ComposeResult:
        yield Static(id="board-decision")
        with Vertical(id="board-panes"):
            yield KeyedTable(INCIDENT_COLUMNS, id="board-incidents")
            yield Static(id="board-incident-detail")
            yield KeyedTable(RISK_COLUMNS, id="board-risks")

    @property
    def incidents(self) -> KeyedTable:
        return self.query_one("#board-incidents", KeyedTable)

    @property
    def risks(self) -> KeyedTable:
        return self.query_one("#board-risks", KeyedTable)

    # -- showing ---------------------------------------------------------------------------
    def show_delta(self, delta: Delta) -> None:
        room, now = self.console.room, self.console.now()
        if delta.touched("incidents"):
            changed = {str(i["number"]) for i in delta.rows.get("incidents", [])}
            for incident in delta.rows.get("incidents", []):
                self._updates.pop(incident["ref"], None)
            self._show_incidents(changed, now, delta.initial)
        if delta.touched("risks"):
            rows = room.rows("risks") if delta.initial else delta.rows["risks"]
            self.risks.upsert(self._risk_row(r) for r in rows)
        if delta.touched("decisions", "meta", "incidents"):
            self._show_decision()
            self._show_detail()

    def _show_incidents(self, changed: set[str], now: int, everything: bool) -> None:
        ranked = sorted(self.console.room.tables["incidents"].values(), key=views.incident_order)[: self.limit]
        shown = {str(i["number"]) for i in ranked}
        table = self.incidents
        self.incidents.remove_rows(table.keys - shown)
        table.upsert(self._incident_row(i, now) for i in ranked
                     if everything or str(i["number"]) in changed or str(i["number"]) not in table.keys)

    def tick(self, now: int) -> None:
        incidents = self.console.room.tables["incidents"]
        self.incidents.upsert(self._incident_row(incidents[int(k)], now) for k in self.incidents.keys)

    def _incident_row(self, incident: dict, now: int) -> RowData:
        end = incident["resolved_at"] or now
        return RowData(str(incident["number"]), views.incident_order(incident), [
            Text(incident["ref"], "bold", end=""),
            badges.severity(incident["severity"]),
            badges.incident_status(incident["status"]),
            Text(duration(end - incident["opened_at"]), end=""),
            safe(incident["owner"] or "—", limit=60),
            safe(incident["step"] or "—", limit=60),
            safe(incident["title"], limit=200),
        ])

    def _risk_row(self, risk: dict) -> RowData:
        return RowData(risk["id"], risk["position"], [
            badges.heat(risk["criticality"]),
            safe(risk["id"], limit=60),
            Text(f"{risk['likelihood']}×{risk['impact']}", end=""),
            Text(risk["status"], "bold red" if risk["status"] == "triggered" else "", end=""),
            Text(risk["incident"] or "", end=""),
            safe(risk["title"], limit=120),
            safe(risk["mitigation"], limit=200),
        ])

    def _show_decision(self) -> None:
        room = self.console.room
        latest = views.latest_decision(room)
        text = Text("Latest decision: ", "bold", end="")
        if latest is None:
            text.append("none yet", "dim")
        else:
            text.append_text(badges.decision(latest["kind"]))
            text.append_text(safe(f" {latest['decided_by']} {views.hhmm(latest['happened_at'], self.console.tz)}: "
                                  f"{latest['rationale']}", limit=200))
        if room.meta("hold"):
            text.append_text(safe(f"  ON HOLD: {room.meta('hold')}", "bold red", limit=80))
        self.query_one("#board-decision", Static).update(text, layout=False)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "board-incidents":
            self._show_detail()

    def selected_incident(self) -> dict | None:
        key = self.incidents.current_key
        return self.console.room.tables["incidents"].get(int(key)) if key else None

    def _show_detail(self) -> None:
        incident = self.selected_incident()
        detail = self.query_one("#board-incident-detail", Static)
        if incident is None:
            detail.update(Text("no incident", "dim"))
            return
        if incident["ref"] not in self._updates:
            self._updates[incident["ref"]] = []
            self.load_updates(incident["ref"])
        tz = self.console.tz
        text = Text(f"{incident['ref']} opened {views.hhmm(incident['opened_at'], tz)} ", "bold", end="")
        text.append_text(safe(f"by {incident['opened_by']}"
                              + (f" · risk {incident['risk']}" if incident["risk"] else ""),
                              limit=80))
        for event in self._updates[incident["ref"]][:2]:
            text.append(f"\n{views.hhmm(event['happened_at'], tz)} ")
            text.append_text(safe(f"{event['operator']}: {describe(event, self.console.room)}", limit=200))
        detail.update(text, layout=False)

    def load_updates(self, ref: str) -> None:
        reader = self.console.reader
        start_worker(self, lambda: HistoryLoaded("incident", ref, reader.entity_events("incident", ref, limit=5)),
                     group="reads")

    def on_history_loaded(self, message: HistoryLoaded) -> None:
        self._updates[message.key] = message.events
        self._show_detail()

    # -- actions ---------------------------------------------------------------------------
    @staticmethod
    def incident_form(console: Console) -> None:
        """The form that opens an incident: this screen's `o` and the `i` of every screen."""
        room = console.room
        running = [s["id"] for s in room.steps() if s["status"] == "in_progress"]
        console.form("Open an incident", [
            Field("title", "Title", placeholder="what is wrong, in a few words"),
            Field("severity", "Severity (1 worst)", "select", 2, SEVERITIES),
            Field("owner", "Owner role", "select", "",
                  [(safe(r["title"], limit=30), r["key"]) for r in room.rows("roles")]),
            Field("step", "Runbook step", "select", running[0] if running else "",
                  [(safe(f"{s['id']} {s['title']}", limit=40), s["id"]) for s in room.steps()]),
        ], lambda v, done: console.write(commands.open_incident, v["title"], v["severity"], step=v["step"],
                                         owner=v["owner"], then=done))

    def action_open_incident(self) -> None:
        self.incident_form(self.console)

    def action_more(self) -> None:
        self.limit += PAGE
        self._show_incidents(set(), self.console.now(), False)

    def action_update_incident(self) -> None:
        incident = self.selected_incident()
        if incident is None:
            self.console.tell("no incident to update")
            return
        statuses = [(s.value, s.value) for s in IncidentStatus]
        self.console.form(safe(f"Update {incident['ref']}: {incident['title']}", limit=120), [
            Field("status", "Status", "select", incident["status"], statuses),
            Field("severity", "Severity", "select", incident["severity"], SEVERITIES),
            Field("note", "Update", placeholder="what changed, what is being done"),
        ], lambda v, done: self.console.write(
            commands.update_incident, incident["ref"],
            status=v["status"] if v["status"] != incident["status"] else None,
            severity=v["severity"] if v["severity"] != incident["severity"] else None,
            note=v["note"], then=done))

    def _risk(self) -> dict | None:
        key = self.risks.current_key
        risk = self.console.room.tables["risks"].get(key) if key else None
        if risk is None:
            self.console.tell("no risk selected")
        return risk

    def action_trigger_risk(self) -> None:
        risk = self._risk()
        if risk is not None:
            self.console.form(
                safe(f"Risk {risk['id']} fired: {risk['title']} (opens an incident)", limit=120),
                [Field("note", "What happened")],
                lambda v, done: self.console.write(commands.trigger_risk, risk["id"], note=v["note"], then=done))

    def action_close_risk(self) -> None:
        risk = self._risk()
        if risk is not None:
            self.console.form(
                safe(f"Close risk {risk['id']}: {risk['title']}", limit=120),
                [Field("note", "Why it no longer needs watching")],
                lambda v, done: self.console.write(commands.close_risk, risk["id"], note=v["note"], then=done))

    def action_decide(self) -> None:
        incident = self.selected_incident()
        self.console.form("Record a decision", [
            Field("kind", "Decision", "select", DecisionKind.GO.value, [(k.value, k.value) for k in DecisionKind]),
            Field("decided_by", "Decided by", value=self.console.store.operator),
            Field("rationale", "Rationale"),
            Field("incident", "About incident", "select", "",
                  [(incident["ref"], incident["ref"])] if incident else []),
        ], self._decide)

    def _decide(self, values: dict, done: Done) -> None:
        def record() -> None:
            self.console.write(commands.decide, values["kind"], values["decided_by"], values["rationale"],
                               incident=values["incident"], then=done)

        if values["kind"] != DecisionKind.ROLLBACK:
            record()
            return
        deciders = views.rollback_deciders(self.console.room)
        who = ", ".join(f"{person} ({title})" for person, title in deciders) or "nobody holds such a role"
        question = safe(f"Record a ROLLBACK decided by {values['decided_by']}?\n\n"
                        f"Who may decide a rollback: {who}.\n\n"
                        "It stops the day; a mistaken entry can only be retracted, with a reason.",
                        multiline=True, limit=1000)
        self.app.push_screen(ConfirmScreen(question), lambda yes: record() if yes else None)
