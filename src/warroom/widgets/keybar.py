"""The footer: every key the screen answers to, on one line, clickable. One widget drawing
one line of text (Textual's Footer mounts a widget per key, which made every screen switch
cost tens of milliseconds more)."""
from __future__ import annotations

from itertools import groupby

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.widgets import Static

PALETTE = Binding("ctrl+p", "command_palette", "palette", key_display="^p")


class KeyBar(Static):
    DEFAULT_CSS = """
    KeyBar { dock: bottom; height: 1; background: $footer-background; color: $footer-foreground; }
    """

    def __init__(self) -> None:
        super().__init__()
        self._spots: list[tuple[int, int, Binding]] = []  # x from, x to, what a click there does
        self._drawn_for: tuple = ()  # the width and keys of the line shown

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)
        self.app.theme_changed_signal.subscribe(self, self.bindings_changed)  # the keys' colour

    def bindings_changed(self, _changed=None) -> None:
        """Redraw when the keys, the width or the theme changed (focus moves call this often)."""
        width = self.size.width or self.app.size.width
        drawn_for = (width, self.app.theme, *(b.binding for b in self.screen.active_bindings.values()))
        if drawn_for != self._drawn_for:
            self._drawn_for = drawn_for
            self.update(self.line(width))

    def on_resize(self) -> None:
        self.bindings_changed()

    def line(self, width: int) -> Text:
        """Every key if they fit; if not, the screen's own keys, as many of the app's as fit,
        and always `? Help`, which lists them all."""
        active = [b for b in self.screen.active_bindings.values() if b.binding.show]
        own = [b.binding for b in active if b.node is not self.app]
        shared = [b.binding for b in active if b.node is self.app and b.binding.action != "help"]
        helper = [b.binding for b in active if b.binding.action == "help"]
        for n in range(len(shared), 0, -1):
            text = self._keys(own + shared[:n] + helper + ([PALETTE] if n == len(shared) else []))
            if text.cell_len <= width:
                return text
        text = self._keys(own)
        for binding in helper:
            text.truncate(max(width - len(binding.description) - 4, 0), overflow="ellipsis")
            self._spots = [spot for spot in self._spots if spot[1] <= text.cell_len]
            self._add(text, binding)
        return text

    def _keys(self, bindings: list[Binding]) -> Text:
        text, self._spots = Text(no_wrap=True, overflow="ellipsis", end=""), []
        for group, grouped in groupby(bindings, key=lambda b: b.group):
            members = list(grouped)
            if group is not None and len(members) > 1:
                text.append(" ")
                for binding in members:
                    self._key(text, binding)
                text.append(f" {group.description} ")
            else:
                for binding in members:
                    self._add(text, binding)
        return text

    def _add(self, text: Text, binding: Binding) -> None:
        text.append(" ")
        self._key(text, binding, reach=len(binding.description) + 1)
        text.append(f" {binding.description} ")

    def _key(self, text: Text, binding: Binding, reach: int = 0) -> None:
        """The key, clickable along with the `reach` cells after it."""
        start = text.cell_len
        colour = self.app.theme_variables.get("footer-key-foreground", "yellow")
        text.append(self.app.get_key_display(binding), f"bold {colour}")
        self._spots.append((start, text.cell_len + reach, binding))

    def on_click(self, event: events.Click) -> None:
        for start, end, binding in self._spots:
            if start <= event.x < end:
                self.app.simulate_key(binding.key.split(",")[0])
                return
