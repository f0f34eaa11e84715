"""War rooms whose KPIs have sources, the watcher run as a real process, and what it left in
the file and on the host."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from warroom.plan import load_plan
from warroom.store import commands
from warroom.store.store import Store

PLAN = """\
warroom: Watched go-live
timezone: UTC
golive: 2026-11-24T20:00
roles:
  - {key: rm, title: Release manager, may_decide_rollback: true}
steps:
  - {id: deploy, title: Deploy, phase: day, owner: rm, start: H, duration: 30m}
kpis: """


def source(key: str, command: str, every: str = "1s", timeout: str = "1s", unit: str = "") -> dict[str, Any]:
    return {"key": key, "name": key.title(), "unit": unit, "target": 1,
            "source": {"command": command, "every": every, "timeout": timeout}}


def make_room(folder: Path, kpis: list[dict[str, Any]]) -> Path:
    """A war room initialised from a plan with these KPIs (JSON is YAML)."""
    plan = folder / "plan.yaml"
    plan.write_text(PLAN + json.dumps(kpis) + "\n", encoding="utf-8")
    db = folder / "room.db"
    with Store.create(db, "setup") as store:
        commands.init(store, load_plan(plan))
    return db


def warroom(db: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "warroom", "--db", str(db), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen[str]) -> tuple[str, str]:
    out, err = proc.communicate(timeout=60)
    return out, err


def kpi_events(db: Path) -> list[dict[str, Any]]:
    """The KPI readings and failed readings of the journal, payload decoded."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT entity_id, action, payload, operator, happened_at FROM events"
                            " WHERE action IN ('kpi.record', 'kpi.fail') ORDER BY id").fetchall()
    finally:
        conn.close()
    return [{"kpi": k, "action": a, "operator": o, "at": at, **json.loads(p)} for k, a, p, o, at in rows]


def running(marker: str) -> list[int]:
    """The pids of live processes whose command line holds `marker` (zombies have none)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and entry.name != str(os.getpid()):
            try:
                line = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if marker in line:
                found.append(int(entry.name))
    return found


def wait_for(condition, seconds: float = 20.0) -> bool:
    """Whether `condition()` came true within `seconds` (a liveness wait, not a measure)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return bool(condition())
