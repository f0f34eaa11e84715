"""KPI readings in the fold: each reading or failed source run kept as a log row, and when
each KPI was first read and first answered by its source, which a gate with `kpis_ready`
waits for (reducer._signoff). Handlers of the reducer (reducer._HANDLERS)."""
from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

if TYPE_CHECKING:
    from .events import Event


class KpiFirsts(NamedTuple):
    """When a KPI was first read, and when its source first answered (ms UTC; None: not yet)."""

    reading: int | None
    answer: int | None

    def seen(self, at: int, from_source: bool) -> KpiFirsts:
        return KpiFirsts(min(at, self.reading) if self.reading is not None else at,
                         (min(at, self.answer) if self.answer is not None else at) if from_source else self.answer)


NEVER = KpiFirsts(None, None)


class Board(Protocol):
    """The reducer's board, as far as KPI readings go (the reducer imports this module)."""

    kpi_readings: dict[int, dict[str, Any]]
    kpi_firsts: dict[str, KpiFirsts]


def record(board: Board, e: Event, p: dict[str, Any], check: bool) -> None:
    """A reading, or a source's failed run (its error, never a number)."""
    failed = e.action == "kpi.fail"
    board.kpi_readings[e.id] = {"id": e.id, "kpi": e.entity_id, "value": None if failed else p["value"],
                                "error": p["error"] if failed else None, "operator": e.operator,
                                "happened_at": e.happened_at, "recorded_at": e.recorded_at}
    if not failed:
        board.kpi_firsts[e.subject] = board.kpi_firsts.get(e.subject, NEVER).seen(e.happened_at, bool(p.get("source")))


def gaps(kpis: Mapping[str, dict[str, Any]], firsts: Mapping[str, KpiFirsts], before: int, at: int) -> list[str]:
    """Why the KPIs cannot be measured yet at `at`: one without a baseline (none in the plan,
    no reading by `before`: H, or `at` when sooner), one whose source has never answered."""
    found = []
    for key, kpi in sorted(kpis.items(), key=lambda k: k[1]["position"]):
        first = firsts.get(key, NEVER)
        if kpi["baseline"] is None and not (first.reading is not None and first.reading <= before):
            found.append(f"KPI {key} has no baseline (none in the plan, no reading before H)")
        if kpi["source"] and not (first.answer is not None and first.answer <= at):
            found.append(f"KPI {key}: its source has never answered (warroom kpi check)")
    return found
