"""The board as it stood at a moment, rebuilt from the journal.

The `init` event carries the plan's YAML; every later event carries what it changed. The
board holds the war room's entities (steps, sign-offs, incidents, risks, decisions,
assignments) as rows shaped like the state tables, so that it stays small however long the
journal is; messages, notes and KPI readings are logs, tallied in SQL (tallies.py).

"As it stood at T" replays, in journal order, every event that happened at or before T;
the plan (`init`) always applies, whenever the file was created.
"""
from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Iterable

from ..domain.kinds import DecisionKind, IncidentStatus, RiskStatus, StepStatus, Verdict
from ..plan.loader import Plan, load_plan_text
from . import source
from .source import Row

ENDED = {StepStatus.DONE, StepStatus.FAILED, StepStatus.SKIPPED}
MITIGATED = {IncidentStatus.MITIGATED, IncidentStatus.RESOLVED}
HOLDING = {DecisionKind.NO_GO, DecisionKind.HOLD}
RELEASING = {DecisionKind.GO, DecisionKind.RESUME}


def incident_number(ref: str) -> int:
    """'INC-12' -> 12."""
    return int(ref.removeprefix("INC-"))


class JournalError(ValueError):
    """A journal the board cannot be rebuilt from."""


class Board:
    """The war room's entities, built from the init event's plan, then moved by events."""

    def __init__(self, init: Row, payload: dict):
        self.plan = _plan(init, payload)
        self.meta = {"name": self.plan.name, "timezone": self.plan.timezone,
                     "golive": str(self.plan.golive), "hold": ""}
        self.roles = {r.key: _role_row(r, i, init.id) for i, r in enumerate(self.plan.roles)}
        self.steps = {s.id: _step_row(s, i, init.id) for i, s in enumerate(self.plan.steps)}
        self.risks = {r.id: _risk_row(r, i, init.id) for i, r in enumerate(self.plan.risks)}
        self.audiences = {a.key: _audience_row(a, i, init.id) for i, a in enumerate(self.plan.audiences)}
        self.kpis = {k.key: k.model_dump() | {"position": i, "rev": init.id} for i, k in enumerate(self.plan.kpis)}
        self.assignments = [_assignment(i + 1, p.role, p.person, p.contact, init)
                            for i, p in enumerate(self.plan.people)]
        self._holding: dict[str, list[dict]] = defaultdict(list)  # role -> open assignments, oldest first
        for assignment in self.assignments:
            self._holding[assignment["role"]].append(assignment)
        self.signoffs: list[dict] = []
        self.incidents: dict[int, dict] = {}
        self.decisions: list[dict] = []
        self.attempts: dict[str, list[dict]] = defaultdict(list)  # step -> each start and how it ended
        self.risk_fired_at: dict[str, int] = {}

    @property
    def golive(self) -> int:
        return self.plan.golive

    def apply(self, event: Row) -> None:
        if event.action in source.LOG_ACTIONS:
            return  # messages, notes, KPI readings move nothing on the board
        handler = _HANDLERS.get(event.action) or _HANDLERS.get(event.action.split(".", 1)[0])
        if handler is None:
            raise JournalError(f"event {event.id}: unknown action {event.action!r}")
        try:
            handler(self, event, json.loads(event.payload))
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            raise JournalError(f"event {event.id} ({event.action}) does not apply: {exc!r}") from None

    # -- runbook -------------------------------------------------------------------------
    def _step(self, e: Row, p: dict) -> None:
        row = self.steps[e.entity_id]
        action = e.action.split(".", 1)[1]
        row["status"] = p["to"]
        if action == "start":
            row["started_at"] = e.happened_at
        row["ended_at"] = e.happened_at if p["to"] in ENDED else None
        row["reason"] = p["note"] or None
        row["forced"] = int(bool(p["forced"]) or bool(row["forced"]))
        row["rev"] = e.id
        self._attempt(e, p)

    def _attempt(self, e: Row, p: dict) -> None:
        attempts = self.attempts[e.entity_id]
        if p["to"] == StepStatus.IN_PROGRESS:
            attempts.append({"started_at": e.happened_at, "ended_at": None, "status": p["to"], "note": p["note"]})
        elif attempts and attempts[-1]["ended_at"] is None and p["to"] in ENDED:
            attempts[-1].update(ended_at=e.happened_at, status=p["to"], note=p["note"] or attempts[-1]["note"])

    def _signoff(self, e: Row, p: dict) -> None:
        self.signoffs.append({
            "id": len(self.signoffs) + 1, "gate": e.entity_id, "role": p["role"],
            "verdict": p["verdict"], "signed_by": e.operator, "comment": p["note"],
            "happened_at": e.happened_at, "recorded_at": e.recorded_at, "rev": e.id})
        row = self.steps[e.entity_id]
        passed = p["gate_state"] == "passed"
        row["status"] = StepStatus.DONE.value if passed else StepStatus.IN_PROGRESS.value
        row["started_at"] = row["started_at"] if row["started_at"] is not None else e.happened_at
        row["ended_at"] = e.happened_at if passed else None
        row["rev"] = e.id
        if p["verdict"] == Verdict.NO_GO:
            self.meta["hold"] = f"no-go from {p['role']} at gate {e.entity_id}"

    # -- incidents and risks -------------------------------------------------------------
    def _open_incident(self, e: Row, p: dict) -> None:
        self._add_incident(e, p["ref"], p["title"], p["severity"], p["owner"], p["step"], p["risk"])

    def _add_incident(self, e: Row, ref: str, title: str, severity: int, owner, step, risk) -> None:
        number = incident_number(ref)
        self.incidents[number] = {
            "number": number, "ref": ref, "title": title, "severity": severity,
            "status": IncidentStatus.OPEN.value, "owner": owner, "step": step, "risk": risk,
            "opened_at": e.happened_at, "mitigated_at": None, "resolved_at": None,
            "opened_by": e.operator, "recorded_at": e.recorded_at, "rev": e.id}

    def _update_incident(self, e: Row, p: dict) -> None:
        row = self.incidents[incident_number(e.entity_id)]
        if p["status"] != p["from"]:  # a note-only update changes no status
            row["status"] = p["status"]
            if p["status"] in MITIGATED and row["mitigated_at"] is None:
                row["mitigated_at"] = e.happened_at
            row["resolved_at"] = e.happened_at if p["status"] == IncidentStatus.RESOLVED else None
        if p["severity"] != p["previous_severity"]:
            row["severity"] = p["severity"]
        row["rev"] = e.id

    def _trigger_risk(self, e: Row, p: dict) -> None:
        risk = self.risks[e.entity_id]
        risk.update(status=RiskStatus.TRIGGERED.value, incident=p["incident"], rev=e.id)
        self.risk_fired_at[e.entity_id] = e.happened_at
        self._add_incident(e, p["incident"], p["title"], p["severity"], p["owner"], p["step"], e.entity_id)

    def _close_risk(self, e: Row, p: dict) -> None:
        self.risks[e.entity_id].update(status=RiskStatus.CLOSED.value, rev=e.id)

    # -- decisions and roles -------------------------------------------------------------
    def _decide(self, e: Row, p: dict) -> None:
        self.decisions.append({
            "id": p["id"], "kind": p["kind"], "decided_by": p["decided_by"], "recorded_by": e.operator,
            "rationale": p["rationale"], "step": p["step"], "incident": p["incident"],
            "forced": int(p["forced"]), "supersedes": p["supersedes"],
            "happened_at": e.happened_at, "recorded_at": e.recorded_at, "rev": e.id})
        if p["kind"] in HOLDING:
            self.meta["hold"] = f"{p['kind']} decided by {p['decided_by']}"
        elif p["kind"] in RELEASING:
            self.meta["hold"] = ""

    def _assign(self, e: Row, p: dict) -> None:
        holding = self._holding[p["role"]]
        if holding:  # like the command: the oldest open assignment of the role ends
            holding.pop(0).update(ended_at=e.happened_at, rev=e.id)
        new = _assignment(len(self.assignments) + 1, p["role"], p["person"], p["contact"], e)
        self.assignments.append(new)
        holding.append(new)

    # -- reading -------------------------------------------------------------------------
    def holders(self, role: str) -> list[dict]:
        return list(self._holding.get(role, []))

    def from_plan(self, assignment: dict) -> bool:
        """Whether the person has held the role since the plan was loaded."""
        return assignment["id"] <= len(self.plan.people)

    def incident_list(self) -> list[dict]:
        return [self.incidents[n] for n in sorted(self.incidents)]


