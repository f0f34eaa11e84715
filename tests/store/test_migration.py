"""A file written before time order (schema 1) opens, is rebuilt from its journal, and its
old facts are kept as they were accepted: never judged again, and never in the way."""
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from warroom.domain import timefmt
from warroom.domain.rules import RuleError
from warroom.plan import load_plan
from warroom.store import commands, journal, queries
from warroom.store.files import StoreError
from warroom.store.schema import _V1, APPLICATION_ID
from warroom.store.store import Store

REPRO = Path(__file__).resolve().parent.parent / "fixtures" / "repro.yaml"


def T(iso: str) -> int:
    return timefmt.to_ms(datetime.fromisoformat(iso).replace(tzinfo=UTC))


def schema_1_file(path: Path, facts: list[tuple]) -> Path:
    """A schema-1 war room as the previous version wrote it: its journal, in its payload shapes
    (the state tables are left empty: the migration rebuilds them)."""
    plan = load_plan(REPRO)
    init = ("init", "warroom", None, {"name": plan.name, "timezone": plan.timezone, "golive": plan.golive,
                                      "plan": plan.source, "steps": 3, "roles": 2}, T("2026-11-28T09:00"), "Ann")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript(_V1)
    prev = journal.GENESIS
    for event_id, (action, entity, entity_id, payload, at, operator) in enumerate([init, *facts], 1):
        row = (event_id, at, at, operator, action, entity, entity_id, journal.to_json(payload))
        conn.execute("INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?,?)", (*row, prev, journal.chain_hash(prev, row)))
        prev = journal.chain_hash(prev, row)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute("PRAGMA user_version = 1")
    conn.close()
    return path


OPEN = ("incident.open", "incident", "INC-1", {"ref": "INC-1", "title": "Checkout 500s", "severity": 2,
                                               "owner": None, "step": None, "risk": None}, T("2026-11-30T10:00"), "Ann")
EARLY_UPDATE = ("incident.update", "incident", "INC-1", {"from": "open", "status": "investigating", "severity": 2,
                                                         "previous_severity": 2, "note": "typed late"},
                T("2026-11-30T09:50"), "Ann")
D8_START = ("step.start", "step", "d8", {"from": "pending", "to": "in_progress", "note": "", "forced": []},
            T("2026-11-29T10:00"), "Bob")
D8_DONE = ("step.done", "step", "d8", {"from": "in_progress", "to": "done", "note": "", "forced": []},
           T("2026-11-29T10:30"), "Bob")
ZED_SIGNS = ("gate.signoff", "step", "gate", {"role": "rm", "verdict": "go", "note": "", "gate_state": "waiting"},
             T("2026-11-30T09:00"), "Zed")


def test_an_old_journal_out_of_time_order_opens_and_says_what_it_leaves_out(tmp_path):
    path = schema_1_file(tmp_path / "old.db", [OPEN, EARLY_UPDATE])
    with Store(path, "Ann") as store:
        assert queries.status(store)["incidents"]["total"] == 1
        assert store.query("SELECT status FROM incidents") == [{"status": "open"}]
        assert store.verify() == ["journal: #3 is left out of the war room: INC-1 was not open yet at that time "
                                  "(correct its time or retract it)"]
        commands.correct(store, 3, T("2026-11-30T10:05"), "typed with the wrong hour")
        assert store.query("SELECT status FROM incidents") == [{"status": "investigating"}]
        assert store.verify() == []


def test_old_facts_accepted_under_the_old_rules_are_not_judged_again(tmp_path):
    path = schema_1_file(tmp_path / "old.db", [D8_START, D8_DONE, ZED_SIGNS])
    with Store(path, "Ann") as store:
        assert store.query("SELECT gate, signed_by FROM signoffs") == [{"gate": "gate", "signed_by": "Zed"}]
        commands.decide(store, "hold", "Ann", "hold before the gate", at=T("2026-11-30T08:00"))
        commands.correct(store, 3, T("2026-11-29T10:20"), "done ten minutes earlier")
        assert store.query("SELECT ended_at FROM steps WHERE id = 'd8'") == [{"ended_at": T("2026-11-29T10:20")}]
        assert store.verify() == []
    with Store(path, "Bob") as bob, pytest.raises(RuleError, match="Bob does not hold rm"):
        commands.signoff(bob, "gate", "rm", "go", at=T("2026-11-30T09:05"))  # a new fact is judged


