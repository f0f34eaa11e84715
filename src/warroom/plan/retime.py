"""A plan written back with the durations a war room measured, so that the next go-live
starts from what really happened. Only the duration values change: comments, order, quoting
style and every other character of the file are kept."""
from __future__ import annotations

import re
from collections.abc import Mapping

from ..domain import timefmt
from .reader import Document

# a scalar as written: quoted, or plain up to a flow separator, a comment or the line's end
_SCALAR = re.compile(r"\"[^\"]*\"|'[^']*'|[^\s,}\]#]+")


def retimed(text: str, measured: Mapping[str, int], filename: str = "<plan>") -> tuple[str, list[str]]:
    """The plan's text with each measured step's duration (ms) written in; the steps changed."""
    document = Document(text, filename)
    data = document.read()
    edits: list[tuple[int, int, str]] = []
    changed = []
    for i, step in enumerate(data.get("steps") or []):
        where = ("steps", i, "duration")
        if not isinstance(step, dict) or step.get("id") not in measured or where not in document.places:
            continue
        written = timefmt.duration(measured[step["id"]])
        if timefmt.parse_duration(str(step.get("duration"))) != timefmt.parse_duration(written):
            edits.append((*document.places[where], written))
            changed.append(step["id"])
    lines = text.splitlines(keepends=True)
    for line, column, written in sorted(edits, reverse=True):
        row = lines[line - 1]
        token = _SCALAR.match(row, column - 1)
        if token is not None:
            lines[line - 1] = row[:token.start()] + written + row[token.end():]
    return "".join(lines), changed
