"""Figures derived from the state: phase, lateness, slips. Pure functions over rows."""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from .kinds import Phase, StepStatus
from .rules import SETTLED


def planned_end(step: Mapping) -> int:
    return step["planned_start"] + step["planned_duration"] * 1000


def current_phase(steps: Iterable[Mapping]) -> Phase:
    """The phase of the first step in runbook order that is not settled yet."""
    for step in steps:
        if StepStatus(step["status"]) not in SETTLED:
            return Phase(step["phase"])
    return Phase.AFTER


def start_slip(step: Mapping, now: int) -> int | None:
    """How late (ms) the step started, or is starting if it has not yet; None when on time."""
    status = StepStatus(step["status"])
    if status is StepStatus.SKIPPED:
        return None
    started = step["started_at"] if step["started_at"] is not None else (
        now if status in (StepStatus.PENDING, StepStatus.BLOCKED) else None)
    if started is None:
        return None
    slip = started - step["planned_start"]
    return slip if slip > 0 else None


def end_slip(step: Mapping, now: int) -> int | None:
    """How much later than planned the step ended (or, still open, is ending)."""
    status = StepStatus(step["status"])
    if status is StepStatus.SKIPPED:
        return None
    ended = step["ended_at"] if step["ended_at"] is not None else now
    slip = ended - planned_end(step)
    return slip if slip > 0 else None


def is_late(step: Mapping, now: int) -> bool:
    """Open past its planned end, or not started past its planned start, or ended late."""
    status = StepStatus(step["status"])
    if status in (StepStatus.PENDING, StepStatus.BLOCKED):
        return now > step["planned_start"]
    return end_slip(step, now) is not None
