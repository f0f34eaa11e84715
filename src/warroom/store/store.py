"""The war room on disk and the one write path: every change is a command that runs in one
BEGIN IMMEDIATE transaction, changes state rows (rev = its event id) and appends exactly one
journal event, retried as a whole when the file is busy."""
from __future__ import annotations

import functools
import os
import pwd
import random
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

from ..domain import timefmt
from ..domain.events import CORRECTIONS, Event, target_of
from ..domain.kinds import check_text
from ..domain.reducer import Board, Contradiction
from ..domain.rules import RuleError
from . import fold, journal
from .db import Params, check_file, connect, create_file, migrate
from .files import StoreError, network_filesystem
from .lock import WriterQueue
from .schema import SCHEMA_VERSION

if TYPE_CHECKING:
    import sqlite_utils


def os_login() -> str:
    """Who the process runs as, from its uid: recorded beside the name typed in --as."""
    uid = os.geteuid()
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


Answer = dict[str, Any]  # what a command answers: its event's id, and what the fold made of it
BUSY_ATTEMPTS = 50
BACKOFF_MS = (2, 50)
T = TypeVar("T")


@dataclass
class Tx:
    """What a command's body sees: the connection inside the transaction and the event's facts."""

    conn: sqlite3.Connection
    db: sqlite_utils.Database
    rev: int
    happened_at: int
    recorded_at: int
    operator: str

    def one(self, sql: str, params: Params = ()) -> dict[str, Any] | None:
        rows = list(self.db.query(sql, params))
        return rows[0] if rows else None

    def all(self, sql: str, params: Params = ()) -> list[dict[str, Any]]:
        return list(self.db.query(sql, params))

    def run(self, sql: str, params: Params = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)


@dataclass(frozen=True)
class Change:
    """What a command hands back to the write loop: the journal row's subject and payload,
    what to answer once the fact is folded in, and (for `init` only) the board it starts."""

    action: str
    entity: str
    entity_id: str | None
    payload: dict[str, Any]
    result: Callable[[Board], Answer]
    start: Callable[[Event], Board] | None = None


