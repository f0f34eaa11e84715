"""KPIs that collect themselves, at scale: one `warroom kpi watch` reading 50 sources every
10 s for 5 minutes, on a war room that consoles have open.

Figures: the periods recorded against the periods expected (goal: all, none twice); the
watcher's CPU time and peak memory, against its sources' own CPU time and a bare
interpreter that loads the same modules; the consoles' propagation (commit to screen, as
bench/propagation.py measures it, whose functions this reuses) while the watcher runs,
against the same consoles with no watcher, measured before and after it in the same run.

    python bench/kpi_watch.py [--minutes 5] [--kpis 50] [--every 10] [--consoles 4] [--writes 30]
"""
from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from propagation import _p95, measure

from warroom.plan import load_plan
from warroom.store import commands
from warroom.store.store import Store
from warroom.watch.watcher import start_offset_ms

ROUND_SECONDS = 25  # a propagation round: consoles starting, then ~2 writes a second
TICKS = os.sysconf("SC_CLK_TCK")
PLAN = """\
warroom: kpi watch bench
timezone: UTC
golive: 2026-11-24T20:00
roles:
  - {key: rm, title: Release manager, may_decide_rollback: true}
steps:
  - {id: deploy, title: Deploy, phase: day, owner: rm, start: H, duration: 30m}
kpis: """


def make_room(folder: Path, kpis: int, every: int) -> tuple[Path, list[str]]:
    """Half the sources `echo` a number, half `cat` a file beside the war room."""
    listed = []
    for i in range(kpis):
        command = f"echo {i}.5" if i % 2 else f"cat value-{i}.txt"
        (folder / f"value-{i}.txt").write_text(f"{i}\n")
        listed.append({"key": f"k{i:02d}", "name": f"KPI {i}", "target": 1,
                       "source": {"command": command, "every": f"{every}s", "timeout": f"{min(every, 5)}s"}})
    plan = folder / "plan.yaml"
    plan.write_text(PLAN + json.dumps(listed) + "\n")
    db = folder / "room.db"
    with Store.create(db, "bench") as store:
        commands.init(store, load_plan(plan))
    return db, [k["key"] for k in listed]


class Watcher:
    """`warroom kpi watch --for SECONDS` in its own process: when it began reading and when
    it stopped (by its output), its own CPU time and peak RSS (from /proc, sampled until it
    exits), and its sources' CPU time (its children's, from wait4)."""

    def __init__(self, db: Path, seconds: float):
        self.proc = subprocess.Popen([sys.executable, "-m", "warroom", "--db", str(db), "kpi", "watch",
                                      "--for", str(seconds)], stdout=subprocess.PIPE, text=True)
        self.ready = self.stopped = 0.0
        self.cpu = 0.0
        self.peak_kib = 0
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._sample, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)
            if line.startswith("kpi watch: reading"):
                self.ready = time.time()
            elif line.startswith("kpi watch: stopped"):
                self.stopped = time.time()

    def _sample(self) -> None:
        proc = Path(f"/proc/{self.proc.pid}")
        while True:
            try:
                fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
                status = (proc / "status").read_text()
            except OSError:
                return
            if fields[0] == "Z":
                return
            self.cpu = (int(fields[11]) + int(fields[12])) / TICKS
            self.peak_kib = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM"))
            time.sleep(0.5)

    def wait_until_reading(self) -> None:
        deadline = time.time() + 60
        while not self.ready:
            if time.time() > deadline or self.proc.poll() is not None:
                raise RuntimeError("the watcher did not start reading: " + "".join(self.lines))
            time.sleep(0.05)

    def finish(self) -> float:
        """Waits for it; the CPU seconds of its children (the source commands)."""
        _, status, usage = os.wait4(self.proc.pid, 0)
        self.proc.returncode = os.waitstatus_to_exitcode(status)
        if self.proc.returncode != 0:
            raise RuntimeError(f"the watcher exited {self.proc.returncode}")
        time.sleep(0.2)  # its last lines
        return usage.ru_utime + usage.ru_stime - self.cpu


