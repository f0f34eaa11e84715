"""The write commands. Each checks its rule, changes state rows and returns the one journal
event that records it; Store.write runs it in one immediate transaction."""
from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING

from ..domain import rules
from ..domain.kinds import (
    DecisionKind, IncidentStatus, MessageStatus, RiskStatus, StepKind, StepStatus, Verdict,
    check_text, severity_for_impact,
)
from ..domain.rules import RuleError
from .store import Change, Store, Tx

if TYPE_CHECKING:
    from ..domain.models import NewIncident
    from ..plan.loader import Plan

HOLDING = {DecisionKind.NO_GO, DecisionKind.HOLD}
RELEASING = {DecisionKind.GO, DecisionKind.RESUME}


def init(store: Store, plan: Plan, at: int | None = None) -> dict:
    def body(tx: Tx) -> Change:
        if tx.one("SELECT 1 AS x FROM events LIMIT 1"):
            raise RuleError(f"{store.path} already holds a war room")
        _load_plan(tx, plan)
        payload = {"name": plan.name, "timezone": plan.timezone, "golive": plan.golive,
                   "plan": plan.source, "steps": len(plan.steps), "roles": len(plan.roles)}
        return Change("init", "warroom", None, payload, {"name": plan.name})
    return store.write(body, at)


def _load_plan(tx: Tx, plan: Plan) -> None:
    for key, value in (("name", plan.name), ("timezone", plan.timezone),
                       ("golive", str(plan.golive)), ("hold", "")):
        tx.run("INSERT INTO meta VALUES (?,?,?)", (key, value, tx.rev))
    for i, r in enumerate(plan.roles):
        tx.run("INSERT INTO roles VALUES (?,?,?,?,?,?)",
               (r.key, i, r.title, r.responsibilities, r.may_decide_rollback, tx.rev))
    for p in plan.people:
        tx.run("INSERT INTO assignments (role, person, contact, started_at, recorded_at, rev)"
               " VALUES (?,?,?,?,?,?)", (p.role, p.person, p.contact, tx.happened_at, tx.recorded_at, tx.rev))
    for i, s in enumerate(plan.steps):
        tx.run("INSERT INTO steps (id, position, title, phase, kind, owner, planned_start,"
               " planned_duration, depends_on, critical, instructions, signoff_roles, status, rev)"
               " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
               (s.id, i, s.title, s.phase, s.kind, s.owner, s.planned_start, s.planned_duration,
                json.dumps(s.depends_on), s.critical, s.instructions, json.dumps(s.signoff_roles),
                StepStatus.PENDING, tx.rev))
    for i, r in enumerate(plan.risks):
        tx.run("INSERT INTO risks VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
               (r.id, i, r.title, r.likelihood, r.impact, r.criticality, r.mitigation, r.owner,
                json.dumps(r.steps), RiskStatus.WATCHING, None, tx.rev))
    for i, a in enumerate(plan.audiences):
        tx.run("INSERT INTO audiences VALUES (?,?,?,?,?,?)",
               (a.key, i, a.title, a.channel, json.dumps({k.value: v for k, v in a.cadence.items()}), tx.rev))
    for i, k in enumerate(plan.kpis):
        tx.run("INSERT INTO kpis VALUES (?,?,?,?,?,?,?,?)",
               (k.key, i, k.name, k.unit, k.baseline, k.target, k.better, tx.rev))


# -- runbook -------------------------------------------------------------------------------
def step(store: Store, action: str, step_id: str, note: str | None = None,
         force: bool = False, at: int | None = None) -> dict:
    note = check_text(note or "", "note")

    def body(tx: Tx) -> Change:
        row = _get(tx, "steps", "id", step_id, "step")
        status = StepStatus(row["status"])
        target = rules.step_transition(step_id, status, action, note)
        if action == "done" and row["kind"] == StepKind.GATE:
            raise RuleError(f"gate {step_id} passes when every required role signs go "
                            f"(warroom signoff {step_id} ROLE go)")
        forced = _start_checks(tx, row, note, force) if action == "start" else []
        started = tx.happened_at if action == "start" else row["started_at"]
        ended = tx.happened_at if target in (StepStatus.DONE, StepStatus.FAILED, StepStatus.SKIPPED) else None
        tx.run("UPDATE steps SET status=?, started_at=?, ended_at=?, reason=?, forced=?, rev=? WHERE id=?",
               (target, started, ended, note or None, bool(forced) or row["forced"], tx.rev, step_id))
        payload = {"from": status, "to": target, "note": note, "forced": forced}
        return Change(f"step.{action}", "step", step_id, payload, {"step": step_id, "status": target})
    return store.write(body, at)


