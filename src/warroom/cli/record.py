"""The commands that record what happens: steps, sign-offs, incidents, risks, decisions,
hand-overs, messages, KPI readings, notes, and corrections of the record itself."""
from __future__ import annotations

from pathlib import Path

import click

from ..domain import timefmt
from ..domain.kinds import DecisionKind, IncidentStatus, Phase, Priority, Verdict
from ..domain.rules import STEP_ACTIONS
from ..store import commands, journal, queries
from ..store.store import Store
from .base import Ascii, Context, guarded, json_option, moment, report, write_command


@write_command("step")
@click.argument("action", type=click.Choice([*STEP_ACTIONS, "add"]))
@click.argument("step_id", metavar="STEP")
@click.option("--note", help="Why (required for fail, skip and --force).")
@click.option("--force", is_flag=True,
              help="Start although dependencies or a hold say no, or call it done with targets missing (recorded).")
@click.option("--target", metavar="T", help="With done or fail: one of the step's targets (a server, a region...).")
@click.option("--evidence", metavar="TEXT", help="With done on a check step: what was tested, and what it showed.")
@click.option("--title", help="With add: what the step is.")
@click.option("--owner", metavar="ROLE", help="With add: the role that owns it.")
@click.option("--duration", metavar="D", help="With add: how long it should take (45m, 1h30m).")
@click.option("--after", "after", multiple=True, metavar="STEP", help="With add: a step it waits for (repeatable).")
@click.option("--phase", type=click.Choice([p.value for p in Phase]), default="day", show_default=True,
              help="With add: its phase.")
def step(store: Store, at, action: str, step_id: str, note: str | None, force: bool, target: str | None,
         evidence: str | None, title: str | None, owner: str | None, duration: str | None,
         after: tuple[str, ...], phase: str) -> dict:
    """Move a runbook step (start, done, fail, skip, block, unblock, reopen a settled one), or
    add one nobody planned (add STEP --title T --owner ROLE --duration D [--after S...])."""
    if action == "add":
        if not (title and owner and duration):
            raise click.UsageError("step add needs --title, --owner and --duration")
        return commands.add_step(store, step_id, title, owner, duration, after, phase, at=at)
    if title or owner or duration or after:
        raise click.UsageError("--title, --owner, --duration and --after go with step add")
    return commands.step(store, action, step_id, note=note, force=force, at=at, target=target, evidence=evidence)


@write_command("signoff")
@click.argument("gate")
@click.argument("role")
@click.argument("verdict", type=click.Choice([v.value for v in Verdict]))
@click.option("--note", help="The signer's comment (required with --force).")
@click.option("--force", is_flag=True,
              help="Sign although you do not hold the role, or pass a gate whose dependencies are not done (recorded).")
def signoff(store: Store, at, gate: str, role: str, verdict: str, note: str | None, force: bool) -> dict:
    """Record a role's go or no-go at a gate, as the person who holds the role."""
    return commands.signoff(store, gate, role, verdict, note=note, force=force, at=at)


@click.group()
def incident() -> None:
    """Open and update incidents."""


@write_command("open", incident)
@click.argument("title")
@click.option("--sev", type=Ascii(click.IntRange(1, 4)), required=True, help="Severity, 1 (worst) to 4.")
@click.option("--step", "step_id", help="The runbook step it concerns.")
@click.option("--risk", help="The risk it concerns.")
@click.option("--owner", help="The role that owns it.")
def incident_open(store: Store, at, title: str, sev: int, step_id, risk, owner) -> dict:
    """Open an incident (its id, INC-n, is printed)."""
    return commands.open_incident(store, title, sev, step=step_id, risk=risk, owner=owner, at=at)


@write_command("update", incident)
@click.argument("ref", metavar="ID")
@click.option("--status", type=click.Choice([s.value for s in IncidentStatus]))
@click.option("--sev", type=Ascii(click.IntRange(1, 4)))
@click.option("--note")
@click.option("--title", help="A better title (the journal keeps the old one).")
def incident_update(store: Store, at, ref: str, status, sev, note, title) -> dict:
    """Change an incident's status, severity or title, or add an update."""
    return commands.update_incident(store, ref, status=status, severity=sev, note=note, title=title, at=at)


@click.command()
@click.argument("event_id", metavar="EVENT", type=Ascii(click.INT))
@click.option("--at", "at", metavar="TIME", required=True, help="When it really happened.")
@click.option("--why", required=True, help="Why the time was wrong.")
@json_option
@click.pass_obj
@guarded
def correct(ctx: Context, event_id: int, at: str, why: str) -> None:
    """Say that journal event EVENT happened at another time (the journal keeps both)."""
    with ctx.open() as store:
        report(ctx, commands.correct(store, event_id, moment(at, store.zone(), queries.first_planned(store)), why))


