"""The write commands. Each checks what only the present can tell (the names it refers to
exist, the text can be stored) and says which fact to record; Store.write folds that fact
into the war room at the moment it happened (domain/reducer.py judges it there and against
every later fact) and records it, in one immediate transaction.

The pydantic models of typed input are imported by the commands that use them, not here:
importing pydantic costs ~100 ms that a console should not spend before its first screen."""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..domain import timefmt
from ..domain.events import CORRECTIONS, SECRETS
from ..domain.kinds import (
    IncidentStatus,
    MessageStatus,
    Phase,
    StepStatus,
    Verdict,
    check_text,
    severity_for_impact,
)
from ..domain.reducer import PASSED, AlreadyPassed, Board, initial
from ..domain.rules import STEP_ACTIONS, RuleError
from ..domain.visible import visible
from . import queries, reader
from .store import Answer, Change, Store, Tx

if TYPE_CHECKING:
    from ..plan.loader import Plan

OPENING = ("incident.open", "risk.trigger")


MAX_STEP_SECONDS = 365 * 86_400  # as in a plan
TEST_MARK = "[TEST] "  # on every message of a rehearsal: pasted anywhere, it says so


def init(store: Store, plan: Plan, at: int | None = None, rehearsal: bool = False) -> Answer:
    def body(tx: Tx) -> Change:
        if tx.one("SELECT 1 AS x FROM events LIMIT 1"):
            raise RuleError(f"{store.path} already holds a war room")
        start = min((s.planned_start for s in plan.steps), default=tx.happened_at)
        payload = {"name": plan.name, "timezone": plan.timezone, "golive": plan.golive,
                   "plan": plan.source, "steps": len(plan.steps), "roles": len(plan.roles),
                   "holders_from": tx.happened_at if at is not None else min(start, tx.happened_at)}
        if rehearsal:
            payload["rehearsal"] = True
        return Change("init", "warroom", None, payload, lambda board: {"name": plan.name},
                      start=lambda event: initial(plan, event))
    return store.write(body, at)


# -- runbook -------------------------------------------------------------------------------
def step(store: Store, action: str, step_id: str, note: str | None = None,
         force: bool = False, at: int | None = None, target: str | None = None,
         evidence: str | None = None) -> Answer:
    """Move a step; with `target`, mark one of its targets done or failed; a check step is
    passed with its `evidence`."""
    note = check_text(note or "", "note")
    if action not in STEP_ACTIONS:
        raise RuleError(f"unknown step action {action!r}")
    if target is not None and not target.strip():
        raise ValueError("--target must name one of the step's targets")
    if target is not None and action not in ("done", "fail"):
        raise RuleError(f"a target is marked done or failed, not {action}")
    if target is not None and evidence:
        raise RuleError("--evidence goes with a check step as a whole, not with one of its targets")
    payload = {"note": note, "force": force} | ({"target": check_text(target, "target")} if target else {}) \
        | ({"evidence": check_text(evidence, "evidence")} if evidence else {})

    def body(tx: Tx) -> Change:
        _get(tx, "steps", "id", step_id, "step")
        return Change(f"step.{action}", "step", step_id, payload,
                      lambda board: {"step": step_id, "status": board.steps[step_id]["status"]}
                      | ({"target": target} if target else {}))
    return store.write(body, at)


def add_step(store: Store, step_id: str, title: str, owner: str, duration: str, after: tuple[str, ...] = (),
             phase: str = "day", at: int | None = None) -> Answer:
    """A step nobody planned, added during the day."""
    if not step_id or len(step_id) > 100 or any(c.isspace() or not c.isprintable() for c in step_id):
        raise ValueError("a step id is up to 100 visible characters without spaces")
    if not title.strip():
        raise ValueError("title must not be empty")
    seconds = timefmt.parse_duration(duration)
    if seconds > MAX_STEP_SECONDS:
        raise ValueError(f"duration {duration}: a step lasts at most {timefmt.duration(MAX_STEP_SECONDS * 1000)}")
    payload = {"title": check_text(title, "title"), "owner": owner, "duration": seconds,
               "after": list(dict.fromkeys(after)), "phase": Phase(phase).value}

    def body(tx: Tx) -> Change:
        return Change("step.add", "step", step_id, payload, lambda board: {"step": step_id, "added": "unplanned"})
    return store.write(body, at)


