"""`warroom export`: importing it loads neither Textual nor the export itself, which loads
only when the command runs."""
from __future__ import annotations

from pathlib import Path

import click

from ..export import FORMATS
from .base import Context, guarded, say

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
@click.option("--rehearsal", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="A rehearsal's war room file: each step's planned, rehearsed and live durations, and the "
                   "forecast from the rehearsed ones.")
@click.pass_obj
@guarded
def export(ctx: Context, fmt: str, out: Path | None, force: bool, tz: str | None,
           since: str | None, until: str | None, as_of: str | None, rehearsal: Path | None) -> None:
    """The day's timeline and retrospective report, rebuilt from the journal."""
    from ..export.write import write_report

    with ctx.open() as store:
        write_report(store, fmt, out, force=force, tz=tz, moments={"since": since, "until": until, "as_of": as_of},
                     rehearsal=rehearsal)
    if out is not None:
        say(f"wrote {out}", err=True)


