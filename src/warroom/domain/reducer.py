"""The one reducer: what each journal event does to the war room, and the rules it must
pass at the moment it happened.

The war room is the fold of its journal ordered by when things happened (`happened_at`,
then journal order), with corrections applied: a moved event takes its corrected time, a
retracted one is left out. Commands fold with `check` on from the new fact's moment, so
a fact is judged against the war room as it stood then and against every fact after it;
the export, `status --as-of`, `verify` and the store's state tables all come from the same
fold. Rows are shaped like the state tables (without `rev`).
"""
from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from . import followups, forecast, kpis, rules
from .events import CORRECTIONS, SECRETS, Event, payload, target_of
from .kinds import (
    DecisionKind,
    IncidentStatus,
    MessageStatus,
    RiskStatus,
    StepKind,
    StepStatus,
    Verdict,
)
from .kpis import KpiFirsts
from .rules import RuleError

if TYPE_CHECKING:  # pydantic's models: the console folds boards without loading pydantic
    from .models import Assignment, Audience, Kpi, Risk, Role, Step

StateRow = dict[str, Any]  # a row of a state table, by column name (without `rev`)
Payload = dict[str, Any]  # an event's payload, in today's shape (events.payload)

ENDED = frozenset({StepStatus.DONE, StepStatus.FAILED, StepStatus.SKIPPED})
MITIGATED = frozenset({IncidentStatus.MITIGATED, IncidentStatus.RESOLVED})
HOLDING = frozenset({DecisionKind.NO_GO, DecisionKind.HOLD, DecisionKind.ABORT})
RELEASING = frozenset({DecisionKind.GO, DecisionKind.RESUME})
STOPS = frozenset({DecisionKind.NO_GO, DecisionKind.ROLLBACK, DecisionKind.HOLD, DecisionKind.ABORT})
AUTHORITY = frozenset({DecisionKind.ROLLBACK, DecisionKind.ABORT})  # only a role that may decide a rollback


class JournalError(ValueError):
    """A journal the war room cannot be rebuilt from."""


class AlreadyPassed(RuleError):
    """A moment the forecast passed, recorded already (by another console)."""


class Contradiction(RuleError):
    """A fact that an earlier-dated or corrected one would make impossible."""

    def __init__(self, event: Event, reason: RuleError):
        super().__init__(str(reason))
        self.event = event


@dataclass
class Correction:
    """A correction event, as the corrected event's views show it."""

    id: int
    kind: str  # 'correct' or 'retract'
    operator: str
    why: str
    recorded_at: int
    happened_at: int | None  # the corrected time (correct only)


class PlanLike(Protocol):
    """What a board reads of the plan it starts from: plan/loader.py's Plan, which the
    domain does not import (the plan package stands on the domain)."""

    name: str
    timezone: str
    golive: int  # ms UTC
    source: str  # the plan file's text
    roles: list[Role]
    people: list[Assignment]
    steps: list[Step]
    risks: list[Risk]
    audiences: list[Audience]
    kpis: list[Kpi]
    window: tuple[int, int] | None  # the change window, ms UTC
    rollback: list[str]  # the contingency steps a rollback decision invokes, in order


def incident_number(ref: str) -> int:
    """'INC-12' -> 12."""
    return int(ref.removeprefix("INC-"))


