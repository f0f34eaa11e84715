"""Help: every key of every screen."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

EXTRA = [("ctrl+p", "Command palette: every action by name"), ("tab", "Next pane or field"),
         ("↑ ↓ pgup pgdn", "Move in a list"), ("enter", "Save a form"), ("esc", "Close a form")]


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,q", "close", "Close")]

    def __init__(self, sections: list[tuple[str, list[Binding]]]):
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Static(self.listing())

    def listing(self) -> Text:
        text = Text("Keys (esc closes)\n", "bold", end="")
        for title, bindings in self.sections:
            text.append(f"\n{title}\n", "bold underline")
            for binding in bindings:
                key = binding.key_display or binding.key
                text.append(f"  {key:<14}", "bold")
                text.append(f"{binding.description}\n")
        text.append("\nAnywhere\n", "bold underline")
        for key, what in EXTRA:
            text.append(f"  {key:<14}", "bold")
            text.append(f"{what}\n")
        return text

    def action_close(self) -> None:
        self.dismiss(None)
