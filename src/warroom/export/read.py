"""Everything a renderer needs, read inside the export's read snapshot: the board and the
facts at the horizon, the listings' window, the journal's verification; and the KPI
readings split into periods, counted in SQL from the journal as corrected (reader.FACTS),
so that weeks of readings taken every minute never sit in memory."""
from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

from ..domain import timefmt
from ..domain.cadence import Clock
from ..domain.clockface import Clockface
from ..domain.reducer import Board
from ..domain.timefmt import MINUTE
from ..store.reader import FACTS, Reading, Span, tally
from ..store.rebuild import journal_board
from ..store.store import Store
from .after import PERIODS, KpiFacts, Stretch, end_of_day
from .describe import Known
from .facts import Facts, gather


@dataclass(frozen=True)
class Options:
    """What the reader asked for. Times are ms UTC.

    as_of: the moment the board and facts describe (default: until, else the export's time).
    since / until: the window of the listings (timeline, logs, journal rows), never past as_of.
    """

    fmt: str = "md"
    tz: str | None = None
    since: int | None = None
    until: int | None = None
    as_of: int | None = None
    rehearsed: Mapping[str, int] | None = None  # step -> ms its rehearsal took (export --rehearsal)


@dataclass
class Report:
    store: Store
    board: Board
    face: Clockface
    span: Span
    as_of: int | None
    horizon: int  # the moment the facts describe
    exported_at: int
    problems: list[str] = field(default_factory=list)  # from `warroom verify`
    rehearsed: Mapping[str, int] | None = None

    @property
    def conn(self) -> sqlite3.Connection:
        return self.store.conn

    @property
    def warning(self) -> str | None:
        """What every format says first when the journal failed verification."""
        return failed_verification(self.problems) if self.problems else None

    @cached_property
    def facts(self) -> Facts:
        board = self.board
        day_end = end_of_day(board.steps.values(), board.meta, board.golive)
        return gather(board, tally(self.conn, self.as_of), Clock.of(board.golive, board.steps.values()),
                      self.horizon, day_end, kpi_periods(self.conn, self.as_of, board.golive, day_end.at),
                      self.rehearsed)

    @cached_property
    def kpi_series(self) -> KpiSeries:
        """The KPIs' readings over time, for the HTML's charts (read only when drawn)."""
        facts = self.facts
        return kpi_series(self.conn, self.as_of, facts.clock.golive, facts.day_end.at,
                          Periods.of(facts.clock.golive, facts.day_end.at, facts.kpis))

    @cached_property
    def known(self) -> Known:
        late = {(a.audience["key"], d.sent_at): d.late_by
                for a in self.facts.audiences for d in a.late if d.sent_at is not None}
        return Known.of(self.board, late)


def failed_verification(problems: list[str]) -> str:
    """The warning over an export of a journal that failed verification."""
    return (f"WARNING: THIS JOURNAL FAILED VERIFICATION ({len(problems)} problem(s)). It may have "
            "been altered after the fact: do not trust this export until `warroom verify` is explained.")


def prepare(store: Store, options: Options, now: int) -> Report:
    """Rebuild the board from the journal; call inside reader.snapshot(store.conn)."""
    as_of = options.as_of if options.as_of is not None else options.until
    board = journal_board(store.conn, as_of, logs=False)
    until = min((t for t in (options.until, as_of) if t is not None), default=None)
    tz = timefmt.zone(options.tz or board.starting_plan().timezone)
    attached = json.loads(board.meta["rehearsed"]) if board.meta.get("rehearsed") else None
    return Report(store, board, Clockface(tz), Span(options.since, until), as_of,
                  as_of if as_of is not None else now, now,
                  rehearsed=options.rehearsed if options.rehearsed is not None else attached)


# -- the KPIs' readings, before H, during the day and after it -------------------------------
def _readings(bound: str) -> str:
    """The readings and the failed source runs up to the horizon, each with its period."""
    return ("SELECT id, entity_id AS kpi, action, happened_at, operator, json_extract(payload, '$.value') AS value,"
            " json_extract(payload, '$.error') AS error, CASE WHEN happened_at < ? THEN 'before'"
            " WHEN happened_at < ? THEN 'during' ELSE 'after' END AS period"
            f" FROM facts WHERE action IN ('kpi.record', 'kpi.fail') AND {bound}")


