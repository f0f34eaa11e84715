"""A list of journal rows, newest first, for rows that never change once written.

Each row is drawn once and kept (Textual's line API): a new event costs one line. DataTable
keys its render caches on a table-wide update counter, so every insert redraws every
visible cell — 30-50 ms per event at 120x40, which sixteen consoles on two cores cannot
afford while a burst of events comes in. Same interface as KeyedTable for what the
Timeline needs: rows by key, an order, a limit, a cursor that stays on its row."""
from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence

from rich.segment import Segment
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from .keyed_table import Column, RowData, Tail

TRIM_SLACK = 25  # rows past the limit before the oldest go


class JournalList(ScrollView, can_focus=True):
    COMPONENT_CLASSES = {"journal--header", "journal--cursor"}
    DEFAULT_CSS = """
    JournalList { background: $surface; color: $foreground; scrollbar-size-horizontal: 0; }
    JournalList > .journal--header { text-style: bold; background: $panel; }
    JournalList > .journal--cursor {
        background: $block-cursor-blurred-background; color: $block-cursor-blurred-foreground;
    }
    JournalList:focus > .journal--cursor {
        background: $block-cursor-background; color: $block-cursor-foreground;
        text-style: $block-cursor-text-style;
    }
    """
    BINDINGS = [
        Binding("up", "move(-1)", "Up", show=False), Binding("down", "move(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "move(-1_000_000)", "First", show=False),
        Binding("end", "move(1_000_000)", "Last", show=False),
    ]
    cursor = reactive(0, repaint=False)

    class Highlighted(Message):
        def __init__(self, key: str | None):
            super().__init__()
            self.key = key

    def __init__(self, columns: Sequence[Column], *, limit: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.spec = list(columns)
        self.limit = limit
        self._keys: list[str] = []  # newest first
        self._ranks: list = []  # each row's order negated, ascending: where a new row goes
        self._cells: dict[str, Sequence[Text | Tail]] = {}
        self._order: dict = {}
        self._lines: LRUCache[tuple, Strip] = LRUCache(1024)

    # -- the same reading interface as KeyedTable --------------------------------------------
    @property
    def keys(self) -> set[str]:
        return set(self._order)

    @property
    def row_count(self) -> int:
        return len(self._keys)

    @property
    def current_key(self) -> str | None:
        return self._keys[self.cursor] if self._keys else None

    def oldest_order(self):
        return min(self._order.values()) if self._order else None

    def cells(self, key: str) -> Sequence[Text | Tail]:
        return self._cells[key]

    # -- writing ---------------------------------------------------------------------------
    def upsert(self, rows: Iterable[RowData]) -> None:
        current = self.current_key
        for row in rows:
            if row.key in self._order:
                self._drop(row.key)
            rank = _descending(row.order)
            i = bisect_left(self._ranks, rank)
            self._ranks.insert(i, rank)
            self._keys.insert(i, row.key)
            self._cells[row.key], self._order[row.key] = row.cells, row.order
        if self.limit is not None and len(self._keys) > self.limit + TRIM_SLACK:
            self.remove_rows(self._keys[self.limit:])
        self._settle(current)

    def remove_rows(self, keys: Iterable[str]) -> None:
        current = self.current_key
        for key in list(keys):
            if key in self._order:
                self._drop(key)
                del self._cells[key], self._order[key]
        self._settle(current)

    def _drop(self, key: str) -> None:
        i = self._keys.index(key)
        del self._keys[i], self._ranks[i]

    def _settle(self, current: str | None) -> None:
        """The cursor back on its row (the top for a first fill), the size, a repaint."""
        self.virtual_size = Size(self.size.width, len(self._keys) + 1)
        index = self._keys.index(current) if current is not None and current in self._order else 0
        self.set_reactive(JournalList.cursor, min(index, max(len(self._keys) - 1, 0)))
        self.refresh()
        self.post_message(self.Highlighted(self.current_key))

    # -- moving ----------------------------------------------------------------------------
    def action_move(self, step: int) -> None:
        self.cursor = max(0, min(len(self._keys) - 1, self.cursor + step))

    def action_page(self, direction: int) -> None:
        self.action_move(direction * max(1, self.size.height - 2))

    def watch_cursor(self) -> None:
        top = int(self.scroll_y)
        rows = max(1, self.size.height - 1)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= top + rows:
            self.scroll_to(y=self.cursor - rows + 1, animate=False)
        self.refresh()
        self.post_message(self.Highlighted(self.current_key))

    def on_click(self, event: events.Click) -> None:
        index = int(self.scroll_y) + event.y - 1
        if event.y >= 1 and 0 <= index < len(self._keys):
            self.cursor = index

    # -- drawing ---------------------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width  # the scrollbar not drawn over the last column
        if y == 0:
            return self._strip([Text(c.label) for c in self.spec], width, "journal--header")
        index = int(self.scroll_y) + y - 1
        if index >= len(self._keys):
            return Strip.blank(width, self.rich_style)
        key = self._keys[index]
        look = "journal--cursor" if index == self.cursor else ""
        cache_key = (key, id(self._cells[key]), width, look, self.has_focus, self.app.theme)
        line = self._lines.get(cache_key)
        if line is None:
            line = self._lines[cache_key] = self._strip(self._cells[key], width, look)
        return line

    def _strip(self, cells: Sequence[Text | Tail], width: int, look: str) -> Strip:
        line = Text(no_wrap=True, end="")
        left = width
        for column, cell in zip(self.spec, cells, strict=False):
            size = min(left - 2 if column.fill else column.width, left - 2)  # a fill column takes the rest
            if size <= 0:
                break
            piece = cell.fit(size) if isinstance(cell, Tail) else cell.copy()
            piece.truncate(size, overflow="ellipsis", pad=True)
            line.append(" ").append_text(piece).append(" ")
            left -= size + 2
        style = self.rich_style + (self.get_component_rich_style(look) if look else self.rich_style)
        segments = Segment.apply_style(line.render(self.app.console), style)
        return Strip(segments).adjust_cell_length(width, style)

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, len(self._keys) + 1)

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()


def _descending(order):
    """An order (a number, or a tuple of numbers) negated, so that ascending ranks list it latest first."""
    return tuple(-x for x in order) if isinstance(order, tuple) else -order