def _start_checks(tx: Tx, row: dict, note: str, force: bool) -> list[str]:
    """What stands in the way of starting a step; with force, what was overridden."""
    statuses = {r["id"]: StepStatus(r["status"]) for r in tx.all("SELECT id, status FROM steps")}
    unmet = rules.unmet_dependencies(json.loads(row["depends_on"]), statuses)
    obstacles = [f"waits for {', '.join(unmet)}"] if unmet else []
    hold = _meta(tx, "hold")
    if hold:
        obstacles.append(f"the runbook is on hold ({hold})")
    if obstacles and not force:
        raise RuleError(f"step {row['id']} cannot start: {'; '.join(obstacles)} (--force with --note to override)")
    if obstacles and not note.strip():
        raise RuleError(f"forcing step {row['id']} needs a reason (--note)")
    return obstacles


def signoff(store: Store, gate: str, role: str, verdict: str, note: str | None = None,
            at: int | None = None) -> dict:
    verdict = Verdict(verdict)
    note = check_text(note or "", "note")

    def body(tx: Tx) -> Change:
        row = _get(tx, "steps", "id", gate, "step")
        required = json.loads(row["signoff_roles"])
        if row["kind"] != StepKind.GATE:
            raise RuleError(f"step {gate} is a {row['kind']}, not a gate: it takes no sign-off")
        if role not in required:
            raise RuleError(f"gate {gate} needs sign-off from {', '.join(required)}, not {role!r}")
        if row["status"] in rules.SETTLED:
            raise RuleError(f"gate {gate} is already {row['status']}")
        tx.run("INSERT INTO signoffs (gate, role, verdict, signed_by, comment, happened_at,"
               " recorded_at, rev) VALUES (?,?,?,?,?,?,?,?)",
               (gate, role, verdict, tx.operator, note, tx.happened_at, tx.recorded_at, tx.rev))
        state = rules.gate_state(required, _latest_signoffs(tx, gate))
        status = {"passed": StepStatus.DONE}.get(state, StepStatus.IN_PROGRESS)
        ended = tx.happened_at if status is StepStatus.DONE else None
        tx.run("UPDATE steps SET status=?, started_at=COALESCE(started_at, ?), ended_at=?, rev=? WHERE id=?",
               (status, tx.happened_at, ended, tx.rev, gate))
        if verdict is Verdict.NO_GO:
            _set_meta(tx, "hold", f"no-go from {role} at gate {gate}")
        payload = {"role": role, "verdict": verdict, "note": note, "gate_state": state}
        return Change("gate.signoff", "step", gate, payload, {"gate": gate, "gate_state": state})
    return store.write(body, at)


def _latest_signoffs(tx: Tx, gate: str) -> dict[str, Verdict]:
    rows = tx.all("SELECT role, verdict FROM signoffs WHERE gate=? ORDER BY id", (gate,))
    return {r["role"]: Verdict(r["verdict"]) for r in rows}


# -- incidents and risks ------------------------------------------------------------------
def open_incident(store: Store, title: str, severity: int, step: str | None = None,
                  risk: str | None = None, owner: str | None = None, at: int | None = None) -> dict:
    new = _models().NewIncident(title=title, severity=severity, step=step, risk=risk, owner=owner)

    def body(tx: Tx) -> Change:
        _check_refs(tx, step=new.step, risk=new.risk, role=new.owner)
        ref = _insert_incident(tx, new)
        payload = new.model_dump() | {"ref": ref}
        return Change("incident.open", "incident", ref, payload, {"incident": ref})
    return store.write(body, at)


