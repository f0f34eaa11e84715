"""The report's facts, derived from the board and the tallies at one moment (the horizon):
the runbook's slips, incident durations, updates against cadence, KPIs before, during and
after the day against their target, the stabilisation checks and the follow-ups."""
from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ..domain import figures, followups
from ..domain.cadence import Clock, Due, schedule
from ..domain.clockface import Clockface
from ..domain.forecast import Forecast, in_play, of_room
from ..domain.kinds import (
    DecisionKind,
    Phase,
    StepKind,
    StepStatus,
    Verdict,
)
from ..domain.reducer import ENDED, STOPS, Board
from ..domain.rules import gate_state
from ..domain.timefmt import duration
from ..store.reader import Tallies
from . import after
from .after import CheckFacts, DayEnd, FollowupFacts, KpiFacts, Stretch


@dataclass(frozen=True)
class StepFacts:
    step: dict
    start_slip: int | None
    end_slip: int | None
    late: bool
    attempts: list[dict]  # each start: started_at, ended_at, status, note

    @property
    def planned_end(self) -> int:
        return figures.planned_end(self.step)

    @property
    def failures(self) -> list[dict]:
        return [a for a in self.attempts if a["status"] == StepStatus.FAILED]


@dataclass(frozen=True)
class GateFacts:
    step: dict
    state: str  # passed, no-go, waiting
    signoffs: list[dict]


@dataclass(frozen=True)
class IncidentFacts:
    incident: dict
    open: bool  # not resolved
    to_mitigate: int | None
    to_resolve: int | None

    @property
    def longest(self) -> int:
        return self.to_resolve or self.to_mitigate or 0


@dataclass(frozen=True)
class SeverityFacts:
    severity: int
    total: int
    open: int
    to_mitigate: list[int]
    to_resolve: list[int]


@dataclass(frozen=True)
class AudienceFacts:
    audience: dict
    sent: int
    unsent_drafts: int
    dues: list[Due]

    @property
    def late(self) -> list[Due]:
        return [d for d in self.dues if d.late_by]


@dataclass(frozen=True)
class Window:
    """The go-live window (the `day` phase): planned, and as it went."""

    planned_start: int
    planned_end: int
    actual_start: int | None
    actual_end: int | None  # None while a day step is still open
    open_steps: int


@dataclass
class Facts:
    horizon: int
    board: Board
    tallies: Tallies
    clock: Clock
    steps: list[StepFacts]
    gates: list[GateFacts]
    incidents: list[IncidentFacts]
    severities: list[SeverityFacts]
    audiences: list[AudienceFacts]
    kpis: list[KpiFacts]
    window: Window
    counts: dict[str, int]  # steps by status, with 'total' and 'late'
    day_end: DayEnd
    checks: list[CheckFacts]
    followups: list[FollowupFacts]  # open first (by priority, then due), then the closed ones
    rehearsed: Mapping[str, int] | None = None  # step -> ms its rehearsal took, when one is given

    @property
    def gos(self) -> list[dict]:
        return [d for d in self.decisions if d["kind"] == DecisionKind.GO]

    @property
    def go(self) -> dict | None:
        """The go that released the day: the latest GO before the first task of the day
        started (a gate's sign-offs start it earlier); until then, the latest GO so far."""
        first = min((s.step["started_at"] for s in self.steps if s.step["phase"] == Phase.DAY
                     and s.step["kind"] != StepKind.GATE and s.step["started_at"] is not None), default=None)
        released = [d for d in self.gos if first is None or d["happened_at"] <= first]
        return released[-1] if released else None

    @property
    def forecast(self) -> Forecast:
        """Where the day stood at the horizon: its finish, the backout, the rollback deadline."""
        return of_room(list(self.board.steps.values()), self.board.meta, self.board.decisions.values(), self.horizon,
                       self.rehearsed)

    @property
    def rehearsal(self) -> list[dict[str, Any]]:
        """Each step the rehearsal or the day timed: planned, rehearsed and live durations (ms),
        and the drift of live from rehearsed."""
        if self.rehearsed is None:
            return []
        rows = []
        for s in self.steps:
            step, rehearsed = s.step, self.rehearsed.get(s.step["id"])
            live = step["ended_at"] - step["started_at"] if step["status"] == "done" and step["started_at"] else None
            if rehearsed is not None or live is not None:
                rows.append({"step": step["id"], "title": step["title"], "planned": step["planned_duration"] * 1000,
                             "rehearsed": rehearsed, "live": live,
                             "drift": live - rehearsed if live is not None and rehearsed is not None else None})
        return rows

    @property
    def stops(self) -> list[dict]:
        """The decisions that stopped the day: no-go, rollback, hold and abort."""
        return [d for d in _by_time(self.board.decisions.values()) if d["kind"] in STOPS]

    @property
    def decisions(self) -> list[dict]:
        return _by_time(self.board.decisions.values())

    @property
    def no_go_signoffs(self) -> list[dict]:
        return [s for s in _by_time(self.board.signoffs.values()) if s["verdict"] == Verdict.NO_GO]


