"""Commands about the war room itself: create it from a plan, check a plan, where the day
stands, and whether the file and its journal are intact."""
from __future__ import annotations

import shutil
import sqlite3
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from ..domain import timefmt
from ..errors import EXIT_BAD_INPUT, EXIT_FAILED, one_line
from ..store import commands, journal, queries
from ..store.db import integrity_lines, is_damage, new_room
from ..store.files import StoreError
from ..store.lock import SoleHolder
from ..store.store import Store
from .base import Context, guarded, json_option, moment, say, say_json


@click.command()
@click.argument("plan", type=click.Path(path_type=Path), required=False)
@click.option("--demo", is_flag=True, help="Use the built-in demo plan.")
@click.option("--force", count=True, help="Replace an existing war room (the old file is kept aside); "
              "twice to replace one that others have open (their consoles stop recording).")
@click.option("--at", "at", metavar="TIME",
              help="When the plan took effect: its people hold their roles from then (default: the plan's start).")
@click.option("--rehearsal", is_flag=True,
              help="A rehearsal: every message is marked [TEST] and none counts as sent to an audience.")
@json_option
@click.pass_obj
@guarded
def init(ctx: Context, plan: Path | None, demo: bool, force: int, at: str | None, rehearsal: bool) -> None:
    """Create a war room file from a plan."""
    if (plan is not None) == demo:
        raise click.UsageError("give a PLAN file or --demo (one of them)")
    from ..plan.loader import load_demo_plan  # pydantic and YAML load only for the commands that read a plan

    loaded = _load_or_exit(plan) if plan is not None else load_demo_plan()
    earliest = min((s.planned_start for s in loaded.steps), default=None)
    when = moment(at, timefmt.zone(loaded.timezone), earliest) if at else None
    aside = make_room(ctx.db, force)
    with new_room(ctx.db), Store.create(ctx.db, ctx.operator) as store:
        result = commands.init(store, loaded, at=when, rehearsal=rehearsal)
    if ctx.as_json:
        say_json(result | {"db": str(ctx.db), "kept_aside": aside})
    else:
        what = "a rehearsal" if rehearsal else "war room"
        say(f"created {what} {loaded.name!r} in {ctx.db}: {len(loaded.steps)} steps, "
            f"{len(loaded.roles)} roles, {len(loaded.risks)} risks")
        if aside:
            say(f"the previous file was kept as {aside}")


def make_room(db: Path, force: int) -> str | None:
    """Clear the way for a new file; with --force the old one is moved aside, never deleted,
    and not while another process has it open unless --force is given twice."""
    if not db.exists():
        return None
    if not force:
        raise StoreError(f"{db}: already exists (use --force to replace it; the old file is kept aside)")
    with SoleHolder(db, insist=force > 1):
        aside = db.with_name(f"{db.name}.{datetime.now():%Y%m%d-%H%M%S}.bak")
        for suffix in ("", "-wal", "-shm"):
            source = Path(str(db) + suffix)
            if source.exists():
                shutil.move(source, str(aside) + suffix)
    return str(aside)


def _load_or_exit(path: Path):
    from ..plan import PlanError, load_plan

    try:
        return load_plan(path)
    except PlanError as exc:
        for problem in exc.problems:
            say(str(problem), err=True)
        sys.exit(EXIT_BAD_INPUT)


@click.group()
def plan() -> None:
    """Plan files."""


@plan.command("check")
@click.argument("path", type=click.Path(path_type=Path))
@json_option
@click.pass_obj
def plan_check(ctx: Context, path: Path) -> None:
    """Check a plan file; list every problem as file:line:column: field: message."""
    from ..plan import PlanError, load_plan

    try:
        loaded = load_plan(path)
    except PlanError as exc:
        if ctx.as_json:
            say_json({"ok": False, "problems": [vars(p) for p in exc.problems]})
        else:
            for problem in exc.problems:
                say(str(problem))
            say(f"{len(exc.problems)} problem(s) in {path}", err=True)
        sys.exit(EXIT_FAILED)
    summary = {"ok": True, "name": loaded.name, "steps": len(loaded.steps), "roles": len(loaded.roles),
               "risks": len(loaded.risks), "audiences": len(loaded.audiences), "kpis": len(loaded.kpis)}
    if ctx.as_json:
        say_json(summary)
    else:
        say(f"{path}: ok ({summary['steps']} steps, {summary['roles']} roles, "
                   f"{summary['risks']} risks, {summary['audiences']} audiences, {summary['kpis']} KPIs)")


@plan.command("retime")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--from", "room", required=True, type=click.Path(dir_okay=False, path_type=Path), metavar="ROOM.db",
              help="The war room (a rehearsal, or a live day) whose measured durations are written in.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the new plan to this file (default: standard output); an existing file is not replaced.")
@click.pass_obj
@guarded
def plan_retime(ctx: Context, path: Path, room: Path, out: Path | None) -> None:
    """Write a plan back with the durations a war room measured (comments and order kept)."""
    from ..plan.loader import load_plan_text
    from ..plan.retime import retimed

    _load_or_exit(path)
    if out is not None and not out.absolute().parent.is_dir():
        raise ValueError(f"{out.parent}: no such directory")
    measured = queries.timings_of(room, ctx.operator)[1]
    text, changed = retimed(path.read_bytes().decode("utf-8"), measured, str(path))  # line endings kept
    load_plan_text(text.replace("\r\n", "\n"), f"{path} (retimed)")  # what is written is a plan that loads
    if out is None:
        click.echo(text, nl=False)
    else:
        try:
            with out.open("x", encoding="utf-8") as file:
                file.write(text)
        except FileExistsError:
            raise StoreError(f"{out}: already exists (give another --out)") from None
    say(f"retimed {len(changed)} step(s) from {room}" + (f": {', '.join(changed)}" if changed else ""), err=True)


