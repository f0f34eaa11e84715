"""Read-side questions about a war room, answered from its state tables, or from the journal
as the board stood at a moment."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..domain import timefmt
from ..domain.figures import summary
from . import reader
from .rebuild import journal_board
from .schema import JSON_COLUMNS
from .store import Store


def steps(store: Store) -> list[dict[str, Any]]:
    rows = store.query("SELECT * FROM steps ORDER BY position")
    for row in rows:
        for column in JSON_COLUMNS["steps"]:
            row[column] = json.loads(row[column])
    return rows


def kpi_sources(store: Store) -> list[dict[str, Any]]:
    """The KPIs whose plan gives a source (key, unit, source: command, every, timeout), in the
    plan's order."""
    rows = store.query("SELECT key, unit, source FROM kpis WHERE source IS NOT NULL ORDER BY position")
    return [row | {"source": json.loads(row["source"])} for row in rows]


def created_by(store: Store) -> str | None:
    """The OS login that created the war room, and loaded its plan."""
    row = store.conn.execute("SELECT login FROM events WHERE action = 'init'").fetchone()
    return row[0] if row else None


def first_planned(store: Store) -> int | None:
    """When the plan's first step was to start: the earliest a fact may be dated from."""
    return store.conn.execute("SELECT MIN(planned_start) FROM steps").fetchone()[0]


def status(store: Store, now: int | None = None) -> dict[str, Any]:
    return summary(
        meta=store.meta(), runbook=steps(store), incidents=store.query("SELECT severity, status FROM incidents"),
        decisions=store.query("SELECT id, kind, decided_by, rationale, happened_at FROM decisions"),
        followups=store.query("SELECT status, due FROM followups"),
        messages=_scalar(store, "SELECT COUNT(*) FROM messages"),
        events=_scalar(store, "SELECT COUNT(*) FROM events"),
        now=now if now is not None else timefmt.now_ms())


def _scalar(store: Store, sql: str) -> int:
    return store.conn.execute(sql).fetchone()[0]


def status_as_of(store: Store, t_ms: int) -> dict[str, Any]:
    """`warroom status --as-of T`: the same answer as `status`, rebuilt from the journal."""
    with reader.snapshot(store.conn):
        board = journal_board(store.conn, t_ms, logs=False)
        counts = reader.tally(store.conn, t_ms)
    return summary(meta=board.meta, runbook=list(board.steps.values()), incidents=board.incident_list(),
                   decisions=list(board.decisions.values()), followups=list(board.followups.values()),
                   messages=counts.messages, events=counts.events, now=t_ms)


def event_count(store: Store) -> int:
    return _scalar(store, "SELECT COUNT(*) FROM events")


def measured_durations(store: Store) -> dict[str, int]:
    """How long each step done took (ms), from its start to its end: a rehearsal's timings,
    or a live day's for the next plan."""
    return {r["id"]: r["ended_at"] - r["started_at"] for r in store.query(
        "SELECT id, started_at, ended_at FROM steps WHERE status = 'done' AND started_at IS NOT NULL"
        " AND ended_at IS NOT NULL AND ended_at >= started_at")}


def timings_of(path: str | Path, operator: str) -> tuple[dict[str, str], dict[str, int]]:
    """Another war room file's meta and measured durations (a rehearsal, a past go-live),
    read without writing to it."""
    with Store(path, operator, readonly=True) as other:
        meta = other.meta()
        if "golive" not in meta:
            raise ValueError(f"{path}: holds no war room (warroom init)")
        return meta, measured_durations(other)
