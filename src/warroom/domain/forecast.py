"""Can we still roll back, and when will the day end? The forecast of the runbook from its
dependency graph: the critical path of what remains, how long a backout would take if
rollback were decided now, and so the last moment it can still be decided inside the change
window. Pure: rows in, figures out; each remaining step lasts its expected duration (the
rehearsed one where a rehearsal measured it, else the planned one)."""
from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from .kinds import DecisionKind, Phase, StepStatus
from .rules import SETTLED

Step = Mapping[str, Any]
_TOUCHED = frozenset({StepStatus.DONE, StepStatus.IN_PROGRESS})  # what a rollback has to undo


class Task(NamedTuple):
    """A node of a graph to schedule: it lasts `ms` and starts after every task in `after`,
    not before `earliest`; `started` when it is already running."""

    key: str
    ms: int
    after: Sequence[str] = ()
    earliest: int = 0
    started: int | None = None


@dataclass(frozen=True)
class Schedule:
    ends: dict[str, int]
    finish: int | None
    path: list[str]  # the chain of tasks that ends last, first to last


@dataclass(frozen=True)
class Forecast:
    finish: int | None
    critical_path: list[str]
    backout_ms: int
    backout_end: int
    rollback_deadline: int | None
    window_end: int | None
    point_of_no_return: dict[str, Any] | None = None
    backing_out: bool = False  # a rollback is in force: the figures track the backout itself

    @property
    def backout_minutes(self) -> int:
        return -(-self.backout_ms // 60_000)  # rounded up

    def as_json(self) -> dict[str, Any]:
        return {"finish": self.finish, "critical_path": self.critical_path,
                "backout_minutes": self.backout_minutes, "backout_end": self.backout_end,
                "rollback_deadline": self.rollback_deadline, "window_end": self.window_end,
                "point_of_no_return": self.point_of_no_return, "backing_out": self.backing_out}


def schedule(tasks: Iterable[Task], now: int) -> Schedule:
    """Earliest finish of every task (none before now), each computed as Kahn's topological
    order reaches it; a dependency on a task not in the graph is already satisfied. A cycle
    (the plan's loader refuses one among steps; backouts shared in crossed orders could make
    one) is not left out: its tasks come last, after what they wait on."""
    graph = {t.key: t for t in tasks}
    waiting = dict.fromkeys(graph, 0)
    followers: dict[str, list[str]] = {}
    for key, task in graph.items():
        for dep in task.after:
            if dep in graph:
                waiting[key] += 1
                followers.setdefault(dep, []).append(key)
    ends: dict[str, int] = {}
    cause: dict[str, str | None] = {}
    ready = [k for k, n in waiting.items() if n == 0]
    while ready:
        key = ready.pop()
        ends[key], cause[key] = _finish(graph[key], ends, now)
        for follower in followers.get(key, ()):
            waiting[follower] -= 1
            if waiting[follower] == 0:
                ready.append(follower)
    for key in [k for k in graph if k not in ends]:
        ends[key], cause[key] = _finish(graph[key], ends, now)
    if not ends:
        return Schedule(ends, None, [])
    last = max(ends, key=lambda k: (ends[k], k))
    path: list[str] = []
    step: str | None = last
    while step is not None:
        path.append(step)
        step = cause[step]
    return Schedule(ends, ends[last], path[::-1])


def _finish(task: Task, ends: Mapping[str, int], now: int) -> tuple[int, str | None]:
    """When the task ends, and the dependency that held it last (None: now, its own earliest
    start or its actual start did)."""
    latest, by = max([(ends[d], d) for d in task.after if d in ends], default=(0, None)) if task.after else (0, None)
    if task.started is not None:
        return max(task.started + task.ms, now), None
    start = max(now, task.earliest, latest)
    return max(start + task.ms, now), by if latest == start else None


def forecast(steps: Sequence[Step], now: int, *, rollback: Sequence[str] = (), window_end: int | None = None,
             rehearsed: Mapping[str, int] | None = None, rollback_at: int | None = None) -> Forecast:
    """The day's forecast at `now`. `rehearsed`: measured durations (ms) by step id, and by
    'undo:STEP' for a step's own backout; `rollback_at`: when a rollback in force was decided."""
    measured = rehearsed or {}
    day = schedule(remaining(the_day(steps), measured), now)
    backout = _backout(steps, rollback, measured, rollback_at)
    if rollback_at is not None:
        tracked = schedule(backout, now)
        end = tracked.finish if tracked.finish is not None else now
        return Forecast(day.finish, day.path, max(end - now, 0), end, None, window_end,
                        point_of_no_return(steps), backing_out=True)
    length = schedule(backout, 0).finish or 0
    deadline = window_end - length if window_end is not None else None
    return Forecast(day.finish, day.path, length, now + length, deadline, window_end, point_of_no_return(steps))


def of_room(steps: Sequence[Step], meta: Mapping[str, str], decisions: Iterable[Mapping[str, Any]], now: int,
            rehearsed: Mapping[str, int] | None = None) -> Forecast:
    """The forecast of a war room: its change window, rollback runbook and attached rehearsal
    are in `meta` (`rehearsed` given instead, for an export against another rehearsal), and a
    rollback decision, once recorded, turns it into the tracking of the backout."""
    rollbacks = [d["happened_at"] for d in decisions if d["kind"] == DecisionKind.ROLLBACK]
    attached = json.loads(meta.get("rehearsed") or "{}")  # a rehearsal attached to the war room
    return forecast(steps, now, rollback=json.loads(meta.get("rollback") or "[]"),
                    window_end=int(meta["window_end"]) if meta.get("window_end") else None,
                    rehearsed=rehearsed if rehearsed is not None else attached,
                    rollback_at=max(rollbacks, default=None))


def in_play(step: Step) -> bool:
    """A contingency step is out of the day's figures until a rollback (or a start) invokes it."""
    return not step.get("contingency") or bool(step.get("invoked"))


def the_day(steps: Sequence[Step]) -> Sequence[Step]:
    """The steps a finish is forecast for: the after phase's (weeks of watching) count only
    once the day's are settled."""
    open_day = any(s["phase"] == Phase.DAY and s["status"] not in SETTLED and in_play(s) for s in steps)
    return [s for s in steps if s["phase"] != Phase.AFTER] if open_day else steps


def expected_ms(step: Step, rehearsed: Mapping[str, int]) -> int:
    return rehearsed.get(step["id"], int(step["planned_duration"]) * 1000)


def point_of_no_return(steps: Sequence[Step]) -> dict[str, Any] | None:
    """The first step marked as the point of no return, and when it was passed (done)."""
    marked = [s for s in steps if s.get("point_of_no_return")]
    passed = [s for s in marked if s["status"] == StepStatus.DONE and s["ended_at"] is not None]
    if passed:
        first = min(passed, key=lambda s: s["ended_at"])
        return {"step": first["id"], "passed_at": first["ended_at"]}
    return {"step": marked[0]["id"], "passed_at": None} if marked else None


def remaining(steps: Sequence[Step], rehearsed: Mapping[str, int]) -> list[Task]:
    """What is left of the day: every step not settled (a contingency step once invoked)."""
    tasks = []
    for s in steps:
        if s["status"] in SETTLED or not in_play(s):
            continue
        started = s["started_at"] if s["status"] == StepStatus.IN_PROGRESS else None
        tasks.append(Task(s["id"], expected_ms(s, rehearsed), s["depends_on"], s["planned_start"], started))
    return tasks


def _backout(steps: Sequence[Step], rollback: Sequence[str], rehearsed: Mapping[str, int],
             rollback_at: int | None) -> list[Task]:
    """The work a rollback means: the rollback runbook in order, and the backout of every step
    done or running. A step is undone (its backout steps, its backout duration) only once the
    steps built on it are: `undone:STEP` marks that moment, so the graph stays as small as the
    runbook's, and a step with no backout of its own passes the order on."""
    by_id = {s["id"]: s for s in steps}
    touched = to_undo(steps)
    work = {s["id"]: _work(s, by_id) for s in touched}
    gates: dict[str, tuple[str, ...]] = {key: (f"undone:{key}",) for key in work}  # a step with no work of its own
    after: dict[str, set[str]] = {}
    for before, later in itertools.pairwise(rollback):
        after.setdefault(later, set()).add(before)
    for s in touched:
        shared, gate = s.get("backout") or (), gates[s["id"]][0]
        for dep in s["depends_on"]:
            for node in work.get(dep) or gates.get(dep, ()):
                if node not in shared:  # a backout both steps share is one piece of work
                    after.setdefault(node, set()).add(gate)
    tasks = []
    for s in touched:
        key = s["id"]
        if f"undo:{key}" in work[key]:
            ms = rehearsed.get(f"undo:{key}", int(s["backout_duration"]) * 1000)
            tasks.append(Task(f"undo:{key}", ms, tuple(after.get(f"undo:{key}", ())), rollback_at or 0))
        tasks.append(Task(f"undone:{key}", 0, (*work[key], *after.get(f"undone:{key}", ()))))
    tasks += [_contingency_task(by_id[c], after.get(c, set()), rehearsed, rollback_at)
              for c in called_up(touched, rollback) if c in by_id and by_id[c]["status"] not in SETTLED]
    return tasks


def to_undo(steps: Iterable[Step]) -> list[Step]:
    """The steps a rollback has to undo: those of the day done or running."""
    return [s for s in steps if not s.get("contingency") and s["status"] in _TOUCHED]


def called_up(touched: Iterable[Step], rollback: Sequence[str]) -> list[str]:
    """The contingency steps a rollback calls up: its runbook in order, then the backout steps
    of what it undoes."""
    return list(dict.fromkeys([*rollback, *(b for s in touched for b in s.get("backout") or ())]))


def _work(step: Step, by_id: Mapping[str, Step]) -> list[str]:
    """What undoing a step takes: its backout steps and its own backout duration."""
    own = [f"undo:{step['id']}"] if step.get("backout_duration") else []
    return [*(b for b in step.get("backout") or () if b in by_id), *own]


def _contingency_task(step: Step, after: set[str], rehearsed: Mapping[str, int], rollback_at: int | None) -> Task:
    running = step["status"] == StepStatus.IN_PROGRESS
    return Task(step["id"], expected_ms(step, rehearsed), tuple(sorted({*step["depends_on"], *after})),
                rollback_at or 0, step["started_at"] if running else None)