def recorded(db: Path) -> Counter[tuple[str, int]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT entity_id, json_extract(payload, '$.period') AS period FROM events"
                            " WHERE action IN ('kpi.record', 'kpi.fail') AND period IS NOT NULL").fetchall()
    finally:
        conn.close()
    return Counter((kpi, period) for kpi, period in rows)


def expected(keys: list[str], every: int, ready: float, stopped: float) -> int:
    """Every period from the one under way when the watcher began reading to the last whose
    start (plus the KPI's offset) came before it stopped."""
    every_ms, first = every * 1000, int(ready * 1000) // (every * 1000)
    return sum(len([p for p in range(first, int(stopped * 1000) // every_ms + 1)
                    if p * every_ms + start_offset_ms(key, every) <= stopped * 1000]) for key in keys)


def bare_peak_kib() -> int:
    """A bare interpreter's peak RSS with the watcher's modules loaded (VmHWM: ru_maxrss
    would count the pages of this process, which started it)."""
    probe = ("import warroom.cli, warroom.watch.watcher; "
             "print(next(line for line in open('/proc/self/status') if line.startswith('VmHWM')).split()[1])")
    return int(subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout)


def propagation(db: Path, folder: Path, consoles: int, writes: int, name: str) -> list[float]:
    """One round of bench/propagation.py's measure, in a folder of its own (its traces append)."""
    round_folder = folder / name
    round_folder.mkdir()
    return measure(db, consoles, writes, round_folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--kpis", type=int, default=50)
    parser.add_argument("--every", type=int, default=10, help="seconds between two runs of a source")
    parser.add_argument("--consoles", type=int, default=4)
    parser.add_argument("--writes", type=int, default=30, help="notes per propagation round (~2 a second)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    db, keys = make_room(folder, args.kpis, args.every)
    seconds = args.minutes * 60

    before = propagation(db, folder, args.consoles, args.writes, "before")
    watcher = Watcher(db, seconds)
    watcher.wait_until_reading()
    during: list[float] = []
    while time.time() + ROUND_SECONDS < watcher.ready + seconds or not during:
        during += propagation(db, folder, args.consoles, args.writes, f"during-{len(during)}")
    sources_cpu = watcher.finish()
    after = propagation(db, folder, args.consoles, args.writes, "after")

    counts = recorded(db)
    want = expected(keys, args.every, watcher.ready, watcher.stopped)
    twice = sum(1 for n in counts.values() if n > 1)
    met = len(counts) == want and twice == 0
    watched = watcher.stopped - watcher.ready
    print(f"kpi watch: {args.kpis} KPIs every {args.every}s for {watched / 60:.1f} min: {len(counts)} of {want} "
          f"expected periods recorded, {twice} twice (goal: all, none twice: {'met' if met else 'MISSED'})")
    print(f"watcher CPU {watcher.cpu:.2f} s ({100 * watcher.cpu / watched:.2f}% of a core, "
          f"{1000 * watcher.cpu / max(1, sum(counts.values())):.1f} ms a reading); its sources' own CPU "
          f"{sources_cpu:.2f} s; ratio {watcher.cpu / sources_cpu:.2f}")
    bare = bare_peak_kib()
    print(f"watcher peak RSS {watcher.peak_kib / 1024:.1f} MB; a bare interpreter with its modules "
          f"{bare / 1024:.1f} MB; ratio {watcher.peak_kib / bare:.2f}")
    without = sorted(before + after)
    during.sort()
    print(f"propagation, {args.consoles} consoles on the Timeline: p95 {_p95(during):.0f} ms while watching "
          f"({len(during)} samples) vs {_p95(without):.0f} ms without ({len(without)} samples), ratio "
          f"{_p95(during) / _p95(without):.2f}; p50 {statistics.median(during):.0f} vs "
          f"{statistics.median(without):.0f} ms", flush=True)


if __name__ == "__main__":
    main()
