"""The change feed: has anything changed, and what — for consoles that poll ~10 times a second."""
from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from .db import connect, create_file, rows
from .schema import TABLES_WITH_REV


@dataclass(frozen=True)
class Trouble:
    """Why a console must stop recording: a few words for the top bar, and the whole story."""

    short: str
    detail: str

    def __str__(self) -> str:
        return self.detail


def identity(path: str | Path) -> tuple[int, int]:
    """Which file a path names now: (device, inode), through any symlink."""
    found = os.stat(path)
    return found.st_dev, found.st_ino


class ChangeFeed:
    """A long-lived read connection. `changed()` costs one PRAGMA; the reads finish every
    query so that no read snapshot stays pinned. `trouble()` (two stat calls) tells when the
    path no longer names the file the console opened, or its -wal was deleted under it."""

    def __init__(self, path: str | Path, *, opened: tuple[int, int] | None = None):
        self.path = Path(path)
        self.wal = Path(os.path.realpath(self.path) + "-wal")  # SQLite's, beside the real file
        self.conn = connect(path, readonly=True)
        # the file the console opened: as it was before its first connection, when given
        self.opened = opened or identity(self.path)
        self.wal_opened = self._wal_identity()
        self._version = self._data_version()
        self._trouble: Trouble | None = None

    def _wal_identity(self) -> tuple[int, int] | None:
        try:
            return identity(self.wal)
        except FileNotFoundError:
            return None

    def trouble(self) -> Trouble | None:
        """Why this console must stop recording, once it is so (it stays so): the path now names
        another file (`init --force`, a file renamed over it), the file is gone, or the -wal
        that holds the latest commits was deleted or replaced. None while all is well."""
        if self._trouble is None:
            self._trouble = self._check()
        return self._trouble

    def _check(self) -> Trouble | None:
        name = self.path.name
        try:
            now = identity(self.path)
        except FileNotFoundError:
            return Trouble(f"{name} is gone", f"{self.path} is gone (moved or deleted while this console "
                           "had it open): nothing recorded here would reach the war room")
        if now != self.opened:
            return Trouble(f"{name} was replaced", f"{self.path} is now another file (replaced by `warroom "
                           "init --force`, or a file renamed over it): this console was showing the old one")
        if self.wal_opened is None:
            self.wal_opened = self._wal_identity()  # not there yet when the console opened
            return None
        try:
            wal = identity(self.wal)
        except FileNotFoundError:
            wal = None
        if wal != self.wal_opened:
            return Trouble(f"{self.wal.name} {'deleted' if wal is None else 'replaced'}",
                           f"{self.wal} was {'deleted' if wal is None else 'replaced'} while the war room "
                           "was open: the latest entries are lost for whoever opens the file now; make no "
                           "more entries, quit every console and run `warroom verify`")
        return None

    def rescue(self) -> Path:
        """Copy everything this connection still sees (the file it opened, and a deleted -wal's
        commits) into a new file beside the war room: `<name>.<time>.rescued`."""
        target = self.path.with_name(f"{self.path.name}.{datetime.now():%Y%m%d-%H%M%S}.rescued")
        create_file(target)
        try:
            self.conn.execute("VACUUM INTO ?", (str(target),))
        except sqlite3.Error:
            target.unlink(missing_ok=True)
            raise
        return target

    def _data_version(self) -> int:
        return self.conn.execute("PRAGMA data_version").fetchone()[0]

    def changed(self) -> bool:
        """True once after every commit by another connection (another console, the CLI)."""
        version = self._data_version()
        moved, self._version = version != self._version, version
        return moved

    def last_event_id(self) -> int:
        return self.conn.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()[0]

    def events_after(self, event_id: int, limit: int | None = None) -> list[dict[str, Any]]:
        """The journal's new rows, each with what it led to (`effect`)."""
        sql = ("SELECT e.*, f.effect, l.latest AS typed_after FROM events e LEFT JOIN effects f ON f.event = e.id"
               " LEFT JOIN late_entries l ON l.event = e.id WHERE e.id > ? ORDER BY e.id")
        params: tuple[int, ...] = (event_id,)
        if limit is not None:
            sql, params = sql + " LIMIT ?", (event_id, limit)
        return rows(self.conn, sql, params)

    def rows_after(self, rev: int, tables: Iterable[str] = TABLES_WITH_REV) -> dict[str, list[dict[str, Any]]]:
        """Every row of `tables` that an event after `rev` changed, by table, in one read snapshot."""
        self.conn.execute("BEGIN")
        try:
            return {t: changed for t in tables
                    if (changed := rows(self.conn, f"SELECT * FROM {t} WHERE rev > ?", (rev,)))}
        finally:
            self.conn.execute("COMMIT")

    def removed_after(self, rev: int) -> list[dict[str, Any]]:
        """Rows that an event after `rev` removed (a retracted fact), as (tbl, key)."""
        return rows(self.conn, "SELECT tbl, key FROM removed WHERE rev > ?", (rev,))

    def close(self) -> None:
        self.conn.close()
