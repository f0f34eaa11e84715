"""The board as it stood at a moment, folded from the journal by the one reducer
(domain/reducer.py). Messages, notes and KPI readings are logs, tallied in SQL
(tallies.py), so the board leaves them out and stays small however long the journal is."""
from __future__ import annotations

import sqlite3

from ..domain.reducer import Board
from ..store.rebuild import journal_board


def rebuild(conn: sqlite3.Connection, as_of: int | None = None) -> Board:
    """The board as it stood at `as_of` (None: after every event), read from the journal."""
    return journal_board(conn, as_of, logs=False)
