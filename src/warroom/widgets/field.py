"""What a form asks for. Kept apart from the form itself, whose widgets (a TextArea with
its documents) load only when a form first opens."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.text import Text


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str = "input"  # input | select | text | check
    value: Any = ""
    options: Sequence[tuple[Text | str, Any]] = ()
    placeholder: str = ""
