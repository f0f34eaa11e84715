"""What the report says about a hold, a step that never started, a large KPI value and an
instant out of any calendar that an old journal may hold."""
import json

import pytest

from warroom.store import commands as c
from warroom.store.store import Store

from ..conftest import tamper
from .conftest import SCRIBE, at, create_room, export_text, readable

HUMAN = ["md", "html"]
NEXT_DAY = at("20:00") + 26 * 3_600_000


@pytest.fixture
def held(day_db):
    with Store(day_db, SCRIBE) as s:
        c.decide(s, "hold", "Alice Martin", "Error rate climbing", at=at("21:42"))
    return day_db


@pytest.mark.parametrize("fmt", HUMAN)
def test_a_hold_is_a_stop_in_the_summary_and_the_retrospective(held, fmt):
    shown = readable(fmt, export_text(held, fmt))
    summary = shown[shown.index("Summary"):shown.index("Retrospective")]
    retrospective = shown[shown.index("Retrospective"):shown.index("Runbook: planned vs actual")]
    assert "HOLD by Alice Martin at 2026-11-10 21:42 CET (20:42 UTC): Error rate climbing" in summary
    assert ("HOLD decided by Alice Martin at 2026-11-10 21:42 CET (20:42 UTC): Error rate climbing. "
            "Which signal led to it") in retrospective


def test_a_hold_is_a_stop_in_json(held):
    report = json.loads(export_text(held, "json"))
    kinds = {d["id"]: d["kind"] for d in report["state"]["decisions"]}
    assert [kinds[i] for i in report["facts"]["stop_decisions"]] == ["no-go", "rollback", "hold"]


@pytest.fixture
def deploy_running(tmp_path):
    path = create_room(tmp_path / "stuck.db")
    with Store(path, SCRIBE) as s:
        c.step(s, "start", "deploy", force=True, note="gate signed on paper", at=at("20:00"))
    return path


@pytest.mark.parametrize("fmt", HUMAN)
def test_a_step_never_started_has_not_started_and_a_running_one_is_running(deploy_running, fmt):
    shown = readable(fmt, export_text(deploy_running, fmt, now=NEXT_DAY))
    assert ("Step migrate (Migrate the orders table) has not started "
            "(planned 2026-11-10 20:30 CET (19:30 UTC)). What held it up") in shown
    assert "Step deploy (Deploy the API) is running 1d1h30m later than planned. What held it up" in shown
    assert "Step migrate (Migrate the orders table) is running" not in shown


@pytest.mark.parametrize("fmt", HUMAN)
def test_kpi_values_are_written_out_with_their_unit(day_db, fmt):
    with Store(day_db, SCRIBE) as s:
        c.record_kpi(s, "p95", 4e6, at=at("22:10"))
    shown = readable(fmt, export_text(day_db, fmt))
    p95 = next(line for line in shown.splitlines() if line.lstrip("| ").startswith("p95 latency"))
    assert "900 ms" in p95 and "800 ms (lower is better)" in p95
    assert "4,000,000 ms (mean of 1 reading, last 4,000,000 ms)" in p95
    assert "+444,344% (after)" in p95


ANCIENT = -84_604_449_600_000  # what `--at -1000000d` once stored: year -711


@pytest.fixture
def ancient(day_db):
    """The day with deploy started in year -711: its row, slips and the chart meet it."""
    tamper(day_db, f"UPDATE events SET happened_at = {ANCIENT} WHERE id = "
                   "(SELECT MIN(id) FROM events WHERE action = 'step.start');")
    return day_db


@pytest.mark.parametrize("fmt", ["md", "html", "csv", "json"])
def test_a_journal_holding_a_time_out_of_any_calendar_still_exports(ancient, fmt):
    shown = export_text(ancient, fmt)
    assert f"⟨invalid time {ANCIENT} ms⟩" in shown or (fmt == "json" and str(ANCIENT) in shown)
