"""What a refusal looks like everywhere: one readable line, and the command line's exit codes."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

EXIT_FAILED = 1  # the file, the disk or a check failed
EXIT_BAD_INPUT = 2  # refused input or a usage mistake: nothing was recorded


@runtime_checkable
class _Itemised(Protocol):
    """pydantic's ValidationError as a refusal reads it: pydantic is not imported here (the
    console opens without loading it)."""

    def errors(self) -> Sequence[Mapping[str, Any]]: ...


def one_line(exc: BaseException) -> str:
    """A single readable line for a refused input."""
    if type(exc).__name__ == "ValidationError" and isinstance(exc, _Itemised):
        return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'input'}: {e['msg'].removeprefix('Value error, ')}"
                         for e in exc.errors())
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
