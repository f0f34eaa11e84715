"""`warroom kpi watch` and `warroom kpi check` as real processes on a real file: each source's
period recorded once, as a reading or a failed reading, whatever the source does; two
watchers on one file; Ctrl-C."""
from __future__ import annotations

import json
import math
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from .conftest import finish, kpi_events, make_room, running, source, wait_for, warroom

SUMMARY = re.compile(r"kpi watch: stopped; (\d+) readings, (\d+) failed readings, (\d+) skipped")
FIVE = [
    source("number", "echo 42.5", unit="ms"),
    source("hangs", "sleep 30", every="2s", timeout="1s"),
    source("fails", "echo 'no route to host' >&2; exit 1"),
    source("garbage", "echo garbage"),
    source("nan", "echo NaN"),
]
EXPECTED_ERRORS = {"hangs": "timed out after 1s", "fails": "exit 1: no route to host",
                   "garbage": "not a number: garbage", "nan": "not a finite number: NaN"}


def periods(db: Path) -> Counter[tuple[str, int]]:
    return Counter((e["kpi"], e["period"]) for e in kpi_events(db))


def summary(out: str) -> tuple[int, int, int]:
    found = SUMMARY.search(out)
    assert found, out
    readings, failures, skipped = map(int, found.groups())
    return readings, failures, skipped


def test_every_source_gives_one_reading_or_failed_reading_per_period(tmp_path):
    db = make_room(tmp_path, FIVE)
    proc = warroom(db, "kpi", "watch", "--for", "4.5")
    out, err = finish(proc)
    assert proc.returncode == 0, err
    events = kpi_events(db)
    assert all(n == 1 for n in periods(db).values()), periods(db)  # never twice
    by_kpi = {k: [e for e in events if e["kpi"] == k] for k in (s["key"] for s in FIVE)}
    assert all(len(rows) >= 2 for rows in by_kpi.values()), {k: len(v) for k, v in by_kpi.items()}
    assert {(e["action"], e["value"], e["source"]) for e in by_kpi["number"]} == {("kpi.record", 42.5, True)}
    for kpi, error in EXPECTED_ERRORS.items():
        assert {(e["action"], e["error"]) for e in by_kpi[kpi]} == {("kpi.fail", error)}
        assert all("value" not in e for e in by_kpi[kpi])
    every = {s["key"]: int(s["source"]["every"][:-1]) * 1000 for s in FIVE}
    assert all(e["period"] * every[e["kpi"]] <= e["at"] for e in events)  # never before its period began
    assert all(e["operator"] == "kpi-watch" for e in events)
    readings, failures, skipped = summary(out)
    assert (readings, failures, skipped) == (len(by_kpi["number"]), len(events) - len(by_kpi["number"]), 0)
    assert "42.5 ms" in out and "nan FAILED: not a finite number: NaN" in out


def test_the_file_never_holds_a_reading_that_is_not_a_finite_number(tmp_path):
    db = make_room(tmp_path, [source("nan", "echo nan"), source("inf", "echo '{\"value\": Infinity}'"),
                              source("big", "echo 1e999")])
    proc = warroom(db, "kpi", "watch", "--for", "2")
    finish(proc)
    events = kpi_events(db)
    assert events and all(e["action"] == "kpi.fail" for e in events)
    conn = sqlite3.connect(db)
    values = [v for (v,) in conn.execute("SELECT value FROM kpi_readings")]
    conn.close()
    assert values and all(v is None or math.isfinite(v) for v in values)


def test_two_watchers_started_together_record_each_period_once(tmp_path):
    db = make_room(tmp_path, [source("number", "echo 1"), source("other", "echo 2"),
                              source("slow", "sleep 0.3; echo 3", every="2s")])
    procs = [warroom(db, "kpi", "watch", "--for", "4") for _ in range(2)]
    outs = [finish(proc) for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], outs
    standing = [out for out, _ in outs if "reads the sources; standing by" in out]
    assert len(standing) == 1, outs
    counted = periods(db)
    assert counted and all(n == 1 for n in counted.values()), counted
    assert sum(sum(summary(out)[:2]) for out, _ in outs) == sum(counted.values())


