"""The shape of a plan file, exactly as written; meaning is checked in loader.py."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..domain.kinds import Better, Phase, StepKind


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


When = str | datetime  # YAML turns '2026-11-24 20:00:00' into a datetime by itself


class RoleSpec(Strict):
    key: str
    title: str
    responsibilities: str = ""
    may_decide_rollback: bool = False


class PersonSpec(Strict):
    name: str
    role: str
    contact: str = ""


class StepSpec(Strict):
    id: str
    title: str
    phase: Phase
    kind: StepKind = StepKind.TASK
    owner: str
    start: When
    duration: str | int
    depends_on: list[str] = []
    critical: bool = False
    instructions: str = ""
    signoffs: list[str] = []


class RiskSpec(Strict):
    id: str
    title: str
    likelihood: int = Field(ge=1, le=5)
    impact: int = Field(ge=1, le=5)
    mitigation: str = ""
    owner: str | None = None
    steps: list[str] = []


class AudienceSpec(Strict):
    key: str
    title: str
    channel: str
    cadence: dict[Phase, int] = {}


class KpiSpec(Strict):
    key: str
    name: str
    unit: str = ""
    baseline: float
    target: float
    better: Better = Better.UP


class PlanSpec(Strict):
    """The top of the file; each section's items are validated one by one (SECTIONS), so
    that one bad step does not hide the problems of the others."""

    warroom: str
    timezone: str
    golive: When
    roles: list[Any] = Field(min_length=1)
    people: list[Any] = []
    steps: list[Any] = Field(min_length=1)
    risks: list[Any] = []
    audiences: list[Any] = []
    kpis: list[Any] = []


SECTIONS: dict[str, type[Strict]] = {
    "roles": RoleSpec, "people": PersonSpec, "steps": StepSpec,
    "risks": RiskSpec, "audiences": AudienceSpec, "kpis": KpiSpec,
}
