"""Reading the journal, for the fold, the export and status: one read snapshot, events
streamed in batches (as the reducer's Events or as stored Rows), and what the logs
(messages, KPI readings, notes) add up to at a moment, counted in SQL so that a journal of
100,000 messages never sits in memory. The logs are counted as corrected: from `facts`, the
journal without the retracted events and with the corrected times."""
from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NamedTuple

from ..domain.events import Event, target_of
from ..domain.kpis import KpiFirsts
from ..domain.reducer import JournalError

BATCH = 2000
_EVENT_COLUMNS = "id, happened_at, recorded_at, operator, action, entity, entity_id, payload, login"
_COLUMNS = "id, happened_at, recorded_at, operator, action, entity, entity_id, payload, prev_hash, hash, login"


class Row(NamedTuple):
    """One journal event as stored; `payload` is still JSON text."""

    id: int
    happened_at: int
    recorded_at: int
    operator: str
    action: str
    entity: str
    entity_id: str | None
    payload: str
    prev_hash: str
    hash: str
    login: str | None = None  # the OS login that wrote it (journals from schema 2 on)

    @property
    def who(self) -> str:
        """The name typed, with the OS login beside it when the two differ."""
        return signed(self.operator, self.login)


def signed(operator: str, login: str | None) -> str:
    """'Léo Petitjean (login leo)'; the name alone when it is the login or none was recorded."""
    if not login or login.casefold() == operator.strip().casefold():
        return operator
    return f"{operator} (login {login})"


@dataclass(frozen=True)
class Span:
    """Which events a listing shows: happened_at within [since, until], both optional."""

    since: int | None = None
    until: int | None = None

    def where(self) -> tuple[str, tuple[object, ...]]:
        clauses: list[str] = []
        params: list[object] = []
        if self.since is not None:
            clauses.append("happened_at >= ?")
            params.append(self.since)
        if self.until is not None:
            clauses.append("happened_at <= ?")
            params.append(self.until)
        return " AND ".join(clauses) or "1", tuple(params)


@contextmanager
def snapshot(conn: sqlite3.Connection) -> Iterator[None]:
    """One read transaction for the whole export, so every section sees the same journal
    while others keep writing (WAL readers do not block writers)."""
    conn.execute("BEGIN")
    try:
        yield
    finally:
        conn.execute("COMMIT")


def rows(conn: sqlite3.Connection, where: str = "1", params: tuple[object, ...] = (),
         order: str = "happened_at, id") -> Iterator[Row]:
    """Events matching `where`, in `order`, fetched BATCH at a time."""
    cursor = conn.execute(f"SELECT {_COLUMNS} FROM events WHERE {where} ORDER BY {order}", params)
    while batch := cursor.fetchmany(BATCH):
        yield from map(Row._make, batch)


def listing(conn: sqlite3.Connection, span: Span, actions: tuple[str, ...] | None = None) -> Iterator[Row]:
    """The events a listing shows, by when they happened, ties in journal order."""
    where, params = span.where()
    if actions is not None:
        where += f" AND action IN ({', '.join('?' * len(actions))})"
        params += actions
    return rows(conn, where, params)


def count(conn: sqlite3.Connection, where: str = "1", params: tuple[object, ...] = ()) -> int:
    return conn.execute(f"SELECT COUNT(*) FROM events WHERE {where}", params).fetchone()[0]


@dataclass(frozen=True)
class Reading:
    value: float
    happened_at: int
    operator: str


@dataclass(frozen=True)
class Tallies:
    sent: dict[str, list[int]]  # audience -> when each update went out
    messages: int  # logged, drafts included
    unsent_drafts: dict[str, int]  # audience -> drafts never sent
    notes: int
    events: int  # the plan's included


# the facts as corrected: a retracted event is left out, a moved one takes its latest
# correction's time (a retracted correction does not count); `{gone}` and `{pending}` let a
# query take in a correction that is being recorded (kpi_firsts), the view has neither
_FACTS_SELECT = """
WITH retracted AS (SELECT CAST(entity_id AS INTEGER) AS id FROM events WHERE action = 'retract'{gone}),
corrections AS (SELECT id, CAST(entity_id AS INTEGER) AS target, json_extract(payload, '$.happened_at') AS at
                FROM events WHERE action = 'correct'{pending}),
live AS (SELECT * FROM corrections WHERE id NOT IN (SELECT id FROM retracted)),
moved AS (SELECT target, at FROM live c WHERE id = (SELECT MAX(id) FROM live WHERE target = c.target))
SELECT e.id, COALESCE(m.at, e.happened_at) AS happened_at, e.operator, e.action, e.entity, e.entity_id, e.payload
FROM events e LEFT JOIN moved m ON m.target = e.id
WHERE e.entity != 'correction' AND e.id NOT IN (SELECT id FROM retracted)
"""
FACTS = "CREATE TEMP VIEW IF NOT EXISTS facts AS" + _FACTS_SELECT.format(gone="", pending="")


