"""Open a war room file: refuse what is not one, migrate, set the connection rules."""
from __future__ import annotations

import grp
import os
import pwd
import sqlite3
import stat
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from .files import DamagedFile, StoreError, file_kind
from .lock import OpenHold
from .schema import APPLICATION_ID, MIGRATIONS, REFOLD_AT, SCHEMA_VERSION

SQLITE_HEADER = b"SQLite format 3\x00"
TEAM_GROUP = "warroom"  # the group the README's recipe makes, named when a file has none
BUSY_TIMEOUT_MS = 10_000
Params = Sequence[object]  # the values of a query's `?` placeholders


# The files this process has a connection to, by (device, inode): check_file never opens
# them itself, since closing any descriptor of a file drops every POSIX lock the process holds
# on it, SQLite's included (sqlite.org/howtocorrupt.html 2.2): another process could then
# reset the WAL under this one's feet.
_CONNECTED: Counter[tuple[int, int]] = Counter()


class _Connection(sqlite3.Connection):
    """A connection that holds the war room open (`lock.OpenHold`) until it is closed."""

    hold: OpenHold | None = None
    file: tuple[int, int] | None = None

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self.hold is not None:
                self.hold.release()
                self.hold = None
            if self.file is not None:
                _CONNECTED[self.file] -= 1
                if not _CONNECTED[self.file]:
                    del _CONNECTED[self.file]
                self.file = None


def connect(path: str | Path, *, readonly: bool = False) -> sqlite3.Connection:
    """A connection with the war room's rules. Transactions are explicit (autocommit mode).
    While it is open, `warroom init --force` knows the file is in use. A file that cannot be
    opened is refused with a StoreError that says why and what to do."""
    path = Path(path)
    hold = OpenHold(path)
    uri = f"file:{_uri_path(path)}?mode={'ro' if readonly else 'rw'}"
    conn: _Connection | None = None
    try:
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False,
                               timeout=BUSY_TIMEOUT_MS / 1000, factory=_Connection)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        if not readonly:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA journal_size_limit = 67108864")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()  # opens -wal and -shm now
    except sqlite3.Error as exc:
        if conn is not None:
            conn.close()
        hold.release()
        raise unusable(path, exc) from None
    conn.hold = hold
    found = os.stat(path)
    conn.file = (found.st_dev, found.st_ino)
    _CONNECTED[conn.file] += 1
    return conn


def _uri_path(path: Path) -> str:
    """The absolute path for a `file:` URI: `?` and `#` would end the path part."""
    return str(path.absolute()).replace("%", "%25").replace("?", "%3f").replace("#", "%23")


def rows(conn: sqlite3.Connection, sql: str, params: Params = ()) -> list[dict[str, Any]]:
    """A finished query as dicts. The console reads through this rather than sqlite-utils,
    whose import (~70 ms) would delay its first screen."""
    cursor = conn.execute(sql, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor]


# -- creating a file -------------------------------------------------------------------------
_created: set[tuple[int, int]] = set()  # (device, inode) of the files this process created


def create_file(path: Path) -> None:
    """A new, empty file readable and writable by the owner and the group (0660)."""
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_NOFOLLOW | os.O_CLOEXEC, 0o660)
    try:
        os.fchmod(fd, 0o660)  # the umask must not take the group's write away
        made = os.fstat(fd)
        _created.add((made.st_dev, made.st_ino))
    finally:
        os.close(fd)


@contextmanager
def new_room(path: Path) -> Iterator[None]:
    """Around the making of a new war room file (`Store.create` and the `init` event): should
    anything in it fail, the file this process created is removed (with the -wal and -shm
    SQLite left beside it), so that the next `warroom init` does not find a half-made war
    room in its way. A file that this process did not create is never removed."""
    try:
        yield
    except BaseException:
        remove_created(path)
        raise


def remove_created(path: Path) -> bool:
    """Remove the war room file at `path` if this process created it; True if it did."""
    try:
        found = os.lstat(path)
    except OSError:
        return False
    if (found.st_dev, found.st_ino) not in _created:
        return False
    for suffix in ("-wal", "-shm", ""):
        with suppress(OSError):
            os.unlink(f"{path}{suffix}")
    _created.discard((found.st_dev, found.st_ino))
    return True


