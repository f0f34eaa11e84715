"""Figures derived from the runbook: the phase follows the clock."""
import pytest

from warroom.domain.figures import current_phase

H = 1_800_000_000_000
HOUR = 3_600_000


def step(phase: str, status: str) -> dict:
    return {"phase": phase, "status": status}


RUNBOOK = [step("before", "pending"), step("day", "done"), step("day", "in_progress"), step("after", "pending")]


@pytest.mark.parametrize("now, runbook, phase", [
    (H - 1, RUNBOOK, "before"),
    (H, RUNBOOK, "day"),  # a `before` step still open does not hold the clock back
    (H + HOUR, [step("before", "done"), step("day", "failed")], "day"),
    (H + HOUR, [step("day", "done"), step("day", "skipped"), step("after", "pending")], "after"),
    (H - HOUR, [step("day", "done"), step("after", "done")], "before"),
])
def test_the_phase_follows_the_clock_then_the_day_steps(now, runbook, phase):
    assert current_phase(runbook, now, H) == phase
