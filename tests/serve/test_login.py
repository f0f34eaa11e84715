"""Nothing answers without a session: every route of a real `warroom serve`, asked over plain
HTTP; the login refuses a wrong password and sets a well-made cookie for the right one; a
forged, tampered, expired or logged-out session, or a removed account's, is refused."""
from __future__ import annotations

import base64
import http.client
import json
import time
import urllib.parse
from http.cookies import SimpleCookie
from pathlib import Path

import pytest

from warroom.serve.auth import MAX_DELAY, Auth

from .conftest import Served, add_user, rows, warroom


def ask(served: Served, path: str, method: str = "GET", cookie: str | None = None, body: dict | None = None,
        headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
    """One request, no redirect followed."""
    host = urllib.parse.urlsplit(served.url).netloc
    conn = http.client.HTTPConnection(host, timeout=30)
    sent = {"Accept": "text/html"} | (headers or {})
    if cookie:
        sent["Cookie"] = f"warroom_session={cookie}"
    data = None
    if body is not None:
        data = urllib.parse.urlencode(body)
        sent["Content-Type"] = "application/x-www-form-urlencoded"
    conn.request(method, path, body=data, headers=sent)
    response = conn.getresponse()
    response.text = response.read().decode("utf-8", "replace")  # type: ignore[attr-defined]
    conn.close()
    return response


def log_in(served: Served, name: str, password: str) -> http.client.HTTPResponse:
    return ask(served, "/login", "POST", body={"name": name, "password": password})


def session_of(response: http.client.HTTPResponse) -> str:
    jar = SimpleCookie(response.headers["Set-Cookie"])
    return jar["warroom_session"].value


WEBSOCKET = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
             "Sec-WebSocket-Key": base64.b64encode(b"0123456789abcdef").decode()}


@pytest.mark.parametrize(("path", "method", "headers"), [
    ("/", "GET", {}), ("/?fontsize=20", "GET", {}), ("/ws", "GET", WEBSOCKET), ("/download/x", "GET", {}),
    ("/static/js/textual.js", "GET", {"Accept": "*/*"}), ("/static/", "GET", {}), ("/logout", "GET", {}),
    ("/logout", "POST", {}), ("/", "POST", {}), ("/nowhere", "GET", {"Accept": "*/*"}),
])
def test_nothing_answers_without_a_session(served: Served, path: str, method: str, headers: dict) -> None:
    response = ask(served, path, method, headers=headers)
    assert response.status in (303, 401), (path, response.status)
    if response.status == 303:
        assert response.headers["Location"] == "/login"
    assert "textual" not in response.text.lower()


def test_the_websocket_is_refused_before_the_upgrade(served: Served) -> None:
    response = ask(served, "/ws", headers=WEBSOCKET)
    assert response.status == 401 and "Sec-WebSocket-Accept" not in response.headers


def test_a_wrong_password_is_refused_and_counted(served: Served) -> None:
    before = rows(served.db, "SELECT failures FROM accounts WHERE name = ?", (served.name,))[0][0]
    response = log_in(served, served.name, "not the password")
    assert response.status == 401 and "Wrong name or password" in response.text
    assert "Set-Cookie" not in response.headers
    assert rows(served.db, "SELECT failures FROM accounts WHERE name = ?", (served.name,)) == [(before + 1,)]
    unknown = log_in(served, "Nobody", served.password)
    assert unknown.status == 401 and "Set-Cookie" not in unknown.headers


