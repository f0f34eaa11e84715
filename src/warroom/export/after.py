"""The after-phase's facts: where the go-live day ends, each KPI before H, during the day
and after it (judged on the latest period with readings since H), the stabilisation checks
and the follow-ups."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ..domain import figures
from ..domain.forecast import in_play
from ..domain.kinds import Better, Phase, StepStatus, met
from ..domain.numbers import format_number
from ..domain.reducer import Board
from ..store.reader import Reading

PERIODS = ("before", "during", "after")  # before H, from H to the end of the day, from then on


class DayEnd(NamedTuple):
    """Where 'during' ends and 'after' begins for the KPIs, and what fixed it."""

    at: int
    by: str


def end_of_day(steps: Iterable[Mapping[str, Any]], meta: Mapping[str, str], golive: int) -> DayEnd:
    """The end of the go-live day: the plan's change window end when it has one (what was
    agreed with the business); else the latest end of the day's steps, as they ended or, not
    ended, as planned. A contingency step stretches the day only once invoked (a rollback
    that ran is the day's work; one on standby is not)."""
    if meta.get("window_end"):
        return DayEnd(int(meta["window_end"]), "the end of the change window")
    ends = [s["ended_at"] if s["ended_at"] is not None else figures.planned_end(s)
            for s in steps if s["phase"] == Phase.DAY and in_play(s)]
    if not ends:
        return DayEnd(golive, "go-live: the plan has no step on the day")
    return DayEnd(max(ends), "the end of the day's last step")


@dataclass(frozen=True)
class Stretch:
    """A KPI's readings in one period: how many, their mean, the latest; and its source's
    failed runs, counted apart (a failed run is no number: it is never averaged)."""

    count: int = 0
    mean: float | None = None
    low: float | None = None
    high: float | None = None
    last: Reading | None = None
    failed: int = 0
    error: str | None = None  # the latest failed run's
    start: int | None = None  # the first reading or failed run
    end: int | None = None  # the last one


@dataclass(frozen=True)
class KpiFacts:
    """A KPI before H, during the day and after it. It is judged on the latest period with
    readings since H (after, else during): the day's noise must not hide where it settled,
    and a reading before H says nothing of the change. No reading since H is 'no data'."""

    kpi: dict
    before: Stretch = field(default_factory=Stretch)
    during: Stretch = field(default_factory=Stretch)
    after: Stretch = field(default_factory=Stretch)

    @property
    def stretches(self) -> list[Stretch]:
        return [getattr(self, p) for p in PERIODS]

    @property
    def count(self) -> int:
        """Every reading up to the horizon, whatever its period."""
        return sum(s.count for s in self.stretches)

    @property
    def low(self) -> float | None:
        return min((s.low for s in self.stretches if s.low is not None), default=None)

    @property
    def high(self) -> float | None:
        return max((s.high for s in self.stretches if s.high is not None), default=None)

    @property
    def last(self) -> Reading | None:
        """The latest reading, whenever it was taken (the periods follow each other)."""
        return next((s.last for s in reversed(self.stretches) if s.last is not None), None)

    @property
    def before_value(self) -> float | None:
        """The plan's baseline; unwritten, the mean of the readings before H."""
        return self.kpi["baseline"] if self.kpi["baseline"] is not None else self.before.mean

    @property
    def before_source(self) -> str | None:
        if self.kpi["baseline"] is not None:
            return "baseline"
        return "measured" if self.before.count else None

    @property
    def judged_on(self) -> str | None:
        """The period the verdict and the change are taken from."""
        return "after" if self.after.count else "during" if self.during.count else None

    @property
    def judged(self) -> Stretch | None:
        return getattr(self, self.judged_on) if self.judged_on else None

    @property
    def met(self) -> bool | None:
        """None: no reading since H."""
        judged = self.judged
        if judged is None or judged.mean is None:
            return None
        return met(Better(self.kpi["better"]), self.kpi["target"], judged.mean)

    @property
    def verdict(self) -> str:
        return {True: "met", False: "not met", None: "no data"}[self.met]

    @property
    def change_pct(self) -> float | None:
        """The judged period's mean against the before value, in %; none without either, or
        from a before value of 0."""
        judged, before = self.judged, self.before_value
        if judged is None or judged.mean is None or not before:
            return None
        return (judged.mean - before) / abs(before) * 100

    @property
    def failed(self) -> int:
        return sum(s.failed for s in self.stretches)

    @property
    def error(self) -> str | None:
        """The latest failed run's error."""
        return next((s.error for s in reversed(self.stretches) if s.error), None)


@dataclass(frozen=True)
class CheckFacts:
    """A check step (a critical journey re-tested on the real environment) and the
    follow-ups that name it."""

    step: dict
    followups: list[str]

    @property
    def result(self) -> str:
        return CHECK_RESULTS.get(self.step["status"], "pending")


CHECK_RESULTS = {StepStatus.DONE: "passed", StepStatus.FAILED: "failed", StepStatus.SKIPPED: "skipped"}


@dataclass(frozen=True)
class FollowupFacts:
    followup: dict
    overdue: bool  # open past its due time, at the horizon


def check_facts(board: Board, step: dict) -> CheckFacts:
    return CheckFacts(step, [f["ref"] for f in board.followups.values() if f["step"] == step["id"]])


def target_text(kpi: dict) -> str:
    """'65% (higher is better)'."""
    better = "higher" if kpi["better"] == "up" else "lower"
    return f"{format_number(kpi['target'], kpi['unit'])} ({better} is better)"


def percent(change: float) -> str:
    """A change in %, signed, to a tenth: '+5.6%', '-15.5%', '+444,344%'."""
    return f"{'+' if change > 0 else ''}{format_number(round(change, 1), '%')}"


def change_text(k: KpiFacts) -> str:
    """The change from before: relative ('-15.5%'); for a KPI itself in %, in points first,
    as people read it ('+3.4 pts, +5.6%'), since '+5.6%' of a rate is easily misread."""
    relative = percent(k.change_pct) if k.change_pct is not None else ""
    judged, before = k.judged, k.before_value
    if k.kpi["unit"] != "%" or judged is None or judged.mean is None or before is None:
        return relative
    points = round(judged.mean - before, 2)
    return f"{'+' if points > 0 else ''}{format_number(points)} pts, {relative}"


def latest_differs(k: KpiFacts) -> str | None:
    """When the latest reading says otherwise than the period's mean the verdict is taken
    from (a KPI that settled above its target after a slow start): 'latest 65.8% meets it'."""
    judged = k.judged
    if judged is None or judged.last is None or k.met is None:
        return None
    latest_met = met(Better(k.kpi["better"]), k.kpi["target"], judged.last.value)
    if latest_met == k.met:
        return None
    return f"latest {format_number(judged.last.value, k.kpi['unit'])} {'meets' if latest_met else 'misses'} it"
