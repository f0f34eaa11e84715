"""`warroom kpi watch`: every source run on its cadence, each result recorded.

Time is cut in periods: for a source run every E seconds, period N is the span that starts
at N × E since the epoch, so every watcher on the host counts the same periods. A source
runs once per period, at its start (plus a fixed offset per KPI, under a second, so that
fifty sources do not all start in the same millisecond), and never twice at once: its
timeout is not longer than its period (the plan says so).

The commands run in a pool of threads; every database write is made by the loop's thread,
through the commands (`record_kpi`, `record_kpi_failure`) with the period, which refuse a
period recorded already: two watchers never record one period twice. So that they do not
both run every command either, one holds the `kpi-watch` lease and reads; the others stand
by and take over when it gives the lease up (stopped) or lets it expire (killed)."""
from __future__ import annotations

import os
import queue
import secrets
import socket
import threading
import time
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from ..domain import timefmt
from ..store import lease
from ..store.commands import AlreadyRead
from ..store.feed import ChangeFeed
from ..store.store import Store
from .kpis import MAX_WORKERS, WatchedKpi, folder, record
from .source import Reading, run

LEASE = "kpi-watch"
LEASE_TTL_MS = 15_000
RENEW_SECONDS = 5.0  # a holder renews, a watcher on standby looks, this often
TICK = 0.1  # seconds between two looks at the clock, the results and a stop
TROUBLED = 3  # failed writes in a row after which the watcher says the file is in trouble

Say = Callable[[str], None]


@dataclass
class Tally:
    readings: int = 0
    failures: int = 0
    skipped: int = 0  # periods another watcher had recorded already
    troubles: int = 0  # results that could not be recorded
    missed: int = 0  # periods gone by before their source could run (the file busy, the host asleep)
    lost_file: str | None = None  # why it stopped: the war room file is gone or replaced

    def summary(self) -> str:
        trouble = f", {self.troubles} not recorded (see above)" if self.troubles else ""
        trouble += f", {self.missed} periods missed (see above)" if self.missed else ""
        return (f"kpi watch: stopped; {self.readings} readings, {self.failures} failed readings, "
                f"{self.skipped} skipped (recorded by another watcher){trouble}")


def start_offset_ms(kpi: str, every: int) -> int:
    """How long after its period's start a KPI's source runs: under a second and a tenth
    of its period, the same in every watcher, different from one KPI to the next."""
    return zlib.crc32(kpi.encode()) % min(1000, every * 100)


@dataclass(eq=False)
class _Slot:
    """One KPI's schedule: the next period it may run for, and whether a run is under way."""

    kpi: WatchedKpi
    offset_ms: int
    next_period: int = 0
    busy: bool = False

    def due(self, now_ms: int) -> int | None:
        """The period to run now, if one is due."""
        every_ms = self.kpi.every * 1000
        period = now_ms // every_ms
        if self.busy or period < self.next_period or now_ms < period * every_ms + self.offset_ms:
            return None
        return period