def test_a_watcher_on_standby_takes_over_when_the_reader_stops(tmp_path):
    db = make_room(tmp_path, [source("number", "echo 1"), source("other", "echo 2")])
    first = warroom(db, "kpi", "watch", "--for", "2")
    assert wait_for(lambda: bool(kpi_events(db)))
    second = warroom(db, "kpi", "watch", "--for", "9")
    (out1, err1), (out2, err2) = finish(first), finish(second)
    assert first.returncode == second.returncode == 0, err1 + err2
    assert "standing by" in out2 and "kpi watch: reading 2 KPI sources" in out2.split("standing by")[1]
    assert summary(out2)[0] > 0
    counted = periods(db)
    assert all(n == 1 for n in counted.values()), counted
    assert summary(out1)[0] + summary(out2)[0] == sum(counted.values())


def test_ctrl_c_stops_cleanly_and_kills_the_command_under_way(tmp_path):
    marker = f"sleep 30.{random.randrange(10**6):06d}"
    db = make_room(tmp_path, [source("number", "echo 1"),
                              source("hangs", f"{marker} | cat", every="20s", timeout="20s")])
    proc = warroom(db, "kpi", "watch")
    assert wait_for(lambda: bool(running(marker)))
    proc.send_signal(signal.SIGINT)
    out, err = finish(proc)
    assert proc.returncode == 0, err
    assert SUMMARY.search(out), out
    assert wait_for(lambda: not running(marker), 5)
    assert not [e for e in kpi_events(db) if e["kpi"] == "hangs"]  # cut short: nothing recorded for it


def test_a_term_signal_stops_it_too(tmp_path):
    db = make_room(tmp_path, [source("number", "echo 1")])
    proc = warroom(db, "kpi", "watch")
    assert wait_for(lambda: bool(kpi_events(db)))
    proc.send_signal(signal.SIGTERM)
    out, err = finish(proc)
    assert proc.returncode == 0 and SUMMARY.search(out), err


def test_check_runs_every_source_once_records_and_reports(tmp_path):
    db = make_room(tmp_path, [source("number", "echo 42.5", unit="ms"), source("fails", "exit 1"),
                              source("json", "echo '{\"value\": 3}'", unit="%")])
    proc = warroom(db, "kpi", "check")
    out, err = finish(proc)
    assert proc.returncode == 1, err
    lines = [re.sub(r"\s+\(\d+\.\ds\)$", "", line) for line in out.splitlines()]
    assert lines == ["number  42.5 ms", "fails   FAILED: exit 1", "json    3%"]
    events = kpi_events(db)
    assert [(e["kpi"], e["action"], e.get("value"), e.get("error")) for e in events] == [
        ("number", "kpi.record", 42.5, None), ("fails", "kpi.fail", None, "exit 1"), ("json", "kpi.record", 3, None)]
    assert all("period" not in e and e["operator"] == "kpi-watch" for e in events)


def test_check_exits_0_when_all_answer_and_speaks_json(tmp_path):
    db = make_room(tmp_path, [source("number", "echo 42.5")])
    proc = warroom(db, "kpi", "check", "--json")
    out, err = finish(proc)
    assert proc.returncode == 0, err
    [row] = json.loads(out)
    assert (row["kpi"], row["value"], row["error"]) == ("number", 42.5, None) and row["event"] > 0


def test_without_a_source_there_is_nothing_to_run(db_path):
    for command in ("watch", "check"):
        proc = warroom(db_path, "kpi", command)
        out, err = finish(proc)
        assert proc.returncode == 2 and out == "", err
        assert err.startswith("warroom: no KPI of this war room has a source")


