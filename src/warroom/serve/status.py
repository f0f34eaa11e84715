"""The status pages in `warroom serve`: GET /status/{audience}?token=T (the page) and GET
/status/{audience}/events?token=T (its live updates, server-sent events).

One server process has ONE broadcaster: one change feed (store/feed.py) and one read
connection, on one thread of their own, however many people watch. It polls the feed every
POLL_S; when the war room changed it recomputes the page of each audience somebody watches,
once, and hands it to every watcher's queue. A queue holds one update: a slow viewer skips
to the latest state and never holds up the others. The view model and the HTML are in
status_page.py."""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import resource
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import web

from ..domain import timefmt
from ..domain.kinds import IncidentStatus, MessageStatus
from ..store import links, queries
from ..store.feed import ChangeFeed, identity
from ..store.store import Store
from . import status_page

log = logging.getLogger(__name__)

POLL_S = 0.1  # how often the feed is asked whether the war room changed (one PRAGMA)
REFRESH_S = 20.0  # pages are recomputed this often anyway: the phase and lateness follow the clock
HEARTBEAT_S = 15.0  # a comment line on a quiet stream, so proxies and browsers keep it open
CHECK_CLOSED_S = 1.0  # how soon a viewer who left is noticed
READER_NAME = "status page"  # the operator name of the read-only store (it never records)
T = TypeVar("T")


@dataclass(frozen=True)
class Rendered:
    """An audience's page as last computed: the view model and its `<main>` fragment."""

    view: dict[str, Any]
    html: str


@dataclass(eq=False)
class Subscriber:
    """One open event stream: whose token it came with (its hash), and its one-slot queue of
    updates; None in the queue ends the stream, with why."""

    audience: str
    token_sha256: str
    queue: asyncio.Queue[Rendered | None] = field(default_factory=lambda: asyncio.Queue(maxsize=1))
    reason: str = "This link no longer works: ask for the new one."

    def offer(self, item: Rendered | None) -> None:
        """The latest state replaces one the viewer has not read yet."""
        with contextlib.suppress(asyncio.QueueEmpty):
            if self.queue.full():
                self.queue.get_nowait()
        self.queue.put_nowait(item)


class Reader:
    """The broadcaster's side of the file: the change feed and one store it only reads. Lives on,
    and is only used from, the broadcaster's one thread."""

    def __init__(self, path: Path):
        opened = identity(path)  # the file the pages show, before anything here opens it
        # With the right to write, the store's connection is a read-write one, as a console's is:
        # while it is open, the last CLI to close cannot delete the -wal under the feed (read-only
        # connections alone do not stop it, and the feed would rightly call that trouble). The
        # pages never write through it.
        self.store = Store(path, READER_NAME)
        self.feed = ChangeFeed(path, opened=opened)

    def close(self) -> None:
        self.feed.close()
        self.store.close()

    def check(self, audience: str, token: str | None) -> bool:
        return links.check(self.store.conn, audience, token)

    def digests(self, audiences: list[str]) -> dict[str, str | None]:
        return {a: links.stored_digest(self.store.conn, a) for a in audiences}

    def render(self, audiences: list[str]) -> dict[str, Rendered]:
        """The pages of `audiences`, from one read snapshot."""
        now = timefmt.now_ms()
        conn = self.store.conn
        conn.execute("BEGIN")
        try:
            summary = queries.status(self.store, now)
            incidents = self.store.query("SELECT ref, title, severity, status FROM incidents WHERE status != ?",
                                         (IncidentStatus.RESOLVED.value,))
            rendered = {}
            for key in audiences:
                found = self.store.query("SELECT key, title, details FROM audiences WHERE key = ?", (key,))
                if not found:
                    continue
                message = self.store.query(
                    "SELECT text, happened_at, sent_at FROM messages WHERE audience = ? AND status = ?"
                    " ORDER BY COALESCE(sent_at, happened_at) DESC, id DESC LIMIT 1", (key, MessageStatus.SENT.value))
                view = status_page.status_of(summary, found[0], incidents, message[0] if message else None, now)
                rendered[key] = Rendered(view, status_page.fragment(view))
            return rendered
        finally:
            conn.execute("COMMIT")


