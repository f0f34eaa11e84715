"""When each audience is owed an update, and which updates came late.

The day's phases on the clock: `before` until go-live H, `day` from H until the planned end
of the last `day` step, `after` from then on. An audience's cadence says, per phase, how
many minutes may pass between two updates; the first update is owed one cadence after the
runbook's first planned start. A phase without a cadence owes nothing; when a phase with
a cadence begins, its first update is owed one cadence after the phase starts, at the latest.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .figures import planned_end
from .kinds import Phase

MINUTE = 60_000


@dataclass(frozen=True)
class Clock:
    """The phases of one war room on the wall clock (ms UTC)."""

    start: int  # the runbook's first planned start
    golive: int
    day_end: int

    @classmethod
    def of(cls, golive: int, steps: Iterable[Mapping[str, Any]]) -> Clock:
        """The clock of a plan: from its first planned start to the planned end of its day."""
        steps = list(steps)
        day_ends = [planned_end(s) for s in steps if s["phase"] == Phase.DAY]
        start = min([golive, *(s["planned_start"] for s in steps)])
        return cls(start=start, golive=golive, day_end=max(day_ends, default=golive))

    def phase_at(self, t: int) -> Phase:
        if t < self.golive:
            return Phase.BEFORE
        return Phase.DAY if t < self.day_end else Phase.AFTER

    def phase_end(self, t: int) -> int | None:
        phase = self.phase_at(t)
        return {Phase.BEFORE: self.golive, Phase.DAY: self.day_end}.get(phase)


@dataclass(frozen=True)
class Due:
    due_at: int
    sent_at: int | None  # None: still not sent
    late_by: int  # ms, 0 when on time


def _next(clock: Clock, cadence: Mapping[str, int], since: int) -> int | None:
    """When the update after one at `since` is owed: one cadence later, or sooner when a
    phase with a tighter cadence starts first (the day's updates start at H)."""
    due: int | None = None
    t: int | None = since
    while t is not None:
        minutes = cadence.get(clock.phase_at(t).value)
        if minutes:
            owed = t + minutes * MINUTE
            due = owed if due is None else min(due, owed)
        t = clock.phase_end(t)
        if due is not None and t is not None and due <= t:
            break
    return due


def schedule(clock: Clock, cadence: Mapping[str, int], sent: Sequence[int], until: int) -> list[Due]:
    """Every update owed up to `until`: when it was due, when the next one went, how late."""
    result = []
    last = clock.start
    for sent_at in sorted(sent):
        due = _next(clock, cadence, last)
        if due is not None:
            result.append(Due(due, sent_at, max(0, sent_at - due)))
        last = sent_at
    due = _next(clock, cadence, last)
    if due is not None and due < until:
        result.append(Due(due, None, until - due))
    return result


def next_due(clock: Clock, cadence: Mapping[str, int], sent: Sequence[int]) -> int | None:
    """When the next update to this audience is owed (None: nothing more is owed)."""
    return _next(clock, cadence, max(sent, default=clock.start))
