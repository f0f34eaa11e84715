"""A journal altered after the fact is exported with a loud warning at the top of every
format, never silently."""
import csv
import io
import json
import sys

import pytest

from ..conftest import tamper
from .conftest import export_text, html_text

WARNING = "WARNING: THIS JOURNAL FAILED VERIFICATION"


@pytest.fixture
def rewritten_rollback(day_db):
    tamper(day_db, "UPDATE events SET payload = replace(payload, 'Orders blocked', 'Planned drill')"
                  " WHERE action = 'decision.rollback';")
    return day_db


def test_markdown_opens_with_the_warning(rewritten_rollback):
    md = export_text(rewritten_rollback, "md")
    head = md.split("\n## ")[0]
    assert head.startswith("# Go-live report") and f"> **{WARNING} (1 problem(s))." in head
    assert "event 16: hash does not match its content (altered)" in head
    assert "Planned drill" in md  # what the file holds is shown, under the warning


def test_html_opens_with_the_warning(rewritten_rollback):
    page = export_text(rewritten_rollback, "html")
    assert page.index('<div class="alert" role="alert">') < page.index("<h2")
    text = html_text(page)[0]
    assert WARNING in text.split("Summary")[0] and "event 16: hash does not match" in text.split("Summary")[0]


def test_json_says_so_before_anything_else(rewritten_rollback):
    raw = export_text(rewritten_rollback, "json")
    report = json.loads(raw)
    assert list(report)[:3] == ["schema", "version", "verification"]
    assert report["verification"]["ok"] is False
    assert report["verification"]["problems"] == ["event 16: hash does not match its content (altered)"]
    assert WARNING in report["verification"]["warning"]
    assert raw.index("verification") < raw.index('"journal"')


def test_csv_opens_with_warning_rows(rewritten_rollback):
    lines = export_text(rewritten_rollback, "csv").splitlines()
    assert lines[0].startswith(f"# {WARNING}") and lines[1] == "# event 16: hash does not match its content (altered)"
    assert lines[2].startswith("id,happened_at")


def test_a_payload_that_is_no_longer_json_is_kept_and_flagged(day_db):
    tamper(day_db, "UPDATE events SET payload = '{\"text\": \"cut' WHERE action = 'note' AND id = (SELECT MIN(id)"
                  " FROM events WHERE action = 'note');")
    report = json.loads(export_text(day_db, "json"))
    assert report["verification"]["ok"] is False
    cut = next(e for e in report["journal"] if e["action"] == "note")
    assert cut["payload"] == {"unparsable_payload": '{"text": "cut'}
    rows = list(csv.reader(io.StringIO(export_text(day_db, "csv"))))
    assert rows[0][0].startswith(f"# {WARNING}")
    assert "note" in [r[5] for r in rows[2:] if len(r) > 5]


def test_deleted_events_are_reported(day_db):
    tamper(day_db, "DELETE FROM events WHERE action = 'decision.rollback';")
    md = export_text(day_db, "md")
    assert "event 17: expected id 16 (events missing)" in md.split("\n## ")[0]


def test_without_a_second_process_the_journal_is_still_verified(rewritten_rollback, monkeypatch):
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")  # the verifying process cannot start
    assert f"> **{WARNING} (1 problem(s))." in export_text(rewritten_rollback, "md")