def gather(board: Board, tallies: Tallies, clock: Clock, horizon: int, day_end: DayEnd,
           periods: Mapping[str, Mapping[str, Stretch]], rehearsed: Mapping[str, int] | None = None) -> Facts:
    """`periods`: KPI -> period (PERIODS) -> its readings, split at H and `day_end`."""
    steps = [_step_facts(board, s, horizon) for s in board.steps.values()]
    incidents = [_incident_facts(i) for i in board.incident_list()]
    playing = [s for s in steps if in_play(s.step)]  # a contingency step on standby is not pending work
    counts = Counter(s.step["status"] for s in playing)
    counts.update(total=len(playing), late=sum(s.late for s in playing), standby=len(steps) - len(playing))
    return Facts(
        horizon=horizon, board=board, tallies=tallies, clock=clock, steps=steps,
        gates=[_gate_facts(board, s) for s in board.steps.values() if s["kind"] == StepKind.GATE],
        incidents=incidents, severities=_severities(incidents),
        audiences=[_audience_facts(a, tallies, clock, horizon) for a in board.audiences.values()],
        kpis=[KpiFacts(k, **periods.get(k["key"], {})) for k in board.kpis.values()],
        window=_window(steps, clock), counts=dict(counts), day_end=day_end,
        checks=[after.check_facts(board, s) for s in board.steps.values() if s["kind"] == StepKind.CHECK],
        followups=[FollowupFacts(f, figures.is_overdue(f, horizon)) for f in sorted(
            board.followups.values(), key=followups.order)],
        rehearsed=rehearsed,
    )


def _step_facts(board: Board, step: dict, horizon: int) -> StepFacts:
    return StepFacts(step, figures.start_slip(step, horizon), figures.end_slip(step, horizon),
                     figures.is_late(step, horizon), board.attempts.get(step["id"], []))


def _gate_facts(board: Board, step: dict) -> GateFacts:
    signoffs = [s for s in board.signoffs.values() if s["gate"] == step["id"]]
    latest = {s["role"]: Verdict(s["verdict"]) for s in signoffs}
    return GateFacts(step, gate_state(step["signoff_roles"], latest), _by_time(signoffs))


def _incident_facts(incident: dict) -> IncidentFacts:
    opened = incident["opened_at"]
    mitigated, resolved = incident["mitigated_at"], incident["resolved_at"]
    return IncidentFacts(incident, resolved is None,
                         mitigated - opened if mitigated is not None else None,
                         resolved - opened if resolved is not None else None)


def _severities(incidents: list[IncidentFacts]) -> list[SeverityFacts]:
    result = []
    for severity in sorted({i.incident["severity"] for i in incidents}):
        group = [i for i in incidents if i.incident["severity"] == severity]
        result.append(SeverityFacts(
            severity, len(group), sum(i.open for i in group),
            [i.to_mitigate for i in group if i.to_mitigate is not None],
            [i.to_resolve for i in group if i.to_resolve is not None]))
    return result


