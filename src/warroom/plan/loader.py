"""Read a plan file, keep where each value was written, and report every problem at once
as `file:line:column: field: message`.

A plan that loads is one `warroom init` can store: every number is finite and in range,
every time falls between 1970 and 2199, every text is valid UTF-8. `plan check` and `init`
both load plans here, so that `plan check` never passes what `init` refuses."""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import get_args
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from ..domain import timefmt
from ..domain.kinds import StepKind
from ..domain.models import Assignment, Audience, Kpi, Risk, Role, Step
from .problems import Path_, PlanError, Problem, dotted, shown
from .reader import MAX_CHARS, Document, line_column
from .schema import MAX_CADENCE, SECTIONS, PlanSpec

DEMO_PLAN = "demo.yaml"
FIRST_TIME = timefmt.to_ms(datetime(1970, 1, 1, tzinfo=UTC))  # a plan's times fall in
END_TIME = timefmt.to_ms(datetime(2200, 1, 1, tzinfo=UTC))  # [FIRST_TIME, END_TIME)
MAX_DURATION = 365 * 86_400  # seconds a step may last
MAX_TIME_TEXT = 64  # the longest time or duration read at all
DEFAULT_TIMEOUT = 10  # seconds a source may take, unless its plan says
MAX_ZONE_NAME = 64  # the longest IANA name is about half that
_ZONE_NAME = re.compile(r"[A-Za-z0-9_+\-]+(?:/[A-Za-z0-9_+\-]+)*")


@dataclass
class Plan:
    name: str
    timezone: str
    golive: int  # ms UTC
    roles: list[Role]
    people: list[Assignment]
    steps: list[Step]
    risks: list[Risk]
    audiences: list[Audience]
    kpis: list[Kpi]
    window: tuple[int, int] | None = None  # the change window, ms UTC
    rollback: list[str] = field(default_factory=list)
    source: str = field(default="", repr=False)

    def moved_to(self, golive: int) -> Plan:
        """The same plan with every time moved so that go-live falls at `golive`."""
        shift = golive - self.golive
        steps = [s.model_copy(update={"planned_start": s.planned_start + shift}) for s in self.steps]
        window = (self.window[0] + shift, self.window[1] + shift) if self.window else None
        return replace(self, golive=golive, steps=steps, window=window)


def load_plan(path: str | Path) -> Plan:
    """The plan in a file; no more of the file is read than a plan may hold."""
    path = Path(path)
    try:
        with path.open("rb") as file:
            data = file.read(4 * MAX_CHARS + 1)  # UTF-8 takes at most 4 bytes a character
    except OSError as exc:
        raise PlanError([Problem(str(path), 1, 1, "file", f"cannot read: {exc}")]) from None
    if len(data) > 4 * MAX_CHARS:
        raise PlanError([Problem(str(path), 1, 1, "file", f"the plan is longer than {MAX_CHARS:,} characters")])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[:exc.start].decode("utf-8")
        line, column = line_column(before, len(before))
        raise PlanError([Problem(str(path), line, column, "file",
                                 f"not UTF-8 text: byte 0x{data[exc.start]:02x} ({exc.reason})")]) from None
    # line breaks as a text-mode read gives them
    return load_plan_text(text.replace("\r\n", "\n").replace("\r", "\n"), str(path))


def demo_plan_text() -> str:
    return resources.files(__package__).joinpath(DEMO_PLAN).read_text(encoding="utf-8")


def load_demo_plan() -> Plan:
    return load_plan_text(demo_plan_text(), f"<demo>/{DEMO_PLAN}")


def load_plan_text(text: str, filename: str = "<plan>") -> Plan:
    document = Document(text, filename)
    data = document.read()
    header = _validate(document, PlanSpec, data, ())
    if header is None:
        raise PlanError(sorted(document.problems, key=lambda p: (p.line, p.column)))
    sections = {
        name: [(i, _validate(document, model, item, (name, i))) for i, item in enumerate(getattr(header, name))]
        for name, model in SECTIONS.items()
    }
    plan = _Checker(document, header, sections).build()
    if document.problems:
        raise PlanError(sorted(document.problems, key=lambda p: (p.line, p.column)))
    plan.source = text
    return plan


