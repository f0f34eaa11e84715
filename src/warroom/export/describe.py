"""One plain sentence per journal event: what happened, for the timeline and the CSV,
with what the reader would otherwise work out (a step's slip against the plan, how long
an incident had been open, an update late against its cadence). The sentence holds
people's text as typed; each renderer makes it inert for its format."""
from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from ..domain import figures, timefmt
from ..domain.events import payload_of
from ..domain.kinds import StepKind
from ..domain.numbers import format_number
from ..domain.reducer import MITIGATED, Board, Payload, incident_number
from ..domain.timefmt import duration
from ..store.reader import Row

K = TypeVar("K", str, int)  # a table's key
STEP_VERBS = {"start": "started", "done": "done", "fail": "FAILED", "skip": "skipped",
              "block": "blocked", "unblock": "unblocked", "reopen": "reopened"}


class Rows(Protocol):
    """The war room's rows the sentences read: a Board, or the console's mirror of the tables."""

    @property
    def meta(self) -> Mapping[str, str]: ...

    @property
    def steps(self) -> Mapping[str, Mapping[str, Any]]: ...

    @property
    def incidents(self) -> Mapping[int, Mapping[str, Any]]: ...

    @property
    def risks(self) -> Mapping[str, Mapping[str, Any]]: ...

    @property
    def kpis(self) -> Mapping[str, Mapping[str, Any]]: ...



@dataclass(frozen=True)
class Known:
    """What the sentences look things up in: the war room's rows (a board, or the console's
    mirror: anything with steps, incidents, risks, kpis and meta), what each event led to
    (event id -> its effect, see Board.effect_of), and every update that came late
    ((audience, sent at) -> how late, ms)."""

    board: Rows
    effects: Mapping[int, dict[str, Any]]
    late: Mapping[tuple[str, int], int]

    @classmethod
    def of(cls, board: Board, late: Mapping[tuple[str, int], int]) -> Known:
        return cls(board, _Effects(board), late)


class _Effects(Mapping[int, dict[str, Any]]):
    """A board's effects, looked up one event at a time."""

    def __init__(self, board: Board):
        self.board = board

    def __getitem__(self, event_id: int) -> dict[str, Any]:
        return self.board.effect_of(event_id)

    def __iter__(self) -> Iterator[int]:
        return iter(self.board.seen)

    def __len__(self) -> int:
        return len(self.board.seen)


def what(event: Row, known: Known, payload: Payload | None = None) -> str:
    """The sentence; `payload` is the event's, when the caller has parsed it already. What
    the event led to (from -> to) is the fold's, as it was when the event happened; an event
    corrected since says so."""
    describe = _DESCRIBE.get(event.action) or _DESCRIBE.get(event.action.split(".", 1)[0])
    if describe is None:  # an action this version does not know
        return _as_stored(event)
    try:
        p = json.loads(event.payload) if payload is None else payload
        text = describe(event, payload_of(event.action, p), known)
    except (TypeError, KeyError, ValueError, AttributeError):  # an altered payload
        return _as_stored(event)
    return text + corrected(known, event.id)


def _as_stored(event: Row) -> str:
    return f"{event.action} {event.entity} {event.entity_id or ''}: {event.payload}"


def corrected(known: Known, event_id: int) -> str:
    """' [corrected by #12 (Ann): moved to 2026-11-29 10:05 — typo]' for an event corrected since."""
    marks = []
    for c in _effect(known, event_id).get("corrected", ()):
        what_ = "retracted" if c["kind"] == "retract" else f"moved to {known_time(known.board, c['happened_at'])}"
        marks.append(f" [corrected by #{c['id']} ({c['operator']}): {what_} — {c['why']}]")
    return "".join(marks)


def known_time(board: Rows, ms: int) -> str:
    tz = timefmt.zone(board.meta["timezone"])
    return timefmt.from_ms(ms, tz).strftime("%Y-%m-%d %H:%M")


def _init(e: Row, p: Payload, known: Known) -> str:
    return f"War room created from its plan: {p['name']} ({p['steps']} steps, {p['roles']} roles)"


