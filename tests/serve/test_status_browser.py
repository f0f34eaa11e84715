"""The status pages in a real browser (the system's chromium through Playwright), served by a
real server process over a real war room file that the real command line writes to."""
from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import rows
from .status_fixtures import HOSTILE, StatusServer, make_room, new_link, served, warroom

LIVE = "Live: this page updates by itself."


@pytest.fixture(scope="module")
def room(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_room(tmp_path_factory.mktemp("status-browser"))


@pytest.fixture(scope="module")
def tokens(room: Path) -> dict[str, str]:
    return {"sponsors": new_link(room, "sponsors"), "support": new_link(room, "support")}


@pytest.fixture(scope="module")
def server(room: Path, tokens: dict[str, str]) -> Iterator[StatusServer]:
    with served(room) as running:
        yield running


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 390, "height": 844})  # a phone
    opened = context.new_page()
    opened.problems = []  # what the browser refused (a CSP violation would land here)
    opened.on("console", lambda m: opened.problems.append(m.text) if m.type == "error" else None)
    opened.on("pageerror", lambda e: opened.problems.append(str(e)))
    try:
        yield opened
    finally:
        context.close()


def wait_until(page: Any, predicate: str, arg: object, timeout: float = 5.0) -> float:
    """Poll `predicate(arg)` in the page every 20 ms until true; how long it took (s). Not
    wait_for_function: Playwright compiles its predicate with eval, which the page's CSP
    rightly refuses."""
    start = time.monotonic()
    while not page.evaluate(predicate, arg):
        if time.monotonic() - start > timeout:
            raise AssertionError(f"not true after {timeout} s: {predicate} ({arg!r})")
        time.sleep(0.02)
    return time.monotonic() - start


MESSAGE_IS = "(text) => document.getElementById('message')?.textContent === text"


def _open_live(page: Any, server: StatusServer, audience: str, token: str) -> None:
    response = page.goto(server.page_url(audience, token))
    assert response.status == 200
    wait_until(page, "(text) => document.getElementById('live').textContent === text", LIVE, timeout=10)
    page.evaluate("window.__marker = 'still the same page'")


def test_a_cli_write_appears_within_a_second_without_reload(page: Any, server: StatusServer, room: Path,
                                                            tokens: dict[str, str]) -> None:
    _open_live(page, server, "sponsors", tokens["sponsors"])
    text = f"Deploy finished at {time.strftime('%H:%M:%S')}, checking KPIs"
    warroom(room, "comm", "log", "sponsors", text)  # another process; committed when it returns
    wait_until(page, MESSAGE_IS, text)
    seen = time.time()
    # from the moment the write began (its recorded_at, taken before its commit) to the text on
    # screen: the CLI's own exit can take longer than the page does
    recorded = rows(room, "SELECT recorded_at FROM events WHERE action = 'comm.sent' ORDER BY id DESC LIMIT 1")[0][0]
    took = seen - recorded / 1000
    assert took < 1.0, f"the status page showed the write {took:.2f} s after it was recorded"
    assert page.evaluate("window.__marker") == "still the same page"
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1
    assert page.evaluate("document.getElementById('status').getAttribute('data-golive')") is not None
    assert page.problems == []


def test_hostile_text_is_inert_in_the_browser(page: Any, server: StatusServer, room: Path,
                                              tokens: dict[str, str]) -> None:
    warroom(room, "incident", "open", HOSTILE, "--sev", "1")
    _open_live(page, server, "support", tokens["support"])  # the incident came with the page
    warroom(room, "comm", "log", "support", HOSTILE)  # the message comes live
    shown = HOSTILE.replace("\x1b", "␛").replace("\u202e", "⟨U+202E⟩")
    wait_until(page, MESSAGE_IS, shown)
    assert page.evaluate("window.__pwned") is None
    assert page.evaluate("document.querySelectorAll('main img, main script, main [onerror]').length") == 0
    assert shown in page.inner_text("main ul")
    assert page.problems == []


def test_with_scripts_off_the_page_is_a_static_render_with_a_refresh_link(browser: Any, server: StatusServer,
                                                                          room: Path, tokens: dict[str, str]) -> None:
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        assert page.goto(server.page_url("sponsors", tokens["sponsors"])).status == 200
        assert "Scripts are off" in page.inner_text("footer")
        assert "Status for Sponsors" in page.inner_text("main") and "steps done" in page.inner_text("main")
        warroom(room, "comm", "log", "sponsors", "Seen after a refresh")
        page.click("#refresh")
        page.wait_for_load_state()
        assert page.inner_text("#message") == "Seen after a refresh"
        assert page.url == server.page_url("sponsors", tokens["sponsors"])
    finally:
        context.close()


def test_a_sponsor_token_opens_neither_the_console_nor_another_audience(page: Any, server: StatusServer,
                                                                        tokens: dict[str, str]) -> None:
    sponsor = tokens["sponsors"]
    for url in (server.page_url("support", sponsor), f"{server.url}/?token={sponsor}",
                f"{server.url}/console?token={sponsor}", server.page_url("sponsors", "not-" + sponsor)):
        response = page.goto(url)
        assert response.status == 404, url
        assert "Status for" not in page.content()


def test_the_page_fits_a_phone(page: Any, server: StatusServer, tokens: dict[str, str]) -> None:
    _open_live(page, server, "sponsors", tokens["sponsors"])
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 16
