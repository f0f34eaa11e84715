"""Reading the journal for an export: one read snapshot, rows streamed in batches."""
from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import NamedTuple

BATCH = 2000
LOG_ACTIONS = ("note", "kpi.record", "comm.sent", "comm.draft", "comm.send")
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

    def where(self) -> tuple[str, tuple]:
        clauses, params = [], []
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


def rows(conn: sqlite3.Connection, where: str = "1", params: tuple = (),
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


def count(conn: sqlite3.Connection, where: str = "1", params: tuple = ()) -> int:
    return conn.execute(f"SELECT COUNT(*) FROM events WHERE {where}", params).fetchone()[0]