def _plan(init: Row, payload: dict) -> Plan:
    """The plan the war room was created with. The init event carries the plan file's text
    and the go-live it was created for: a plan moved in time before it was loaded (the demo
    is moved to today) is moved here the same way."""
    try:
        return load_plan_text(payload["plan"], "<journal: init event>").moved_to(payload["golive"])
    except (KeyError, TypeError, ValueError) as exc:
        raise JournalError(f"event {init.id} (init): its plan does not load: {exc}") from None


_HANDLERS = {
    "step": Board._step, "gate.signoff": Board._signoff,
    "incident.open": Board._open_incident, "incident.update": Board._update_incident,
    "risk.trigger": Board._trigger_risk, "risk.close": Board._close_risk,
    "decision": Board._decide, "role.assign": Board._assign,
}


def replay(events: Iterable[Row]) -> Board:
    """The board after `events` (journal order, the init event first)."""
    events = iter(events)
    init = next(events, None)
    if init is None or init.action != "init":
        raise JournalError("the journal does not start with the war room's plan (init event)")
    try:
        payload = json.loads(init.payload)
    except ValueError as exc:
        raise JournalError(f"event {init.id} (init): {exc}") from None
    board = Board(init, payload)
    for event in events:
        board.apply(event)
    return board


def rebuild(conn: sqlite3.Connection, as_of: int | None = None) -> Board:
    """The board as it stood at `as_of` (None: after every event), read from the journal."""
    skip = ", ".join(f"'{a}'" for a in source.LOG_ACTIONS)
    where, params = f"action NOT IN ({skip})", ()
    if as_of is not None:
        where, params = where + " AND (happened_at <= ? OR action = 'init')", (as_of,)
    return replay(source.rows(conn, where, params, order="id"))