# warroom run in a process that says its peak RSS as it ends (VmHWM: not inherited from the
# process that started it, as wait4's ru_maxrss is)
PEAK = """import runpy, sys
sys.argv = ["warroom", *sys.argv[1:]]
try:
    runpy.run_module("warroom", run_name="__main__")
finally:
    print(next(line for line in open("/proc/self/status") if line.startswith("VmHWM")), file=sys.stderr)
"""


def test_huge_output_does_not_blow_the_checker_up(tmp_path):
    db = make_room(tmp_path, [source("flood", "yes | head -c 300000000", timeout="10s", every="10s")])
    done = subprocess.run([sys.executable, "-c", PEAK, "--db", str(db), "kpi", "check"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done.stderr
    assert "flood  FAILED: more than 64 KiB of output" in done.stdout
    peak = re.search(r"VmHWM:\s+(\d+) kB", done.stderr)
    assert peak and int(peak.group(1)) < 150 * 1024  # reading it all would take 300 MB


def test_sources_of_a_plan_another_login_loaded_run_only_when_trusted(tmp_path, monkeypatch):
    """A source is a shell command run as whoever starts the watcher: a plan loaded by
    another login is not run on trust."""
    monkeypatch.setattr("warroom.store.store.os_login", lambda: "mallory")
    db = make_room(tmp_path, [source("answer", "echo 42")])
    monkeypatch.undo()
    _, err = finish(warroom(db, "kpi", "check"))
    assert "loaded by mallory" in err and "--trust mallory" in err and err.count("\n") == 1
    assert kpi_events(db) == []
    _, err = finish(warroom(db, "kpi", "watch", "--for", "1"))
    assert "loaded by mallory" in err and kpi_events(db) == []
    out, _ = finish(warroom(db, "kpi", "check", "--trust", "mallory"))
    assert "answer  42" in out
    assert [(e["kpi"], e["value"]) for e in kpi_events(db)] == [("answer", 42)]


def test_a_watcher_whose_file_is_moved_away_says_so_and_stops(tmp_path):
    """Recording on would go to a file nobody reads any more."""
    db = make_room(tmp_path, [source("answer", "echo 42")])
    watcher = warroom(db, "kpi", "watch")
    assert wait_for(lambda: kpi_events(db))
    db.rename(tmp_path / "moved.db")
    out, err = finish(watcher)
    assert watcher.returncode == 1
    assert "room.db is gone" in err and "stopping" in err
    assert "stopped;" in out


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_check_stopped_kills_its_sources_and_records_nothing(tmp_path, stop):
    marker = f"sleep 40.{random.randrange(10**6):06d}"
    db = make_room(tmp_path, [source("number", "echo 1"), source("hangs", marker, every="1m", timeout="50s")])
    proc = warroom(db, "kpi", "check")
    assert wait_for(lambda: bool(running(marker)))
    proc.send_signal(stop)
    _, err = finish(proc)
    assert proc.returncode == 130 and "nothing recorded" in err
    assert wait_for(lambda: not running(marker), 5)
    assert kpi_events(db) == []


def test_check_speaks_the_recorded_error_in_json(tmp_path):
    db = make_room(tmp_path, [source("loud", "printf 'bad\\033[31m\\n' >&2; exit 3")])
    proc = warroom(db, "--json", "kpi", "check")
    out, _ = finish(proc)
    assert json.loads(out)[0]["error"] == "exit 3: bad␛[31m" == kpi_events(db)[0]["error"]


def test_periods_that_go_by_while_the_file_is_locked_are_said_missed_not_made_up(tmp_path):
    db = make_room(tmp_path, [source("fast", "echo 1")])
    watcher = warroom(db, "kpi", "watch", "--for", "9")
    assert wait_for(lambda: kpi_events(db))
    blocker = sqlite3.connect(db, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    time.sleep(4)
    blocker.execute("COMMIT")
    blocker.close()
    out, err = finish(watcher)
    assert "went by unread" in err and "periods missed" in out
    periods = [e["period"] for e in kpi_events(db)]
    assert len(periods) == len(set(periods))
