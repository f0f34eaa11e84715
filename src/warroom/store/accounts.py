"""Who may log in to `warroom serve`. An account is a name (what the console records under),
an optional role, and an argon2 hash of its password (salted by argon2; the password itself
is never stored). Adding and removing an account are journaled without the hash; checking a
password counts the failures, so that the server can slow a guesser down.

argon2 is imported by the functions that hash, not when the store loads: the CLI starts
without it."""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..domain import timefmt
from ..domain.reducer import Board
from ..domain.rules import RuleError
from ..domain.visible import visible
from .store import Answer, Change, Store, Tx, retry_busy

if TYPE_CHECKING:
    from argon2 import PasswordHasher

MAX_NAME = 100
MIN_PASSWORD = 8


def check_name(name: str) -> str:
    """A login name is what people read in the record: visible characters, no spaces at
    either end, no line breaks, not empty."""
    if not name or not name.strip():
        raise ValueError("an account needs a name")
    if name != name.strip() or visible(name, one_line=True) != name or not name.isprintable():
        raise ValueError(f"account name {visible(name, one_line=True)!r}: visible characters only, "
                         "no control characters or spaces at either end")
    if len(name) > MAX_NAME:
        raise ValueError(f"an account name is up to {MAX_NAME} characters")
    return name


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"a password is at least {MIN_PASSWORD} characters")
    if "\n" in password or "\r" in password:
        raise ValueError("a password is one line")
    return password


@functools.cache
def _hasher() -> PasswordHasher:
    from argon2 import PasswordHasher

    return PasswordHasher()  # argon2id, a random salt per hash, the library's current parameters


@functools.cache
def _dummy_hash() -> str:
    """What an unknown name is checked against, so that it costs what a known one does."""
    return _hasher().hash("not a password: an unknown name is verified against this")


def add(store: Store, name: str, password: str, role: str | None = None, at: int | None = None) -> Answer:
    """A new account; refused if the name is taken or the role unknown."""
    name = check_name(name)
    digest = _hasher().hash(check_password(password))  # before the transaction: it takes ~50 ms

    def body(tx: Tx) -> Change:
        if tx.one("SELECT 1 AS x FROM accounts WHERE name = ?", (name,)):
            raise RuleError(f"account {name!r} already exists (remove it first to set a new password)")
        if role is not None and not tx.one("SELECT 1 AS x FROM roles WHERE key = ?", (role,)):
            known = ", ".join(r["key"] for r in tx.all("SELECT key FROM roles ORDER BY position, key"))
            raise RuleError(f"unknown role {role!r} (roles: {known or 'none'})")
        tx.run("INSERT INTO accounts (name, role, hash, created_at) VALUES (?, ?, ?, ?)",
               (name, role, digest, tx.recorded_at))
        return Change("account.add", "account", name, {"name": name, "role": role}, _answer(name))
    return store.write(body, at)


def remove(store: Store, name: str, at: int | None = None) -> Answer:
    def body(tx: Tx) -> Change:
        if not tx.one("SELECT 1 AS x FROM accounts WHERE name = ?", (name,)):
            raise RuleError(f"no account named {visible(name, one_line=True)!r}")
        tx.run("DELETE FROM accounts WHERE name = ?", (name,))
        return Change("account.remove", "account", name, {"name": name}, _answer(name))
    return store.write(body, at)


def _answer(name: str) -> Callable[[Board], dict[str, Any]]:
    def result(board: Board) -> dict[str, Any]:
        return {"account": name}
    return result


def listing(store: Store) -> list[dict[str, Any]]:
    """The accounts, without their hashes."""
    return store.query("SELECT name, role, created_at, failures, last_failure FROM accounts ORDER BY name")


def _rows(store: Store, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every row, the statement finished: a half-read cursor would keep its snapshot (a
    server's long-lived connection would not see an account removed since)."""
    return store.conn.execute(sql, params).fetchall()


def count(store: Store) -> int:
    return int(_rows(store, "SELECT COUNT(*) FROM accounts")[0][0])


def exists(store: Store, name: str) -> bool:
    return created(store, name) is not None


def created(store: Store, name: str) -> int | None:
    """When the account was added (ms): an account removed and added again is another one."""
    found = _rows(store, "SELECT created_at FROM accounts WHERE name = ?", (name,))
    return int(found[0][0]) if found else None


def failures(store: Store, name: str) -> int:
    found = _rows(store, "SELECT failures FROM accounts WHERE name = ?", (name,))
    return int(found[0][0]) if found else 0


def check(store: Store, name: str, password: str) -> bool:
    """Whether `password` is `name`'s. A failure is counted on the account (an unknown name
    is verified against a dummy hash: it takes as long); a success resets the count."""
    from argon2.exceptions import InvalidHashError, VerificationError

    found = _rows(store, "SELECT hash FROM accounts WHERE name = ?", (name,))
    row = found[0] if found else None
    try:
        good = bool(_hasher().verify(row[0] if row else _dummy_hash(), password)) and row is not None
    except (VerificationError, InvalidHashError):
        good = False
    if row is None:
        return False
    if good:
        _set(store, "UPDATE accounts SET failures = 0, last_failure = NULL WHERE name = ? AND failures > 0", (name,))
    else:
        _set(store, "UPDATE accounts SET failures = failures + 1, last_failure = ? WHERE name = ?",
             (timefmt.now_ms(), name))
    return good


def _set(store: Store, sql: str, params: tuple[Any, ...]) -> None:
    """A counter, outside the journal: one short immediate transaction, retried when busy."""
    def attempt() -> None:
        store.conn.execute("BEGIN IMMEDIATE")
        try:
            store.conn.execute(sql, params)
            store.conn.execute("COMMIT")
        except BaseException:
            if store.conn.in_transaction:
                store.conn.execute("ROLLBACK")
            raise
    retry_busy(attempt)
