"""Status links: one secret token per audience, that opens that audience's read-only status
page in `warroom serve` and nothing else.

Only the token's sha256 is kept (`status_links`): a copy of the war room file gives nobody a
working link, and a link is shown once, when it is made. A link that exists cannot be shown
again; `rotate` makes a new one, and the old one stops working at once. Every link made
(the first one too) is journaled as `status_link.rotate` {audience}, without the token, so
the record says who made which audience's link and when."""
from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
from urllib.parse import quote

from ..domain.rules import RuleError
from .store import Answer, Change, Store, Tx

ACTION = "status_link.rotate"
DEFAULT_BASE_URL = "http://127.0.0.1:8400"
TOKEN_BYTES = 24  # 32 URL-safe characters


class LinkExists(RuleError):
    """The audience has a link already: only its hash is kept, so it cannot be shown again."""


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def url(base: str, audience: str, token: str) -> str:
    """The link a person opens: `http://host:8400/status/sponsors?token=...`."""
    return f"{base.rstrip('/')}/status/{quote(audience, safe='')}?token={quote(token, safe='')}"


def make(store: Store, audience: str, *, rotate: bool = False, at: int | None = None) -> str:
    """A new token for `audience`, stored as its hash and journaled (without it). Without
    `rotate`, refused with LinkExists when the audience has a link already; with it, the
    old link stops working."""
    token = secrets.token_urlsafe(TOKEN_BYTES)

    def body(tx: Tx) -> Change:
        if tx.one("SELECT 1 AS x FROM audiences WHERE key = ?", (audience,)) is None:
            known = [r["key"] for r in tx.all("SELECT key FROM audiences ORDER BY position")]
            raise RuleError(f"unknown audience {audience!r}"
                            + (f" (known: {', '.join(known)})" if known else " (the plan names none)"))
        if not rotate and tx.one("SELECT 1 AS x FROM status_links WHERE audience = ?", (audience,)):
            raise LinkExists(f"{audience} has a status link already; only its hash is kept, so it cannot be "
                             f"shown again: `warroom status-link {audience} --rotate` makes a new one (the "
                             "old one stops working)")
        tx.run("INSERT INTO status_links (audience, token_sha256, created_at) VALUES (?, ?, ?)"
               " ON CONFLICT (audience) DO UPDATE SET token_sha256 = excluded.token_sha256,"
               " created_at = excluded.created_at", (audience, digest(token), tx.recorded_at))

        def result(_board: object) -> Answer:
            return {"audience": audience}
        return Change(ACTION, "status_link", audience, {"audience": audience}, result)
    store.write(body, at)
    return token


def ensure_all(store: Store) -> dict[str, str | None]:
    """Every audience of the plan, in its order, with the token of the link just made for it,
    or None where it had one already (that one still works; it cannot be shown again). What
    `warroom serve` prints when it starts."""
    made: dict[str, str | None] = {}
    for row in store.query("SELECT key FROM audiences ORDER BY position"):
        try:
            made[row["key"]] = make(store, row["key"])
        except LinkExists:
            made[row["key"]] = None
    return made


def has_link(conn: sqlite3.Connection, audience: str) -> bool:
    return conn.execute("SELECT 1 FROM status_links WHERE audience = ?", (audience,)).fetchone() is not None


def stored_digest(conn: sqlite3.Connection, audience: str) -> str | None:
    row = conn.execute("SELECT token_sha256 FROM status_links WHERE audience = ?", (audience,)).fetchone()
    return row[0] if row else None


def check(conn: sqlite3.Connection, audience: str, token: str | None) -> bool:
    """Does `token` open `audience`'s page? Compared in constant time, on the hashes; an
    unknown audience and a wrong token are the same answer."""
    stored = stored_digest(conn, audience)
    if not token or stored is None:
        hmac.compare_digest(digest(token or ""), digest(""))  # the same work either way
        return False
    return hmac.compare_digest(digest(token), stored)
