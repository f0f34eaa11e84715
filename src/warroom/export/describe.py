"""One plain sentence per journal event: what happened, for the timeline and the CSV,
with what the reader would otherwise work out (a step's slip against the plan, how long
an incident had been open, an update late against its cadence). The sentence holds
people's text as typed; each renderer makes it inert for its format."""
from __future__ import annotations

import json
from dataclasses import dataclass

from ..domain import figures
from .replay import MITIGATED, Board, incident_number
from .source import Row
from .times import duration

STEP_VERBS = {"start": "started", "done": "done", "fail": "FAILED", "skip": "skipped",
              "block": "blocked", "unblock": "unblocked"}


@dataclass(frozen=True)
class Known:
    """What the sentences look things up in: the board, and every update that came late
    ((audience, sent at) -> how late, ms)."""

    board: Board
    late: dict[tuple[str, int], int]


def what(event: Row, known: Known, payload: dict | None = None) -> str:
    """The sentence; `payload` is the event's, when the caller has parsed it already."""
    describe = _DESCRIBE.get(event.action) or _DESCRIBE.get(event.action.split(".", 1)[0])
    try:
        return describe(event, json.loads(event.payload) if payload is None else payload, known)
    except (TypeError, KeyError, ValueError, AttributeError):  # an unknown action, an altered payload
        return f"{event.action} {event.entity} {event.entity_id or ''}: {event.payload}"


def _init(e: Row, p: dict, known: Known) -> str:
    return f"War room created from its plan: {p['name']} ({p['steps']} steps, {p['roles']} roles)"


def _step(e: Row, p: dict, known: Known) -> str:
    action = e.action.split(".", 1)[1]
    text = f"Step {_step_name(known.board, e.entity_id)}: {STEP_VERBS[action]}{_slip(e, action, known.board)}"
    if p.get("forced"):
        text += f" — FORCED past: {'; '.join(p['forced'])}"
    return text + _note(p.get("note"))


def _slip(e: Row, action: str, board: Board) -> str:
    step = board.steps.get(e.entity_id)
    if step is None or action not in ("start", "done", "fail"):
        return ""
    if action == "start":
        late = e.happened_at - step["planned_start"]
        return f", {duration(late)} after its planned start" if late > 0 else ""
    late = e.happened_at - figures.planned_end(step)
    return f", {duration(late)} after its planned end" if late > 0 else ""


def _signoff(e: Row, p: dict, known: Known) -> str:
    return (f"Gate {_step_name(known.board, e.entity_id)}: {p['role']} signed {p['verdict'].upper()}"
            f"{_note(p['note'])} — gate {p['gate_state']}")


def _incident_open(e: Row, p: dict, known: Known) -> str:
    links = [f"{k} {p[k]}" for k in ("step", "risk", "owner") if p.get(k)]
    return f"{p['ref']} opened, SEV{p['severity']}: {p['title']}" + (f" ({', '.join(links)})" if links else "")


def _incident_update(e: Row, p: dict, known: Known) -> str:
    changes = []
    if p["status"] != p["from"]:
        changes.append(f"{p['from']} → {p['status']}")
        incident = known.board.incidents.get(incident_number(e.entity_id))
        if p["status"] in MITIGATED and incident:
            changes[-1] += f", {duration(e.happened_at - incident['opened_at'])} after it opened"
    if p["severity"] != p["previous_severity"]:
        changes.append(f"SEV{p['previous_severity']} → SEV{p['severity']}")
    return f"{e.entity_id} update: {', '.join(changes) or 'note'}" + _note(p["note"])


def _risk_trigger(e: Row, p: dict, known: Known) -> str:
    return f"Risk {e.entity_id} FIRED; {p['incident']} opened, SEV{p['severity']}: {p['title']}" + _note(p["note"])


def _risk_close(e: Row, p: dict, known: Known) -> str:
    risk = known.board.risks.get(e.entity_id)
    title = f": {risk['title']}" if risk else ""
    return f"Risk {e.entity_id} closed{title}" + _note(p["note"])


def _decision(e: Row, p: dict, known: Known) -> str:
    about = [f"{k} {p[k]}" for k in ("step", "incident") if p.get(k)]
    text = f"Decision {p['kind'].upper()} by {p['decided_by']}: {p['rationale']}"
    text += f" ({', '.join(about)})" if about else ""
    return text + (" — FORCED: the decider holds no role that may decide a rollback" if p["forced"] else "")


def _assign(e: Row, p: dict, known: Known) -> str:
    contact = f" (contact: {p['contact']})" if p["contact"] else ""
    if p["previous"]:
        return f"Role {p['role']} handed over from {p['previous']} to {p['person']}{contact}"
    return f"Role {p['role']} given to {p['person']}{contact}"


def _comm(e: Row, p: dict, known: Known) -> str:
    audience = p["audience"]
    late = known.late.get((audience, e.happened_at))
    lateness = f", {duration(late)} late against the cadence" if late else ""
    if e.action == "comm.send":
        return f"Draft {p['id']} sent to {audience} ({p['channel']}){lateness}"
    if e.action == "comm.draft":
        return f"Draft {p['id']} for {audience} ({p['channel']}): {p['text']}"
    return f"Message {p['id']} sent to {audience} ({p['channel']}){lateness}: {p['text']}"


def _kpi(e: Row, p: dict, known: Known) -> str:
    kpi = known.board.kpis.get(e.entity_id, {})
    unit = f" {kpi['unit']}" if kpi.get("unit") else ""
    return f"KPI {e.entity_id} = {p['value']:g}{unit}"


def _note_event(e: Row, p: dict, known: Known) -> str:
    tags = f" ({', '.join(p['tags'])})" if p["tags"] else ""
    return f"Note{tags}: {p['text']}"


def _step_name(board: Board, step_id: str) -> str:
    step = board.steps.get(step_id)
    return f"{step_id} ({step['title']})" if step else step_id


def _note(note: str | None) -> str:
    return f" — {note}" if note else ""


_DESCRIBE = {
    "init": _init, "step": _step, "gate.signoff": _signoff,
    "incident.open": _incident_open, "incident.update": _incident_update,
    "risk.trigger": _risk_trigger, "risk.close": _risk_close, "decision": _decision,
    "role.assign": _assign, "comm": _comm, "kpi.record": _kpi, "note": _note_event,
}
