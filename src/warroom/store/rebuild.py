"""The whole war room folded from its journal: for an export, `status --as-of`, `verify`'s
check of the state tables, and the migration that rebuilds them."""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..domain.events import TALLIED, Event
from ..domain.reducer import Board, Contradiction, JournalError, StateRow, initial
from . import fold, reader
from .schema import LATE_ENTRIES

if TYPE_CHECKING:
    from ..plan.loader import Plan



def journal_board(conn: sqlite3.Connection, as_of: int | None = None, logs: bool = True,
                  judge: bool = False) -> Board:
    """The board after every event that happened at or before `as_of` (None: all), corrections
    applied; without `logs`, messages, notes and KPI readings are left out (they are tallied);
    with `judge`, every fact recorded under the rules is checked against them (RuleError)."""
    where = "1" if logs else f"action NOT IN ({', '.join(repr(a) for a in TALLIED)})"
    return replay(reader.events(conn, where), as_of, judge)


def replay(events: Iterable[Event], as_of: int | None = None, judge: bool = False) -> Board:
    """The board after `events` (journal order, the init event first), up to `as_of`."""
    events = iter(events)
    init = next(events, None)
    if init is None or init.action != "init":
        raise JournalError("the journal does not start with the war room's plan (init event)")
    return initial(_plan(init), init).fold(events, check_from=(0, 0) if judge else None, until=as_of)


def _plan(init: Event) -> Plan:
    """The plan the war room was created with. The init event carries the plan file's text
    and the go-live it was created for: a plan moved in time before it was loaded (the demo
    is moved to today) is moved here the same way."""
    from ..plan.loader import load_plan_text

    try:
        return load_plan_text(init.payload["plan"], "<journal: init event>").moved_to(init.payload["golive"])
    except (KeyError, TypeError, ValueError) as exc:
        raise JournalError(f"event {init.id} (init): its plan does not load: {exc}") from None


def refold(conn: sqlite3.Connection) -> None:
    """Rewrite every state table as the fold of the journal (inside the caller's transaction)."""
    last = conn.execute("SELECT MAX(id) FROM events").fetchone()[0]
    if last is not None:
        # old rows point at each other (a decision at the one it superseded): they go in any
        # order, and the keys are checked once all are written, at commit
        conn.execute("PRAGMA defer_foreign_keys = ON")
        fold.write(conn, fold.everything(journal_board(conn)), last)


def differences(conn: sqlite3.Connection) -> list[str]:
    """Every state row that is not what the journal's fold says it should be."""
    board = journal_board(conn)
    problems = [f"journal: #{event} is left out of the war room: {why} (correct its time or retract it)"
                for event, why in board.left_out.items()]
    try:
        journal_board(conn, judge=True)
    except Contradiction as exc:
        problems.append(f"journal: #{exc.event.id} ({exc.event.action}) breaks the rules at its moment: {exc}")
    problems += _feed_tables(conn)
    for table, (where, params, rows) in fold.everything(board).items():
        key = fold.KEYS[table]
        stored = {r[key]: r for r in fold.stored_rows(conn, table, where, params)}
        for row in rows:
            if stored.get(row[key]) is None:
                problems.append(f"state: {table} {row[key]} is missing (the journal has it)")
            elif (diff := _diff(stored.pop(row[key]), row)):
                problems.append(f"state: {table} {row[key]}: {diff} (the journal says otherwise)")
        problems += [f"state: {table} {k} is not in the journal" for k in stored]
    return problems


def _diff(stored: StateRow, folded: StateRow) -> str:
    return "; ".join(f"{k} is {json.dumps(stored.get(k), ensure_ascii=False, default=str)}, "
                     f"not {json.dumps(v, ensure_ascii=False, default=str)}"
                     for k, v in folded.items() if stored.get(k) != v)


def _feed_tables(conn: sqlite3.Connection) -> list[str]:
    """What the consoles read beside the state: no row newer than the journal (a console
    would stop seeing changes), no removal of a row that is there, the late marks as the
    journal says."""
    last = conn.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()[0]
    problems = [f"state: {table} has rows changed by event #{rev}, after the last event #{last}"
                for table in (*fold.KEYS, "removed")
                if (rev := conn.execute(f"SELECT MAX(rev) FROM {table}").fetchone()[0]) is not None and rev > last]
    for table, key, rev in conn.execute("SELECT tbl, key, rev FROM removed").fetchall():
        if table not in fold.KEYS:
            problems.append(f"state: removed names an unknown table {table!r}")
        elif conn.execute(f"SELECT 1 FROM {table} WHERE CAST({fold.KEYS[table]} AS TEXT) = ? AND rev <= ?",
                          (key, rev)).fetchone():
            problems.append(f"state: {table} {key} is said removed by #{rev} but is there")
    expected = set(conn.execute(LATE_ENTRIES).fetchall())
    stored = set(conn.execute("SELECT event, latest FROM late_entries").fetchall())
    problems += [f"state: late_entries marks #{e} wrongly" for e, _ in sorted(stored - expected)]
    problems += [f"state: late_entries misses #{e}" for e, _ in sorted(expected - stored)]
    return problems
