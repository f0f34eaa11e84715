"""What a form asks for, and what it gives back. Kept apart from the form itself
(widgets/form.py), whose widgets (a TextArea with its documents) load only when a form first
opens, and below the screens that describe their forms with it."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rich.text import Text

Done = Callable[[Any], None]  # a form's `done(result)`: what it recorded was accepted, it may close
Submit = Callable[[dict[str, Any], Done], None]  # a form's `on_submit(values, done)`


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str = "input"  # input | select | text | check
    value: Any = ""
    options: Sequence[tuple[Text | str, Any]] = ()
    placeholder: str = ""
