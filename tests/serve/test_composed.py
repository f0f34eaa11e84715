"""The status pages through the real `warroom serve`, beside the login and the console: the
links it prints open their audience's page and nothing else, and a CLI write reaches a page."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from .conftest import NAME, PASSWORD, add_user, free_port, warroom

PLAN = """\
warroom: Composed
timezone: UTC
golive: 2026-11-30T10:00
roles: [{key: rm, title: Release manager, may_decide_rollback: true}]
steps: [{id: deploy, title: Deploy, phase: day, owner: rm, start: H, duration: 30m}]
audiences:
  - {key: sponsors, title: Sponsors, channel: email}
  - {key: support, title: Support, channel: chat, details: true}
"""


@pytest.fixture(scope="module")
def links(tmp_path_factory):
    """`warroom serve` on a fresh war room: its URL, its file, and the links it printed."""
    folder = tmp_path_factory.mktemp("composed")
    (folder / "plan.yaml").write_text(PLAN, encoding="utf-8")
    db = folder / "room.db"
    warroom(db, "init", str(folder / "plan.yaml"))
    add_user(db, NAME, PASSWORD)
    port = free_port()
    log = folder / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, "-m", "warroom", "--db", str(db), "serve", "--port", str(port)],
                                   stdout=out, stderr=subprocess.STDOUT, text=True,
                                   env=os.environ | {"PYTHONUNBUFFERED": "1"})
    deadline = time.monotonic() + 20
    while not re.search(r"status page for support: ", log.read_text()):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"warroom serve did not start: {log.read_text()}")
        time.sleep(0.1)
    printed = dict(re.findall(r"status page for (\w+): (http\S+)", log.read_text()))
    _wait_answering(f"http://127.0.0.1:{port}/login", process, log)
    yield f"http://127.0.0.1:{port}", db, printed
    process.send_signal(signal.SIGINT)
    process.wait(timeout=15)
    assert process.returncode == 0 and "Traceback" not in log.read_text(), log.read_text()


def _wait_answering(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 20
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except (urllib.error.URLError, ConnectionError):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"warroom serve does not answer: {log.read_text()}")
            time.sleep(0.1)


def status_of(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status, answer.read().decode("utf-8")
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode("utf-8", "replace")


def test_serve_prints_one_link_per_audience_and_each_opens_its_page(links):
    _, _, printed = links
    assert sorted(printed) == ["sponsors", "support"]
    code, page = status_of(printed["sponsors"])
    assert code == 200 and "Composed" in page and "Sponsors" in page


def test_a_status_token_opens_nothing_but_its_own_page(links):
    url, _, printed = links
    token = printed["sponsors"].split("token=", 1)[1]
    for path in (f"/?token={token}", f"/ws?token={token}", f"/download/x?token={token}"):
        assert status_of(url + path)[0] == 401, path
    assert status_of(f"{url}/status/support?token={token}")[0] == 404
    assert status_of(f"{url}/status/sponsors")[0] == 404


def test_a_cli_write_reaches_the_audiences_page(links):
    _, db, printed = links
    warroom(db, "--as", "Chloé", "comm", "log", "sponsors", "GO given at 10:05 <b>bold?</b>")
    deadline = time.monotonic() + 5
    while "GO given at 10:05" not in (page := status_of(printed["sponsors"])[1]):
        assert time.monotonic() < deadline, page
        time.sleep(0.1)
    assert "&lt;b&gt;bold?&lt;/b&gt;" in page and "<b>bold?" not in page


def test_a_link_rotated_from_the_command_line_revokes_the_one_serve_printed(links):
    url, db, printed = links
    refused = warroom(db, "status-link", "support", check=False)
    assert refused.returncode == 2 and "--rotate" in refused.stderr
    rotated = warroom(db, "status-link", "support", "--rotate", "--base-url", url).stdout.strip()
    assert status_of(printed["support"])[0] == 404
    assert status_of(rotated)[0] == 200
