"""The after-phase in the report: each KPI before H, during the day and after it against its
target, the stabilisation checks, the follow-ups, and the retrospective's questions about
them, on the seeded day of conftest.seed_after_phase (go-live 30 October 10:00 UTC, the day
over at 10:45, exported on 7 November)."""
import csv
import io
import json

import pytest
from click.testing import CliRunner

from warroom.cli import main
from warroom.demo_day import create_demo
from warroom.domain.visible import visible
from warroom.store import commands as c
from warroom.store.store import Store

from .conftest import AFTER_NOW, HOSTILE, create_after_room, export_text, html_text, readable, utc

INVISIBLE = ("\x1b", "\x07", "\x9b", "\u202e", "\u202c")


@pytest.fixture(scope="module")
def report(after_day) -> dict:
    return json.loads(export_text(after_day, "json", now=AFTER_NOW))


def kpi(report: dict, key: str) -> dict:
    return next(k for k in report["facts"]["kpis"] if k["kpi"] == key)


def test_the_day_ends_when_its_last_step_did_and_after_begins_there(report):
    assert report["facts"]["day_end"] == {"at": utc("2026-10-30T10:45"), "by": "the end of the day's last step"}


def test_a_kpi_with_a_baseline_is_compared_before_during_and_after_and_met_on_its_after_mean(report):
    conv = kpi(report, "conv")
    assert conv["before"] == {"value": 60, "source": "baseline", "count": 2, "mean": 60, "failed": 1}
    assert conv["during"] == {"count": 2, "mean": 63, "last": 64, "last_at": utc("2026-10-30T10:40"), "failed": 1}
    assert conv["after"] == {"count": 2, "mean": 67, "last": 68, "last_at": utc("2026-11-06T10:00"), "failed": 1}
    assert (conv["judged_on"], conv["change_pct"], conv["verdict"], conv["met"]) == ("after", 11.67, "met", True)
    assert (conv["failed"], conv["error"]) == (3, "exit 1")  # a failed run is counted, never a number
    assert (conv["readings"], conv["low"], conv["high"], conv["last"]["value"]) == (6, 59, 68, 68)


def test_a_kpi_without_baseline_is_measured_before_h_and_judged_on_the_day_when_nothing_came_after(report):
    tickets = kpi(report, "tickets")
    assert tickets["before"] == {"value": 6.5, "source": "measured", "count": 2, "mean": 6.5, "failed": 0}
    assert tickets["during"] == {"count": 1, "mean": 8, "last": 8, "last_at": utc("2026-10-30T10:30"), "failed": 0}
    assert tickets["after"] == {"count": 0, "mean": None, "last": None, "last_at": None, "failed": 0}
    assert (tickets["judged_on"], tickets["change_pct"], tickets["verdict"], tickets["met"]) == (
        "during", 23.08, "not met", False)


def test_each_check_with_its_result_and_each_followup_open_first_overdue_at_the_horizon(report):
    assert report["facts"]["checks"] == [
        {"step": "journey", "title": "Re-test checkout on production", "status": "failed",
         "ended_at": utc("2026-10-31T09:30"), "evidence": None, "note": "ERP shows the orders twice",
         "followups": []}]
    followups = report["facts"]["followups"]
    assert [(f["ref"], f["status"], f["overdue"]) for f in followups] == [
        ("FU-2", "open", True), ("FU-4", "open", False), ("FU-3", "dropped", False), ("FU-1", "done", False)]
    assert followups[3] == {
        "ref": "FU-1", "title": "Raise the pool size", "owner": "rm", "priority": "P1",
        "due": utc("2026-11-02T12:00"), "status": "done", "incident": "INC-1", "step": None, "note": "pool at 80",
        "opened_by": "Ann", "opened_at": utc("2026-10-30T11:00"), "closed_by": "Ann",
        "closed_at": utc("2026-11-01T10:00"), "overdue": False}
    assert [f["ref"] for f in report["state"]["followups"]] == ["FU-1", "FU-2", "FU-3", "FU-4"]