def tally(conn: sqlite3.Connection, as_of: int | None) -> Tallies:
    conn.execute(FACTS)
    bound, params = ("happened_at <= ?", (as_of,)) if as_of is not None else ("1", ())
    return Tallies(
        sent=_sent(conn, bound, params),
        messages=_count(conn, f"action IN ('comm.sent', 'comm.draft') AND {bound}", params),
        unsent_drafts=_unsent_drafts(conn, bound, params),
        notes=_count(conn, f"action = 'note' AND {bound}", params),
        events=count(conn, f"({bound}) OR action = 'init'", params),
    )


def _count(conn: sqlite3.Connection, where: str, params: tuple[object, ...]) -> int:
    return conn.execute(f"SELECT COUNT(*) FROM facts WHERE {where}", params).fetchone()[0]


def _sent(conn: sqlite3.Connection, bound: str, params: tuple[object, ...]) -> dict[str, list[int]]:
    sent: dict[str, list[int]] = defaultdict(list)
    cursor = conn.execute(
        "SELECT json_extract(payload, '$.audience'), happened_at FROM facts"
        f" WHERE action IN ('comm.sent', 'comm.send') AND {bound} ORDER BY happened_at, id", params)
    for audience, at in cursor:
        sent[audience].append(at)
    return dict(sent)


def _unsent_drafts(conn: sqlite3.Connection, bound: str, params: tuple[object, ...]) -> dict[str, int]:
    return dict(conn.execute(
        "SELECT json_extract(payload, '$.audience') AS audience, COUNT(*) FROM facts"
        f" WHERE action = 'comm.draft' AND {bound} AND entity_id NOT IN"
        f" (SELECT entity_id FROM facts WHERE action = 'comm.send' AND {bound})"
        " GROUP BY audience", params + params).fetchall())


def kpi_firsts(conn: sqlite3.Connection, pending: Event | None = None) -> dict[str, KpiFirsts]:
    """KPI -> when it was first read, and when its source first answered, as corrected, and
    as the `pending` correction (being recorded, not in the journal yet) would have it."""
    gone: tuple[object, ...] = ()
    moved: tuple[object, ...] = ()
    if pending is not None and pending.action == "retract":
        gone = (target_of(pending),)
    elif pending is not None and pending.action == "correct":
        moved = (pending.id, target_of(pending), pending.payload["happened_at"])
    facts = _FACTS_SELECT.format(gone=" UNION ALL SELECT ?" if gone else "",
                                 pending=" UNION ALL SELECT ?, ?, ?" if moved else "")
    params = gone + moved
    cursor = conn.execute(
        f"WITH facts AS ({facts}) SELECT entity_id, MIN(happened_at),"
        " MIN(CASE WHEN json_extract(payload, '$.source') THEN happened_at END)"
        " FROM facts WHERE action = 'kpi.record' GROUP BY entity_id", params)
    return {kpi: KpiFirsts(first, answered) for kpi, first, answered in cursor}


def events(conn: sqlite3.Connection, where: str = "1", params: tuple[object, ...] = (),
           order: str = "id") -> Iterator[Event]:
    """Events matching `where` as the reducer reads them, fetched BATCH at a time."""
    cursor = conn.execute(f"SELECT {_EVENT_COLUMNS} FROM events WHERE {where} ORDER BY {order}", params)
    while batch := cursor.fetchmany(BATCH):
        yield from map(to_event, batch)


def event(conn: sqlite3.Connection, event_id: int) -> Event | None:
    row = conn.execute(f"SELECT {_EVENT_COLUMNS} FROM events WHERE id = ?", (event_id,)).fetchone()
    return to_event(row) if row else None


def to_event(row: Sequence[Any]) -> Event:
    """A journal row read as _EVENT_COLUMNS; a payload that is not JSON is a damaged journal."""
    try:
        payload = json.loads(row[7])
    except (ValueError, TypeError) as exc:
        raise JournalError(f"event {row[0]}: its payload is not JSON: {exc}") from None
    return Event(row[0], row[1], row[2], row[3], row[4], row[5], row[6], payload, login=row[8])