class Store:
    """One open war room file, for one operator."""

    def __init__(self, path: str | Path, operator: str, *, readonly: bool = False):
        self.path = Path(path)
        check_file(self.path)
        if not operator.strip():
            raise ValueError("operator: give a name with --as or $WARROOM_OPERATOR")
        self.operator = check_text(operator, "operator")
        self.login = os_login()
        self.readonly = readonly or not _writable(self.path)
        self.conn = connect(self.path, readonly=self.readonly)
        if self.readonly:
            self._check_schema()
        else:
            migrate(self.conn)
        self.warning = _network_warning(self.path)
        self._turn = WriterQueue(self.path)

    def _check_schema(self) -> None:
        """A file opened read-only cannot be brought up to date: one an older warroom wrote
        lacks what this one reads."""
        version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        if 0 < version < SCHEMA_VERSION:
            self.conn.close()
            raise StoreError(f"{self.path}: written by an older warroom (schema {version}, this one reads "
                             f"{SCHEMA_VERSION}) and opened read-only: open it once with the right to write "
                             f"(warroom --db {self.path} status) to bring it up to date")

    @classmethod
    def create(cls, path: str | Path, operator: str) -> Store:
        path = Path(path)
        create_file(path)
        conn = connect(path)
        try:
            migrate(conn)
        finally:
            conn.close()
        return cls(path, operator)

    def close(self) -> None:
        self._turn.close()
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @functools.cached_property
    def db(self) -> sqlite_utils.Database:
        """sqlite-utils over the connection, loaded on first use (not before a console's
        first screen)."""
        import sqlite_utils

        return sqlite_utils.Database(self.conn)

    # -- reading -------------------------------------------------------------------------
    def meta(self) -> dict[str, str]:
        return {r["key"]: r["value"] for r in self.db.query("SELECT key, value FROM meta")}

    def zone(self) -> ZoneInfo:
        return timefmt.zone(self.meta().get("timezone", "UTC"))

    def query(self, sql: str, params: Params = ()) -> list[dict[str, Any]]:
        return list(self.db.query(sql, params))

    def verify(self, state: bool = True) -> list[str]:
        """The file's integrity, the journal's chain, then (with `state`) the state tables
        against its fold."""
        problems = journal.verify(self.conn)
        if problems or not state:
            return problems
        from .rebuild import (
            differences,  # loads the plan reader: not before a console's first screen
        )

        try:
            return differences(self.conn)
        except (RuleError, TypeError, ValueError, KeyError, RecursionError) as exc:  # JournalError is a ValueError
            return [f"the journal does not fold: {type(exc).__name__}: {str(exc)[:300]}"]

    def checkpoint(self) -> None:
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # -- writing -------------------------------------------------------------------------
    def write(self, body: Callable[[Tx], Change], at: int | None = None) -> Answer:
        """Run one command: its body, its journal event, one commit. Retried when busy."""
        if self.readonly:
            raise StoreError(f"{self.path}: opened read-only, nothing can be recorded")
        return retry_busy(lambda: self._attempt(body, at))

    def _attempt(self, body: Callable[[Tx], Change], at: int | None) -> Answer:
        with self._turn:
            return self._transaction(body, at)

    def _transaction(self, body: Callable[[Tx], Change], at: int | None) -> Answer:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            now = timefmt.now_ms()
            happened = _happened(at, now)
            event_id, prev_hash = journal.next_id(self.conn)
            tx = Tx(self.conn, self.db, event_id, happened, now, self.operator)
            change = body(tx)
            event = Event(event_id, happened, now, self.operator, change.action, change.entity,
                          change.entity_id, change.payload, self.login)
            board = self._fold_in(event, change)
            journal.mark_if_late(self.conn, event_id, happened)
            journal.append(self.conn, event_id, prev_hash, happened, now, self.operator,
                           change.action, change.entity, change.entity_id, change.payload, self.login)
            result = change.result(board)
            self.conn.execute("COMMIT")
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        return {"event": event_id, **result}

    def _fold_in(self, event: Event, change: Change) -> Board:
        if change.start is not None:
            board = change.start(event)
            fold.write(self.conn, fold.everything(board), event.id)
            return board
        try:
            return fold.settle(self.conn, event)
        except Contradiction as exc:
            later = exc.event
            if event.action in CORRECTIONS and later.id == target_of(event):
                raise RuleError(f"refused: #{later.id} cannot be so: {exc}") from None
            when = timefmt.from_ms(later.happened_at, self.zone()).strftime("%Y-%m-%d %H:%M")
            reason = str(exc).removesuffix(" (--force with --note to override)")  # #n is not forced now
            raise RuleError(f"refused: it contradicts #{later.id} ({later.action} {later.entity_id or ''}"
                            f" at {when}, by {later.operator}): {reason}") from None
        except sqlite3.IntegrityError:
            raise RuleError("refused: other facts still name what it would remove (a decision about this "
                            "incident?): retract them first") from None


def retry_busy(attempt: Callable[[], T]) -> T:
    """Run a whole transaction again, after a jittered pause, while SQLite says busy."""
    for n in range(BUSY_ATTEMPTS):
        try:
            return attempt()
        except sqlite3.OperationalError as exc:
            if not _busy(exc) or n == BUSY_ATTEMPTS - 1:
                raise
            time.sleep(random.uniform(*BACKOFF_MS) / 1000 * min(n + 1, 10))
    raise AssertionError("unreachable")


def _busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _happened(at: int | None, now: int) -> int:
    if at is None:
        return now
    if at > now + timefmt.FUTURE_TOLERANCE_MS:
        raise ValueError("happened_at is in the future: a fact cannot happen later than now")
    return at


def _writable(path: Path) -> bool:
    return os.access(path, os.W_OK) and os.access(path.absolute().parent, os.W_OK)


def _network_warning(path: Path) -> str | None:
    kind = network_filesystem(path)
    if kind:
        return (f"warning: {path} is on a network filesystem ({kind}); SQLite's WAL mode is not "
                "safe there: keep the war room file on a local disk of the host everyone logs into")
    return None