def _audience_facts(audience: dict, tallies: Tallies, clock: Clock, horizon: int) -> AudienceFacts:
    sent = tallies.sent.get(audience["key"], [])
    return AudienceFacts(audience, len(sent), tallies.unsent_drafts.get(audience["key"], 0),
                         schedule(clock, audience["cadence"], sent, horizon))


def _window(steps: list[StepFacts], clock: Clock) -> Window:
    """A contingency step on standby is not an open step of the day: it may never run."""
    day = [s.step for s in steps if s.step["phase"] == Phase.DAY and in_play(s.step)]
    started = [s["started_at"] for s in day if s["started_at"] is not None]
    still_open = sum(s["status"] not in ENDED for s in day)
    ended = [s["ended_at"] for s in day if s["ended_at"] is not None]
    return Window(clock.golive, clock.day_end, min(started, default=None),
                  max(ended, default=None) if day and not still_open else None, still_open)


def median(values: list[int]) -> int | None:
    return int(statistics.median(values)) if values else None


def _by_time(rows: Iterable[dict]) -> list[dict]:
    return sorted(rows, key=lambda r: (r["happened_at"], r["id"]))


# -- questions for the retrospective: the steps that slipped most, the incidents that took
# longest, the updates that came late, the calls that stopped the day
TOP = 3


def prompts(facts: Facts, face: Clockface) -> list[str]:
    found = [*_slips(facts, face), *_failures(facts), *_incidents(facts), *_late_updates(facts, face),
             *_stops(facts, face), *_gate_no_gos(facts, face), *_forced(facts), *_fired_risks(facts),
             *_unfollowed_checks(facts), *_unfollowed_incidents(facts), *_overdue(facts, face),
             *_kpis_without_data(facts), *_kpis_not_met(facts), *_failing_sources(facts)]
    return found or ["No slip, incident or late update was recorded: what made this go-live "
                     "smooth, and what should the next one keep?"]


def _slips(facts: Facts, face: Clockface) -> Iterator[str]:
    slipped = sorted(((s.end_slip, s) for s in facts.steps if s.end_slip), key=lambda slip: -slip[0])
    for end_slip, s in slipped[:TOP]:
        yield (f"Step {s.step['id']} ({s.step['title']}) {_how_late(s, end_slip, face)}. "
               "What held it up, and was the plan realistic?")


def _how_late(s: StepFacts, end_slip: int, face: Clockface) -> str:
    """A step never started is not 'running': say when it was planned to start."""
    if s.step["started_at"] is None:
        return f"has not started (planned {face.at(s.step['planned_start'])})"
    started = f" (it started {duration(s.start_slip)} late)" if s.start_slip else ""
    ended = "ended" if s.step["ended_at"] is not None else "is running"
    return f"{ended} {duration(end_slip)} later than planned{started}"


def _failures(facts: Facts) -> Iterator[str]:
    for s in facts.steps:
        if s.failures:
            reasons = "; ".join(a["note"] for a in s.failures if a["note"])
            yield (f"Step {s.step['id']} ({s.step['title']}) failed {len(s.failures)} time(s)"
                   f"{f' ({reasons})' if reasons else ''}. What would have caught it before the day?")


def _incidents(facts: Facts) -> Iterator[str]:
    longest = sorted(facts.incidents, key=lambda i: -i.longest)[:TOP]
    for i in longest:
        inc = i.incident
        parts = [f"mitigated after {duration(i.to_mitigate)}" if i.to_mitigate is not None else "never mitigated",
                 f"resolved after {duration(i.to_resolve)}" if i.to_resolve is not None else "not resolved"]
        yield (f"{inc['ref']} (SEV{inc['severity']}, {inc['title']}) was {' and '.join(parts)}. "
               "How was it detected, and what would have shortened it?")


