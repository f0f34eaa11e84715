"""Writer processes on one war room file: warroom's own write path vs raw sqlite3 doing the
same transactions (BEGIN IMMEDIATE, read the chain head, insert a note and its journal row,
COMMIT; WAL, synchronous=FULL), measured in the same run.

Prints one line per case: commits/s, ratio to raw, p99 and max commit latency, errors, lost.
Usage: python bench/writers.py [--seconds 3]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing as mp
import random
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from warroom.plan import load_plan
from warroom.store import commands
from warroom.store.db import connect
from warroom.store.store import Store

PLAN = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "small.yaml"


def make_room(directory: Path, name: str) -> Path:
    path = directory / f"{name}.db"
    with Store.create(path, "bench") as store:
        commands.init(store, load_plan(PLAN))
    return path


def warroom_writer(path: str, tag: str):
    store = Store(path, tag)

    def write(text: str) -> None:
        commands.note(store, text)
    return write


def raw_writer(path: str, tag: str):
    conn = connect(path)

    def write(text: str) -> None:
        now = int(time.time() * 1000)
        conn.execute("BEGIN IMMEDIATE")
        try:
            head = conn.execute("SELECT id, hash FROM events ORDER BY id DESC LIMIT 1").fetchone()
            conn.execute("INSERT INTO notes (text, tags, operator, happened_at, recorded_at, rev)"
                         " VALUES (?, '[]', ?, ?, ?, ?)", (text, tag, now, now, head[0] + 1))
            payload = json.dumps({"text": text})
            digest = hashlib.sha256(f"{head[1]}{payload}".encode()).hexdigest()
            conn.execute("INSERT INTO events (id, happened_at, recorded_at, operator, action, entity, entity_id,"
                         " payload, login, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                         (head[0] + 1, now, now, tag, "note", "note", None, payload, tag, head[1], digest))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return write


def worker(kind: str, path: str, tag: str, seconds: float, rate: float | None, start_at: float, out):
    write = (warroom_writer if kind == "warroom" else raw_writer)(path, tag)
    latencies, errors, acked = [], 0, []
    while time.time() < start_at:
        time.sleep(0.001)
    deadline, i = start_at + seconds, 0
    phase = random.random() / rate if rate else 0.0  # independent writers are not in step
    while time.time() < deadline:
        if rate:
            time.sleep(max(0.0, start_at + phase + i / rate - time.time()))
        text = f"{tag}-{i}"
        began = time.perf_counter()
        try:
            write(text)
            acked.append(text)
        except Exception:  # counted, reported as errors
            errors += 1
        latencies.append(time.perf_counter() - began)
        i += 1
    out.put((latencies, errors, acked))


def run_case(kind: str, directory: Path, writers: int, seconds: float, rate: float | None) -> dict:
    path = make_room(directory, f"{kind}-{writers}-{rate}")
    queue: mp.Queue = mp.Queue()
    start_at = time.time() + 1.0
    procs = [mp.Process(target=worker, args=(kind, str(path), f"w{n}", seconds, rate, start_at, queue))
             for n in range(writers)]
    for p in procs:
        p.start()
    results = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    latencies = sorted(lat for r in results for lat in r[0])
    acked = {t for r in results for t in r[2]}
    conn = sqlite3.connect(path)
    stored = {row[0] for row in conn.execute("SELECT text FROM notes")}
    conn.close()
    return {
        "commits_s": len(acked) / seconds,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000 if latencies else 0.0,
        "max_ms": latencies[-1] * 1000 if latencies else 0.0,
        "median_ms": statistics.median(latencies) * 1000 if latencies else 0.0,
        "errors": sum(r[1] for r in results),
        "lost": len(acked - stored),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        for writers in (1, 4, 8, 16):
            raw = run_case("raw", directory, writers, args.seconds, None)
            ours = run_case("warroom", directory, writers, args.seconds, None)
            print(f"{writers:>2} writers, flat out: warroom {ours['commits_s']:7.1f} commits/s, "
                  f"raw {raw['commits_s']:7.1f}, ratio {ours['commits_s'] / raw['commits_s']:.2f}x; "
                  f"p99 {ours['p99_ms']:.1f} ms (raw {raw['p99_ms']:.1f}), max {ours['max_ms']:.1f} ms "
                  f"(raw {raw['max_ms']:.1f}); "
                  f"errors {ours['errors']}, lost {ours['lost']} (raw errors {raw['errors']}, lost {raw['lost']})",
                  flush=True)
        raw = run_case("raw", directory, 16, args.seconds * 2, 5.0)
        ours = run_case("warroom", directory, 16, args.seconds * 2, 5.0)
        print(f"16 writers at 5 commands/s each: warroom {ours['commits_s']:.1f} commits/s, "
              f"p99 {ours['p99_ms']:.1f} ms (goal < 10), median {ours['median_ms']:.1f} ms, "
              f"max {ours['max_ms']:.1f} ms "
              f"(raw p99 {raw['p99_ms']:.1f} ms, ratio {ours['p99_ms'] / raw['p99_ms']:.2f}x); "
              f"errors {ours['errors']}, lost {ours['lost']}", flush=True)


if __name__ == "__main__":
    main()