def signoff(store: Store, gate: str, role: str, verdict: str, note: str | None = None,
            force: bool = False, at: int | None = None) -> Answer:
    verdict = Verdict(verdict)
    note = check_text(note or "", "note")

    def body(tx: Tx) -> Change:
        _get(tx, "steps", "id", gate, "step")
        payload = {"role": role, "verdict": verdict, "note": note, "force": force}
        return Change("gate.signoff", "step", gate, payload,
                      lambda board: {"gate": gate, "gate_state": board.effects[tx.rev]["gate_state"]})
    return store.write(body, at)


# -- incidents and risks ------------------------------------------------------------------
def open_incident(store: Store, title: str, severity: int, step: str | None = None,
                  risk: str | None = None, owner: str | None = None, at: int | None = None) -> Answer:
    from ..domain.models import NewIncident

    new = NewIncident(title=title, severity=severity, step=step, risk=risk, owner=owner)

    def body(tx: Tx) -> Change:
        _check_refs(tx, step=new.step, risk=new.risk, role=new.owner)
        ref = _next_incident(tx)
        return Change("incident.open", "incident", ref, new.model_dump() | {"ref": ref},
                      lambda board: {"incident": ref})
    return store.write(body, at)


def _next_incident(tx: Tx) -> str:
    """INC-n, numbered in the order incidents were recorded (a retracted one keeps its number)."""
    count: int = tx.run(f"SELECT COUNT(*) FROM events WHERE action IN {OPENING}").fetchone()[0]
    return f"INC-{count + 1}"


def update_incident(store: Store, ref: str, status: str | None = None, severity: int | None = None,
                    note: str | None = None, title: str | None = None, at: int | None = None) -> Answer:
    note = check_text(note or "", "note")
    if title is not None and not check_text(title, "title").strip():
        raise RuleError("title must not be empty")
    status = IncidentStatus(status).value if status else None
    if severity is not None and severity not in (1, 2, 3, 4):
        raise RuleError(f"severity must be 1 to 4, not {severity}")
    if status is None and severity is None and title is None and not note.strip():
        raise RuleError("an incident update needs a status, a severity, a title or a note")

    def body(tx: Tx) -> Change:
        row = _incident(tx, ref)
        payload = {"status": status, "severity": severity, "title": title, "note": note}

        def result(board: Board) -> Answer:
            now = board.incidents[row["number"]]
            return {"incident": row["ref"], "status": now["status"], "severity": now["severity"]}
        return Change("incident.update", "incident", row["ref"], payload, result)
    return store.write(body, at)


def trigger_risk(store: Store, risk_id: str, note: str | None = None, at: int | None = None) -> Answer:
    from ..domain.models import NewIncident

    note = check_text(note or "", "note")

    def body(tx: Tx) -> Change:
        row = _get(tx, "risks", "id", risk_id, "risk")
        ref = _next_incident(tx)
        new = NewIncident(title=f"Risk fired: {row['title']}", severity=severity_for_impact(row["impact"]),
                          owner=row["owner"], risk=risk_id, step=_step_at_risk(tx, row["steps"]))
        payload = {"incident": ref, "severity": new.severity, "title": new.title, "note": note,
                   "owner": new.owner, "step": new.step}
        return Change("risk.trigger", "risk", risk_id, payload, lambda board: {"risk": risk_id, "incident": ref})
    return store.write(body, at)


def _step_at_risk(tx: Tx, linked_json: str) -> str | None:
    """The risk's linked step that was running when it fired, else its first linked step."""
    linked = json.loads(linked_json)
    running = {r["id"] for r in tx.all(
        "SELECT id FROM steps WHERE started_at <= ? AND (ended_at IS NULL OR ended_at > ?) AND status != ?",
        (tx.happened_at, tx.happened_at, StepStatus.PENDING))}
    return next((s for s in linked if s in running), linked[0] if linked else None)


def close_risk(store: Store, risk_id: str, note: str | None = None, at: int | None = None) -> Answer:
    note = check_text(note or "", "note")

    def body(tx: Tx) -> Change:
        _get(tx, "risks", "id", risk_id, "risk")
        return Change("risk.close", "risk", risk_id, {"note": note}, lambda board: {"risk": risk_id})
    return store.write(body, at)


