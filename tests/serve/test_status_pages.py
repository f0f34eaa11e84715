"""The status pages over HTTP, against a real server process and a real war room file that
the real command line writes to: what each audience sees, who may see it, links rotated,
people's text made inert, and one feed reader however many people watch."""
from __future__ import annotations

import asyncio
import html
import json
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from warroom.serve import status_page
from warroom.store import links
from warroom.store.store import Store

from .conftest import rows
from .status_fixtures import HOSTILE, StatusServer, make_room, new_link, served, start_server, stop_server, warroom


@pytest.fixture(scope="module")
def room(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = make_room(tmp_path_factory.mktemp("status"))
    warroom(db, "incident", "open", "Checkout 500s on /pay", "--sev", "2")
    warroom(db, "decide", "go", "--by", "Hélène Marchand", "--why", "all sign-offs green")
    warroom(db, "comm", "log", "sponsors", "GO given, deploying now")
    warroom(db, "comm", "log", "support", "Deploy under way: expect a blip")
    warroom(db, "step", "start", "prepare")
    return db


@pytest.fixture(scope="module")
def tokens(room: Path) -> dict[str, str]:
    return {"sponsors": new_link(room, "sponsors"), "support": new_link(room, "support")}


@pytest.fixture(scope="module")
def server(room: Path, tokens: dict[str, str]) -> Iterator[StatusServer]:
    with served(room) as running:
        yield running


def main_of(page: str) -> str:
    return page[page.index('<main id="status"'):page.index("</main>")]


def test_the_page_shows_what_the_audience_should_know(server: StatusServer, tokens: dict[str, str]) -> None:
    code, headers, page = server.get(f"/status/sponsors?token={tokens['sponsors']}")
    assert code == 200 and headers["Content-Type"].startswith("text/html")
    shown = main_of(page)
    assert "Test go-live" in shown and "Status for Sponsors" in shown
    assert 'id="tclock">T+' in shown and "· day" in shown  # the plan's go-live is past: the day is on
    assert "0 of 6 steps done" in shown and "1 in progress" in shown and "Projected finish" in shown
    assert "1 open" in shown and "1 SEV2" in shown
    assert ">GO<" in shown and "by Hélène Marchand" in shown
    assert "GO given, deploying now" in shown and "Deploy under way" not in shown  # its own messages only
    # phone-friendly, self-contained, strict
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert not any(f"{attr}=\"http" in page for attr in ("src", "href"))
    csp = headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src 'sha256-" in csp and "unsafe-inline" not in csp
    assert headers["Cache-Control"] == "no-store" and headers["Referrer-Policy"] == "no-referrer"


def test_details_true_names_the_incidents_and_false_only_counts_them(server: StatusServer,
                                                                   tokens: dict[str, str]) -> None:
    sponsors = main_of(server.get(f"/status/sponsors?token={tokens['sponsors']}")[2])
    support = main_of(server.get(f"/status/support?token={tokens['support']}")[2])
    title = html.escape("Checkout 500s on /pay")
    assert "1 SEV2" in sponsors and title not in sponsors and "all sign-offs green" not in sponsors
    assert "1 SEV2" in support and f"INC-1: {title}" in support and "all sign-offs green" in support
    assert "Deploy under way: expect a blip" in support and "GO given" not in support


@pytest.mark.parametrize("path", [
    "/status/sponsors", "/status/sponsors?token=", "/status/sponsors?token=wrong",
    "/status/support?token={sponsors}", "/status/nobody?token={sponsors}", "/status/nobody",
    "/status/sponsors/events", "/status/support/events?token={sponsors}", "/status/nobody/events?token={sponsors}",
])
def test_every_refusal_is_the_same_404(server: StatusServer, tokens: dict[str, str], path: str) -> None:
    code, headers, body = server.get(path.format(**tokens))
    assert (code, body) == (404, status_page.NOT_FOUND)
    assert headers["Cache-Control"] == "no-store" and "Set-Cookie" not in headers


def test_a_status_token_opens_nothing_else(server: StatusServer, tokens: dict[str, str]) -> None:
    for path in ("/", "/console", "/login", "/status", f"/status/sponsors/x?token={tokens['sponsors']}"):
        code, _, _ = server.get(path + ("" if "?" in path else f"?token={tokens['sponsors']}"))
        assert code == 404, path


def test_rotation_revokes_the_old_link_and_journals_no_secret(tmp_path: Path) -> None:
    db = make_room(tmp_path)
    old = new_link(db, "sponsors")
    refused = warroom(db, "status-link", "sponsors", check=False)
    assert refused.returncode == 2 and "--rotate" in refused.stderr and refused.stdout == ""
    with served(db) as server:
        assert server.get(f"/status/sponsors?token={old}")[0] == 200
        events = asyncio.run(_stream_until_gone(server, "sponsors", old, lambda: new_link(db, "sponsors", rotate=True)))
        new = new_link(db, "sponsors", rotate=True)
        assert server.get(f"/status/sponsors?token={old}")[:1] == (404,)
        assert server.get(f"/status/sponsors?token={new}")[0] == 200
    assert events[-1][0] == "gone"  # a viewer holding the old link is cut off at once
    journal = rows(db, "SELECT action, entity_id, payload FROM events WHERE action = 'status_link.rotate'")
    assert journal == [("status_link.rotate", "sponsors", '{"audience":"sponsors"}')] * 3
    everything = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("warroom.db"))
    assert old.encode() not in everything and new.encode() not in everything
    assert links.digest(new).encode() in everything  # only its hash
    assert warroom(db, "verify").returncode == 0


