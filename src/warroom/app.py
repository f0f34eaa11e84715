"""The war room console: six screens (modes), the change feed that keeps every console on the
same truth, and the one way a console records anything (a command in a thread worker).

Background work starts with console.workers.start_worker and comes back as a message of
console/messages.py, handled by an `on_...` method below; failures are told by `worker_changed`."""
from __future__ import annotations

import asyncio
import gc
import select
import sqlite3
import sys
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from importlib import import_module
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.dom import DOMNode
from textual.notifications import SeverityLevel
from textual.screen import ModalScreen, Screen
from textual.signal import Signal
from textual.worker import Worker, WorkerState

from .console import views
from .console.field import Field, Submit
from .console.messages import Exported, FeedDelta, Recorded, Rescued
from .console.workers import start_worker
from .domain import timefmt
from .domain.visible import visible
from .errors import one_line
from .screens.base import WarScreen
from .store import commands
from .store.db import explain
from .store.feed import ChangeFeed, Trouble, identity
from .store.files import StoreError
from .store.store import Store
from .widgets.text import safe

POLL_SECONDS = 0.1
OPEN_WAIT_SECONDS = 0.05  # how long the first frame waits for the room (read since start-up)
CHECKPOINT_SECONDS = 300
PASSED_EVERY = 5  # seconds between two looks at what the forecast has passed (it costs a forecast)
TROUBLE_NOTICE_SECONDS = 60  # the notices of a console that stopped recording; its top bar stays
SCREENS_GROUP = Binding.Group("screens", compact=True)
MODE_NAMES = ("overview", "runbook", "board", "roles", "comms", "timeline")  # screens/<mode>.py


def screen_class(mode: str) -> type[WarScreen]:
    """A screen's class, imported when first needed: only the first screen loads at start."""
    return getattr(import_module(f"{__package__}.screens.{mode}"), f"{mode.title()}Screen")


def new_screen(mode: str) -> WarScreen:
    return screen_class(mode)()


def bindings(node: DOMNode | type[DOMNode]) -> list[Binding]:
    """A node's own keys (every one a Binding here, where Textual also takes tuples)."""
    return [b for b in node.BINDINGS if isinstance(b, Binding)]


