"""The login in front of every route of `warroom serve`.

A session is a cookie whose value is signed with HMAC-SHA256 by a secret drawn when the
server starts: it names the account, a random session id and when it expires. Nothing is
kept on disk, so a restart logs everyone out. The cookie is HttpOnly, SameSite=Strict,
Path=/, has a Max-Age, and is Secure when the server speaks TLS.

Against cross-site requests, SameSite=Strict keeps the cookie off every request another
site makes (a form post, a websocket opened from another page), and the two requests that
matter check their Origin as well: the login form's POST and the websocket's upgrade.

Every request but the login page is refused without a valid session: a browser asking for
a page is sent to /login (303), anything else gets 401 (the websocket before it is
upgraded, downloads, static files, posts). The account is looked up on each request, so a
removed account's session ends at once. Wrong passwords are counted per name (in the war
room file) and per client address (in memory); past a few, every answer to that name or
address is slowed down, without holding up the server's event loop.
"""
from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import html
import json
import math
import os
import secrets
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from aiohttp import web

from ..store import accounts
from ..store.store import Store

COOKIE = "warroom_session"
SESSION_SECONDS = 12 * 3600
LOGIN, LOGOUT = "/login", "/logout"
# routes that do not need a session: the login page, and the status pages, which are
# opened with their audience's token instead (serve/status.py checks it)
OPEN_PATHS = {LOGIN}
OPEN_PREFIXES: set[str] = {"/status/"}
FREE_FAILURES = 3  # wrong passwords answered at once; after them, each answer waits longer
MAX_DELAY = 4.0  # seconds
SERVER_OPERATOR = "warroom serve"

T = TypeVar("T")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Session:
    name: str
    account: int  # the account's creation (ms): removed and added again, it is another account
    sid: str
    expires: int


def delay_for(failures: int) -> float:
    """How long to wait before answering, after `failures` wrong passwords."""
    extra = failures - FREE_FAILURES
    return 0.0 if extra < 0 else min(MAX_DELAY, 0.25 * 2 ** extra)


