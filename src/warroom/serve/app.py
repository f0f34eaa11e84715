"""The server of `warroom serve`, composed: textual-serve's console routes, the login in
front of all of them, and whatever else is handed in through `extra_routes` (the status
pages: serve/status.py), each a callable that adds its routes to the aiohttp app. A route
that answers without a session (the status pages, opened by their own token) must sit under
one of auth.OPEN_PREFIXES."""
from __future__ import annotations

import ssl
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import web

from .auth import Auth
from .console import ConsoleServer

ExtraRoutes = Callable[[web.Application], None]
AUTH = web.AppKey("warroom.auth", Auth)
CONSOLE = web.AppKey("warroom.console", ConsoleServer)


@dataclass(frozen=True)
class Tls:
    cert: Path
    key: Path

    def context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context


async def make_app(db: Path, host: str, port: int, tls: Tls | None = None, *,
                   public_url: str | None = None, extra_routes: Iterable[ExtraRoutes] = ()) -> web.Application:
    """The whole server's aiohttp app: every route behind the login but auth's open ones."""
    auth = Auth(db, secure=tls is not None, hosts=local_names(host, port, public_url))
    server = ConsoleServer(db, auth, host, port, public_url=public_url)
    app = await server.make_app()
    app.middlewares.append(auth.middleware)
    app.add_routes(auth.routes())
    for add in extra_routes:
        add(app)

    async def close(_app: web.Application) -> None:
        auth.close()
    app.on_cleanup.append(close)
    app[AUTH], app[CONSOLE] = auth, server
    return app


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def local_names(host: str, port: int, public_url: str | None) -> frozenset[str] | None:
    """The Host names a server on this machine's loopback answers: a page of another site
    whose name was made to resolve here (DNS rebinding) gets nothing. A server listening on
    another address is reached by names it cannot know: None, any."""
    if host not in LOOPBACK:
        return None
    names = {f"{name}:{port}" for name in ("127.0.0.1", "localhost", "[::1]")}
    return frozenset(names | ({urlsplit(public_url).netloc} if public_url else set()))


def run(db: Path, host: str, port: int, tls: Tls | None = None, *, public_url: str | None = None,
        extra_routes: Iterable[ExtraRoutes] = ()) -> None:
    """Serve until Ctrl-C (or SIGTERM): the consoles are told to quit, then the server stops."""
    web.run_app(make_app(db, host, port, tls, public_url=public_url, extra_routes=extra_routes),
                host=host, port=port, ssl_context=tls.context() if tls else None,
                print=None, access_log=None, shutdown_timeout=5)