# -- decisions, roles, comms, KPIs, notes --------------------------------------------------
def decide(store: Store, kind: str, decided_by: str, rationale: str, step: str | None = None,
           incident: str | None = None, force: bool = False, at: int | None = None) -> Answer:
    from ..domain.models import NewDecision

    new = NewDecision.model_validate(  # `kind` as typed: the model refuses what is not a decision's kind
        {"kind": kind, "decided_by": decided_by, "rationale": rationale, "step": step, "incident": incident})

    def body(tx: Tx) -> Change:
        _check_refs(tx, step=new.step)
        incident = _incident(tx, new.incident) if new.incident is not None else None
        if incident and incident["opened_at"] > tx.happened_at:
            raise RuleError(f"{incident['ref']} was not open yet at that time")
        incident_ref = incident["ref"] if incident else None
        payload = new.model_dump() | {"incident": incident_ref, "force": force}
        return Change(f"decision.{new.kind}", "decision", str(tx.rev), payload,
                      lambda board: {"decision": tx.rev, "kind": new.kind.value,
                                     "forced": bool(board.decisions[tx.rev]["forced"])})
    return store.write(body, at)


def assign(store: Store, role: str, person: str, contact: str = "", at: int | None = None) -> Answer:
    from ..domain.models import Assignment

    new = Assignment(role=role, person=person, contact=contact)

    def body(tx: Tx) -> Change:
        _get(tx, "roles", "key", role, "role")
        return Change("role.assign", "role", role, new.model_dump(),
                      lambda board: {"role": role, "person": new.person})
    return store.write(body, at)


def log_message(store: Store, audience: str, text: str, channel: str | None = None,
                draft: bool = False, at: int | None = None) -> Answer:
    from ..domain.models import NewMessage

    new = NewMessage(audience=audience, text=text, channel=channel,
                     status=MessageStatus.DRAFT if draft else MessageStatus.SENT)

    def body(tx: Tx) -> Change:
        row = _get(tx, "audiences", "key", audience, "audience")
        payload = new.model_dump() | {"channel": new.channel or row["channel"], "id": tx.rev}
        if tx.one("SELECT 1 AS x FROM meta WHERE key = 'rehearsal'") and not new.text.startswith(TEST_MARK):
            payload["text"] = TEST_MARK + new.text
        return Change(f"comm.{new.status}", "message", str(tx.rev), payload, lambda board: {"message": tx.rev})
    return store.write(body, at)


def send_message(store: Store, message_id: int, at: int | None = None) -> Answer:
    def body(tx: Tx) -> Change:
        row = _get(tx, "messages", "id", message_id, "message")
        payload = {"audience": row["audience"], "channel": row["channel"], "id": message_id}
        return Change("comm.send", "message", str(message_id), payload, lambda board: {"message": message_id})
    return store.write(body, at)


class AlreadyRead(RuleError):
    """A source's period, read already (by another `kpi watch`)."""


MAX_SOURCE_ERROR = 300  # characters of a failed source's error that are kept
RECENT_READINGS = 20  # a period is looked for among a KPI's latest readings: periods only grow


def record_kpi(store: Store, kpi: str, value: float, at: int | None = None,
               source: bool = False, period: int | None = None) -> Answer:
    """A KPI reading; `source`: read from the plan's source command (its `period`-th run,
    refused as AlreadyRead when that period is recorded already)."""
    if not math.isfinite(value):
        raise RuleError(f"a KPI reading must be a finite number, not {value}")
    payload: dict[str, Any] = {"value": value} | ({"source": True} if source else {}) | _period(period)

    def body(tx: Tx) -> Change:
        _unread(tx, kpi, period)
        return Change("kpi.record", "kpi", kpi, payload, lambda board: {"kpi": kpi, "value": value})
    return store.write(body, at)


def record_kpi_failure(store: Store, kpi: str, error: str, at: int | None = None,
                       period: int | None = None) -> Answer:
    """A source command that gave no number: its error, on one visible line, never a value."""
    shown = visible(error, one_line=True, limit=MAX_SOURCE_ERROR).strip() or "no output"
    payload = {"error": shown} | _period(period)

    def body(tx: Tx) -> Change:
        _unread(tx, kpi, period)
        return Change("kpi.fail", "kpi", kpi, payload, lambda board: {"kpi": kpi, "error": shown})
    return store.write(body, at)


def _period(period: int | None) -> dict[str, int]:
    return {"period": period} if period is not None else {}


