"""The `<file>-lock` beside a war room. Writers take turns on it (flock), and every process
that has the war room open holds a shared byte-range lock on it, so that `warroom init
--force` can tell that someone still has the file open, and who.

The lock file is warroom's own: it is found beside the war room's real file (a symlinked
path and the real one share one queue), never followed when it is a symbolic link, refused
when it is anything but a regular file, and only chmod-ed when warroom has just created it."""
from __future__ import annotations

import errno
import fcntl
import os
import pwd
import stat
import struct
import time
from contextlib import suppress
from pathlib import Path

from .files import StoreError, file_kind, network_filesystem

# An open file description lock (Linux 3.15+): per open file, not per process, so that the
# lock of one connection does not vanish when another connection of the process closes
# its own descriptor of the file (as POSIX record locks would). It never meets the
# writers' flock. Each holder locks one byte, at the offset of its pid: the lock tells who.
_OFD = hasattr(fcntl, "F_OFD_SETLK")
_FLOCK = "@hhqqi4x"  # struct flock on Linux: l_type, l_whence, l_start, l_len, l_pid
OPEN_WAIT_SECONDS = 10  # how long opening waits while `init --force` moves the old file aside
MAX_HOLDERS_NAMED = 8
MAX_HOLDERS_SCANNED = 256


def lock_path(db: str | Path) -> Path:
    """The lock file of a war room: beside its real file, whatever symlink names it."""
    return Path(os.path.realpath(db) + "-lock")


def open_lock_file(path: Path, *, create: bool = True) -> int | None:
    """A descriptor of the lock file (read-write if allowed, else read-only), created 0660 when
    missing and `create`. None when it cannot be had (no such file, a directory we may not
    write to): the writers then keep order by busy_timeout alone. A symbolic link, a FIFO, a
    device or a directory at its place is refused (StoreError), never opened."""
    flags = os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    if create:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | flags, 0o660)
        except FileExistsError:
            pass
        except OSError:
            return None  # a directory we may not write to, a read-only filesystem
        else:
            with suppress(OSError):
                os.fchmod(fd, 0o660)  # ours: the umask must not take the group's write away
            return fd
    try:
        before = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISREG(before.st_mode):
        raise StoreError(f"{path}: is {file_kind(before.st_mode)}, not warroom's lock file; warroom never "
                         f"follows or opens it: remove it (`rm {path}`) and try again")
    opened = _open_existing(path, flags)
    if opened is None:
        return None
    now = os.fstat(opened)
    if (now.st_dev, now.st_ino) != (before.st_dev, before.st_ino) or not stat.S_ISREG(now.st_mode):
        os.close(opened)
        raise StoreError(f"{path}: changed while it was being opened; try again")
    return opened


def _open_existing(path: Path, flags: int) -> int | None:
    """The lock file opened read-write, else read-only; None when neither is allowed or it is
    gone. A symbolic link that took its place since it was checked is refused."""
    for mode in (os.O_RDWR, os.O_RDONLY):
        try:
            return os.open(path, mode | flags)
        except OSError as exc:
            if exc.errno == errno.ELOOP:  # it became a symbolic link since lstat
                raise StoreError(f"{path}: is a symbolic link, not warroom's lock file: remove it") from None
            if exc.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
                return None
    return None


class WriterQueue:
    """Writers of one file take turns on a kernel lock (flock on `<file>-lock`), woken the
    moment the previous writer is done. Waiting in SQLite's busy handler instead means sleeps
    that grow to 100 ms, and under 16 writers some waited seconds (bench/writers.py). Anyone
    writing without the queue (the sqlite3 shell) is still handled by busy_timeout."""

    def __init__(self, path: Path):
        self.lock_path = lock_path(path)
        self.fd: int | None = None

    def __enter__(self) -> None:
        if self.fd is None:
            self.fd = open_lock_file(self.lock_path)
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_EX)

    def __exit__(self, *exc: object) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


# -- who has the war room open ---------------------------------------------------------------
def _lock(fd: int, kind: int, start: int, length: int, *, wait: bool = False) -> bool:
    """An OFD lock of `kind` on [start, start + length) (length 0: to the end, however far)."""
    command = fcntl.F_OFD_SETLKW if wait else fcntl.F_OFD_SETLK
    try:
        fcntl.fcntl(fd, command, struct.pack(_FLOCK, kind, os.SEEK_SET, start, length, 0))
        return True
    except OSError as exc:
        if exc.errno in (errno.EAGAIN, errno.EACCES):
            return False
        raise