def test_old_state_rows_that_point_at_each_other_are_rebuilt(tmp_path):
    """Schema 1 numbered decisions 1, 2 ... and the second superseded the first: the rebuild
    (decisions named by their events) removes them whatever the order."""
    hold = ("decision.hold", "decision", "1", {"id": 1, "kind": "hold", "decided_by": "Ann", "rationale": "errors",
                                              "step": None, "incident": None, "forced": False, "supersedes": None},
            T("2026-11-30T09:00"), "Ann")
    resume = ("decision.resume", "decision", "2", {"id": 2, "kind": "resume", "decided_by": "Ann", "rationale": "ok",
                                                  "step": None, "incident": None, "forced": False, "supersedes": 1},
              T("2026-11-30T09:10"), "Ann")
    notes = [("note", "note", str(i), {"text": f"note {i}", "tags": [], "id": i}, T("2026-11-30T08:00"), "Ann")
             for i in (1, 2)]
    path = schema_1_file(tmp_path / "old.db", [*notes, hold, resume])
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA foreign_keys = ON")
        for number, kind, supersedes, at in ((1, "hold", None, "09:00"), (2, "resume", 1, "09:10")):
            conn.execute("INSERT INTO decisions VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                         (number, kind, "Ann", "Ann", "x", None, None, 0, supersedes,
                          T(f"2026-11-30T{at}"), T(f"2026-11-30T{at}"), number + 1))
    with Store(path, "Ann") as store:
        assert store.query("SELECT id, supersedes FROM decisions ORDER BY id") == [
            {"id": 4, "supersedes": None}, {"id": 5, "supersedes": 4}]
        assert store.verify() == []


def test_kpi_readings_and_baselines_come_through_the_schema_4_rebuild_of_their_tables(tmp_path):
    reading = ("kpi.record", "kpi", "errors", {"value": 0.7}, T("2026-11-30T10:05"), "Ann")
    path = schema_1_file(tmp_path / "old.db", [reading])
    with Store(path, "Ann") as store:
        assert store.query("SELECT key, baseline, target, source FROM kpis") == [
            {"key": "errors", "baseline": 1.0, "target": 0.5, "source": None}]
        assert [(r["kpi"], r["value"], r["error"]) for r in store.query("SELECT * FROM kpi_readings")] == [
            ("errors", 0.7, None)]
        with pytest.raises(sqlite3.IntegrityError):  # a reading is a number or an error, never both nor neither
            store.conn.execute("INSERT INTO kpi_readings (kpi, value, error, operator, happened_at, recorded_at, rev)"
                               " VALUES ('errors', NULL, NULL, 'x', 0, 0, 0)")
        commands.record_kpi_failure(store, "errors", "exit 1")
        assert store.verify() == []


def test_an_older_file_opened_read_only_is_refused_with_what_to_do(tmp_path):
    """Read-only, it cannot be brought up to date, and this version reads tables it lacks."""
    path = schema_1_file(tmp_path / "old.db", [OPEN])
    with pytest.raises(StoreError, match=r"older warroom \(schema 1, .* open it once with the right to write"):
        Store(path, "Ann", readonly=True)
    with Store(path, "Ann") as store:  # opened to write: brought up to date
        assert store.query("SELECT ref FROM incidents") == [{"ref": "INC-1"}]
    with Store(path, "Ann", readonly=True) as store:
        assert store.query("SELECT COUNT(*) AS n FROM followups") == [{"n": 0}]