class Board:
    """The war room's rows, moved by events. `effects` holds what each event led to (a
    step's from -> to, an incident's previous severity, a gate's state), as it was at the
    moment the event happened."""

    def __init__(self, meta: dict[str, str], roles: dict[str, StateRow], steps: dict[str, StateRow],
                 risks: dict[str, StateRow], audiences: dict[str, StateRow], kpis: dict[str, StateRow],
                 assignments: Iterable[StateRow]):
        self.plan: PlanLike | None = None  # the plan it was started from, when folded from the journal
        self.meta, self.roles, self.steps, self.risks = meta, roles, steps, risks
        self.audiences, self.kpis = audiences, kpis
        self.assignments: dict[int, StateRow] = {a["id"]: a for a in assignments}
        self.signoffs: dict[int, StateRow] = {}
        self.incidents: dict[int, StateRow] = {}
        self.incident_updates: dict[int, StateRow] = {}
        self.decisions: dict[int, StateRow] = {}
        self.messages: dict[int, StateRow] = {}
        self.kpi_readings: dict[int, StateRow] = {}
        self.kpi_firsts: dict[str, KpiFirsts] = {}  # KPI -> its first reading, its source's first answer
        self.followups: dict[int, StateRow] = {}
        self.notes: dict[int, StateRow] = {}
        self.attempts: dict[str, list[dict[str, Any]]] = defaultdict(list)  # step -> each start and how it ended
        self.risk_fired_at: dict[str, int] = {}
        self.effects: dict[int, dict[str, Any]] = {}
        self.corrections: dict[int, list[Correction]] = defaultdict(list)
        self.seen: list[int] = []  # every event folded, retracted or not
        self.left_out: dict[int, str] = {}  # event id -> why it could not apply at its moment
        self._verdicts: dict[str, dict[str, Verdict]] = defaultdict(dict)  # gate -> role -> latest
        self.in_force_id: int | None = None

    @property
    def golive(self) -> int:
        return int(self.meta["golive"])

    def starting_plan(self) -> PlanLike:
        """The plan the board started from: a board folded from the whole journal has it (the
        store's folds of one part start from the state tables, without it)."""
        if self.plan is None:
            raise JournalError("this board was not folded from the journal's init event: it has no plan")
        return self.plan

    # -- folding -------------------------------------------------------------------------
    def fold(self, events: Iterable[Event], check_from: tuple[int, int] | None = None,
             until: int | None = None) -> Board:
        """Apply `events` in time order with their corrections, up to `until` (all when None).
        Rules are checked for every event at or after `check_from` ((happened_at, id)) that
        was recorded under them (Event.judged). Raises RuleError for the first event checked that
        breaks a rule (Contradiction when it is not `check_from`'s own). An unchecked event
        that cannot apply at its moment (an update before its incident was opened, in a
        journal typed before time order) is left out and named in `left_out`."""
        for event in self._effective(list(events)):
            if until is not None and event.happened_at > until:
                break
            moment = (event.happened_at, event.id)
            check = check_from is not None and moment >= check_from and event.judged
            try:
                self.apply(event, check)
            except RuleError as exc:
                if moment == check_from:
                    raise
                if not check:
                    self.left_out[event.id] = str(exc)
                    continue
                raise Contradiction(event, exc) from None
        return self

    def _effective(self, events: list[Event]) -> list[Event]:
        """The facts as corrected, by (happened_at, id)."""
        self.seen += [e.id for e in events]
        corrections = sorted((e for e in events if e.action in CORRECTIONS), key=lambda e: e.id)
        retracted = {target_of(c) for c in corrections if c.action == "retract"}
        moved: dict[int, int] = {}
        for c in corrections:
            if c.id in retracted:
                continue  # an undone correction: its own retraction says so
            p = c.payload
            self.corrections[target_of(c)].append(Correction(
                c.id, c.action, c.operator, p.get("why", ""), c.recorded_at, p.get("happened_at")))
            if c.action == "correct":
                moved[target_of(c)] = int(p["happened_at"])
        facts = [e.at(moved[e.id]) if e.id in moved else e
                 for e in events if e.action not in CORRECTIONS and e.id not in retracted]
        return sorted(facts, key=lambda e: (e.happened_at, e.id))

    def apply(self, event: Event, check: bool = False) -> None:
        if event.action == "init":
            return
        handler = _HANDLERS.get(event.action) or _HANDLERS.get(event.action.split(".", 1)[0])
        if handler is None:
            raise JournalError(f"event {event.id}: unknown action {event.action!r}")
        try:
            handler(self, event, payload(event), check)
        except RuleError:
            raise
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            if check:
                why = f"{exc.args[0]!r} does not exist at that time" if isinstance(exc, KeyError) and exc.args else exc
                raise RuleError(f"{event.action} {event.entity_id or ''} does not apply: {why}") from None
            raise JournalError(f"event {event.id} ({event.action}) does not apply: {exc!r}") from None

    # -- runbook -------------------------------------------------------------------------
    def _step(self, e: Event, p: Payload, check: bool) -> None:
        if p.get("target"):
            return self._target(e, p, check)
        step_id = e.subject
        row, action, note = self.steps[step_id], e.verb, p.get("note") or ""
        status = StepStatus(row["status"])
        if check:
            target = rules.step_transition(step_id, status, action, note)
            if action == "done" and row["kind"] == StepKind.GATE:
                raise RuleError(f"gate {step_id} passes when every required role signs go "
                                f"(warroom signoff {step_id} ROLE go)")
            _check_evidence(row, action, p.get("evidence") or "")
        else:
            target = rules.STEP_ACTIONS[action][1]
        forced = self._forced(f"step {step_id} cannot start", self._start_obstacles(row), p, check) \
            if action == "start" else []
        if action == "done" and (missing := _missing(row)):
            forced = self._forced(f"step {step_id} is not done on every target",
                                  [f"targets not done: {', '.join(missing)}"], p, check)
        if action == "start":
            row["started_at"] = e.happened_at
            row["invoked"] = row["invoked"] or row["contingency"]  # a contingency step run without a rollback
        if action == "reopen":
            row.update(started_at=None, target_state={})
            self._verdicts.pop(step_id, None)
        row["evidence"] = p.get("evidence") or None
        row.update(status=target.value, ended_at=e.happened_at if target in ENDED else None,
                   reason=note or None, forced=int(bool(forced) or bool(row["forced"])))
        self._attempt(e, target, note)
        self.effects[e.id] = {"from": status.value, "to": target.value, "forced": forced}

    def _add_step(self, e: Event, p: Payload, check: bool) -> None:
        """A step nobody planned, added on the day: planned from the moment it was added."""
        step_id = e.subject
        if check:
            if step_id in self.steps:
                raise RuleError(f"step {step_id} already exists")
            if p["owner"] not in self.roles:
                raise RuleError(f"unknown role {p['owner']!r}")
            if unknown := [s for s in p["after"] if s not in self.steps]:
                raise RuleError(f"unknown step {unknown[0]!r} in --after")
            if standby := [s for s in p["after"] if self.steps[s]["contingency"]]:
                raise RuleError(f"{standby[0]} runs only if needed (contingency): a step of the day cannot wait for it")
        self.steps[step_id] = {
            "id": step_id, "position": len(self.steps), "title": p["title"], "phase": p["phase"],
            "kind": StepKind.TASK.value, "owner": p["owner"], "planned_start": e.happened_at,
            "planned_duration": p["duration"], "depends_on": list(p["after"]), "critical": 0, "instructions": "",
            "signoff_roles": [], "backout": [], "backout_duration": None, "contingency": 0, "point_of_no_return": 0,
            "targets": [], "unplanned": 1, "kpis_ready": 0, **pending_step()}

    def _target(self, e: Event, p: Payload, check: bool) -> None:
        """One target of a step done or failed; the step is done when every target is."""
        step_id, name, row = e.subject, p["target"], self.steps[e.subject]
        status = StepStatus(row["status"])
        if check and name not in row["targets"]:
            raise RuleError(f"step {step_id} has no target {name!r} "
                            f"(its targets: {', '.join(row['targets']) or 'none'})")
        if check and status is not StepStatus.IN_PROGRESS:
            raise RuleError(f"step {step_id} is {status.value}: start it before marking its targets")
        outcome = "done" if e.verb == "done" else "failed"
        if check and row["target_state"].get(name) == outcome:
            raise RuleError(f"target {name} of step {step_id} is already {outcome}")
        row["target_state"] = row["target_state"] | {name: outcome}
        missing = _missing(row)
        if not missing:
            row.update(status=StepStatus.DONE.value, ended_at=e.happened_at, reason=p.get("note") or None)
            self._attempt(e, StepStatus.DONE, p.get("note") or "")
        self.effects[e.id] = {"from": status.value, "to": row["status"], "target": name,
                              "outcome": row["target_state"][name], "missing": missing}

    def _unmet(self, row: StateRow) -> list[str]:
        """The dependencies not settled, each with the targets it still misses, if any."""
        statuses = {s["id"]: StepStatus(s["status"]) for s in self.steps.values()}
        return [f"{dep} (targets not done: {', '.join(missing)})" if (missing := _missing(self.steps[dep])) else dep
                for dep in rules.unmet_dependencies(row["depends_on"], statuses)]

    def _start_obstacles(self, row: StateRow) -> list[str]:
        unmet = self._unmet(row)
        obstacles = [f"waits for {', '.join(unmet)}"] if unmet else []
        if self.meta["hold"] and not row["invoked"]:  # a hold stops the day, not the rollback it called up
            obstacles.append(f"the runbook is on hold ({self.meta['hold']})")
        return obstacles

    @staticmethod
    def _forced(what: str, obstacles: list[str], p: Payload, check: bool) -> list[str]:
        """The obstacles a fact overrode; checked, a fact with obstacles needs force and a reason."""
        if obstacles and check and not p.get("force"):
            raise RuleError(f"{what}: {'; '.join(obstacles)} (--force with --note to override)")
        if obstacles and check and not (p.get("note") or "").strip():
            raise RuleError(f"{what}: forcing it needs a reason (--note)")
        return obstacles if p.get("force") else []

    def _attempt(self, e: Event, target: StepStatus, note: str) -> None:
        attempts = self.attempts[e.subject]
        if target is StepStatus.IN_PROGRESS:
            attempts.append({"started_at": e.happened_at, "ended_at": None, "status": target.value, "note": note})
        elif attempts and attempts[-1]["ended_at"] is None and target in ENDED:
            attempts[-1].update(ended_at=e.happened_at, status=target.value, note=note or attempts[-1]["note"])

    def _signoff(self, e: Event, p: Payload, check: bool) -> None:
        gate, role, verdict = self.steps[e.subject], p["role"], Verdict(p["verdict"])
        if check:
            _check_gate(gate, role)
        obstacles: list[str] = [] if self.holds(role, e.operator, e.happened_at) else [
            f"{e.operator} does not hold {role}{self._held_by(role)}"]
        verdicts = self._verdicts[gate["id"]]
        verdicts[role] = verdict
        state = rules.gate_state(gate["signoff_roles"], verdicts)
        if state == "passed" and (unmet := self._unmet(gate)):
            obstacles.append(f"it cannot pass while {', '.join(unmet)} is not done")
        if state == "passed" and gate.get("kpis_ready"):
            obstacles += kpis.gaps(self.kpis, self.kpi_firsts, min(e.happened_at, self.golive), e.happened_at)
        forced = self._forced(f"sign-off at gate {gate['id']} refused", obstacles, p, check)
        self.signoffs[e.id] = {
            "id": e.id, "gate": gate["id"], "role": role, "verdict": verdict.value,
            "signed_by": e.operator, "comment": p.get("note") or "", "happened_at": e.happened_at,
            "recorded_at": e.recorded_at, "forced": int(bool(forced))}
        passed = state == "passed"
        gate.update(status=(StepStatus.DONE if passed else StepStatus.IN_PROGRESS).value,
                    started_at=gate["started_at"] if gate["started_at"] is not None else e.happened_at,
                    ended_at=e.happened_at if passed else None,
                    forced=int(bool(forced) or bool(gate["forced"])))
        if verdict is Verdict.NO_GO:
            self.meta["hold"] = f"no-go from {role} at gate {gate['id']}"
        self.effects[e.id] = {"gate_state": state, "forced": forced}

    def _held_by(self, role: str) -> str:
        holders = [a["person"] for a in self.holders(role)]
        return f" ({', '.join(holders)} does)" if holders else " (nobody does)"

    # -- incidents and risks -------------------------------------------------------------
    def _open_incident(self, e: Event, p: Payload, check: bool) -> None:
        self._add_incident(e, p["ref"], p["title"], p["severity"], p.get("owner"), p.get("step"), p.get("risk"))

    def _add_incident(self, e: Event, ref: str, title: str, severity: int, owner: str | None, step: str | None,
                      risk: str | None) -> None:
        number = incident_number(ref)
        self.incidents[number] = {
            "number": number, "ref": ref, "title": title, "severity": severity,
            "status": IncidentStatus.OPEN.value, "owner": owner, "step": step, "risk": risk,
            "opened_at": e.happened_at, "mitigated_at": None, "resolved_at": None,
            "opened_by": e.operator, "recorded_at": e.recorded_at}

    def _update_incident(self, e: Event, p: Payload, check: bool) -> None:
        row = self.incidents.get(incident_number(e.subject))
        if row is None:
            raise RuleError(f"{e.entity_id} was not open yet at that time")
        current, target = IncidentStatus(row["status"]), p.get("status")
        if target is not None and check:
            rules.incident_transition(row["ref"], current, IncidentStatus(target))
        effect = {"from": current.value, "status": target or current.value,
                  "previous_severity": row["severity"], "severity": p.get("severity") or row["severity"],
                  "previous_title": row["title"] if p.get("title") else None}
        if target is not None and target != current:
            self._move_incident(row, current, IncidentStatus(target), e.happened_at)
        row.update(severity=effect["severity"], title=p.get("title") or row["title"])
        self.incident_updates[e.id] = {
            "id": e.id, "incident": row["number"], "status": row["status"], "severity": row["severity"],
            "note": p.get("note") or "", "operator": e.operator, "happened_at": e.happened_at,
            "recorded_at": e.recorded_at, "title": p.get("title")}
        self.effects[e.id] = effect

    @staticmethod
    def _move_incident(row: StateRow, current: IncidentStatus, target: IncidentStatus, at: int) -> None:
        """Time to mitigate runs to the mitigation that held: a reopen forgets the last one."""
        if target in MITIGATED and row["mitigated_at"] is None:
            row["mitigated_at"] = at
        if target not in MITIGATED and current in MITIGATED:
            row["mitigated_at"] = None
        row.update(status=target.value, resolved_at=at if target is IncidentStatus.RESOLVED else None)

    def _trigger_risk(self, e: Event, p: Payload, check: bool) -> None:
        risk_id = e.subject
        risk = self.risks[risk_id]
        if check:
            rules.risk_trigger(risk_id, RiskStatus(risk["status"]))
        risk.update(status=RiskStatus.TRIGGERED.value, incident=p["incident"])
        self.risk_fired_at[risk_id] = e.happened_at
        self._add_incident(e, p["incident"], p["title"], p["severity"], p.get("owner"), p.get("step"), risk_id)

    def _close_risk(self, e: Event, p: Payload, check: bool) -> None:
        risk = self.risks[e.subject]
        if check:
            rules.risk_close(e.subject, RiskStatus(risk["status"]))
        risk.update(status=RiskStatus.CLOSED.value)

    # -- decisions and roles -------------------------------------------------------------
    def _decide(self, e: Event, p: Payload, check: bool) -> None:
        kind = DecisionKind(p["kind"])
        forced = kind in AUTHORITY and not self.may_decide_rollback(p["decided_by"], e.happened_at)
        if forced and check and not p.get("force"):
            who = ", ".join(f"{a['person']} ({self.roles[a['role']]['title']})"
                            for a in self.rollback_deciders(e.happened_at))
            article = "an" if kind.value[0] in "aeiou" else "a"
            raise RuleError(f"{p['decided_by']} holds no role that may decide {article} {kind}; who may: "
                            f"{who or 'nobody is assigned such a role'} (--force records it anyway)")
        self.decisions[e.id] = {
            "id": e.id, "kind": kind.value, "decided_by": p["decided_by"], "recorded_by": e.operator,
            "rationale": p["rationale"], "step": p.get("step"), "incident": p.get("incident"),
            "forced": int(forced), "supersedes": self.in_force_id, "happened_at": e.happened_at,
            "recorded_at": e.recorded_at}
        self.in_force_id = e.id
        if kind in HOLDING:
            self.meta["hold"] = f"{kind} decided by {p['decided_by']}"
        elif kind in RELEASING:
            self.meta["hold"] = ""
        invoked = self._invoke_backout() if kind is DecisionKind.ROLLBACK else []
        self.effects[e.id] = {"forced": forced, "supersedes": self.decisions[e.id]["supersedes"]} | (
            {"invoked": invoked} if invoked else {})

    def _invoke_backout(self) -> list[str]:
        """A rollback calls up the rollback runbook and the backout steps of every step done or
        running: they become the day's work, pending for their owners."""
        runbook = json.loads(self.meta.get("rollback") or "[]")
        wanted = forecast.called_up(forecast.to_undo(self.steps.values()), runbook)
        invoked = [key for key in wanted if key in self.steps and not self.steps[key]["invoked"]]
        for key in invoked:
            self.steps[key]["invoked"] = 1
        return invoked

    def _assign(self, e: Event, p: Payload, check: bool) -> None:
        if check and p["role"] not in self.roles:
            raise RuleError(f"unknown role {p['role']!r}")
        current = next(iter(self.holders(p["role"])), None)
        if check and current and (current["person"], current["contact"]) == (p["person"], p["contact"]):
            raise RuleError(f"{p['person']} already holds {p['role']} at that time")
        if current:
            current["ended_at"] = e.happened_at
        self.assignments[e.id] = {
            "id": e.id, "role": p["role"], "person": p["person"], "contact": p["contact"],
            "started_at": e.happened_at, "ended_at": None, "recorded_at": e.recorded_at}
        self.effects[e.id] = {"previous": current["person"] if current else None}

    def _passed(self, e: Event, p: Payload, check: bool) -> None:
        key = PASSED + e.subject
        if check and key in self.meta:
            raise AlreadyPassed(f"the {e.subject.replace('_', ' ')} was already recorded as passed")
        self.meta.setdefault(key, str(e.happened_at))

    def _attach_rehearsal(self, e: Event, p: Payload, check: bool) -> None:
        self.meta.update(rehearsed=json.dumps(p["durations"], sort_keys=True), rehearsal_file=p["file"])

    # -- logs ----------------------------------------------------------------------------
    def _message(self, e: Event, p: Payload, check: bool) -> None:
        sent = p["status"] == MessageStatus.SENT
        self.messages[p["id"]] = {
            "id": p["id"], "audience": p["audience"], "channel": p["channel"], "text": p["text"],
            "status": p["status"], "operator": e.operator, "happened_at": e.happened_at,
            "sent_at": e.happened_at if sent else None, "recorded_at": e.recorded_at}

    def _send(self, e: Event, p: Payload, check: bool) -> None:
        row = self.messages.get(p["id"])
        if row is None:
            raise RuleError(f"message {p['id']} was not written yet at that time")
        if check and row["status"] == MessageStatus.SENT:
            raise RuleError(f"message {p['id']} was already sent")
        row.update(status=MessageStatus.SENT.value, sent_at=e.happened_at)

    def _note(self, e: Event, p: Payload, check: bool) -> None:
        self.notes[e.id] = {"id": e.id, "text": p["text"], "tags": list(p["tags"]), "operator": e.operator,
                            "happened_at": e.happened_at, "recorded_at": e.recorded_at}

    # -- reading -------------------------------------------------------------------------
    def effect_of(self, event_id: int) -> dict[str, Any]:
        """What the event led to, and who corrected it since: what a timeline shows beside it."""
        effect = self.effects.get(event_id, {})
        if event_id not in self.corrections:
            return effect  # shared: readers do not change it
        return effect | {"corrected": [vars(c) for c in self.corrections[event_id]]}

    def holders(self, role: str, at: int | None = None) -> list[StateRow]:
        """Who holds `role` now in the fold (and, given `at`, had already started then: the
        plan's people hold from the plan's start)."""
        return [a for a in self.assignments.values() if a["role"] == role and a["ended_at"] is None
                and (at is None or a["started_at"] <= at)]

    def holds(self, role: str, person: str, at: int | None = None) -> bool:
        return any(a["person"].casefold() == person.strip().casefold() for a in self.holders(role, at))

    def rollback_deciders(self, at: int | None = None) -> list[StateRow]:
        return [a for r in sorted(self.roles.values(), key=lambda r: r["position"])
                if r["may_decide_rollback"] for a in self.holders(r["key"], at)]

    def may_decide_rollback(self, person: str, at: int | None = None) -> bool:
        return any(a["person"].casefold() == person.strip().casefold() for a in self.rollback_deciders(at))

    @staticmethod
    def from_plan(assignment: StateRow) -> bool:
        """Whether the person holds the role from the plan (the plan's holders are
        numbered -1, -2, ... in plan order; the others by the event that assigned them)."""
        return assignment["id"] < 0

    def incident_list(self) -> list[StateRow]:
        return [self.incidents[n] for n in sorted(self.incidents)]

    def in_force(self) -> StateRow | None:
        return self.decisions.get(self.in_force_id) if self.in_force_id is not None else None


