"""The board rebuilt from the journal: equal to the state tables at the end, and as it
stood at any earlier moment."""
import json

import pytest

from warroom.demo_day import create_demo
from warroom.store import commands as c
from warroom.store import queries
from warroom.store import reader as source
from warroom.store.queries import status_as_of
from warroom.store.rebuild import journal_board
from warroom.store.schema import JSON_COLUMNS
from warroom.store.store import Store

from .conftest import SCRIBE, at

TABLES = {  # table -> order
    "roles": "position", "assignments": "id", "steps": "position", "signoffs": "id", "risks": "position",
    "incidents": "number", "decisions": "id", "audiences": "position", "kpis": "position",
    "followups": "number",
}


def table(store: Store, name: str) -> list[dict]:
    order, json_columns = TABLES[name], JSON_COLUMNS.get(name, ())
    rows = store.query(f"SELECT * FROM {name} ORDER BY {order}")
    for row in rows:
        del row["rev"]  # which event last wrote the row: the fold does not say
        for column in json_columns:
            row[column] = json.loads(row[column]) if row[column] is not None else None
    return rows


def board_rows(board, name: str) -> list[dict]:
    return {"roles": list(board.roles.values()), "assignments": sorted(board.assignments.values(), key=by_id),
            "steps": list(board.steps.values()), "signoffs": sorted(board.signoffs.values(), key=by_id),
            "risks": list(board.risks.values()), "incidents": board.incident_list(),
            "decisions": sorted(board.decisions.values(), key=by_id), "audiences": list(board.audiences.values()),
            "kpis": list(board.kpis.values()), "followups": [board.followups[n] for n in sorted(board.followups)]}[name]


def by_id(row: dict) -> int:
    return row["id"]


def board_at(db, t=None):
    with Store(db, "reader") as store, source.snapshot(store.conn):
        return journal_board(store.conn, t, logs=False)


@pytest.mark.parametrize("name", TABLES)
def test_the_whole_journal_rebuilds_every_state_table_row_for_row(known_day, name):
    board = board_at(known_day)
    with Store(known_day, "reader") as store:
        assert board_rows(board, name) == table(store, name)
        assert board.meta == store.meta()


def test_status_rebuilt_at_the_end_is_the_live_status(known_day):
    with Store(known_day, "reader") as store:
        assert status_as_of(store, at("23:00")) == queries.status(store, now=at("23:00"))


def test_the_board_as_it_stood_at_21_05(known_day):
    board = board_at(known_day, at("21:05"))
    steps = {k: (s["status"], s["reason"]) for k, s in board.steps.items()}
    assert steps == {"gate-go": ("done", None), "deploy": ("done", None), "migrate": ("failed", "lock timeout"),
                     "smoke": ("pending", None), "announce": ("pending", None), "watch": ("pending", None)}
    inc1 = board.incidents[1]
    assert (inc1["status"], inc1["severity"], inc1["mitigated_at"]) == ("investigating", 1, None)
    assert [d["kind"] for d in board.decisions.values()] == ["no-go", "go", "rollback"]
    assert board.risks["db-lock"]["status"] == "triggered" and board.risks["cold-cache"]["status"] == "watching"
    assert [a["person"] for a in board.holders("tech")] == ["Bob Chen"]
    assert 2 not in board.incidents


def test_status_as_of_the_no_go(known_day):
    with Store(known_day, "reader") as store:
        status = status_as_of(store, at("19:40"))
    assert status["hold"] == "no-go decided by Alice Martin"
    assert status["in_progress"] == ["gate-go"]
    assert status["latest_decision"] == {"kind": "no-go", "decided_by": "Alice Martin",
                                         "rationale": "QA found 2 regressions", "happened_at": at("19:36")}
    assert status["steps"]["late"] == 0 and status["incidents"]["total"] == 0
    assert status["events"] == 4  # the plan and the three events up to 19:40


def test_an_event_typed_in_late_counts_when_it_happened(day_db):
    with Store(day_db, SCRIBE) as store:
        c.update_incident(store, "INC-1", severity=2, note="downgraded: writes flow again", at=at("21:08"))
    assert board_at(day_db, at("21:07")).incidents[1]["severity"] == 1
    later = board_at(day_db, at("21:09")).incidents[1]
    assert (later["severity"], later["status"]) == (2, "investigating")
    final = board_at(day_db).incidents[1]
    assert (final["severity"], final["status"]) == (2, "resolved")


def test_the_demo_day_moved_to_today_rebuilds_every_state_table(tmp_path):
    path = tmp_path / "demo.db"
    create_demo(path, "Léo Petitjean", minute=1600)
    board = board_at(path)
    with Store(path, "reader") as store:
        for name in TABLES:
            assert board_rows(board, name) == table(store, name), name
        assert board.meta == store.meta()
        assert store.verify() == []
