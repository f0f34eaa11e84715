"""Read-side questions about a war room, answered from its state tables."""
from __future__ import annotations

import json
from collections import Counter

from ..domain import figures, timefmt
from ..domain.kinds import IncidentStatus, StepStatus
from .store import Store


def steps(store: Store) -> list[dict]:
    rows = store.query("SELECT * FROM steps ORDER BY position")
    for row in rows:
        row["depends_on"] = json.loads(row["depends_on"])
        row["signoff_roles"] = json.loads(row["signoff_roles"])
    return rows


def status(store: Store, now: int | None = None) -> dict:
    meta = store.meta()
    return summary(
        name=meta.get("name"), timezone=meta.get("timezone", "UTC"),
        golive=int(meta["golive"]) if meta.get("golive") else None, hold=meta.get("hold"),
        runbook=steps(store), incidents=store.query("SELECT severity, status FROM incidents"),
        decisions=store.query("SELECT id, kind, decided_by, rationale, happened_at FROM decisions"),
        messages=_scalar(store, "SELECT COUNT(*) FROM messages"),
        events=_scalar(store, "SELECT COUNT(*) FROM events"),
        now=now if now is not None else timefmt.now_ms())


def summary(*, name: str | None, timezone: str, golive: int | None, hold: str | None, runbook: list[dict],
            incidents: list[dict], decisions: list[dict], messages: int, events: int, now: int) -> dict:
    """The answer of `warroom status`, from the state tables or from a board rebuilt from the
    journal (`status --as-of`): one shape, whichever it comes from. Of the incidents, `total`
    and `by_severity` count every one opened so far, resolved or not; `open` and
    `open_by_severity` only those not resolved; `by_status` every one by its status."""
    latest = figures.latest_decision(decisions)
    unresolved = [i for i in incidents if i["status"] != IncidentStatus.RESOLVED]
    return {
        "name": name,
        "timezone": timezone,
        "golive": golive,
        "golive_iso": timefmt.from_ms(golive, timefmt.zone(timezone)).isoformat() if golive is not None else None,
        "phase": figures.current_phase(runbook, now, golive) if golive is not None else None,
        "hold": hold or None,
        "steps": {"total": len(runbook), **_count(s["status"] for s in runbook),
                  "late": sum(figures.is_late(s, now) for s in runbook)},
        "in_progress": [s["id"] for s in runbook if s["status"] == StepStatus.IN_PROGRESS],
        "incidents": {
            "total": len(incidents),
            "open": len(unresolved),
            "by_severity": _by_severity(incidents),
            "open_by_severity": _by_severity(unresolved),
            "by_status": _count(i["status"] for i in incidents),
        },
        "decisions": len(decisions),
        "latest_decision": {k: latest[k] for k in ("kind", "decided_by", "rationale", "happened_at")}
        if latest else None,
        "messages": messages,
        "events": events,
    }


def _by_severity(incidents: list[dict]) -> dict:
    return {f"SEV{k}": v for k, v in sorted(_count(i["severity"] for i in incidents).items())}


def _count(values) -> dict:
    return dict(Counter(str(v) for v in values))


def _scalar(store: Store, sql: str) -> int:
    return store.conn.execute(sql).fetchone()[0]
