"""Writers of one war room file take turns on a kernel lock beside it."""
from __future__ import annotations

import fcntl
import os
from pathlib import Path


class WriterQueue:
    """Writers of one file take turns on a kernel lock (flock on `<file>-lock`), woken the
    moment the previous writer is done. Waiting in SQLite's busy handler instead means sleeps
    that grow to 100 ms, and under 16 writers some waited seconds (bench/writers.py). Anyone
    writing without the queue (the sqlite3 shell) is still handled by busy_timeout."""

    def __init__(self, path: Path):
        self.lock_path = Path(f"{path}-lock")
        self.fd: int | None = None

    def __enter__(self) -> None:
        if self.fd is None:
            self.fd = _open_lock(self.lock_path)
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_EX)

    def __exit__(self, *exc) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def _open_lock(path: Path) -> int | None:
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o660)
    except OSError:
        return None  # a directory we may not write to: busy_timeout alone keeps order
    try:
        os.fchmod(fd, 0o660)
    except OSError:
        pass  # someone else's lock file: it is already shared
    return fd
