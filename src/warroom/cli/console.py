"""The commands that open the console: on a war room, or on the demo day."""
from __future__ import annotations

from pathlib import Path

import click

from ..store.db import new_room
from .base import Ascii, Context, guarded, say
from .room import make_room

DEMO_DB = Path("warroom-demo.db")
LIVE_AT = 170  # minutes after go-live where `warroom demo` opens: the ramp is under way


@click.command()
@click.option("--fresh", is_flag=True, help="Start the demo day again (the old file is kept aside).")
@click.option("--minute", type=Ascii(click.INT), default=LIVE_AT, show_default=True,
              help="Where the demo day stands now, in minutes after go-live.")
@click.pass_context
@guarded
def demo(click_ctx: click.Context, fresh: bool, minute: int) -> None:
    """Open the console on a demo go-live day that is under way now (./warroom-demo.db
    unless --db is given), its rehearsal of a week before beside it."""
    from ..demo_day import create_demo

    ctx: Context = click_ctx.obj
    if click_ctx.find_root().get_parameter_source("db") is click.core.ParameterSource.DEFAULT:  # warroom --db
        ctx.db = DEMO_DB
    if fresh or not ctx.db.exists():
        rehearsal = ctx.db.with_name(f"{ctx.db.stem}-rehearsal.db")
        make_room(ctx.db, force=True)
        make_room(rehearsal, force=True)
        with new_room(ctx.db), new_room(rehearsal):
            create_demo(ctx.db, ctx.operator, minute=minute, rehearsal=rehearsal)
        say(f"created the demo war room in {ctx.db}, and its rehearsal in {rehearsal}", err=True)
    open_console(ctx)


@guarded
def open_console(ctx: Context) -> None:
    from ..app import run_console  # Textual loads only here

    run_console(ctx.db, ctx.operator, readonly=ctx.readonly)