def test_the_retrospective_asks_about_what_has_no_followup_is_overdue_or_failed_to_measure(report):
    prompts = report["retrospective"]["prompts"]
    assert ("Check journey (Re-test checkout on production) failed (ERP shows the orders twice) and no "
            "follow-up names it. Who fixes it, and by when?") in prompts
    assert ("INC-2 (SEV1, Checkout down) was resolved and no follow-up names it. What must change so that it "
            "does not happen again, and who owns that?") in prompts
    assert not any(p.startswith("INC-1 (SEV2, Payments slow) was resolved") for p in prompts)  # FU-1 names it
    assert ("Follow-up FU-2 (Retest refunds, P2, owner qa) was due 2026-11-04 10:00 UTC and is still open. "
            "Is it still worth doing, and what holds it up?") in prompts
    assert ("The source of KPI Conversion failed 3 time(s) (latest: exit 1). Can its figures be trusted, "
            "and what broke?") in prompts
    assert not any("no reading since go-live" in p for p in prompts)


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_the_report_names_the_periods_and_shows_each_kpi_against_its_target(after_day, fmt):
    shown = readable(fmt, export_text(after_day, fmt, now=AFTER_NOW))
    assert "the readings from H to 2026-10-30 10:45 UTC, the end of the day's last step" in shown
    assert "the readings from 2026-10-30 10:45 UTC on, up to 2026-11-07 12:00 UTC" in shown
    conv = next(line for line in shown.splitlines() if line.lstrip("| ").startswith("Conversion"))
    assert [cell.strip() for cell in conv.strip("| ").split(" | ")] == [
        "Conversion", "baseline 60% (measured 60%, 2 readings); its source failed 1 time(s), latest: "
        "timeout after 5 s", "63% (mean of 2 readings, last 64%); its source failed 1 "
        "time(s), latest: HTTP 503", "67% (mean of 2 readings, last 68%); its source failed "
        "1 time(s), latest: exit 1", "+7 pts, +11.7% (after)", "65% (higher is better)", "met"]
    tickets = next(line for line in shown.splitlines() if line.lstrip("| ").startswith("Support tickets"))
    assert "measured 6.5 /h (2 readings)" in tickets and "| no reading |" in tickets and "not met" in tickets
    assert "journey: Re-test checkout on production | qa | failed | 2026-10-31 09:30 UTC | " \
           "ERP shows the orders twice | none" in shown
    assert "2026-11-04 10:00 UTC, OVERDUE" in shown
    assert "2026-11-01 10:00 UTC by Ann: pool at 80" in shown
    assert "1 met, 1 not met, 0 no data" in shown and "2 open (1 overdue), 1 done, 1 dropped" in shown


@pytest.mark.parametrize("fmt", ["md", "html", "csv"])
def test_the_timeline_says_where_a_reading_came_from_and_what_a_followup_and_a_failed_source_are(after_day, fmt):
    shown = readable(fmt, export_text(after_day, fmt, now=AFTER_NOW))
    assert "KPI conv = 62% (from its source)" in shown and "KPI tickets = 8 /h" in shown
    assert "KPI tickets = 8 /h (from its source)" not in shown
    assert "KPI conv: source failed — HTTP 503" in shown
    assert ("Follow-up FU-1 added (P1, owner rm, due 2026-11-02 12:00): Raise the pool size (incident INC-1)"
            in shown)
    assert "Follow-up FU-3 added (P4, owner rm, no due date): Archive the old checkout" in shown
    assert "Follow-up FU-1 done — pool at 80" in shown
    assert "Follow-up FU-3 dropped — the old checkout goes with the next release" in shown
    assert "Check journey (Re-test checkout on production): FAILED — ERP shows the orders twice" in shown


