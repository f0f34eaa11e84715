"""Background work, one way: a Textual thread worker of the App (console/workers.py) whose result
comes back as a message of console/messages.py, and whose failure is told by the App's one
`worker_changed` handler: "Not recorded" for a write, "Not exported" for an export, "Cannot
read the war room" for anything else."""
from __future__ import annotations

import sqlite3
import threading

from textual.app import App
from textual.message import Message
from textual.worker import Worker, WorkerState

from warroom.console import views
from warroom.console.messages import FeedDelta, HistoryLoaded, Recorded, TimelineFound
from warroom.console.workers import start_worker
from warroom.store import commands
from warroom.store.files import StoreError
from warroom.store.store import Store
from warroom.widgets.form import FormScreen

from .helpers import frozen, ready, rows, settle, type_into, until

SIZE = (120, 40)


def titles(app: App) -> list[str]:
    return [n.title for n in app._notifications]


async def test_a_write_comes_back_as_a_message_then_its_form_closes_then_the_feed_shows_it(db_path):
    seen: list[Message] = []
    app = frozen(db_path)
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        await ready(pilot)
        await pilot.press("n")
        await settle(pilot)
        await type_into(pilot, "#field-text", "checkout is back")
        await pilot.press("enter")
        await until(pilot, lambda: not isinstance(app.screen, FormScreen) and app.room.last_id == 2)
    recorded = [m for m in seen if isinstance(m, Recorded)]
    assert len(recorded) == 1 and recorded[0].result["event"] == 2
    deltas = [m for m in seen if isinstance(m, FeedDelta) and not m.delta.initial]
    assert deltas and seen.index(deltas[-1]) > seen.index(recorded[0])
    assert rows(db_path, "SELECT text FROM notes") == [("checkout is back",)]


async def test_then_runs_only_after_success_and_a_failed_write_is_told_not_recorded(db_path):
    done: list[object] = []

    def accepted(store):
        return {"event": 42}

    def refused(store):
        raise StoreError("no such step: nope")

    app = frozen(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        app.write(refused, then=done.append)
        await until(pilot, lambda: titles(app))  # (wait_for_complete would raise the worker's error)
        assert done == [] and titles(app) == ["Not recorded"]
        assert ["no such step: nope" in n.message for n in app._notifications] == [True]
        app.write(accepted, then=done.append)
        await until(pilot, lambda: done)
        assert done == [{"event": 42}] and titles(app) == ["Not recorded"]


async def test_an_export_refused_is_told_not_exported_and_its_form_stays_open(db_path, tmp_path):
    (tmp_path / "day.md").write_text("kept", encoding="utf-8")
    app = frozen(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("e")
        await settle(pilot)
        await type_into(pilot, "#field-out", str(tmp_path / "day.md"))
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "Not exported" in titles(app), timeout=30)
        assert isinstance(app.screen, FormScreen)
    assert (tmp_path / "day.md").read_text(encoding="utf-8") == "kept"


async def test_a_screens_read_that_fails_is_told_by_the_app_too(db_path):
    """A screen's reads are workers of the App: Worker.StateChanged does not bubble, and a
    worker of the screen would fail unseen."""
    seen: list[Message] = []
    app = frozen(db_path)
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        await ready(pilot)

        def broken(*args, **kwargs):
            raise sqlite3.OperationalError("disk I/O error")

        app.reader.entity_events = broken
        await pilot.press("2")
        await settle(pilot)
        assert "Cannot read the war room" in titles(app)
        assert not any(isinstance(m, HistoryLoaded) for m in seen)


async def test_every_worker_is_the_apps_and_every_result_a_message(db_path):
    seen: list[Message] = []
    app = frozen(db_path)
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        await ready(pilot)
        for key in "23456":
            await pilot.press(key)
            await settle(pilot)
        await pilot.press("slash", *"deploy")
        await settle(pilot)
        with Store(db_path, "Bob Chen") as bob:
            commands.note(bob, "from elsewhere")
        await until(pilot, lambda: app.room.last_id == 2)
    workers = {m.worker for m in seen if isinstance(m, Worker.StateChanged)}
    assert {w.group for w in workers} >= {"feed", "reads", "timeline", "warm-up"}
    assert {w.node for w in workers} == {app}
    assert all(w.state is WorkerState.SUCCESS for w in workers)
    assert {type(m) for m in seen} >= {FeedDelta, HistoryLoaded, TimelineFound}


def test_a_newer_feed_delta_supersedes_a_queued_one_but_never_a_first_read():
    first = views.Delta({}, [], 1, 1, initial=True)
    sooner, later = views.Delta({}, [], 2, 2), views.Delta({}, [], 3, 3)
    assert FeedDelta(later).can_replace(FeedDelta(sooner))
    assert not FeedDelta(later).can_replace(FeedDelta(first))
    assert not FeedDelta(first).can_replace(FeedDelta(sooner))
    assert not FeedDelta(later).can_replace(Recorded(None))


class Done(Message):
    def __init__(self, n: int):
        super().__init__()
        self.n = n


class Jobs(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.done: list[int] = []

    def on_done(self, message: Done) -> None:
        self.done.append(message.n)


async def test_a_cancelled_worker_posts_nothing():
    """An exclusive group (the timeline's searches) cancels the previous worker: what it
    found, once it finishes, must not be shown over the newer search's."""
    release = threading.Event()

    def slow() -> Done:
        release.wait(5)
        return Done(1)

    app = Jobs()
    async with app.run_test() as pilot:
        first = start_worker(app, slow, group="search", exclusive=True)
        await pilot.pause()
        start_worker(app, lambda: Done(2), group="search", exclusive=True)
        await until(pilot, lambda: app.done == [2])
        assert first.is_cancelled
        release.set()
        await pilot.pause(0.2)
        await pilot.pause()
        assert app.done == [2]
