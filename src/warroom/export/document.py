"""The report as a stream of blocks, shared by the Markdown and HTML renderers. Tables and
logs carry iterators, so a long listing is read from the journal while it is written."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .facts import Facts
    from .read import Report


@dataclass(frozen=True)
class Mark:
    """A cell or value that must catch the eye: tone 'bad', 'warn' or 'good'."""

    text: str
    tone: str


Text = str | Mark


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 2
    anchor: str = ""


@dataclass(frozen=True)
class Paragraph:
    text: Text


@dataclass(frozen=True)
class Pairs:
    """Labelled facts: 'Go decision: GO by ... at ...'."""

    items: Sequence[tuple[str, Text]]


@dataclass(frozen=True)
class Bullets:
    items: Iterable[Text]


@dataclass(frozen=True)
class Table:
    columns: Sequence[str]
    rows: Iterable[Sequence[Text]]


@dataclass(frozen=True)
class Entry:
    at: int
    operator: str
    what: Text


@dataclass(frozen=True)
class Log:
    """Dated lines (time, operator, what), grouped under a heading per day."""

    entries: Iterable[Entry]
    empty: str = "Nothing recorded."


@dataclass(frozen=True)
class Listing:
    """A log of the listed window's events that one pass over the journal fills
    (listings.Spools): 'timeline', 'notes', 'comms', 'handovers' or 'retro'."""

    name: str
    empty: str


@dataclass(frozen=True)
class Alert:
    """A warning that must be read first (a broken journal)."""

    title: str
    lines: Sequence[str]


@dataclass(frozen=True)
class Chart:
    """The planned vs actual chart; drawn where a format can (HTML)."""

    facts: Facts


@dataclass(frozen=True)
class KpiCharts:
    """Each KPI before, during and after the day; drawn where a format can (HTML), which
    reads the readings over time from the report only then."""

    report: Report


Block = Heading | Paragraph | Pairs | Bullets | Table | Log | Listing | Alert | Chart | KpiCharts
