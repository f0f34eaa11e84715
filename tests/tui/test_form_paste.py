"""A paste into a form's field, as a terminal delivers it (to the App, which forwards it to the
focused field): it lands once, and one too long is cut at MAX_FIELD, in a one-line field and in
a text field alike. Textual calls the paste handler of each class along the MRO; the bounded
fields stop Textual's own only when they cut (prevent_default)."""
from __future__ import annotations

from textual import events
from textual.app import App

from warroom.console.field import Field
from warroom.widgets.form import MAX_FIELD, BoundedInput, BoundedTextArea, FormScreen

FIELDS = [Field("line", "A line"), Field("text", "A text", kind="text")]


class Host(App[None]):
    def on_mount(self) -> None:
        self.push_screen(FormScreen("Paste here", FIELDS, lambda values, done: None))


async def test_a_paste_lands_once_in_each_kind_of_field():
    app = Host()
    async with app.run_test() as pilot:
        await pilot.pause()
        line = app.screen.query_one("#field-line", BoundedInput)
        line.focus()
        await pilot.pause()
        app.post_message(events.Paste("checkout\nsecond line"))
        await pilot.pause()
        assert line.value == "checkout"
        text = app.screen.query_one("#field-text", BoundedTextArea)
        text.focus()
        await pilot.pause()
        app.post_message(events.Paste("two\nlines"))
        await pilot.pause()
        assert text.text == "two\nlines"


async def test_a_paste_too_long_is_cut_at_max_field_in_each_kind_of_field():
    app = Host()
    async with app.run_test() as pilot:
        await pilot.pause()
        line = app.screen.query_one("#field-line", BoundedInput)
        line.focus()
        await pilot.pause()
        app.post_message(events.Paste("x" * (MAX_FIELD + 10)))
        await pilot.pause()
        assert len(line.value) == MAX_FIELD
        text = app.screen.query_one("#field-text", BoundedTextArea)
        text.focus()
        await pilot.pause()
        app.post_message(events.Paste("y" * (MAX_FIELD + 10)))
        await pilot.pause()
        assert len(text.text) == MAX_FIELD
        assert [n.message for n in app._notifications] == [f"the paste was cut to {MAX_FIELD:,} characters"] * 2
