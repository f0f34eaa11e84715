"""Markdown: readable as plain text, rendered as intended on a wiki. People's text is
escaped so that it can never become markup, a link, raw HTML or a new line."""
from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import TextIO

from ..domain.visible import HIDDEN_CHARS, visible
from .document import (
    Alert,
    Block,
    Bullets,
    Chart,
    Entry,
    Heading,
    KpiCharts,
    Listing,
    Log,
    Mark,
    Pairs,
    Paragraph,
    Table,
    Text,
)
from .listings import Spools
from .read import Report
from .sections import document

_SPECIAL = re.compile(r"[\\`*\[\]<>|~&#$]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
_NEEDS_WORK = re.compile(r"[\\`*\[\]<>|~&#$_\n\t\r" + HIDDEN_CHARS + "]")
_LINE_START = re.compile(r"^(?:[-+=]|\d+[.)])")


def escape(text: str) -> str:
    """Inline Markdown that shows `text` exactly, on one line."""
    if not _NEEDS_WORK.search(text):  # most text: one scan of a character class
        return text
    flat = visible(text).replace("\n", " ↵ ").replace("\t", " ")
    return _SPECIAL.sub(r"\\\g<0>", flat)


escape_name = lru_cache(maxsize=1024)(escape)  # operators: few, repeated on every line


def inline(value: Text) -> str:
    if isinstance(value, Mark):
        text = escape(value.text)
        return {"bad": f"**{text}**", "warn": f"*{text}*"}.get(value.tone, text) if text else text
    return escape(value)


def leading(value: Text) -> str:
    """Inline text that starts a line: it must not open a list or a heading there."""
    text = inline(value)
    return "\\" + text if _LINE_START.match(text) else text


def render(report: Report, out: TextIO) -> None:
    writer = _Writer(out, report)
    with writer.spools:
        for block in document(report):
            writer.block(block)


class _Writer:
    def __init__(self, out: TextIO, report: Report):
        self.out, self.face = out, report.face
        self.spools = Spools(report, self)  # the listings, written in this format

    def block(self, block: Block) -> None:
        method = getattr(self, f"_{type(block).__name__.lower()}")
        method(block)

    def _heading(self, b: Heading) -> None:
        self.out.write(f"{'#' * b.level} {escape(b.text)}\n\n")

    def _paragraph(self, b: Paragraph) -> None:
        self.out.write(f"{leading(b.text)}\n\n")

    def _pairs(self, b: Pairs) -> None:
        self.out.writelines(f"- **{escape(label)}:** {inline(value)}\n" for label, value in b.items)
        self.out.write("\n")

    def _bullets(self, b: Bullets) -> None:
        self.out.writelines(f"- {leading(item)}\n" for item in b.items)
        self.out.write("\n")

    def _table(self, b: Table) -> None:
        self.out.write(_row(escape(c) for c in b.columns))
        self.out.write(_row("---" for _ in b.columns))
        self.out.writelines(_row(inline(cell) for cell in row) for row in b.rows)
        self.out.write("\n")

    def log_day(self, day: str, first: bool) -> str:
        return f"{'' if first else chr(10)}**{day}**\n\n"

    def log_line(self, entry: Entry) -> str:
        return f"- {self.face.clock(entry.at)} · {escape_name(entry.operator)} · {inline(entry.what)}\n"

    def _log(self, b: Log) -> None:
        day = None
        for entry in b.entries:
            today = self.face.day(entry.at)
            if today != day:
                self.out.write(self.log_day(today, first=day is None))
                day = today
            self.out.write(self.log_line(entry))
        self.out.write("\n" if day is not None else f"{escape(b.empty)}\n\n")

    def _listing(self, b: Listing) -> None:
        if not self.spools.copy(b.name, self.out, closing="\n"):
            self.out.write(f"{escape(b.empty)}\n\n")

    def _alert(self, b: Alert) -> None:
        self.out.write(f"> **{escape(b.title)}**\n>\n")
        self.out.writelines(f"> - {escape(line)}\n" for line in b.lines)
        self.out.write("\n")

    def _chart(self, b: Chart) -> None:
        """Plain text has no chart: the runbook table below holds the same figures."""

    def _kpicharts(self, b: KpiCharts) -> None:
        """Plain text has no chart: the KPI table above holds the same figures."""


def _row(cells: Iterable[str]) -> str:
    return "| " + " | ".join(cells) + " |\n"
