"""What the console shows, read-only: a mirror of the state rows kept up to date from the
change feed, the figures derived from it, and the few reads a screen asks for on demand.

The reads (`snapshot`, `changes`, `Reader`) run in worker threads; everything else is a pure
function over the mirror, cheap enough for the console's event loop.
"""
from __future__ import annotations

import json
import sqlite3
import threading
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ..domain import figures, forecast, timefmt
from ..domain.cadence import Clock, next_due
from ..domain.forecast import Forecast
from ..domain.kinds import Better, IncidentStatus, Phase, StepStatus, met
from ..domain.reducer import PASSED
from ..domain.rules import SETTLED
from ..domain.timefmt import duration
from ..store.db import connect
from ..store.db import rows as read
from ..store.feed import ChangeFeed
from ..store.schema import JSON_COLUMNS

# the state tables the console mirrors, by primary key (incident_updates and notes are
# read from the journal instead)
MIRRORED = {"meta": "key", "roles": "key", "assignments": "id", "steps": "id",
            "signoffs": "id", "risks": "id", "incidents": "number", "decisions": "id",
            "audiences": "key", "messages": "id", "kpis": "key", "kpi_readings": "id", "followups": "number"}
RECENT_EVENTS = 200
DAY_MS = 86_400_000
KPI_POINTS = 60  # readings kept per KPI on each side of go-live (the side before H measures a baseline),
# and as many failed source runs: a source failing for an hour leaves the last values in view


@dataclass
class Delta:
    """What changed since the last look: state rows by table, rows removed (a retracted
    fact) by table, new journal rows (oldest first) with what each led to, the new effects
    of older events (a fact typed late re-folds those after it), and the cursors to look
    from next time."""

    rows: dict[str, list[dict]]
    events: list[dict]
    last_id: int
    last_rev: int
    initial: bool = False
    removed: dict[str, list] = field(default_factory=dict)
    effects: dict[int, dict] = field(default_factory=dict)
    measured: dict[str, float] | None = None  # KPI -> the mean of its readings before H, when re-read

    def touched(self, *tables: str) -> bool:
        return self.initial or any(t in self.rows or t in self.removed for t in tables)


def decode(table: str, row: dict) -> dict:
    for column in JSON_COLUMNS.get(table, ()):
        if isinstance(row.get(column), str):
            row[column] = json.loads(row[column])
    return row


def decode_event(row: dict) -> dict:
    if isinstance(row.get("payload"), str):
        row["payload"] = json.loads(row["payload"])
    row["effect"] = json.loads(row["effect"]) if isinstance(row.get("effect"), str) else {}
    return row


# each event with what it led to, and (for a fact typed after later ones) the latest time known then
EVENTS = ("SELECT e.*, f.effect, l.latest AS typed_after FROM events e LEFT JOIN effects f ON f.event = e.id"
          " LEFT JOIN late_entries l ON l.event = e.id")
TEXT_KEYS = {"meta", "roles", "steps", "risks", "audiences", "kpis"}


# -- reads, in worker threads --------------------------------------------------------------
def snapshot(conn: sqlite3.Connection) -> Delta:
    """Everything the console mirrors, in one read snapshot."""
    conn.execute("BEGIN")
    try:
        last_id = conn.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()[0]
        tables = {t: read(conn, f"SELECT * FROM {t}") for t in MIRRORED if t != "kpi_readings"}
        tables["kpi_readings"] = read(conn,
            "SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY kpi, value IS NULL, happened_at < (SELECT"
            " CAST(value AS INTEGER) FROM meta WHERE key = 'golive') ORDER BY id DESC) AS n FROM kpi_readings)"
            " WHERE n <= ?", (KPI_POINTS,))
        events = read(conn, f"{EVENTS} ORDER BY e.happened_at DESC, e.id DESC LIMIT ?", (RECENT_EVENTS,))
        measured = measured_baselines(conn)
    finally:
        conn.execute("COMMIT")
    decoded = {t: [decode(t, r) for r in rs] for t, rs in tables.items()}
    # a row's rev is the event that last wrote it, so none is newer than the last event
    return Delta(decoded, [decode_event(e) for e in reversed(events)], last_id, last_id, initial=True,
                 measured=measured)


