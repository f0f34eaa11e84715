"""The after-phase through the command line, on tests/fixtures/after.yaml (go-live
2026-11-30 10:00 UTC): a gate that waits for every KPI to be measurable, a check step passed
with its evidence, follow-ups from added to done or dropped."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from warroom.plan import load_plan
from warroom.store import commands
from warroom.store.store import Store

from ..store.test_time_order import T, journal, one, rows
from .test_corrections import Room

PLAN = Path(__file__).parents[1] / "fixtures" / "after.yaml"


@pytest.fixture
def room(tmp_path: Path) -> Room:
    path = tmp_path / "after.db"
    with Store.create(path, "Ann") as store:
        commands.init(store, load_plan(PLAN), at=T("2026-11-29T09:00"))
    return Room(path)


def deployed(room: Room) -> None:
    room.ok("step", "start", "deploy", "--at", "2026-11-30T10:00")
    room.ok("step", "done", "deploy", "--at", "2026-11-30T10:25")


def source_reading(room: Room, kpi: str, value: float, at: str) -> None:
    with Store(room.path, "kpi-watch") as store:
        commands.record_kpi(store, kpi, value, at=T(at), source=True)


def test_the_gate_waits_until_every_kpi_has_a_baseline_and_its_source_has_answered(room):
    deployed(room)
    refusal = room.refused("signoff", "gate", "rm", "go", "--at", "2026-11-30T10:30")
    assert "KPI conv: its source has never answered" in refusal
    assert "KPI tickets has no baseline" in refusal
    room.ok("kpi", "record", "conv", "61", "--at", "2026-11-30T09:00")  # typed by hand: not the source
    room.ok("kpi", "record", "tickets", "6", "--at", "2026-11-30T09:00")  # measures the baseline
    refusal = room.refused("signoff", "gate", "rm", "go", "--at", "2026-11-30T10:30")
    assert "source has never answered" in refusal and "tickets" not in refusal
    source_reading(room, "conv", 61.2, "2026-11-30T10:40")  # after the sign-off's time: too late for it
    room.refused("signoff", "gate", "rm", "go", "--at", "2026-11-30T10:30")
    assert room.ok("signoff", "gate", "rm", "go", "--at", "2026-11-30T10:45")["gate_state"] == "passed"
    assert room.step("gate")["status"] == "done" and not room.step("gate")["forced"]


def test_a_reading_the_gate_passed_on_cannot_be_taken_back_nor_moved_past_it(room):
    deployed(room)
    source_reading(room, "conv", 61.2, "2026-11-30T09:00")
    room.ok("kpi", "record", "tickets", "6", "--at", "2026-11-30T09:30")
    room.ok("signoff", "gate", "rm", "go", "--at", "2026-11-30T10:30")
    conv, tickets = (rows(room.path, "SELECT id FROM events WHERE action = 'kpi.record' AND entity_id = ?",
                          (k,))[0]["id"] for k in ("conv", "tickets"))
    assert "contradicts" in room.refused("retract", str(conv), "--why", "read from staging")
    assert "no baseline" in room.refused("correct", str(tickets), "--at", "2026-11-30T10:10", "--why", "typo")
    room.ok("correct", str(tickets), "--at", "2026-11-30T08:00", "--why", "read at 8")  # still before: fine
    moved = journal(room.path)[-1]["id"]
    room.ok("retract", str(moved), "--why", "it was 9:30 after all")  # back to 9:30: still before H


def test_a_reading_after_h_is_no_baseline_for_the_gate(room):
    deployed(room)
    source_reading(room, "conv", 61.2, "2026-11-30T09:00")
    room.ok("kpi", "record", "tickets", "6", "--at", "2026-11-30T10:05")  # after H: not a baseline
    assert "KPI tickets has no baseline" in room.refused("signoff", "gate", "rm", "go", "--at", "2026-11-30T10:30")
    reading = journal(room.path)[-1]["id"]
    room.ok("correct", str(reading), "--at", "2026-11-30T09:55", "--why", "read before H, typed late")
    room.ok("signoff", "gate", "rm", "go", "--at", "2026-11-30T10:30")
    correction = journal(room.path)[-2]["id"]
    assert "contradicts" in room.refused("retract", str(correction), "--why", "it was after H after all")


def test_a_forced_gate_says_which_kpis_were_not_ready(room):
    deployed(room)
    room.refused("signoff", "gate", "rm", "go", "--force", "--at", "2026-11-30T10:30")  # forcing needs a reason
    room.ok("signoff", "gate", "rm", "go", "--force", "--note", "sources fixed tomorrow", "--at", "2026-11-30T10:30")
    assert room.step("gate")["forced"] == 1
    effect = one(room.path, "SELECT effect FROM effects WHERE event = ?", (journal(room.path)[-1]["id"],))
    assert "KPI conv: its source has never answered" in effect["effect"]


def test_a_reading_retracted_does_not_count_for_the_gate(room):
    deployed(room)
    source_reading(room, "conv", 61.2, "2026-11-30T09:00")
    room.ok("kpi", "record", "tickets", "6", "--at", "2026-11-30T09:00")
    reading = rows(room.path, "SELECT id FROM events WHERE action = 'kpi.record' AND entity_id = 'conv'")[0]["id"]
    room.ok("retract", str(reading), "--why", "the source read the staging database")
    assert "source has never answered" in room.refused("signoff", "gate", "rm", "go", "--at", "2026-11-30T10:30")


def test_a_check_is_passed_with_its_evidence_and_failed_with_why(room):
    room.ok("step", "start", "journey", "--force", "--note", "gate passed on paper", "--at", "2026-12-01T10:00",
            who="Bob")
    assert "--evidence" in room.refused("step", "done", "journey", "--at", "2026-12-01T10:30", who="Bob")
    assert "--evidence" in room.refused("step", "done", "journey", "--evidence", "  ", who="Bob")
    room.ok("step", "done", "journey", "--evidence", "3 orders paid on prod (88412-88414)",
            "--at", "2026-12-01T10:40", who="Bob")
    assert room.step("journey")["evidence"] == "3 orders paid on prod (88412-88414)"
    room.ok("step", "reopen", "journey", "--note", "the ERP sync was not checked", who="Bob")
    assert room.step("journey")["evidence"] is None
    room.ok("step", "start", "journey", "--force", "--note", "again", who="Bob")
    assert "--note" in room.refused("step", "fail", "journey", "--evidence", "x", who="Bob")
    room.ok("step", "fail", "journey", "--note", "ERP shows the orders twice", who="Bob")
    assert (room.step("journey")["status"], room.step("journey")["reason"]) == ("failed", "ERP shows the orders twice")


def test_evidence_is_only_for_a_check(room):
    room.ok("step", "start", "deploy")
    assert "only a check step takes --evidence" in room.refused("step", "done", "deploy", "--evidence", "it ran")
    assert "not with one of its targets" in room.refused("step", "done", "deploy", "--target", "eu",
                                                         "--evidence", "it ran")


def test_a_followup_is_numbered_owned_and_closed_with_a_note(room):
    room.ok("incident", "open", "Payments slow", "--sev", "2", "--at", "2026-11-30T10:20")
    added = room.ok("followup", "add", "Raise the pool size", "--owner", "rm", "--due", "2026-12-07",
                    "--priority", "P1", "--incident", "inc-1", "--at", "2026-11-30T11:00")
    assert added["followup"] == "FU-1"
    second = room.ok("followup", "add", "Retest refunds", "--owner", "qa", "--step", "journey", "--due", "H+14d")
    assert second["followup"] == "FU-2"
    fu1 = one(room.path, "SELECT * FROM followups WHERE ref = 'FU-1'")
    assert (fu1["owner"], fu1["priority"], fu1["incident"], fu1["status"]) == ("rm", "P1", "INC-1", "open")
    assert fu1["due"] == T("2026-12-08T00:00") - 1  # by the end of that day
    assert one(room.path, "SELECT due FROM followups WHERE ref = 'FU-2'")["due"] == T("2026-12-14T10:00")
    assert "needs a note" in room.refused("followup", "done", "FU-1", "--note", " ")
    room.ok("followup", "done", "FU-1", "--note", "pool at 80")
    room.ok("followup", "drop", "fu-2", "--note", "refunds untouched by the change")
    assert [(r["ref"], r["status"], r["note"], r["closed_by"]) for r in rows(
        room.path, "SELECT * FROM followups ORDER BY number")] == [
        ("FU-1", "done", "pool at 80", "Ann"), ("FU-2", "dropped", "refunds untouched by the change", "Ann")]
    assert "already done" in room.refused("followup", "drop", "FU-1", "--note", "x")


@pytest.mark.parametrize("args, says", [
    (("followup", "add", "x", "--owner", "nobody"), "unknown role 'nobody'"),
    (("followup", "add", " ", "--owner", "rm"), "title must not be empty"),
    (("followup", "add", "x", "--owner", "rm", "--incident", "INC-9"), "unknown incident 'INC-9'"),
    (("followup", "add", "x", "--owner", "rm", "--step", "nope"), "unknown step 'nope'"),
    (("followup", "add", "x", "--owner", "rm", "--due", "someday"), "someday"),
    (("followup", "done", "FU-99999999999999", "--note", "x"), "unknown follow-up"),
    (("followup", "add", "x", "--owner", "rm", "--due", "2020-01-01"), "cannot be due before it is added"),
    (("followup", "add", "x", "--owner", "rm", "--due", ""), "--due: give a date"),
])
def test_a_followup_naming_what_does_not_exist_is_refused(room, args, says):
    assert says in room.refused(*args)


def test_a_followup_cannot_follow_an_incident_opened_after_it(room):
    room.ok("incident", "open", "Late", "--sev", "3", "--at", "2026-11-30T12:00")
    assert "not open yet" in room.refused("followup", "add", "x", "--owner", "rm", "--incident", "INC-1",
                                          "--at", "2026-11-30T11:00")


def test_a_followup_retracted_is_gone_and_its_number_is_not_reused(room):
    room.ok("followup", "add", "First", "--owner", "rm")
    event = journal(room.path)[-1]["id"]
    room.ok("retract", str(event), "--why", "typed in the wrong war room")
    assert rows(room.path, "SELECT * FROM followups") == []
    assert room.ok("followup", "add", "Second", "--owner", "rm")["followup"] == "FU-2"


def test_status_counts_the_checks_and_the_followups_overdue_at_its_moment(room):
    room.ok("step", "start", "journey", "--force", "--note", "early", "--at", "2026-12-01T10:00", who="Bob")
    room.ok("step", "fail", "journey", "--note", "ERP shows the orders twice", "--at", "2026-12-01T10:30", who="Bob")
    room.ok("followup", "add", "Fix the ERP sync", "--owner", "qa", "--step", "journey", "--due", "2026-12-03",
            "--at", "2026-12-01T11:00")
    room.ok("followup", "add", "Drop me", "--owner", "rm", "--at", "2026-12-01T11:00")
    room.ok("followup", "drop", "FU-2", "--note", "not needed", "--at", "2026-12-01T12:00")
    before_due = room.run("status", "--as-of", "2026-12-03T12:00")
    assert "checks: 1 failed of 1" in before_due.output
    assert "follow-ups: 1 open, 0 done, 1 dropped" in before_due.output
    overdue = json.loads(room.run("--json", "status", "--as-of", "2026-12-04T00:00").output)
    assert overdue["followups"] == {"open": 1, "dropped": 1, "overdue": 1}
    assert overdue["checks"] == {"failed": 1}


def test_a_followup_cannot_be_moved_before_the_incident_it_follows_up(room):
    room.ok("incident", "open", "Slow", "--sev", "3", "--at", "2026-11-30T12:00")
    room.ok("followup", "add", "x", "--owner", "rm", "--incident", "INC-1", "--at", "2026-11-30T13:00")
    added = journal(room.path)[-1]["id"]
    assert "not open yet" in room.refused("correct", str(added), "--at", "2026-11-30T11:00", "--why", "typo")
    room.ok("correct", str(added), "--at", "2026-11-30T12:30", "--why", "typed late")