def test_as_of_before_the_after_readings_has_no_after_data(after_day):
    result = CliRunner().invoke(main, ["--db", str(after_day), "--as", "Auditor", "export", "--format", "json",
                                       "--as-of", "2026-10-30T12:00"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    conv = kpi(report, "conv")
    assert conv["after"] == {"count": 0, "mean": None, "last": None, "last_at": None, "failed": 0}
    assert (conv["during"]["count"], conv["during"]["mean"]) == (2, 63)
    assert (conv["judged_on"], conv["change_pct"], conv["verdict"]) == ("during", 5.0, "not met")
    assert [f["ref"] for f in report["facts"]["followups"] if f["overdue"]] == []  # FU-2 was not due yet
    assert report["facts"]["checks"][0]["status"] == "pending"


@pytest.fixture
def only_before(tmp_path):
    """A day whose tickets were read before H only, at a value that meets the target."""
    path = create_after_room(tmp_path / "before.db")
    with Store(path, "Ann") as ann:
        c.record_kpi(ann, "tickets", 4, at=utc("2026-10-30T09:00"))
        c.record_kpi(ann, "conv", 70, at=utc("2026-10-30T09:10"))
    return path


def test_a_kpi_read_only_before_h_is_no_data_never_met(only_before):
    report = json.loads(export_text(only_before, "json", now=AFTER_NOW))
    for key in ("tickets", "conv"):
        k = kpi(report, key)
        assert (k["verdict"], k["met"], k["judged_on"], k["change_pct"]) == ("no data", None, None, None), key
    assert kpi(report, "tickets")["before"] == {"value": 4, "source": "measured", "count": 1, "mean": 4, "failed": 0}
    assert ("KPI Support tickets has no reading since go-live: did the change work for it, and how will we know?"
            in report["retrospective"]["prompts"])
    shown = readable("md", export_text(only_before, "md", now=AFTER_NOW))
    assert "0 met, 0 not met, 2 no data" in shown
    tickets = next(line for line in shown.splitlines() if line.startswith("| Support tickets"))
    assert tickets.endswith("| no reading | no reading |  | 5 /h (lower is better) | *no data* |")


def test_before_h_nothing_is_asked_about_kpis_with_no_reading_since(only_before):
    report = json.loads(export_text(only_before, "json", now=utc("2026-10-30T09:30")))
    assert not any("no reading since go-live" in p for p in report["retrospective"]["prompts"])


@pytest.fixture
def hostile_after(tmp_path):
    """A check passed, a follow-up and a source error, each in hostile text."""
    path = create_after_room(tmp_path / "hostile.db")
    with Store(path, "Ann") as ann:
        c.record_kpi_failure(ann, "conv", HOSTILE, at=utc("2026-10-30T10:05"))
        c.step(ann, "start", "journey", force=True, note="re-test early", at=utc("2026-10-30T11:00"))
        c.step(ann, "done", "journey", evidence=HOSTILE, at=utc("2026-10-30T11:30"))
        c.add_followup(ann, HOSTILE, "qa", step="journey", at=utc("2026-10-30T11:40"))
        c.close_followup(ann, "FU-1", "drop", HOSTILE, at=utc("2026-10-30T11:50"))
    return path


@pytest.mark.parametrize("fmt", ["md", "html", "json", "csv"])
def test_hostile_evidence_followup_and_source_error_are_inert_in_every_format(hostile_after, fmt):
    output = export_text(hostile_after, fmt, now=AFTER_NOW)
    for char in INVISIBLE:
        assert char not in output, (fmt, repr(char))
    if fmt == "json":
        assert "<script" not in output
        report = json.loads(output)
        check = report["facts"]["checks"][0]
        assert (check["status"], check["evidence"], check["followups"]) == ("passed", HOSTILE, ["FU-1"])
        assert (report["facts"]["followups"][0]["title"], report["facts"]["followups"][0]["note"]) == (HOSTILE, HOSTILE)
        assert kpi(report, "conv")["error"] == visible(HOSTILE, one_line=True, limit=300)
        return
    shown = readable(fmt, output)
    assert shown.count("␛[31mRED") >= 4 and "⟨U+202E⟩evil" in shown  # evidence, follow-up, note, error
    assert 'Check journey (Re-test checkout on production): passed — evidence: <script>alert("x")</script>' in shown
    if fmt == "html":
        text, tags = html_text(output)
        assert {"script", "a", "img", "iframe", "object"}.isdisjoint(tags)
        assert '<script>alert("x")</script>' in text
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(output, newline="")))
        failed = next(r for r in rows if r["action"] == "kpi.fail")
        assert failed["what"].startswith('KPI conv: source failed — <script>alert("x")</script>')


DEMO_NOW = utc("2026-11-20T12:00")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo day two weeks on (`warroom demo --minute 21000`), at a fixed moment."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    create_demo(path, "Léo Petitjean", now=DEMO_NOW, minute=21000)
    return path


def test_the_demo_day_two_weeks_on(demo):
    report = json.loads(export_text(demo, "json", now=DEMO_NOW))
    facts = report["facts"]
    assert {k["kpi"]: k["verdict"] for k in facts["kpis"]} == {
        "checkout_conversion": "not met",  # its last reading (65.8) meets 65; the after mean (64.95) does not
        "p95_latency": "met", "payment_error_rate": "met", "support_tickets": "met", "time_to_pay": "met"}
    time_to_pay = kpi(report, "time_to_pay")
    assert time_to_pay["before"] == {"value": 94, "source": "measured", "count": 3, "mean": 94, "failed": 0}
    assert (time_to_pay["after"]["count"], time_to_pay["after"]["mean"]) == (4, 29.5)
    assert [(c["step"], c["status"], c["followups"]) for c in facts["checks"]] == [
        ("prod-journey-retest", "passed", []), ("retest-saved-cards", "failed", ["FU-3"]),
        ("payment-reconciliation", "passed", [])]
    assert [(f["ref"], f["status"], f["overdue"]) for f in facts["followups"]] == [
        ("FU-3", "open", True), ("FU-2", "open", True), ("FU-1", "done", False)]
    assert not any("no follow-up names it" in p for p in report["retrospective"]["prompts"])
    shown = readable("md", export_text(demo, "md", now=DEMO_NOW))
    assert "the readings from H to " in shown and ", the end of the change window" in shown
    assert "day step(s) still open" not in shown  # the rollback runbook on standby is not an open step


def test_a_verdict_on_the_mean_says_when_the_latest_reading_says_otherwise(tmp_path):
    """Settled above its target after a slow start: 'not met' alone would mislead."""
    from warroom.export.after import KpiFacts, Stretch, latest_differs
    from warroom.store.reader import Reading

    kpi = {"key": "conv", "name": "Conversion", "unit": "%", "baseline": 60.0, "target": 65.0, "better": "up"}
    slow = KpiFacts(kpi, after=Stretch(count=4, mean=64.95, last=Reading(65.8, 0, "kpi-watch")))
    assert (slow.verdict, latest_differs(slow)) == ("not met", "latest 65.8% meets it")
    steady = KpiFacts(kpi, after=Stretch(count=2, mean=66.0, last=Reading(66.5, 0, "kpi-watch")))
    assert (steady.verdict, latest_differs(steady)) == ("met", None)
