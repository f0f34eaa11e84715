"""The pipeline's last stage: the report of a war room written in one format, from one read
snapshot of its file, to standard output or to a file that appears complete or not at all,
while a second process verifies the journal (hashing a long journal takes about as long as
writing the report, so both run at once). The report is written assuming an intact journal;
a broken one's warning must come first, so it is then written again."""
from __future__ import annotations

import io
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from ..domain import timefmt
from ..domain.reducer import JournalError
from ..store import reader
from ..store.files import file_kind
from ..store.queries import timings_of
from ..store.store import Store
from . import render_csv, render_html, render_json, render_md
from .read import Options, Report, prepare

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
    with Verification(store.path) as verification, reader.snapshot(store.conn), \
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


def write_report(store, fmt: str, out: Path | None, *, force: bool = False, tz: str | None = None,
                 moments: dict | None = None, rehearsal: Path | None = None) -> None:
    """The report in one format, to `out` (refused if it exists, unless force) or stdout;
    with `rehearsal`, a war room file whose timings the day is compared with."""
    from .read import Options

    if out is not None:
        _check_out(out, force)
    rehearsed = timings_of(rehearsal, store.operator)[1] if rehearsal is not None else None
    options = Options(fmt=fmt, tz=tz, rehearsed=rehearsed, **_moments(store, tz, moments or {}))
    with _destination(out, force) as stream:
        export(store, stream, options, rewritable=out is not None)


def _check_out(out: Path, force: bool) -> None:
    """An --out that may be written: nothing there, or (with --force) a regular file. A
    symbolic link, a device, a FIFO or a directory is never replaced, even with --force."""
    try:
        found = os.lstat(out)
    except FileNotFoundError:
        found = None
    except OSError as exc:
        raise ValueError(f"{out}: {exc.strerror}") from None
    if found is not None and not stat.S_ISREG(found.st_mode):
        raise ValueError(f"{out}: is {file_kind(found.st_mode)}; the report replaces only a regular file: "
                         "give another --out")
    if found is not None and not force:
        raise ValueError(f"{out}: already exists (use --force to replace it)")
    if not out.absolute().parent.is_dir():
        raise ValueError(f"{out.parent}: no such directory")


def _moments(store, tz: str | None, texts: dict) -> dict:
    """--since / --until / --as-of in ms UTC; the war room's go-live anchors HH:MM and H."""
    meta = store.meta()
    if "golive" not in meta:
        raise ValueError(f"{store.path}: holds no war room yet (warroom init)")
    zone = timefmt.zone(tz or meta.get("timezone", "UTC"))
    golive, now = int(meta["golive"]), timefmt.now_ms()
    return {name: timefmt.parse_moment(text, golive=golive, now=now, tz=zone) if text else None
            for name, text in texts.items()}


def _umask() -> int:
    """The process's umask, read without changing it (the console exports in a thread)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextmanager
def _destination(out: Path | None, force: bool = False) -> Iterator[TextIO]:
    """Standard output in UTF-8 whatever the locale, or a file that appears complete or not
    at all (written aside, then linked in place, or renamed over the regular file that
    --force replaces)."""
    if out is None:
        yield from _standard_output()
        return
    fd, temporary = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.absolute().parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as stream:
            yield stream
        os.chmod(temporary, 0o666 & ~_umask())
        _check_out(out, force)  # again: something may have taken its place meanwhile
        if force:
            os.replace(temporary, out)
        else:
            try:
                os.link(temporary, out)  # never over a file that appeared meanwhile
            except FileExistsError:
                raise ValueError(f"{out}: already exists (use --force to replace it)") from None
            except OSError:  # a filesystem without hard links
                os.replace(temporary, out)
            else:
                os.unlink(temporary)
    except BaseException:
        if os.path.lexists(temporary):
            os.unlink(temporary)
        raise


def _standard_output() -> Iterator[TextIO]:
    if isinstance(sys.stdout, io.TextIOWrapper):  # not a stream a caller put in its place (io.StringIO)
        sys.stdout.reconfigure(encoding="utf-8", newline="")
    try:
        yield sys.stdout
        sys.stdout.flush()
    except BrokenPipeError:  # the reader stopped early (`warroom export | head`)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        sys.exit(1)


class Verification:
    """Started on entering; `problems()` waits for the answer. Should the second process
    fail, the same check runs here: a report is never issued unverified."""

    def __init__(self, path: Path):
        self.path = path
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Verification:
        try:
            self.process = subprocess.Popen([sys.executable, "-m", __name__, str(self.path)],
                                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        except OSError:
            self.process = None
        return self

    def problems(self, store: Store) -> list[str]:
        if self.process is not None:
            output, _ = self.process.communicate()
            if self.process.returncode == 0:
                return json.loads(output)
        return store.verify(state=False)

    def __exit__(self, *exc) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def main(path: str) -> None:
    with Store(path, "warroom export", readonly=True) as store:
        json.dump(store.verify(state=False), sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