def _validate(document: Document, model, data, where: Path_):
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            document.problems.append(_from_pydantic(document, model, where, error))
        return None


def _from_pydantic(document: Document, model: type[BaseModel], prefix: Path_, error: ErrorDetails) -> Problem:
    where = prefix + tuple(error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
        message = "unknown key" + _suggestion(_model_at(model, error["loc"]), str(where[-1]))
    elif kind == "missing":
        message = "missing field"
    else:
        message = error["msg"].removeprefix("Value error, ")
    line, column = document.place(where, at_key=kind == "extra_forbidden")
    return Problem(document.filename, line, column, dotted(where), message)


def _model_at(model: type[BaseModel], loc: tuple) -> type[BaseModel]:
    """The model a key sits in: a nested one (the plan's `window`) has keys of its own."""
    for part in loc[:-1]:
        field = model.model_fields.get(part) if isinstance(part, str) else None
        if field is None:
            break
        nested = [a for a in get_args(field.annotation) or (field.annotation,)
                  if isinstance(a, type) and issubclass(a, BaseModel)]
        if not nested:
            break
        model = nested[0]
    return model


def _suggestion(model, key: str) -> str:
    known = list(model.model_fields)
    close = difflib.get_close_matches(key, known, n=1)
    return f" (did you mean {close[0]!r}?)" if close else f" (expected one of: {', '.join(known)})"


class _Checker:
    """The checks a schema cannot express: references, uniqueness, cycles, times, and the
    domain's own rules (what `init` would refuse), each reported where it was written."""

    def __init__(self, document: Document, header: PlanSpec, sections: dict[str, list]):
        self.doc, self.header = document, header
        self.raw = {name: getattr(header, name) for name in sections}
        self.valid = {name: [(i, item) for i, item in items if item is not None]
                      for name, items in sections.items()}

    def build(self) -> Plan:
        spec = self.header
        tz = self._zone()
        golive = self._when(spec.golive, ("golive",), tz, None)
        roles = self._unique("roles", "key")
        step_ids = self._unique("steps", "id")
        for section, key in (("risks", "id"), ("audiences", "key"), ("kpis", "key")):
            self._unique(section, key)
        steps = self._steps(tz, golive, roles, step_ids)
        self._cycles()
        self._contingency()
        window = self._window(tz, golive)
        people: list[Assignment] = []
        holders: dict[str, str] = {}  # role -> its holder
        for i, person in self.valid["people"]:
            self._ref(roles, person.role, ("people", i, "role"), "role")
            if not person.name.strip():
                self.doc.report(("people", i, "name"), "name must not be empty")
                continue
            if person.role in holders:
                self.doc.report(("people", i, "role"), f"{person.role} is already held by {holders[person.role]}:"
                                " one holder per role (record a hand-over on the day with `warroom assign`)")
            holders.setdefault(person.role, person.name)
            people.append(self._fact(Assignment, ("people", i), role=person.role, person=person.name,
                                     contact=person.contact))
        risks = []
        for i, risk in self.valid["risks"]:
            if risk.owner is not None:
                self._ref(roles, risk.owner, ("risks", i, "owner"), "role")
            for j, step in enumerate(risk.steps):
                self._ref(step_ids, step, ("risks", i, "steps", j), "step")
            risks.append(self._fact(Risk, ("risks", i), id=risk.id, title=risk.title, likelihood=risk.likelihood,
                                    impact=risk.impact, mitigation=risk.mitigation,
                                    owner=risk.owner, steps=tuple(risk.steps)))
        for i, audience in self.valid["audiences"]:
            for phase, minutes in audience.cadence.items():
                if not 0 < minutes <= MAX_CADENCE:
                    self.doc.report(("audiences", i, "cadence", phase.value),
                                    f"cadence must be a number of minutes from 1 to {MAX_CADENCE:,}")
        return Plan(
            name=spec.warroom, timezone=spec.timezone, golive=golive or 0,
            roles=[self._fact(Role, ("roles", i), **r.model_dump()) for i, r in self.valid["roles"]],
            people=people, steps=steps, risks=risks,
            audiences=[self._fact(Audience, ("audiences", i), **a.model_dump()) for i, a in self.valid["audiences"]],
            kpis=[self._kpi(i, k) for i, k in self.valid["kpis"]],
            window=window, rollback=list(spec.rollback),
        )

    def _kpi(self, i: int, spec):
        values = spec.model_dump(exclude={"source"})
        if spec.source is not None:
            values["source"] = self._source(spec.source, ("kpis", i, "source"))
        return self._fact(Kpi, ("kpis", i), **values)

    def _source(self, source, where: Path_) -> dict:
        """A source's period and timeout in seconds: every 1s to MAX_CADENCE minutes, the
        timeout within the period (10s unless given, or the period when shorter)."""
        every = self._seconds(source.every, (*where, "every"), MAX_CADENCE * 60)
        timeout = (self._seconds(source.timeout, (*where, "timeout"), MAX_CADENCE * 60)
                   if source.timeout is not None else min(DEFAULT_TIMEOUT, every or DEFAULT_TIMEOUT))
        if every and timeout and timeout > every:
            self.doc.report((*where, "timeout"), "a source's timeout must not be longer than its period (every)")
        return {"command": source.command, "every": every or 1, "timeout": timeout or 1}

    def _seconds(self, value, where: Path_, most: int) -> int:
        """A duration from 1s to `most` seconds; 0 when it is not (reported)."""
        reported = len(self.doc.problems)
        seconds = self._duration(value, where)
        if len(self.doc.problems) == reported and not 1 <= seconds <= most:
            self.doc.report(where, f"must be from 1s to {timefmt.duration(most * 1000)}")
            return 0
        return seconds

    def _fact(self, model, where: Path_, **values):
        """The domain object `init` will store; what it refuses is reported at the item
        (the schema and the checks above leave nothing to refuse: this is the last guard)."""
        try:
            return model(**values)
        except ValidationError as exc:
            for error in exc.errors():
                self.doc.report(where + tuple(_SPEC_NAMES.get(str(part), part) for part in error["loc"]),
                                error["msg"].removeprefix("Value error, "))
            return None

    def _zone(self):
        name = self.header.timezone
        try:
            if len(name) > MAX_ZONE_NAME or not _ZONE_NAME.fullmatch(name):
                raise ValueError(f"unknown time zone {shown(name, 40)}")
            return timefmt.zone(name)
        except (ValueError, OSError):
            self.doc.report(("timezone",), f"unknown time zone {shown(name, 40)}")
            return timefmt.zone("UTC")

    def _when(self, value, where: Path_, tz, golive: datetime | None) -> int | None:
        """A time as written (H-2h, an ISO time, a YAML date), within 1970-2199."""
        text = value.isoformat() if isinstance(value, datetime) else str(value)
        if len(text) > MAX_TIME_TEXT:
            self.doc.report(where, f"bad time {shown(text, 20)}: use ISO 8601 like 2026-11-24T20:00"
                            + (", or H, H-2h, H+15m" if golive else ""))
            return None
        try:
            if golive is None:
                moment = timefmt.to_ms(timefmt.parse_datetime(text, tz))
            else:
                moment = timefmt.to_ms(timefmt.parse_planned(text, golive, tz))
        except (ValueError, OverflowError) as exc:
            self.doc.report(where, _time_problem(text, exc))
            return None
        if not FIRST_TIME <= moment < END_TIME:
            self.doc.report(where, f"time {shown(text)} is out of range: a plan's times fall between "
                            "1970-01-01 and 2199-12-31")
            return None
        return moment

    def _duration(self, value, where: Path_) -> int:
        text = str(value)
        try:
            if len(text) > MAX_TIME_TEXT:
                raise ValueError(f"bad duration {shown(text, 20)}: use forms like 45m, 2h, 1h30m, 1d")
            seconds = timefmt.parse_duration(text)
        except ValueError as exc:
            self.doc.report(where, str(exc))
            return 0
        if seconds > MAX_DURATION:
            self.doc.report(where, f"duration {shown(text)} is too long: a step lasts at most "
                            f"{timefmt.duration(MAX_DURATION * 1000)}")
            return 0
        return seconds

    def _unique(self, section: str, key: str) -> set[str]:
        """The section's keys, reporting empty and repeated ones; invalid items count too,
        so that a reference to them is not reported a second time."""
        seen: set[str] = set()
        for i, item in enumerate(self.raw[section]):
            value = item.get(key) if isinstance(item, dict) else None
            if not isinstance(value, str):
                continue
            if not value.strip():
                self.doc.report((section, i, key), f"{key} must not be empty")
            elif value in seen:
                self.doc.report((section, i, key), f"duplicate {key} {shown(value)}")
            seen.add(value)
        return seen

    def _ref(self, known: set[str], value: str, where: Path_, what: str) -> None:
        if value not in known:
            close = difflib.get_close_matches(value, sorted(known), n=1) if len(value) <= 100 else []
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            self.doc.report(where, f"unknown {what} {shown(value)}{hint}")

    def _steps(self, tz, golive: int | None, roles: set[str], ids: set[str]) -> list[Step]:
        golive_dt = timefmt.from_ms(golive, tz) if golive is not None else None
        steps = []
        for i, s in self.valid["steps"]:
            self._ref(roles, s.owner, ("steps", i, "owner"), "role")
            for j, dep in enumerate(s.depends_on):
                if dep == s.id:
                    self.doc.report(("steps", i, "depends_on", j), "a step cannot depend on itself")
                else:
                    self._ref(ids, dep, ("steps", i, "depends_on", j), "step")
            for j, role in enumerate(s.signoffs):
                self._ref(roles, role, ("steps", i, "signoffs", j), "role")
            if s.kind is StepKind.GATE and not s.signoffs:
                self.doc.report(("steps", i, "signoffs"), "a gate needs at least one sign-off role")
            if s.kind is not StepKind.GATE and s.signoffs:
                self.doc.report(("steps", i, "signoffs"), "only a gate takes sign-offs")
            if s.kind is not StepKind.GATE and s.kpis_ready:
                self.doc.report(("steps", i, "kpis_ready"), "only a gate can wait for the KPIs to be ready")
            if s.start is None and not s.contingency:
                self.doc.report(("steps", i, "start"), "missing field (only a contingency step may have no start)")
            start = self._when(s.start, ("steps", i, "start"), tz, golive_dt) if golive_dt and s.start else golive
            duration = self._duration(s.duration, ("steps", i, "duration"))
            backout = (self._duration(s.backout_duration, ("steps", i, "backout_duration"))
                       if s.backout_duration is not None else None)
            steps.append(self._fact(
                Step, ("steps", i),
                id=s.id, title=s.title, phase=s.phase, kind=s.kind, owner=s.owner,
                planned_start=start or 0, planned_duration=duration,
                depends_on=tuple(s.depends_on), critical=s.critical,
                instructions=s.instructions, signoff_roles=tuple(s.signoffs),
                backout=tuple(s.backout), backout_duration=backout, contingency=s.contingency,
                point_of_no_return=s.point_of_no_return, targets=tuple(s.targets), kpis_ready=s.kpis_ready,
            ))
        return steps

    def _contingency(self) -> None:
        """What runs only if needed is never waited for by the day, and the day's backouts
        and rollback runbook are made of it."""
        standby = {s.id for _, s in self.valid["steps"] if s.contingency}
        ids = {s.id for _, s in self.valid["steps"]}
        for i, s in self.valid["steps"]:
            where: Path_ = ("steps", i)
            for j, dep in enumerate(s.depends_on):
                if dep in standby and not s.contingency:
                    self.doc.report((*where, "depends_on", j), f"{shown(dep)} runs only if needed (contingency): "
                                    "a step of the day cannot wait for it")
            for j, ref in enumerate(s.backout):
                self._standby(ref, ids, standby, (*where, "backout", j))
                if ref in s.backout[:j]:
                    self.doc.report((*where, "backout", j), f"{shown(ref)} is already in this step's backout")
            if s.contingency and s.point_of_no_return:
                self.doc.report((*where, "point_of_no_return"), "a contingency step cannot be the point of no return")
            if s.contingency and (s.backout or s.backout_duration is not None):
                self.doc.report((*where, "backout"), "a contingency step has no backout of its own")
            seen: set[str] = set()
            for j, target in enumerate(s.targets):
                if target in seen:
                    self.doc.report((*where, "targets", j), f"duplicate target {shown(target)}")
                seen.add(target)
        for j, ref in enumerate(self.header.rollback):
            self._standby(ref, ids, standby, ("rollback", j))
            if ref in self.header.rollback[:j]:
                self.doc.report(("rollback", j), f"{shown(ref)} is already in the rollback runbook")

    def _standby(self, ref: str, ids: set[str], standby: set[str], where: Path_) -> None:
        if ref not in ids:
            self._ref(ids, ref, where, "step")
        elif ref not in standby:
            self.doc.report(where, f"{shown(ref)} must be a contingency step (contingency: true): "
                            "it runs only if a rollback needs it")

    def _window(self, tz: ZoneInfo, golive: int | None) -> tuple[int, int] | None:
        window = self.header.window
        if window is None or golive is None:
            return None
        golive_dt = timefmt.from_ms(golive, tz)
        start = self._when(window.start, ("window", "start"), tz, golive_dt)
        end = self._when(window.end, ("window", "end"), tz, golive_dt)
        if start is None or end is None:
            return None
        if end <= start:
            self.doc.report(("window", "end"), "the change window must end after it starts")
            return None
        return start, end

    def _cycles(self) -> None:
        """Every dependency cycle, once (a depth-first search without recursion: a runbook
        of thousands of chained steps is fine)."""
        index = {s.id: i for i, s in self.valid["steps"]}
        graph = {s.id: [d for d in s.depends_on if d in index and d != s.id] for _, s in self.valid["steps"]}
        state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
        reported: set[frozenset[str]] = set()
        for root in graph:
            if root in state:
                continue
            path, position = [root], {root: 0}
            state[root] = 1
            stack = [iter(graph[root])]
            while stack:
                dep = next(stack[-1], None)
                if dep is None:
                    stack.pop()
                    done = path.pop()
                    state[done] = 2
                    del position[done]
                    continue
                if state.get(dep) == 1:
                    cycle = [*path[position[dep]:], dep]
                    if frozenset(cycle) not in reported:
                        reported.add(frozenset(cycle))
                        self.doc.report(("steps", index[dep], "depends_on"),
                                        "dependency cycle: " + " -> ".join(cycle))
                elif dep not in state:
                    state[dep] = 1
                    position[dep] = len(path)
                    path.append(dep)
                    stack.append(iter(graph[dep]))


# the domain's names for what a plan file calls otherwise
_SPEC_NAMES = {"person": "name", "planned_start": "start", "planned_duration": "duration",
               "signoff_roles": "signoffs"}


def _time_problem(text: str, exc: BaseException) -> str:
    """timefmt's message, or, for an ISO time no calendar has (2026-02-30T20:00), why."""
    if isinstance(exc, OverflowError):
        return f"bad time {shown(text)}: out of range"
    try:
        datetime.fromisoformat(text.strip())
    except ValueError as why:
        if "Invalid isoformat" not in str(why):
            return f"bad time {shown(text)}: {why}"
    return str(exc)