# -- is it a war room, and can it be used ----------------------------------------------------
def check_file(path: Path) -> None:
    """Refuse, without touching it, a file that is not a war room this version can open, and
    say what is wrong with one that is but cannot be opened (damaged, not allowed, ...)."""
    try:
        found = os.stat(path)
    except FileNotFoundError:
        raise StoreError(f"{path}: no war room here (create one with `warroom init PLAN` or "
                         "`warroom init --demo`)") from None
    except OSError as exc:
        raise unusable(path, exc) from None
    if stat.S_ISDIR(found.st_mode):
        raise StoreError(f"{path}: is a directory, not a war room file")
    if not stat.S_ISREG(found.st_mode):  # a FIFO would make us wait for a writer forever
        raise StoreError(f"{path}: is {file_kind(found.st_mode)}, not a war room file: give --db the "
                         "war room's file")
    if (found.st_dev, found.st_ino) in _CONNECTED:
        return  # open in this process already, so checked: and opening it here would unlock it
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise unusable(path, exc) from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise StoreError(f"{path}: is {file_kind(os.fstat(fd).st_mode)}, not a war room file")
        header = os.read(fd, 100)
    finally:
        os.close(fd)
    marked = header[68:72] == APPLICATION_ID.to_bytes(4, "big")  # PRAGMA application_id's bytes
    if not header:
        raise StoreError(f"{path}: not a war room (an empty file: left by a `warroom init` that failed? "
                         "remove it and run `warroom init` again)")
    if not header.startswith(SQLITE_HEADER):
        raise StoreError(f"{path}: not a war room (not a SQLite database)")
    try:
        conn = sqlite3.connect(f"file:{_uri_path(path)}?mode=ro", uri=True)
        try:
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error as exc:
        if is_damage(exc) and not marked:  # not even a war room's header
            raise StoreError(f"{path}: not a war room ({exc})") from None
        raise unusable(path, exc) from None
    if app_id != APPLICATION_ID:
        raise StoreError(f"{path}: not a war room (a SQLite database of another application)")
    if version > SCHEMA_VERSION:
        raise StoreError(f"{path}: made by a newer warroom (schema {version}, this one knows "
                         f"up to {SCHEMA_VERSION}); upgrade warroom to open it")


def is_damage(exc: BaseException) -> bool:
    """SQLite found the file damaged ("database disk image is malformed" and the like)."""
    if isinstance(exc, DamagedFile):
        return True
    return (getattr(exc, "sqlite_errorname", None) or "").startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB"))


def unusable(path: Path, exc: BaseException) -> StoreError:
    """The refusal to give for a war room file that SQLite (or the OS) cannot use."""
    message = explain(path, exc)
    return DamagedFile(message) if is_damage(exc) else StoreError(message)


def explain(path: str | Path, exc: BaseException) -> str:
    """What is wrong with the file and what to do, for an error met while opening or using it:
    damaged, not allowed, a directory SQLite may not create -wal / -shm in, a read-only
    filesystem, moved while open. Anything else is said as SQLite or the OS said it."""
    path = Path(path)
    name = getattr(exc, "sqlite_errorname", None) or ""
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if is_damage(exc):
        return (f"{path}: the file is damaged ({reason}): run `warroom --db {path} verify` to see what "
                "is wrong, then restore a good copy (a .bak beside it, or a backup)")
    if name == "SQLITE_READONLY_DBMOVED":
        return (f"{path}: the file was moved, replaced or deleted while it was open ({reason}): "
                "nothing more is recorded through this connection; open the war room again")
    if isinstance(exc, PermissionError) or name.startswith(
            ("SQLITE_CANTOPEN", "SQLITE_READONLY", "SQLITE_PERM", "SQLITE_AUTH", "SQLITE_IOERR")):
        problem = access_problem(path)
        if problem:
            return problem
    if isinstance(exc, OSError) and exc.strerror:
        return f"{path}: {exc.strerror}"
    return f"{path}: {reason}"


def access_problem(path: Path) -> str | None:
    """Why this user cannot use the war room's files, if the file system tells: a read-only
    filesystem, a file of the war room it may not read or write, a directory it may not
    create -wal / -shm in. None when nothing is found."""
    real = Path(os.path.realpath(path))  # SQLite keeps -wal and -shm beside the real file
    directory = real.parent
    mount = read_only_mount(directory)
    wal, shm = Path(f"{real}-wal"), Path(f"{real}-shm")
    if mount:
        return (f"{path}: it is on a read-only filesystem ({mount}): SQLite cannot create or update "
                f"{wal.name} and {shm.name} there, so the war room cannot be opened, not even to read; "
                f"remount it read-write (`mount -o remount,rw {mount}`) or copy the file to a writable disk")
    login = _login()
    group = _group(path) or _group(directory)
    for file, write in ((real, False), (wal, True), (shm, True)):
        try:
            info = os.stat(file)
        except FileNotFoundError:
            continue
        except PermissionError:
            return _no_permission(real, login, group, f"reach {file} (a directory on its way is closed to you)")
        wanted = os.R_OK | (os.W_OK if write else 0)
        if not os.access(file, wanted):
            verb = "read and write" if write else "read"
            return _no_permission(real, login, group, f"{verb} {file} ({_owner_group_mode(info)})")
    missing = [f.name for f in (wal, shm) if not f.exists()]
    if missing and not os.access(directory, os.W_OK | os.X_OK):
        group, first = _team(group or _group(directory), login)
        return (f"{path}: SQLite must create {' and '.join(missing)} beside it, and {login} may not create "
                f"files in its directory {directory} ({_owner_group_mode(os.stat(directory))}): {first}make "
                f"it the team's setgid directory (`sudo chgrp {group} {directory} && sudo chmod 2770 "
                f"{directory}`){_not_member(login, group) if not first else ''}")
    return None


