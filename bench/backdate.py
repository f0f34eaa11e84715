"""Backdated writes vs present-time writes on a long day, in the same run.

A war room of about 50,000 events (the demo plan; two thousand incidents with their
updates, notes, KPI readings, messages, the runbook) spread over the ten hours before now.
Then each kind of write is timed twice, alternating: at the present moment, and backdated
by one hour (so that ~5,000 facts already recorded happened after it). Prints p50 and p99
of each and the ratio backdated / present. Goal: backdated p99 within 10x of a present write.

Usage: python bench/backdate.py [--events 50000] [--rounds 60]
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from warroom.demo_day import demo_plan
from warroom.domain import timefmt
from warroom.store import commands as c
from warroom.store.store import Store

MINUTE, HOUR = 60_000, 3_600_000


def build_day(path: Path, events: int, now: int) -> None:
    """The demo plan, go-live five hours ago, and `events` facts over the last ten hours
    (a hold or resume decision among every 150: the runbook's part of the journal)."""
    plan = demo_plan(now - 5 * HOUR)
    with Store.create(path, "bench") as store:
        c.init(store, plan, at=now - 40 * HOUR)
    start, span = now - 10 * HOUR, 10 * HOUR - MINUTE
    with Store(path, "Léo") as store:
        incidents = 0
        for i in range(events - 1):
            at = start + span * i // events
            kind = i % 25
            if kind == 0 and incidents < 2000:
                incidents += 1
                c.open_incident(store, f"incident {incidents}", 3, at=at)
            elif kind == 24 and i % 150 == 24:
                kind_ = "hold" if i % 300 == 24 else "resume"
                c.decide(store, kind_, "Hélène Marchand", f"decision {i}", at=at)
            elif kind in (1, 2, 3) and incidents:
                c.update_incident(store, f"INC-{incidents}", note=f"update {i}", at=at)
            elif kind in (4, 5, 6, 7):
                c.log_message(store, "internal", f"update {i}", at=at)
            elif kind in (8, 9, 10, 11, 12, 13, 14):
                c.record_kpi(store, "p95_latency", 800 + i % 100, at=at)
            else:
                c.note(store, f"note {i}", at=at)


def writes(store: Store):
    """name -> a write taking `at` (None: now). Each is acceptable at either moment."""
    steps = iter(range(10**9))
    middle = store.query("SELECT ref FROM incidents ORDER BY number LIMIT 1"
                         " OFFSET (SELECT COUNT(*) / 2 FROM incidents)")[0]["ref"]

    return {
        "note": lambda at: c.note(store, f"bench {next(steps)}", at=at),
        "incident update": lambda at: c.update_incident(store, middle, note="bench", at=at),
        "decision (runbook)": lambda at: c.decide(store, "go", "Hélène Marchand", "bench", at=at),
        "kpi reading": lambda at: c.record_kpi(store, "p95_latency", 812, at=at),
    }


def timed(write, at) -> float:
    began = time.perf_counter()
    write(at)
    return (time.perf_counter() - began) * 1000


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[max(0, int(len(ordered) * 0.99) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "day.db"
        now = timefmt.now_ms()
        began = time.perf_counter()
        build_day(path, args.events, now)
        print(f"built a day of {args.events:,} events in {time.perf_counter() - began:.0f} s", flush=True)
        with Store(path, "Léo") as store:
            all_present, all_back = [], []
            for name, write in writes(store).items():
                present, back = [], []
                for _ in range(args.rounds):
                    present.append(timed(write, None))
                    back.append(timed(write, timefmt.now_ms() - HOUR))
                all_present += present
                all_back += back
                (p50, p99), (b50, b99) = percentiles(present), percentiles(back)
                print(f"{name:30} present p50 {p50:6.2f} ms p99 {p99:6.2f} ms | backdated 1 h "
                      f"p50 {b50:6.2f} ms p99 {b99:6.2f} ms | p99 ratio {b99 / p99:.2f}x", flush=True)
            (p50, p99), (b50, b99) = percentiles(all_present), percentiles(all_back)
            print(f"{'all writes':30} present p50 {p50:6.2f} ms p99 {p99:6.2f} ms | backdated 1 h "
                  f"p50 {b50:6.2f} ms p99 {b99:6.2f} ms | p99 ratio {b99 / p99:.2f}x (goal <= 10x)")
            print(f"verify: {store.verify() or 'ok'}")


if __name__ == "__main__":
    main()
