"""What every `warroom` command shares: its context (the file, who records), printing typed
text inert, one-line refusals with their exit codes, and the shape of a recording command."""
from __future__ import annotations

import functools
import getpass
import json
import os
import re
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path

import click

from ..domain import timefmt
from ..domain.rules import RuleError
from ..domain.visible import HIDDEN_CHARS, visible
from ..errors import EXIT_BAD_INPUT, EXIT_FAILED, one_line
from ..store import queries
from ..store.db import explain
from ..store.files import StoreError
from ..store.store import Store

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


def login_name() -> str:
    """The name a person records under when they give none: their login."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "operator"


def say(text: str, err: bool = False) -> None:
    """Print a line: typed or stored text in it is shown, never obeyed by the terminal, and
    a line break in it is shown as ⏎ (typed text cannot forge a line of its own)."""
    click.echo(visible(text, one_line=True), err=err)


def say_json(value) -> None:
    """JSON on standard output, with the controls a terminal would obey escaped (C1 too)."""
    click.echo(_CONTROLS.sub(lambda m: f"\\u{ord(m.group()):04x}",
                             json.dumps(value, ensure_ascii=False, default=str)))


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
        except BrokenPipeError:  # `warroom status | head`: the reader has what it wanted
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # Python's flush at exit must not fail
            sys.exit(EXIT_FAILED)
        except sqlite3.Error as exc:
            say(f"warroom: {_database_error(exc)}", err=True)
            sys.exit(EXIT_FAILED)
        except OSError as exc:  # a full disk, a file we may not write: nothing half done is left
            where = f" ({exc.filename})" if exc.filename else ""
            say(f"warroom: {exc.strerror or one_line(exc)}{where}", err=True)
            sys.exit(EXIT_FAILED)
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
            sys.exit(EXIT_FAILED)
        sys.exit(code if isinstance(code, int) else 0)


def _usage(exc: click.ClickException) -> str:
    """A usage mistake in one line ('Choose from:' lists and a group's help folded in)."""
    context = getattr(exc, "ctx", None)
    if type(exc).__name__ == "NoArgsIsHelpError" and context is not None:
        return f"'{context.command_path}' needs a command ('{context.command_path} --help' lists them)"
    return " ".join(exc.format_message().split())


def write_command(name: str, group: click.Group | None = None, **settings):
    """A command that records something: takes --at and --json, prints what it recorded. A
    value that starts with '-' (a reading of -0.5, a title '-50% conversion') is a value."""
    settings.setdefault("context_settings", {"ignore_unknown_options": True})

    def decorate(fn):
        @(group.command if group is not None else click.command)(name, **settings)
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
                    when = timefmt.parse_at(at, timefmt.now_ms(), store.zone(), queries.first_planned(store))
                    note = timefmt.ambiguity(at, when, store.zone())
                result = fn(store, at=when, **kwargs)
            report(ctx, result)
            if note:
                say(f"note: {note}", err=True)
        return command
    return decorate


def moment(text: str, tz, earliest: int | None) -> int:
    """A scribe's time, checked; an ambiguous wall-clock time is noted on stderr."""
    when = timefmt.parse_at(text, timefmt.now_ms(), tz, earliest)
    if note := timefmt.ambiguity(text, when, tz):
        say(f"note: {note}", err=True)
    return when


def report(ctx: Context, result: dict) -> None:
    if ctx.as_json:
        say_json(result)
    else:
        details = ", ".join(f"{k} {v}" for k, v in result.items() if k != "event")
        say(f"recorded: {details} (event {result['event']})")