def _unread(tx: Tx, kpi: str, period: int | None) -> None:
    """The KPI exists; and a source's period is not recorded yet."""
    _get(tx, "kpis", "key", kpi, "KPI")
    if period is None:
        return
    recent = tx.all("SELECT json_extract(payload, '$.period') AS period FROM events WHERE entity = 'kpi'"
                    " AND entity_id = ? ORDER BY id DESC LIMIT ?", (kpi, RECENT_READINGS))
    if any(r["period"] is not None and r["period"] >= period for r in recent):
        raise AlreadyRead(f"KPI {kpi}: period {period} is recorded already")


# -- follow-ups ----------------------------------------------------------------------------
def add_followup(store: Store, title: str, owner: str, due: int | None = None, priority: str = "P3",
                 incident: str | None = None, step: str | None = None, at: int | None = None) -> Answer:
    """Work the go-live leaves behind, numbered FU-1, FU-2, ..."""
    from ..domain.models import NewFollowup

    new = NewFollowup.model_validate({"title": title, "owner": owner, "due": due, "priority": priority,
                                      "incident": incident, "step": step})

    def body(tx: Tx) -> Change:
        _check_refs(tx, step=new.step, role=new.owner)
        if new.due is not None and new.due < tx.happened_at:
            raise RuleError("due: a follow-up cannot be due before it is added")
        ref = None
        if new.incident is not None:
            row = _incident(tx, new.incident)
            if row["opened_at"] > tx.happened_at:
                raise RuleError(f"{row['ref']} was not open yet at that time")
            ref = row["ref"]
        last = tx.one("SELECT MAX(CAST(substr(entity_id, 4) AS INTEGER)) AS n FROM events"
                      " WHERE action = 'followup.add'")  # the journal's: a retracted number is not given again
        number = (last["n"] if last and last["n"] else 0) + 1
        payload = new.model_dump() | {"ref": f"FU-{number}", "incident": ref}
        return Change("followup.add", "followup", f"FU-{number}", payload,
                      lambda board: {"followup": f"FU-{number}"})
    return store.write(body, at)


def close_followup(store: Store, ref: str, outcome: str, note: str, at: int | None = None) -> Answer:
    """A follow-up done or dropped (`outcome`), with a note that says what or why."""
    note = check_text(note, "note")
    if outcome not in ("done", "drop"):
        raise RuleError(f"a follow-up is done or dropped, not {outcome!r}")

    def body(tx: Tx) -> Change:
        number = _number(ref, "FU-")
        row = tx.one("SELECT number, ref FROM followups WHERE number = ?", (number,)) if number is not None else None
        if row is None:
            raise RuleError(f"unknown follow-up {ref!r}")
        return Change(f"followup.{outcome}", "followup", row["ref"], {"note": note},
                      lambda board: {"followup": row["ref"], "status": board.followups[row["number"]]["status"]})
    return store.write(body, at)


def note(store: Store, text: str, tags: tuple[str, ...] = (), at: int | None = None) -> Answer:
    from ..domain.models import NewNote

    new = NewNote(text=text, tags=tuple(tags))

    def body(tx: Tx) -> Change:
        payload = {"text": new.text, "tags": list(new.tags)}
        return Change("note", "note", str(tx.rev), payload, lambda board: {"note": tx.rev})
    return store.write(body, at)


# -- corrections ---------------------------------------------------------------------------
def correct(store: Store, event_id: int, at: int, why: str, stated_at: int | None = None) -> Answer:
    """Event `event_id` happened at `at`, not when it says: the fold uses the new time.
    `stated_at` is when the correction was made (default now)."""
    why = _why(why)

    def body(tx: Tx) -> Change:
        _correctable(tx, event_id, "correct")
        payload = {"event": event_id, "happened_at": at, "why": why}
        return Change("correct", "correction", str(event_id), payload,
                      lambda board: {"corrects": event_id, "happened_at": at})
    return store.write(body, stated_at)


def retract(store: Store, event_id: int, why: str, at: int | None = None) -> Answer:
    """Event `event_id` did not happen: the fold leaves it out (the journal keeps it)."""
    why = _why(why)

    def body(tx: Tx) -> Change:
        _correctable(tx, event_id, "retract")
        return Change("retract", "correction", str(event_id), {"event": event_id, "why": why},
                      lambda board: {"retracts": event_id})
    return store.write(body, at)


def _why(why: str) -> str:
    if not check_text(why or "", "why").strip():
        raise RuleError("a correction needs a reason (--why)")
    return why