def _step(e: Row, p: Payload, known: Known) -> str:
    action = e.action.split(".", 1)[1]
    if p.get("target"):
        missing = _effect(known, e.id).get("missing")
        rest = f" ({', '.join(missing)} still to do)" if missing else " (the last one: the step is done)"
        outcome = "done" if action == "done" else "failed"
        step = _step_name(known.board, e.entity_id)
        return f"Step {step}: target {p['target']} {outcome}{rest}" + _note(p.get("note"))
    row = _named(known.board.steps, e.entity_id)
    is_check = row is not None and row["kind"] == StepKind.CHECK
    verb = "passed" if is_check and action == "done" else STEP_VERBS[action]
    text = (f"{'Check' if is_check else 'Step'} {_step_name(known.board, e.entity_id)}: {verb}"
            f"{_slip(e, action, known.board)}")
    forced = _effect(known, e.id).get("forced")
    if forced:
        text += f" — FORCED past: {'; '.join(forced)}"
    evidence = f" — evidence: {p['evidence']}" if p.get("evidence") else ""
    return text + _note(p.get("note")) + evidence


def _effect(known: Known, event_id: int) -> dict[str, Any]:
    return known.effects.get(event_id) or {}


def _slip(e: Row, action: str, board: Rows) -> str:
    step = _named(board.steps, e.entity_id)
    if step is None or action not in ("start", "done", "fail"):
        return ""
    if action == "start":
        late = e.happened_at - step["planned_start"]
        return f", {duration(late)} after its planned start" if late > 0 else ""
    late = e.happened_at - figures.planned_end(step)
    return f", {duration(late)} after its planned end" if late > 0 else ""


def _signoff(e: Row, p: Payload, known: Known) -> str:
    effect = _effect(known, e.id)
    forced = f" — FORCED past: {'; '.join(effect['forced'])}" if effect.get("forced") else ""
    return (f"Gate {_step_name(known.board, e.entity_id)}: {p['role']} signed {p['verdict'].upper()}"
            f"{_note(p['note'])} — gate {effect.get('gate_state', 'not passed')}{forced}")


def _incident_open(e: Row, p: Payload, known: Known) -> str:
    links = [f"{k} {p[k]}" for k in ("step", "risk", "owner") if p.get(k)]
    return f"{p['ref']} opened, SEV{p['severity']}: {p['title']}" + (f" ({', '.join(links)})" if links else "")


def _incident_update(e: Row, p: Payload, known: Known) -> str:
    changes, effect = [], _effect(known, e.id)
    if p.get("status") and effect:
        changes.append(f"{effect['from']} → {effect['status']}")
        incident = known.board.incidents.get(incident_number(_subject(e)))
        if effect["status"] in MITIGATED and incident:
            changes[-1] += f", {duration(e.happened_at - incident['opened_at'])} after it opened"
    if p.get("severity") and effect:
        changes.append(f"SEV{effect['previous_severity']} → SEV{effect['severity']}")
    if p.get("title"):
        changes.append(f"retitled {p['title']}")
    return f"{e.entity_id} update: {', '.join(changes) or 'note'}" + _note(p.get("note"))


def _risk_trigger(e: Row, p: Payload, known: Known) -> str:
    return f"Risk {e.entity_id} FIRED; {p['incident']} opened, SEV{p['severity']}: {p['title']}" + _note(p["note"])


def _risk_close(e: Row, p: Payload, known: Known) -> str:
    risk = _named(known.board.risks, e.entity_id)
    title = f": {risk['title']}" if risk else ""
    return f"Risk {e.entity_id} closed{title}" + _note(p["note"])


def _decision(e: Row, p: Payload, known: Known) -> str:
    about = [f"{k} {p[k]}" for k in ("step", "incident") if p.get(k)]
    text = f"Decision {p['kind'].upper()} by {p['decided_by']}: {p['rationale']}"
    text += f" ({', '.join(about)})" if about else ""
    forced = _effect(known, e.id).get("forced")
    return text + (" — FORCED: the decider holds no role that may decide a rollback" if forced else "")


def _assign(e: Row, p: Payload, known: Known) -> str:
    contact = f" (contact: {p['contact']})" if p["contact"] else ""
    previous = _effect(known, e.id).get("previous")
    if previous:
        return f"Role {p['role']} handed over from {previous} to {p['person']}{contact}"
    return f"Role {p['role']} given to {p['person']}{contact}"


