"""The state tables as the reducer's output.

A fact touches one part of the war room: the runbook (steps, sign-offs, decisions, roles,
the hold), one incident, one risk, one message, or one log line (a note, a KPI reading).
A command re-folds only that part, from the journal's events of that part (with their
corrections) over the part's plan rows, with the new event in its place by time; then it
writes the rows that came out different and removes the ones that no longer exist. A
backdated fact therefore costs what a present one does, however long the journal is.
"""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from ..domain import followups
from ..domain.events import ACTIONS, CORRECTIONS, LOGS, Event, target_of
from ..domain.reducer import (
    FOLDED_META,
    PASSED,
    WATCHED_RISK,
    Board,
    JournalError,
    StateRow,
    incident_number,
    pending_step,
)
from . import reader
from .schema import JSON_COLUMNS

RUNBOOK_ENTITIES = ("step", "decision", "role", "forecast", "rehearsal")
KEYS = {"meta": "key", "roles": "key", "steps": "id", "risks": "id", "audiences": "key", "kpis": "key",
        "assignments": "id", "signoffs": "id", "incidents": "number", "incident_updates": "id",
        "decisions": "id", "messages": "id", "kpi_readings": "id", "notes": "id", "followups": "number",
        "effects": "event"}
# parents before children: the order rows are written in, and the reverse of removal
WRITE_ORDER = ("meta", "roles", "steps", "risks", "audiences", "kpis", "assignments", "incidents",
               "signoffs", "incident_updates", "decisions", "messages", "kpi_readings", "notes", "followups",
               "effects")
CHUNK = 500  # ids per IN (...) query
# one table's part of a change: which stored rows it owns (SQL, its parameters), and the rows
# the fold made of them
Part = tuple[str, tuple[object, ...], list[StateRow]]
K = TypeVar("K", str, int)  # a table's key: text (steps, risks) or a number (incidents, messages)


@dataclass
class Scope:
    """The parts of the war room a fact touches."""

    runbook: bool = False
    incidents: set[int] = field(default_factory=set)
    risks: set[str] = field(default_factory=set)
    messages: set[int] = field(default_factory=set)
    followups: set[int] = field(default_factory=set)
    logs: set[int] = field(default_factory=set)  # event ids of notes and KPI readings

    def only_logs(self) -> bool:
        """A new note or reading: nothing recorded before can bear on it."""
        return not (self.runbook or self.incidents or self.risks or self.messages or self.followups)

    def add(self, event: Event) -> None:
        if event.entity in RUNBOOK_ENTITIES:
            self.runbook = True
        elif event.entity == "incident":
            self.incidents.add(incident_number(event.subject))
        elif event.entity == "risk":
            self.risks.add(event.subject)
            if event.action == "risk.trigger":
                self.incidents.add(incident_number(event.payload["incident"]))
        elif event.entity == "message":
            self.messages.add(int(event.subject))
        elif event.entity == "followup":
            self.followups.add(followups.number(event.subject))
            if event.payload.get("incident"):  # judged against the incident as it stood then
                self.incidents.add(incident_number(event.payload["incident"]))
        elif event.action in LOGS:
            self.logs.add(event.id)


def events_of(conn: sqlite3.Connection, scope: Scope) -> list[Event]:
    """Every event of the scope's parts, with the corrections that name them."""
    found: dict[int, Event] = {}

    def take(where: str, params: tuple[object, ...] = ()) -> None:
        for event in reader.events(conn, where, params):
            found.setdefault(event.id, event)

    if scope.runbook:
        take(f"entity IN ({', '.join('?' * len(RUNBOOK_ENTITIES))})", RUNBOOK_ENTITIES)
    for risk in scope.risks:
        take("entity = 'risk' AND entity_id = ?", (risk,))
    for number in scope.incidents:
        take("entity = 'incident' AND entity_id = ?", (f"INC-{number}",))
        take("action = 'risk.trigger' AND json_extract(payload, '$.incident') = ?", (f"INC-{number}",))
    for message in scope.messages:
        take("entity = 'message' AND entity_id = ?", (str(message),))
    for followup in scope.followups:
        take("entity = 'followup' AND entity_id = ?", (f"FU-{followup}",))
    for event_id in scope.logs:
        take("id = ?", (event_id,))
    targets = list(found)
    while targets:  # the corrections of what was found, then the retractions of those
        named: list[int] = []
        for i in range(0, len(targets), CHUNK):
            chunk = tuple(str(t) for t in targets[i:i + CHUNK])
            for event in reader.events(conn, f"entity = 'correction' AND entity_id IN ({', '.join('?' * len(chunk))})",
                                       chunk):
                found[event.id] = event
                named.append(event.id)
        targets = named
    return list(found.values())


