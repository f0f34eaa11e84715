"""`--at` as the command line reads it: the plan bounds how early, a repeated hour is told."""
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from warroom.cli import main
from warroom.domain import timefmt
from warroom.store.store import Store

PARIS = timefmt.zone("Europe/Paris")
NOW = timefmt.to_ms(datetime(2026, 11, 24, 21, 0, tzinfo=PARIS))  # the small plan's first step: 2026-11-23 20:00


@pytest.fixture
def note_at(db_path, monkeypatch):
    monkeypatch.setattr(timefmt, "now_ms", lambda: NOW)

    def run(at: str):
        return CliRunner().invoke(main, ["--db", str(db_path), "--as", "Alice Martin", "note", "x", "--at", at])
    return run


def journal(db_path) -> list[dict]:
    with Store(db_path, "x") as store:
        return store.query("SELECT id, happened_at FROM events ORDER BY id")


def test_a_repeated_hour_is_taken_as_the_later_and_the_scribe_is_told(note_at, db_path):
    result = note_at("2026-10-25T02:30")
    assert result.exit_code == 0, result.output
    assert result.stderr == ("note: 02:30 happened twice on 2026-10-25; taken as 02:30 CET (+01:00); "
                             "give an offset like 2026-10-25T02:30+02:00 for the other\n")
    assert journal(db_path)[-1]["happened_at"] == timefmt.to_ms(datetime(2026, 10, 25, 1, 30, tzinfo=UTC))


def test_an_offset_gets_no_note(note_at):
    result = note_at("2026-10-25T02:30+02:00")
    assert result.exit_code == 0 and result.stderr == ""


@pytest.mark.parametrize("at, message", [
    ("2026-10-20T12:00", "is more than 30 days before the plan's first step (2026-11-23 20:00)"),
    ("-1000000d", "is more than 30 days before the plan's first step"),
    ("-99999999999999999999d", "is more than 30 days before the plan's first step"),
    ("0001-01-01T00:00", "is more than 30 days before the plan's first step"),
    ("9999-12-31T23:59", "is in the future"),
])
def test_a_time_out_of_range_exits_2_with_one_line_and_records_nothing(note_at, db_path, at, message):
    before = journal(db_path)
    result = note_at(at)
    assert result.exit_code == 2
    assert message in result.stderr and result.stderr.count("\n") == 1
    assert journal(db_path) == before
