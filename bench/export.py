"""Export of a 100,000-event war room in each format vs a raw dump of the same journal
(SELECT * FROM events, json.dump of all rows by Python's sqlite3), measured in the same run.

Each measurement runs in a fresh process that reports its own time for the work (imports
excluded) and its peak resident memory. Goal: every format within 3x of the raw dump's
time, peak memory under 150 MB.

Prints one line per format: seconds and ratio to raw, CPU seconds (the export verifies the
journal in a second process, in parallel), peak MB.
Usage: python bench/export.py [--events 100000] [--db PATH (reused if it exists)] [--runs 3]

warroom is imported inside the functions that use it: the raw dump's process must not load it.
"""
from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import ClassVar

PLAN = Path(__file__).resolve().parent.parent / "tests" / "export" / "day.yaml"
FORMATS = ("md", "html", "json", "csv")
SPACING_MS = 400  # events 0.4 s apart: 100,000 of them cover about eleven hours
TIME_GOAL, MEMORY_GOAL_MB = 3.0, 150


def build(path: Path, events: int) -> None:
    """A war room holding `events` journal events, all recorded through the real commands."""
    from warroom.plan import load_plan
    from warroom.store import commands
    from warroom.store.store import Store

    with Store.create(path, "bench") as store:
        plan = load_plan(PLAN)
        commands.init(store, plan)
        day = _Day(store, plan.golive - 2 * 3_600_000)
        for _ in range(events - 1):
            day.next()


class _Day:
    """A long, busy day: mostly logs (notes, KPI readings, messages), with incidents and
    their updates, decisions, hand-overs and the runbook moving along."""

    MIX: ClassVar[dict[str, int]] = {"note": 30, "kpi": 25, "message": 15, "draft": 3, "send": 3, "incident": 2,
           "update": 14, "decision": 5, "handover": 2, "checkpoint": 1}  # shares of the journal, %
    RUNBOOK_EVERY = 9000  # one runbook move every so many events

    def __init__(self, store, start: int):
        from warroom.store import commands

        self.c, self.store, self.t, self.count = commands, store, start, 1
        self.random = random.Random(4)
        self.open_incidents: list[str] = []
        self.mitigated: set[str] = set()
        self.drafts: list[int] = []
        self.tech = "Bob Chen"
        self.runbook = [("signoff", "gate-go", "rm"), ("signoff", "gate-go", "qa"),
                        *((action, step) for step in ("deploy", "migrate", "smoke", "announce")
                          for action in ("start", "done"))]

    def next(self) -> None:
        self.t += SPACING_MS
        self.count += 1
        if self.count % self.RUNBOOK_EVERY == 0 and self.runbook:
            return self._runbook(self.runbook.pop(0))
        kind = self.random.choices(list(self.MIX), weights=list(self.MIX.values()))[0]
        if (kind == "send" and not self.drafts) or (kind == "update" and not self.open_incidents):
            kind = "note"
        getattr(self, f"_{kind}")()

    def _note(self) -> None:
        tags = ("retro",) if self.random.random() < 0.02 else ()
        self.c.note(self.store, f"Observation {self.count}: queue depth {self.random.randint(0, 500)}, "
                                "p95 holding, nothing unusual — « ça tient » ✅", tags, at=self.t)

    def _kpi(self) -> None:
        kpi = self.random.choice(("conversion", "p95"))
        low, high = (2.5, 4.0) if kpi == "conversion" else (700, 1100)
        self.c.record_kpi(self.store, kpi, round(self.random.uniform(low, high), 2), at=self.t)

    def _message(self) -> None:
        self.c.log_message(self.store, self.random.choice(("sponsors", "support")),
                           f"Update {self.count}: on track, error rate 0.4 %, next update in 30 min.", at=self.t)

    def _draft(self) -> None:
        draft = self.c.log_message(self.store, "support", f"Draft {self.count}: checkout back", draft=True, at=self.t)
        self.drafts.append(draft["message"])

    def _send(self) -> None:
        self.c.send_message(self.store, self.drafts.pop(0), at=self.t)

    def _incident(self) -> None:
        opened = self.c.open_incident(self.store, f"Alert {self.count}: 5xx on /checkout",
                                      self.random.randint(1, 4), at=self.t)
        self.open_incidents.append(opened["incident"])

    def _update(self) -> None:
        ref, roll = self.random.choice(self.open_incidents), self.random.random()
        if roll < 0.5:
            self.c.update_incident(self.store, ref, note=f"still looking ({self.count})", at=self.t)
        elif roll > 0.8 or ref in self.mitigated:
            self.c.update_incident(self.store, ref, status="resolved", note="fixed", at=self.t)
            self.open_incidents.remove(ref)
        else:
            self.c.update_incident(self.store, ref, status="mitigated", note="flag off", at=self.t)
            self.mitigated.add(ref)

    def _decision(self) -> None:
        self.c.decide(self.store, self.random.choice(("go", "resume")), "Alice Martin",
                      f"Checkpoint {self.count}: all green", at=self.t)

    def _handover(self) -> None:
        self.tech = "Dmitri Ivanov" if self.tech == "Bob Chen" else "Bob Chen"
        self.c.assign(self.store, "tech", self.tech, contact="@oncall", at=self.t)

    def _checkpoint(self) -> None:
        self.c.note(self.store, f"Checkpoint {self.count} reviewed", ("checkpoint",), at=self.t)

    def _runbook(self, move: tuple) -> None:
        if move[0] == "signoff":
            self.c.signoff(self.store, move[1], move[2], "go", note="the bench signs for every role", force=True,
                           at=self.t)
        else:
            self.c.step(self.store, move[0], move[1], at=self.t)


