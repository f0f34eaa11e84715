"""`warroom status-link AUDIENCE [--rotate]`: the link to an audience's live status page.
No aiohttp here: the link is made in the store; `warroom serve` shows the page."""
from __future__ import annotations

import click

from ..store import links
from .base import Context, guarded, json_option, say, say_json


def _base_url(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    if not value.startswith(("http://", "https://")) or any(c.isspace() for c in value):
        raise click.BadParameter(f"{value!r}: give the server's address, as http://HOST:PORT or https://HOST")
    return value.rstrip("/")


@click.command("status-link")
@click.argument("audience")
@click.option("--rotate", is_flag=True, help="Make a new link; the old one stops working at once.")
@click.option("--base-url", default=links.DEFAULT_BASE_URL, show_default=True, callback=_base_url,
              help="The address people reach `warroom serve` at.")
@json_option
@click.pass_obj
@guarded
def status_link(ctx: Context, audience: str, rotate: bool, base_url: str) -> None:
    """Print the link to AUDIENCE's live status page (made now: only its hash is kept, so an
    existing link cannot be shown again; --rotate makes a new one and revokes the old)."""
    with ctx.open() as store:
        token = links.make(store, audience, rotate=rotate)
    link = links.url(base_url, audience, token)
    if ctx.as_json:
        say_json({"audience": audience, "url": link, "rotated": rotate})
    else:
        say(link)
        say(f"{'a new link: the old one no longer works; ' if rotate else ''}it is shown only now, keep it "
            "where the audience can find it", err=True)


COMMANDS = (status_link,)
