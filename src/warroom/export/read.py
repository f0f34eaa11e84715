"""Everything a renderer needs, read inside the export's read snapshot: the board and the
facts at the horizon, the listings' window, the journal's verification."""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

from ..domain import timefmt
from ..domain.cadence import Clock
from ..domain.clockface import Clockface
from ..domain.reducer import Board
from ..store.reader import Span, tally
from ..store.rebuild import journal_board
from ..store.store import Store
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
        return gather(self.board, tally(self.conn, self.as_of), Clock.of(self.board.golive, self.board.steps.values()),
                      self.horizon, self.rehearsed)

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