@click.command()
@click.option("--as-of", "as_of", metavar="T", help="The board as it stood at T (HH:MM, H+90m, -10m or ISO).")
@json_option
@click.pass_obj
@guarded
def status(ctx: Context, as_of: str | None) -> None:
    """Where the day stands (or stood, with --as-of)."""
    with ctx.open() as store:
        now = timefmt.now_ms() if as_of is None else _moment_of(store, as_of)
        result = queries.status(store, now=now) if as_of is None else queries.status_as_of(store, now)
    if ctx.as_json:
        say_json(result)
        return
    steps, incidents = result["steps"], result["incidents"]
    say(f"{result['name']} — go-live {result['golive_iso']} — phase {result['phase']}")
    if result["hold"]:
        say(f"RUNBOOK ON HOLD: {result['hold']}")
    counts = ", ".join(f"{steps.get(k, 0)} {k}"
                       for k in ("done", "in_progress", "pending", "blocked", "failed", "skipped"))
    say(f"steps: {counts} of {steps['total']}; {steps['late']} late")
    if result["in_progress"]:
        say(f"in progress: {', '.join(result['in_progress'])}")
    for line in _forecast_lines(result["forecast"], timefmt.zone(result["timezone"]), now):
        say(line)
    by_sev = ", ".join(f"{k} {v}" for k, v in incidents["open_by_severity"].items()) or "none"
    say(f"incidents: {incidents['open']} open of {incidents['total']} ({by_sev})")
    latest = result["latest_decision"]
    if latest:
        say(f"latest decision: {latest['kind']} by {latest['decided_by']}: {latest['rationale']}")
    for line in _after_lines(result["checks"], result["followups"]):
        say(line)
    say(f"decisions {result['decisions']}, messages {result['messages']}, events {result['events']}")


def _after_lines(checks: dict[str, int], followups: dict[str, int]) -> list[str]:
    """The stabilisation checks and the follow-ups, once there are any."""
    lines = []
    if checks:
        counts = ", ".join(f"{checks[k]} {word}" for k, word in (("done", "passed"), ("failed", "failed"))
                           if checks.get(k))
        lines.append(f"checks: {counts or 'none re-tested'} of {sum(checks.values())}")
    if len(followups) > 1:  # more than `overdue`
        overdue = f" ({followups['overdue']} overdue)" if followups["overdue"] else ""
        lines.append(f"follow-ups: {followups.get('open', 0)} open{overdue}, {followups.get('done', 0)} done, "
                     f"{followups.get('dropped', 0)} dropped")
    return lines


def _forecast_lines(forecast: dict, tz: ZoneInfo, now: int) -> list[str]:
    def when(ms: int) -> str:  # the date too, unless it is the day of `now`
        same_day = timefmt.show(ms, tz, "%Y-%m-%d") == timefmt.show(now, tz, "%Y-%m-%d")
        return timefmt.show(ms, tz, "%H:%M" if same_day else "%Y-%m-%d %H:%M")

    lines = []
    if forecast["finish"] is not None:
        path = " -> ".join(forecast["critical_path"])
        lines.append(f"forecast: ends ~{when(forecast['finish'])} (critical path {path})")
    window = f", window ends {when(forecast['window_end'])}" if forecast["window_end"] is not None else ""
    deadline = forecast["rollback_deadline"]
    if forecast["backing_out"]:
        lines.append(f"ROLLING BACK: the backout ends ~{when(forecast['backout_end'])}{window}")
    elif deadline is not None and deadline < now:
        lines.append(f"ROLLBACK DEADLINE PASSED at {when(deadline)}: a backout now ends {when(forecast['backout_end'])}"
                     f"{window}")
    elif deadline is not None:
        lines.append(f"rollback: decide by {when(deadline)} (backout {forecast['backout_minutes']} min{window})")
    passed = (forecast["point_of_no_return"] or {}).get("passed_at")
    if passed is not None:
        lines.append(f"past the point of no return ({forecast['point_of_no_return']['step']} done at {when(passed)})")
    return lines


@click.command()
@click.option("--expect-head", metavar="#N:HEX",
              help="Fail unless event N is in the journal with a hash starting with HEX (a head kept elsewhere).")
@json_option
@click.pass_obj
@guarded
def verify(ctx: Context, expect_head: str | None) -> None:
    """Check the file's integrity, the journal's hash chain and the state tables against the
    journal; print the head to anchor elsewhere; exit 1 when anything is wrong."""
    try:
        with ctx.open() as store:
            problems = store.verify()
            if expect_head is not None and (wrong := journal.check_head(store.conn, expect_head)):
                problems.append(wrong)
            events = queries.event_count(store)
            head, last = journal.show_head(store.conn), journal.head(store.conn)
    except (StoreError, sqlite3.DatabaseError) as exc:
        if not is_damage(exc):
            raise
        problems, events, head, last = (integrity_lines(ctx.db) or [f"the file cannot be read: {one_line(exc)}"],
                                        0, None, None)
    if ctx.as_json:
        say_json({"ok": not problems, "events": events, "head": f"#{last[0]}:{last[1]}" if last else None,
                  "problems": problems})
    else:
        for problem in problems:
            say(problem)
        say(f"{ctx.db}: {'ok' if not problems else 'BROKEN'} ({events} events checked)"
            + (f"; head {head}" if head else "; the journal cannot be read"))
    sys.exit(EXIT_FAILED if problems else 0)


def _moment_of(store: Store, text: str) -> int:
    return timefmt.parse_moment(text, golive=int(store.meta()["golive"]), now=timefmt.now_ms(), tz=store.zone())


COMMANDS = (init, plan, status, verify)
