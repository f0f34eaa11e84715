"""The state machines of a go-live day. Pure functions: they say yes or raise RuleError."""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from .kinds import IncidentStatus, RiskStatus, StepStatus, Verdict

S = StepStatus


class RuleError(ValueError):
    """A command that the rules of the war room refuse; the message says why."""


# action -> (statuses it may start from, status it leads to)
STEP_ACTIONS: dict[str, tuple[frozenset[StepStatus], StepStatus]] = {
    "start": (frozenset({S.PENDING, S.FAILED}), S.IN_PROGRESS),
    "done": (frozenset({S.IN_PROGRESS}), S.DONE),
    "fail": (frozenset({S.IN_PROGRESS}), S.FAILED),
    "skip": (frozenset({S.PENDING, S.BLOCKED, S.IN_PROGRESS}), S.SKIPPED),
    "block": (frozenset({S.PENDING}), S.BLOCKED),
    "unblock": (frozenset({S.BLOCKED}), S.PENDING),
    "reopen": (frozenset({S.DONE, S.FAILED, S.SKIPPED}), S.PENDING),  # "server 8 was never deployed"
}
NEEDS_REASON = frozenset({"fail", "skip", "reopen"})
SETTLED = frozenset({S.DONE, S.SKIPPED})  # a dependency in these states no longer holds anyone


def step_transition(step_id: str, status: StepStatus, action: str, reason: str | None) -> StepStatus:
    if action not in STEP_ACTIONS:
        raise RuleError(f"unknown step action {action!r}")
    sources, target = STEP_ACTIONS[action]
    if status not in sources:
        allowed = ", ".join(sorted(sources))
        raise RuleError(f"step {step_id} is {status}: '{action}' needs it to be {allowed}")
    if action in NEEDS_REASON and not (reason or "").strip():
        raise RuleError(f"'{action}' on step {step_id} needs a reason (--note)")
    return target


def unmet_dependencies(depends_on: Iterable[str], statuses: Mapping[str, StepStatus]) -> list[str]:
    return [dep for dep in depends_on if statuses.get(dep) not in SETTLED]


def gate_state(required: Iterable[str], latest: Mapping[str, Verdict]) -> str:
    """'passed' when every required role said go, 'no-go' when any said no-go, else 'waiting'."""
    verdicts = [latest.get(role) for role in required]
    if any(v is Verdict.NO_GO for v in verdicts):
        return "no-go"
    if verdicts and all(v is Verdict.GO for v in verdicts):
        return "passed"
    return "waiting"


_INCIDENT_ORDER = list(IncidentStatus)


def incident_transition(ref: str, current: IncidentStatus, target: IncidentStatus) -> IncidentStatus:
    """Incidents move forward; a mitigated or resolved one may be reopened to investigating."""
    if target == current:
        raise RuleError(f"{ref} is already {current}")
    forward = _INCIDENT_ORDER.index(target) > _INCIDENT_ORDER.index(current)
    reopen = target is IncidentStatus.INVESTIGATING
    if not (forward or reopen):
        raise RuleError(f"{ref} is {current}: it cannot go back to {target}")
    return target


def risk_trigger(risk_id: str, status: RiskStatus) -> None:
    if status is not RiskStatus.WATCHING:
        raise RuleError(f"risk {risk_id} is {status}: only a watched risk can be triggered")


def risk_close(risk_id: str, status: RiskStatus) -> None:
    if status is RiskStatus.CLOSED:
        raise RuleError(f"risk {risk_id} is already closed")
