"""The console in a browser tab: textual-serve's Server, with one console process per
websocket started as the person who logged in (`python -m warroom --db DB --as NAME`), on
the host that holds the war room file (SQLite's same-host rule holds).

The session is checked by the auth middleware before the websocket is accepted; while the
tab stays open, it is checked again every few seconds, and the console is closed when the
session expires, is logged out or its account is removed."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import shlex
import sys
from pathlib import Path
from typing import Any

from aiohttp import web
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

from .auth import Auth, Session, same_origin

log = logging.getLogger("warroom.serve")
RECHECK_SECONDS = 5.0


def console_command(db: Path, name: str) -> str:
    """The shell command of one tab's console: the login name is its operator (a name is
    checked visible at account creation, and quoted here whatever it holds)."""
    return shlex.join([sys.executable, "-m", "warroom", "--db", str(db.absolute()), f"--as={name}"])


class ConsoleServer(Server):
    """textual-serve's server, each websocket's console run as its session's account."""

    def __init__(self, db: Path, auth: Auth, host: str, port: int, public_url: str | None = None):
        super().__init__(console_command(db, "?"), host=host, port=port, title="warroom", public_url=public_url)
        self.db, self.auth = db, auth
        self.fixed_url = public_url is not None
        self.sockets: set[web.WebSocketResponse] = set()

    async def handle_index(self, request: web.Request) -> Any:
        """The page that opens the terminal. Without --public-url, its websocket and static
        URLs are this request's own host (a server bound to 0.0.0.0 is reached by a name)."""
        if not self.fixed_url:
            scheme = "https" if self.auth.secure else "http"
            self.public_url = f"{scheme}://{request.host}"  # read before the handler's first await
        response = await super().handle_index(request)
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Frame-Options"] = "DENY"
        return response

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        session = request.get("session")
        if not isinstance(session, Session):  # the middleware lets no request here without one
            raise web.HTTPUnauthorized(text="401: log in first\n")
        if not same_origin(request):
            raise web.HTTPForbidden(text="refused: the console was opened from another site\n")
        websocket = web.WebSocketResponse(heartbeat=15)
        width = to_int(request.query.get("width", "80"), 80)
        height = to_int(request.query.get("height", "24"), 24)
        service: AppService | None = None
        watch: asyncio.Task[None] | None = None
        try:
            await websocket.prepare(request)
            self.sockets.add(websocket)
            async def close() -> None:
                await websocket.close()
            service = AppService(console_command(self.db, session.name), write_bytes=websocket.send_bytes,
                                 write_str=websocket.send_str, close=close,
                                 download_manager=self.download_manager, debug=self.debug)
            await service.start(width, height)
            watch = asyncio.create_task(self._watch_session(session, websocket))
            await self._process_messages(websocket, service)
        except asyncio.CancelledError:
            await websocket.close()
        except Exception as error:  # a console that failed must not take the server down
            log.exception(error)
        finally:
            self.sockets.discard(websocket)
            if watch is not None:
                watch.cancel()
            if service is not None:
                await service.stop()
        return websocket

    async def _watch_session(self, session: Session, websocket: web.WebSocketResponse) -> None:
        while not websocket.closed:
            await asyncio.sleep(RECHECK_SECONDS)
            if not await self.auth.still_valid(session):
                log.info("session of %r ended: closing its console", session.name)
                await websocket.close(code=4001, message=b"session ended")
                return

    async def on_startup(self, app: web.Application) -> None:
        """textual-serve prints its banner here; `warroom serve` prints its own lines."""

    async def on_shutdown(self, app: web.Application) -> None:
        """Ctrl-C: every tab's websocket closed, so that each console is told to quit."""
        for websocket in list(self.sockets):
            with contextlib.suppress(Exception):
                await websocket.close(code=1001, message=b"server stopped")

    async def make_app(self) -> web.Application:
        return await self._make_app()
