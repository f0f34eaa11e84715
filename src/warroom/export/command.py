"""`warroom export`: the click command. Importing it loads neither Textual, nor the rest of
the CLI, nor the export itself: registering it costs the other commands nothing. `guarded`
(clean one-line errors, exit 2) is taken from warroom.cli when it runs."""
from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

import click

from . import FORMATS
from .inert import visible

TIME_HELP = "HH:MM (nearest go-live), H+90m, -10m or an ISO time; read in the --tz zone."


@click.command("export")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="md", show_default=True,
              help="Markdown, self-contained HTML, JSON (schema warroom.export v1) or CSV (one row per event).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file (default: standard output).")
@click.option("--force", is_flag=True, help="Replace the --out file if it exists.")
@click.option("--tz", "tz", metavar="ZONE", help="Show times in this zone (default: the war room's).")
@click.option("--since", metavar="T", help="List events from T. " + TIME_HELP)
@click.option("--until", metavar="T", help="List events up to T; the board as it stood then.")
@click.option("--as-of", "as_of", metavar="T", help="The board and figures as they stood at T.")
@click.pass_obj
def export(ctx, fmt: str, out: Path | None, force: bool, tz: str | None,
           since: str | None, until: str | None, as_of: str | None) -> None:
    """The day's timeline and retrospective report, rebuilt from the journal."""
    from ..cli import guarded  # at run time: warroom.cli imports this module

    guarded(_run)(ctx, fmt, out, force, tz, {"since": since, "until": until, "as_of": as_of})


def _run(ctx, fmt: str, out: Path | None, force: bool, tz: str | None, moments: dict) -> None:
    with ctx.open() as store:
        write_report(store, fmt, out, force=force, tz=tz, moments=moments)
    if out is not None:
        click.echo(visible(f"wrote {out}"), err=True)


def write_report(store, fmt: str, out: Path | None, *, force: bool = False, tz: str | None = None,
                 moments: dict | None = None) -> None:
    """The report in one format, to `out` (refused if it exists, unless force) or stdout."""
    from .exporter import export as write_export
    from .report import Options

    if out is not None:
        _check_out(out, force)
    options = Options(fmt=fmt, tz=tz, **_moments(store, tz, moments or {}))
    with _destination(out, force) as stream:
        write_export(store, stream, options, rewritable=out is not None)


def _check_out(out: Path, force: bool) -> None:
    """An --out that may be written: nothing there, or (with --force) a regular file. A
    symbolic link, a device, a FIFO or a directory is never replaced, even with --force."""
    import stat

    from ..store.files import file_kind

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
    from ..domain import timefmt
    from .times import parse_moment

    meta = store.meta()
    if "golive" not in meta:
        raise ValueError(f"{store.path}: holds no war room yet (warroom init)")
    zone = timefmt.zone(tz or meta.get("timezone", "UTC"))
    golive, now = int(meta["golive"]), timefmt.now_ms()
    return {name: parse_moment(text, golive=golive, now=now, tz=zone) if text else None
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
    sys.stdout.reconfigure(encoding="utf-8", newline="")
    try:
        yield sys.stdout
        sys.stdout.flush()
    except BrokenPipeError:  # the reader stopped early (`warroom export | head`)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        sys.exit(1)
