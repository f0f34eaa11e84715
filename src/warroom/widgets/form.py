"""A small modal form: fields in, values out. It stays open until what it records has been
accepted, so a refused entry loses nothing that was typed."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Label, Select, TextArea

from ..console.field import Field, Submit

MAX_FIELD = 20_000  # characters a field takes: a 10 MB paste froze the console for seconds
FieldWidget = Input | Select[Any] | TextArea | Checkbox  # what a Field becomes


class BoundedInput(Input):
    """A one-line field that keeps at most MAX_FIELD characters, a paste included."""

    def on_paste(self, event: events.Paste) -> None:
        """A paste too long is cut here; any other is left to Input's own handler, which Textual
        calls next (it calls each class's handler along the MRO, unless prevented)."""
        if len(event.text) > MAX_FIELD:
            event.prevent_default()
            event.stop()
            self.insert_text_at_cursor(event.text[:MAX_FIELD].split("\n", 1)[0][:MAX_FIELD - len(self.value)])
            self.app.notify(f"the paste was cut to {MAX_FIELD:,} characters", severity="warning")


class BoundedTextArea(TextArea):
    """A text field that keeps at most MAX_FIELD characters, a paste included."""

    def on_paste(self, event: events.Paste) -> None:
        """As BoundedInput's: only a paste too long is handled here."""
        room = MAX_FIELD - len(self.text)
        if len(event.text) > room:
            event.prevent_default()
            event.stop()
            self.insert(event.text[:max(room, 0)])
            self.app.notify(f"the paste was cut to {MAX_FIELD:,} characters", severity="warning")


class FormScreen(ModalScreen[Any]):
    """`on_submit(values, done)` records the entry and calls `done(result)` once accepted."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "submit", "Save")]

    def __init__(self, title: Text | str, fields: Sequence[Field], on_submit: Submit):
        super().__init__()
        self.form_title = title
        self.fields = list(fields)
        self.on_submit = on_submit

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="form"):
            yield Label(self.form_title, classes="form-title")
            for field in self.fields:
                if field.kind != "check":  # a checkbox carries its own label
                    yield Label(field.label, classes="form-label")
                yield self._widget(field)
            with Horizontal(classes="form-buttons"):
                yield Button("Save ^s", variant="primary", id="form-save")
                yield Button("Cancel esc", id="form-cancel")

    def on_mount(self) -> None:
        self.query_one(f"#field-{self.fields[0].name}").focus()

    def _widget(self, field: Field) -> FieldWidget:
        ident = f"field-{field.name}"
        if field.kind == "select":
            return Select(field.options, value=field.value if field.value != "" else Select.NULL,
                          allow_blank=field.value == "", id=ident, compact=True)
        if field.kind == "text":
            return BoundedTextArea(str(field.value), id=ident, soft_wrap=True, show_line_numbers=False)
        if field.kind == "check":
            return Checkbox(field.label, bool(field.value), id=ident, compact=True)
        return BoundedInput(str(field.value), placeholder=field.placeholder, id=ident, compact=True,
                            max_length=MAX_FIELD)

    def values(self) -> dict[str, Any]:
        result = {}
        for field in self.fields:
            value = _value(self.query_one(f"#field-{field.name}"))
            result[field.name] = None if value is Select.NULL else value
        return result

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "form-save":
            self.action_submit()
        else:
            self.action_cancel()

    def action_submit(self) -> None:
        self.on_submit(self.values(), self._accepted)

    def _accepted(self, result: Any) -> None:
        if self.is_attached and self.app.screen is self:
            self.dismiss(result)

    def action_cancel(self) -> None:
        self.dismiss(None)


def _value(widget: Widget) -> Any:
    """What a field's widget holds."""
    if isinstance(widget, TextArea):
        return widget.text
    if isinstance(widget, (Input, Select, Checkbox)):
        return widget.value
    raise TypeError(f"not a form field: {widget!r}")
