"""Write the report of a war room in one format, from one read snapshot of its file."""
from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

from ..domain import timefmt
from ..domain.reducer import JournalError
from ..store.store import Store
from . import render_csv, render_html, render_json, render_md, source
from .report import Options, Report, prepare
from .verification import Verification

RENDERERS: dict[str, Callable[[Report, TextIO], None]] = {
    "md": render_md.render, "html": render_html.render,
    "json": render_json.render, "csv": render_csv.render,
}
CHUNK = 1 << 20


def export(store: Store, out: TextIO, options: Options, *, now: int | None = None,
           rewritable: bool = False) -> None:
    """Write the report while the journal is verified, assuming it intact; when it is not,
    write it again with the warning at the top. `out` is written over from its start when
    `rewritable` (a new file), else the first attempt goes to a spool file (a pipe)."""
    if options.fmt not in RENDERERS:
        raise ValueError(f"unknown format {options.fmt!r}: use one of {', '.join(RENDERERS)}")
    render = RENDERERS[options.fmt]
    with Verification(store.path) as verification, source.snapshot(store.conn), \
            _first_draft(out, rewritable) as draft:
        report = _prepare(store, options, now if now is not None else timefmt.now_ms(), verification)
        render(report, draft)
        report.problems = verification.problems(store)
        if report.problems:
            draft.seek(0)
            draft.truncate()
            render(report, draft)
        if draft is not out:
            draft.seek(0)
            shutil.copyfileobj(draft, out, CHUNK)


@contextmanager
def _first_draft(out: TextIO, rewritable: bool) -> Iterator[TextIO]:
    if rewritable:
        yield out
        return
    with tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as spool:
        yield spool


def _prepare(store: Store, options: Options, now: int, verification: Verification) -> Report:
    try:
        return prepare(store, options, now)
    except JournalError as exc:
        problems = verification.problems(store)
        broken = f"; the journal fails verification: {problems[0]}" if problems else ""
        raise JournalError(f"cannot rebuild the board from the journal: {exc}{broken}") from None