def _role_row(r, i: int, rev: int) -> dict:
    return {"key": r.key, "position": i, "title": r.title, "responsibilities": r.responsibilities,
            "may_decide_rollback": int(r.may_decide_rollback), "rev": rev}


def _step_row(s, i: int, rev: int) -> dict:
    return {"id": s.id, "position": i, "title": s.title, "phase": s.phase.value, "kind": s.kind.value,
            "owner": s.owner, "planned_start": s.planned_start, "planned_duration": s.planned_duration,
            "depends_on": list(s.depends_on), "critical": int(s.critical), "instructions": s.instructions,
            "signoff_roles": list(s.signoff_roles), "status": StepStatus.PENDING.value,
            "started_at": None, "ended_at": None, "reason": None, "forced": 0, "rev": rev}


def _risk_row(r, i: int, rev: int) -> dict:
    return {"id": r.id, "position": i, "title": r.title, "likelihood": r.likelihood, "impact": r.impact,
            "criticality": r.criticality.value, "mitigation": r.mitigation, "owner": r.owner,
            "steps": list(r.steps), "status": RiskStatus.WATCHING.value, "incident": None, "rev": rev}


def _audience_row(a, i: int, rev: int) -> dict:
    return {"key": a.key, "position": i, "title": a.title, "channel": a.channel,
            "cadence": {k.value: v for k, v in a.cadence.items()}, "rev": rev}


def _assignment(number: int, role: str, person: str, contact: str, e: Row) -> dict:
    return {"id": number, "role": role, "person": person, "contact": contact,
            "started_at": e.happened_at, "ended_at": None, "recorded_at": e.recorded_at, "rev": e.id}
