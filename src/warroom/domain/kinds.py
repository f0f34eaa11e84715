"""The war room's vocabulary: statuses, kinds and the small rules over them. No pydantic:
the console opens without loading it (see models.py for what a person types)."""
from __future__ import annotations

from enum import StrEnum

MAX_TEXT = 1_000_000


class Phase(StrEnum):
    BEFORE = "before"
    DAY = "day"
    AFTER = "after"


class StepKind(StrEnum):
    TASK = "task"
    GATE = "gate"
    CHECKPOINT = "checkpoint"
    CHECK = "check"  # a critical journey re-tested on the real environment: passed with evidence


class StepStatus(StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"
    BLOCKED = "blocked"


class Verdict(StrEnum):
    GO = "go"
    NO_GO = "no-go"


class RiskStatus(StrEnum):
    WATCHING = "watching"
    TRIGGERED = "triggered"
    CLOSED = "closed"


class IncidentStatus(StrEnum):
    OPEN = "open"
    INVESTIGATING = "investigating"
    MITIGATED = "mitigated"
    RESOLVED = "resolved"


class DecisionKind(StrEnum):
    GO = "go"
    NO_GO = "no-go"
    ROLLBACK = "rollback"
    HOLD = "hold"
    RESUME = "resume"
    ABORT = "abort"  # the go-live is called off
    FIX_FORWARD = "fix-forward"  # fix in place rather than roll back


class MessageStatus(StrEnum):
    DRAFT = "draft"
    SENT = "sent"


class FollowupStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    DROPPED = "dropped"


class Priority(StrEnum):
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"


class Better(StrEnum):
    UP = "up"
    DOWN = "down"


class Criticality(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


def criticality(likelihood: int, impact: int) -> Criticality:
    """The usual 5x5 matrix: the product of likelihood and impact, in four bands."""
    score = likelihood * impact
    if score >= 15:
        return Criticality.CRITICAL
    if score >= 10:
        return Criticality.HIGH
    if score >= 5:
        return Criticality.MEDIUM
    return Criticality.LOW


def severity_for_impact(impact: int) -> int:
    """The severity an incident opened from a triggered risk starts with."""
    return {5: 1, 4: 2, 3: 3}.get(impact, 4)


def check_text(text: str, name: str) -> str:
    """Any text is kept byte for byte, except what cannot be stored: over-long text and
    bytes that are not UTF-8 (lone surrogates, as a terminal may pass them)."""
    if len(text) > MAX_TEXT:
        raise ValueError(f"{name} is longer than {MAX_TEXT:,} characters")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{name} is not valid UTF-8 text") from None
    return text


def met(kpi_better: Better, target: float, value: float) -> bool:
    """Whether a reading meets the KPI's target."""
    return value >= target if kpi_better is Better.UP else value <= target
