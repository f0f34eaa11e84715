"""The line at the top of every screen: where the day stands, at a glance."""
from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class TopBar(Static):
    DEFAULT_CSS = """
    TopBar { dock: top; height: 1; background: $panel; color: $foreground; }
    """

    def show(self, text: Text) -> None:
        self.update(text, layout=False)  # one line, always