def widen(conn: sqlite3.Connection, scope: Scope) -> Scope:
    """A risk's part holds the incidents its triggers opened (their rows move with it)."""
    for risk in list(scope.risks):
        for (ref,) in conn.execute("SELECT json_extract(payload, '$.incident') FROM events"
                                   " WHERE action = 'risk.trigger' AND entity_id = ?", (risk,)):
            scope.incidents.add(incident_number(ref))
    return scope


def settle(conn: sqlite3.Connection, event: Event) -> Board:
    """Fold a new fact (or a correction) into the part of the war room it touches, judged
    from the moment it changes on, and write that part's rows. Raises RuleError."""
    scope = Scope()
    if event.action in CORRECTIONS:
        target = _corrected(conn, event)
        scope.add(target)
        # a gate that waited for the KPIs passed on readings: judge it again without this one
        scope.runbook |= target.action == "kpi.record" and _gates_wait_for_kpis(conn)
        moved = [event.payload.get("happened_at", target.happened_at)]
        since = min(target.happened_at, *moved, *_corrected_times(conn, target.id))
        check_from = (since, 0)
    else:
        if event.action in ON_TOP and _latest(conn, event):
            return _on_top(conn, event)
        scope.add(event)
        check_from = (event.happened_at, event.id)
    widen(conn, scope)
    fresh = scope.only_logs() and event.action not in CORRECTIONS  # nothing stored bears on it
    board = base(conn, scope, event).fold([*([] if fresh else events_of(conn, scope)), event], check_from)
    write(conn, owned(board, scope), event.id, fresh)
    return board