def measured_baselines(conn: sqlite3.Connection) -> dict[str, float]:
    """KPI -> the mean of its readings before H: the baseline of a KPI its plan gives none
    (the report's too, export/facts.py)."""
    return dict(conn.execute(
        "SELECT kpi, AVG(value) FROM kpi_readings WHERE value IS NOT NULL AND happened_at <"
        " (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'golive') GROUP BY kpi").fetchall())


def changes(feed: ChangeFeed, last_id: int, last_rev: int) -> Delta:
    """What the journal and the state rows gained after the cursors."""
    events = [decode_event(e) for e in feed.events_after(last_id)]
    changed = feed.rows_after(last_rev, [*MIRRORED, "effects"])
    effects = {r["event"]: json.loads(r["effect"]) for r in changed.pop("effects", [])}
    rows = {t: [decode(t, r) for r in rs] for t, rs in changed.items()}
    removed: dict[str, list] = {}
    for r in feed.removed_after(last_rev):
        removed.setdefault(r["tbl"], []).append(r["key"] if r["tbl"] in TEXT_KEYS else int(r["key"]))
    new_id = events[-1]["id"] if events else last_id
    new_rev = max([last_rev, new_id, *(r["rev"] for rs in rows.values() for r in rs)])
    measured = measured_baselines(feed.conn) if "kpi_readings" in rows or "kpi_readings" in removed else None
    return Delta(rows, events, new_id, new_rev, removed=removed, effects=effects, measured=measured)


class Reader:
    """A read-only connection for the reads a screen asks for (history, older pages,
    filters), one at a time."""

    def __init__(self, path: str | Path):
        self.conn = connect(path, readonly=True)
        self.lock = threading.Lock()

    def query(self, sql: str, params=()) -> list[dict]:
        with self.lock:
            return read(self.conn, sql, params)

    def snapshot(self) -> Delta:
        with self.lock:
            return snapshot(self.conn)

    def entity_events(self, entity: str, entity_id: str, limit: int = 50) -> list[dict]:
        rows = self.query(f"{EVENTS} WHERE e.entity = ? AND e.entity_id = ?"
                          " ORDER BY e.happened_at DESC, e.id DESC LIMIT ?", (entity, entity_id, limit))
        return [decode_event(r) for r in rows]

    def events_page(self, before: tuple[int, int] | None, limit: int, kind: str = "", operator: str = "",
                    text: str = "") -> list[dict]:
        """Journal rows that happened before `before` ((happened_at, id); None: the latest),
        latest first, matching the filter."""
        where: list[str] = ["1"]
        params: list = []
        if before is not None:
            where, params = ["(e.happened_at, e.id) < (?, ?)"], list(before)
        if kind:
            where.append("entity = ?")
            params.append(kind)
        if operator:
            where.append("operator LIKE ? ESCAPE '\\'")
            params.append(f"%{_like(operator)}%")
        if text:
            where.append("(action LIKE ? ESCAPE '\\' OR entity_id LIKE ? ESCAPE '\\'"
                         " OR payload LIKE ? ESCAPE '\\')")
            params += [f"%{_like(text)}%"] * 3
        rows = self.query(f"{EVENTS} WHERE {' AND '.join(where)} ORDER BY e.happened_at DESC, e.id DESC LIMIT ?",
                          (*params, limit))
        return [decode_event(r) for r in rows]

    def close(self) -> None:
        self.conn.close()


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def event_matches(event: dict, kind: str, operator: str, text: str) -> bool:
    """The same filter as `Reader.events_page`, for events that arrive live."""
    if kind and event["entity"] != kind:
        return False
    if operator and operator.casefold() not in event["operator"].casefold():
        return False
    haystack = " ".join([event["action"], event["entity_id"] or "",
                         json.dumps(event["payload"], ensure_ascii=False)])
    return not text or text.casefold() in haystack.casefold()