def _insert_incident(tx: Tx, new: NewIncident) -> str:
    number = tx.one("SELECT COALESCE(MAX(number), 0) + 1 AS n FROM incidents")["n"]
    ref = f"INC-{number}"
    tx.run("INSERT INTO incidents (number, ref, title, severity, status, owner, step, risk,"
           " opened_at, opened_by, recorded_at, rev) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
           (number, ref, new.title, new.severity, IncidentStatus.OPEN, new.owner, new.step,
            new.risk, tx.happened_at, tx.operator, tx.recorded_at, tx.rev))
    return ref


def update_incident(store: Store, ref: str, status: str | None = None, severity: int | None = None,
                    note: str | None = None, at: int | None = None) -> dict:
    note = check_text(note or "", "note")
    target = IncidentStatus(status) if status else None
    if severity is not None and severity not in (1, 2, 3, 4):
        raise RuleError(f"severity must be 1 to 4, not {severity}")
    if target is None and severity is None and not note.strip():
        raise RuleError("an incident update needs a status, a severity or a note")

    def body(tx: Tx) -> Change:
        row = _incident(tx, ref)
        current = IncidentStatus(row["status"])
        if target is not None:
            rules.incident_transition(row["ref"], current, target)
        new_status, new_sev = target or current, severity or row["severity"]
        mitigated = row["mitigated_at"]
        if new_status in (IncidentStatus.MITIGATED, IncidentStatus.RESOLVED) and mitigated is None:
            mitigated = tx.happened_at
        resolved = {None: row["resolved_at"], IncidentStatus.RESOLVED: tx.happened_at}.get(target)
        tx.run("UPDATE incidents SET status=?, severity=?, mitigated_at=?, resolved_at=?, rev=? WHERE number=?",
               (new_status, new_sev, mitigated, resolved, tx.rev, row["number"]))
        tx.run("INSERT INTO incident_updates (incident, status, severity, note, operator,"
               " happened_at, recorded_at, rev) VALUES (?,?,?,?,?,?,?,?)",
               (row["number"], new_status, new_sev, note, tx.operator, tx.happened_at, tx.recorded_at, tx.rev))
        payload = {"from": current, "status": new_status, "severity": new_sev,
                   "previous_severity": row["severity"], "note": note}
        return Change("incident.update", "incident", row["ref"], payload,
                      {"incident": row["ref"], "status": new_status, "severity": new_sev})
    return store.write(body, at)


def trigger_risk(store: Store, risk_id: str, note: str | None = None, at: int | None = None) -> dict:
    note = check_text(note or "", "note")

    def body(tx: Tx) -> Change:
        row = _get(tx, "risks", "id", risk_id, "risk")
        rules.risk_trigger(risk_id, RiskStatus(row["status"]))
        new = _models().NewIncident(title=f"Risk fired: {row['title']}", severity=severity_for_impact(row["impact"]),
                          owner=row["owner"], risk=risk_id, step=_step_at_risk(tx, json.loads(row["steps"])))
        ref = _insert_incident(tx, new)
        tx.run("UPDATE risks SET status=?, incident=?, rev=? WHERE id=?",
               (RiskStatus.TRIGGERED, ref, tx.rev, risk_id))
        payload = {"incident": ref, "severity": new.severity, "title": new.title, "note": note,
                   "owner": new.owner, "step": new.step}
        return Change("risk.trigger", "risk", risk_id, payload, {"risk": risk_id, "incident": ref})
    return store.write(body, at)


def _step_at_risk(tx: Tx, linked: list[str]) -> str | None:
    """The risk's linked step that is running now, else its first linked step."""
    running = {r["id"] for r in tx.all("SELECT id FROM steps WHERE status = ?", (StepStatus.IN_PROGRESS,))}
    return next((s for s in linked if s in running), linked[0] if linked else None)


def close_risk(store: Store, risk_id: str, note: str | None = None, at: int | None = None) -> dict:
    note = check_text(note or "", "note")

    def body(tx: Tx) -> Change:
        row = _get(tx, "risks", "id", risk_id, "risk")
        rules.risk_close(risk_id, RiskStatus(row["status"]))
        tx.run("UPDATE risks SET status=?, rev=? WHERE id=?", (RiskStatus.CLOSED, tx.rev, risk_id))
        return Change("risk.close", "risk", risk_id, {"from": row["status"], "note": note}, {"risk": risk_id})
    return store.write(body, at)


