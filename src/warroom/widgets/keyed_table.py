"""A DataTable that is updated by row key: new rows are added in small batches, changed
cells are updated in place, rows keep an order of their own and the cursor stays on the
row it was on, whatever moves around it. Columns fit the table's width: the room left by
the fixed ones goes to those that fill, and a cell too long for its column ends in "…"."""
from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist

from ..console.compat import set_column_widths

BATCH = 50  # rows added per turn of the event loop


class OrderCell(Text):
    """The first cell of a row: it carries the row's place in the table's order."""

    order: Any = None


@dataclass(frozen=True)
class Tail:
    """A cell whose `head` is cut short, not its `tail`: 'Watch production du… · sre'."""

    head: Text
    tail: Text

    def fit(self, width: int) -> Text:
        """The cell in `width` cells (at least one of the head's)."""
        head = self.head.copy()
        head.truncate(max(width - self.tail.cell_len, 1), overflow="ellipsis")
        return Text(end="", no_wrap=True, overflow="ellipsis").append_text(head).append_text(self.tail)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.fit(options.max_width)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(self.tail.cell_len + 1, self.head.cell_len + self.tail.cell_len)


@dataclass(frozen=True)
class Column:
    label: str
    key: str
    width: int  # the least it is given
    fill: int = 0  # its share of the room the table has beyond every column's least width


@dataclass(frozen=True)
class RowData:
    key: str
    order: Hashable
    cells: Sequence[Text | Tail]


class KeyedTable(DataTable):
    """Rows sorted by their `order` (descending when `newest_first`)."""

    DEFAULT_CSS = "KeyedTable { scrollbar-size-horizontal: 0; }"

    def __init__(self, columns: Sequence[Column], *, newest_first: bool = False, **kwargs):
        super().__init__(cursor_type="row", **kwargs)
        self.spec = list(columns)
        self.newest_first = newest_first
        self._order: dict[str, Hashable] = {}
        self._pending: list[RowData] = []
        self._had_rows = False

    def on_mount(self) -> None:
        for column in self.spec:
            self.add_column(column.label, key=column.key, width=column.width)

    def on_resize(self) -> None:
        """Share out the room beyond the least widths (a scrollbar's worth kept aside)."""
        padding = 2 * self.cell_padding
        room = self.size.width - self.styles.scrollbar_size_vertical - sum(c.width + padding for c in self.spec)
        shares = sum(c.fill for c in self.spec) or 1
        set_column_widths(self, {c.key: c.width + max(room, 0) * c.fill // shares for c in self.spec})

    # -- reading ---------------------------------------------------------------------------
    @property
    def keys(self) -> set[str]:
        return set(self._order)

    @property
    def current_key(self) -> str | None:
        """The key of the row under the cursor."""
        if not self.row_count:
            return None
        try:
            return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        except CellDoesNotExist:
            return None

    # -- writing ---------------------------------------------------------------------------
    def upsert(self, rows: Iterable[RowData]) -> None:
        """Add or update rows by key; more than BATCH new rows go in over several turns."""
        self._pending.extend(rows)
        self._drain()

    def _drain(self) -> None:
        self._had_rows = bool(self._order)
        added = 0
        reorder = False
        while self._pending and added < BATCH:
            row = self._pending.pop(0)
            added += row.key not in self._order
            reorder |= self._put(row)
        if reorder:
            self._sort()
        if self._pending:
            self.call_later(self._drain)

    def _put(self, row: RowData) -> bool:
        """Add or update one row; True when the table's order must be redone."""
        head = row.cells[0]
        if not isinstance(head, Text):
            raise TypeError(f"the first cell of row {row.key!r} carries its order: it must be a Text")
        first = OrderCell(end="")
        first.append_text(head)
        first.order = row.order
        cells = (first, *row.cells[1:])
        for cell in cells:
            if isinstance(cell, Text):
                cell.no_wrap, cell.overflow = True, "ellipsis"
        if row.key not in self._order:
            self.add_row(*cells, key=row.key)
            self._order[row.key] = row.order
            return True
        self.get_cell(row.key, self.spec[0].key).order = row.order
        for column, cell in zip(self.spec, cells, strict=False):
            if self.get_cell(row.key, column.key) != cell:
                self.update_cell(row.key, column.key, cell)
        moved = self._order[row.key] != row.order
        self._order[row.key] = row.order
        return moved

    def remove_rows(self, keys: Iterable[str]) -> None:
        for key in keys:
            if key in self._order:
                del self._order[key]
                self.remove_row(key)

    def _sort(self) -> None:
        """Redo the order; the cursor stays on its row, or goes to the top of a new table."""
        current = self.current_key if self._had_rows else None
        self.sort(self.spec[0].key, key=lambda cell: cell.order, reverse=self.newest_first)
        self.move_cursor(row=self.get_row_index(current) if current is not None else 0, scroll=False)
