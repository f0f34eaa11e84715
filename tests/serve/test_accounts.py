"""Accounts in the war room file: an argon2 hash (never the password), journaled without the
hash, removed, refused when doubled or given an unknown role, failures counted and reset."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from warroom.domain.rules import RuleError
from warroom.store import accounts
from warroom.store.store import Store

from .conftest import add_user, rows, warroom

PASSWORD = "s3cret-passphrase"


def test_the_hash_is_argon2_and_the_journal_holds_no_secret(store: Store, db_path: Path) -> None:
    answer = accounts.add(store, "Grace Hopper", PASSWORD, role="rm")
    [(role, digest)] = rows(db_path, "SELECT role, hash FROM accounts WHERE name = 'Grace Hopper'")
    assert role == "rm"
    assert digest.startswith("$argon2id$") and PASSWORD not in digest
    [(action, entity_id, payload)] = rows(db_path, "SELECT action, entity_id, payload FROM events WHERE id = ?",
                                         (answer["event"],))
    assert (action, entity_id, json.loads(payload)) == ("account.add", "Grace Hopper",
                                                       {"name": "Grace Hopper", "role": "rm"})
    everything = db_path.read_bytes() + b"".join(p.read_bytes() for p in db_path.parent.glob("*-wal"))
    assert PASSWORD.encode() not in everything
    assert not any("argon2" in str(p) for (p,) in rows(db_path, "SELECT payload FROM events"))
    assert store.verify() == []  # the journal's chain and the state still agree


def test_removed_doubled_and_unknown_role(store: Store, db_path: Path) -> None:
    accounts.add(store, "Linus", PASSWORD)
    with pytest.raises(RuleError, match="already exists"):
        accounts.add(store, "Linus", "another-password")
    with pytest.raises(RuleError, match="unknown role 'cto'"):
        accounts.add(store, "Margaret", PASSWORD, role="cto")
    answer = accounts.remove(store, "Linus")
    assert rows(db_path, "SELECT name FROM accounts") == []
    assert rows(db_path, "SELECT action, payload FROM events WHERE id = ?", (answer["event"],)) == [
        ("account.remove", '{"name":"Linus"}')]
    with pytest.raises(RuleError, match="no account"):
        accounts.remove(store, "Linus")


@pytest.mark.parametrize("name", ["", "  ", " Ada", "Ada\n", "Ada\x1b[31m", "A\u202eda", "x" * 101])
def test_names_are_visible_text(store: Store, name: str) -> None:
    with pytest.raises(ValueError):
        accounts.add(store, name, PASSWORD)


def test_failures_are_counted_and_reset(store: Store, db_path: Path) -> None:
    accounts.add(store, "Ada", PASSWORD)
    assert not accounts.check(store, "Ada", "wrong password")
    assert not accounts.check(store, "Ada", "wrong again!")
    assert rows(db_path, "SELECT failures, last_failure IS NOT NULL FROM accounts") == [(2, 1)]
    assert not accounts.check(store, "Nobody", PASSWORD)  # an unknown name: refused, nothing counted
    assert accounts.check(store, "Ada", PASSWORD)
    assert rows(db_path, "SELECT failures, last_failure FROM accounts") == [(0, None)]


def test_the_command_line(db_path: Path) -> None:
    added = add_user(db_path, "Ada Lovelace", PASSWORD, "--role", "qa")
    assert "account Ada Lovelace" in added.stdout
    refused = warroom(db_path, "user", "add", "Ada Lovelace", "--password-stdin", stdin=PASSWORD + "\n", check=False)
    assert refused.returncode == 2 and "already exists" in refused.stderr
    short = warroom(db_path, "user", "add", "Bob", "--password-stdin", stdin="short\n", check=False)
    assert short.returncode == 2 and "at least" in short.stderr
    listed = json.loads(warroom(db_path, "user", "list", "--json").stdout)
    assert [(a["name"], a["role"], a["failures"]) for a in listed] == [("Ada Lovelace", "qa", 0)]
    assert all("hash" not in a for a in listed)
    warroom(db_path, "user", "remove", "Ada Lovelace")
    assert rows(db_path, "SELECT name FROM accounts") == []


def test_serve_refuses_to_start_without_an_account(db_path: Path) -> None:
    refused = warroom(db_path, "serve", "--port", "1", check=False)
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1 and "user add NAME" in refused.stderr


def test_the_cli_starts_without_the_server_modules() -> None:
    import subprocess

    code = ("import sys; from warroom.cli import main; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'aiohttp', 'textual_serve', 'argon2'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
