"""The append-only journal: one hash-chained row per command."""
from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections.abc import Sequence
from typing import Any

GENESIS = "0" * 64
COLUMNS = ("id", "happened_at", "recorded_at", "operator", "action", "entity", "entity_id", "payload")


def to_json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False)


def chain_hash(prev_hash: str, row: Sequence[object], login: str | None = None) -> str:
    """sha256 over the previous hash and the row's columns (COLUMNS order, then the OS login
    of the process that wrote it when the journal records one) as JSON."""
    columns = [*row, login] if login is not None else list(row)
    return hashlib.sha256((prev_hash + "\n" + to_json(columns)).encode("utf-8")).hexdigest()


def _canonical(payload: str) -> bool:
    try:
        return to_json(json.loads(payload)) == payload
    except (ValueError, RecursionError):
        return False


def next_id(conn: sqlite3.Connection) -> tuple[int, str]:
    """The id the next event will take and the hash it chains to. Call inside BEGIN IMMEDIATE."""
    row = conn.execute("SELECT id, hash FROM events ORDER BY id DESC LIMIT 1").fetchone()
    return (row[0] + 1, row[1]) if row else (1, GENESIS)


def append(conn: sqlite3.Connection, event_id: int, prev_hash: str, happened_at: int,
           recorded_at: int, operator: str, action: str, entity: str,
           entity_id: str | None, payload: dict[str, Any], login: str | None = None) -> None:
    row = (event_id, happened_at, recorded_at, operator, action, entity, entity_id, to_json(payload))
    conn.execute(
        "INSERT INTO events (id, happened_at, recorded_at, operator, action, entity, entity_id,"
        " payload, login, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        (*row, login, prev_hash, chain_hash(prev_hash, row, login)),
    )


def head(conn: sqlite3.Connection) -> tuple[int, str] | None:
    """The last event's id and hash: what a team copies outside the file to anchor it."""
    row = conn.execute("SELECT id, hash FROM events ORDER BY id DESC LIMIT 1").fetchone()
    return (row[0], row[1]) if row else None


def show_head(conn: sqlite3.Connection) -> str:
    """'#1234:9f86d081884c' (the head's id and the first 12 hex of its hash)."""
    found = head(conn)
    return f"#{found[0]}:{found[1][:12]}" if found else "#0:(empty)"


def check_head(conn: sqlite3.Connection, expected: str) -> str | None:
    """What is wrong with an anchored head '#n:HEX' (at least 12 hex) against this journal."""
    match = re.fullmatch(r"#?(\d{1,18}):([0-9a-fA-F]{12,64})", expected.strip(), re.ASCII)
    if match is None:
        raise ValueError(f"--expect-head {expected!r}: write it as #n:HEX, as verify prints it")
    event_id, prefix = int(match.group(1)), match.group(2).lower()
    row = conn.execute("SELECT hash FROM events WHERE id = ?", (event_id,)).fetchone()
    if row is None:
        return f"head: event #{event_id} is not in the journal (it was cut back, or this is another war room)"
    if not row[0].startswith(prefix):
        return f"head: event #{event_id} has hash {row[0][:12]}, not {prefix[:12]} (the journal was rewritten)"
    return None


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
    cursor = conn.execute(f"SELECT {', '.join(COLUMNS)}, login, prev_hash, hash FROM events ORDER BY id")
    for row in cursor:
        event_id, login, prev_hash, stored = row[0], row[-3], row[-2], row[-1]
        if event_id != expected_id:
            problems.append(f"event {event_id}: expected id {expected_id} (events missing)")
        if prev_hash != expected_prev:
            problems.append(f"event {event_id}: prev_hash does not match the hash of the event before")
        if chain_hash(prev_hash, row[:-3], login) != stored:
            problems.append(f"event {event_id}: hash does not match its content (altered)")
        elif not _canonical(row[7]):  # the same fact written another way would hash another way
            problems.append(f"event {event_id}: its payload is not written as warroom writes it (rewritten)")
        expected_prev, expected_id = stored, event_id + 1
    return problems

