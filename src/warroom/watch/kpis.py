"""The KPIs that have a source, as `init` stored them from the plan, and how a source's
result is recorded (as the operator `kpi-watch`) and shown."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ..domain.numbers import format_number
from ..store import commands, queries
from ..store.store import Answer, Store
from .source import Reading, run

OPERATOR = "kpi-watch"  # who the readings are recorded by
MAX_WORKERS = 16  # sources run at once; the others wait their turn


@dataclass(frozen=True)
class WatchedKpi:
    key: str
    unit: str
    command: str
    every: int  # seconds between two runs
    timeout: int  # seconds a run may take

    def result(self, reading: Reading) -> str:
        """'3.2%', or 'FAILED: exit 1: no route to host'."""
        if reading.value is None:
            return f"FAILED: {reading.error}"
        return format_number(reading.value, self.unit)


def watched(store: Store) -> list[WatchedKpi]:
    """The KPIs whose plan gives a source, in the plan's order. The plan cannot change
    under a war room: read once."""
    return [WatchedKpi(k["key"], k["unit"], k["source"]["command"], int(k["source"]["every"]),
                       int(k["source"]["timeout"])) for k in queries.kpi_sources(store)]


def folder(store: Store) -> Path:
    """Where the sources run: the war room file's directory."""
    return store.path.absolute().parent


def record(store: Store, kpi: str, reading: Reading, period: int | None = None) -> Answer:
    """A reading or a failed reading; with `period`, refused (commands.AlreadyRead) when
    that period of the KPI is recorded already."""
    if reading.value is not None:
        return commands.record_kpi(store, kpi, reading.value, source=True, period=period)
    return commands.record_kpi_failure(store, kpi, reading.error or "no output", period=period)


def check(store: Store, kpis: list[WatchedKpi], cancel: threading.Event) -> list[tuple[WatchedKpi, Reading, Answer]]:
    """Every source run once, all at once, each result recorded (no period: a check is not
    one of the watcher's runs); nothing is, once `cancel` is set (the runs are killed)."""
    where = folder(store)
    with ThreadPoolExecutor(min(len(kpis), MAX_WORKERS) or 1) as pool:
        readings = list(pool.map(lambda kpi: run(kpi.command, kpi.timeout, where, cancel), kpis))
    if cancel.is_set():
        return []
    return [(kpi, reading, record(store, kpi.key, reading)) for kpi, reading in zip(kpis, readings, strict=True)]
