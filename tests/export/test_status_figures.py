"""`warroom status --as-of T`: the phase follows the clock; open incidents are counted apart."""
import json

import pytest
from click.testing import CliRunner

from warroom.cli import main

from .conftest import create_room


def status(db, as_of: str) -> dict:
    result = CliRunner().invoke(main, ["--db", str(db), "status", "--as-of", as_of, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("as_of, phase", [("19:59", "before"), ("20:00", "day"), ("23:00", "day")])
def test_the_phase_follows_the_clock_even_with_the_gate_still_open(tmp_path, as_of, phase):
    assert status(create_room(tmp_path / "idle.db"), as_of)["phase"] == phase


def test_after_once_every_day_step_is_settled(known_day):
    assert status(known_day, "21:39")["phase"] == "day"
    assert status(known_day, "21:40")["phase"] == "after"


def test_a_resolved_incident_is_not_counted_as_open(known_day):
    incidents = status(known_day, "21:45")["incidents"]  # INC-1 (SEV1) resolved at 21:40, INC-2 (SEV3) open
    assert (incidents["total"], incidents["open"]) == (2, 1)
    assert incidents["by_severity"] == {"SEV1": 1, "SEV3": 1}
    assert incidents["open_by_severity"] == {"SEV3": 1}
