"""What is wrong with a plan, said as `file:line:column: field: message`, one line each."""
from __future__ import annotations

from dataclasses import dataclass

Path_ = tuple  # a value's place in the document: ('steps', 3, 'duration')


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    column: int
    field: str
    message: str

    def __str__(self) -> str:
        return one_line(f"{self.file}:{self.line}:{self.column}: {self.field}: {self.message}")


class PlanError(ValueError):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(map(str, problems)))


def one_line(text: str) -> str:
    """`text` with every character a terminal would not print as itself (line breaks,
    control characters, lone surrogates) written as an escape: a problem stays one line."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def dotted(where: Path_) -> str:
    """('steps', 3, 'duration') -> 'steps[3].duration'; a key that is not a plain word is
    quoted, so that no key can pass for another field or break the line."""
    text = ""
    for part in where:
        if isinstance(part, int):
            text += f"[{part}]"
            continue
        name = part if _plain(part) else shown(part)
        text += f".{name}" if text else name
    return text or "plan"


def shown(value, limit: int = 60) -> str:
    """The value as Python writes it (quoted, escaped), cut short when it is long."""
    if isinstance(value, str) and len(value) > limit:
        return repr(value[:limit])[:-1] + "…" + repr(value[:limit])[-1]
    return repr(value)


def _plain(key) -> bool:
    return (isinstance(key, str) and 0 < len(key) <= 60 and key.isprintable()
            and not any(c in key for c in " .[]'\":"))
