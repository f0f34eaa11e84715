"""What a person types into the war room, as pydantic models. Text is kept exactly as typed."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from .kinds import (
    Better,
    Criticality,
    DecisionKind,
    MessageStatus,
    Phase,
    Priority,
    StepKind,
    check_text,
    criticality,
)


class Fact(BaseModel):
    """Anything typed by a person: required text must say something, and stays as typed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("*", mode="after")
    @classmethod
    def _bounded_text(cls, value: object, info: ValidationInfo) -> object:
        for text in value if isinstance(value, tuple) else (value,):
            if isinstance(text, str):
                check_text(text, info.field_name or "text")  # a field's validator always has a field name
        return value


def _required(value: str, name: str) -> str:
    if not value.strip():
        raise ValueError(f"{name} must not be empty")
    return value


class Role(Fact):
    key: str
    title: str
    responsibilities: str = ""
    may_decide_rollback: bool = False


class Assignment(Fact):
    role: str
    person: str
    contact: str = ""

    @field_validator("person")
    @classmethod
    def _person(cls, v: str) -> str:
        return _required(v, "person")


class Step(Fact):
    id: str
    title: str
    phase: Phase
    kind: StepKind = StepKind.TASK
    owner: str
    planned_start: int  # ms UTC
    planned_duration: int  # seconds
    depends_on: tuple[str, ...] = ()
    critical: bool = False
    instructions: str = ""
    signoff_roles: tuple[str, ...] = ()
    backout: tuple[str, ...] = ()
    backout_duration: int | None = None  # seconds
    contingency: bool = False
    point_of_no_return: bool = False
    targets: tuple[str, ...] = ()
    kpis_ready: bool = False  # a gate that cannot pass before every KPI can be measured


class Risk(Fact):
    id: str
    title: str
    likelihood: int = Field(ge=1, le=5)
    impact: int = Field(ge=1, le=5)
    mitigation: str = ""
    owner: str | None = None
    steps: tuple[str, ...] = ()

    @property
    def criticality(self) -> Criticality:
        return criticality(self.likelihood, self.impact)


class Audience(Fact):
    key: str
    title: str
    channel: str
    cadence: dict[Phase, int] = {}  # minutes between updates, per phase
    details: bool = False  # its status page names the incidents (else counts them only)


class KpiSource(Fact):
    """A shell command run on the host that prints the KPI's value (a number, or JSON with a
    `value` field), every `every` seconds, given up after `timeout` seconds."""

    command: str
    every: int = Field(ge=1)
    timeout: int = Field(ge=1)


class Kpi(Fact):
    key: str
    name: str
    unit: str = ""
    baseline: float | None = None  # None: measured, by the readings before H
    target: float
    better: Better = Better.UP
    source: KpiSource | None = None


class NewFollowup(Fact):
    title: str
    owner: str
    due: int | None = None  # ms UTC
    priority: Priority = Priority.P3
    incident: str | None = None
    step: str | None = None

    @field_validator("title")
    @classmethod
    def _title(cls, v: str) -> str:
        return _required(v, "title")


class NewIncident(Fact):
    title: str
    severity: int = Field(ge=1, le=4)
    owner: str | None = None
    step: str | None = None
    risk: str | None = None

    @field_validator("title")
    @classmethod
    def _title(cls, v: str) -> str:
        return _required(v, "title")


class NewDecision(Fact):
    kind: DecisionKind
    decided_by: str
    rationale: str
    step: str | None = None
    incident: str | None = None

    @field_validator("decided_by")
    @classmethod
    def _by(cls, v: str) -> str:
        return _required(v, "decided_by")

    @field_validator("rationale")
    @classmethod
    def _why(cls, v: str) -> str:
        return _required(v, "rationale")


class NewMessage(Fact):
    audience: str
    text: str
    channel: str | None = None
    status: MessageStatus = MessageStatus.SENT

    @field_validator("text")
    @classmethod
    def _text(cls, v: str) -> str:
        return _required(v, "text")


class NewNote(Fact):
    text: str
    tags: tuple[str, ...] = ()

    @field_validator("text")
    @classmethod
    def _text(cls, v: str) -> str:
        return _required(v, "text")

    @field_validator("tags")
    @classmethod
    def _tags(cls, tags: tuple[str, ...]) -> tuple[str, ...]:
        for tag in tags:
            if not tag.strip() or any(c.isspace() for c in tag):
                raise ValueError(f"tag {tag!r} must be one word")
        return tags