# -- the mirror ----------------------------------------------------------------------------
@dataclass
class Room:
    """The state rows of one war room, by table and key, and its latest journal events."""

    tables: dict[str, dict] = field(default_factory=lambda: {t: {} for t in MIRRORED})
    events: deque = field(default_factory=lambda: deque(maxlen=RECENT_EVENTS))
    last_id: int = 0
    last_rev: int = 0
    loaded: bool = False
    measured: dict[str, float] = field(default_factory=dict)  # KPI -> mean of its readings before H

    def apply(self, delta: Delta) -> None:
        if delta.measured is not None:
            self.measured = delta.measured
        for table, rows in delta.rows.items():
            key = MIRRORED[table]
            target = self.tables[table]
            for row in rows:
                target[row[key]] = row
        for table, keys in delta.removed.items():
            for key in keys:
                self.tables.get(table, {}).pop(key, None)
        for event in self.events:
            if event["id"] in delta.effects:
                event["effect"] = delta.effects[event["id"]]
        if "kpi_readings" in delta.rows:
            self._trim_readings()
        self.events.extend(delta.events)
        self.last_id, self.last_rev = delta.last_id, delta.last_rev
        self.loaded = True

    def _trim_readings(self) -> None:
        """The latest KPI_POINTS readings of each KPI before go-live and since, values and failed
        runs apart (as `snapshot` reads them)."""
        readings, golive = self.tables["kpi_readings"], self.golive
        by_side: dict[tuple[str, bool, bool], list[int]] = {}
        for reading_id in sorted(readings):
            r = readings[reading_id]
            by_side.setdefault((r["kpi"], r["value"] is None, r["happened_at"] < golive), []).append(reading_id)
        for ids in by_side.values():
            for reading_id in ids[:-KPI_POINTS]:
                del readings[reading_id]

    def everything(self) -> Delta:
        """The whole mirror as one delta, for a screen that opens after the first load."""
        return Delta({t: list(rows.values()) for t, rows in self.tables.items()},
                     list(self.events), self.last_id, self.last_rev, initial=True)

    def rows(self, table: str, order: str | None = "position") -> list[dict]:
        rows = list(self.tables[table].values())
        return sorted(rows, key=lambda r: r[order]) if order else rows

    def meta(self, key: str, default: str = "") -> str:
        row = self.tables["meta"].get(key)
        return row["value"] if row and row["value"] is not None else default

    @property
    def golive(self) -> int:
        return int(self.meta("golive", "0"))

    def steps(self) -> list[dict]:
        return self.rows("steps")

    def clock(self) -> Clock:
        """The day's phases on the wall clock."""
        return Clock.of(self.golive, self.steps())


# -- derived figures -----------------------------------------------------------------------
def phase(room: Room, now: int | None = None) -> Phase:
    return figures.current_phase(room.steps(), timefmt.now_ms() if now is None else now, room.golive)


def forecast_of(room: Room, now: int) -> Forecast:
    meta = {key: row["value"] for key, row in room.tables["meta"].items()}
    return forecast.of_room(room.steps(), meta, room.tables["decisions"].values(), now)


AMBER_MS, RED_MS = 15 * 60_000, 5 * 60_000  # the rollback clock turns amber, then red


@dataclass(frozen=True)
class RollbackClock:
    text: str
    tone: str  # 'ok', 'amber', 'red'


def rollback_clock(room: Room, now: int, tz: ZoneInfo) -> RollbackClock | None:
    """Whether a rollback can still be decided, and until when, in one line; None when the plan
    says nothing of undoing anything."""
    f = forecast_of(room, now)
    window = f" · window ends {hhmm(f.window_end, tz)}" if f.window_end is not None else ""
    ponr = f.point_of_no_return or {}
    if f.backing_out:
        late = f.window_end is not None and f.backout_end > f.window_end
        return RollbackClock(f"ROLLING BACK · backout ends ~{hhmm(f.backout_end, tz)}{window}",
                             "red" if late else "amber")
    if ponr.get("passed_at") is not None:
        return RollbackClock(f"PAST THE POINT OF NO RETURN ({ponr['step']} done at {hhmm(ponr['passed_at'], tz)}):"
                             " a backout is now a recovery", "red")
    if f.rollback_deadline is None:
        return RollbackClock(f"backout {duration(f.backout_ms)} if decided now", "ok") if f.backout_ms else None
    left = f.rollback_deadline - now
    if left < 0:
        return RollbackClock(f"ROLLBACK DEADLINE PASSED at {hhmm(f.rollback_deadline, tz)}: a backout now ends "
                             f"{hhmm(f.backout_end, tz)}{window}", "red")
    return RollbackClock(f"decide rollback by {hhmm(f.rollback_deadline, tz)} · {duration(left)} left · "
                         f"backout {duration(f.backout_ms)}{window}",
                         "red" if left <= RED_MS else "amber" if left <= AMBER_MS else "ok")


def newly_invoked(room: Room, delta: Delta) -> list[dict[str, Any]]:
    """The contingency steps a delta calls up (a rollback decision): they are the owners' work now."""
    before = room.tables["steps"]
    return sorted((row for row in delta.rows.get("steps", []) if row.get("invoked") and row.get("status") == "pending"
                   and not before.get(row["id"], {}).get("invoked")), key=lambda row: row["position"])


