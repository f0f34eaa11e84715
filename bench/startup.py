"""Time from launch to the first full screen, in a real pseudo-terminal: `warroom` on the demo
war room against a bare Textual app (a header, a label and a footer), measured in the same run.

    python bench/startup.py [--runs 11]

Both start from compiled bytecode, as `pip install` leaves an installed package: an editable
install under PYTHONDONTWRITEBYTECODE would otherwise compile warroom's sources on every launch.

Goal: warroom within 1.5x the bare app. Prints one line of figures.
"""
from __future__ import annotations

import argparse
import compileall
import fcntl
import os
import pty
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import textwrap
import time
from pathlib import Path

from warroom import demo_day

GOAL = 1.5
BARE_APP = textwrap.dedent("""
    from textual.app import App
    from textual.widgets import Footer, Header, Label

    class Bare(App):
        BINDINGS = [("q", "quit", "Quit")]

        def compose(self):
            yield Header()
            yield Label("bare app ready")
            yield Footer()

    Bare().run()
""")


def first_screen(command: list[str], marker: bytes, timeout: float = 30.0) -> float:
    """Seconds from spawning `command` on a 120x40 pty until `marker` has been drawn."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40"}
    started = time.perf_counter()
    child = subprocess.Popen(command, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True)
    os.close(slave)
    seen = b""
    try:
        while marker not in seen:
            if time.perf_counter() - started > timeout:
                raise TimeoutError(f"{command[0]}: no first screen after {timeout} s")
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                seen = seen[-4096:] + os.read(master, 65536)
        return time.perf_counter() - started
    finally:
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()
        os.close(master)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    demo, bare = folder / "demo.db", folder / "bare.py"
    demo_day.create_demo(demo, "bench")
    compileall.compile_dir(Path(demo_day.__file__).parent, quiet=1)
    bare.write_text(BARE_APP)
    warroom = [sys.executable, "-m", "warroom", "--db", str(demo), "--as", "bench"]
    bare_times, warroom_times = [], []
    for _ in range(args.runs):  # interleaved, so that both see the same machine
        bare_times.append(first_screen([sys.executable, str(bare)], b"bare app ready"))
        warroom_times.append(first_screen(warroom, b" T+2:5"))  # the top bar, drawn once the room is loaded
    bare_ms, warroom_ms = statistics.median(bare_times) * 1000, statistics.median(warroom_times) * 1000
    ratio = warroom_ms / bare_ms
    print(f"startup: bare Textual app {bare_ms:.0f} ms, warroom on the demo day {warroom_ms:.0f} ms "
          f"(median of {args.runs}), ratio {ratio:.2f} (goal <= {GOAL}: {'met' if ratio <= GOAL else 'MISSED'})")


if __name__ == "__main__":
    main()