class WarRoomApp(App[None]):
    CSS_PATH = Path(__file__).parent / "styles" / "warroom.tcss"  # absolute: subclasses live elsewhere
    TITLE = "warroom"
    MODES = {mode: partial(new_screen, mode) for mode in MODE_NAMES}
    DEFAULT_MODE = "overview"
    BINDINGS = [
        *(Binding(str(n), f"switch_mode('{mode}')", mode.title(), group=SCREENS_GROUP)
          for n, mode in enumerate(MODE_NAMES, start=1)),
        Binding("i", "open_incident", "Incident"),
        Binding("n", "note", "Note"),
        Binding("e", "export", "Export"),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, db_path: str | Path, operator: str, *,
                 now_ms: Callable[[], int] = timefmt.now_ms, poll_seconds: float = POLL_SECONDS,
                 readonly: bool = False):
        super().__init__()
        opened = _identity_or_none(db_path)  # the file this console opens, before anything opens it
        self.store = Store(db_path, operator, readonly=readonly)
        self.feed = ChangeFeed(db_path, opened=opened)
        self.reader = views.Reader(db_path)
        # The one piece of background work that is not a worker (console/workers.py): the room
        # is read while Textual starts up, which is what lets the first frame show it (measured).
        # A worker cannot start here, before the App runs: it needs the App's event loop and
        # worker manager. What it read is applied in on_load, or later by load_room.
        opener = ThreadPoolExecutor(1, "warroom-open")
        self.first_read = opener.submit(self.reader.snapshot)
        opener.shutdown(wait=False)
        self.now_ms = now_ms
        self.poll_seconds = poll_seconds
        self.room = views.Room()
        self.tz = timefmt.zone("UTC")
        self.room_changed: Signal[views.Delta] = Signal(self, "room_changed")
        self.ticked: Signal[int] = Signal(self, "ticked")
        self._fetching = False
        self.trouble: Trouble | None = None  # set once: this console no longer records
        self._passing: set[str] = set()  # moments the forecast passed, being recorded from here
        self.poll_error: str | None = None  # the last poll's failure, shown until one succeeds
        self.rescued: Path | None = None
        self._write_lock = threading.Lock()

    # -- the change feed -------------------------------------------------------------------
    async def on_load(self) -> None:
        """Give the read begun at start-up a moment, so that the first frame shows the room
        (applied here, before any screen is up; a later one comes by load_room)."""
        await asyncio.wait([asyncio.wrap_future(self.first_read)], timeout=OPEN_WAIT_SECONDS)
        if self.first_read.done() and not self.first_read.exception():
            self._apply(self.first_read.result())

    def on_mount(self) -> None:
        if not self.room.loaded:  # a large war room: it shows once read
            self._fetching = True
            self.load_room()
        self.set_interval(self.poll_seconds, self.poll)
        self.set_interval(1, self.tick)
        if not self.store.readonly:
            self._checkpoints = self.set_interval(CHECKPOINT_SECONDS, self.checkpoint)
        self.call_after_refresh(self.warm_up)

    def load_room(self) -> None:
        """The read begun at start-up, once done (a large war room)."""
        start_worker(self, lambda: FeedDelta(self.first_read.result()), group="feed", description="first read")

    def poll(self) -> None:
        """Runs ~10 times a second: two stat calls (is the path still the file this console
        opened, and its -wal?), one PRAGMA, and a read in a worker when it moved. It never
        ends the console: a failure is shown in the top bar until a poll succeeds."""
        if self.trouble is not None:
            return
        try:
            trouble = self.feed.trouble()
            if trouble is None and not self._fetching and self.feed.changed():
                self._fetching = True
                self.fetch_changes(self.room.last_id, self.room.last_rev)
        except Exception as exc:
            self._poll_failed(exc)
            return
        if trouble is not None:
            self.stop_recording(trouble)
        elif self.poll_error is not None:
            self.poll_error = None
            self.show_header()

    def _poll_failed(self, exc: BaseException) -> None:
        reason = explain(self.store.path, exc) if isinstance(exc, (sqlite3.Error, OSError)) else one_line(exc)
        if reason != self.poll_error:
            self.poll_error = reason
            self.show_header()

    def stop_recording(self, trouble: Trouble) -> None:
        """The path no longer names the file this console opened (or its -wal went): nothing
        more is recorded from here, the top bar says why, and the console exits non-zero."""
        self.trouble = trouble
        if getattr(self, "_checkpoints", None) is not None:
            self._checkpoints.stop()
        self.notify(f"{trouble.detail}. Nothing more is recorded from this console: quit (q) and open "
                    "the war room again.", title="NOT RECORDING", severity="error", markup=False,
                    timeout=TROUBLE_NOTICE_SECONDS)  # the top bar keeps saying it
        self.show_header()
        self.rescue()

    def rescue(self) -> None:
        """Save what this console still sees (its file may be gone, a deleted -wal's commits
        with it) beside the war room, before anyone loses it."""
        start_worker(self, self._rescue, group="rescue")

    def _rescue(self) -> Rescued:
        try:
            with self._write_lock:
                return Rescued(self.feed.rescue())
        except (OSError, sqlite3.Error) as exc:
            return Rescued(None, str(exc))

    def on_rescued(self, message: Rescued) -> None:
        if message.path is None:
            self.notify(f"No copy of what this console saw could be saved: {message.reason}",
                        title="Not saved", severity="warning", markup=False)
            return
        self.rescued = message.path
        self.notify(f"Everything this console still saw is saved in {message.path}.",
                    title="Saved", severity="warning", markup=False, timeout=TROUBLE_NOTICE_SECONDS)

    def show_header(self) -> None:
        """Redraw the top bar now (it is redrawn every second anyway)."""
        self.ticked.publish(self.now())

    def fetch_changes(self, last_id: int, last_rev: int) -> None:
        start_worker(self, lambda: FeedDelta(views.changes(self.feed, last_id, last_rev)), group="feed",
                     description="changes")

    def on_feed_delta(self, message: FeedDelta) -> None:
        self._fetching = False
        if not message.delta.initial and self.trouble is not None:
            return  # read from the file this console no longer stands for
        with self.batch_update():
            self._apply(message.delta)

    def _apply(self, delta: views.Delta) -> None:
        invoked = [] if delta.initial else views.newly_invoked(self.room, delta)
        self.room.apply(delta)
        if delta.initial:
            self.tz = timefmt.zone(self.room.meta("timezone", "UTC"))
            self.freeze_heap()
        self.room_changed.publish(delta)
        if invoked:
            self.tell("Called up by the rollback, for their owners: "
                      + "; ".join(f"{s['title']} ({s['owner']})" for s in invoked), "warning")

    def checkpoint(self) -> None:
        """Fold the WAL back into the file and truncate it, so that it does not grow all day."""
        start_worker(self, self._checkpoint, group="checkpoint")

    def _checkpoint(self) -> None:
        with self._write_lock:
            if self.trouble is None and self.feed.trouble() is None:
                self.store.checkpoint()

    def warm_up(self) -> None:
        """Import the other screens and the forms in the background once the first frame is out,
        so that the first visit to each does not stall the console while they load."""
        start_worker(self, warm_up, group="warm-up")

    def tick(self) -> None:
        if not self.is_headless and terminal_gone():
            self.exit()  # nobody is watching, and Textual would spin on the dead input
            return
        now = self.now()
        self.ticked.publish(now)
        self.record_passed(now)

    def record_passed(self, now: int) -> None:
        """The moments the forecast passed (the rollback deadline, the point of no return) go
        into the journal once, from whichever console sees them first."""
        if self.store.readonly or self.trouble is not None or not self.room.loaded or now // 1000 % PASSED_EVERY:
            return  # a moment is recorded at the time it was passed, however late it is noticed
        for moment in views.passed_moments(self.room, now):
            if moment["what"] not in self._passing:
                self._passing.add(moment["what"])
                self.write(commands.mark_passed, **moment)

    @staticmethod
    def freeze_heap() -> None:
        """Keep what lives all day (the room, a mounted screen and its caches) out of the
        full garbage collections: with ~100k objects one takes 50-90 ms, a visible stall."""
        gc.collect(1)
        gc.freeze()

    def now(self) -> int:
        return self.now_ms()

    # -- writing ---------------------------------------------------------------------------
    def write(self, command: Callable[..., dict[str, Any] | None], *args: Any,
              then: Callable[[Any], None] | None = None,
              **kwargs: Any) -> None:
        """Record something with a command, in a thread worker; `then(result)` once accepted
        (on_recorded). Failures are told by `worker_changed`; what changed arrives through the feed."""
        if not self.may_record():
            return
        start_worker(self, lambda: Recorded(self._run_command(command, args, kwargs), then), group="write",
                     description=command.__name__)

    def on_recorded(self, message: Recorded) -> None:
        if message.then is not None:
            message.then(message.result)

    def may_record(self) -> bool:
        """Whether this console records; if not, it says why."""
        if self.trouble is not None:
            self.tell(f"not recorded: {self.trouble.short}; quit (q) and open the war room again", "error")
            return False
        if self.store.readonly:
            self.tell(f"read-only: {self.store.path} cannot be written", "error")
            return False
        return True

    def _run_command(self, command: Callable[..., dict[str, Any] | None], args: tuple[Any, ...],
                     kwargs: dict[str, Any]) -> dict[str, Any] | None:
        with self._write_lock:
            trouble = self.feed.trouble()  # the poll may not have run since the file went
            if trouble is not None:
                raise StoreError(f"not recorded: {trouble.detail}")
            return command(self.store, *args, **kwargs)

    @on(Worker.StateChanged)
    def worker_changed(self, event: Worker.StateChanged) -> None:
        """The one place where a worker's failure is told (every worker is the App's)."""
        error = event.worker.error
        if event.state is WorkerState.ERROR and error is not None:
            reason = explain(self.store.path, error) if isinstance(error, (sqlite3.Error, OSError)) else one_line(error)
            if event.worker.group == "feed":
                self._fetching = False
                self._poll_failed(error)
            titles = {"write": "Not recorded", "export": "Not exported"}
            self.notify(visible(reason, one_line=True, limit=500),
                        title=titles.get(event.worker.group, "Cannot read the war room"),
                        severity="error", markup=False, timeout=8)

    def tell(self, message: str, severity: SeverityLevel = "warning") -> None:
        """A notice that may quote typed text: shown literally."""
        self.notify(visible(message, one_line=True, limit=500), severity=severity, markup=False)

    def form(self, title: Text | str, fields: Iterable[Field], on_submit: Submit) -> None:
        if not self.may_record():
            return
        self.push_screen(_form_screen(title, list(fields), on_submit))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """While a form or a question is open, the keys belong to it."""
        mine = action in {b.action.split("(")[0] for b in bindings(self)}
        return not (mine and isinstance(self.screen, ModalScreen))

    # -- global actions --------------------------------------------------------------------
    def action_open_incident(self) -> None:
        from .screens.board import BoardScreen  # as screen_class("board") would

        BoardScreen.incident_form(self)

    def action_note(self) -> None:
        self.form("Add a note to the timeline", [
            Field("text", "Note"),
            Field("tags", "Tags (words, space-separated; 'retro' feeds the retrospective)"),
        ], lambda v, done: self.write(commands.note, v["text"], tuple((v["tags"] or "").split()), then=done))

    def action_export(self) -> None:
        """The report, as `warroom export --out` writes it; allowed in a read-only console."""
        stem = self.store.path.with_suffix("").name
        self.push_screen(_form_screen("Export the timeline and retrospective report", [
            Field("fmt", "Format", kind="select", value="html",
                  options=[("HTML (one self-contained file)", "html"), ("Markdown", "md"),
                           ("JSON (the journal and the state)", "json"), ("CSV (one row per event)", "csv")]),
            Field("out", "File (an existing file is not replaced)", placeholder=f"{stem}-report.html"),
        ], self._export))

    def _export(self, values: dict[str, Any], done: Callable[[Any], None]) -> None:
        fmt = values["fmt"]
        out = Path(values["out"] or f"{self.store.path.with_suffix('').name}-report.{fmt}")
        if self.is_web:  # in a browser tab (warroom serve): written to a private folder, then downloaded
            import tempfile

            out = Path(tempfile.mkdtemp(prefix="warroom-export-")) / (out.name or f"report.{fmt}")
        start_worker(self, lambda: Exported(self._write_report(fmt, out), done), group="export")

    def on_exported(self, message: Exported) -> None:
        message.then(message.path)
        if self.is_web:
            self.deliver_binary(message.path, save_filename=message.path.name)  # opens the file at once
            message.path.unlink()
            message.path.parent.rmdir()
            self.tell(f"downloading {message.path.name}", "information")
            return
        self.tell(f"wrote {message.path}", "information")

    def _write_report(self, fmt: str, out: Path) -> Path:
        from .export.write import write_report  # the report loads only when asked for

        with Store(self.store.path, self.store.operator, readonly=True) as reader:
            write_report(reader, fmt, out)
        return out.absolute()

    def action_help(self) -> None:
        from .screens.help import HelpScreen

        self.push_screen(HelpScreen(self.key_sections()))

    def key_sections(self) -> list[tuple[str, list[Binding]]]:
        sections = [("Everywhere", bindings(self))]
        sections += [(cls.TITLE, bindings(cls)) for cls in map(screen_class, MODE_NAMES)]
        return sections

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for binding in bindings(self):
            yield SystemCommand(binding.description, f"key {binding.key_display or binding.key}",
                                partial(self.run_action, binding.action))
        if isinstance(screen, WarScreen):
            for binding in bindings(screen):
                yield SystemCommand(f"{screen.TITLE}: {binding.description}", f"key {binding.key}",
                                    partial(self.run_action, binding.action, screen))

    # -- what the top bar says -------------------------------------------------------------
    def header(self, now: int, width: int) -> Text:
        room, store = self.room, self.store
        alarm = Text(no_wrap=True, overflow="ellipsis", end="")
        if self.trouble is not None:
            alarm.append_text(safe(f" NOT RECORDING: {self.trouble.short} ", "bold white on red", limit=48))
        if self.poll_error is not None:
            reason = self.poll_error.removeprefix(f"{store.path}: ")
            alarm.append_text(safe(f" POLL FAILED: {reason} ", "bold black on yellow", limit=max(24, width // 2)))
        core = Text(no_wrap=True, end="")
        core.append(f" {timefmt.t_label(now, room.golive)} ", "bold reverse")
        core.append(f" {views.phase(room, now)} ", "bold")
        core.append(f" {views.hhmm(now, self.tz, seconds=True)} ")
        extra = Text(f"{self.tz.key} ", end="").append_text(safe(f" as {store.operator} ", "italic", limit=30))
        flags = Text(no_wrap=True, end="")
        if store.readonly:
            flags.append(" READ-ONLY ", "bold black on yellow")
        if room.meta("rehearsal"):
            flags.append(" REHEARSAL ", "bold black on cyan")
        if room.meta("hold"):
            flags.append_text(safe(f" ON HOLD: {room.meta('hold')} ", "bold white on red", limit=max(16, width // 3)))
        return self._fit(alarm, core, extra, flags, width)

    def _fit(self, alarm: Text, core: Text, extra: Text, flags: Text, width: int) -> Text:
        """The top bar in `width` cells: what went wrong, the clock and the flags (read-only, on
        hold) always; the zone and the operator if they fit; the room's name in what is left."""
        fixed = alarm.cell_len + core.cell_len + flags.cell_len
        if width - fixed - extra.cell_len < 8:
            extra = Text("")
        room_left = width - fixed - extra.cell_len
        line = Text(no_wrap=True, overflow="ellipsis", end="").append_text(alarm)
        if room_left >= 4:
            line.append_text(safe(f" {self.room.meta('name')} ", "bold", limit=room_left - 2))
        return line.append_text(core).append_text(extra).append_text(flags)

    def on_unmount(self) -> None:
        for closable in (self.feed, self.reader, self.store):
            closable.close()


def warm_up() -> None:
    """Import the other screens and the forms (WarRoomApp.warm_up runs it in a worker)."""
    for module in [f"{__package__}.screens.{mode}" for mode in MODE_NAMES] + [f"{__package__}.widgets.form"]:
        import_module(module)


def terminal_gone() -> bool:
    """The terminal hung up: an SSH link that died without sending SIGHUP, a closed window."""
    if sys.__stdin__ is None:
        return True  # there never was one
    poller = select.poll()
    poller.register(sys.__stdin__.fileno(), select.POLLIN)
    return any(mask & (select.POLLHUP | select.POLLERR | select.POLLNVAL) for _, mask in poller.poll(0))


def _form_screen(title: Text | str, fields: list[Field], on_submit) -> Screen:
    from .widgets.form import FormScreen  # its widgets load when the first form opens

    return FormScreen(title, fields, on_submit)


def _identity_or_none(path: str | Path) -> tuple[int, int] | None:
    try:
        return identity(path)
    except OSError:
        return None  # opening it says why


def run_console(db_path: str | Path, operator: str, readonly: bool = False) -> None:
    """The console; it exits non-zero when it stopped recording or failed."""
    app = WarRoomApp(db_path, operator, readonly=readonly)
    app.run()
    if app.trouble is not None:
        saved = f"; what it still saw is saved in {app.rescued}" if app.rescued else ""
        print(f"warroom: the console stopped recording: {app.trouble.detail}{saved}", file=sys.stderr)
        sys.exit(1)
    if app.return_code:
        sys.exit(app.return_code)
