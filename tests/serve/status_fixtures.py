"""What the status-page tests share: a war room from the small test plan with two audiences
(sponsors see counts only, support sees incident titles: `details: true`), its status links
made by the real command line, and a real server process serving only the status pages
(warroom.serve.status.serve) on a free port."""
from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from .conftest import free_port

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
HOSTILE = "<script>alert(1)</script> <img src=x onerror=window.__pwned=1> [bold red]boom[/] \x1b[31mRED \u202eevil"
# `warroom` with the status-link command added when the lead has not yet put it in the CLI
CLI = ("import sys; from warroom.cli import main; from warroom.cli.links import COMMANDS; "
       "[main.add_command(c) for c in COMMANDS if c.name not in main.commands]; main()")
SERVER = "import sys; from warroom.serve.status import serve; serve(sys.argv[1], port=int(sys.argv[2]))"


def warroom(db: Path, *args: str, check: bool = True,
            operator: str = "Alice Martin") -> subprocess.CompletedProcess[str]:
    """The real command line, in its own process."""
    return subprocess.run([sys.executable, "-c", CLI, "--db", str(db), "--as", operator, *args],
                          capture_output=True, text=True, check=check, timeout=60)


def make_room(folder: Path) -> Path:
    """A war room whose plan has `sponsors` (details: false) and `support` (details: true)."""
    plan = yaml.safe_load((FIXTURES / "small.yaml").read_text(encoding="utf-8"))
    for audience in plan["audiences"]:
        audience["details"] = audience["key"] == "support"
    plan_path = folder / "plan.yaml"
    plan_path.write_text(yaml.safe_dump(plan, allow_unicode=True), encoding="utf-8")
    db = folder / "warroom.db"
    warroom(db, "init", str(plan_path))
    return db


def new_link(db: Path, audience: str, rotate: bool = False) -> str:
    """A link made by `warroom status-link`; its token."""
    done = warroom(db, "--json", "status-link", audience, *(["--rotate"] if rotate else []))
    url = json.loads(done.stdout)["url"]
    return url.split("?token=", 1)[1]


@dataclass
class StatusServer:
    url: str
    db: Path
    process: subprocess.Popen[str]

    def page_url(self, audience: str, token: str | None) -> str:
        return f"{self.url}/status/{audience}" + (f"?token={token}" if token is not None else "")

    def get(self, path: str) -> tuple[int, dict[str, str], str]:
        """GET `path`: status, headers, body (a refusal too)."""
        try:
            with urllib.request.urlopen(self.url + path, timeout=10) as answer:
                return answer.status, dict(answer.headers), answer.read().decode("utf-8")
        except urllib.error.HTTPError as refused:
            return refused.code, dict(refused.headers), refused.read().decode("utf-8")

    def connections_to_db(self) -> int:
        """How many open files of the server process are the war room file itself: one per
        SQLite connection."""
        fds = Path(f"/proc/{self.process.pid}/fd")
        real = os.path.realpath(self.db)
        return sum(1 for fd in fds.iterdir() if _target(fd) == real)


def _target(fd: Path) -> str | None:
    try:
        return os.readlink(fd)
    except OSError:
        return None


def start_server(db: Path, files: int | None = None) -> StatusServer:
    """The status pages served alone; `files`: the descriptors it may open (its soft limit)."""
    port = free_port()

    def limited() -> None:
        if files is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (files, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))

    process = subprocess.Popen([sys.executable, "-c", SERVER, str(db), str(port)], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, env=os.environ | {"PYTHONUNBUFFERED": "1"},
                               preexec_fn=limited)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"the status server did not start: {process.communicate()[0]}")
            time.sleep(0.05)
    return StatusServer(url, db, process)


def stop_server(server: StatusServer) -> str:
    """Ctrl-C, as a person stops it: it must end promptly, even with streams open."""
    server.process.send_signal(signal.SIGINT)
    try:
        out, _ = server.process.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()
        out, _ = server.process.communicate()
        pytest.fail(f"the status server did not stop on Ctrl-C: {out}")
    return out


@contextlib.contextmanager
def served(db: Path) -> Iterator[StatusServer]:
    server = start_server(db)
    try:
        yield server
    finally:
        out = stop_server(server)
    assert "Traceback" not in out, out
