"""The footer: every key the screen answers to, on one line, clickable. One widget drawing
one line of text (Textual's Footer mounts a widget per key, which made every screen switch
cost tens of milliseconds more)."""
from __future__ import annotations

from itertools import groupby

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.widgets import Static


class KeyBar(Static):
    DEFAULT_CSS = """
    KeyBar { dock: bottom; height: 1; background: $footer-background; color: $footer-foreground; }
    """

    def __init__(self) -> None:
        super().__init__()
        self._spots: list[tuple[int, int, Binding]] = []  # x from, x to, what a click there does

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)

    def bindings_changed(self, _screen) -> None:
        self.update(self.line())

    def line(self) -> Text:
        bindings = [b.binding for b in self.screen.active_bindings.values() if b.binding.show]
        text, self._spots = Text(no_wrap=True, overflow="ellipsis", end=""), []
        for group, members in groupby(bindings, key=lambda b: b.group):
            members = list(members)
            if group is not None and len(members) > 1:
                text.append(" ")
                for binding in members:
                    self._key(text, binding)
                text.append(f" {group.description} ")
            else:
                for binding in members:
                    text.append(" ")
                    self._key(text, binding)
                    text.append(f" {binding.description} ")
        text.append(" ")
        self._key(text, Binding("ctrl+p", "command_palette", "palette", key_display="^p"))
        text.append(" palette")
        return text

    def _key(self, text: Text, binding: Binding) -> None:
        start = text.cell_len
        colour = self.app.theme_variables.get("footer-key-foreground", "yellow")
        text.append(self.app.get_key_display(binding), f"bold {colour}")
        self._spots.append((start, text.cell_len + len(binding.description) + 1, binding))

    def on_click(self, event: events.Click) -> None:
        for start, end, binding in self._spots:
            if start <= event.x < end:
                self.app.simulate_key(binding.key.split(",")[0])
                return
