"""Leases: which process does a job that only one may do at a time (the `kpi watch` that
reads the sources). A lease is held until it expires; its holder renews it well before, and
a holder that dies (killed, its host asleep) loses it by expiry, with nobody to release it.

Leases are who works, not what happened: they live in the `leases` table, never in the
journal. Each claim is one BEGIN IMMEDIATE transaction, read then write, retried when busy
like the commands (store.py)."""
from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TypeVar

from ..domain import timefmt
from .store import retry_busy

T = TypeVar("T")


def claim(conn: sqlite3.Connection, name: str, holder: str, ttl_ms: int) -> str:
    """Take lease `name` for `holder`, or renew it, for `ttl_ms` from now, unless someone
    else holds it unexpired. Returns who holds it now (`holder` when taken)."""
    def take() -> str:
        now = timefmt.now_ms()
        row = conn.execute("SELECT holder, expires_at FROM leases WHERE name = ?", (name,)).fetchone()
        if row is not None and row[0] != holder and row[1] > now:
            return str(row[0])
        conn.execute("INSERT OR REPLACE INTO leases (name, holder, expires_at) VALUES (?, ?, ?)",
                     (name, holder, now + ttl_ms))
        return holder
    return _immediate(conn, take)


def release(conn: sqlite3.Connection, name: str, holder: str) -> None:
    """Give lease `name` up, if `holder` still holds it: the next claimer need not wait for
    it to expire."""
    def drop() -> None:
        conn.execute("DELETE FROM leases WHERE name = ? AND holder = ?", (name, holder))
    _immediate(conn, drop)


def _immediate(conn: sqlite3.Connection, body: Callable[[], T]) -> T:
    def attempt() -> T:
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = body()
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return result
    return retry_busy(attempt)
