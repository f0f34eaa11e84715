"""The journal's vocabulary: one entry per action, with the payload keys it carries.

An event records what a person said happened, never what it led to: a severity change
carries the new severity, not the old one, because the old one depends on what else
happened before it, and a fact typed late may change that. The reducer works it out.
Journals written before this rule carry extra keys (`from`, `previous_severity`,
`gate_state`, ...): `payload()` reads both shapes.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

# action -> (entity, payload keys): the one list of what the journal may hold
ACTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "init": ("warroom", ("name", "timezone", "golive", "plan", "steps", "roles", "holders_from", "rehearsal")),
    **{f"step.{a}": ("step", ("note", "force"))
       for a in ("start", "skip", "block", "unblock", "reopen")},
    **{f"step.{a}": ("step", ("note", "force", "target", "evidence")) for a in ("done", "fail")},
    "step.add": ("step", ("title", "owner", "duration", "after", "phase")),  # a step nobody planned
    "gate.signoff": ("step", ("role", "verdict", "note", "force")),
    "incident.open": ("incident", ("ref", "title", "severity", "owner", "step", "risk")),
    "incident.update": ("incident", ("status", "severity", "title", "note")),
    "risk.trigger": ("risk", ("incident", "severity", "title", "owner", "step", "note")),
    "risk.close": ("risk", ("note",)),
    **{f"decision.{k}": ("decision", ("kind", "decided_by", "rationale", "step", "incident", "force"))
       for k in ("go", "no-go", "rollback", "hold", "resume", "abort", "fix-forward")},
    "role.assign": ("role", ("role", "person", "contact")),
    # computed, not typed: the moment the rollback deadline or the point of no return was passed
    "forecast.passed": ("forecast", ("step", "backout_minutes", "window_end")),
    # a rehearsal's timings (step -> ms), so that the forecast expects what it measured
    "rehearsal.attach": ("rehearsal", ("file", "durations")),
    "comm.sent": ("message", ("id", "audience", "text", "channel", "status")),
    "comm.draft": ("message", ("id", "audience", "text", "channel", "status")),
    "comm.send": ("message", ("id", "audience", "channel")),
    # a reading; `source`: read from the plan's source command, for the `period`-th time
    "kpi.record": ("kpi", ("value", "source", "period")),
    "kpi.fail": ("kpi", ("error", "period")),  # the source command failed: no number, its error
    "followup.add": ("followup", ("ref", "title", "owner", "due", "priority", "incident", "step")),
    **{f"followup.{a}": ("followup", ("note",)) for a in ("done", "drop")},
    "note": ("note", ("text", "tags")),
    # who may log in to `warroom serve`, and an audience's status link made anew: the
    # secrets themselves (a password's hash, a token) are kept out of the journal
    "account.add": ("account", ("name", "role")),
    "account.remove": ("account", ("name",)),
    "status_link.rotate": ("status_link", ("audience",)),
    "correct": ("correction", ("event", "happened_at", "why")),
    "retract": ("correction", ("event", "why")),
}
CORRECTIONS = ("correct", "retract")
SECRETS = ("account.add", "account.remove", "status_link.rotate")  # their state is kept by their commands
LOGS = ("note", "kpi.record", "kpi.fail")  # facts no rule depends on: they are never re-folded
# the logs an export tallies in SQL rather than folding them (a day may hold 100,000 messages)
TALLIED = ("note", "kpi.record", "kpi.fail", "comm.sent", "comm.draft", "comm.send")


@dataclass(frozen=True)
class Event:
    """One journal row, its payload parsed."""

    id: int
    happened_at: int
    recorded_at: int
    operator: str
    action: str
    entity: str
    entity_id: str | None
    payload: dict[str, Any]
    login: str | None = None  # the OS login that wrote it: set from schema 2 on

    @property
    def judged(self) -> bool:
        """Recorded under the rules of time order (schema 2 on, which records the login): a
        file's older facts are kept as they were accepted, never judged again."""
        return self.login is not None

    @property
    def verb(self) -> str:
        """'start' for 'step.start', the action itself when it has no dot."""
        return self.action.split(".", 1)[-1]

    @property
    def subject(self) -> str:
        """The entity the event is about (its entity_id): every event but `init` names one, so
        a journal row without it cannot apply (a ValueError, as for any payload that does not)."""
        if self.entity_id is None:
            raise ValueError(f"event {self.id} ({self.action}) names no {self.entity}")
        return self.entity_id

    def at(self, happened_at: int) -> Event:
        return replace(self, happened_at=happened_at)


def payload(event: Event) -> dict[str, Any]:
    """The payload in today's shape, whichever shape the journal wrote it in."""
    return payload_of(event.action, event.payload)


def payload_of(action: str, p: dict[str, Any]) -> dict[str, Any]:
    """`payload` for an action and its parsed payload (a copy only when the shape is old)."""
    if "from" not in p and "forced" not in p:
        return p
    p = dict(p)
    if action == "incident.update" and "from" in p:
        if p.get("status") == p.get("from"):
            p["status"] = None
        if p.get("severity") == p.get("previous_severity"):
            p["severity"] = None
    if action.startswith(("decision.", "step.")) and "forced" in p and "force" not in p:
        p["force"] = bool(p["forced"])
    return p


def target_of(event: Event) -> int:
    """The event a correction names."""
    return int(event.payload["event"])
