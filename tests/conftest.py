"""Shared fixtures: a real war room file on disk, made from the small test plan."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from warroom.plan import load_plan
from warroom.store import commands
from warroom.store.store import Store

FIXTURES = Path(__file__).parent / "fixtures"
SMALL_PLAN = FIXTURES / "small.yaml"


@pytest.fixture
def small_plan() -> Path:
    return SMALL_PLAN


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "warroom.db"
    with Store.create(path, "setup") as store:
        commands.init(store, load_plan(SMALL_PLAN))
    return path


@pytest.fixture
def store(db_path: Path):
    with Store(db_path, "Alice Martin") as opened:
        yield opened


def tamper(db: Path, sql: str) -> None:
    """What someone with the sqlite3 shell could do: drop the journal's guards, then edit it."""
    conn = sqlite3.connect(db)
    conn.executescript("DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete; " + sql)
    conn.close()