def _conflict(fd: int, start: int, end: int | None) -> tuple[int, int] | None:
    """The span [start, end) of a lock that another open file holds in [start, end) (None: to
    the end, however far), if any."""
    probe = struct.pack(_FLOCK, fcntl.F_WRLCK, os.SEEK_SET, start, 0 if end is None else end - start, 0)
    kind, _, found, length, _ = struct.unpack(_FLOCK, fcntl.fcntl(fd, fcntl.F_OFD_GETLK, probe))
    return None if kind == fcntl.F_UNLCK else (found, length)


class OpenHold:
    """While it lives, this process has the war room open: a shared lock on one byte of its
    lock file, at the offset of the pid. `init --force` sees it (`holders`)."""

    def __init__(self, db: str | Path):
        self.fd: int | None = None
        if not _OFD or network_filesystem(Path(db)):
            return  # on a network filesystem flock and byte-range locks may meet: no hold
        fd = open_lock_file(lock_path(db), create=os.path.exists(db))
        if fd is None:
            return
        deadline = time.monotonic() + OPEN_WAIT_SECONDS
        pid = os.getpid()
        while not _lock(fd, fcntl.F_RDLCK, pid, 1):
            if time.monotonic() > deadline:  # `init --force` holds it all: it is moving the file
                os.close(fd)
                raise StoreError(f"{db}: is being replaced (`warroom init --force` is moving it aside); try again")
            time.sleep(0.02)
        self.fd = fd

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing the open file drops its lock
            self.fd = None

    def __del__(self) -> None:
        self.release()


def holders(db: str | Path, *, exclude_self: bool = True) -> list[str]:
    """Who has the war room open, as "pid 123 (login)", from the locks on its lock file.
    Empty when nobody does, or when it cannot be told (no lock file, no OFD locks)."""
    if not _OFD:
        return []
    fd = open_lock_file(lock_path(db), create=False)
    if fd is None:
        return []
    found: set[int] = set()
    try:  # every conflicting lock, by splitting the range around each one found
        spans: list[tuple[int, int | None]] = [(0, None)]
        for _ in range(4 * MAX_HOLDERS_SCANNED):
            if not spans:
                break
            start, end = spans.pop()
            lock = _conflict(fd, start, end)
            if lock is None:
                continue
            at, length = lock
            if length == 1:
                found.add(at)  # a holder, at the offset of its pid
            if at > start:
                spans.append((start, at))
            if length:  # else it runs to the end: `init --force` at work, nobody past it
                spans.append((at + length, end))
    finally:
        os.close(fd)
    me = os.getpid()
    return [describe_pid(pid) for pid in sorted(found) if not (exclude_self and pid == me)]


def describe_pid(pid: int) -> str:
    try:
        login = pwd.getpwuid(os.stat(f"/proc/{pid}").st_uid).pw_name
    except (OSError, KeyError):
        return f"pid {pid}"
    return f"pid {pid} ({login})"


class SoleHolder:
    """Held by `warroom init --force` while it moves the old file aside: an exclusive lock over
    every byte of the lock file, so that nobody opens the war room meanwhile. Refused, naming
    who has the file open, when somebody does, unless `insist`."""

    def __init__(self, db: str | Path, *, insist: bool = False):
        self.db, self.insist = Path(db), insist
        self.fd: int | None = None

    def __enter__(self) -> SoleHolder:
        if not _OFD:
            return self
        fd = open_lock_file(lock_path(self.db))
        if fd is None:
            return self
        if fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_RDONLY:
            os.close(fd)  # a lock file we may only read: nobody can be told; moving the file says the rest
            return self
        if _lock(fd, fcntl.F_WRLCK, 0, 0):
            self.fd = fd
            return self
        who = holders(self.db, exclude_self=False)
        os.close(fd)
        if not self.insist:
            shown = ", ".join(who[:MAX_HOLDERS_NAMED]) + (" …" if len(who) > MAX_HOLDERS_NAMED else "")
            users = (f"open in {len(who)} other process{'es' if len(who) > 1 else ''} ({shown})" if who
                     else "in use by another process (another `warroom init --force`?)")
            raise StoreError(f"{self.db}: {users}: close those consoles and commands first, or give --force "
                             "twice to replace it anyway (open consoles then stop recording)")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
