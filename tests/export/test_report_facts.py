"""The seeded day's known facts, stated by the report in every format."""
import csv
import io
import json
import re

import pytest

from .conftest import at, export_text, readable

HUMAN = ["md", "html"]
FORMATS = ["md", "html", "csv"]
MINUTE = 60_000


@pytest.fixture(scope="module")
def outputs(known_day):
    return {fmt: export_text(known_day, fmt) for fmt in ("md", "html", "json", "csv")}


def text(outputs, fmt):
    return readable(fmt, outputs[fmt])


@pytest.mark.parametrize("fmt", HUMAN)
def test_summary_states_the_window_the_go_and_the_counts(outputs, fmt):
    shown = text(outputs, fmt)
    assert "2026-11-10 20:00 CET (19:00 UTC) to 2026-11-10 21:20 CET (20:20 UTC)" in shown
    assert "ended 2026-11-10 21:40 CET (20:40 UTC) (20m late)" in shown
    assert "GO by Alice Martin at 2026-11-10 19:45 CET (18:45 UTC): All gates green" in shown
    assert "5 done, 4 late, 0 failed, 0 skipped, 0 in progress, 1 pending, 0 blocked, of 6" in shown


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_late_step_and_its_failure(outputs, fmt):
    shown = text(outputs, fmt)
    assert "Step migrate (Migrate the orders table): FAILED, 10m after its planned end — lock timeout" in shown
    assert "Step migrate (Migrate the orders table): done, 30m after its planned end" in shown


@pytest.mark.parametrize("fmt", HUMAN)
def test_runbook_shows_planned_vs_actual_with_slips(outputs, fmt):
    shown = text(outputs, fmt)
    assert "Step migrate (Migrate the orders table) ended 30m later than planned" in shown  # the worst, first
    row = next(line for line in shown.splitlines() if line.lstrip("| ").startswith("migrate: Migrate"))
    assert "2026-11-10 20:50 CET (19:50 UTC)" in row and "2026-11-10 21:20 CET (20:20 UTC)" in row
    assert "+30m" in row
    assert ("earlier attempt failed (2026-11-10 20:47 CET (19:47 UTC) to 2026-11-10 21:00 CET (20:00 UTC): "
            "lock timeout)") in row


@pytest.mark.parametrize("fmt", FORMATS)
def test_sev1_mitigated_after_12_minutes(outputs, fmt):
    shown = text(outputs, fmt)
    assert "INC-1 update: investigating → mitigated, 12m after it opened" in shown
    assert "INC-1 update: mitigated → resolved, 42m after it opened" in shown


@pytest.mark.parametrize("fmt", HUMAN)
def test_incidents_by_severity_with_time_to_mitigate_and_resolve(outputs, fmt):
    shown = text(outputs, fmt)
    assert ("INC-1 (SEV1, Risk fired: Migration locks the orders table) was mitigated after 12m "
            "and resolved after 42m") in shown
    sev1 = next(line for line in shown.splitlines() if line.lstrip("| ").startswith("SEV1"))
    assert "12m, 12m" in sev1 and "42m, 42m" in sev1
    history = shown[shown.index("INC-2: Admin page slow"):]
    assert history.index("INC-2 opened, SEV3") < history.index("CDN cache warming") < history.index("open → resolved")


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_rollback_decision_with_decider_and_rationale(outputs, fmt):
    assert "Decision ROLLBACK by Alice Martin: Orders blocked: roll the API back (incident INC-1)" in text(outputs, fmt)


@pytest.mark.parametrize("fmt", HUMAN)
def test_rollback_and_no_go_in_the_summary(outputs, fmt):
    shown = text(outputs, fmt)
    assert "NO-GO by Alice Martin at 2026-11-10 19:36 CET (18:36 UTC): QA found 2 regressions" in shown
    assert "ROLLBACK by Alice Martin at 2026-11-10 21:05 CET (20:05 UTC): Orders blocked: roll the API back" in shown


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_late_sponsor_update(outputs, fmt):
    assert re.search(r"Message \d+ sent to sponsors \(email\), 25m late against the cadence", text(outputs, fmt))


@pytest.mark.parametrize("fmt", HUMAN)
def test_late_updates_against_cadence(outputs, fmt):
    shown = text(outputs, fmt)
    assert ("The update to Sponsors due at 2026-11-10 21:00 CET (20:00 UTC) went out 25m late, "
            "at 2026-11-10 21:25 CET (20:25 UTC)") in shown
    sponsors = next(line for line in shown.splitlines() if line.lstrip("| ").startswith("Sponsors | email"))
    assert sponsors.split(" | ")[2:6] == ["1", "1", "1", "25m"]


@pytest.mark.parametrize("fmt", HUMAN)
def test_kpis_before_during_and_after_the_day_against_target(outputs, fmt):
    """The day's steps ended at 21:40: conversion's 3.0 at 21:30 is during the day, its 3.4 at
    22:00 after it (the verdict's period); p95's only reading, 950 at 21:30, is during."""
    shown = text(outputs, fmt)
    assert "the readings from H to 2026-11-10 21:40 CET (20:40 UTC), the end of the day's last step" in shown
    conversion = next(line for line in shown.splitlines() if line.lstrip("| ").startswith("Checkout conversion"))
    assert [cell.strip() for cell in conversion.strip("| ").split(" | ")] == [
        "Checkout conversion", "baseline 3.1%", "3% (mean of 1 reading, last 3%)",
        "3.4% (mean of 1 reading, last 3.4%)", "+0.3 pts, +9.7% (after)",
        "3.3% (higher is better)", "met"]
    p95 = next(line for line in shown.splitlines() if line.lstrip("| ").startswith("p95 latency"))
    assert [cell.strip() for cell in p95.strip("| ").split(" | ")] == [
        "p95 latency", "baseline 900 ms", "950 ms (mean of 1 reading, last 950 ms)",
        "no reading", "+5.6% (during)", "800 ms (lower is better)", "not met"]
    assert "1 met, 1 not met, 0 no data" in shown


