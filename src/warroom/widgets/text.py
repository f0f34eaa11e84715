"""Typed text is data: turn it into a rich Text shown literally, with control characters
made visible so that nothing a person typed can restyle, move or reset the terminal."""
from __future__ import annotations

import re

from rich.text import Text

ELLIPSIS = "…"
_LIST_ITEM = re.compile(r"\s*([-*•]|\d+[.)])\s")
_BIDI = (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))


def _table(multiline: bool) -> dict[int, str]:
    table = {c: chr(0x2400 + c) for c in range(0x20)}  # ␀ … ␟, ␛ for ESC
    table[0x7F] = "␡"
    table.update({c: f"<{c:02X}>" for c in range(0x80, 0xA0)})  # C1 controls (CSI, OSC …)
    table.update({c: f"<U+{c:04X}>" for c in _BIDI})  # bidi overrides reorder the line
    table.update({0x2028: "⏎", 0x2029: "⏎"})
    if multiline:
        table[0x0A] = "\n"
    else:
        table[0x0A] = "⏎"
    return table


_SINGLE, _MULTI = _table(False), _table(True)


def visible(text: object, *, multiline: bool = False, limit: int | None = None) -> str:
    """The text with every control character replaced by a visible stand-in."""
    shown = str(text if text is not None else "")
    if limit is not None and len(shown) > limit:
        shown = shown[: limit - 1] + ELLIPSIS
    return shown.translate(_MULTI if multiline else _SINGLE)


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
    return Text(visible(text, multiline=multiline, limit=limit), style=style, end="",
                no_wrap=not multiline)