class Broadcaster:
    """One per server: the feed reader, the watchers by audience, the latest pages."""

    def __init__(self, db_path: str | Path, *, poll_s: float = POLL_S, refresh_s: float = REFRESH_S):
        self.path = Path(db_path)
        self.poll_s, self.refresh_s = poll_s, refresh_s
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="warroom-status")
        self._reader: Reader | None = None
        self._task: asyncio.Task[None] | None = None
        self.watchers: dict[str, set[Subscriber]] = {}
        self._pages: dict[str, Rendered] = {}  # valid until the war room changes
        self._changed = False  # a change seen outside the loop, not yet pushed
        self.trouble: str | None = None
        self.readers_opened = 0  # stays 1, whatever the number of viewers
        self.renders = 0  # pages computed

    async def _db(self, fn: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._thread, fn, *args)

    async def start(self) -> None:
        self._reader = await self._db(Reader, self.path)
        self.readers_opened += 1
        self._task = asyncio.create_task(self._run(), name="warroom status broadcaster")

    async def stop(self) -> None:
        self.close_all("The server is stopping.")
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._reader is not None:
            await self._db(self._reader.close)
            self._reader = None
        self._thread.shutdown(wait=False)

    def close_all(self, reason: str) -> None:
        for watchers in self.watchers.values():
            for sub in watchers:
                sub.reason = reason
                sub.offer(None)

    @property
    def reader(self) -> Reader:
        if self._reader is None:
            raise RuntimeError("the status broadcaster is not started")
        return self._reader

    # -- what the routes ask -------------------------------------------------------------------
    async def check(self, audience: str, token: str | None) -> bool:
        return bool(await self._db(self.reader.check, audience, token))

    async def page(self, audience: str) -> Rendered | None:
        """The audience's page as the war room stands now: a page cached before a commit the
        loop has not seen yet (a refresh right after a write) is not served."""
        if await self._db(self.reader.feed.changed):
            self._pages.clear()
            self._changed = True  # the loop pushes it to the watchers: this check took its notice
        cached = self._pages.get(audience)
        if cached is None:
            fresh: dict[str, Rendered] = await self._db(self.reader.render, [audience])
            self.renders += 1
            self._pages.update(fresh)
            cached = fresh.get(audience)
        return cached

    def subscribe(self, audience: str, token: str) -> Subscriber:
        sub = Subscriber(audience, links.digest(token))
        self.watchers.setdefault(audience, set()).add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        watchers = self.watchers.get(sub.audience)
        if watchers is not None:
            watchers.discard(sub)
            if not watchers:
                del self.watchers[sub.audience]

    def watching(self) -> int:
        return sum(len(w) for w in self.watchers.values())

    # -- the loop ------------------------------------------------------------------------------
    async def _run(self) -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(self.poll_s)
            try:
                trouble = await self._db(self.reader.feed.trouble)
                if trouble is not None:
                    self._stop_for(str(trouble))
                    return
                changed = await self._db(self.reader.feed.changed) or self._changed
                if changed or time.monotonic() - last >= self.refresh_s:
                    last, self._changed = time.monotonic(), False
                    self._pages.clear()
                    if self.watchers:
                        await self._push()
            except Exception as exc:  # a status page must never take the server down
                log.exception("status pages: reading the war room failed")
                self._stop_for(f"reading the war room failed: {type(exc).__name__}")
                return

    def _stop_for(self, why: str) -> None:
        log.error("status pages stopped: %s", why)
        self.trouble = why
        self._pages.clear()
        self.close_all("Live updates stopped: the war room is not available. Refresh later.")

    async def _push(self) -> None:
        audiences = list(self.watchers)
        digests: dict[str, str | None] = await self._db(self.reader.digests, audiences)
        pages: dict[str, Rendered] = await self._db(self.reader.render, audiences)
        self.renders += len(pages)
        self._pages.update(pages)
        for audience in audiences:
            for sub in list(self.watchers.get(audience, ())):
                rendered = pages.get(audience)
                if rendered is None or digests.get(audience) != sub.token_sha256:
                    sub.offer(None)  # the link was rotated (or the audience is gone): this token is done
                else:
                    sub.offer(rendered)


BROADCASTER = web.AppKey("warroom_status_broadcaster", Broadcaster)


