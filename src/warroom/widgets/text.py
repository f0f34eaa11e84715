"""Typed text is data: a rich Text shown literally, its control characters made visible (the
one table of domain/visible.py), so that nothing a person typed can restyle, move or reset
the terminal."""
from __future__ import annotations

import re

from rich.text import Text

from ..domain.visible import visible

_LIST_ITEM = re.compile(r"\s*([-*•]|\d+[.)])\s")


def reflow(text: str) -> str:
    """Undo the hand wrapping of a plan's text, so that it wraps to the pane: a line break is
    kept after a sentence or a colon, before a list item and around a blank line."""
    lines = text.splitlines()
    kept = [lines[0]] if lines else []
    for line in lines[1:]:
        previous = kept[-1].rstrip()
        if not previous or not line.strip() or previous.endswith((".", ":", ";", "!", "?")) \
                or _LIST_ITEM.match(line):
            kept.append(line)
        else:
            kept[-1] = f"{previous} {line.strip()}"
    return "\n".join(kept)


def safe(text: object, style: str = "", *, multiline: bool = False, limit: int | None = None) -> Text:
    """A rich Text that shows `text` literally: no markup, no control characters."""
    return Text(visible(text, one_line=not multiline, limit=limit), style=style, end="",
                no_wrap=not multiline)
