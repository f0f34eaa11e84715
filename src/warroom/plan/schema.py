"""The shape of a plan file, exactly as written; meaning is checked in loader.py."""
from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from ..domain.kinds import Better, Phase, StepKind


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


MAX_CADENCE = 30 * 24 * 60  # minutes between two updates: a month
MAX_KPI = 1e15  # a KPI's baseline and target, either way


def _not_a_boolean(value):
    if isinstance(value, bool):
        raise ValueError(f"Input should be a number, not {str(value).lower()}")
    return value


def _a_time(value):
    """A time is text (H-2h, 2026-11-24T20:00) or what YAML reads as a date or a time;
    never a number (pydantic would read 5 as five seconds past 1970)."""
    if not isinstance(value, (str, date)):
        raise ValueError("a time is written like 2026-11-24T20:00, or H, H-2h, H+15m for a step")
    return value


def _a_duration(value):
    """A duration is text (45m, 1h30m); a bare integer is kept as text for the loader to
    say that it lacks a unit."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise ValueError("a duration is written like 45m, 2h, 1h30m, 1d")
    return value


_ID = re.compile(r"[^\s\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]+")


def _an_id(value):
    """An id is typed on command lines and read in lists: visible characters, no space."""
    if isinstance(value, str) and not _ID.fullmatch(value):
        raise ValueError("an id is visible characters without spaces (no line break, control or invisible character)")
    return value


Id = Annotated[str, BeforeValidator(_an_id)]
# YAML turns '2026-11-24 20:00:00' into a datetime by itself
When = Annotated[str | datetime, BeforeValidator(_a_time)]
Duration = Annotated[str, BeforeValidator(_a_duration)]
# numbers as a plan writes them: `true` is not 1, and nothing infinite or out of range
Count = Annotated[int, BeforeValidator(_not_a_boolean)]
Level = Annotated[int, Field(ge=1, le=5), BeforeValidator(_not_a_boolean)]
Figure = Annotated[float, Field(allow_inf_nan=False, ge=-MAX_KPI, le=MAX_KPI), BeforeValidator(_not_a_boolean)]


class RoleSpec(Strict):
    key: Id
    title: str
    responsibilities: str = ""
    may_decide_rollback: bool = False


class PersonSpec(Strict):
    name: str
    role: str
    contact: str = ""


class StepSpec(Strict):
    id: Id
    title: str
    phase: Phase
    kind: StepKind = StepKind.TASK
    owner: str
    start: When | None = None  # required, but for a contingency step (it runs when invoked)
    duration: Duration
    depends_on: list[str] = []
    critical: bool = False
    instructions: str = ""
    signoffs: list[str] = []
    backout: list[str] = []  # the contingency steps that undo it
    backout_duration: Duration | None = None  # how long undoing it takes, where no step says
    contingency: bool = False  # runs only if needed (the rollback runbook, a restore)
    point_of_no_return: bool = False  # once done, a backout is a recovery, not a rollback
    targets: list[Id] = []  # servers, regions, shops: each done or failed on its own
    kpis_ready: bool = False  # a gate: refused while a KPI has no baseline or its source never answered


class RiskSpec(Strict):
    id: Id
    title: str
    likelihood: Level
    impact: Level
    mitigation: str = ""
    owner: str | None = None
    steps: list[str] = []


class AudienceSpec(Strict):
    key: Id
    title: str
    channel: str
    cadence: dict[Phase, Count] = {}  # 1 to MAX_CADENCE: checked in loader.py
    details: bool = False  # its status page names the incidents, not only counts them


def _a_command(value):
    """A shell command: something to run, and nothing a terminal would obey or hide when
    it is shown (tabs and line breaks are a script's own)."""
    if isinstance(value, str):
        if not value.strip():
            raise ValueError("a source's command must not be empty")
        if _HIDDEN_IN_COMMAND.search(value):
            raise ValueError("a source's command holds a control or invisible character")
    return value


_HIDDEN_IN_COMMAND = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")


class SourceSpec(Strict):
    """Where a KPI's readings come from: a shell command that prints one number."""

    command: Annotated[str, BeforeValidator(_a_command)]
    every: Duration = "5m"
    timeout: Duration | None = None  # 10s, or `every` when shorter


class KpiSpec(Strict):
    key: Id
    name: str
    unit: str = ""
    baseline: Figure | None = None  # unwritten: measured by the readings before H
    target: Figure
    better: Better = Better.UP
    source: SourceSpec | None = None


class WindowSpec(Strict):
    """The change window: the day's work, and any rollback, must end inside it."""

    start: When
    end: When


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
    window: WindowSpec | None = None
    rollback: list[str] = []  # the contingency steps a rollback decision invokes, in order


SECTIONS: dict[str, type[Strict]] = {
    "roles": RoleSpec, "people": PersonSpec, "steps": StepSpec,
    "risks": RiskSpec, "audiences": AudienceSpec, "kpis": KpiSpec,
}
