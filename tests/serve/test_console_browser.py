"""The console in a real browser (the system's chromium, driven by Playwright): log in, the
console appears, a note typed there is recorded under the logged-in name, and a terminal
console on the same file (in tmux) shows it."""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from .conftest import Served, rows


def wait_for(check, seconds: float = 30.0, what: str = ""):
    deadline = time.monotonic() + seconds
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"not seen within {seconds:.0f} s: {what}")
        time.sleep(0.2)


def test_login_refused_then_the_console_records_as_the_login(served: Served, browser) -> None:
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    page.goto(served.url, wait_until="domcontentloaded")
    assert page.url.endswith("/login")
    page.fill("input[name=name]", served.name)
    page.fill("input[name=password]", "not the password")
    page.click("button[type=submit]")
    page.wait_for_selector("p.error")
    assert "Wrong name or password" in page.inner_text("p.error")
    assert not page.context.cookies()

    page.fill("input[name=password]", served.password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{served.url}/", wait_until="domcontentloaded")
    [cookie] = page.context.cookies()
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    page.wait_for_selector("body.-first-byte", timeout=30_000)  # the console's first frame arrived
    page.wait_for_selector(".xterm", timeout=10_000)

    text = f"seen from the browser {uuid.uuid4().hex[:8]}"
    page.locator(".xterm").click()
    page.wait_for_timeout(1500)  # the console's first screen is mounted before a key is sent
    page.keyboard.press("n")
    page.wait_for_timeout(800)  # the form opens and its first field takes the focus
    page.keyboard.type(text, delay=10)
    page.keyboard.press("Enter")
    [(operator,)] = wait_for(lambda: rows(served.db, "SELECT operator FROM events WHERE action = 'note' "
                                                     "AND json_extract(payload, '$.text') = ?", (text,)),
                             what="the note typed in the browser, in the journal")
    assert operator == served.name
    assert rows(served.db, "SELECT operator FROM notes WHERE text = ?", (text,)) == [(served.name,)]
    page.close()

    if shutil.which("tmux") is None:
        pytest.skip("no tmux on this system (apt-get install tmux): the terminal half is not checked")
    session = f"warroom-test-{uuid.uuid4().hex[:8]}"
    command = f"{sys.executable} -m warroom --db {served.db} --as Bob"
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "160", "-y", "40", command], check=True)
    try:
        def screen() -> str:
            return subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True,
                                  text=True).stdout
        wait_for(lambda: "Note" in screen(), what="the terminal console")  # its footer
        subprocess.run(["tmux", "send-keys", "-t", session, "6"], check=True)
        wait_for(lambda: text in screen(), what=f"the note in the terminal's timeline:\n{screen()}")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], check=False)


def test_the_consoles_export_downloads_the_report_in_the_browser(served: Served, browser, tmp_path) -> None:
    """`e` in a browser tab: the report comes down to the browser, nothing is left on the host."""
    context = browser.new_context(viewport={"width": 1200, "height": 800}, accept_downloads=True)
    page = context.new_page()
    page.goto(f"{served.url}/login", wait_until="domcontentloaded")
    page.fill("input[name=name]", served.name)
    page.fill("input[name=password]", served.password)
    page.click("button[type=submit]")
    page.wait_for_selector("body.-first-byte", timeout=30_000)
    page.locator(".xterm").click()
    page.wait_for_timeout(1500)
    before = set(tempfile_folders())
    with page.expect_download(timeout=30_000) as started:
        page.keyboard.press("e")
        page.wait_for_timeout(800)
        page.keyboard.press("Control+s")  # the default: HTML
    download = started.value
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert download.suggested_filename.endswith("-report.html")
    assert "<!DOCTYPE html>" in saved.read_text(encoding="utf-8")[:200]
    assert set(tempfile_folders()) <= before  # the copy written for the download is gone
    context.close()


def tempfile_folders() -> list[str]:
    return [p.name for p in Path(tempfile.gettempdir()).glob("warroom-export-*")]
