"""The report's listings, read from the journal while they are written.

The timeline, the communication log, hand-overs, notes and retro notes all list events of
the same window in the same order, so ONE read of the journal fills them all: each event
is described and rendered once, and its line goes to the spool file of every listing that
shows it. Each incident's history, in another order, has its own query."""
from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from itertools import groupby
from typing import Protocol, TextIO

from ..domain.reducer import incident_number
from ..store import reader
from ..store.reader import Row
from .describe import what
from .document import Block, Entry, Heading, Listing, Log, Paragraph
from .read import Report

COMM_ACTIONS = ("comm.sent", "comm.draft", "comm.send")
INCIDENT_ACTIONS = ("incident.open", "incident.update", "risk.trigger")
_INCIDENT_NUMBER = ("CAST(substr(CASE WHEN action = 'risk.trigger' THEN json_extract(payload, '$.incident')"
                    " ELSE entity_id END, 5) AS INTEGER)")

LISTINGS = ("timeline", "notes", "comms", "handovers", "retro")
_BY_ACTION = {"note": ("notes",), "role.assign": ("handovers",), **{a: ("comms",) for a in COMM_ACTIONS}}
_FLUSH_EVERY = 512


def listings_of(row: Row, payload: dict, effect: dict) -> tuple[str, ...]:
    """Every listing that shows this event: the timeline, and the one of its kind unless it
    was retracted (the timeline keeps it, marked)."""
    if any(c["kind"] == "retract" for c in effect.get("corrected", ())):
        return ("timeline",)
    names = ("timeline", *_BY_ACTION.get(row.action, ()))
    if row.action == "note" and "retro" in payload.get("tags", ()):
        names += ("retro",)
    return names


class LogFormat(Protocol):
    """How a format writes a dated log: a day's heading and one line per entry."""

    def log_day(self, day: str, first: bool) -> str: ...

    def log_line(self, entry: Entry) -> str: ...


class Spools:
    """The listings of one report, filled on first use by one pass over the journal."""

    def __init__(self, report: Report, fmt: LogFormat):
        self.report, self.fmt = report, fmt
        self.files: dict[str, TextIO] = {}
        self._closing = ExitStack()

    def __enter__(self) -> Spools:
        return self

    def __exit__(self, *exc) -> None:
        self._closing.close()

    def copy(self, name: str, out: TextIO, opening: str = "", closing: str = "") -> bool:
        """Write a listing's lines to `out` between `opening` and `closing`; nothing, and
        False, when it has none."""
        if not self.files:
            self._fill()
        spool = self.files[name]
        if not spool.tell():
            return False
        out.write(opening)
        spool.seek(0)
        shutil.copyfileobj(spool, out, 1 << 20)
        out.write(closing)
        return True

    def _fill(self) -> None:
        self.files = {name: self._closing.enter_context(_spool_file()) for name in LISTINGS}
        pending: dict[str, list[str]] = {name: [] for name in LISTINGS}
        days: dict[str, str] = {}
        known, face = self.report.known, self.report.face
        for row in reader.listing(self.report.conn, self.report.span):
            payload = _payload(row)
            line = self.fmt.log_line(Entry(row.happened_at, row.who, what(row, known, payload)))
            day = face.day(row.happened_at)
            for name in listings_of(row, payload, known.effects.get(row.id) or {}):
                lines = pending[name]
                if days.get(name) != day:
                    lines.append(self.fmt.log_day(day, first=name not in days))
                    days[name] = day
                lines.append(line)
                if len(lines) >= _FLUSH_EVERY:
                    self._flush(name, lines)
        for name, lines in pending.items():
            self._flush(name, lines)

    def _flush(self, name: str, lines: list[str]) -> None:
        self.files[name].write("".join(lines))
        lines.clear()


@contextmanager
def _spool_file() -> Iterator[TextIO]:
    """A listing's spool: an anonymous temporary file, gone once closed."""
    with tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as spool:
        yield spool


def _payload(row: Row) -> dict:
    try:
        payload = json.loads(row.payload)
    except ValueError:  # altered after the fact: the journal's verification says so at the top
        return {}
    return payload if isinstance(payload, dict) else {}


def entries(report: Report, rows: Iterable[Row]) -> Iterator[Entry]:
    known = report.known
    for row in rows:
        yield Entry(row.happened_at, row.who, what(row, known))


def comms() -> Listing:
    return Listing("comms", "No message logged.")


def handovers() -> Listing:
    return Listing("handovers", "No hand-over: every role stayed with its holder from the plan.")


def retro_notes() -> Listing:
    return Listing("retro", "No note tagged retro (warroom note TEXT --tag retro).")


def notes(report: Report) -> Iterator[Block]:
    yield Heading("Notes", anchor="notes")
    yield Listing("notes", "No note.")


def timeline(report: Report) -> Iterator[Block]:
    yield Heading("Timeline", anchor="timeline")
    yield Paragraph("Every journal event, by when it happened (the scribe's --at time), ties in journal order.")
    yield Listing("timeline", "No event in this window.")


def incident_histories(report: Report) -> Iterator[Block]:
    """Each incident's updates. One query sorted by incident feeds them all; the next group
    is read only once the renderer has written the previous one."""
    where, params = report.span.where()
    where += f" AND action IN ({', '.join('?' * len(INCIDENT_ACTIONS))})"
    rows = reader.rows(report.conn, where, params + INCIDENT_ACTIONS,
                       order=f"{_INCIDENT_NUMBER}, happened_at, id")
    groups = groupby(rows, key=_incident_number)
    current = next(groups, None)
    for facts in report.facts.incidents:
        incident = facts.incident
        yield Heading(f"{incident['ref']}: {incident['title']}", 3)
        while current is not None and current[0] < incident["number"]:
            current = next(groups, None)
        if current is not None and current[0] == incident["number"]:
            yield Log(entries(report, current[1]))
            current = next(groups, None)
        else:
            yield Paragraph("No update in the listed window.")


def _incident_number(row: Row) -> int:
    if row.action == "risk.trigger":
        return incident_number(_payload(row).get("incident", "INC-0"))
    return incident_number(row.entity_id or "INC-0")