def _check_gate(gate: StateRow, role: str) -> None:
    if gate["kind"] != StepKind.GATE:
        raise RuleError(f"step {gate['id']} is a {gate['kind']}, not a gate: it takes no sign-off")
    if role not in gate["signoff_roles"]:
        raise RuleError(f"gate {gate['id']} needs sign-off from {', '.join(gate['signoff_roles'])}, not {role!r}")
    if StepStatus(gate["status"]) in rules.SETTLED:
        raise RuleError(f"gate {gate['id']} was already {gate['status']} at that time")


_HANDLERS: dict[str, Callable[[Board, Event, Payload, bool], None]] = {
    "step": Board._step, "step.add": Board._add_step, "gate.signoff": Board._signoff,
    "incident.open": Board._open_incident, "incident.update": Board._update_incident,
    "risk.trigger": Board._trigger_risk, "risk.close": Board._close_risk,
    "decision": Board._decide, "role.assign": Board._assign,
    "comm.sent": Board._message, "comm.draft": Board._message, "comm.send": Board._send,
    "kpi.record": kpis.record, "note": Board._note, "forecast.passed": Board._passed,
    "rehearsal.attach": Board._attach_rehearsal, "kpi.fail": kpis.record,
    "followup.add": followups.add, "followup": followups.close,
    **dict.fromkeys(SECRETS, lambda board, e, p, check: None),  # their commands keep their tables
}
PASSED = "passed:"  # meta keys: when the rollback deadline and the point of no return were passed
FOLDED_META = ("hold", "rehearsed", "rehearsal_file")  # with PASSED keys: the meta the runbook's facts make