def _no_permission(path: Path, login: str, group: str | None, what: str) -> str:
    group, first = _team(group, login)
    present = [str(f) for f in (path, f"{path}-wal", f"{path}-shm", f"{path}-lock") if os.path.lexists(f)]
    files = " ".join(present) or str(path)
    directory = path.absolute().parent
    join = _not_member(login, group) if not first else ""
    return (f"{path}: permission denied: {login} may not {what}{join}. Every file of a shared war room "
            f"belongs to the team's group and is 0660: {first}`sudo chgrp {group} {files} && sudo chmod 0660 "
            f"{files}`; keep it in a setgid directory so that the files SQLite creates get that group "
            f"(`sudo chgrp {group} {directory} && sudo chmod 2770 {directory}`) and set `umask 007` in "
            "each member's shell")


def _not_member(login: str, group: str | None) -> str:
    if not group or os.geteuid() == 0:
        return ""
    try:
        gid = grp.getgrnam(group).gr_gid
    except KeyError:
        return ""
    if gid in os.getgroups() or gid == os.getegid():
        return ""
    return f"; {login} is not in the group {group}: `sudo usermod -aG {group} {login}`, then log in again"


def _owner_group_mode(info: os.stat_result) -> str:
    try:
        owner = pwd.getpwuid(info.st_uid).pw_name
    except KeyError:
        owner = str(info.st_uid)
    try:
        group = grp.getgrgid(info.st_gid).gr_name
    except KeyError:
        group = str(info.st_gid)
    return f"owner {owner}, group {group}, mode {stat.S_IMODE(info.st_mode):04o}"


def _group(path: Path) -> str | None:
    """The team's group that owns `path`; None for root's group or the owner's own group (a
    file nobody set up for sharing)."""
    try:
        found = os.stat(path)
        name = grp.getgrgid(found.st_gid).gr_name
    except (OSError, KeyError):
        return None
    try:
        owner = pwd.getpwuid(found.st_uid).pw_name
    except KeyError:
        owner = None
    return None if found.st_gid == 0 or name == owner else name


def _team(group: str | None, login: str) -> tuple[str, str]:
    """The group to name in advice, and how to make it when there is none yet."""
    if group:
        return group, ""
    return TEAM_GROUP, (f"give the team a group first (`sudo groupadd {TEAM_GROUP} && sudo usermod -aG "
                        f"{TEAM_GROUP} {login}`, and every member), then ")


def _login() -> str:
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        return f"uid {os.geteuid()}"


def read_only_mount(directory: Path) -> str | None:
    """The mount point of the read-only filesystem that holds `directory`, if it is one."""
    try:
        if not os.statvfs(directory).f_flag & os.ST_RDONLY:
            return None
    except OSError:
        return None
    point = directory.resolve()
    while not os.path.ismount(point) and point != point.parent:
        point = point.parent
    return str(point)


def integrity_lines(path: str | Path, limit: int = 100) -> list[str]:
    """What `PRAGMA integrity_check` says is wrong with the file, one line each (nothing when
    it is sound), read without the war room's own reads, for a file too damaged for them.
    When the whole-file check cannot run, each table is checked on its own; when not even
    the schema can be read, one line says so."""
    try:
        conn = sqlite3.connect(f"file:{_uri_path(Path(path))}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        return [f"integrity_check: cannot run: {exc}"]
    try:
        try:
            found = [row[0] for row in conn.execute(f"PRAGMA integrity_check({int(limit)})")]
        except sqlite3.DatabaseError:
            found = _table_by_table(conn)
    except sqlite3.Error as exc:
        return [f"integrity_check: cannot run: {exc} (the first pages or the schema are damaged)"]
    finally:
        conn.close()
    lines = [line for text in found for line in str(text).splitlines()]
    return [f"integrity_check: {line}" for line in lines if line.strip() and line != "ok"]


def _table_by_table(conn: sqlite3.Connection) -> list[str]:
    """integrity_check table by table, for a file whose whole-file check stops at damage."""
    found = []
    for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY rootpage").fetchall():
        quoted = '"' + table.replace('"', '""') + '"'
        try:
            found += [f"table {table}: {row[0]}" for row in conn.execute(f"PRAGMA integrity_check({quoted})")
                      if row[0] != "ok"]
        except sqlite3.DatabaseError as exc:
            found.append(f"table {table}: cannot be read: {exc}")
    return found


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


def _statements(script: str) -> Iterator[str]:
    """Split a script into statements (executescript would commit our transaction)."""
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            yield buffer.strip()
            buffer = ""
