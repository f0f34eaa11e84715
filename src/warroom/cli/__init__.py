"""The `warroom` command line. The console (Textual) is imported only by the commands that
open it, so scripts such as `warroom step done` start fast."""
from __future__ import annotations

from pathlib import Path

import click

from . import console, links, record, room
from . import watch as _watch  # noqa: F401  (adds `kpi watch` and `kpi check` to the kpi group)
from .base import Context, OneLineGroup, json_option, login_name
from .export import export


@click.group(cls=OneLineGroup, invoke_without_command=True)
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), envvar="WARROOM_DB",
              default="warroom.db", show_default=True, help="The war room file ($WARROOM_DB).")
@click.option("--as", "operator", envvar="WARROOM_OPERATOR", default=login_name,
              help="Who is recording ($WARROOM_OPERATOR, else your login name).")
@click.option("--read-only", "readonly", is_flag=True, help="Open the console without recording anything.")
@json_option
@click.version_option(package_name="warroom")
@click.pass_context
def main(ctx: click.Context, db: Path, operator: str, readonly: bool) -> None:
    """A war room for go-live day: runbook, incidents, decisions and comms on one shared file."""
    ctx.ensure_object(Context)
    ctx.obj.db, ctx.obj.operator, ctx.obj.readonly = db, operator, readonly
    if ctx.invoked_subcommand is None:
        console.open_console(ctx.obj)


for command in (*room.COMMANDS, *record.COMMANDS, *links.COMMANDS, console.demo, export):
    main.add_command(command)
from . import serve as _serve  # noqa: E402,F401  (adds `serve` and `user` to main)
