"""The console in a real pseudo-terminal, as a person runs it over SSH."""
from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time


def spawn_console(db_path, operator: str) -> tuple[subprocess.Popen, int]:
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color"}
    console = subprocess.Popen([sys.executable, "-m", "warroom", "--db", str(db_path), "--as", operator],
                               stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True)
    os.close(slave)
    return console, master


def read_until(master: int, marker: bytes, timeout: float = 60) -> bytes:
    seen, deadline = b"", time.monotonic() + timeout
    while marker not in seen:
        assert time.monotonic() < deadline, f"{marker!r} never drawn"
        if select.select([master], [], [], 0.1)[0]:
            seen = seen[-8192:] + os.read(master, 65536)
    return seen


def test_a_console_whose_terminal_hangs_up_exits(db_path):
    """An SSH link that dies without SIGHUP leaves the console without a terminal: it must
    end, not linger (Textual's input thread would spin on the dead terminal at 100% CPU)."""
    console, master = spawn_console(db_path, "Zoé")
    try:
        read_until(master, "Zoé".encode())  # the top bar names the operator once the room is shown
        os.close(master)
        assert console.wait(timeout=30) == 0
    finally:
        if console.poll() is None:
            console.kill()
            console.wait()