def test_the_right_password_sets_a_well_made_cookie(served: Served) -> None:
    response = log_in(served, served.name, served.password)
    assert response.status == 303 and response.headers["Location"] == "/"
    jar = SimpleCookie(response.headers["Set-Cookie"])
    cookie = jar["warroom_session"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/"
    assert int(cookie["max-age"]) == 12 * 3600
    assert served.name not in response.headers["Set-Cookie"] and served.password not in response.headers["Set-Cookie"]
    assert rows(served.db, "SELECT failures FROM accounts WHERE name = ?", (served.name,)) == [(0,)]
    page = ask(served, "/", cookie=cookie.value)
    assert page.status == 200 and "textual" in page.text.lower()
    assert ask(served, "/static/js/textual.js", cookie=cookie.value).status == 200


def test_a_login_posted_from_another_site_is_refused(served: Served) -> None:
    response = ask(served, "/login", "POST", body={"name": served.name, "password": served.password},
                   headers={"Origin": "https://evil.example"})
    assert response.status == 403 and "Set-Cookie" not in response.headers


def test_forged_and_tampered_cookies_are_refused(served: Served) -> None:
    good = session_of(log_in(served, served.name, served.password))
    body, mac = good.split(".")
    name, account, sid, expires = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))

    def encoded(*fields) -> str:
        return base64.urlsafe_b64encode(json.dumps(list(fields)).encode()).rstrip(b"=").decode()

    other, later = encoded("Someone Else", account, sid, expires), encoded(name, account, sid, expires + 10**6)
    for forged in (f"{other}.{mac}", f"{later}.{mac}", f"{body}.{mac[:-2]}AA", body, "x.y", "",
                   Auth(served.db).sign(served.name, account)):  # the last: signed by another server's secret
        assert ask(served, "/", cookie=forged, headers={"Accept": "*/*"}).status == 401, forged


def test_an_expired_session_is_refused() -> None:
    auth = Auth(Path("unused.db"))
    assert auth.read(auth.sign("Ada", 1)) is not None
    assert auth.read(auth.sign("Ada", 1, now=time.time() - 13 * 3600)) is None


def test_logout_ends_the_session(served: Served) -> None:
    session = session_of(log_in(served, served.name, served.password))
    assert ask(served, "/", cookie=session).status == 200
    response = ask(served, "/logout", cookie=session)
    assert response.status == 303 and response.headers["Location"] == "/login"
    assert ask(served, "/", cookie=session, headers={"Accept": "*/*"}).status == 401


def test_a_removed_account_is_refused_at_once(served: Served) -> None:
    add_user(served.db, "Temp Worker", "temporary-password")
    session = session_of(log_in(served, "Temp Worker", "temporary-password"))
    assert ask(served, "/", cookie=session).status == 200
    warroom(served.db, "user", "remove", "Temp Worker")
    assert ask(served, "/", cookie=session).status == 303
    assert ask(served, "/ws", cookie=session, headers=WEBSOCKET).status == 401


def test_an_account_removed_and_added_again_does_not_revive_its_sessions(served: Served) -> None:
    """Removing and adding again is how a password is changed: a stolen cookie must not outlive it."""
    add_user(served.db, "Rotating", "first-password")
    session = session_of(log_in(served, "Rotating", "first-password"))
    warroom(served.db, "user", "remove", "Rotating")
    add_user(served.db, "Rotating", "second-password")
    assert ask(served, "/", cookie=session).status == 303
    assert ask(served, "/", cookie=session_of(log_in(served, "Rotating", "second-password"))).status == 200


def test_guesses_while_a_wait_is_owed_are_refused_unchecked(served: Served) -> None:
    """A wait after wrong passwords is owed by the account and the address: guesses sent in
    parallel during it are refused without their password being tried."""
    add_user(served.db, "Guessed", "the-right-one")
    for n in range(5):
        answer = log_in(served, "Guessed", f"wrong {n}")
        assert answer.status in (401, 429)
    counted = rows(served.db, "SELECT failures FROM accounts WHERE name = 'Guessed'")[0][0]
    refused = log_in(served, "Guessed", "the-right-one")  # the right one, but during the wait
    assert refused.status == 429
    assert rows(served.db, "SELECT failures FROM accounts WHERE name = 'Guessed'")[0][0] == counted
    time.sleep(MAX_DELAY + 0.5)  # the wait is over: the right password opens, and the next tests may log in
    assert log_in(served, "Guessed", "the-right-one").status == 303


def test_a_name_made_to_resolve_here_gets_nothing_from_a_loopback_server(served: Served) -> None:
    """DNS rebinding: a page of another site whose name points at 127.0.0.1 is not answered."""
    port = served.url.rsplit(":", 1)[1]
    for path in ("/login", "/", "/status/x?token=y"):
        assert ask(served, path, headers={"Host": f"evil.example:{port}"}).status == 421, path
    assert ask(served, "/login", headers={"Host": f"localhost:{port}"}).status == 200