def test_serve_can_print_the_links_it_makes(tmp_path: Path) -> None:
    db = make_room(tmp_path)
    kept = new_link(db, "support")
    with Store(db, "Alice Martin") as store:
        made = links.ensure_all(store)
        again = links.ensure_all(store)
        assert list(made) == ["sponsors", "support"] and made["support"] is None and made["sponsors"]
        assert again == {"sponsors": None, "support": None}
        assert links.check(store.conn, "sponsors", made["sponsors"]) and links.check(store.conn, "support", kept)
        assert not links.check(store.conn, "support", made["sponsors"])
    printed = warroom(db, "status-link", "support", "--rotate", "--base-url", "https://status.example.org/")
    assert printed.stdout.startswith("https://status.example.org/status/support?token=")
    assert warroom(db, "status-link", "nobody", check=False).returncode == 2


def test_hostile_text_is_escaped_and_shown_as_marks(tmp_path: Path) -> None:
    db = make_room(tmp_path)
    token = new_link(db, "support")
    warroom(db, "incident", "open", HOSTILE, "--sev", "1")
    warroom(db, "comm", "log", "support", HOSTILE)
    with served(db) as server:
        page = server.get(f"/status/support?token={token}")[2]
        events = asyncio.run(_first_events(server, "support", token, 1))
    live = json.loads(events[0][1])["html"]
    for shown in (main_of(page), live):
        assert "<script>alert" not in shown and "<img" not in shown and "\x1b" not in shown and "\u202e" not in shown
        assert shown.count("&lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x onerror=window.__pwned=1&gt; "
                           "[bold red]boom[/] ␛[31mRED ⟨U+202E⟩evil") == 2  # the incident and the message


def test_fifty_viewers_share_one_feed_reader(tmp_path: Path) -> None:
    db = make_room(tmp_path)
    token = new_link(db, "sponsors")
    with served(db) as server:
        server.get(f"/status/sponsors?token={token}")
        before = server.connections_to_db()
        seen = asyncio.run(_fifty_viewers(server, token, db))
        assert seen == {"opened": 50, "updated": 50, "connections_while_50": before}
    assert before == 2  # the change feed and the store it reads through, whatever the number of viewers


# -- server-sent events, read as a browser does ----------------------------------------------------
async def _events(response: aiohttp.ClientResponse) -> tuple[str, str]:
    """The next event (name, data) of a stream; comment lines and `retry:` skipped."""
    name, data = "message", []
    while True:
        line = (await response.content.readline()).decode("utf-8").rstrip("\n")
        if line == "":
            if data:
                return name, "\n".join(data)
            continue
        if line.startswith(":") or line.startswith("retry:"):
            continue
        field, _, value = line.partition(": ")
        if field == "event":
            name = value
        elif field == "data":
            data.append(value)


async def _first_events(server: StatusServer, audience: str, token: str, count: int) -> list[tuple[str, str]]:
    async with aiohttp.ClientSession() as session, \
            session.get(f"{server.url}/status/{audience}/events?token={token}") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/event-stream")
        assert response.headers["Cache-Control"] == "no-store"
        return [await asyncio.wait_for(_events(response), 10) for _ in range(count)]


async def _stream_until_gone(server: StatusServer, audience: str, token: str, then) -> list[tuple[str, str]]:
    async with aiohttp.ClientSession() as session, \
            session.get(f"{server.url}/status/{audience}/events?token={token}") as response:
        seen = [await asyncio.wait_for(_events(response), 10)]
        await asyncio.to_thread(then)
        while seen[-1][0] != "gone":
            seen.append(await asyncio.wait_for(_events(response), 10))
        return seen


async def _fifty_viewers(server: StatusServer, token: str, db: Path) -> dict[str, int]:
    url = f"{server.url}/status/sponsors/events?token={token}"
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        responses = await asyncio.gather(*(session.get(url) for _ in range(50)))
        try:
            first = await asyncio.gather(*(asyncio.wait_for(_events(r), 10) for r in responses))
            connections = await asyncio.to_thread(server.connections_to_db)
            await asyncio.to_thread(warroom, db, "comm", "log", "sponsors", "Fifty people read this")

            async def until_new(response: aiohttp.ClientResponse) -> bool:
                while True:
                    name, data = await asyncio.wait_for(_events(response), 10)
                    if name == "status" and "Fifty people read this" in data:
                        return True
            updated = await asyncio.gather(*(until_new(r) for r in responses))
        finally:
            for response in responses:
                response.close()
    return {"opened": sum(name == "status" for name, _ in first), "updated": sum(updated),
            "connections_while_50": connections}


def test_live_pages_beyond_half_the_descriptors_are_refused_and_the_pages_still_answer(tmp_path: Path) -> None:
    """A link handed out widely must not starve the server of descriptors (128 here: 64 viewers)."""
    db = make_room(tmp_path)
    token = new_link(db, "sponsors")
    server = start_server(db, files=128)
    try:
        codes = asyncio.run(_open_streams(server, token, 80))
        assert codes.count(200) == 64 and codes.count(503) == 16, codes
        assert server.get(f"/status/sponsors?token={token}")[0] == 200
    finally:
        stop_server(server)


async def _open_streams(server: StatusServer, token: str, count: int) -> list[int]:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        responses = []
        for _ in range(count):  # one after the other: the count of the open ones is exact
            response = await session.get(f"{server.url}/status/sponsors/events?token={token}")
            responses.append(response)
        codes = [r.status for r in responses]
        for response in responses:
            response.close()
        return codes
