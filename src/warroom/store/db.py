"""Open a war room file: refuse what is not one, migrate, set the connection rules."""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from .schema import APPLICATION_ID, MIGRATIONS, REFOLD_AT, SCHEMA_VERSION

SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 10_000
NETWORK_FILESYSTEMS = ("nfs", "nfs4", "cifs", "smb", "smb2", "smb3", "smbfs", "9p", "afs",
                       "ceph", "glusterfs", "lustre", "davfs", "ncpfs", "gpfs", "beegfs")


class StoreError(Exception):
    """A war room file that cannot be used; the message says which file and why."""


def connect(path: str | Path, *, readonly: bool = False) -> sqlite3.Connection:
    """A connection with the war room's rules. Transactions are explicit (autocommit mode)."""
    uri = f"file:{Path(path).absolute()}?mode={'ro' if readonly else 'rw'}"
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False,
                           timeout=BUSY_TIMEOUT_MS / 1000)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    if not readonly:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA journal_size_limit = 67108864")
    conn.execute("PRAGMA synchronous = FULL")
    return conn


def rows(conn: sqlite3.Connection, sql: str, params=()) -> list[dict]:
    """A finished query as dicts. The console reads through this rather than sqlite-utils,
    whose import (~70 ms) would delay its first screen."""
    cursor = conn.execute(sql, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row)) for row in cursor]


def create_file(path: Path) -> None:
    """A new, empty file readable and writable by the owner and the group (0660)."""
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o660)
    try:
        os.fchmod(fd, 0o660)  # the umask must not take the group's write away
    finally:
        os.close(fd)


def check_file(path: Path) -> None:
    """Refuse, without touching it, a file that is not a war room this version can open."""
    if not path.exists():
        raise StoreError(f"{path}: no war room here (create one with `warroom init PLAN` or `warroom init --demo`)")
    if path.is_dir():
        raise StoreError(f"{path}: is a directory, not a war room file")
    with path.open("rb") as f:
        header = f.read(len(SQLITE_HEADER))
    if header != SQLITE_HEADER:
        raise StoreError(f"{path}: not a war room (not a SQLite database)")
    conn = sqlite3.connect(f"file:{path.absolute()}?mode=ro", uri=True)
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path}: not a war room ({exc})") from None
    finally:
        conn.close()
    if app_id != APPLICATION_ID:
        raise StoreError(f"{path}: not a war room (a SQLite database of another application)")
    if version > SCHEMA_VERSION:
        raise StoreError(f"{path}: made by a newer warroom (schema {version}, this one knows "
                         f"up to {SCHEMA_VERSION}); upgrade warroom to open it")


def migrate(conn: sqlite3.Connection) -> None:
    """Bring the schema up to date, in one immediate transaction (none when it is)."""
    if conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        for script in MIGRATIONS[version:]:
            for statement in _statements(script):
                conn.execute(statement)
        if 0 < version < REFOLD_AT:
            from .rebuild import refold

            refold(conn)
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _statements(script: str):
    """Split a script into statements (executescript would commit our transaction)."""
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            yield buffer.strip()
            buffer = ""


def network_filesystem(path: Path, mounts_file: str = "/proc/mounts") -> str | None:
    """The type of the network filesystem the file lives on, if it does."""
    try:
        with open(mounts_file, encoding="utf-8") as f:
            mounts = [line.split()[1:3] for line in f if len(line.split()) >= 3]
    except OSError:
        return None
    target = str(path.absolute().parent.resolve())
    best, kind = "", ""
    for point, fstype in mounts:
        point = point.replace("\\040", " ")
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) > len(best):
            best, kind = point, fstype
    if kind.startswith("fuse") or kind.split(".")[0] in NETWORK_FILESYSTEMS:
        return kind
    return None
