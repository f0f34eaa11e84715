"""Facts typed late and out of order, and corrections, through the command line: the war
room is the fold of its journal in time order; a refused command exits 2 with one line on
stderr and records nothing. After every command the state tables equal the fold of the
journal (assert_fold_matches). The plan is tests/fixtures/repro.yaml (go-live 2026-11-30
09:30 UTC; d8 -> gate (rm, ops) -> live; Ann holds rm, Bob holds ops); every --at is a
full ISO time, so nothing depends on today's date."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from warroom.cli import main

from ..store.test_time_order import (
    INIT_AT,
    MIN,
    REPRO,
    T,
    assert_fold_matches,
    create_room,
    export_json,
    forced_on_record,
    journal,
    one,
    rows,
    status_json,
    timeline,
    timeline_line,
)


class Room:
    """One war room file, driven through `warroom --db FILE --as WHO ...`."""

    def __init__(self, path: Path):
        self.path = path
        self.runner = CliRunner()

    def run(self, *args: str, who: str = "Ann"):
        return self.runner.invoke(main, ["--db", str(self.path), "--as", who, *args])

    def ok(self, *args: str, who: str = "Ann") -> dict:
        """A write that must be accepted: its --json result, which names its journal event."""
        result = self.run("--json", *args, who=who)
        assert result.exit_code == 0, f"{args}: exit {result.exit_code}: {result.stderr or result.output}"
        recorded = json.loads(result.output)
        assert recorded["event"] == journal(self.path)[-1]["id"]
        assert_fold_matches(self.path)
        return recorded

    def refused(self, *args: str, who: str = "Ann") -> str:
        """A write that must be refused: exit 2, one line on stderr, nothing recorded."""
        before = journal(self.path)
        result = self.run(*args, who=who)
        assert result.exit_code == 2, f"{args}: exit {result.exit_code}: {result.output}"
        assert result.stderr.startswith("warroom: ") and result.stderr.count("\n") == 1, result.stderr
        assert journal(self.path) == before
        assert_fold_matches(self.path)
        return result.stderr

    def d8_done(self) -> None:
        self.ok("step", "start", "d8", "--at", "2026-11-29T09:30", who="Bob")
        self.ok("step", "done", "d8", "--at", "2026-11-29T10:00", who="Bob")

    def gate_passed(self) -> None:
        self.d8_done()
        self.ok("signoff", "gate", "rm", "go", "--at", "2026-11-30T08:50", who="Ann")
        self.ok("signoff", "gate", "ops", "go", "--at", "2026-11-30T08:55", who="Bob")

    def step(self, step_id: str) -> dict:
        return one(self.path, "SELECT * FROM steps WHERE id=?", (step_id,))

    def incident(self, ref: str = "INC-1") -> dict:
        return one(self.path, "SELECT * FROM incidents WHERE ref=?", (ref,))


@pytest.fixture
def wr(tmp_path: Path) -> Room:
    return Room(create_room(tmp_path / "repro.db"))


# -- 1. a backdated severity change -----------------------------------------------------------
def test_a_backdated_severity_change_reads_in_time_order(wr):
    wr.ok("incident", "open", "Checkout errors", "--sev", "3", "--at", "2026-11-30T09:40")
    wr.ok("incident", "update", "INC-1", "--sev", "1", "--at", "2026-11-30T10:20")
    wr.ok("incident", "update", "INC-1", "--sev", "2", "--at", "2026-11-30T10:00")
    assert wr.incident()["severity"] == 1
    assert "SEV3 → SEV2" in timeline_line(wr.path, "10:00", "INC-1 update")
    assert "SEV2 → SEV1" in timeline_line(wr.path, "10:20", "INC-1 update")
    assert status_json(wr.path)["incidents"]["by_severity"] == {"SEV1": 1}
    document = export_json(wr.path)
    assert [i["severity"] for i in document["state"]["incidents"]] == [1]
    assert [i["severity"] for i in document["facts"]["incidents"]] == [1]


# -- 2. a backdated status change ----------------------------------------------------------------
def test_a_mitigation_typed_after_the_resolution_it_preceded_is_accepted(wr):
    wr.ok("incident", "open", "Checkout errors", "--sev", "2", "--at", "2026-11-30T09:40")
    wr.ok("incident", "update", "INC-1", "--status", "resolved", "--at", "2026-11-30T11:00")
    wr.ok("incident", "update", "INC-1", "--status", "mitigated", "--at", "2026-11-30T10:50")
    row = wr.incident()
    assert (row["status"], row["mitigated_at"], row["resolved_at"]) == (
        "resolved", T("2026-11-30T10:50"), T("2026-11-30T11:00"))
    assert export_json(wr.path)["facts"]["incidents"][0]["to_mitigate"] == 70 * MIN


# -- 3. rules judged at the event's time ---------------------------------------------------------
def test_a_step_started_before_a_later_hold_is_accepted(wr):
    wr.ok("decide", "hold", "--by", "Ann", "--why", "x", "--at", "2026-11-30T10:30")
    wr.ok("step", "start", "d8", "--at", "2026-11-29T08:40", who="Bob")
    row = wr.step("d8")
    assert (row["status"], row["started_at"]) == ("in_progress", T("2026-11-29T08:40"))
    assert status_json(wr.path)["hold"]  # the 10:30 hold is in force now


def test_a_backdated_hold_that_a_later_start_contradicts_is_refused_naming_it(wr):
    wr.gate_passed()
    live = wr.ok("step", "start", "live", "--at", "2026-11-30T09:40", who="Bob")["event"]
    events = status_json(wr.path)["events"]
    error = wr.refused("decide", "hold", "--by", "Ann", "--why", "x", "--at", "2026-11-30T09:00")
    assert re.search(rf"(#{live}|event {live})\b", error), error
    assert status_json(wr.path)["events"] == events
    assert rows(wr.path, "SELECT * FROM decisions") == []


# -- 4. the gate and its dependency ------------------------------------------------------------------
def test_the_gate_does_not_pass_while_d8_is_pending_unless_forced_with_a_reason(wr):
    wr.ok("signoff", "gate", "rm", "go", "--at", "2026-11-30T09:10", who="Ann")
    assert "d8" in wr.refused("signoff", "gate", "ops", "go", "--at", "2026-11-30T09:12", who="Bob")
    wr.refused("signoff", "gate", "ops", "go", "--force", "--at", "2026-11-30T09:12", who="Bob")
    event = wr.ok("signoff", "gate", "ops", "go", "--force", "--note", "d8 checked by hand",
                  "--at", "2026-11-30T09:12", who="Bob")["event"]
    gate = wr.step("gate")
    assert (gate["status"], gate["ended_at"]) == ("done", T("2026-11-30T09:12"))
    assert forced_on_record(wr.path, event, gate)


def test_the_gate_opens_at_its_first_signoff_and_passes_at_its_last_in_time(wr):
    wr.d8_done()
    wr.ok("signoff", "gate", "ops", "go", "--at", "2026-11-30T09:18", who="Bob")
    wr.ok("signoff", "gate", "rm", "go", "--at", "2026-11-30T09:15", who="Ann")
    gate = wr.step("gate")
    assert (gate["status"], gate["started_at"], gate["ended_at"]) == (
        "done", T("2026-11-30T09:15"), T("2026-11-30T09:18"))
    exported = next(s for s in export_json(wr.path)["state"]["steps"] if s["id"] == "gate")
    assert (exported["started_at"], exported["ended_at"]) == (T("2026-11-30T09:15"), T("2026-11-30T09:18"))


# -- 5. who may sign for a role ------------------------------------------------------------------------
def test_signing_for_a_role_someone_else_holds_needs_force_and_a_reason(wr):
    wr.d8_done()
    wr.refused("signoff", "gate", "rm", "go", "--at", "2026-11-30T09:15", who="Bob")
    wr.refused("signoff", "gate", "rm", "go", "--force", "--at", "2026-11-30T09:15", who="Bob")
    event = wr.ok("signoff", "gate", "rm", "go", "--force", "--note", "Ann unreachable, agreed by phone",
                  "--at", "2026-11-30T09:15", who="Bob")["event"]
    signoffs = rows(wr.path, "SELECT * FROM signoffs")
    assert [(s["role"], s["signed_by"]) for s in signoffs] == [("rm", "Bob")]
    assert forced_on_record(wr.path, event, *signoffs)


# -- 6. time to mitigate --------------------------------------------------------------------------------
def test_time_to_mitigate_runs_to_the_last_mitigation(wr):
    wr.ok("incident", "open", "Checkout errors", "--sev", "2", "--at", "2026-11-30T09:31")
    wr.ok("incident", "update", "INC-1", "--status", "mitigated", "--at", "2026-11-30T10:04")
    wr.ok("incident", "update", "INC-1", "--status", "investigating", "--note", "errors are back",
          "--at", "2026-11-30T10:07")
    wr.ok("incident", "update", "INC-1", "--status", "mitigated", "--at", "2026-11-30T10:15")
    assert wr.incident()["mitigated_at"] == T("2026-11-30T10:15")
    facts = export_json(wr.path)["facts"]
    assert facts["incidents"][0]["to_mitigate"] == 44 * MIN
    assert facts["incidents_by_severity"][0]["to_mitigate"] == [44 * MIN]


# -- 7. when the plan's holders took their roles ----------------------------------------------------------
def test_init_at_dates_the_plan_holders_and_a_backdated_hand_over_ends_bobs_turn(tmp_path):
    wr = Room(tmp_path / "w.db")
    wr.ok("init", str(REPRO), "--at", "2026-11-28T09:00")
    assert journal(wr.path)[0]["happened_at"] == INIT_AT
    wr.ok("assign", "ops", "Carol", "--at", "2026-11-29T12:00")
    ops = rows(wr.path, "SELECT person, started_at, ended_at FROM assignments WHERE role='ops' ORDER BY started_at")
    assert ops == [{"person": "Bob", "started_at": INIT_AT, "ended_at": T("2026-11-29T12:00")},
                   {"person": "Carol", "started_at": T("2026-11-29T12:00"), "ended_at": None}]
    assert one(wr.path, "SELECT started_at FROM assignments WHERE person='Ann'")["started_at"] == INIT_AT


def test_without_init_at_plan_holders_start_at_the_earliest_planned_start(tmp_path):
    wr = Room(tmp_path / "w.db")
    wr.ok("init", str(REPRO))  # recorded now, a day after d8's planned start (H-1d)
    wr.ok("assign", "ops", "Carol", "--at", "2026-11-29T12:00")
    ops = rows(wr.path, "SELECT person, started_at, ended_at FROM assignments WHERE role='ops' ORDER BY started_at")
    assert ops == [{"person": "Bob", "started_at": T("2026-11-29T09:30"), "ended_at": T("2026-11-29T12:00")},
                   {"person": "Carol", "started_at": T("2026-11-29T12:00"), "ended_at": None}]


# -- 8. corrections ---------------------------------------------------------------------------------------
def test_correct_moves_an_event_and_the_original_is_shown_as_corrected(wr):
    start = wr.ok("step", "start", "d8", "--at", "2026-11-29T09:40", who="Bob")["event"]
    original = journal(wr.path)[start - 1]
    correction = wr.ok("correct", str(start), "--at", "2026-11-29T09:35",
                       "--why", "Bob's clock was 5 minutes fast")["event"]
    assert correction > start
    assert journal(wr.path)[start - 1] == original
    assert wr.step("d8")["started_at"] == T("2026-11-29T09:35")
    exported = next(s for s in export_json(wr.path)["state"]["steps"] if s["id"] == "d8")
    assert exported["started_at"] == T("2026-11-29T09:35")
    marks = (f"corrected by #{correction}", "d8", "Ann", "Bob's clock was 5 minutes fast")
    assert any(all(mark in line for mark in marks) for line in timeline(wr.path)), timeline(wr.path)


def test_retracting_an_incident_update_puts_the_severity_back(wr):
    wr.ok("incident", "open", "Checkout errors", "--sev", "3", "--at", "2026-11-30T09:40")
    update = wr.ok("incident", "update", "INC-1", "--sev", "1", "--at", "2026-11-30T10:00")["event"]
    wr.ok("retract", str(update), "--why", "typed on the wrong incident")
    assert wr.incident()["severity"] == 3
    assert status_json(wr.path)["incidents"]["by_severity"] == {"SEV3": 1}
    assert export_json(wr.path)["state"]["incidents"][0]["severity"] == 3


def test_retracting_a_decision_takes_it_out_of_force(wr):
    wr.ok("decide", "go", "--by", "Ann", "--why", "all green", "--at", "2026-11-30T10:00")
    hold = wr.ok("decide", "hold", "--by", "Ann", "--why", "errors rising", "--at", "2026-11-30T10:30")["event"]
    assert status_json(wr.path)["latest_decision"]["kind"] == "hold"
    wr.ok("retract", str(hold), "--why", "the hold was only discussed, never decided")
    status = status_json(wr.path)
    assert status["latest_decision"]["kind"] == "go" and status["latest_decision"]["rationale"] == "all green"
    assert status["hold"] is None


def test_moving_a_start_past_its_own_end_is_refused(wr):
    start = wr.ok("step", "start", "d8", "--at", "2026-11-29T09:30", who="Bob")["event"]
    wr.ok("step", "done", "d8", "--at", "2026-11-29T10:00", who="Bob")
    wr.refused("correct", str(start), "--at", "2026-11-29T10:30", "--why", "later than it ended")
    row = wr.step("d8")
    assert (row["status"], row["started_at"]) == ("done", T("2026-11-29T09:30"))


def test_moving_a_hold_before_a_step_it_would_have_stopped_is_refused(wr):
    wr.gate_passed()
    live = wr.ok("step", "start", "live", "--at", "2026-11-30T09:40", who="Bob")["event"]
    hold = wr.ok("decide", "hold", "--by", "Ann", "--why", "errors", "--at", "2026-11-30T10:30")["event"]
    error = wr.refused("correct", str(hold), "--at", "2026-11-30T09:00", "--why", "it was earlier")
    assert re.search(rf"(#{live}|event {live})\b", error), error


def test_retracting_a_dependency_that_later_steps_relied_on_is_refused(wr):
    wr.gate_passed()
    done = next(e["id"] for e in journal(wr.path) if e["action"] == "step.done" and e["entity_id"] == "d8")
    wr.ok("step", "start", "live", "--at", "2026-11-30T09:40", who="Bob")
    wr.refused("retract", str(done), "--why", "d8 was never finished")
    assert wr.step("d8")["status"] == "done"


@pytest.mark.parametrize("args, says", [
    (["correct", "1", "--at", "2026-11-28T08:00", "--why", "the plan came earlier"], "it cannot be corrected"),
    (["retract", "1", "--why", "no plan"], "it cannot be corrected"),
    (["correct", "999", "--at", "2026-11-30T09:00", "--why", "x"], "unknown event #999"),
    (["retract", "999", "--why", "x"], "unknown event #999"),
], ids=["correct-init", "retract-init", "correct-unknown", "retract-unknown"])
def test_the_init_event_and_unknown_events_cannot_be_corrected(wr, args, says):
    wr.ok("note", "something", "--at", "2026-11-30T09:00")
    assert says in wr.refused(*args)


def test_a_reopened_step_holds_its_gate_until_it_is_done_again(wr):
    wr.d8_done()
    wr.ok("step", "reopen", "d8", "--note", "server 8 was never deployed", "--at", "2026-11-30T08:00")
    assert wr.step("d8")["status"] == "pending"
    wr.ok("signoff", "gate", "rm", "go", "--at", "2026-11-30T08:10", who="Ann")
    assert "d8" in wr.refused("signoff", "gate", "ops", "go", "--at", "2026-11-30T08:12", who="Bob")
    assert wr.step("gate")["status"] != "done"
    wr.ok("step", "start", "d8", "--at", "2026-11-30T08:20", who="Bob")
    wr.ok("step", "done", "d8", "--at", "2026-11-30T08:40", who="Bob")
    wr.ok("signoff", "gate", "ops", "go", "--at", "2026-11-30T08:45", who="Bob")
    d8, gate = wr.step("d8"), wr.step("gate")
    assert (d8["status"], d8["started_at"], d8["ended_at"]) == ("done", T("2026-11-30T08:20"), T("2026-11-30T08:40"))
    assert (gate["status"], gate["ended_at"]) == ("done", T("2026-11-30T08:45"))
    wr.refused("step", "reopen", "live", "--note", "it never started", "--at", "2026-11-30T09:00")


def test_an_incident_title_changes_and_the_journal_keeps_the_old_one(wr):
    opened = wr.ok("incident", "open", "Checkout errors", "--sev", "2", "--at", "2026-11-30T09:40")["event"]
    wr.ok("incident", "update", "INC-1", "--title", "Checkout 500s on /pay", "--at", "2026-11-30T09:50")
    assert wr.incident()["title"] == "Checkout 500s on /pay"
    events = journal(wr.path)
    assert json.loads(events[opened - 1]["payload"])["title"] == "Checkout errors"
    assert "Checkout 500s on /pay" in events[-1]["payload"]
    assert export_json(wr.path)["state"]["incidents"][0]["title"] == "Checkout 500s on /pay"


# -- what the report counts is the corrected record ---------------------------------------
def test_the_report_counts_logs_as_corrected(wr):
    wr.ok("kpi", "record", "errors", "0.4", "--at", "2026-11-30T10:00")
    typo = wr.ok("kpi", "record", "errors", "9.9", "--at", "2026-11-30T11:00")["event"]
    wr.ok("retract", str(typo), "--why", "typed 9.9 for 0.9")
    wrong = wr.ok("comm", "log", "team", "update 1", "--at", "2026-11-30T10:05")["event"]
    wr.ok("retract", str(wrong), "--why", "posted in the wrong room")
    note = wr.ok("note", "hello", "--tag", "retro", "--at", "2026-11-30T10:30")["event"]
    wr.ok("retract", str(note), "--why", "not a retro point")
    facts = export_json(wr.path)["facts"]
    kpi = next(k for k in facts["kpis"] if k["kpi"] == "errors")
    assert (kpi["readings"], kpi["last"]["value"], kpi["met"]) == (1, 0.4, True)
    assert facts["messages"] == 0 and facts["notes"] == 0
    report = wr.run("export").output
    retro = report.split("Notes tagged retro", 1)[1].split("\n## ", 1)[0]
    assert "hello" not in retro
    assert "hello" in report and "retracted — not a retro point" in report  # the timeline keeps it, marked


def test_a_moved_reading_counts_at_its_corrected_time(wr):
    wr.ok("kpi", "record", "errors", "0.4", "--at", "2026-11-30T10:00")
    wr.ok("kpi", "record", "errors", "0.9", "--at", "2026-11-30T11:00")
    first = journal(wr.path)[-2]["id"]
    wr.ok("correct", str(first), "--at", "2026-11-30T12:00", "--why", "read at noon")
    kpi = next(k for k in export_json(wr.path)["facts"]["kpis"] if k["kpi"] == "errors")
    assert (kpi["last"]["value"], kpi["last"]["happened_at"]) == (0.4, T("2026-11-30T12:00"))


# -- refusals that say what is wrong ------------------------------------------------------
def test_a_decision_about_an_incident_not_yet_open_is_refused(wr):
    wr.ok("incident", "open", "pay", "--sev", "2", "--at", "2026-11-30T10:00")
    error = wr.refused("decide", "rollback", "--by", "Ann", "--why", "p", "--incident", "INC-1",
                       "--at", "2026-11-30T09:05")
    assert "INC-1 was not open yet" in error


def test_a_correction_that_cannot_hold_names_the_corrected_fact_itself(wr):
    wr.ok("step", "start", "d8", "--at", "2026-11-29T09:30", who="Bob")
    done = wr.ok("step", "done", "d8", "--at", "2026-11-29T10:00", who="Bob")["event"]
    error = wr.refused("correct", str(done), "--at", "2026-11-29T09:00", "--why", "before it started")
    assert error.startswith(f"warroom: refused: #{done} cannot be so:") and "contradicts" not in error


@pytest.mark.parametrize("args, says", [
    (("correct", "99999999999999999999", "--at", "2026-11-29T08:00", "--why", "x"), "a number given is too large"),
    (("retract", "99999999999999999999", "--why", "x"), "a number given is too large"),
    (("incident", "update", "INC-99999999999999999999", "--note", "x"), "unknown incident"),
    (("incident", "update", "INC-²", "--note", "x"), "unknown incident 'INC-²'"),
    (("note", "x", "--at", ""), "bad time ''"),
])
def test_numbers_and_times_that_cannot_be_are_one_line_refusals(wr, args, says):
    assert says in wr.refused(*args)


def test_plan_holders_hold_only_from_when_the_plan_took_effect(tmp_path):
    room = Room(tmp_path / "late.db")
    assert room.run("init", str(REPRO), "--at", "2026-11-30T12:00").exit_code == 0
    room.ok("step", "start", "d8", "--at", "2026-11-30T08:00", who="Bob")
    room.ok("step", "done", "d8", "--at", "2026-11-30T08:30", who="Bob")
    assert "Bob does not hold ops" in room.refused("signoff", "gate", "ops", "go", "--at", "2026-11-30T09:00",
                                                   who="Bob")
    assert "holds no role that may decide a rollback" in room.refused(
        "decide", "rollback", "--by", "Ann", "--why", "x", "--at", "2026-11-30T08:00")