# -- decisions, roles, comms, KPIs, notes --------------------------------------------------
def decide(store: Store, kind: str, decided_by: str, rationale: str, step: str | None = None,
           incident: str | None = None, force: bool = False, at: int | None = None) -> dict:
    new = _models().NewDecision(kind=kind, decided_by=decided_by, rationale=rationale, step=step, incident=incident)

    def body(tx: Tx) -> Change:
        _check_refs(tx, step=new.step)
        incident_ref = _incident(tx, new.incident)["ref"] if new.incident else None
        forced = new.kind is DecisionKind.ROLLBACK and _rollback_refused(tx, new.decided_by, force)
        previous = tx.one("SELECT MAX(id) AS id FROM decisions")["id"]
        decision_id = tx.run(
            "INSERT INTO decisions (kind, decided_by, recorded_by, rationale, step, incident,"
            " forced, supersedes, happened_at, recorded_at, rev) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (new.kind, new.decided_by, tx.operator, new.rationale, new.step, incident_ref,
             forced, previous, tx.happened_at, tx.recorded_at, tx.rev)).lastrowid
        if new.kind in HOLDING:
            _set_meta(tx, "hold", f"{new.kind} decided by {new.decided_by}")
        elif new.kind in RELEASING:
            _set_meta(tx, "hold", "")
        payload = new.model_dump() | {"incident": incident_ref, "forced": forced,
                                      "supersedes": previous, "id": decision_id}
        return Change(f"decision.{new.kind}", "decision", str(decision_id), payload,
                      {"decision": decision_id, "kind": new.kind})
    return store.write(body, at)


def _rollback_refused(tx: Tx, person: str, force: bool) -> bool:
    """True when the rollback is recorded only because it was forced."""
    deciders = tx.all(
        "SELECT a.person, r.title FROM assignments a JOIN roles r ON r.key = a.role"
        " WHERE a.ended_at IS NULL AND r.may_decide_rollback ORDER BY r.position")
    if any(d["person"].casefold() == person.strip().casefold() for d in deciders):
        return False
    if force:
        return True
    who = ", ".join(f"{d['person']} ({d['title']})" for d in deciders) or "nobody is assigned such a role"
    raise RuleError(f"{person} holds no role that may decide a rollback; who may: {who}"
                    " (--force records it anyway)")


def assign(store: Store, role: str, person: str, contact: str = "", at: int | None = None) -> dict:
    new = _models().Assignment(role=role, person=person, contact=contact)

    def body(tx: Tx) -> Change:
        _get(tx, "roles", "key", role, "role")
        current = tx.one("SELECT * FROM assignments WHERE role=? AND ended_at IS NULL", (role,))
        if current and (current["person"], current["contact"]) == (new.person, new.contact):
            raise RuleError(f"{new.person} already holds {role}")
        if current:
            tx.run("UPDATE assignments SET ended_at=?, rev=? WHERE id=?", (tx.happened_at, tx.rev, current["id"]))
        tx.run("INSERT INTO assignments (role, person, contact, started_at, recorded_at, rev)"
               " VALUES (?,?,?,?,?,?)", (role, new.person, new.contact, tx.happened_at, tx.recorded_at, tx.rev))
        payload = new.model_dump() | {"previous": current["person"] if current else None}
        return Change("role.assign", "role", role, payload, {"role": role, "person": new.person})
    return store.write(body, at)


def log_message(store: Store, audience: str, text: str, channel: str | None = None,
                draft: bool = False, at: int | None = None) -> dict:
    new = _models().NewMessage(audience=audience, text=text, channel=channel,
                     status=MessageStatus.DRAFT if draft else MessageStatus.SENT)

    def body(tx: Tx) -> Change:
        row = _get(tx, "audiences", "key", audience, "audience")
        channel_used = new.channel or row["channel"]
        sent_at = None if draft else tx.happened_at
        message_id = tx.run(
            "INSERT INTO messages (audience, channel, text, status, operator, happened_at,"
            " sent_at, recorded_at, rev) VALUES (?,?,?,?,?,?,?,?,?)",
            (audience, channel_used, new.text, new.status, tx.operator, tx.happened_at,
             sent_at, tx.recorded_at, tx.rev)).lastrowid
        payload = new.model_dump() | {"channel": channel_used, "id": message_id}
        return Change(f"comm.{new.status}", "message", str(message_id), payload, {"message": message_id})
    return store.write(body, at)