@dataclass
class Auth:
    """The sessions of one server run, and the accounts they are checked against."""

    db: Path
    secure: bool = False
    hosts: frozenset[str] | None = None  # the Host names answered (None: any), see app.local_names
    secret: bytes = field(default_factory=lambda: os.urandom(32))
    max_age: int = SESSION_SECONDS
    revoked: set[str] = field(default_factory=set)  # sessions logged out before they expired
    by_address: dict[str, int] = field(default_factory=dict)  # wrong passwords per client address
    owed_until: dict[str, float] = field(default_factory=dict)  # "name:N" / "address:A" -> when it may try again
    _store: Store | None = None
    _thread: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(1, "warroom-accounts"))

    # -- the cookie --------------------------------------------------------------------------
    def sign(self, name: str, account: int, now: float | None = None) -> str:
        expires = int((now if now is not None else time.time()) + self.max_age)
        body = _b64(json.dumps([name, account, secrets.token_hex(16), expires], ensure_ascii=False).encode())
        return f"{body}.{_b64(self._mac(body))}"

    def _mac(self, body: str) -> bytes:
        return hmac.new(self.secret, body.encode("ascii"), hashlib.sha256).digest()

    def read(self, value: str | None) -> Session | None:
        """The session a cookie value carries, if this server signed it and it has not expired."""
        if not value or value.count(".") != 1:
            return None
        body, mac = value.split(".")
        try:
            if not hmac.compare_digest(_unb64(mac), self._mac(body)):
                return None
            name, account, sid, expires = json.loads(_unb64(body))
        except (ValueError, TypeError, UnicodeError):
            return None
        if not (isinstance(name, str) and isinstance(account, int) and isinstance(sid, str)
                and isinstance(expires, int)):
            return None
        if expires <= time.time() or sid in self.revoked:
            return None
        return Session(name, account, sid, expires)

    # -- the accounts ------------------------------------------------------------------------
    # ONE connection for the server process, used by one thread: opening a second Store on
    # the file in this process (its header check opens and closes the file) would drop the
    # POSIX locks SQLite holds for the first, and another process could then reset the WAL
    # under it (stale reads, "disk I/O error"; sqlite.org/howtocorrupt.html 2.2).
    def _run(self, fn: Callable[..., T], *args: object) -> Awaitable[T]:
        return asyncio.get_running_loop().run_in_executor(self._thread, fn, *args)

    def _open(self) -> Store:
        if self._store is None:
            self._store = Store(self.db, SERVER_OPERATOR)
        return self._store

    def close(self) -> None:
        def shut() -> None:
            if self._store is not None:
                self._store.close()
                self._store = None
        self._thread.submit(shut).result()
        self._thread.shutdown()

    def _holds(self, session: Session) -> bool:
        """Whether the session's account is still the one it logged in to."""
        return accounts.created(self._open(), session.name) == session.account

    async def session(self, request: web.Request) -> Session | None:
        """The request's valid session, whose account still exists (and was not added anew)."""
        found = self.read(request.cookies.get(COOKIE))
        if found is None or not await self._run(self._holds, found):
            return None
        return found

    async def still_valid(self, session: Session) -> bool:
        return (session.expires > time.time() and session.sid not in self.revoked
                and await self._run(self._holds, session))

    def _check(self, name: str, password: str) -> tuple[int | None, int]:
        """The account's creation when `password` is `name`'s (else None), and its failures."""
        store = self._open()
        good = accounts.check(store, name, password)  # argon2: tens of milliseconds, off the event loop
        return (accounts.created(store, name) if good else None), accounts.failures(store, name)

    def owed(self, *keys: str) -> float:
        """Seconds until a wrong password on any of `keys` (an account, an address) may be
        tried again: a guess while one is owed is refused unchecked, so guessing in parallel
        gains nothing."""
        return max((self.owed_until.get(k, 0.0) for k in keys), default=0.0) - time.monotonic()

    async def login(self, name: str, password: str, address: str) -> int | None:
        """The account's creation (ms) when the password is right, else None."""
        account, failures = await self._run(self._check, name, password)
        if account is not None:
            self.owed_until.pop(f"name:{name}", None)
            return account
        self.by_address[address] = self.by_address.get(address, 0) + 1
        now = time.monotonic()
        self.owed_until[f"name:{name}"] = now + delay_for(failures)
        self.owed_until[f"address:{address}"] = now + delay_for(self.by_address[address])
        return None

    # -- the routes --------------------------------------------------------------------------
    def cookie(self, response: web.StreamResponse, value: str) -> None:
        response.set_cookie(COOKIE, value, max_age=self.max_age, path="/", httponly=True,
                            samesite="Strict", secure=self.secure)

    def routes(self) -> list[web.RouteDef]:
        return [web.get(LOGIN, self.login_page), web.post(LOGIN, self.login_post),
                web.get(LOGOUT, self.logout), web.post(LOGOUT, self.logout)]

    async def login_page(self, request: web.Request) -> web.Response:
        return _page()

    async def login_post(self, request: web.Request) -> web.StreamResponse:
        if not same_origin(request):
            return web.Response(status=403, text="refused: the login form was posted from another site\n")
        form = await request.post()
        name, password = str(form.get("name", "")).strip(), str(form.get("password", ""))
        if not name or not password or len(password) > 1024:
            return _page("Give your name and your password.", status=401)
        address = request.remote or "?"
        if (wait := self.owed(f"name:{name}", f"address:{address}")) > 0:
            return _page(f"Too many wrong passwords: try again in {math.ceil(wait)} s.", name, status=429)
        account = await self.login(name, password, address)
        if account is None:
            return _page("Wrong name or password.", name, status=401)
        response = _see_other("/")
        self.cookie(response, self.sign(name, account))
        return response

    async def logout(self, request: web.Request) -> web.StreamResponse:
        found = request.get("session")
        if isinstance(found, Session):
            self.revoked.add(found.sid)
        response = _see_other(LOGIN)
        response.del_cookie(COOKIE, path="/")
        return response

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if self.hosts is not None and request.host not in self.hosts:  # another name resolved here
            raise web.HTTPMisdirectedRequest(text="421: this server does not answer to that name\n")
        path = request.path
        if path in OPEN_PATHS or any(path.startswith(p) for p in OPEN_PREFIXES):
            return await handler(request)
        found = await self.session(request)
        if found is None:
            if request.method == "GET" and _wants_page(request):
                raise web.HTTPSeeOther(LOGIN)
            raise web.HTTPUnauthorized(text="401: log in first\n")
        request["session"] = found
        return await handler(request)


def _wants_page(request: web.Request) -> bool:
    """A browser asking for a page (not a websocket, a script or a download)."""
    return (request.headers.get("Upgrade", "").lower() != "websocket"
            and "text/html" in request.headers.get("Accept", "")
            and not request.path.startswith(("/download/", "/static/", "/ws")))


def same_origin(request: web.Request) -> bool:
    """Origin, when a browser sends it, names this very server."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True  # not a browser's cross-site request: those always carry Origin
    parts = urlsplit(origin)
    return parts.netloc == request.host


def _see_other(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location, "Cache-Control": "no-store"})


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_FORM = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>warroom: log in</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ font-family: system-ui, sans-serif; background: #1e1e2e; color: #e0e0e0; display: grid;
       place-items: center; min-height: 90vh; }}
form {{ display: grid; gap: .6rem; min-width: 18rem; }}
input, button {{ font-size: 1rem; padding: .4rem; }}
p.error {{ color: #ff8080; }}
</style></head>
<body><form method="post" action="/login">
<h1>warroom</h1>
{error}
<label>Name <input name="name" autocomplete="username" required autofocus value="{name}"></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Log in</button>
</form></body></html>
"""


def _page(error: str = "", name: str = "", status: int = 200) -> web.Response:
    shown = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
    response = web.Response(text=_FORM.format(error=shown, name=html.escape(name, quote=True)),
                            content_type="text/html", status=status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = ("default-src 'none'; style-src 'unsafe-inline'; "
                                                   "form-action 'self'; frame-ancestors 'none'")
    return response
