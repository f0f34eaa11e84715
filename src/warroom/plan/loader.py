"""Read a plan file, keep where each value was written, and report every problem at once
as `file:line:column: field: message`."""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field, replace
from datetime import datetime
from importlib import resources
from pathlib import Path

import yaml
from pydantic import ValidationError

from ..domain import timefmt
from ..domain.kinds import StepKind
from ..domain.models import Assignment, Audience, Kpi, Risk, Role, Step
from .schema import SECTIONS, PlanSpec

DEMO_PLAN = "demo.yaml"
Path_ = tuple  # a value's place in the document: ('steps', 3, 'duration')


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    column: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.field}: {self.message}"


class PlanError(ValueError):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(map(str, problems)))


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
    source: str = field(default="", repr=False)

    def moved_to(self, golive: int) -> Plan:
        """The same plan with every time moved so that go-live falls at `golive`."""
        shift = golive - self.golive
        steps = [s.model_copy(update={"planned_start": s.planned_start + shift}) for s in self.steps]
        return replace(self, golive=golive, steps=steps)


def load_plan(path: str | Path) -> Plan:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanError([Problem(str(path), 1, 1, "file", f"cannot read: {exc}")]) from None
    return load_plan_text(text, str(path))


def demo_plan_text() -> str:
    return resources.files(__package__).joinpath(DEMO_PLAN).read_text(encoding="utf-8")


def load_demo_plan() -> Plan:
    return load_plan_text(demo_plan_text(), f"<demo>/{DEMO_PLAN}")


def load_plan_text(text: str, filename: str = "<plan>") -> Plan:
    document = _Document(text, filename)
    data = document.read()
    header = _validate(document, PlanSpec, data, ())
    if header is None:
        raise PlanError(document.problems)
    sections = {
        name: [(i, _validate(document, model, item, (name, i))) for i, item in enumerate(getattr(header, name))]
        for name, model in SECTIONS.items()
    }
    plan = _Checker(document, header, sections).build()
    if document.problems:
        raise PlanError(sorted(document.problems, key=lambda p: (p.line, p.column)))
    plan.source = text
    return plan


def _validate(document: _Document, model, data, where: Path_):
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            document.problems.append(_from_pydantic(document, model, where, error))
        return None


class _Document:
    """YAML parsed into plain data plus the line and column of every value and key."""

    def __init__(self, text: str, filename: str):
        self.text, self.filename = text, filename
        self.problems: list[Problem] = []
        self.places: dict[Path_, tuple[int, int]] = {(): (1, 1)}
        self.key_places: dict[Path_, tuple[int, int]] = {}

    def report(self, where: Path_, message: str, at_key: bool = False) -> None:
        line, column = self.place(where, at_key)
        self.problems.append(Problem(self.filename, line, column, _dotted(where), message))

    def place(self, where: Path_, at_key: bool = False) -> tuple[int, int]:
        if at_key and where in self.key_places:
            return self.key_places[where]
        while where not in self.places:
            where = where[:-1]
        return self.places[where]

    def read(self):
        loader = yaml.SafeLoader(self.text)
        try:
            root = loader.get_single_node()
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
            line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            problem = getattr(exc, "problem", None) or str(exc)
            raise PlanError([Problem(self.filename, line, column, "yaml", problem)]) from None
        finally:
            loader.dispose()
        if root is None:
            raise PlanError([Problem(self.filename, 1, 1, "file", "the plan is empty")])
        return self._value(loader, root, ())

    def _value(self, loader, node, where: Path_):
        self.places[where] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.MappingNode):
            result = {}
            for key_node, value_node in node.value:
                key = loader.construct_object(key_node)
                here = where + (key,)
                self.key_places[here] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                if key in result:
                    self.report(here, f"duplicate key {key!r}", at_key=True)
                result[key] = self._value(loader, value_node, here)
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self._value(loader, item, where + (i,)) for i, item in enumerate(node.value)]
        return loader.construct_object(node)


def _dotted(where: Path_) -> str:
    text = ""
    for part in where:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "plan"


