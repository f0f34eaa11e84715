"""Figures derived from the state: phase, lateness, slips. Pure functions over rows."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

from . import forecast, timefmt
from .forecast import in_play
from .kinds import FollowupStatus, IncidentStatus, Phase, StepKind, StepStatus
from .rules import SETTLED

Row = Mapping[str, Any]  # a state table's row, by column name
R = TypeVar("R", bound=Row)


def planned_end(step: Row) -> int:
    """When the plan has it end; a contingency step has no time of its own: it is measured
    from when it started."""
    if step.get("contingency") and step["started_at"] is not None:
        return step["started_at"] + step["planned_duration"] * 1000
    return step["planned_start"] + step["planned_duration"] * 1000


def current_phase(steps: Iterable[Row], now: int, golive: int) -> Phase:
    """The phase on the clock: `before` until go-live, `day` from go-live until every `day`
    step is settled (however the `before` steps stand), `after` from then on."""
    if now < golive:
        return Phase.BEFORE
    day_open = any(s["phase"] == Phase.DAY and StepStatus(s["status"]) not in SETTLED and in_play(s) for s in steps)
    return Phase.DAY if day_open else Phase.AFTER


def start_slip(step: Row, now: int) -> int | None:
    """How late (ms) the step started, or is starting if it has not yet; None when on time."""
    status = StepStatus(step["status"])
    if status is StepStatus.SKIPPED or step.get("contingency"):
        return None
    started = step["started_at"] if step["started_at"] is not None else (
        now if status in (StepStatus.PENDING, StepStatus.BLOCKED) else None)
    if started is None:
        return None
    slip = started - step["planned_start"]
    return slip if slip > 0 else None


def end_slip(step: Row, now: int) -> int | None:
    """How much later than planned the step ended (or, still open, is ending)."""
    status = StepStatus(step["status"])
    if status is StepStatus.SKIPPED or (step.get("contingency") and step["started_at"] is None):
        return None
    ended = step["ended_at"] if step["ended_at"] is not None else now
    slip = ended - planned_end(step)
    return slip if slip > 0 else None


def is_late(step: Row, now: int) -> bool:
    """Open past its planned end, or not started past its planned start, or ended late."""
    status = StepStatus(step["status"])
    if step.get("contingency"):
        return end_slip(step, now) is not None
    if status in (StepStatus.PENDING, StepStatus.BLOCKED):
        return now > step["planned_start"]
    return end_slip(step, now) is not None


def projected_finish(steps: Sequence[Row], now: int) -> int | None:
    """When the steps will be finished: the end of the critical path of what remains
    (forecast.py), or when the last of them ended."""
    if not steps:
        return None
    remaining = forecast.schedule(forecast.remaining(steps, {}), now).finish
    ended = max((s["ended_at"] or planned_end(s) for s in steps if StepStatus(s["status"]) in SETTLED), default=None)
    return remaining if remaining is not None else ended


def latest_decision(decisions: Iterable[R]) -> R | None:
    """The decision in force: the last by when it happened, then by journal order (a
    decision typed in later with an earlier --at does not supersede a newer one)."""
    return max(decisions, key=lambda d: (d["happened_at"], d["id"]), default=None)


def summary(*, meta: Mapping[str, str], runbook: Sequence[Row], incidents: Sequence[Row], decisions: Sequence[Row],
            followups: Sequence[Row], messages: int, events: int, now: int) -> dict[str, Any]:
    """The answer of `warroom status`, from the state tables or from a board rebuilt from the
    journal (`status --as-of`): one shape, whichever it comes from. Of the incidents, `total`
    and `by_severity` count every one opened so far, resolved or not; `open` and
    `open_by_severity` only those not resolved; `by_status` every one by its status."""
    latest = latest_decision(decisions)
    unresolved = [i for i in incidents if i["status"] != IncidentStatus.RESOLVED]
    name, timezone, hold = meta.get("name"), meta.get("timezone", "UTC"), meta.get("hold")
    golive = int(meta["golive"]) if meta.get("golive") else None
    playing = [s for s in runbook if in_play(s)]  # contingency steps wait on standby until invoked
    return {
        "name": name,
        "timezone": timezone,
        "golive": golive,
        "golive_iso": timefmt.from_ms(golive, timefmt.zone(timezone)).isoformat() if golive is not None else None,
        "phase": current_phase(runbook, now, golive) if golive is not None else None,
        "hold": hold or None,
        "steps": {"total": len(playing), **_count(s["status"] for s in playing),
                  "late": sum(is_late(s, now) for s in playing), "standby": len(runbook) - len(playing)},
        "in_progress": [s["id"] for s in runbook if s["status"] == StepStatus.IN_PROGRESS],
        "incidents": {
            "total": len(incidents),
            "open": len(unresolved),
            "by_severity": _by_severity(incidents),
            "open_by_severity": _by_severity(unresolved),
            "by_status": _count(i["status"] for i in incidents),
        },
        "decisions": len(decisions),
        "latest_decision": {k: latest[k] for k in ("kind", "decided_by", "rationale", "happened_at")}
        if latest else None,
        "messages": messages,
        "events": events,
        "forecast": forecast.of_room(runbook, meta, decisions, now).as_json(),
        "checks": _count(s["status"] for s in runbook if s["kind"] == StepKind.CHECK),
        "followups": {**_count(f["status"] for f in followups),
                      "overdue": sum(is_overdue(f, now) for f in followups)},
    }


def is_overdue(followup: Row, now: int) -> bool:
    """An open follow-up past its due time."""
    return followup["status"] == FollowupStatus.OPEN and followup["due"] is not None and followup["due"] < now


def _by_severity(incidents: Iterable[Row]) -> dict[str, int]:
    return {f"SEV{k}": v for k, v in sorted(_count(i["severity"] for i in incidents).items())}


def _count(values: Iterable[object]) -> dict[str, int]:
    return dict(Counter(str(v) for v in values))