def _correctable(tx: Tx, event_id: int, kind: str) -> None:
    target = reader.event(tx.conn, event_id)
    if target is None:
        raise RuleError(f"unknown event #{event_id}")
    if target.action == "init":
        raise RuleError(f"#{event_id} created the war room from its plan: it cannot be corrected")
    if target.action in SECRETS:
        raise RuleError(f"#{event_id} ({target.action}) is not corrected: add, remove or rotate again")
    if target.action in CORRECTIONS and not (kind == "retract" and target.action == "correct"):
        raise RuleError(f"#{event_id} is a {target.action}: retract it instead" if target.action == "correct"
                        else f"#{event_id} is a retraction: it cannot be undone, record the fact again")
    retracted = tx.one("SELECT id FROM events WHERE entity = 'correction' AND entity_id = ? AND action = 'retract'",
                       (str(event_id),))
    if retracted:
        raise RuleError(f"#{event_id} was already retracted by #{retracted['id']}")


# -- helpers -------------------------------------------------------------------------------
def _get(tx: Tx, table: str, key: str, value: object, what: str) -> dict[str, Any]:
    row = tx.one(f"SELECT * FROM {table} WHERE {key}=?", (value,))
    if row is None:
        raise RuleError(f"unknown {what} {value!r}{_known(tx, table, key)}")
    return row


def _known(tx: Tx, table: str, key: str) -> str:
    keys = [str(r["k"]) for r in tx.all(f"SELECT {key} AS k FROM {table} ORDER BY rowid LIMIT 8")]
    return f" (known: {', '.join(keys)}{', ...' if len(keys) == 8 else ''})" if keys else ""


def _incident(tx: Tx, ref: str) -> dict[str, Any]:
    """An incident by 'INC-3', 'inc-3' or '3'."""
    number = _number(ref, "INC-")
    row = tx.one("SELECT * FROM incidents WHERE number=?", (number,)) if number is not None else None
    if row is None:
        raise RuleError(f"unknown incident {ref!r}")
    return row


def _number(ref: str, prefix: str) -> int | None:
    """'INC-3', 'inc-3' or '3' -> 3 (with prefix 'INC-'); None when it is no such number."""
    text = str(ref).strip().upper().removeprefix(prefix)
    return int(text) if text.isascii() and text.isdigit() and len(text) < 12 else None


def _check_refs(tx: Tx, step: str | None = None, risk: str | None = None, role: str | None = None) -> None:
    if step is not None:
        _get(tx, "steps", "id", step, "step")
    if risk is not None:
        _get(tx, "risks", "id", risk, "risk")
    if role is not None:
        _get(tx, "roles", "key", role, "role")


def mark_passed(store: Store, what: str, at: int, step: str | None = None, backout_minutes: int | None = None,
                window_end: int | None = None) -> Answer | None:
    """Record the moment the forecast passed the rollback deadline or the point of no return
    (computed, not typed); None when another console recorded it first."""
    if what not in ("rollback_deadline", "point_of_no_return"):
        raise RuleError(f"unknown moment {what!r}")
    payload = {"step": step, "backout_minutes": backout_minutes, "window_end": window_end}

    def body(tx: Tx) -> Change:
        if tx.one("SELECT 1 AS x FROM meta WHERE key = ?", (PASSED + what,)):
            raise AlreadyPassed(what)
        return Change("forecast.passed", "forecast", what, payload, lambda board: {"passed": what})
    try:
        return store.write(body, at)
    except AlreadyPassed:
        return None


def attach_rehearsal(store: Store, path: str | Path, at: int | None = None) -> Answer:
    """Attach a rehearsal's timings (read from its war room file): the forecast then expects
    each step to take what it took there."""
    rehearsal = Path(path)
    if rehearsal.exists() and rehearsal.resolve() == store.path.resolve():
        raise ValueError(f"{rehearsal}: is this war room itself, not a rehearsal of it")
    meta, durations = queries.timings_of(rehearsal, store.operator)
    if not meta.get("rehearsal"):
        raise ValueError(f"{rehearsal}: is not a rehearsal (made without `warroom init --rehearsal`)")
    if not durations:
        raise ValueError(f"{rehearsal}: no step of it was done: it has no timings to attach")

    def body(tx: Tx) -> Change:
        return Change("rehearsal.attach", "rehearsal", rehearsal.name, {"file": str(rehearsal), "durations": durations},
                      lambda board: {"rehearsal": str(rehearsal), "steps": len(durations)})
    return store.write(body, at)