def child(mode: str, db: str, out: str) -> None:
    """One measurement, in its own process: prints seconds and peak RSS as JSON."""
    if mode == "raw":
        import sqlite3

        started = time.perf_counter()
        conn = sqlite3.connect(db)
        with open(out, "w", encoding="utf-8") as f:
            json.dump(conn.execute("SELECT * FROM events").fetchall(), f)
    else:
        from warroom.export.read import Options
        from warroom.export.write import export
        from warroom.store.store import Store

        started = time.perf_counter()
        with Store(db, "bench") as store, open(out, "w", encoding="utf-8", newline="") as f:
            export(store, f, Options(fmt=mode), rewritable=True)
    seconds = time.perf_counter() - started
    own, helpers = (resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    cpu = own.ru_utime + own.ru_stime + helpers.ru_utime + helpers.ru_stime  # with the verifying process
    print(json.dumps({"seconds": seconds, "cpu": cpu, "peak_mb": max(own.ru_maxrss, helpers.ru_maxrss) / 1024}))


def measure(modes: tuple[str, ...], db: Path, directory: Path, runs: int) -> dict[str, tuple]:
    """Per mode over `runs` fresh processes: best time, best CPU time (the export's second
    process included), worst peak memory (either process), and the output's size. Modes take
    turns within each run, so that a busy moment of the host weighs on all of them."""
    results: dict[str, list[dict]] = {mode: [] for mode in modes}
    for _ in range(runs):
        for mode in modes:
            out = directory / f"out.{mode}"
            done = subprocess.run([sys.executable, __file__, "--child", mode, str(db), str(out)],
                                  check=True, capture_output=True, text=True)
            results[mode].append(json.loads(done.stdout) | {"size": out.stat().st_size})
    return {mode: (min(r["seconds"] for r in rs), min(r["cpu"] for r in rs), max(r["peak_mb"] for r in rs),
                   rs[-1]["size"]) for mode, rs in results.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--db", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", nargs=3, metavar=("MODE", "DB", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(*args.child)
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        db = args.db or directory / "bench.db"
        if not db.exists():
            started = time.perf_counter()
            build(db, args.events)
            print(f"built {db}: {args.events:,} events in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        figures = measure(("raw", *FORMATS), db, directory, args.runs)
        raw_s, raw_cpu, raw_mb, raw_size = figures["raw"]
        print(f"raw dump: {raw_s:.2f} s (cpu {raw_cpu:.2f} s), peak {raw_mb:.0f} MB, {raw_size / 1e6:.1f} MB written")
        for fmt in FORMATS:
            seconds, cpu, peak, size = figures[fmt]
            verdict = "ok" if seconds <= TIME_GOAL * raw_s and peak < MEMORY_GOAL_MB else "OVER GOAL"
            print(f"{fmt}: {seconds:.2f} s ({seconds / raw_s:.2f}x raw; cpu {cpu:.2f} s, {cpu / raw_cpu:.2f}x), "
                  f"peak {peak:.0f} MB, {size / 1e6:.1f} MB written — {verdict}")


if __name__ == "__main__":
    main()
