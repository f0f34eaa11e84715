"""`warroom status --as-of T`: the same answer as store.queries.status, rebuilt from the
journal as the board stood at T."""
from __future__ import annotations

from ..store.queries import summary
from ..store.store import Store
from . import source
from .replay import rebuild
from .tallies import tally


def status_as_of(store: Store, t_ms: int) -> dict:
    with source.snapshot(store.conn):
        board = rebuild(store.conn, t_ms)
        counts = tally(store.conn, t_ms)
    return summary(name=board.meta["name"], timezone=board.meta["timezone"], golive=board.golive,
                   hold=board.meta["hold"], runbook=list(board.steps.values()), incidents=board.incident_list(),
                   decisions=list(board.decisions.values()), messages=counts.messages, events=counts.events, now=t_ms)