class Watcher:
    """Runs the sources until stopped (stop(), from a signal handler) or for a while."""

    def __init__(self, store: Store, kpis: list[WatchedKpi], tell: Say, warn: Say):
        self.store, self.tell, self.warn = store, tell, warn
        self.slots = [_Slot(k, start_offset_ms(k.key, k.every)) for k in kpis]
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.cwd, self.zone = folder(store), store.zone()
        self.tally = Tally()
        self.results: queue.Queue[tuple[_Slot, int, Reading]] = queue.Queue()
        self.cancel = threading.Event()
        self.stopping = False
        self.holding = self.standing_by = False
        self.lease_due = 0.0
        self.failed_writes = 0
        self.feed = ChangeFeed(store.path)  # tells when the path no longer names the file opened

    def stop(self) -> None:
        """Stop now: runs under way are killed and not recorded. Takes no lock: safe in a
        signal handler."""
        self.stopping = True

    def run(self, seconds: float | None = None) -> Tally:
        """Watch until stopped, or for `seconds` (then the runs under way are awaited and
        recorded, so that every period started is recorded once)."""
        end = None if seconds is None else time.monotonic() + seconds
        pool = ThreadPoolExecutor(min(len(self.slots), MAX_WORKERS), thread_name_prefix="kpi-source")
        try:
            while not self.stopping and (end is None or time.monotonic() < end):
                self._keep_lease()
                if self.holding:
                    self._start_due(pool)
                self._record_results(TICK)
            while not self.stopping and any(slot.busy for slot in self.slots):
                self._record_results(TICK)
        finally:
            self.cancel.set()
            pool.shutdown(wait=True, cancel_futures=True)
            self._release()
            self.feed.close()
        return self.tally

    # -- the lease -----------------------------------------------------------------------
    def _keep_lease(self) -> None:
        if time.monotonic() < self.lease_due:
            return
        self.lease_due = time.monotonic() + RENEW_SECONDS
        if trouble := self.feed.trouble():  # recording on would go to a file nobody reads
            self.warn(f"kpi watch: {trouble.detail}; stopping")
            self.tally.lost_file = trouble.short
            self.stopping, self.holding = True, False
            return
        try:
            holder = lease.claim(self.store.conn, LEASE, self.holder, LEASE_TTL_MS)
        except Exception as exc:  # the file in trouble: start nothing until the lease is sure
            self.warn(f"kpi watch: cannot renew the lease ({exc}); no source runs until it can")
            self.holding = False
            return
        held = holder == self.holder
        if held and not self.holding:
            self.tell(f"kpi watch: reading {len(self.slots)} KPI source{'s' * (len(self.slots) > 1)} "
                      f"as {self.store.operator} (Ctrl-C stops)")
        if not held and not self.standing_by:
            self.tell(f"kpi watch: another kpi watch ({holder}) reads the sources; standing by")
        if self.holding and not held:
            for slot in self.slots:  # whoever reads now owns the periods: none is ours to miss
                slot.next_period = 0
        self.holding, self.standing_by = held, not held

    def _release(self) -> None:
        if not self.holding:
            return
        try:
            lease.release(self.store.conn, LEASE, self.holder)
        except Exception as exc:  # it expires by itself
            self.warn(f"kpi watch: could not release the lease ({exc}); it expires in {LEASE_TTL_MS // 1000}s")

    # -- running and recording ------------------------------------------------------------
    def _start_due(self, pool: ThreadPoolExecutor) -> None:
        now = timefmt.now_ms()
        for slot in self.slots:
            period = slot.due(now)
            if period is not None:
                self._missed(slot, period)
                slot.busy, slot.next_period = True, period + 1
                pool.submit(self._run, slot, period)

    def _missed(self, slot: _Slot, period: int) -> None:
        """Say so when periods went by unread: a watcher never makes up a reading afterwards."""
        if slot.next_period and period > slot.next_period:
            gone = period - slot.next_period
            self.tally.missed += gone
            self.warn(f"kpi watch: {slot.kpi.key}: {gone} period{'s' * (gone > 1)} went by unread "
                      "(the file was busy, or the host asleep); reading again now")

    def _run(self, slot: _Slot, period: int) -> None:
        """In a pool thread: whatever happens, the loop learns that the run is over."""
        try:
            reading = run(slot.kpi.command, slot.kpi.timeout, self.cwd, self.cancel)
        except Exception as exc:
            reading = Reading(None, f"could not run: {exc}", 0.0)
        self.results.put((slot, period, reading))

    def _record_results(self, wait: float) -> None:
        try:
            item = self.results.get(timeout=wait)
        except queue.Empty:
            return
        while True:
            slot, period, reading = item
            slot.busy = False
            if not (self.stopping or reading.stopped):
                self._write(slot.kpi, period, reading)
            try:
                item = self.results.get_nowait()
            except queue.Empty:
                return

    def _write(self, kpi: WatchedKpi, period: int, reading: Reading) -> None:
        try:
            record(self.store, kpi.key, reading, period)
        except AlreadyRead:
            self.tally.skipped += 1
            return
        except Exception as exc:  # one result that cannot be recorded never stops the others
            self._trouble(kpi, period, exc)
            return
        self.failed_writes = 0
        if reading.value is None:
            self.tally.failures += 1
        else:
            self.tally.readings += 1
        self.tell(f"{timefmt.show(timefmt.now_ms(), self.zone, '%H:%M:%S')} {kpi.key} {kpi.result(reading)}")

    def _trouble(self, kpi: WatchedKpi, period: int, exc: Exception) -> None:
        self.tally.troubles += 1
        self.failed_writes += 1
        line = f"kpi watch: could not record {kpi.key} (period {period}): {type(exc).__name__}: {exc}"
        if self.failed_writes >= TROUBLED:
            line += (f"; {self.failed_writes} writes in a row have failed: is {self.store.path} still there, "
                     "writable, with room on its disk?")
        self.warn(line)
