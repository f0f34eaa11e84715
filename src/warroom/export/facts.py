"""The report's facts, derived from the board and the tallies at one moment (the horizon):
the runbook's slips, incident durations, updates against cadence, KPIs against target."""
from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from ..domain import figures
from ..domain.cadence import Clock, Due, schedule
from ..domain.kinds import Better, DecisionKind, Phase, StepKind, StepStatus, Verdict, met
from ..domain.reducer import ENDED, Board
from ..domain.rules import gate_state
from .tallies import Reading, Spread, Tallies

STOPS = frozenset({DecisionKind.NO_GO, DecisionKind.ROLLBACK, DecisionKind.HOLD})


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
class KpiFacts:
    kpi: dict
    last: Reading | None
    readings: Spread | None

    @property
    def met(self) -> bool | None:
        return met(Better(self.kpi["better"]), self.kpi["target"], self.last.value) if self.last else None


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
    def stops(self) -> list[dict]:
        """The decisions that stopped the day: no-go, rollback and hold."""
        return [d for d in _by_time(self.board.decisions.values()) if d["kind"] in STOPS]

    @property
    def decisions(self) -> list[dict]:
        return _by_time(self.board.decisions.values())

    @property
    def no_go_signoffs(self) -> list[dict]:
        return [s for s in _by_time(self.board.signoffs.values()) if s["verdict"] == Verdict.NO_GO]


def gather(board: Board, tallies: Tallies, clock: Clock, horizon: int) -> Facts:
    steps = [_step_facts(board, s, horizon) for s in board.steps.values()]
    incidents = [_incident_facts(i) for i in board.incident_list()]
    counts = Counter(s.step["status"] for s in steps)
    counts.update(total=len(steps), late=sum(s.late for s in steps))
    return Facts(
        horizon=horizon, board=board, tallies=tallies, clock=clock, steps=steps,
        gates=[_gate_facts(board, s) for s in board.steps.values() if s["kind"] == StepKind.GATE],
        incidents=incidents, severities=_severities(incidents),
        audiences=[_audience_facts(a, tallies, clock, horizon) for a in board.audiences.values()],
        kpis=[KpiFacts(k, tallies.last_reading.get(k["key"]), tallies.readings.get(k["key"]))
              for k in board.kpis.values()],
        window=_window(steps, clock), counts=dict(counts),
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
    day = [s.step for s in steps if s.step["phase"] == Phase.DAY]
    started = [s["started_at"] for s in day if s["started_at"] is not None]
    still_open = sum(s["status"] not in ENDED for s in day)
    ended = [s["ended_at"] for s in day if s["ended_at"] is not None]
    return Window(clock.golive, clock.day_end, min(started, default=None),
                  max(ended, default=None) if day and not still_open else None, still_open)


def median(values: list[int]) -> int | None:
    return int(statistics.median(values)) if values else None


def _by_time(rows: Iterable[dict]) -> list[dict]:
    return sorted(rows, key=lambda r: (r["happened_at"], r["id"]))