def _bound(as_of: int | None) -> tuple[str, tuple[int, ...]]:
    return ("happened_at <= ?", (as_of,)) if as_of is not None else ("1", ())


def kpi_periods(conn: sqlite3.Connection, as_of: int | None, golive: int,
                day_end: int) -> dict[str, dict[str, Stretch]]:
    """KPI -> period -> its readings (count, mean, lowest, highest, latest) and failed runs, as
    corrected."""
    conn.execute(FACTS)
    bound, params = _bound(as_of)
    cursor = conn.execute(
        f"WITH readings AS ({_readings(bound)}), ranked AS (SELECT *, ROW_NUMBER() OVER"
        " (PARTITION BY kpi, action, period ORDER BY happened_at DESC, id DESC) AS n FROM readings)"
        " SELECT kpi, period, action, COUNT(*), AVG(value), MIN(value), MAX(value), MIN(happened_at),"
        " MAX(happened_at), MAX(CASE WHEN n = 1 THEN value END), MAX(CASE WHEN n = 1 THEN error END),"
        " MAX(CASE WHEN n = 1 THEN operator END)"
        " FROM ranked GROUP BY kpi, period, action", (golive, day_end, *params))
    parts: dict[str, dict[str, dict]] = defaultdict(lambda: defaultdict(dict))
    for kpi, period, action, count, mean, low, high, first, last, value, error, operator in cursor:
        stretch = parts[kpi][period]
        stretch["start"] = min(first, stretch.get("start", first))
        stretch["end"] = max(last, stretch.get("end", last))
        if action == "kpi.fail":
            stretch.update(failed=count, error=error)
        else:
            stretch.update(count=count, mean=mean, low=low, high=high, last=Reading(value, last, operator))
    return {kpi: {period: Stretch(**fields) for period, fields in periods.items()} for kpi, periods in parts.items()}


HOUR = 60 * MINUTE
SLOTS = 60  # points drawn per period and KPI at most: more readings are averaged per slot of time


class Periods(NamedTuple):
    """The time each period spans on the charts' axis, the same for every KPI."""

    before: tuple[int, int]
    during: tuple[int, int]
    after: tuple[int, int]

    @classmethod
    def of(cls, golive: int, day_end: int, kpis: list[KpiFacts]) -> Periods:
        """Before: from the first reading; after: to the last one (an hour when there is none)."""
        first = min((k.before.start for k in kpis if k.before.start is not None), default=golive - HOUR)
        last = max((k.after.end for k in kpis if k.after.end is not None), default=day_end + HOUR)
        return cls((min(first, golive - MINUTE), golive), (golive, max(day_end, golive + MINUTE)),
                   (day_end, max(last, day_end + MINUTE)))

    def slot(self, period: str) -> int:
        """The ms one point stands for in that period."""
        start, end = getattr(self, period)
        return max((end - start) // SLOTS + 1, 1)


class Point(NamedTuple):
    at: int  # the mean time of what it stands for
    value: float | None  # the mean of the readings; None for failed runs
    runs: int  # how many readings, or failed runs, it stands for
    period: str


class KpiSeries(NamedTuple):
    periods: Periods
    points: dict[str, list[Point]]  # KPI -> its readings (and, value None, failed runs), by time


def kpi_series(conn: sqlite3.Connection, as_of: int | None, golive: int, day_end: int,
               periods: Periods) -> KpiSeries:
    """Each KPI's readings and failed runs over time, averaged per slot of time when a period
    holds more than SLOTS of them."""
    conn.execute(FACTS)
    bound, params = _bound(as_of)
    slot = "happened_at / CASE period WHEN 'before' THEN ? WHEN 'during' THEN ? ELSE ? END"
    cursor = conn.execute(
        f"WITH readings AS ({_readings(bound)}) SELECT kpi, period, action, CAST(AVG(happened_at) AS INTEGER),"
        f" AVG(value), COUNT(*) FROM readings GROUP BY kpi, period, action, {slot} ORDER BY kpi, MIN(happened_at)",
        (golive, day_end, *params, *(periods.slot(p) for p in PERIODS)))
    points: dict[str, list[Point]] = defaultdict(list)
    for kpi, period, action, at, value, runs in cursor:
        points[kpi].append(Point(at, value if action == "kpi.record" else None, runs, period))
    return KpiSeries(periods, dict(points))
