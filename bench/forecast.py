"""The forecast on a large runbook vs a plain topological sort of the same graph, in the
same run.

A plan of 2,000 steps and about 6,000 dependencies (each step depends on three earlier ones,
chosen at random with a fixed seed), a third of them done, some running, every fifth with a
backout duration, every tenth undone by one of 40 contingency steps, a rollback runbook of
ten: the whole forecast (critical path of what remains, backout of what was done, deadline)
is timed against Kahn's topological sort of the same graph. Goal: within 5x.

Usage: python bench/forecast.py [--steps 2000] [--rounds 30]
"""
from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

from warroom.domain.forecast import forecast

MINUTE = 60_000


def runbook(count: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    standby = [{"id": f"rb-{i}", "phase": "day", "planned_start": 0, "planned_duration": 600,
                "depends_on": [f"rb-{i - 1}"] if i else [], "status": "pending", "started_at": None,
                "ended_at": None, "contingency": 1, "invoked": 0} for i in range(40)]
    steps = []
    for i in range(count):
        deps = sorted({f"s-{rng.randrange(i)}" for _ in range(3)}) if i >= 3 else []
        done, running = i < count // 3, count // 3 <= i < count // 3 + 20
        steps.append({
            "id": f"s-{i}", "phase": "day", "planned_start": i * MINUTE, "planned_duration": rng.randrange(60, 3600),
            "depends_on": deps, "status": "done" if done else "in_progress" if running else "pending",
            "started_at": i * MINUTE if done or running else None, "ended_at": (i + 1) * MINUTE if done else None,
            "backout_duration": 300 if i % 5 == 0 else None, "backout": [f"rb-{i % 40}"] if i % 10 == 0 else []})
    return steps + standby


def kahn(steps: list[dict[str, Any]]) -> list[str]:
    """The baseline: a plain topological sort of the same graph."""
    waiting = {s["id"]: len(s["depends_on"]) for s in steps}
    followers: dict[str, list[str]] = {}
    for s in steps:
        for dep in s["depends_on"]:
            followers.setdefault(dep, []).append(s["id"])
    ready, order = [k for k, n in waiting.items() if n == 0], []
    while ready:
        key = ready.pop()
        order.append(key)
        for follower in followers.get(key, ()):
            waiting[follower] -= 1
            if waiting[follower] == 0:
                ready.append(follower)
    return order


def timed(fn: Callable[[], object], rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    steps = runbook(args.steps)
    edges = sum(len(s["depends_on"]) for s in steps)
    rollback = [f"rb-{i}" for i in range(10)]
    now = args.steps * MINUTE // 2
    whole = forecast(steps, now, rollback=rollback, window_end=now + 48 * 60 * MINUTE)
    assert len(kahn(steps)) == len(steps) and whole.critical_path
    ours, base = [], []
    for _ in range(args.rounds):  # alternate, so that the machine's noise falls on both
        ours += timed(lambda: forecast(steps, now, rollback=rollback, window_end=now + 48 * 60 * MINUTE), 1)
        base += timed(lambda: kahn(steps), 1)
    p50, b50 = statistics.median(ours), statistics.median(base)
    print(f"forecast: {len(steps)} steps, {edges} dependencies, {args.rounds} rounds: "
          f"forecast p50 {p50:.2f} ms (max {max(ours):.2f}), topological sort p50 {b50:.2f} ms, "
          f"ratio {p50 / b50:.2f}x (goal <= 5x); critical path {len(whole.critical_path)} steps, "
          f"backout {whole.as_json()['backout_minutes']} min")


if __name__ == "__main__":
    main()
