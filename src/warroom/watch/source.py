"""Run one KPI source command and read its number.

The command runs as `/bin/sh -c COMMAND` in the directory of the war room file (a plan can
name scripts kept beside it), with no standard input, in a session of its own: on timeout,
on too much output or when the watcher stops, its whole process group is killed, so that
`curl ... | jq ...` or `sleep 100 | cat` leave nothing behind. Its output is read as it
comes, never more than MAX_OUTPUT bytes of it kept.

A number is the whole of standard output (spaces around it aside), written with 0-9, or a
JSON object whose `value` is a number. Anything else is a failure with a short reason,
never a value."""
from __future__ import annotations

import contextlib
import json
import math
import os
import re
import selectors
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ..domain import timefmt

MAX_OUTPUT = 64 * 1024  # bytes of standard output: a number needs far fewer
STDERR_TAIL = 4096  # the end of standard error is where a command says what went wrong
TICK = 0.1  # seconds between two looks at `cancel` while the command runs
SHOWN = 80  # characters of an unreadable output quoted in its error
STOPPED = "stopped"
NUMBER = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
NOT_FINITE = {"nan", "inf", "infinity"}


@dataclass(frozen=True)
class Reading:
    """What one run gave: a finite value, or the error that says why there is none."""

    value: float | None
    error: str | None
    seconds: float

    @property
    def stopped(self) -> bool:
        """Cut short because the watcher stops: not a fact about the source."""
        return self.error == STOPPED


def run(command: str, timeout: float, cwd: Path, cancel: threading.Event | None = None) -> Reading:
    """Run `command` once, for at most `timeout` seconds (or until `cancel` is set)."""
    started = time.monotonic()
    try:
        proc = subprocess.Popen(["/bin/sh", "-c", command], cwd=cwd, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    except OSError as exc:
        return Reading(None, f"could not start: {exc.strerror or exc}", time.monotonic() - started)
    try:
        out, err, problem = _collect(proc, started, timeout, cancel)
    finally:
        _kill_group(proc)  # stragglers too: a shell's background children outlive it
        proc.wait()
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()
    value, error = judge(proc.returncode, out, err, problem)
    return Reading(value, error, time.monotonic() - started)


def judge(returncode: int, out: bytes, err: bytes, problem: str | None) -> tuple[float | None, str | None]:
    """(value, None) or (None, why not), from how the command ended and what it printed."""
    if problem is not None:
        return None, problem
    if returncode < 0:
        return None, f"killed by {_signal_name(-returncode)}"
    if returncode != 0:
        said = _last_line(err) or _last_line(out)
        return None, f"exit {returncode}: {said}" if said else f"exit {returncode}"
    return parse(out.decode("utf-8", "replace"))


def parse(text: str) -> tuple[float | None, str | None]:
    """A number, or a JSON object with a numeric `value`, with spaces and line breaks around
    it and nothing else (str.strip would take control characters and NBSP away too); else
    why it is not one."""
    text = text.strip(" \t\r\n")
    if not text:
        return None, "no output"
    if text.startswith("{"):
        return _from_json(text)
    if NUMBER.fullmatch(text):
        return _finite(float(text), text)
    if text.lower().lstrip("+-") in NOT_FINITE:
        return None, f"not a finite number: {text}"
    return None, f"not a number: {_cut(text)}"


def _from_json(text: str) -> tuple[float | None, str | None]:
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        return None, f"not a number: {_cut(text)}"
    value = document.get("value") if isinstance(document, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None, f'no numeric "value" in JSON: {_cut(text)}'
    try:
        return _finite(float(value), str(value))
    except OverflowError:  # an integer too large for a float
        return None, f"not a finite number: {_cut(str(value))}"


def _finite(value: float, text: str) -> tuple[float | None, str | None]:
    return (value, None) if math.isfinite(value) else (None, f"not a finite number: {_cut(text)}")


def _cut(text: str) -> str:
    """The first line, up to SHOWN characters; … when there is more."""
    lines = text.strip().splitlines() or [""]
    return lines[0][:SHOWN] + "…" if len(lines) > 1 or len(lines[0]) > SHOWN else lines[0]


def _last_line(data: bytes) -> str:
    lines = [line.strip() for line in data.decode("utf-8", "replace").splitlines() if line.strip()]
    return lines[-1][:200] if lines else ""


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


class _Capture:
    """A pipe's bytes, at most `limit` of them: the first ones (`overflowed` says when more
    came), or, with `tail`, the last ones."""

    def __init__(self, limit: int, tail: bool = False):
        self.limit, self.tail = limit, tail
        self.data = bytearray()
        self.overflowed = False

    def take(self, chunk: bytes) -> None:
        if self.tail:
            self.data += chunk
            del self.data[:-self.limit]
            return
        room = self.limit - len(self.data)
        self.data += chunk[:room]
        self.overflowed = self.overflowed or len(chunk) > room


def _collect(proc: subprocess.Popen[bytes], started: float, timeout: float,
             cancel: threading.Event | None) -> tuple[bytes, bytes, str | None]:
    """Standard output and the tail of standard error until the shell has exited and its
    pipes are drained or held by stragglers; with what cut the run short, if anything."""
    out, err = _Capture(MAX_OUTPUT), _Capture(STDERR_TAIL, tail=True)
    deadline = started + timeout
    with selectors.DefaultSelector() as selector:
        for pipe, capture in ((proc.stdout, out), (proc.stderr, err)):
            if pipe is not None:
                selector.register(pipe, selectors.EVENT_READ, capture)
        while True:
            if cancel is not None and cancel.is_set():
                return bytes(out.data), bytes(err.data), STOPPED
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return bytes(out.data), bytes(err.data), f"timed out after {timefmt.duration(round(timeout * 1000))}"
            if not selector.get_map():  # both pipes closed: only the exit is awaited
                if _exited(proc.pid):
                    return bytes(out.data), bytes(err.data), None
                time.sleep(min(remaining, 0.01))
                continue
            ready = selector.select(min(remaining, TICK))
            for key, _ in ready:
                chunk = os.read(key.fd, 65536)
                if chunk:
                    key.data.take(chunk)
                else:
                    selector.unregister(key.fileobj)
            if out.overflowed:
                return bytes(out.data), bytes(err.data), f"more than {MAX_OUTPUT // 1024} KiB of output"
            if not ready and _exited(proc.pid):  # a background child still holds a pipe
                return bytes(out.data), bytes(err.data), None


def _exited(pid: int) -> bool:
    """Whether the shell has exited, without reaping it: its pid, and so its process
    group's id, cannot be taken by a new process before the group is killed."""
    return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # the group is gone already
        os.killpg(proc.pid, signal.SIGKILL)