# -- the war room before its first fact ----------------------------------------------------
def initial(plan: PlanLike, init: Event) -> Board:
    """The board a plan starts: every step pending, every risk watched, the plan's people
    holding their roles from `holders_from` (the plan's start, or `init --at`)."""
    p = init.payload
    since = p.get("holders_from", init.happened_at)
    people = list(plan.people)
    board = Board(
        meta={"name": plan.name, "timezone": plan.timezone, "golive": str(plan.golive), "hold": "",
              **_window_meta(plan), **({"rehearsal": "1"} if p.get("rehearsal") else {})},
        roles={r.key: {"key": r.key, "position": i, "title": r.title, "responsibilities": r.responsibilities,
                       "may_decide_rollback": int(r.may_decide_rollback)} for i, r in enumerate(plan.roles)},
        steps={s.id: _step_row(s, i) for i, s in enumerate(plan.steps)},
        risks={r.id: _risk_row(r, i) for i, r in enumerate(plan.risks)},
        audiences={a.key: {"key": a.key, "position": i, "title": a.title, "channel": a.channel,
                           "cadence": {k.value: v for k, v in a.cadence.items()}, "details": int(a.details)}
                   for i, a in enumerate(plan.audiences)},
        kpis={k.key: {"key": k.key, "position": i, "name": k.name, "unit": k.unit, "baseline": k.baseline,
                      "target": k.target, "better": k.better.value,
                      "source": k.source.model_dump() if k.source else None} for i, k in enumerate(plan.kpis)},
        assignments=[{"id": i - len(people), "role": a.role, "person": a.person, "contact": a.contact,
                      "started_at": since, "ended_at": None, "recorded_at": init.recorded_at}
                     for i, a in enumerate(people)],
    )
    board.plan = plan
    return board


