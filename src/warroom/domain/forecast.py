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
from typing import Any

from .kinds import DecisionKind, Phase, StepStatus
from .rules import SETTLED

Step = Mapping[str, Any]


@dataclass(frozen=True)
class Task:
    """A node of a graph to schedule: it lasts `ms` and starts after every task in `after`,
    not before `earliest`; `started` when it is already running."""

    key: str
    ms: int
    after: tuple[str, ...] = ()
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

    def as_json(self) -> dict[str, Any]:
        return {"finish": self.finish, "critical_path": self.critical_path,
                "backout_minutes": -(-self.backout_ms // 60_000), "backout_end": self.backout_end,
                "rollback_deadline": self.rollback_deadline, "window_end": self.window_end,
                "point_of_no_return": self.point_of_no_return, "backing_out": self.backing_out}


def schedule(tasks: Iterable[Task], now: int) -> Schedule:
    """Earliest finish of every task (none before now), in one pass over a topological order;
    a dependency on a task not in the graph is already satisfied."""
    graph = {t.key: t for t in tasks}
    ends: dict[str, int] = {}
    cause: dict[str, str | None] = {}
    for key in _topological(graph):
        task = graph[key]
        before = [(ends[d], d) for d in task.after if d in ends]
        latest, by = max(before, default=(0, None))
        if task.started is not None:
            start, by = task.started, None
        else:  # a dependency that ends as late as anything else holding the task is its cause
            start = max(now, task.earliest, latest)
            by = by if latest == start else None
        ends[key] = max(start + task.ms, now)
        cause[key] = by
    if not ends:
        return Schedule(ends, None, [])
    last = max(ends, key=lambda k: (ends[k], k))
    path: list[str] = []
    step: str | None = last
    while step is not None:
        path.append(step)
        step = cause[step]
    return Schedule(ends, ends[last], path[::-1])


def _topological(graph: Mapping[str, Task]) -> list[str]:
    """Kahn's order. A cycle (the plan's loader refuses one among steps; backouts shared in
    crossed orders could make one) is not left out: its tasks come last."""
    waiting = {k: sum(d in graph for d in t.after) for k, t in graph.items()}
    followers: dict[str, list[str]] = {}
    for key, task in graph.items():
        for dep in task.after:
            if dep in graph:
                followers.setdefault(dep, []).append(key)
    ready = [k for k, n in waiting.items() if n == 0]
    order = []
    while ready:
        key = ready.pop()
        order.append(key)
        for follower in followers.get(key, ()):
            waiting[follower] -= 1
            if waiting[follower] == 0:
                ready.append(follower)
    placed = set(order)
    return order + [k for k in graph if k not in placed]  # a cycle's tasks, after what they wait on


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
    """The forecast of a war room: its change window and rollback runbook are in `meta`, and
    a rollback decision, once recorded, turns it into the tracking of the backout."""
    rollbacks = [d["happened_at"] for d in decisions if d["kind"] == DecisionKind.ROLLBACK]
    return forecast(steps, now, rollback=json.loads(meta.get("rollback") or "[]"),
                    window_end=int(meta["window_end"]) if meta.get("window_end") else None,
                    rehearsed=rehearsed, rollback_at=max(rollbacks, default=None))


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
        status = StepStatus(s["status"])
        if status in SETTLED or not in_play(s):
            continue
        started = s["started_at"] if status is StepStatus.IN_PROGRESS else None
        tasks.append(Task(s["id"], expected_ms(s, rehearsed), tuple(s["depends_on"]), s["planned_start"], started))
    return tasks


def _backout(steps: Sequence[Step], rollback: Sequence[str], rehearsed: Mapping[str, int],
             rollback_at: int | None) -> list[Task]:
    """The work a rollback means: the rollback runbook in order, and the backout of every step
    done or running, each step's undone only after the undoing of the steps that built on it."""
    by_id = {s["id"]: s for s in steps}
    touched = {s["id"] for s in steps if not s.get("contingency")
               and s["status"] in (StepStatus.DONE, StepStatus.IN_PROGRESS)}
    undo = {key: _undo_nodes(by_id[key]) for key in touched}
    after: dict[str, set[str]] = {}
    for key in touched:
        for dep in _undone_below(key, by_id, touched, undo):
            for node in undo[dep]:
                after.setdefault(node, set()).update(n for n in undo[key] if n != node)
    for before, later in itertools.pairwise(rollback):
        after.setdefault(later, set()).add(before)
    contingency = {*rollback, *(n for nodes in undo.values() for n in nodes if n in by_id)}
    tasks = [_contingency_task(by_id[c], after.get(c, set()), rehearsed, rollback_at)
             for c in contingency if c in by_id and by_id[c]["status"] not in SETTLED]
    for key in touched:
        if by_id[key].get("backout_duration"):
            node = f"undo:{key}"
            ms = rehearsed.get(node, int(by_id[key]["backout_duration"]) * 1000)
            tasks.append(Task(node, ms, tuple(after.get(node, ())), rollback_at or 0))
    return tasks


def _undo_nodes(step: Step) -> list[str]:
    nodes = list(step.get("backout") or ())
    return [*nodes, f"undo:{step['id']}"] if step.get("backout_duration") else nodes


def _undone_below(key: str, by_id: Mapping[str, Step], touched: set[str], undo: Mapping[str, list[str]]) -> set[str]:
    """The touched steps `key` built on that have an undo of their own, looking through those
    that have none."""
    found: set[str] = set()
    stack = list(by_id[key]["depends_on"])
    seen: set[str] = set()
    while stack:
        dep = stack.pop()
        if dep in seen or dep not in touched:
            continue
        seen.add(dep)
        if undo[dep]:
            found.add(dep)
        else:
            stack.extend(by_id[dep]["depends_on"])
    return found


def _contingency_task(step: Step, after: set[str], rehearsed: Mapping[str, int], rollback_at: int | None) -> Task:
    running = step["status"] == StepStatus.IN_PROGRESS
    return Task(step["id"], expected_ms(step, rehearsed), tuple(sorted({*step["depends_on"], *after})),
                rollback_at or 0, step["started_at"] if running else None)