def send_message(store: Store, message_id: int, at: int | None = None) -> dict:
    def body(tx: Tx) -> Change:
        row = _get(tx, "messages", "id", message_id, "message")
        if row["status"] == MessageStatus.SENT:
            raise RuleError(f"message {message_id} was already sent")
        tx.run("UPDATE messages SET status=?, sent_at=?, rev=? WHERE id=?",
               (MessageStatus.SENT, tx.happened_at, tx.rev, message_id))
        payload = {"audience": row["audience"], "channel": row["channel"], "id": message_id}
        return Change("comm.send", "message", str(message_id), payload, {"message": message_id})
    return store.write(body, at)


def record_kpi(store: Store, kpi: str, value: float, at: int | None = None) -> dict:
    if not math.isfinite(value):
        raise RuleError(f"a KPI reading must be a finite number, not {value}")

    def body(tx: Tx) -> Change:
        _get(tx, "kpis", "key", kpi, "KPI")
        tx.run("INSERT INTO kpi_readings (kpi, value, operator, happened_at, recorded_at, rev)"
               " VALUES (?,?,?,?,?,?)", (kpi, value, tx.operator, tx.happened_at, tx.recorded_at, tx.rev))
        return Change("kpi.record", "kpi", kpi, {"value": value}, {"kpi": kpi, "value": value})
    return store.write(body, at)


def note(store: Store, text: str, tags: tuple[str, ...] = (), at: int | None = None) -> dict:
    new = _models().NewNote(text=text, tags=tuple(tags))

    def body(tx: Tx) -> Change:
        note_id = tx.run("INSERT INTO notes (text, tags, operator, happened_at, recorded_at, rev)"
                         " VALUES (?,?,?,?,?,?)", (new.text, json.dumps(new.tags), tx.operator,
                                                   tx.happened_at, tx.recorded_at, tx.rev)).lastrowid
        payload = {"text": new.text, "tags": list(new.tags), "id": note_id}
        return Change("note", "note", str(note_id), payload, {"note": note_id})
    return store.write(body, at)


# -- helpers -------------------------------------------------------------------------------
def _models():
    """The pydantic models of typed input, loaded by the first write: importing pydantic
    costs ~100 ms that a console should not spend before its first screen."""
    from ..domain import models

    return models


def _get(tx: Tx, table: str, key: str, value, what: str) -> dict:
    row = tx.one(f"SELECT * FROM {table} WHERE {key}=?", (value,))
    if row is None:
        raise RuleError(f"unknown {what} {value!r}{_known(tx, table, key)}")
    return row


def _known(tx: Tx, table: str, key: str) -> str:
    keys = [str(r["k"]) for r in tx.all(f"SELECT {key} AS k FROM {table} ORDER BY rowid LIMIT 8")]
    return f" (known: {', '.join(keys)}{', ...' if len(keys) == 8 else ''})" if keys else ""


def _incident(tx: Tx, ref: str) -> dict:
    """An incident by 'INC-3', 'inc-3' or '3'."""
    text = str(ref).strip().upper().removeprefix("INC-")
    row = tx.one("SELECT * FROM incidents WHERE number=?", (int(text),)) if text.isdigit() else None
    if row is None:
        raise RuleError(f"unknown incident {ref!r}")
    return row


def _check_refs(tx: Tx, step: str | None = None, risk: str | None = None, role: str | None = None) -> None:
    if step is not None:
        _get(tx, "steps", "id", step, "step")
    if risk is not None:
        _get(tx, "risks", "id", risk, "risk")
    if role is not None:
        _get(tx, "roles", "key", role, "role")


def _meta(tx: Tx, key: str) -> str:
    row = tx.one("SELECT value FROM meta WHERE key=?", (key,))
    return row["value"] if row else ""


def _set_meta(tx: Tx, key: str, value: str) -> None:
    tx.run("INSERT INTO meta (key, value, rev) VALUES (?,?,?)"
           " ON CONFLICT(key) DO UPDATE SET value=excluded.value, rev=excluded.rev", (key, value, tx.rev))