def _comm(e: Row, p: Payload, known: Known) -> str:
    audience = p["audience"]
    late = known.late.get((audience, e.happened_at))
    lateness = f", {duration(late)} late against the cadence" if late else ""
    if e.action == "comm.send":
        return f"Draft {p['id']} sent to {audience} ({p['channel']}){lateness}"
    if e.action == "comm.draft":
        return f"Draft {p['id']} for {audience} ({p['channel']}): {p['text']}"
    return f"Message {p['id']} sent to {audience} ({p['channel']}){lateness}: {p['text']}"


def _kpi(e: Row, p: Payload, known: Known) -> str:
    kpi = _named(known.board.kpis, e.entity_id) or {}
    source = " (from its source)" if p.get("source") else ""
    return f"KPI {e.entity_id} = {format_number(p['value'], kpi.get('unit') or '')}{source}"


def _kpi_fail(e: Row, p: Payload, known: Known) -> str:
    """A source run that gave no number: its error, never a value."""
    return f"KPI {e.entity_id}: source failed — {p['error']}"


def _followup_add(e: Row, p: Payload, known: Known) -> str:
    due = f", due {known_time(known.board, p['due'])}" if p.get("due") is not None else ", no due date"
    about = [f"{k} {p[k]}" for k in ("incident", "step") if p.get(k)]
    return (f"Follow-up {p['ref']} added ({p['priority']}, owner {p['owner']}{due}): {p['title']}"
            + (f" ({', '.join(about)})" if about else ""))


def _followup_close(e: Row, p: Payload, known: Known) -> str:
    outcome = "done" if e.action == "followup.done" else "dropped"
    return f"Follow-up {_subject(e)} {outcome}" + _note(p.get("note"))


def _note_event(e: Row, p: Payload, known: Known) -> str:
    tags = f" ({', '.join(p['tags'])})" if p["tags"] else ""
    return f"Note{tags}: {p['text']}"


def _correction(e: Row, p: Payload, known: Known) -> str:
    if e.action == "retract":
        return f"Correction: #{p['event']} did not happen — {p['why']}"
    return f"Correction: #{p['event']} happened at {known_time(known.board, p['happened_at'])} — {p['why']}"


def _step_add(e: Row, p: Payload, known: Known) -> str:
    after = f", after {', '.join(p['after'])}" if p["after"] else ""
    return (f"Step {_subject(e)} added, unplanned: {p['title']} ({p['owner']}, "
            f"{duration(p['duration'] * 1000)}{after})")


def _forecast(e: Row, p: Payload, known: Known) -> str:
    """A moment the forecast passed (computed, not typed)."""
    if _subject(e) == "point_of_no_return":
        return f"Point of no return passed: {_step_name(known.board, p['step'])} done — a backout is now a recovery"
    window = f" ({known_time(known.board, p['window_end'])})" if p.get("window_end") else ""
    return (f"Rollback deadline passed: a backout ({p['backout_minutes']} min) decided from now on ends after "
            f"the change window{window}")


def _step_name(board: Rows, step_id: str | None) -> str:
    step = _named(board.steps, step_id)
    return f"{step_id} ({step['title']})" if step else str(step_id)


def _named(rows: Mapping[K, Mapping[str, Any]], key: K | None) -> Mapping[str, Any] | None:
    """The row an event names; none when it names none (an altered journal's event)."""
    return rows.get(key) if key is not None else None


def _subject(e: Row) -> str:
    """The entity an event must name to be described (an altered journal's may name none)."""
    if e.entity_id is None:
        raise ValueError(f"event {e.id} names no {e.entity}")
    return e.entity_id


def _note(note: str | None) -> str:
    return f" — {note}" if note else ""


_DESCRIBE: dict[str, Callable[[Row, Payload, Known], str]] = {
    "init": _init, "step": _step, "step.add": _step_add, "gate.signoff": _signoff,
    "incident.open": _incident_open, "incident.update": _incident_update,
    "risk.trigger": _risk_trigger, "risk.close": _risk_close, "decision": _decision,
    "role.assign": _assign, "comm": _comm, "kpi.record": _kpi, "kpi.fail": _kpi_fail, "note": _note_event,
    "followup.add": _followup_add, "followup.done": _followup_close, "followup.drop": _followup_close,
    "correct": _correction, "retract": _correction, "forecast.passed": _forecast,
}