def _late_updates(facts: Facts, face: Clockface) -> Iterator[str]:
    late = sorted(((a, d) for a in facts.audiences for d in a.late), key=lambda ad: -ad[1].late_by)
    for audience, due in late[:TOP]:
        went = (f"went out {duration(due.late_by)} late, at {face.at(due.sent_at)}" if due.sent_at is not None
                else f"was still not sent {duration(due.late_by)} later")
        yield (f"The update to {audience.audience['title']} due at {face.at(due.due_at)} {went}. "
               "What got in the way?")


def _stops(facts: Facts, face: Clockface) -> Iterator[str]:
    for d in facts.stops:
        yield (f"{d['kind'].upper()} decided by {d['decided_by']} at {face.at(d['happened_at'])}: "
               f"{d['rationale']}. Which signal led to it, and how long did deciding take?")


def _gate_no_gos(facts: Facts, face: Clockface) -> Iterator[str]:
    for s in facts.no_go_signoffs:
        why = f" ({s['comment']})" if s["comment"] else ""
        yield (f"{s['role']} signed NO-GO at gate {s['gate']} at {face.at(s['happened_at'])}{why}. "
               "Could it have been known before the gate?")


def _forced(facts: Facts) -> Iterator[str]:
    for s in facts.steps:
        if s.step["forced"]:
            yield (f"Step {s.step['id']} was forced past its checks. Was that the right call, "
                   "and should the plan's dependencies change?")


def _fired_risks(facts: Facts) -> Iterator[str]:
    for risk in facts.board.risks.values():
        if risk["id"] in facts.board.risk_fired_at:
            yield (f"Risk {risk['id']} ({risk['title']}) fired and became {risk['incident']}. "
                   "Did its mitigation work as planned?")


def _unfollowed_checks(facts: Facts) -> Iterator[str]:
    for c in facts.checks:
        if c.result == "failed" and not c.followups:
            why = f" ({c.step['reason']})" if c.step["reason"] else ""
            yield (f"Check {c.step['id']} ({c.step['title']}) failed{why} and no follow-up names it. "
                   "Who fixes it, and by when?")


def _unfollowed_incidents(facts: Facts) -> Iterator[str]:
    followed = {f.followup["incident"] for f in facts.followups}
    for i in facts.incidents:
        inc = i.incident
        if not i.open and inc["severity"] <= 2 and inc["ref"] not in followed:
            yield (f"{inc['ref']} (SEV{inc['severity']}, {inc['title']}) was resolved and no follow-up names it. "
                   "What must change so that it does not happen again, and who owns that?")


def _overdue(facts: Facts, face: Clockface) -> Iterator[str]:
    for f in facts.followups:
        if f.overdue:
            row = f.followup
            yield (f"Follow-up {row['ref']} ({row['title']}, {row['priority']}, owner {row['owner']}) was due "
                   f"{face.at(row['due'])} and is still open. Is it still worth doing, and what holds it up?")


def _kpis_without_data(facts: Facts) -> Iterator[str]:
    if facts.horizon < facts.clock.golive:  # before H, no KPI can have a reading since H
        return
    for k in facts.kpis:
        if k.met is None:
            yield (f"KPI {k.kpi['name']} has no reading since go-live: did the change work for it, "
                   "and how will we know?")


def _kpis_not_met(facts: Facts) -> Iterator[str]:
    for k in facts.kpis:
        if k.met is False:
            yield (f"KPI {k.kpi['name']} did not meet its target {after.target_text(k.kpi)} {k.judged_on} the day: "
                   "was the target right, and what would move it?")


def _failing_sources(facts: Facts) -> Iterator[str]:
    for k in facts.kpis:
        if k.failed:
            yield (f"The source of KPI {k.kpi['name']} failed {k.failed} time(s) (latest: {k.error}). "
                   "Can its figures be trusted, and what broke?")
