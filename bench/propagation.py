"""From commit to screen: N console processes (1, 4, 16) open on one war room file, a separate
writer process records notes; for every console and every note, the delay between the
writer's commit and the console's next screen refresh showing it.

The baseline, in the same run: as many bare pollers (no Textual: `PRAGMA data_version` on
the same 100 ms beat, then a read of the new events), the floor that polling sets.

    python bench/propagation.py [--consoles 1 4 16] [--writes 30]

Goal: p95 under 300 ms with 16 consoles. Prints one line of figures per console count.
"""
from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from warroom.app import POLL_SECONDS
from warroom.demo_day import create_demo
from warroom.store import commands
from warroom.store.store import Store

GOAL_MS = 300
PAUSE_S = (0.3, 0.7)  # between two writes: a busy war room, two entries a second


def run_console(db: Path, out: Path) -> None:
    """A headless console that notes when each journal event reached its screen."""
    from warroom.app import WarRoomApp

    class TracedConsole(WarRoomApp):
        def on_ready(self) -> None:
            self.switch_mode("timeline")  # where a note shows
            self.trace = out.open("a", buffering=1)
            self.room_changed.subscribe(self, self.changed)
            self.set_interval(0.2, self.say_ready)

        def say_ready(self) -> None:
            if self.room.loaded and not getattr(self, "said", False):
                self.said = True
                self.trace.write("ready\n")

        def changed(self, delta) -> None:
            self.call_after_refresh(self.shown, [e["id"] for e in delta.events])

        def shown(self, ids: list[int]) -> None:
            now = time.time()
            self.trace.writelines(f"{event_id} {now}\n" for event_id in ids)

    TracedConsole(db, "console").run(headless=True, size=(120, 40))


def run_poller(db: Path, out: Path) -> None:
    """The baseline: the console's poll, without the console."""
    conn = sqlite3.connect(db)
    version = conn.execute("PRAGMA data_version").fetchone()[0]
    last = conn.execute("SELECT MAX(id) FROM events").fetchone()[0]
    with out.open("a", buffering=1) as trace:
        trace.write("ready\n")
        while True:
            time.sleep(POLL_SECONDS)
            moved = conn.execute("PRAGMA data_version").fetchone()[0]
            if moved != version:
                version = moved
                ids = [r[0] for r in conn.execute("SELECT id FROM events WHERE id > ? ORDER BY id", (last,))]
                now = time.time()
                trace.writelines(f"{event_id} {now}\n" for event_id in ids)
                last = ids[-1] if ids else last


def run_writer(db: Path, writes: int, out: Path) -> None:
    with Store(db, "writer") as store, out.open("w") as log:
        for i in range(writes):
            time.sleep(random.uniform(*PAUSE_S))
            event = commands.note(store, f"propagation {i}")["event"]
            log.write(f"{event} {time.time()}\n")


def measure(db: Path, consoles: int, writes: int, folder: Path, role: str = "--console") -> list[float]:
    """Delays in ms, for every (reader, write) pair; `role` is --console or --poller."""
    outs = [folder / f"{role[2:]}-{consoles}-{i}.txt" for i in range(consoles)]
    procs = [subprocess.Popen([sys.executable, __file__, role, str(db), str(out)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for out in outs]
    try:
        deadline = time.time() + 120
        while not all(out.exists() and "ready" in out.read_text() for out in outs):
            if time.time() > deadline:
                raise TimeoutError("the consoles did not start")
            time.sleep(0.2)
        written = folder / f"writer-{role[2:]}-{consoles}.txt"
        subprocess.run([sys.executable, __file__, "--writer", str(db), str(writes), str(written)], check=True)
        time.sleep(1.5)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait()
    committed = dict(_pairs(written))
    delays = []
    for out in outs:
        shown = dict(_pairs(out))
        delays += [(shown[e] - t) * 1000 for e, t in committed.items() if e in shown]
    missing = consoles * len(committed) - len(delays)
    if missing:
        raise AssertionError(f"{missing} (console, event) pairs never shown")
    return delays


def _pairs(path: Path):
    for line in path.read_text().splitlines():
        if line != "ready":
            event, moment = line.split()
            yield int(event), float(moment)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--consoles", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--writes", type=int, default=30)
    parser.add_argument("--console", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--poller", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--writer", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.console:
        run_console(Path(args.console[0]), Path(args.console[1]))
        return
    if args.poller:
        run_poller(Path(args.poller[0]), Path(args.poller[1]))
        return
    if args.writer:
        run_writer(Path(args.writer[0]), int(args.writer[1]), Path(args.writer[2]))
        return
    folder = Path(tempfile.mkdtemp())
    db = folder / "demo.db"
    create_demo(db, "bench")
    for count in args.consoles:
        delays = sorted(measure(db, count, args.writes, folder))
        floor = sorted(measure(db, count, args.writes, folder, "--poller"))
        p95, floor_p95 = _p95(delays), _p95(floor)
        print(f"propagation: {count} consoles on the Timeline, {args.writes} writes ~2/s: "
              f"p50 {statistics.median(delays):.0f} ms, "
              f"p95 {p95:.0f} ms, max {delays[-1]:.0f} ms; bare pollers p95 {floor_p95:.0f} ms, "
              f"ratio {p95 / floor_p95:.2f} (goal p95 < {GOAL_MS}: {'met' if p95 < GOAL_MS else 'MISSED'})", flush=True)


def _p95(sorted_delays: list[float]) -> float:
    return sorted_delays[int(0.95 * (len(sorted_delays) - 1))]


if __name__ == "__main__":
    main()
