"""Follow-ups: the work a go-live leaves behind (a bug qualified while stabilising, a fix
after an incident), each with an owner, a priority and maybe a due date, until done or
dropped. Handlers of the reducer (reducer._HANDLERS)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from .kinds import FollowupStatus
from .rules import RuleError

if TYPE_CHECKING:
    from .events import Event


class Board(Protocol):
    """The reducer's board, as far as follow-ups go (the reducer imports this module)."""

    followups: dict[int, dict[str, Any]]
    incidents: dict[int, dict[str, Any]]


def order(followup: dict[str, Any]) -> tuple:
    """Open ones first, the highest priority first, then the soonest due (none due last); then
    the closed ones, the latest closed first."""
    if followup["status"] == FollowupStatus.OPEN:
        return (0, followup["priority"], followup["due"] is None, followup["due"] or 0, followup["number"])
    return (1, "", False, -(followup["closed_at"] or 0), followup["number"])


def number(ref: str) -> int:
    """'FU-3' -> 3."""
    return int(ref.removeprefix("FU-"))


def add(board: Board, e: Event, p: dict[str, Any], check: bool) -> None:
    """A new follow-up (the command checked that its owner and step exist), never before the
    incident it follows up was opened (a correction may move either)."""
    incident = p.get("incident")
    if check and incident and not any(i["ref"] == incident and i["opened_at"] <= e.happened_at
                                      for i in board.incidents.values()):
        raise RuleError(f"{incident} was not open yet at that time")
    n = number(p["ref"])
    board.followups[n] = {
        "number": n, "ref": p["ref"], "title": p["title"], "owner": p["owner"], "due": p.get("due"),
        "priority": p["priority"], "incident": p.get("incident"), "step": p.get("step"),
        "status": FollowupStatus.OPEN.value, "note": None, "opened_by": e.operator, "opened_at": e.happened_at,
        "closed_by": None, "closed_at": None, "recorded_at": e.recorded_at}


def close(board: Board, e: Event, p: dict[str, Any], check: bool) -> None:
    """Done, or dropped (not worth doing after all): either way with a note saying why."""
    row = board.followups.get(number(e.subject))
    if row is None:
        raise RuleError(f"{e.subject} was not added yet at that time")
    if check and row["status"] != FollowupStatus.OPEN:
        raise RuleError(f"{row['ref']} is already {row['status']}")
    if check and not (p.get("note") or "").strip():
        raise RuleError(f"closing {row['ref']} needs a note (--note): what was done, or why it is dropped")
    status = FollowupStatus.DONE if e.verb == "done" else FollowupStatus.DROPPED
    row.update(status=status.value, note=p.get("note") or "", closed_by=e.operator, closed_at=e.happened_at)
