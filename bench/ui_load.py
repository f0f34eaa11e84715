"""The console under load: the longest event-loop stall with 50,000 journal events and 2,000
incidents, while opening (load, then every screen) and while a burst of 500 events arrives
from another process; and the console process's peak memory. The baseline, in the same run:
a bare Textual app (a header, a label, a footer) under the same stall meter and key presses.

    python bench/ui_load.py [--db PATH] [--events 50000] [--incidents 2000] [--burst 500]

Goals: every stall under 100 ms, peak memory under 150 MB. Prints one line of figures.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from warroom.demo_day import create_demo
from warroom.store import commands
from warroom.store.store import Store

STALL_GOAL_MS, MEMORY_GOAL_MB = 100, 150


def build(path: Path, events: int, incidents: int) -> None:
    """The demo day, then incidents and notes until the journal holds `events` events."""
    create_demo(path, "bench")
    with Store(path, "bench-writer") as store:
        store.conn.execute("PRAGMA synchronous = OFF")  # building the fixture only
        for i in range(incidents):
            commands.open_incident(store, f"Load incident {i}: checkout latency above {i % 900} ms", 1 + i % 4)
        start = store.conn.execute("SELECT MAX(id) FROM events").fetchone()[0]
        for i in range(events - start):
            if i % 3:
                commands.note(store, f"note {i}: watching the dashboards", tags=("load",))
            else:
                commands.update_incident(store, f"INC-{1 + i % incidents}", note=f"update {i}")


def burst(path: Path, count: int) -> None:
    with Store(path, "burst-writer") as store:
        for i in range(count):
            if i % 2:
                commands.note(store, f"burst {i}")
            else:
                commands.update_incident(store, f"INC-{1 + i % 50}", note=f"burst update {i}")


class StallMeter:
    """The longest delay of a 5 ms sleep on the event loop since the last reset."""

    def __init__(self):
        self.worst = 0.0
        self.task: asyncio.Task | None = None

    async def run(self) -> None:
        while True:
            started = time.perf_counter()
            await asyncio.sleep(0.005)
            self.worst = max(self.worst, time.perf_counter() - started - 0.005)

    def take(self) -> float:
        worst, self.worst = self.worst, 0.0
        return worst * 1000


async def bare_app() -> dict:
    """The baseline: what the same meter sees on an app with nothing to show."""
    from textual.app import App
    from textual.widgets import Footer, Header, Label

    class Bare(App):
        def compose(self):
            yield Header()
            yield Label("bare app")
            yield Footer()

    meter = StallMeter()
    meter_task = asyncio.create_task(meter.run())
    await asyncio.sleep(0.05)
    async with Bare().run_test(size=(120, 40)) as pilot:
        meter.take()
        for key in "12345616":
            await pilot.press(key)
            await pilot.pause(0.5)
        stall = meter.take()
    meter_task.cancel()
    return {"stall_ms": round(stall, 1), "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


async def console(path: Path, expect_burst: int) -> dict:
    from warroom.app import WarRoomApp

    meter = StallMeter()
    meter_task = asyncio.create_task(meter.run())
    await asyncio.sleep(0.05)
    started = time.perf_counter()
    app = WarRoomApp(path, "bench")
    async with app.run_test(size=(120, 40)) as pilot:
        boot = meter.take()  # Textual's own start-up (CSS, first compose): the same for any app
        while not app.room.loaded:
            await pilot.pause(0.01)
        loaded_ms = (time.perf_counter() - started) * 1000
        meter.take()
        stalls = {}
        for key in "12345616":
            await pilot.press(key)
            await app.workers.wait_for_complete()
            await pilot.pause(0.5)
            stalls[f"{app.screen.TITLE} ({len(stalls) + 1})"] = meter.take()
        opening = max(stalls.values())
        worst_screen = max(stalls, key=stalls.get)
        target = app.room.last_id + expect_burst
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)  # the burst has been written
        while app.room.last_id < target:
            await pilot.pause(0.01)
        await pilot.pause(1.0)
        burst_stall = meter.take()
    meter_task.cancel()
    return {"load_ms": round(loaded_ms), "boot_stall_ms": round(boot, 1), "open_stall_ms": round(opening, 1),
            "worst_screen": worst_screen, "burst_stall_ms": round(burst_stall, 1),
            "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path)
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--incidents", type=int, default=2_000)
    parser.add_argument("--burst", type=int, default=500)
    parser.add_argument("--console", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--bare", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare:
        print(json.dumps(asyncio.run(bare_app())), flush=True)
        return
    if args.console:
        print(json.dumps(asyncio.run(console(args.db, args.burst))), flush=True)
        return
    path = args.db or Path(tempfile.mkdtemp()) / "load.db"
    if not path.exists():
        build(path, args.events, args.incidents)
    child = subprocess.Popen([sys.executable, __file__, "--console", "--db", str(path), "--burst", str(args.burst)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "ready"
    burst(path, args.burst)
    child.stdin.write("go\n")
    child.stdin.flush()
    figures = json.loads(child.stdout.readline())
    child.wait()
    bare = json.loads(subprocess.run([sys.executable, __file__, "--bare"], capture_output=True, text=True,
                                     check=True).stdout)
    worst = max(figures["open_stall_ms"], figures["burst_stall_ms"])
    print(f"ui_load: events {args.events} incidents {args.incidents} burst {args.burst}: "
          f"load {figures['load_ms']} ms, max stall at boot {figures['boot_stall_ms']} ms (Textual start-up), "
          f"opening and switching {figures['open_stall_ms']} ms (worst: {figures['worst_screen']}), "
          f"during burst {figures['burst_stall_ms']} ms; a bare Textual app {bare['stall_ms']} ms, "
          f"ratio {worst / max(bare['stall_ms'], 1):.1f} (goal < {STALL_GOAL_MS}: "
          f"{'met' if worst < STALL_GOAL_MS else 'MISSED'}); peak memory {figures['peak_mb']} MB, "
          f"bare app {bare['peak_mb']} MB, ratio {figures['peak_mb'] / bare['peak_mb']:.2f} "
          f"(goal < {MEMORY_GOAL_MB}: {'met' if figures['peak_mb'] < MEMORY_GOAL_MB else 'MISSED'})")

if __name__ == "__main__":
    main()
