"""The `warroom` command line. The console (Textual) is imported only by the commands that
open it, so scripts such as `warroom step done` start fast."""
from __future__ import annotations

import functools
import getpass
import json
import re
import shutil
import sqlite3
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import click

from .domain import timefmt
from .export.inert import HIDDEN_CHARS, visible
from .domain.kinds import DecisionKind, IncidentStatus, Verdict
from .domain.rules import STEP_ACTIONS, RuleError
from .store import commands, journal, queries
from .store.db import explain, integrity_lines, is_damage, new_room
from .store.files import StoreError
from .store.lock import SoleHolder
from .store.store import Store

EXIT_BAD_INPUT = 2
_CONTROLS = re.compile(f"[{HIDDEN_CHARS}]")


@dataclass
class Context:
    db: Path = Path("warroom.db")
    operator: str = ""
    as_json: bool = False
    readonly: bool = False

    def open(self) -> Store:
        store = Store(self.db, self.operator)
        if store.warning:
            say(store.warning, err=True)
        return store


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "operator"


def say(text: str, err: bool = False) -> None:
    """Print a line: typed or stored text in it is shown, never obeyed by the terminal, and
    a line break in it is shown as ⏎ (typed text cannot forge a line of its own)."""
    click.echo(visible(text).replace("\n", "⏎"), err=err)


def say_json(value) -> None:
    """JSON on standard output, with the controls a terminal would obey escaped (C1 too)."""
    click.echo(_CONTROLS.sub(lambda m: f"\\u{ord(m.group()):04x}",
                             json.dumps(value, ensure_ascii=False, default=str)))


def one_line(exc: BaseException) -> str:
    """A single readable line for a refused input."""
    if type(exc).__name__ == "ValidationError":  # pydantic's, without importing it here
        return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'input'}: {e['msg'].removeprefix('Value error, ')}"
                         for e in exc.errors())
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def guarded(fn):
    """Refused input and unusable files end the command with one line on stderr and exit 2."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (RuleError, StoreError, ValueError) as exc:
            say(f"warroom: {one_line(exc)}", err=True)
            sys.exit(EXIT_BAD_INPUT)
        except OverflowError:
            say("warroom: a number given is too large", err=True)
            sys.exit(EXIT_BAD_INPUT)
        except sqlite3.Error as exc:
            say(f"warroom: {_database_error(exc)}", err=True)
            sys.exit(1)
        except OSError as exc:  # a full disk, a file we may not write: nothing half done is left
            where = f" ({exc.filename})" if exc.filename else ""
            say(f"warroom: {exc.strerror or one_line(exc)}{where}", err=True)
            sys.exit(1)
    return wrapper


def _database_error(exc: sqlite3.Error) -> str:
    """What is wrong with the war room file and what to do (damaged: run verify, ...)."""
    context = click.get_current_context(silent=True)
    obj = context.find_object(Context) if context is not None else None
    return explain(obj.db, exc) if obj is not None else f"database error: {one_line(exc)}"


def json_option(fn):
    def set_json(ctx, _param, value):
        if value:
            ctx.ensure_object(Context).as_json = True
    return click.option("--json", "as_json", is_flag=True, expose_value=False, callback=set_json,
                        help="Print machine-readable JSON.")(fn)


class Ascii(click.ParamType):
    """A number written with the digits 0-9 (Python reads '٣' as 3: a person would not)."""

    def __init__(self, inner: click.ParamType):
        self.inner, self.name = inner, inner.name

    def convert(self, value, param, ctx):
        if isinstance(value, str) and not value.isascii():
            self.fail(f"{value!r} is not a number written with 0-9", param, ctx)
        return self.inner.convert(value, param, ctx)


class OneLineGroup(click.Group):
    """Usage errors in one line on stderr and exit 2, like every other refusal."""

    def main(self, *args, **kwargs):
        kwargs["standalone_mode"] = False
        try:
            code = super().main(*args, **kwargs)
        except click.ClickException as exc:
            say(f"warroom: {_usage(exc)}", err=True)
            sys.exit(exc.exit_code)
        except click.Abort:
            say("warroom: aborted", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


def _usage(exc: click.ClickException) -> str:
    """A usage mistake in one line ('Choose from:' lists and a group's help folded in)."""
    context = getattr(exc, "ctx", None)
    if type(exc).__name__ == "NoArgsIsHelpError" and context is not None:
        return f"'{context.command_path}' needs a command ('{context.command_path} --help' lists them)"
    return " ".join(exc.format_message().split())


def write_command(group, name: str, **settings):
    """A command that records something: takes --at and --json, prints what it recorded. A
    value that starts with '-' (a reading of -0.5, a title '-50% conversion') is a value."""
    settings.setdefault("context_settings", {"ignore_unknown_options": True})

    def decorate(fn):
        @group.command(name, **settings)
        @click.option("--at", "at", metavar="TIME",
                      help="When it happened: HH:MM, an ISO time, or -10m (default: now).")
        @json_option
        @click.pass_obj
        @guarded
        @functools.wraps(fn)
        def command(ctx: Context, at, **kwargs):
            with ctx.open() as store:
                when = note = None
                if at is not None:
                    earliest = store.query("SELECT MIN(planned_start) AS first FROM steps")[0]["first"]
                    when = timefmt.parse_at(at, timefmt.now_ms(), store.zone(), earliest)
                    note = timefmt.ambiguity(at, when, store.zone())
                result = fn(store, at=when, **kwargs)
            report(ctx, result)
            if note:
                say(f"note: {note}", err=True)
        return command
    return decorate


def _moment(text: str, tz, earliest: int | None) -> int:
    """A scribe's time, checked; an ambiguous wall-clock time is noted on stderr."""
    when = timefmt.parse_at(text, timefmt.now_ms(), tz, earliest)
    if note := timefmt.ambiguity(text, when, tz):
        say(f"note: {note}", err=True)
    return when


def _earliest(store: Store) -> int | None:
    return store.query("SELECT MIN(planned_start) AS first FROM steps")[0]["first"]


def report(ctx: Context, result: dict) -> None:
    if ctx.as_json:
        say_json(result)
    else:
        details = ", ".join(f"{k} {v}" for k, v in result.items() if k != "event")
        say(f"recorded: {details} (event {result['event']})")


@click.group(cls=OneLineGroup, invoke_without_command=True)
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), envvar="WARROOM_DB",
              default="warroom.db", show_default=True, help="The war room file ($WARROOM_DB).")
