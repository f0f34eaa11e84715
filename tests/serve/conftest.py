"""A real `warroom serve` on a free port, over a real war room file with one account; and a
real browser (the system's chromium, driven by Playwright) for the tests that need one."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
NAME, PASSWORD = "Ada Lovelace", "correct horse battery"


def warroom(db: Path, *args: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "warroom", "--db", str(db), *args], input=stdin,
                          capture_output=True, text=True, check=check, timeout=60)


def add_user(db: Path, name: str, password: str, *more: str) -> subprocess.CompletedProcess[str]:
    return warroom(db, "user", "add", name, "--password-stdin", *more, stdin=password + "\n")


def rows(db: Path, sql: str, params: tuple = ()) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Served:
    url: str
    db: Path
    name: str
    password: str
    process: subprocess.Popen[str]


@pytest.fixture(scope="module")
def room(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("serve") / "warroom.db"
    warroom(db, "init", str(FIXTURES / "after.yaml"))
    add_user(db, NAME, PASSWORD)
    return db


@pytest.fixture(scope="module")
def served(room: Path) -> Served:
    port = free_port()
    log = room.parent / "serve.log"
    with log.open("w") as out:  # the server's lines and its consoles' errors, read when a test fails
        process = subprocess.Popen([sys.executable, "-m", "warroom", "--db", str(room), "serve", "--port", str(port)],
                                   stdout=out, stderr=subprocess.STDOUT, text=True,
                                   env=os.environ | {"PYTHONUNBUFFERED": "1"})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            with urllib.request.urlopen(f"{url}/login", timeout=2):
                break
        except (urllib.error.URLError, ConnectionError):
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"warroom serve did not start: {log.read_text()}")
            time.sleep(0.1)
    yield Served(url, room, NAME, PASSWORD, process)
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        pytest.fail(f"warroom serve did not stop on Ctrl-C: {log.read_text()}")
    assert process.returncode == 0, log.read_text()
    assert "Traceback" not in log.read_text(), log.read_text()


@pytest.fixture(scope="module")
def browser():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("no chromium on this system (apt-get install chromium): the browser tests need it")
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="playwright is not installed (pip install -e '.[test]')")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()
