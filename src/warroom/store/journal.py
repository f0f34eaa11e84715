"""The append-only journal: one hash-chained row per command."""
from __future__ import annotations

import hashlib
import json
import sqlite3

GENESIS = "0" * 64
COLUMNS = ("id", "happened_at", "recorded_at", "operator", "action", "entity", "entity_id", "payload")


def to_json(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False)


def chain_hash(prev_hash: str, row: tuple) -> str:
    """sha256 over the previous hash and the row's columns (COLUMNS order) as JSON."""
    return hashlib.sha256((prev_hash + "\n" + to_json(list(row))).encode("utf-8")).hexdigest()


def next_id(conn: sqlite3.Connection) -> tuple[int, str]:
    """The id the next event will take and the hash it chains to. Call inside BEGIN IMMEDIATE."""
    row = conn.execute("SELECT id, hash FROM events ORDER BY id DESC LIMIT 1").fetchone()
    return (row[0] + 1, row[1]) if row else (1, GENESIS)


def append(conn: sqlite3.Connection, event_id: int, prev_hash: str, happened_at: int,
           recorded_at: int, operator: str, action: str, entity: str,
           entity_id: str | None, payload: dict) -> None:
    row = (event_id, happened_at, recorded_at, operator, action, entity, entity_id, to_json(payload))
    conn.execute(
        "INSERT INTO events (id, happened_at, recorded_at, operator, action, entity, entity_id,"
        " payload, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?)",
        (*row, prev_hash, chain_hash(prev_hash, row)),
    )


def mark_if_late(conn: sqlite3.Connection, event_id: int, happened_at: int) -> None:
    """Note a fact typed after facts that happened later (the war room's creation is not one):
    the console marks it. Call before appending it."""
    latest = conn.execute("SELECT MAX(happened_at) FROM events WHERE action != 'init'").fetchone()[0]
    if latest is not None and happened_at < latest:
        conn.execute("INSERT INTO late_entries (event, latest) VALUES (?, ?)", (event_id, latest))


def verify(conn: sqlite3.Connection) -> list[str]:
    """Every problem with the file: integrity_check, then the hash chain, row by row."""
    problems = [f"integrity_check: {r[0]}" for r in conn.execute("PRAGMA integrity_check") if r[0] != "ok"]
    expected_prev, expected_id = GENESIS, 1
    cursor = conn.execute(f"SELECT {', '.join(COLUMNS)}, prev_hash, hash FROM events ORDER BY id")
    for row in cursor:
        event_id, prev_hash, stored = row[0], row[-2], row[-1]
        if event_id != expected_id:
            problems.append(f"event {event_id}: expected id {expected_id} (events missing)")
        if prev_hash != expected_prev:
            problems.append(f"event {event_id}: prev_hash does not match the hash of the event before")
        if chain_hash(prev_hash, row[:-2]) != stored:
            problems.append(f"event {event_id}: hash does not match its content (altered)")
        expected_prev, expected_id = stored, event_id + 1
    return problems

