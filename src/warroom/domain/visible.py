"""People's text shown, never obeyed, the same way in the console, the command line and every
export: control characters (an ESC sequence would drive the reader's terminal) and
bidirectional overrides (they reorder what is around them) become visible marks. The console
wraps the result in Rich Text (widgets/text.py); the renderers escape what their format gives
meaning to."""
from __future__ import annotations

import html
import re

ELLIPSIS = "…"
LINE_BREAK = "⏎"  # a newline in text shown on one line
# C0 controls but tab and newline, DEL, C1 controls, line separators, bidi marks and overrides
HIDDEN_CHARS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
_HIDDEN = re.compile(f"\r\n?|[{HIDDEN_CHARS}]")
_NEWLINES = {"\r\n": "\n", "\u2028": "\n", "\u2029": "\n", "\r": "\u240d"}


def _mark(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NEWLINES:
        return _NEWLINES[char]
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)  # the Unicode control pictures: ESC shows as ␛
    if code == 0x7F:
        return "\u2421"
    return f"⟨U+{code:04X}⟩"


def visible(text: object, *, one_line: bool = False, limit: int | None = None) -> str:
    """Control characters and bidi overrides as visible marks, tabs kept; newlines kept, or
    shown as ⏎ on `one_line`; longer than `limit` characters, cut with an ellipsis."""
    shown = str(text) if text is not None else ""
    if limit is not None and len(shown) > limit:
        shown = shown[: limit - 1] + ELLIPSIS
    if _HIDDEN.search(shown):
        shown = _HIDDEN.sub(_mark, shown)
    return shown.replace("\n", LINE_BREAK) if one_line else shown


def html_text(text: str) -> str:
    """Text for HTML or SVG: visible controls, then every special character escaped."""
    return html.escape(visible(text), quote=True)