@click.command()
@click.argument("event_id", metavar="EVENT", type=Ascii(click.INT))
@click.option("--why", required=True, help="Why it did not happen.")
@json_option
@click.pass_obj
@guarded
def retract(ctx: Context, event_id: int, why: str) -> None:
    """Say that journal event EVENT did not happen (the journal keeps it, marked)."""
    with ctx.open() as store:
        report(ctx, commands.retract(store, event_id, why))


@click.group()
def risk() -> None:
    """The risk register."""


@write_command("trigger", risk)
@click.argument("risk_id", metavar="RISK")
@click.option("--note")
def risk_trigger(store: Store, at, risk_id: str, note) -> dict:
    """A risk fired: mark it and open an incident linked to it."""
    return commands.trigger_risk(store, risk_id, note=note, at=at)


@write_command("close", risk)
@click.argument("risk_id", metavar="RISK")
@click.option("--note")
def risk_close(store: Store, at, risk_id: str, note) -> dict:
    """A risk no longer needs watching."""
    return commands.close_risk(store, risk_id, note=note, at=at)


@write_command("decide")
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


@write_command("assign")
@click.argument("role")
@click.argument("person")
@click.option("--contact", default="", help="Phone, chat handle...")
def assign(store: Store, at, role: str, person: str, contact: str) -> dict:
    """Give a role to a person (a hand-over ends the previous holder's assignment)."""
    return commands.assign(store, role, person, contact=contact, at=at)


@click.group()
def comm() -> None:
    """The communication log."""


@write_command("log", comm)
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


@write_command("send", comm)
@click.argument("message_id", type=Ascii(click.INT), metavar="ID")
def comm_send(store: Store, at, message_id: int) -> dict:
    """Mark a draft message as sent."""
    return commands.send_message(store, message_id, at=at)


@click.group()
def kpi() -> None:
    """Success KPIs."""


@write_command("record", kpi)
@click.argument("key", metavar="KPI")
@click.argument("value", type=Ascii(click.FLOAT))
def kpi_record(store: Store, at, key: str, value: float) -> dict:
    """Record a KPI reading."""
    return commands.record_kpi(store, key, value, at=at)


@click.group()
def followup() -> None:
    """Follow-ups: the work the go-live leaves behind (bugs to fix, checks to redo)."""


@write_command("add", followup)
@click.argument("title")
@click.option("--owner", metavar="ROLE", required=True, help="The role that owns it.")
@click.option("--due", metavar="DATE", help="When it is due: a date (by the end of that day), an ISO time, H+14d.")
@click.option("--priority", type=click.Choice([p.value for p in Priority]), default="P3", show_default=True)
@click.option("--incident", metavar="INC-n", help="The incident it follows up.")
@click.option("--step", "step_id", metavar="STEP", help="The step (a failed check...) it follows up.")
def followup_add(store: Store, at, title: str, owner: str, due: str | None, priority: str,
                 incident: str | None, step_id: str | None) -> dict:
    """Add a follow-up (its id, FU-n, is printed)."""
    when = _due(store, due) if due is not None else None
    return commands.add_followup(store, title, owner, when, priority, incident=incident, step=step_id, at=at)


def _due(store: Store, text: str) -> int:
    try:
        if not text.strip():
            raise ValueError("give a date (2026-12-15), an ISO time or H+14d")
        return timefmt.parse_due(text, golive=int(store.meta()["golive"]), tz=store.zone())
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"--due: {exc}") from None


def _closing(outcome: str, doc: str):
    @write_command(outcome, followup)
    @click.argument("ref", metavar="ID")
    @click.option("--note", required=True, help="What was done, or why it is dropped.")
    def close(store: Store, at, ref: str, note: str) -> dict:
        return commands.close_followup(store, ref, outcome, note, at=at)
    close.help = doc
    return close


followup_done = _closing("done", "Mark a follow-up done.")
followup_drop = _closing("drop", "Drop a follow-up (not worth doing after all).")


@write_command("note")
@click.argument("text")
@click.option("--tag", "tags", multiple=True, help="A tag (repeatable); 'retro' feeds the retrospective.")
def note(store: Store, at, text: str, tags: tuple[str, ...]) -> dict:
    """Add a note to the timeline."""
    return commands.note(store, text, tags, at=at)


@click.group()
def rehearsal() -> None:
    """Rehearsals: their timings for the live forecast."""


@write_command("attach", rehearsal)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def rehearsal_attach(store: Store, at, file: Path) -> dict:
    """Attach a rehearsal's war room file: the forecast expects each step to take what it took there."""
    return commands.attach_rehearsal(store, file, at=at)


COMMANDS = (step, signoff, incident, correct, retract, risk, decide, assign, comm, kpi, followup, note, rehearsal)
