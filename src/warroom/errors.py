"""What a refusal looks like everywhere: one readable line, and the command line's exit codes."""
from __future__ import annotations

EXIT_FAILED = 1  # the file, the disk or a check failed
EXIT_BAD_INPUT = 2  # refused input or a usage mistake: nothing was recorded


def one_line(exc: BaseException) -> str:
    """A single readable line for a refused input."""
    if type(exc).__name__ == "ValidationError":  # pydantic's, without importing it here
        errors = exc.errors()  # type: ignore[attr-defined]
        return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'input'}: {e['msg'].removeprefix('Value error, ')}"
                         for e in errors)
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