def add_status_routes(app: web.Application, db_path: str | Path, **settings: float) -> Broadcaster:
    """The status pages on `app`, and their broadcaster started and stopped with it."""
    broadcaster = Broadcaster(db_path, **settings)
    app[BROADCASTER] = broadcaster

    async def on_startup(_app: web.Application) -> None:
        await broadcaster.start()

    async def on_shutdown(_app: web.Application) -> None:
        broadcaster.close_all("The server is stopping.")  # open streams end now, not at the timeout

    async def on_cleanup(_app: web.Application) -> None:
        await broadcaster.stop()

    app.on_startup.append(on_startup)
    app.on_shutdown.append(on_shutdown)
    app.on_cleanup.append(on_cleanup)
    app.router.add_get("/status/{audience}", status_page_route)
    app.router.add_get("/status/{audience}/events", status_events_route)
    return broadcaster


def _not_found() -> web.Response:
    return web.Response(status=404, text=status_page.NOT_FOUND, headers=_plain())


def _unavailable() -> web.Response:
    return web.Response(status=503, text=status_page.UNAVAILABLE, headers=_plain() | {"Retry-After": "30"})


def _plain() -> dict[str, str]:
    return {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


async def _allowed(request: web.Request) -> tuple[Broadcaster, str, str] | web.Response:
    broadcaster = request.app[BROADCASTER]
    audience, token = request.match_info["audience"], request.query.get("token", "")
    if broadcaster.trouble is not None:
        return _unavailable()
    if not await broadcaster.check(audience, token):
        return _not_found()
    return broadcaster, audience, token


async def status_page_route(request: web.Request) -> web.StreamResponse:
    allowed = await _allowed(request)
    if isinstance(allowed, web.Response):
        return allowed
    broadcaster, audience, token = allowed
    rendered = await broadcaster.page(audience)
    if rendered is None:
        return _not_found()
    return web.Response(text=status_page.page(rendered.view, token), content_type="text/html",
                        charset="utf-8", headers=status_page.HEADERS)


async def status_events_route(request: web.Request) -> web.StreamResponse:
    allowed = await _allowed(request)
    if isinstance(allowed, web.Response):
        return allowed
    broadcaster, audience, token = allowed
    if broadcaster.watching() >= viewer_cap():  # each one is a descriptor: keep half for the console
        return web.Response(status=503, text="Too many live status pages are open: reload in a minute.\n",
                            headers={"Retry-After": "60", "Cache-Control": "no-store"})
    response = web.StreamResponse(headers={
        "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-store",
        "X-Accel-Buffering": "no", "X-Content-Type-Options": "nosniff"})
    sub = broadcaster.subscribe(audience, token)  # before the first page: no change falls between
    try:
        await response.prepare(request)
        await response.write(b"retry: 2000\n\n")
        first = await broadcaster.page(audience)
        if first is not None:
            await response.write(_event("status", {"html": first.html}))
        quiet_since = time.monotonic()
        while True:
            try:
                item = await asyncio.wait_for(sub.queue.get(), CHECK_CLOSED_S)
            except TimeoutError:
                if request.transport is None or request.transport.is_closing():
                    break  # the viewer left
                if time.monotonic() - quiet_since >= HEARTBEAT_S:
                    await response.write(b": still here\n\n")
                    quiet_since = time.monotonic()
                continue
            if item is None:
                await response.write(_event("gone", {"reason": sub.reason}))
                break
            await response.write(_event("status", {"html": item.html}))
            quiet_since = time.monotonic()
    except (ConnectionResetError, ConnectionError):
        pass  # the viewer left while we wrote
    finally:
        broadcaster.unsubscribe(sub)
    return response


def viewer_cap() -> int:
    """How many live pages may be open at once: half the descriptors this process may open,
    so that a link handed out widely cannot starve the console and the login of them."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return max(16, soft // 2) if soft != resource.RLIM_INFINITY else 100_000


def _event(name: str, data: dict[str, Any]) -> bytes:
    """One server-sent event on one data line: JSON escapes every line break (U+2028 too)."""
    return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()


def serve(db_path: str | Path, host: str = "127.0.0.1", port: int = 8400, **settings: float) -> None:
    """Only the status pages, on their own (the tests' server; `warroom serve` composes them
    with the console)."""
    app = web.Application()
    add_status_routes(app, db_path, **settings)
    web.run_app(app, host=host, port=port, print=None, shutdown_timeout=5)