def _check_evidence(step: StateRow, action: str, evidence: str) -> None:
    """A check (a journey re-tested on the real environment) is passed with what showed it."""
    if evidence and step["kind"] != StepKind.CHECK:
        raise RuleError(f"step {step['id']} is a {step['kind']}: only a check step takes --evidence")
    if evidence and action != "done":
        raise RuleError(f"--evidence says how check {step['id']} passed: a failed check says why with --note")
    if action == "done" and step["kind"] == StepKind.CHECK and not evidence.strip():
        raise RuleError(f"check {step['id']} is passed with its evidence (--evidence: what was tested, what it showed)")


def _missing(step: StateRow) -> list[str]:
    """The targets of a step not done yet (failed ones included)."""
    return [t for t in step.get("targets", ()) if step["target_state"].get(t) != "done"]


def _window_meta(plan: PlanLike) -> dict[str, str]:
    """The change window and the rollback runbook, where the plan gives them."""
    window = {"window_start": str(plan.window[0]), "window_end": str(plan.window[1])} if plan.window else {}
    return window | ({"rollback": json.dumps(plan.rollback)} if plan.rollback else {})


def _step_row(s: Step, i: int) -> StateRow:
    return {"id": s.id, "position": i, "title": s.title, "phase": s.phase.value, "kind": s.kind.value,
            "owner": s.owner, "planned_start": s.planned_start, "planned_duration": s.planned_duration,
            "depends_on": list(s.depends_on), "critical": int(s.critical), "instructions": s.instructions,
            "signoff_roles": list(s.signoff_roles), "backout": list(s.backout),
            "backout_duration": s.backout_duration, "contingency": int(s.contingency),
            "point_of_no_return": int(s.point_of_no_return), "targets": list(s.targets), "unplanned": 0,
            "kpis_ready": int(s.kpis_ready), **pending_step()}


def _risk_row(r: Risk, i: int) -> StateRow:
    return {"id": r.id, "position": i, "title": r.title, "likelihood": r.likelihood, "impact": r.impact,
            "criticality": r.criticality.value, "mitigation": r.mitigation, "owner": r.owner,
            "steps": list(r.steps), **WATCHED_RISK}


# what a fold resets before it replays a step's or a risk's events
def pending_step() -> StateRow:
    return {"status": StepStatus.PENDING.value, "started_at": None, "ended_at": None, "reason": None,
            "forced": 0, "invoked": 0, "target_state": {}, "evidence": None}


WATCHED_RISK: StateRow = {"status": RiskStatus.WATCHING.value, "incident": None}
