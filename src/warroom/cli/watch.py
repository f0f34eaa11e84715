"""`warroom kpi watch` and `warroom kpi check`: the KPIs' source commands, run on their
cadence or once, each result recorded by the operator `kpi-watch`. The watcher's modules
are loaded by these commands only."""
from __future__ import annotations

import dataclasses
import math
import signal
import sys
import threading
from typing import TYPE_CHECKING

import click

from ..domain.rules import RuleError
from ..errors import EXIT_FAILED
from ..store import queries
from ..store.files import StoreError
from ..store.store import Store, os_login
from .base import Ascii, Context, guarded, json_option, say, say_json
from .record import kpi

if TYPE_CHECKING:
    from ..watch.kpis import WatchedKpi

EXIT_STOPPED = 130  # as a shell reports a command Ctrl-C stopped
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)  # Ctrl-C, kill, a closed SSH session


TRUST = click.option("--trust", metavar="LOGIN",
                     help="Run the source commands of a plan loaded by LOGIN, another user (read them first).")


@kpi.command("watch")
@TRUST
@click.option("--for", "seconds", type=Ascii(click.FloatRange(min=0, min_open=True)), metavar="SECONDS",
              help="Stop after SECONDS, once the runs under way are recorded (default: until Ctrl-C).")
@click.pass_obj
@guarded
def kpi_watch(ctx: Context, trust: str | None, seconds: float | None) -> None:
    """Run every KPI source on its cadence and record each reading, until Ctrl-C. One watcher
    reads at a time: another one started on the same file stands by and takes over if it
    stops."""
    from ..watch.watcher import Watcher

    if seconds is not None and not math.isfinite(seconds):
        raise click.BadParameter("a number of seconds", param_hint="--for")
    with _open(ctx) as store:
        watcher = Watcher(store, _sources(store, trust), tell=say, warn=lambda line: say(line, err=True))
        for number in STOP_SIGNALS:
            signal.signal(number, lambda *_: watcher.stop())
        tally = watcher.run(seconds)
    say(tally.summary())
    if tally.lost_file:
        sys.exit(EXIT_FAILED)


@kpi.command("check")
@TRUST
@json_option
@click.pass_obj
@guarded
def kpi_check(ctx: Context, trust: str | None) -> None:
    """Run every KPI source once, record each result and show it; exit 1 if one failed."""
    from ..watch.kpis import check

    cancel = threading.Event()
    for number in STOP_SIGNALS:
        signal.signal(number, lambda *_: cancel.set())
    with _open(ctx) as store:
        results = check(store, _sources(store, trust), cancel)
    if cancel.is_set():
        say("kpi check: stopped; the sources under way were killed, nothing recorded", err=True)
        sys.exit(EXIT_STOPPED)
    if ctx.as_json:
        say_json([{"kpi": k.key, "value": r.value, "error": answer.get("error"), "seconds": round(r.seconds, 3),
                   "event": answer["event"]} for k, r, answer in results])
    else:
        width = max(len(k.key) for k, _, _ in results)
        for k, r, _ in results:
            say(f"{k.key:<{width}}  {k.result(r)}  ({r.seconds:.1f}s)")
    if any(r.value is None for _, r, _ in results):
        sys.exit(EXIT_FAILED)


def _open(ctx: Context) -> Store:
    from ..watch.kpis import OPERATOR

    store = dataclasses.replace(ctx, operator=OPERATOR).open()
    if store.readonly:
        store.close()
        raise StoreError(f"{ctx.db}: read-only for you: the readings could not be recorded")
    return store


def _sources(store: Store, trust: str | None) -> list[WatchedKpi]:
    """The sources to run, as long as they are yours to run: a source is a shell command, run
    as you, from the plan whoever created the war room loaded."""
    from ..watch.kpis import watched

    author, me = queries.created_by(store), os_login()
    if author != me and trust != author:
        raise RuleError(f"this war room's plan was loaded by {author or 'an unknown login'}, not by you ({me}): "
                        f"its KPI sources are shell commands that would run as you; read them in the plan, "
                        f"then pass --trust {author or 'LOGIN'}")
    kpis = watched(store)
    if not kpis:
        raise RuleError("no KPI of this war room has a source: nothing to run (a KPI's `source:` in the plan)")
    return kpis