def _gates_wait_for_kpis(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM steps WHERE kpis_ready = 1 LIMIT 1").fetchone() is not None


def _corrected(conn: sqlite3.Connection, correction: Event) -> Event:
    """The fact a correction is about: retracting a correction touches what it corrected."""
    target = _recorded(conn, target_of(correction))
    while target.action in CORRECTIONS:
        target = _recorded(conn, target_of(target))
    return target


def _recorded(conn: sqlite3.Connection, event_id: int) -> Event:
    """An event a correction names: the command checked it was recorded, and the journal
    only grows, so a missing one means a damaged journal."""
    event = reader.event(conn, event_id)
    if event is None:
        raise JournalError(f"event {event_id} is named by a correction but is not in the journal")
    return event


# decisions and hand-overs that happen after everything recorded: they change a few rows
# that the tables hold as the fold left them, so the runbook need not be folded again
# (a day of thousands of decisions would otherwise re-fold them all at each one)
# a rollback is not among them: it calls up the rollback runbook's steps
ON_TOP = frozenset({"role.assign", *(a for a in ACTIONS if a.startswith("decision.") and a != "decision.rollback")})


def _latest(conn: sqlite3.Connection, event: Event) -> bool:
    """Whether the fact happened at or after every fact recorded (the war room's creation is
    not one), corrected times included."""
    latest = conn.execute("SELECT MAX(happened_at) FROM events WHERE action != 'init'").fetchone()[0] or 0
    moved = conn.execute("SELECT MAX(CAST(json_extract(payload, '$.happened_at') AS INTEGER)) FROM events"
                         " WHERE action = 'correct'").fetchone()[0] or 0
    return event.happened_at >= max(latest, moved)


def _on_top(conn: sqlite3.Connection, event: Event) -> Board:
    """A decision or hand-over after everything else, applied to the war room as the tables
    hold it: the roles' holders, the hold, the decision in force."""
    board = Board(meta={"hold": conn.execute("SELECT value FROM meta WHERE key = 'hold'").fetchone()[0]},
                  roles=_keyed(conn, "roles"), steps={}, risks={}, audiences={}, kpis={},
                  assignments=stored_rows(conn, "assignments", "ended_at IS NULL"))
    in_force = conn.execute("SELECT id FROM decisions ORDER BY happened_at DESC, id DESC LIMIT 1").fetchone()
    board.in_force_id = in_force[0] if in_force else None
    board.fold([event], (event.happened_at, event.id))
    parts = {"meta": ("key = 'hold'", (), [{"key": "hold", "value": board.meta["hold"]}]),
             "decisions": _among("id", [event.id], [d for d in board.decisions.values()]),
             "assignments": _among("id", list(board.assignments), list(board.assignments.values())),
             "effects": _among("event", [event.id], effects(board, [event.id]))}
    write(conn, parts, event.id)
    return board


def _corrected_times(conn: sqlite3.Connection, event_id: int) -> list[int]:
    return [t for (t,) in conn.execute(
        "SELECT json_extract(payload, '$.happened_at') FROM events WHERE entity = 'correction'"
        " AND entity_id = ? AND action = 'correct'", (str(event_id),))]


# -- the plan's rows, from the tables ------------------------------------------------------
def base(conn: sqlite3.Connection, scope: Scope, pending: Event | None = None) -> Board:
    """The war room before its first fact, read from the state tables' plan columns: the
    ones the scope's events read (the runbook's steps and roles, the risks their triggers
    move, the KPIs a gate waits for, as `pending` leaves their readings); audiences and
    KPIs are otherwise only checked to exist, by the commands."""
    runbook, risks = scope.runbook, bool(scope.risks or scope.incidents)
    meta = {k: v for k, v in conn.execute("SELECT key, value FROM meta") if not _folded(k)} if runbook else {}
    meta["hold"] = ""
    steps = {k: r | pending_step() for k, r in _keyed(conn, "steps", "unplanned = 0").items()} if runbook else {}
    waits_for_kpis = any(s["kpis_ready"] for s in steps.values())
    board = Board(
        meta=meta,
        roles=_keyed(conn, "roles") if runbook else {},
        steps=steps,
        risks={k: r | WATCHED_RISK for k, r in _keyed(conn, "risks").items()} if risks else {},
        audiences={}, kpis=_keyed(conn, "kpis") if waits_for_kpis else {},
        assignments=[r | {"ended_at": None} for r in stored_rows(conn, "assignments", "id < 0")] if runbook else [],
    )
    if waits_for_kpis:  # a gate that needs them: when each KPI was first read, and first answered
        board.kpi_firsts = reader.kpi_firsts(conn, pending if pending and pending.action in CORRECTIONS else None)
    return board


def stored_rows(conn: sqlite3.Connection, table: str, where: str = "1",
                params: tuple[object, ...] = ()) -> list[StateRow]:
    cursor = conn.execute(f"SELECT * FROM {table} WHERE {where}", params)
    names = [d[0] for d in cursor.description]
    rows = [dict(zip(names, values, strict=True)) for values in cursor]
    for row in rows:
        row.pop("rev", None)
        for column in JSON_COLUMNS.get(table, ()):
            row[column] = json.loads(row[column]) if row[column] is not None else None
    return rows


def _folded(meta_key: str) -> bool:
    """A meta key the runbook's facts make, rather than the plan."""
    return meta_key in FOLDED_META or meta_key.startswith(PASSED)


def _keyed(conn: sqlite3.Connection, table: str, where: str = "1") -> dict[str, StateRow]:
    """A table keyed by text (roles, steps, risks), by its key (the steps the plan made: those
    added on the day are made again by their events)."""
    return {r[KEYS[table]]: r for r in stored_rows(conn, table, where)}


# -- writing the rows back -----------------------------------------------------------------
def owned(board: Board, scope: Scope) -> dict[str, Part]:
    """table -> (which stored rows the scope owns, as SQL; the rows the fold made of them)."""
    parts: dict[str, Part] = {}
    if scope.runbook:
        parts["steps"] = ("1", (), list(board.steps.values()))
        parts["meta"] = (f"key IN ({', '.join('?' * len(FOLDED_META))}) OR key LIKE ?", (*FOLDED_META, f"{PASSED}%"),
                         [{"key": k, "value": v} for k, v in board.meta.items() if _folded(k)])
        for table in ("assignments", "signoffs", "decisions"):
            parts[table] = ("1", (), list(getattr(board, table).values()))
    if scope.risks:
        parts["risks"] = _picked("id", scope.risks, board.risks)
    if scope.incidents:
        parts["incidents"] = _picked("number", scope.incidents, board.incidents)
    if scope.messages:
        parts["messages"] = _picked("id", scope.messages, board.messages)
    if scope.followups:
        parts["followups"] = _picked("number", scope.followups, board.followups)
    if scope.incidents:
        parts["incident_updates"] = _among("incident", scope.incidents,
                                           [u for u in board.incident_updates.values()
                                            if u["incident"] in scope.incidents])
    for table in ("notes", "kpi_readings"):
        if scope.logs:
            parts[table] = _among("id", scope.logs,
                                  [r for r in getattr(board, table).values() if r["id"] in scope.logs])
    parts["effects"] = _among("event", board.seen, effects(board, board.seen))
    return parts


def effects(board: Board, event_ids: Iterable[int]) -> list[StateRow]:
    return [{"event": e, "effect": effect} for e in event_ids if (effect := board.effect_of(e))]


def _among(column: str, keys: Iterable[object], rows: list[StateRow]) -> Part:
    values = tuple(keys)
    return f"{column} IN ({', '.join('?' * len(values))})", values, rows


def _picked(column: str, keys: Collection[K], rows: Mapping[K, StateRow]) -> Part:
    """The part of a table keyed by `column` that holds `keys`: the rows of those the fold kept."""
    return _among(column, keys, [rows[k] for k in keys if k in rows])


def write(conn: sqlite3.Connection, parts: dict[str, Part], rev: int, fresh: bool = False) -> None:
    """Make the stored rows of each part equal the fold's: upsert what differs (rev = the
    event that made it differ), delete what is gone (and say so in `removed`). `fresh`: the
    parts have no stored rows yet."""
    gone: dict[str, list[object]] = {}
    for table in WRITE_ORDER:
        if table in parts:
            where, params, rows = parts[table]
            stored = {} if fresh else {r[KEYS[table]]: r for r in stored_rows(conn, table, where, params)}
            folded = {r[KEYS[table]]: r for r in rows}
            gone[table] = [k for k in stored if k not in folded]
            for key, row in folded.items():
                if stored.get(key) != row:
                    _upsert(conn, table, row, rev)
    for table in reversed(WRITE_ORDER):
        for key in gone.get(table, ()):
            conn.execute(f"DELETE FROM {table} WHERE {KEYS[table]} = ?", (key,))
            conn.execute("INSERT INTO removed (tbl, key, rev) VALUES (?,?,?)", (table, str(key), rev))


def _upsert(conn: sqlite3.Connection, table: str, row: StateRow, rev: int) -> None:
    values = {k: json.dumps(v) if k in JSON_COLUMNS.get(table, ()) and v is not None else v for k, v in row.items()}
    values["rev"] = rev
    columns = ", ".join(values)
    updates = ", ".join(f"{c} = excluded.{c}" for c in values if c != KEYS[table])
    conn.execute(f"INSERT INTO {table} ({columns}) VALUES ({', '.join('?' * len(values))})"
                 f" ON CONFLICT({KEYS[table]}) DO UPDATE SET {updates}", tuple(values.values()))


def everything(board: Board) -> dict[str, Part]:
    """Every table as the fold made it: for `init` and for a rebuild of the whole file."""
    keys = list(board.meta)
    tables = {"effects": effects(board, board.seen),
              **{t: list(getattr(board, t).values()) for t in WRITE_ORDER if t not in ("meta", "effects")}}
    return {"meta": _among("key", keys, [{"key": k, "value": board.meta[k]} for k in keys]),
            **{t: ("1", (), rows) for t, rows in tables.items()}}
