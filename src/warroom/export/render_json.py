"""JSON, schema `warroom.export` version 1: the plan, the board and the facts at the
horizon, then the journal (one event per line) so that another tool can rebuild the day.
Text is exact; characters that could mislead a reader or a browser are \\u-escaped."""
from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import TextIO

from ..domain.reducer import PASSED
from ..store import reader
from ..store.journal import head
from ..store.reader import Row
from .after import KpiFacts, Stretch
from .facts import Facts, prompts
from .read import Report

SCHEMA, VERSION = "warroom.export", 1
_MISLEADING = re.compile("[<>&\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def inert_json(text: str) -> str:
    """JSON text with <, >, & and invisible controls \\u-escaped: the same data, inert if
    opened in a browser or printed to a terminal. Valid because JSON's own syntax never
    uses these characters outside strings."""
    return _MISLEADING.sub(lambda m: f"\\u{ord(m.group()):04x}", text) if _MISLEADING.search(text) else text


def dumps(value) -> str:
    return inert_json(json.dumps(value, ensure_ascii=False, separators=(",", ":")))


label = lru_cache(maxsize=4096)(dumps)  # operators, actions, entities: few values, every event


def render(report: Report, out: TextIO) -> None:
    out.write("{\n")
    for key, value in _head(report).items():
        out.write(f'"{key}":{dumps(value)},\n')
    out.write('"journal":[')
    separator = "\n"
    for row in _journal(report):
        out.write(separator)
        out.write(_event(row, parse=bool(report.problems)))
        separator = ",\n"
    out.write("\n]\n}\n")


def _head(report: Report) -> dict:
    facts, board = report.facts, report.board
    plan = board.starting_plan()
    last = head(report.conn)
    verification = {"ok": not report.problems, "problems": report.problems,
                    "head": {"event": last[0], "hash": last[1]} if last else None}
    if report.problems:
        verification["warning"] = report.warning
    return {
        "schema": SCHEMA, "version": VERSION, "verification": verification,
        "exported": {"by": report.store.operator, "at": report.exported_at, "file": str(report.store.path)},
        "warroom": {"name": board.meta["name"], "timezone": plan.timezone, "golive": board.golive},
        "window": {"as_of": report.as_of, "horizon": facts.horizon, "since": report.span.since,
                   "until": report.span.until, "display_timezone": report.face.zone_name},
        "plan": plan.source,
        "state": _state(facts),
        "facts": _facts(facts),
        "retrospective": {"prompts": prompts(facts, report.face)},
    }


def _state(facts: Facts) -> dict:
    board = facts.board
    return {
        "hold": board.meta["hold"] or None,
        "roles": list(board.roles.values()),
        "assignments": list(board.assignments.values()),
        "steps": [s | {"attempts": board.attempts.get(s["id"], [])} for s in board.steps.values()],
        "signoffs": list(board.signoffs.values()),
        "risks": [r | {"fired_at": board.risk_fired_at.get(r["id"])} for r in board.risks.values()],
        "incidents": board.incident_list(),
        "decisions": list(board.decisions.values()),
        "audiences": list(board.audiences.values()),
        "kpis": list(board.kpis.values()),
        "followups": [board.followups[n] for n in sorted(board.followups)],
    }


def _facts(facts: Facts) -> dict:
    w = facts.window
    go = facts.go
    return {
        "golive_window": {"planned_start": w.planned_start, "planned_end": w.planned_end,
                          "actual_start": w.actual_start, "actual_end": w.actual_end, "open_steps": w.open_steps},
        "go_decision": go["id"] if go else None,
        "stop_decisions": [d["id"] for d in facts.stops],
        "forecast": facts.forecast.as_json(),
        "rehearsal": facts.rehearsal,
        "passed": {k.removeprefix(PASSED): int(v) for k, v in facts.board.meta.items() if k.startswith(PASSED)},
        "no_go_signoffs": [s["id"] for s in facts.no_go_signoffs],
        "steps": facts.counts,
        "runbook": [{"step": s.step["id"], "start_slip": s.start_slip, "end_slip": s.end_slip,
                     "late": s.late, "failures": len(s.failures)} for s in facts.steps],
        "gates": [{"gate": g.step["id"], "state": g.state} for g in facts.gates],
        "incidents": [{"incident": i.incident["ref"], "severity": i.incident["severity"],
                       "to_mitigate": i.to_mitigate, "to_resolve": i.to_resolve} for i in facts.incidents],
        "incidents_by_severity": [{"severity": s.severity, "total": s.total, "open": s.open,
                                   "to_mitigate": s.to_mitigate, "to_resolve": s.to_resolve}
                                  for s in facts.severities],
        "audiences": [{"audience": a.audience["key"], "sent": a.sent, "unsent_drafts": a.unsent_drafts,
                       "owed": len(a.dues),
                       "late": [{"due_at": d.due_at, "sent_at": d.sent_at, "late_by": d.late_by} for d in a.late]}
                      for a in facts.audiences],
        "day_end": {"at": facts.day_end.at, "by": facts.day_end.by},
        "kpis": [_kpi(k) for k in facts.kpis],
        "checks": [{"step": c.step["id"], "title": c.step["title"], "status": c.result, "ended_at": c.step["ended_at"],
                    "evidence": c.step["evidence"], "note": c.step["reason"], "followups": c.followups}
                   for c in facts.checks],
        "followups": [{k: f.followup[k] for k in FOLLOWUP_KEYS} | {"overdue": f.overdue} for f in facts.followups],
        "messages": facts.tallies.messages,
        "notes": facts.tallies.notes,
        "events": facts.tallies.events,
    }


FOLLOWUP_KEYS = ("ref", "title", "owner", "priority", "due", "status", "incident", "step", "note", "opened_by",
                 "opened_at", "closed_by", "closed_at")


def _kpi(k: KpiFacts) -> dict:
    """A KPI before, during and after the day. `met` is the verdict's (None: no reading since
    H), no longer the latest reading's; `readings`, `low`, `high` and `last` are of every
    reading up to the horizon, whatever its period."""
    return {"kpi": k.kpi["key"], "baseline": k.kpi["baseline"], "target": k.kpi["target"], "better": k.kpi["better"],
            "readings": k.count, "low": k.low, "high": k.high,
            "last": {"value": k.last.value, "happened_at": k.last.happened_at, "operator": k.last.operator}
            if k.last else None,
            "before": {"value": k.before_value, "source": k.before_source, "count": k.before.count,
                       "mean": k.before.mean, "failed": k.before.failed},
            "during": _stretch(k.during), "after": _stretch(k.after),
            "judged_on": k.judged_on, "change_pct": round(k.change_pct, 2) if k.change_pct is not None else None,
            "verdict": k.verdict, "met": k.met, "failed": k.failed, "error": k.error}


def _stretch(s: Stretch) -> dict:
    return {"count": s.count, "mean": s.mean, "last": s.last.value if s.last else None,
            "last_at": s.last.happened_at if s.last else None, "failed": s.failed}


def _journal(report: Report):
    """The window's events in journal (id) order: the order a rebuild replays them in."""
    where, params = report.span.where()
    return reader.rows(report.conn, where, params, order="id")


def _event(row: Row, parse: bool) -> str:
    """One event; its payload is embedded as stored. When the chain is broken the payload
    may be anything, so it is parsed first and kept as text if it is not JSON."""
    payload = row.payload
    if parse:
        payload = dumps(_parsed(payload))
    return (f'{{"id":{row.id},"happened_at":{row.happened_at},"recorded_at":{row.recorded_at},'
            f'"operator":{label(row.operator)},"action":{label(row.action)},"entity":{label(row.entity)},'
            f'"entity_id":{label(row.entity_id)},"payload":{inert_json(payload)},"login":{label(row.login)},'
            f'"prev_hash":{dumps(row.prev_hash)},"hash":{dumps(row.hash)}}}')


def _parsed(payload: str):
    try:
        return json.loads(payload)
    except ValueError:
        return {"unparsable_payload": payload}
