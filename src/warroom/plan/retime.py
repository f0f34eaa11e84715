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
    """The plan's text with each measured step's duration (ms) written in, quoted as it was;
    the steps changed. A duration written with an anchor or an alias is refused: it may stand
    for other steps' too."""
    document = Document(text.replace("\r\n", "\n"), filename)
    data = document.read()
    lines = text.splitlines(keepends=True)
    edits: list[tuple[int, int, int, str]] = []
    changed = []
    for i, step in enumerate(data.get("steps") or []):
        where = ("steps", i, "duration")
        if not isinstance(step, dict) or step.get("id") not in measured or where not in document.places:
            continue
        written = timefmt.duration(measured[step["id"]])
        if timefmt.parse_duration(str(step.get("duration"))) == timefmt.parse_duration(written):
            continue
        line, column = document.places[where]
        token = _SCALAR.match(lines[line - 1], column - 1)
        if token is None or token.group()[0] in "&*":
            raise ValueError(f"{filename}:{line}:{column}: steps[{i}].duration: written with an anchor or alias "
                             "(it may stand for other steps' durations too): retime it by hand")
        quote = token.group()[0] if token.group()[0] in "\"'" else ""
        edits.append((line, token.start(), token.end(), f"{quote}{written}{quote}"))
        changed.append(step["id"])
    for line, start, end, written in sorted(edits, reverse=True):
        lines[line - 1] = lines[line - 1][:start] + written + lines[line - 1][end:]
    return "".join(lines), changed