@pytest.mark.parametrize("fmt", FORMATS)
def test_hand_over_and_retro_note(outputs, fmt):
    shown = text(outputs, fmt)
    assert "Role tech handed over from Bob Chen to Dmitri Ivanov (contact: @dmitri)" in shown
    assert "Note (retro): Migration lock timeout was known from the rehearsal" in shown


@pytest.mark.parametrize("fmt", HUMAN)
def test_gate_with_every_signoff_and_risk_that_fired(outputs, fmt):
    shown = text(outputs, fmt)
    gate = shown[shown.index("Gates and sign-offs"):shown.index("Incidents\n")]
    assert (gate.count("Chloé Dubois") == 2 and gate.count("Alice Martin") == 1 and "2 regressions open" in gate
            and "regressions fixed" in gate)
    assert "Risk db-lock (Migration locks the orders table) fired and became INC-1" in shown
    db_lock = next(line for line in shown.splitlines() if line.lstrip("| ").startswith("db-lock: Migration"))
    assert "triggered" in db_lock and "2026-11-10 20:58 CET (19:58 UTC), INC-1" in db_lock


@pytest.mark.parametrize("fmt", HUMAN)
def test_timeline_is_sorted_by_when_things_happened_ties_in_journal_order(outputs, fmt):
    timeline = text(outputs, fmt).split("Timeline")[-1]
    lines = [line for line in timeline.splitlines() if "(" in line and "UTC)" in line]
    assert len(lines) == 36
    failed, pizza = (next(i for i, line in enumerate(lines) if marker in line)
                     for marker in ("FAILED", "Pizza arrived"))
    assert failed + 1 == pizza  # both at 21:00: the step was recorded first
    assert re.split(r" · | \| ", lines[0])[2].startswith("Gate gate-go")
    assert "War room created" in lines[-1]  # the file was made today; the day was typed in afterwards


def test_csv_rows_are_the_journal_in_timeline_order(outputs):
    rows = list(csv.DictReader(io.StringIO(outputs["csv"])))
    assert len(rows) == 36
    assert [r["happened_at"] for r in rows] == sorted(r["happened_at"] for r in rows)
    rollback = next(r for r in rows if r["action"] == "decision.rollback")
    assert rollback["happened_at"] == "2026-11-10T20:05:00.000Z"
    assert rollback["happened_local"] == "2026-11-10T21:05:00.000+01:00"
    assert rollback["operator"] == "Léo Scribe"
    assert json.loads(rollback["payload"])["rationale"] == "Orders blocked: roll the API back"


def test_json_states_the_facts(outputs):
    report = json.loads(outputs["json"])
    facts, state = report["facts"], report["state"]
    inc1 = next(i for i in facts["incidents"] if i["incident"] == "INC-1")
    assert (inc1["severity"], inc1["to_mitigate"], inc1["to_resolve"]) == (1, 12 * MINUTE, 42 * MINUTE)
    migrate = next(s for s in facts["runbook"] if s["step"] == "migrate")
    assert (migrate["end_slip"], migrate["late"], migrate["failures"]) == (30 * MINUTE, True, 1)
    decisions = {d["id"]: d for d in state["decisions"]}
    assert [decisions[i]["kind"] for i in facts["stop_decisions"]] == ["no-go", "rollback"]
    rollback = decisions[facts["stop_decisions"][1]]
    assert (rollback["decided_by"], rollback["rationale"], rollback["incident"]) == (
        "Alice Martin", "Orders blocked: roll the API back", "INC-1")
    assert decisions[facts["go_decision"]]["happened_at"] == at("19:45")
    sponsors = next(a for a in facts["audiences"] if a["audience"] == "sponsors")
    assert sponsors["late"] == [{"due_at": at("21:00"), "sent_at": at("21:25"), "late_by": 25 * MINUTE}]
    kpis = {k["kpi"]: k for k in facts["kpis"]}
    assert (kpis["conversion"]["last"]["value"], kpis["conversion"]["met"]) == (3.4, True)
    assert (kpis["p95"]["last"]["value"], kpis["p95"]["met"]) == (950, False)
    assert facts["golive_window"]["actual_end"] == at("21:40")


@pytest.mark.parametrize("fmt", HUMAN)
def test_a_day_not_started_says_so(tmp_path, fmt):
    from .conftest import create_room

    shown = readable(fmt, export_text(create_room(tmp_path / "new.db"), fmt, now=at("18:00")))
    for sentence in ("not started", "no go decision recorded before the day's first task",
                     "0 done, 0 late, 0 failed, 0 skipped, 0 in progress, 6 pending, 0 blocked, of 6",
                     "No incident was opened.", "No message logged.", "No note tagged retro",
                     "No hand-over: every role stayed with its holder from the plan.",
                     "No slip, incident or late update was recorded"):
        assert sentence in shown, sentence


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_window_with_no_event(known_day, fmt):
    shown = readable(fmt, export_text(known_day, fmt, since=at("22:10"), until=at("22:50")))
    assert "Step migrate (Migrate the orders table): done" not in shown and "Note (retro)" not in shown
    if fmt != "csv":
        assert "No event in this window." in shown and "Questions drawn from the facts" in shown
    else:
        assert shown.splitlines() == ["id | happened_at | happened_local | recorded_at | operator | action | entity | "
                                      "entity_id | what | payload | prev_hash | hash | login"]
