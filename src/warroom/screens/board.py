"""Board: incidents, the risk register and the follow-ups; open and update incidents, trigger or
close a risk, add a follow-up and close it, and record go / no-go / rollback / hold / resume
decisions."""
from __future__ import annotations

from rich.text import Text
from textual import events
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
from ..domain import figures, followups
from ..domain.kinds import DecisionKind, FollowupStatus, IncidentStatus, Priority
from ..domain.timefmt import duration, parse_due
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
FOLLOWUP_COLUMNS = [Column("Ref", "ref", 5), Column("Pri", "priority", 3), Column("Due", "due", 12),
                    Column("Owner", "owner", 7, fill=1), Column("About", "about", 8, fill=1),
                    Column("Follow-up", "title", 16, fill=6)]
SEVERITIES = [(f"SEV{n}", n) for n in (1, 2, 3, 4)]
PRIORITIES = [(p.value, p.value) for p in Priority]
OUTCOMES = [("done", "done"), ("dropped (not worth doing after all)", "drop")]
NO_INCIDENT = "none"  # the option of a follow-up about no incident (an incident's ref is INC-n)
CLOSED_LOOK = {FollowupStatus.DONE: ("✓ done", "green"), FollowupStatus.DROPPED: ("✗ dropped", "dim")}
HOUR, DAY = 3_600_000, 86_400_000


