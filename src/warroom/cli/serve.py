"""`warroom serve` (the console in a browser, behind a login) and `warroom user add / remove
/ list` (who may log in). The server's modules (aiohttp, textual-serve) and argon2 load in
these commands only: every other command starts without them."""
from __future__ import annotations

import resource
import signal
import subprocess
import sys
from pathlib import Path

import click

from ..domain import timefmt
from ..domain.rules import RuleError
from ..store import accounts, links
from . import main
from .base import Ascii, Context, guarded, json_option, report, say, say_json


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="The address to listen on (another than this host's own needs TLS: --tls-cert/--tls-key "
                   "or a reverse proxy).")
@click.option("--port", type=Ascii(click.IntRange(1, 65535)), default=8400, show_default=True)
@click.option("--tls-cert", type=click.Path(exists=True, dir_okay=False, path_type=Path), metavar="FILE",
              help="Speak HTTPS with this certificate (PEM), with --tls-key.")
@click.option("--tls-key", type=click.Path(exists=True, dir_okay=False, path_type=Path), metavar="FILE",
              help="The certificate's private key (PEM).")
@click.option("--public-url", metavar="URL",
              help="The address browsers use, when a reverse proxy stands in front (https://warroom.example.com).")
@click.option("--watch-kpis", is_flag=True, help="Also run `warroom kpi watch` while the server runs.")
@click.pass_obj
@guarded
def serve(ctx: Context, host: str, port: int, tls_cert: Path | None, tls_key: Path | None,
          public_url: str | None, watch_kpis: bool) -> None:
    """Serve the console to browsers: each tab logs in and runs its own console on this host."""
    if (tls_cert is None) != (tls_key is None):
        raise click.UsageError("--tls-cert and --tls-key go together")
    if public_url is not None and not public_url.startswith(("http://", "https://")):
        raise click.BadParameter("an http:// or https:// address", param_hint="--public-url")
    with ctx.open() as store:
        if accounts.count(store) == 0:
            raise RuleError(f"nobody could log in: add an account first (warroom --db {ctx.db} user add NAME)")
        made = links.ensure_all(store)
    from ..serve.app import LOOPBACK, Tls, run  # aiohttp and textual-serve load here

    _more_descriptors()

    tls = Tls(tls_cert, tls_key) if tls_cert is not None and tls_key is not None else None
    if host not in LOOPBACK and tls is None:
        say(f"warning: serving on {host} without TLS: passwords and the war room cross the network in clear; "
            "give --tls-cert/--tls-key, or listen on 127.0.0.1 behind a reverse proxy that speaks HTTPS", err=True)
    scheme, shown = "https" if tls else "http", host if ":" not in host else f"[{host}]"
    base = public_url or f"{scheme}://{shown}:{port}/"
    say(f"warroom: serving {ctx.db} on {base} (Ctrl-C to stop)")
    _say_links(made, base)
    watcher = _kpi_watcher(ctx.db) if watch_kpis else None
    try:
        run(ctx.db, host, port, tls, public_url=public_url, extra_routes=extra_routes(ctx.db))
    finally:
        if watcher is not None:
            _stop(watcher)
    say("warroom: server stopped")


def extra_routes(db: Path) -> list:
    """What else the server answers, beside the console and the login: the status pages,
    each behind its own token."""
    from ..serve.status import add_status_routes

    return [lambda app: add_status_routes(app, db)]


def _say_links(made: dict[str, str | None], base: str) -> None:
    """The status links made now; the others exist already and cannot be shown again."""
    for audience, token in made.items():
        if token is not None:
            say(f"status page for {audience}: {links.url(base, audience, token)}")
        else:
            say(f"status page for {audience}: a link exists (warroom status-link {audience} --rotate for a new one)")


def _more_descriptors() -> None:
    """Every browser tab and live status page holds a descriptor: take all the system allows
    this process (a service manager's default soft limit is often 1,024)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _kpi_watcher(db: Path) -> subprocess.Popen[bytes]:
    say("warroom: running the KPI watcher (warroom kpi watch) beside the server")
    return subprocess.Popen([sys.executable, "-m", "warroom", "--db", str(db.absolute()), "kpi", "watch"],
                            stdin=subprocess.DEVNULL)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """The watcher stops as Ctrl-C stops it: the readings under way are recorded first."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@click.group("user")
def user() -> None:
    """Who may log in to `warroom serve` (a password hash is kept, never the password)."""


@user.command("add")
@click.argument("name")
@click.option("--role", metavar="ROLE", help="One of the plan's roles.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin (scripts).")
@json_option
@click.pass_obj
@guarded
def user_add(ctx: Context, name: str, role: str | None, password_stdin: bool) -> None:
    """Add an account: NAME is what its console records under. The password is asked twice."""
    accounts.check_name(name)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with ctx.open() as store:
        report(ctx, accounts.add(store, name, password, role))


@user.command("remove")
@click.argument("name")
@json_option
@click.pass_obj
@guarded
def user_remove(ctx: Context, name: str) -> None:
    """Remove an account: its browser sessions end at once."""
    with ctx.open() as store:
        report(ctx, accounts.remove(store, name))


@user.command("list")
@json_option
@click.pass_obj
@guarded
def user_list(ctx: Context) -> None:
    """The accounts, their roles and their wrong passwords since the last good one."""
    with ctx.open() as store:
        rows, zone = accounts.listing(store), store.zone()
    if ctx.as_json:
        say_json(rows)
        return
    if not rows:
        say("no accounts (warroom user add NAME)")
    for row in rows:
        last = (f", last {timefmt.from_ms(row['last_failure'], zone):%Y-%m-%d %H:%M}"
                if row["last_failure"] else "")
        say(f"{row['name']}  role {row['role'] or '-'}  wrong passwords {row['failures']}{last}")


main.add_command(serve)
main.add_command(user)
