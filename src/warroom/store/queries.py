"""Read-side questions about a war room, answered from its state tables."""
from __future__ import annotations

import json
from collections import Counter

from ..domain import figures, timefmt
from ..domain.cadence import Clock
from ..domain.kinds import IncidentStatus, StepStatus
from .store import Store


def steps(store: Store) -> list[dict]:
    rows = store.query("SELECT * FROM steps ORDER BY position")
    for row in rows:
        row["depends_on"] = json.loads(row["depends_on"])
        row["signoff_roles"] = json.loads(row["signoff_roles"])
    return rows


def status(store: Store, now: int | None = None) -> dict:
    now = now if now is not None else timefmt.now_ms()
    meta = store.meta()
    runbook = steps(store)
    incidents = store.query("SELECT severity, status FROM incidents")
    latest = store.query("SELECT kind, decided_by, rationale, happened_at FROM decisions"
                          " ORDER BY happened_at DESC, id DESC LIMIT 1")
    in_progress = [s["id"] for s in runbook if s["status"] == StepStatus.IN_PROGRESS]
    return {
        "name": meta.get("name"),
        "timezone": meta.get("timezone"),
        "golive": int(meta["golive"]) if meta.get("golive") else None,
        "golive_iso": timefmt.from_ms(int(meta["golive"]), store.zone()).isoformat() if meta.get("golive") else None,
        "phase": figures.current_phase(runbook),
        "hold": meta.get("hold") or None,
        "steps": {"total": len(runbook), **_count(s["status"] for s in runbook),
                  "late": sum(figures.is_late(s, now) for s in runbook)},
        "in_progress": in_progress,
        "incidents": {
            "total": len(incidents),
            "open": sum(i["status"] != IncidentStatus.RESOLVED for i in incidents),
            "by_severity": {f"SEV{k}": v for k, v in sorted(_count(i["severity"] for i in incidents).items())},
            "by_status": _count(i["status"] for i in incidents),
        },
        "decisions": _scalar(store, "SELECT COUNT(*) FROM decisions"),
        "latest_decision": latest[0] if latest else None,
        "messages": _scalar(store, "SELECT COUNT(*) FROM messages"),
        "events": _scalar(store, "SELECT COUNT(*) FROM events"),
    }


def _count(values) -> dict:
    return dict(Counter(str(v) for v in values))


def _scalar(store: Store, sql: str) -> int:
    return store.conn.execute(sql).fetchone()[0]


def clock(store: Store) -> Clock:
    """The war room's phases on the wall clock, from its plan."""
    golive = int(store.meta()["golive"])
    row = store.query(
        "SELECT MIN(planned_start) AS start,"
        " MAX(CASE WHEN phase = 'day' THEN planned_start + planned_duration * 1000 END) AS day_end"
        " FROM steps")[0]
    return Clock(start=min(row["start"], golive), golive=golive, day_end=row["day_end"] or golive)
