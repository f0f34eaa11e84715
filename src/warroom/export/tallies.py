"""What the logs add up to at a moment — messages, KPI readings, notes — counted in SQL,
so that a journal of 100,000 messages never sits in memory. They are counted as corrected:
from `facts`, the journal without the retracted events and with the corrected times."""
from __future__ import annotations

import sqlite3
from collections import defaultdict
from dataclasses import dataclass

from . import source


@dataclass(frozen=True)
class Reading:
    value: float
    happened_at: int
    operator: str


@dataclass(frozen=True)
class Spread:
    count: int
    low: float
    high: float


@dataclass(frozen=True)
class Tallies:
    sent: dict[str, list[int]]  # audience -> when each update went out
    messages: int  # logged, drafts included
    unsent_drafts: dict[str, int]  # audience -> drafts never sent
    last_reading: dict[str, Reading]  # KPI -> its latest reading
    readings: dict[str, Spread]  # KPI -> how many, lowest, highest
    notes: int
    events: int  # the plan's included


# the facts as corrected: a retracted event is left out, a moved one takes its latest
# correction's time (a retracted correction does not count)
FACTS = """
CREATE TEMP VIEW IF NOT EXISTS facts AS
WITH retracted AS (SELECT CAST(entity_id AS INTEGER) AS id FROM events WHERE action = 'retract'),
corrections AS (SELECT id, CAST(entity_id AS INTEGER) AS target, json_extract(payload, '$.happened_at') AS at
                FROM events WHERE action = 'correct' AND id NOT IN (SELECT id FROM retracted)),
moved AS (SELECT target, at FROM corrections c WHERE id = (SELECT MAX(id) FROM corrections WHERE target = c.target))
SELECT e.id, COALESCE(m.at, e.happened_at) AS happened_at, e.operator, e.action, e.entity, e.entity_id, e.payload
FROM events e LEFT JOIN moved m ON m.target = e.id
WHERE e.entity != 'correction' AND e.id NOT IN (SELECT id FROM retracted)
"""


def tally(conn: sqlite3.Connection, as_of: int | None) -> Tallies:
    conn.execute(FACTS)
    bound, params = ("happened_at <= ?", (as_of,)) if as_of is not None else ("1", ())
    return Tallies(
        sent=_sent(conn, bound, params),
        messages=_count(conn, f"action IN ('comm.sent', 'comm.draft') AND {bound}", params),
        unsent_drafts=_unsent_drafts(conn, bound, params),
        last_reading=_last_readings(conn, bound, params),
        readings=_spreads(conn, bound, params),
        notes=_count(conn, f"action = 'note' AND {bound}", params),
        events=source.count(conn, f"({bound}) OR action = 'init'", params),
    )


def _count(conn: sqlite3.Connection, where: str, params: tuple) -> int:
    return conn.execute(f"SELECT COUNT(*) FROM facts WHERE {where}", params).fetchone()[0]


def _sent(conn: sqlite3.Connection, bound: str, params: tuple) -> dict[str, list[int]]:
    sent: dict[str, list[int]] = defaultdict(list)
    cursor = conn.execute(
        "SELECT json_extract(payload, '$.audience'), happened_at FROM facts"
        f" WHERE action IN ('comm.sent', 'comm.send') AND {bound} ORDER BY happened_at, id", params)
    for audience, at in cursor:
        sent[audience].append(at)
    return dict(sent)


def _unsent_drafts(conn: sqlite3.Connection, bound: str, params: tuple) -> dict[str, int]:
    return dict(conn.execute(
        "SELECT json_extract(payload, '$.audience') AS audience, COUNT(*) FROM facts"
        f" WHERE action = 'comm.draft' AND {bound} AND entity_id NOT IN"
        f" (SELECT entity_id FROM facts WHERE action = 'comm.send' AND {bound})"
        " GROUP BY audience", params + params).fetchall())


def _last_readings(conn: sqlite3.Connection, bound: str, params: tuple) -> dict[str, Reading]:
    cursor = conn.execute(
        "SELECT entity_id, json_extract(payload, '$.value'), happened_at, operator FROM"
        " (SELECT *, ROW_NUMBER() OVER (PARTITION BY entity_id ORDER BY happened_at DESC, id DESC) AS n"
        f"  FROM facts WHERE action = 'kpi.record' AND {bound}) WHERE n = 1", params)
    return {kpi: Reading(value, at, operator) for kpi, value, at, operator in cursor}


def _spreads(conn: sqlite3.Connection, bound: str, params: tuple) -> dict[str, Spread]:
    cursor = conn.execute(
        "SELECT entity_id, COUNT(*), MIN(json_extract(payload, '$.value')), MAX(json_extract(payload, '$.value'))"
        f" FROM facts WHERE action = 'kpi.record' AND {bound} GROUP BY entity_id", params)
    return {kpi: Spread(count, low, high) for kpi, count, low, high in cursor}