def _from_pydantic(document: _Document, model, prefix: Path_, error: dict) -> Problem:
    where = prefix + tuple(error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
        message = "unknown key" + _suggestion(model, str(where[-1]))
    elif kind == "missing":
        message = "missing field"
    else:
        message = error["msg"].removeprefix("Value error, ")
    line, column = document.place(where, at_key=kind == "extra_forbidden")
    return Problem(document.filename, line, column, _dotted(where), message)


def _suggestion(model, key: str) -> str:
    known = list(model.model_fields)
    close = difflib.get_close_matches(key, known, n=1)
    return f" (did you mean {close[0]!r}?)" if close else f" (expected one of: {', '.join(known)})"


class _Checker:
    """The checks a schema cannot express: references, uniqueness, cycles, times."""

    def __init__(self, document: _Document, header: PlanSpec, sections: dict[str, list]):
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
        people, holders = [], {}
        for i, person in self.valid["people"]:
            self._ref(roles, person.role, ("people", i, "role"), "role")
            if person.role in holders:
                self.doc.report(("people", i, "role"), f"{person.role} is already held by {holders[person.role]}:"
                                " one holder per role (record a hand-over on the day with `warroom assign`)")
            holders.setdefault(person.role, person.name)
            people.append(Assignment(role=person.role, person=person.name, contact=person.contact))
        risks = []
        for i, risk in self.valid["risks"]:
            if risk.owner is not None:
                self._ref(roles, risk.owner, ("risks", i, "owner"), "role")
            for j, step in enumerate(risk.steps):
                self._ref(step_ids, step, ("risks", i, "steps", j), "step")
            risks.append(Risk(id=risk.id, title=risk.title, likelihood=risk.likelihood,
                              impact=risk.impact, mitigation=risk.mitigation,
                              owner=risk.owner, steps=tuple(risk.steps)))
        for i, audience in self.valid["audiences"]:
            for phase, minutes in audience.cadence.items():
                if minutes <= 0:
                    self.doc.report(("audiences", i, "cadence", phase.value), "cadence must be a positive number of minutes")
        return Plan(
            name=spec.warroom, timezone=spec.timezone, golive=golive or 0,
            roles=[Role(**r.model_dump()) for _, r in self.valid["roles"]], people=people,
            steps=steps, risks=risks,
            audiences=[Audience(**a.model_dump()) for _, a in self.valid["audiences"]],
            kpis=[Kpi(**k.model_dump()) for _, k in self.valid["kpis"]],
        )

    def _zone(self):
        try:
            return timefmt.zone(self.header.timezone)
        except ValueError as exc:
            self.doc.report(("timezone",), str(exc))
            return timefmt.zone("UTC")

    def _when(self, value, where: Path_, tz, golive: datetime | None) -> int | None:
        text = value.isoformat() if isinstance(value, datetime) else value
        try:
            if golive is None:
                return timefmt.to_ms(timefmt.parse_datetime(text, tz))
            return timefmt.to_ms(timefmt.parse_planned(text, golive, tz))
        except ValueError as exc:
            self.doc.report(where, str(exc))
            return None

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
                self.doc.report((section, i, key), f"duplicate {key} {value!r}")
            seen.add(value)
        return seen

    def _ref(self, known: set[str], value: str, where: Path_, what: str) -> None:
        if value not in known:
            close = difflib.get_close_matches(value, sorted(known), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            self.doc.report(where, f"unknown {what} {value!r}{hint}")

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
            start = self._when(s.start, ("steps", i, "start"), tz, golive_dt) if golive_dt else None
            try:
                duration = timefmt.parse_duration(str(s.duration))
            except ValueError as exc:
                self.doc.report(("steps", i, "duration"), str(exc))
                duration = 0
            steps.append(Step(
                id=s.id, title=s.title, phase=s.phase, kind=s.kind, owner=s.owner,
                planned_start=start or 0, planned_duration=duration,
                depends_on=tuple(s.depends_on), critical=s.critical,
                instructions=s.instructions, signoff_roles=tuple(s.signoffs),
            ))
        return steps

    def _cycles(self) -> None:
        index = {s.id: i for i, s in self.valid["steps"]}
        graph = {s.id: [d for d in s.depends_on if d in index and d != s.id] for _, s in self.valid["steps"]}
        state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
        reported: set[frozenset[str]] = set()

        def visit(node: str, path: list[str]) -> None:
            state[node] = 1
            for dep in graph[node]:
                if state.get(dep) == 1:
                    cycle = path[path.index(dep):] + [dep]
                    if frozenset(cycle) not in reported:
                        reported.add(frozenset(cycle))
                        self.doc.report(("steps", index[dep], "depends_on"),
                                        "dependency cycle: " + " -> ".join(cycle))
                elif dep not in state:
                    visit(dep, path + [dep])
            state[node] = 2

        for node in graph:
            if node not in state:
                visit(node, [node])