def passed_moments(room: Room, now: int) -> list[dict[str, Any]]:
    """The moments the forecast has passed and the journal does not hold yet: the point of no
    return (when its step was done), the rollback deadline (a backout decided from then on
    ends after the window)."""
    f = forecast_of(room, now)
    found: list[dict[str, Any]] = []
    ponr = f.point_of_no_return or {}
    if ponr.get("passed_at") is not None and not room.meta(PASSED + "point_of_no_return"):
        found.append({"what": "point_of_no_return", "at": ponr["passed_at"], "step": ponr["step"]})
    deadline = f.rollback_deadline
    if deadline is not None and deadline < now and not room.meta(PASSED + "rollback_deadline"):
        found.append({"what": "rollback_deadline", "at": deadline,
                      "backout_minutes": f.backout_minutes, "window_end": f.window_end})
    return found


def holders(room: Room) -> dict[str, dict]:
    """The current assignment of each role that has one."""
    return {a["role"]: a for a in room.rows("assignments", "id") if a["ended_at"] is None}


def role_history(room: Room, role: str) -> list[dict]:
    return sorted((a for a in room.tables["assignments"].values() if a["role"] == role),
                  key=lambda a: a["id"], reverse=True)


def rollback_deciders(room: Room) -> list[tuple[str, str]]:
    """(person, role title) of everyone who may decide a rollback right now."""
    current = holders(room)
    return [(current[r["key"]]["person"], r["title"]) for r in room.rows("roles")
            if r["may_decide_rollback"] and r["key"] in current]


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    late: int
    in_progress: list[dict]
    planned_finish: int | None
    projected_finish: int | None


def progress(room: Room, now: int) -> Progress:
    steps = [s for s in room.steps() if forecast.in_play(s)]
    scope = forecast.the_day(steps)
    return Progress(
        done=sum(StepStatus(s["status"]) in SETTLED for s in steps),
        total=len(steps),
        late=sum(figures.is_late(s, now) for s in steps),
        in_progress=[s for s in steps if s["status"] == StepStatus.IN_PROGRESS],
        planned_finish=max((figures.planned_end(s) for s in scope), default=None),
        projected_finish=figures.projected_finish(scope, now),
    )


def open_by_severity(room: Room) -> dict[int, int]:
    counts = Counter(i["severity"] for i in room.tables["incidents"].values()
                     if i["status"] != IncidentStatus.RESOLVED)
    return {sev: counts.get(sev, 0) for sev in (1, 2, 3, 4)}


def latest_decision(room: Room) -> dict | None:
    return figures.latest_decision(room.tables["decisions"].values())


@dataclass(frozen=True)
class AudienceDue:
    key: str
    title: str
    channel: str
    last_sent: int | None
    next_due: int | None

    def overdue(self, now: int) -> bool:
        return self.next_due is not None and self.next_due < now


def comms_due(room: Room) -> list[AudienceDue]:
    clock = room.clock()
    sent: dict[str, list[int]] = {}
    for m in room.tables["messages"].values():
        if m["sent_at"] is not None:
            sent.setdefault(m["audience"], []).append(m["sent_at"])
    return [AudienceDue(a["key"], a["title"], a["channel"], max(sent.get(a["key"], []), default=None),
                        next_due(clock, a["cadence"], sent.get(a["key"], [])))
            for a in room.rows("audiences")]


@dataclass(frozen=True)
class KpiView:
    """A KPI as the Overview shows it: its readings before go-live (they measure a baseline the
    plan does not write) and since, and its source's latest run when that one failed."""

    key: str
    name: str
    unit: str
    baseline: float | None  # the plan's, else the mean of the readings before H; None: neither
    target: float
    better: str
    before: list[float]  # the readings before H, oldest first
    since: list[float]  # the readings since H, oldest first
    failed: dict | None  # the latest reading when its source failed: `error`, `happened_at`

    @property
    def latest(self) -> float | None:
        """The latest reading since go-live: none is 'no data', whatever came before."""
        return self.since[-1] if self.since else None

    @property
    def met(self) -> bool:
        return self.latest is not None and met(Better(self.better), self.target, self.latest)


