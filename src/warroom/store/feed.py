"""The change feed: has anything changed, and what — for consoles that poll ~10 times a second."""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .db import connect, rows
from .schema import TABLES_WITH_REV


class ChangeFeed:
    """A long-lived read connection. `changed()` costs one PRAGMA; the reads finish every
    query so that no read snapshot stays pinned."""

    def __init__(self, path: str | Path):
        self.conn = connect(path, readonly=True)
        self._version = self._data_version()

    def _data_version(self) -> int:
        return self.conn.execute("PRAGMA data_version").fetchone()[0]

    def changed(self) -> bool:
        """True once after every commit by another connection (another console, the CLI)."""
        version = self._data_version()
        moved, self._version = version != self._version, version
        return moved

    def last_event_id(self) -> int:
        return self.conn.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()[0]

    def events_after(self, event_id: int, limit: int | None = None) -> list[dict]:
        """The journal's new rows, each with what it led to (`effect`)."""
        sql = ("SELECT e.*, f.effect, l.latest AS typed_after FROM events e LEFT JOIN effects f ON f.event = e.id"
               " LEFT JOIN late_entries l ON l.event = e.id WHERE e.id > ? ORDER BY e.id")
        params: tuple = (event_id,)
        if limit is not None:
            sql, params = sql + " LIMIT ?", (event_id, limit)
        return rows(self.conn, sql, params)

    def rows_after(self, rev: int, tables: Iterable[str] = TABLES_WITH_REV) -> dict[str, list[dict]]:
        """Every row of `tables` that an event after `rev` changed, by table, in one read snapshot."""
        self.conn.execute("BEGIN")
        try:
            return {t: changed for t in tables
                    if (changed := rows(self.conn, f"SELECT * FROM {t} WHERE rev > ?", (rev,)))}
        finally:
            self.conn.execute("COMMIT")

    def removed_after(self, rev: int) -> list[dict]:
        """Rows that an event after `rev` removed (a retracted fact), as (tbl, key)."""
        return rows(self.conn, "SELECT tbl, key FROM removed WHERE rev > ?", (rev,))

    def close(self) -> None:
        self.conn.close()