@click.option("--as", "operator", envvar="WARROOM_OPERATOR", default=_login,
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
        open_console(ctx.obj)


@main.command()
@click.argument("plan", type=click.Path(path_type=Path), required=False)
@click.option("--demo", is_flag=True, help="Use the built-in demo plan.")
@click.option("--force", count=True, help="Replace an existing war room (the old file is kept aside); "
              "twice to replace one that others have open (their consoles stop recording).")
@click.option("--at", "at", metavar="TIME",
              help="When the plan took effect: its people hold their roles from then (default: the plan's start).")
@json_option
@click.pass_obj
@guarded
def init(ctx: Context, plan: Path | None, demo: bool, force: int, at: str | None) -> None:
    """Create a war room file from a plan."""
    from .plan.loader import load_demo_plan

    if bool(plan) == demo:
        raise click.UsageError("give a PLAN file or --demo (one of them)")
    loaded = load_demo_plan() if demo else _load_or_exit(plan)
    earliest = min((s.planned_start for s in loaded.steps), default=None)
    when = _moment(at, timefmt.zone(loaded.timezone), earliest) if at else None
    aside = _make_room(ctx.db, force)
    with new_room(ctx.db), Store.create(ctx.db, ctx.operator) as store:
        result = commands.init(store, loaded, at=when)
    if ctx.as_json:
        say_json(result | {"db": str(ctx.db), "kept_aside": aside})
    else:
        say(f"created war room {loaded.name!r} in {ctx.db}: {len(loaded.steps)} steps, "
                   f"{len(loaded.roles)} roles, {len(loaded.risks)} risks")
        if aside:
            say(f"the previous file was kept as {aside}")


def _make_room(db: Path, force: int) -> str | None:
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
    from .plan import PlanError, load_plan

    try:
        return load_plan(path)
    except PlanError as exc:
        for problem in exc.problems:
            say(str(problem), err=True)
        sys.exit(EXIT_BAD_INPUT)


@main.group()
def plan() -> None:
    """Plan files."""


@plan.command("check")
@click.argument("path", type=click.Path(path_type=Path))
@json_option
@click.pass_obj
def plan_check(ctx: Context, path: Path) -> None:
    """Check a plan file; list every problem as file:line:column: field: message."""
    from .plan import PlanError, load_plan

    try:
        loaded = load_plan(path)
    except PlanError as exc:
        if ctx.as_json:
            say_json({"ok": False, "problems": [vars(p) for p in exc.problems]})
        else:
            for problem in exc.problems:
                say(str(problem))
            say(f"{len(exc.problems)} problem(s) in {path}", err=True)
        sys.exit(1)
    summary = {"ok": True, "name": loaded.name, "steps": len(loaded.steps), "roles": len(loaded.roles),
               "risks": len(loaded.risks), "audiences": len(loaded.audiences), "kpis": len(loaded.kpis)}
    if ctx.as_json:
        say_json(summary)
    else:
        say(f"{path}: ok ({summary['steps']} steps, {summary['roles']} roles, "
                   f"{summary['risks']} risks, {summary['audiences']} audiences, {summary['kpis']} KPIs)")


@main.command()
@click.option("--as-of", "as_of", metavar="T", help="The board as it stood at T (HH:MM, H+90m, -10m or ISO).")
@json_option
@click.pass_obj
@guarded
def status(ctx: Context, as_of: str | None) -> None:
    """Where the day stands (or stood, with --as-of)."""
    with ctx.open() as store:
        result = queries.status(store) if as_of is None else _status_as_of(store, as_of)
    if ctx.as_json:
        say_json(result)
        return
    steps, incidents = result["steps"], result["incidents"]
    say(f"{result['name']} — go-live {result['golive_iso']} — phase {result['phase']}")
    if result["hold"]:
        say(f"RUNBOOK ON HOLD: {result['hold']}")
    counts = ", ".join(f"{steps.get(k, 0)} {k}" for k in ("done", "in_progress", "pending", "blocked", "failed", "skipped"))
    say(f"steps: {counts} of {steps['total']}; {steps['late']} late")
    if result["in_progress"]:
        say(f"in progress: {', '.join(result['in_progress'])}")
    by_sev = ", ".join(f"{k} {v}" for k, v in incidents["open_by_severity"].items()) or "none"
    say(f"incidents: {incidents['open']} open of {incidents['total']} ({by_sev})")
    latest = result["latest_decision"]
    if latest:
        say(f"latest decision: {latest['kind']} by {latest['decided_by']}: {latest['rationale']}")
    say(f"decisions {result['decisions']}, messages {result['messages']}, events {result['events']}")


@main.command()
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
            events = store.conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
            head, last = journal.show_head(store.conn), journal.head(store.conn)
    except (StoreError, sqlite3.DatabaseError) as exc:
        if not is_damage(exc):
            raise
        problems, events, head, last = integrity_lines(ctx.db) or [f"the file cannot be read: {one_line(exc)}"], 0, None, None
    if ctx.as_json:
        say_json({"ok": not problems, "events": events, "head": f"#{last[0]}:{last[1]}" if last else None,
                  "problems": problems})
    else:
        for problem in problems:
            say(problem)
        say(f"{ctx.db}: {'ok' if not problems else 'BROKEN'} ({events} events checked)"
            + (f"; head {head}" if head else "; the journal cannot be read"))
    sys.exit(1 if problems else 0)


def _status_as_of(store: Store, text: str) -> dict:
    from .export.status import status_as_of
    from .export.times import parse_moment

    when = parse_moment(text, golive=int(store.meta()["golive"]), now=timefmt.now_ms(), tz=store.zone())
    return status_as_of(store, when)


@write_command(main, "step")
@click.argument("action", type=click.Choice(list(STEP_ACTIONS)))
@click.argument("step_id", metavar="STEP")
@click.option("--note", help="Why (required for fail, skip and --force).")
@click.option("--force", is_flag=True, help="Start even though dependencies or a hold say no (recorded).")
def step(store: Store, at, action: str, step_id: str, note: str | None, force: bool) -> dict:
    """Move a runbook step: start, done, fail, skip, block, unblock, or reopen a settled one."""
    return commands.step(store, action, step_id, note=note, force=force, at=at)


@write_command(main, "signoff")
@click.argument("gate")
@click.argument("role")
@click.argument("verdict", type=click.Choice([v.value for v in Verdict]))
@click.option("--note", help="The signer's comment (required with --force).")
@click.option("--force", is_flag=True,
              help="Sign although you do not hold the role, or pass a gate whose dependencies are not done (recorded).")
def signoff(store: Store, at, gate: str, role: str, verdict: str, note: str | None, force: bool) -> dict:
    """Record a role's go or no-go at a gate, as the person who holds the role."""
    return commands.signoff(store, gate, role, verdict, note=note, force=force, at=at)


@main.group()
def incident() -> None:
    """Open and update incidents."""


@write_command(incident, "open")
@click.argument("title")
@click.option("--sev", type=Ascii(click.IntRange(1, 4)), required=True, help="Severity, 1 (worst) to 4.")
@click.option("--step", "step_id", help="The runbook step it concerns.")
@click.option("--risk", help="The risk it concerns.")
@click.option("--owner", help="The role that owns it.")
def incident_open(store: Store, at, title: str, sev: int, step_id, risk, owner) -> dict:
    """Open an incident (its id, INC-n, is printed)."""
    return commands.open_incident(store, title, sev, step=step_id, risk=risk, owner=owner, at=at)


@write_command(incident, "update")
@click.argument("ref", metavar="ID")
@click.option("--status", type=click.Choice([s.value for s in IncidentStatus]))
@click.option("--sev", type=Ascii(click.IntRange(1, 4)))
@click.option("--note")
@click.option("--title", help="A better title (the journal keeps the old one).")
def incident_update(store: Store, at, ref: str, status, sev, note, title) -> dict:
    """Change an incident's status, severity or title, or add an update."""
    return commands.update_incident(store, ref, status=status, severity=sev, note=note, title=title, at=at)


@main.command()
@click.argument("event_id", metavar="EVENT", type=Ascii(click.INT))
@click.option("--at", "at", metavar="TIME", required=True, help="When it really happened.")
@click.option("--why", required=True, help="Why the time was wrong.")
@json_option
@click.pass_obj
@guarded
def correct(ctx: Context, event_id: int, at: str, why: str) -> None:
    """Say that journal event EVENT happened at another time (the journal keeps both)."""
    with ctx.open() as store:
        report(ctx, commands.correct(store, event_id, _moment(at, store.zone(), _earliest(store)), why))


@main.command()
@click.argument("event_id", metavar="EVENT", type=Ascii(click.INT))
@click.option("--why", required=True, help="Why it did not happen.")
@json_option
@click.pass_obj
@guarded
def retract(ctx: Context, event_id: int, why: str) -> None:
    """Say that journal event EVENT did not happen (the journal keeps it, marked)."""
    with ctx.open() as store:
        report(ctx, commands.retract(store, event_id, why))


@main.group()
def risk() -> None:
    """The risk register."""


@write_command(risk, "trigger")
@click.argument("risk_id", metavar="RISK")
@click.option("--note")
def risk_trigger(store: Store, at, risk_id: str, note) -> dict:
    """A risk fired: mark it and open an incident linked to it."""
    return commands.trigger_risk(store, risk_id, note=note, at=at)


@write_command(risk, "close")
@click.argument("risk_id", metavar="RISK")
@click.option("--note")
def risk_close(store: Store, at, risk_id: str, note) -> dict:
    """A risk no longer needs watching."""
    return commands.close_risk(store, risk_id, note=note, at=at)


@write_command(main, "decide")
@click.argument("kind", type=click.Choice([k.value for k in DecisionKind]))
@click.option("--by", "decided_by", required=True, help="The person who took the decision.")
@click.option("--why", "rationale", required=True, help="The rationale.")
@click.option("--step", "step_id")
@click.option("--incident", "incident_ref")
@click.option("--force", is_flag=True, help="Record a rollback by someone without the right role.")
def decide(store: Store, at, kind, decided_by, rationale, step_id, incident_ref, force) -> dict:
    """Record a go / no-go / rollback / hold / resume decision."""
    return commands.decide(store, kind, decided_by, rationale, step=step_id,
                           incident=incident_ref, force=force, at=at)


@write_command(main, "assign")
@click.argument("role")
@click.argument("person")
@click.option("--contact", default="", help="Phone, chat handle...")
def assign(store: Store, at, role: str, person: str, contact: str) -> dict:
    """Give a role to a person (a hand-over ends the previous holder's assignment)."""
    return commands.assign(store, role, person, contact=contact, at=at)


@main.group()
def comm() -> None:
    """The communication log."""


@write_command(comm, "log")
@click.argument("audience")
@click.argument("text")
@click.option("--channel", help="Default: the audience's channel.")
@click.option("--draft", is_flag=True, help="Keep it as a draft, not sent yet.")
@click.option("--with-head", is_flag=True,
              help="Append the journal's head (#N:HEX): the audience keeps a proof of the record so far.")
def comm_log(store: Store, at, audience: str, text: str, channel, draft: bool, with_head: bool) -> dict:
    """Log a message to an audience."""
    if with_head:
        text = f"{text} [war room journal head {journal.show_head(store.conn)}]"
    return commands.log_message(store, audience, text, channel=channel, draft=draft, at=at)


@write_command(comm, "send")
@click.argument("message_id", type=Ascii(click.INT), metavar="ID")
def comm_send(store: Store, at, message_id: int) -> dict:
    """Mark a draft message as sent."""
    return commands.send_message(store, message_id, at=at)


@main.group()
def kpi() -> None:
    """Success KPIs."""


@write_command(kpi, "record")
@click.argument("key", metavar="KPI")
@click.argument("value", type=Ascii(click.FLOAT))
def kpi_record(store: Store, at, key: str, value: float) -> dict:
    """Record a KPI reading."""
    return commands.record_kpi(store, key, value, at=at)


@write_command(main, "note")
@click.argument("text")
@click.option("--tag", "tags", multiple=True, help="A tag (repeatable); 'retro' feeds the retrospective.")
def note(store: Store, at, text: str, tags: tuple[str, ...]) -> dict:
    """Add a note to the timeline."""
    return commands.note(store, text, tags, at=at)


DEMO_DB = Path("warroom-demo.db")
LIVE_AT = 170  # minutes after go-live where `warroom demo` opens: the ramp is under way


@main.command()
@click.option("--fresh", is_flag=True, help="Start the demo day again (the old file is kept aside).")
@click.option("--minute", type=Ascii(click.INT), default=LIVE_AT, show_default=True,
              help="Where the demo day stands now, in minutes after go-live.")
@click.pass_context
@guarded
def demo(click_ctx: click.Context, fresh: bool, minute: int) -> None:
    """Open the console on a demo go-live day that is under way now (./warroom-demo.db
    unless --db is given)."""
    from .demo_day import create_demo

    ctx: Context = click_ctx.obj
    if click_ctx.parent.get_parameter_source("db") is click.core.ParameterSource.DEFAULT:
        ctx.db = DEMO_DB
    if fresh or not ctx.db.exists():
        _make_room(ctx.db, force=True)
        with new_room(ctx.db):
            create_demo(ctx.db, ctx.operator, minute=minute)
        say(f"created the demo war room in {ctx.db}", err=True)
    open_console(ctx)


@guarded
def open_console(ctx: Context) -> None:
    from .app import run_console  # Textual loads only here

    run_console(ctx.db, ctx.operator, readonly=ctx.readonly)


from .export.command import export  # noqa: E402  (no Textual: the report loads only when it runs)

main.add_command(export)