class BoardScreen(WarScreen):
    MODE = "board"
    TITLE = "Board"
    BINDINGS = [
        Binding("o", "open_incident", "Open incident"),
        Binding("u", "update_incident", "Update incident"),
        Binding("r", "trigger_risk", "Trigger risk"),
        Binding("x", "close_risk", "Close risk"),
        Binding("d", "decide", "Decide"),
        Binding("f", "add_followup", "Follow-up"),
        Binding("c", "close_followup", "Close follow-up"),
        Binding("m", "more", "More rows", show=False),  # past the first PAGE incidents; the footer is full
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
            yield KeyedTable(FOLLOWUP_COLUMNS, id="board-followups")

    @property
    def incidents(self) -> KeyedTable:
        return self.query_one("#board-incidents", KeyedTable)

    @property
    def risks(self) -> KeyedTable:
        return self.query_one("#board-risks", KeyedTable)

    @property
    def followups(self) -> KeyedTable:
        return self.query_one("#board-followups", KeyedTable)

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
        if delta.touched("followups"):
            followups = room.rows("followups", "number") if delta.initial else delta.rows.get("followups", [])
            self.followups.remove_rows(str(k) for k in delta.removed.get("followups", []))
            self.followups.upsert(self._followup_row(f, now) for f in followups)
        if delta.touched("decisions", "meta", "incidents", "followups"):
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
        followups = self.console.room.tables["followups"].values()
        self.followups.upsert(self._followup_row(f, now) for f in followups if f["status"] == FollowupStatus.OPEN)

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

    def _followup_row(self, followup: dict, now: int) -> RowData:
        closed = followup["status"] != FollowupStatus.OPEN
        return RowData(str(followup["number"]), followups.order(followup), [
            Text(followup["ref"], "dim" if closed else "bold", end=""),
            Text(followup["priority"], "dim" if closed else "bold" if followup["priority"] == "P1" else "", end=""),
            _due(followup, now),
            safe(followup["owner"], limit=60),
            safe(followup["incident"] or followup["step"] or "—", limit=60),
            safe(followup["title"], "dim" if closed else "", limit=200),
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
        if event.data_table.id in ("board-incidents", "board-followups"):
            self._show_detail()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        self._show_detail()  # the follow-ups' details while they have the focus, else the incident's

    def selected_incident(self) -> dict | None:
        key = self.incidents.current_key
        return self.console.room.tables["incidents"].get(int(key)) if key else None

    def selected_followup(self) -> dict | None:
        key = self.followups.current_key
        return self.console.room.tables["followups"].get(int(key)) if key else None

    def _show_detail(self) -> None:
        detail = self.query_one("#board-incident-detail", Static)
        if self.followups.has_focus:
            followup = self.selected_followup()
            detail.update(self._followup_detail(followup) if followup else Text("no follow-up", "dim"), layout=False)
            return
        incident = self.selected_incident()
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

    def _followup_detail(self, followup: dict) -> Text:
        """What the table cuts: its whole title, priority, owner and what it follows up; how
        it was closed; when it is due and who added it."""
        tz = self.console.tz
        about = followup["incident"] or followup["step"]
        text = Text(f"{followup['ref']} {followup['priority']} ", "bold", end="")
        owner = f" · owner {followup['owner']}" + (f" · about {about}" if about else "")
        text.append_text(safe(followup["title"] + owner, limit=300))
        if followup["status"] != FollowupStatus.OPEN:
            text.append(f"\n{followup['status']} {views.day_time(followup['closed_at'], tz)} ", "bold")
            text.append_text(safe(f"by {followup['closed_by']}: {followup['note']}", limit=300))
        text.append("\n").append_text(safe(f"due {views.day_time(followup['due'], tz)} · added "
                                           f"{views.day_time(followup['opened_at'], tz)} by {followup['opened_by']}",
                                           "dim", limit=200))
        return text

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

    def action_add_followup(self) -> None:
        """A follow-up, about the selected incident unless another is picked (or none)."""
        room, incident = self.console.room, self.selected_incident()
        roles = [(safe(r["title"], limit=30), r["key"]) for r in room.rows("roles")]
        incidents = sorted(room.tables["incidents"].values(), key=views.incident_order)
        self.console.form("Add a follow-up: work the go-live leaves behind", [
            Field("title", "Title", placeholder="what is to be done, in a few words"),
            Field("owner", "Owner role", "select", incident["owner"] if incident and incident["owner"] else roles[0][1],
                  roles),
            Field("priority", "Priority (P1 most urgent)", "select", Priority.P3.value, PRIORITIES),
            Field("due", "Due: a date (by the end of that day), an ISO time or H+14d; empty: none",
                  placeholder="e.g. 2026-12-15, or H+14d"),
            Field("incident", "About incident", "select", incident["ref"] if incident else NO_INCIDENT,
                  [("none", NO_INCIDENT), *((safe(f"{i['ref']} {i['title']}", limit=40), i["ref"])
                                            for i in incidents)]),
        ], self._add_followup)

    def _add_followup(self, values: dict, done: Done) -> None:
        room = self.console.room
        try:
            due = parse_due(values["due"], golive=room.golive, tz=self.console.tz) if values["due"] else None
        except ValueError as exc:
            self.console.tell(f"due: {exc}", "error")
            return
        incident = None if values["incident"] == NO_INCIDENT else values["incident"]
        self.console.write(commands.add_followup, values["title"], values["owner"], due=due,
                           priority=values["priority"], incident=incident, then=done)

    def action_close_followup(self) -> None:
        followup = self.selected_followup()
        if followup is None:
            self.console.tell("no follow-up selected")
            return
        if followup["status"] != FollowupStatus.OPEN:
            self.console.tell(f"{followup['ref']} is already {followup['status']}")
            return
        self.console.form(safe(f"Close {followup['ref']}: {followup['title']}", limit=120), [
            Field("outcome", "Outcome", "select", "done", OUTCOMES),
            Field("note", "What was done, or why it is dropped"),
        ], lambda v, done: self.console.write(commands.close_followup, followup["ref"], v["outcome"], v["note"],
                                              then=done))

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


def _due(followup: dict, now: int) -> Text:
    """'overdue 2d' (in red), 'in 5d', '—' (no due date); a closed one's outcome."""
    if followup["status"] != FollowupStatus.OPEN:
        word, style = CLOSED_LOOK[FollowupStatus(followup["status"])]
        return Text(word, style, end="")
    if followup["due"] is None:
        return Text("—", "dim", end="")
    if figures.is_overdue(followup, now):
        return Text(f"overdue {_roughly(now - followup['due'])}", "bold white on red", end="")
    return Text(f"in {_roughly(followup['due'] - now)}", end="")


def _roughly(ms: int) -> str:
    """A span in its largest unit: '2d', '5h', '12m'."""
    unit = DAY if ms >= DAY else HOUR if ms >= HOUR else 60_000
    return duration(ms - ms % unit)