def kpis(room: Room) -> list[KpiView]:
    readings: dict[str, list[dict]] = {}
    for r in sorted(room.tables["kpi_readings"].values(), key=lambda r: (r["happened_at"], r["id"])):
        readings.setdefault(r["kpi"], []).append(r)
    return [kpi_view(k, readings.get(k["key"], []), room.golive, room.measured.get(k["key"]))
            for k in room.rows("kpis")]


def kpi_view(kpi: dict, readings: list[dict], golive: int, measured: float | None = None) -> KpiView:
    """One KPI from its readings in time order (a failed source run has an error, no value),
    and the mean of all its readings before H (`measured`, read in SQL: the mirror keeps the
    latest only)."""
    values = [r for r in readings if r["value"] is not None]
    before = [r["value"] for r in values if r["happened_at"] < golive]
    since = [r["value"] for r in values if r["happened_at"] >= golive]
    baseline = kpi["baseline"] if kpi["baseline"] is not None else measured
    failed = readings[-1] if readings and readings[-1]["value"] is None else None
    return KpiView(kpi["key"], kpi["name"], kpi["unit"], baseline, kpi["target"], kpi["better"], before, since,
                   failed)


def gate_signoffs(room: Room, gate: str) -> list[dict]:
    return sorted((s for s in room.tables["signoffs"].values() if s["gate"] == gate), key=lambda s: s["id"])


def latest_signoffs(room: Room, gate: str) -> dict[str, dict]:
    return {s["role"]: s for s in gate_signoffs(room, gate)}


def incident_order(incident: dict) -> tuple:
    """Open incidents first, the worst first, the newest first."""
    return (incident["status"] == IncidentStatus.RESOLVED, incident["severity"], -incident["number"])


def open_incidents(room: Room) -> list[dict]:
    return [i for i in room.tables["incidents"].values() if i["status"] != IncidentStatus.RESOLVED]


# -- words and times -----------------------------------------------------------------------
def hhmm(ms: int | None, tz, seconds: bool = False) -> str:
    if ms is None:
        return "—"
    return timefmt.show(ms, tz, "%H:%M:%S" if seconds else "%H:%M")


def day_time(ms: int | None, tz) -> str:
    return "—" if ms is None else timefmt.show(ms, tz, "%a %d %b %H:%M")


def day_span(start: int, end: int | None, golive: int, tz) -> str:
    """'20:05-20:40' on go-live's day, 'D-1 14:00-14:30' on another (the day of its start),
    'D+1 09:00-D+7 09:00' when it lasts a day or more (over midnight, '23:00-01:00' reads)."""
    def day(ms: int) -> int:
        return (timefmt.from_ms(ms, tz).date() - timefmt.from_ms(golive, tz).date()).days

    start_day = day(start)
    until = f"D{day(end):+d} " if end is not None and end - start >= DAY_MS else ""
    return f"{f'D{start_day:+d} ' if start_day else ''}{hhmm(start, tz)}-{until}{hhmm(end, tz)}"


def since(ms: int, now: int, tz, seconds: bool = False) -> str:
    """'14:05' today, '22 Nov 14:05' on another day."""
    same_day = timefmt.show(ms, tz, "%Y-%m-%d") == timefmt.show(now, tz, "%Y-%m-%d")
    clock = "%H:%M:%S" if seconds else "%H:%M"
    return timefmt.show(ms, tz, clock if same_day else "%d %b %H:%M")


def draft(room: Room, now: int) -> str:
    """A status update filled with the live state, for a person to edit and send."""
    tz = timefmt.zone(room.meta("timezone", "UTC"))
    done = progress(room, now)
    severities = ", ".join(f"{n} SEV{sev}" for sev, n in open_by_severity(room).items() if n)
    lines = [f"{room.meta('name')} — {timefmt.t_label(now, room.golive)}, phase {phase(room, now)}.",
             f"Runbook: {done.done}/{done.total} steps done, {done.late} late."]
    if done.in_progress:
        lines.append("In progress: " + "; ".join(s["title"] for s in done.in_progress) + ".")
    if done.projected_finish:
        lines.append(f"Expected to finish at {hhmm(done.projected_finish, tz)}.")
    lines.append(f"Open incidents: {severities or 'none'}.")
    decision = latest_decision(room)
    if decision:
        lines.append(f"Last decision: {decision['kind']} by {decision['decided_by']} "
                     f"at {hhmm(decision['happened_at'], tz)}: {decision['rationale']}")
    return "\n".join(lines)
