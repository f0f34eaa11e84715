"""`warroom status --as-of T`: the same answer as store.queries.status, rebuilt from the
journal as the board stood at T."""
from __future__ import annotations

from collections import Counter

from ..domain import figures, timefmt
from ..domain.kinds import IncidentStatus, StepStatus
from ..store.store import Store
from . import source
from .replay import rebuild
from .tallies import tally

LATEST_DECISION = ("kind", "decided_by", "rationale", "happened_at")


def status_as_of(store: Store, t_ms: int) -> dict:
    with source.snapshot(store.conn):
        board = rebuild(store.conn, t_ms)
        counts = tally(store.conn, t_ms)
    runbook = list(board.steps.values())
    incidents = board.incident_list()
    latest = figures.latest_decision(board.decisions)
    return {
        "name": board.meta["name"],
        "timezone": board.meta["timezone"],
        "golive": board.golive,
        "golive_iso": timefmt.from_ms(board.golive, timefmt.zone(board.meta["timezone"])).isoformat(),
        "phase": figures.current_phase(runbook),
        "hold": board.meta["hold"] or None,
        "steps": {"total": len(runbook), **_count(s["status"] for s in runbook),
                  "late": sum(figures.is_late(s, t_ms) for s in runbook)},
        "in_progress": [s["id"] for s in runbook if s["status"] == StepStatus.IN_PROGRESS],
        "incidents": {
            "total": len(incidents),
            "open": sum(i["status"] != IncidentStatus.RESOLVED for i in incidents),
            "by_severity": {f"SEV{k}": v for k, v in sorted(_count(i["severity"] for i in incidents).items())},
            "by_status": _count(i["status"] for i in incidents),
        },
        "decisions": len(board.decisions),
        "latest_decision": {k: latest[k] for k in LATEST_DECISION} if latest else None,
        "messages": counts.messages,
        "events": counts.events,
    }


def _count(values) -> dict:
    return dict(Counter(str(v) for v in values))
