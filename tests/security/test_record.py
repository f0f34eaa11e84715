"""Tamper evidence and identity: what `verify`, its anchored head and the exports catch when
someone edits the file behind warroom's back, and who really typed each event."""
from __future__ import annotations

import json
import os
import pwd
import sqlite3
import subprocess
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from warroom.cli import main
from warroom.domain import timefmt
from warroom.plan import load_plan
from warroom.store import commands, journal
from warroom.store.store import Store, os_login

REPRO = Path(__file__).resolve().parent.parent / "fixtures" / "repro.yaml"
OTHER_USER = "warroom-mallory"


@pytest.fixture
def room(tmp_path: Path) -> Path:
    path = tmp_path / "room.db"
    with Store.create(path, "Ann") as store:
        commands.init(store, load_plan(REPRO))
    with Store(path, "Ann") as ann:
        commands.open_incident(ann, "Checkout 500s", 2)
        commands.note(ann, "first")
        commands.note(ann, "second")
    return path


def cli(path: Path, *args: str, who: str = "Ann"):
    return CliRunner().invoke(main, ["--db", str(path), "--as", who, *args])


def head_of(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return journal.show_head(conn)


def attacker(path: Path) -> sqlite3.Connection:
    """A raw connection with the journal's guards dropped, as someone with write access could."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DROP TRIGGER events_no_update")
    conn.execute("DROP TRIGGER events_no_delete")
    return conn


def rechain(conn: sqlite3.Connection, start: int) -> None:
    """Recompute every hash from `start` on, as a careful forger would."""
    prev = conn.execute("SELECT hash FROM events WHERE id = ?", (start - 1,)).fetchone()[0]
    cols = ", ".join(journal.COLUMNS)
    for row in conn.execute(f"SELECT {cols}, login FROM events WHERE id >= ? ORDER BY id", (start,)).fetchall():
        digest = journal.chain_hash(prev, row[:-1], row[-1])
        conn.execute("UPDATE events SET prev_hash = ?, hash = ? WHERE id = ?", (prev, digest, row[0]))
        prev = digest


# -- the head ------------------------------------------------------------------------------
def test_verify_prints_the_head_and_checks_an_anchored_one(room):
    result = cli(room, "verify")
    with sqlite3.connect(room) as conn:
        last_id, last_hash = conn.execute("SELECT id, hash FROM events ORDER BY id DESC LIMIT 1").fetchone()
    assert result.exit_code == 0 and result.output.rstrip().endswith(f"head #{last_id}:{last_hash[:12]}")
    assert cli(room, "verify", "--expect-head", f"#{last_id}:{last_hash[:12]}").exit_code == 0
    refused = cli(room, "verify", "--expect-head", "last one")
    assert refused.exit_code == 2 and "write it as #n:HEX" in refused.stderr


def test_cutting_the_last_events_is_caught_by_the_anchored_head(room):
    anchored = head_of(room)
    conn = attacker(room)
    conn.execute("DELETE FROM events WHERE id >= 4")
    conn.execute("DELETE FROM notes WHERE id >= 4")
    conn.close()
    assert cli(room, "verify").exit_code == 0  # a shorter chain is still a chain
    result = cli(room, "verify", "--expect-head", anchored)
    assert result.exit_code == 1 and "is not in the journal (it was cut back" in result.output


def test_a_chain_rewritten_after_an_edit_is_caught_by_the_anchored_head(room):
    anchored = head_of(room)
    conn = attacker(room)
    conn.execute("UPDATE events SET payload = replace(payload, 'first', 'forged') WHERE id = 3")
    rechain(conn, 3)
    conn.execute("UPDATE notes SET text = 'forged' WHERE id = 3")
    conn.close()
    assert cli(room, "verify").exit_code == 0
    result = cli(room, "verify", "--expect-head", anchored)
    assert result.exit_code == 1 and "the journal was rewritten" in result.output


def test_a_forged_event_appended_with_a_correct_hash_does_not_match_the_state(room):
    conn = sqlite3.connect(room, isolation_level=None)
    event_id, prev = journal.next_id(conn)
    journal.append(conn, event_id, prev, 1, 1, "Ann", "decision.rollback", "decision", str(event_id),
                   {"kind": "rollback", "decided_by": "Ann", "rationale": "forged", "step": None,
                    "incident": None, "force": False}, "ann")
    conn.close()
    result = cli(room, "verify")
    assert result.exit_code == 1 and f"state: decisions {event_id} is missing" in result.output


def test_an_edit_of_the_state_tables_alone_is_named(room):
    with sqlite3.connect(room) as conn:
        conn.execute("UPDATE incidents SET severity = 4")
    result = cli(room, "verify")
    assert result.exit_code == 1 and "state: incidents 1: severity is 4, not 2" in result.output


def test_the_exports_carry_the_head_and_an_update_can_too(room):
    head = head_of(room)
    assert f"Journal head:** \\{head}" in cli(room, "export").output
    document = json.loads(cli(room, "export", "--format", "json").output)
    assert "#{event}:{hash}".format(**document["verification"]["head"]).startswith(head)
    sent = cli(room, "--json", "comm", "log", "team", "All green", "--with-head")
    with sqlite3.connect(room) as conn:
        text = conn.execute("SELECT text FROM messages WHERE id = ?",
                            (json.loads(sent.output)["message"],)).fetchone()[0]
    assert text == f"All green [war room journal head {head}]"


# -- who really typed it -------------------------------------------------------------------
def test_every_event_records_the_os_login_inside_its_hash(room):
    with sqlite3.connect(room) as conn:
        logins = {row[0] for row in conn.execute("SELECT login FROM events")}
        conn.execute("DROP TRIGGER events_no_update")
        conn.execute("UPDATE events SET login = 'someone-else' WHERE id = 2")
    assert logins == {os_login()}
    result = cli(room, "verify")
    assert result.exit_code == 1 and "event 2: hash does not match its content (altered)" in result.output


def test_a_rollback_typed_on_someone_elses_behalf_is_flagged_in_the_report(room):
    with Store(room, "Bob") as bob:
        commands.decide(bob, "rollback", "Ann", "errors at 5%")
    report = cli(room, "export").output
    assert "Bob (not the decider)" in report
    assert f"Bob (login {os_login()})" in report or os_login() == "bob"


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to create a second Unix user")
def test_another_unix_user_typing_as_the_release_manager_is_shown_as_who_they_are():
    if subprocess.run(["id", OTHER_USER], capture_output=True).returncode != 0:
        subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", OTHER_USER], check=True)
    other = pwd.getpwnam(OTHER_USER)
    with tempfile.TemporaryDirectory(dir="/tmp") as shared:  # a directory both users reach
        os.chmod(shared, 0o777)
        path = Path(shared) / "room.db"
        with Store.create(path, "Ann") as store:
            commands.init(store, load_plan(REPRO))
        for name in os.listdir(shared):
            os.chmod(Path(shared) / name, 0o666)
        child = os.fork()
        if child == 0:  # the other user, with warroom already loaded: no interpreter to reach
            try:
                os.setgid(other.pw_gid)
                os.setuid(other.pw_uid)
                with Store(path, "Ann") as mallory:
                    commands.decide(mallory, "rollback", "Ann", "I am the release manager")
                os._exit(0)
            except BaseException:
                os._exit(1)
        assert os.waitpid(child, 0)[1] == 0
        with sqlite3.connect(path) as conn:
            assert conn.execute("SELECT operator, login FROM events ORDER BY id DESC LIMIT 1").fetchone() == (
                "Ann", OTHER_USER)
        assert f"Ann (login {OTHER_USER})" in cli(path, "export").output


def test_a_fact_written_past_the_rules_is_named(room):
    with Store(room, "Ann") as ann:
        commands.decide(ann, "hold", "Ann", "errors")
    conn = sqlite3.connect(room, isolation_level=None)
    event_id, prev = journal.next_id(conn)  # a step started on hold, written behind warroom's back
    now = timefmt.now_ms()
    journal.append(conn, event_id, prev, now, now, "Bob", "step.start", "step", "d8",
                   {"note": "", "force": False}, "bob")
    conn.execute("UPDATE steps SET status = 'in_progress', started_at = ?, rev = ? WHERE id = 'd8'", (now, event_id))
    conn.close()
    result = cli(room, "verify")
    assert result.exit_code == 1
    assert f"journal: #{event_id} (step.start) breaks the rules at its moment" in result.output


def test_the_tables_the_consoles_follow_are_checked_too(room):
    with sqlite3.connect(room) as conn:
        conn.execute("UPDATE steps SET rev = 1000000000 WHERE id = 'd8'")  # would freeze every console
        conn.execute("INSERT INTO removed VALUES ('incidents', '1', 2)")  # would hide INC-1
        conn.execute("INSERT INTO late_entries VALUES (3, 0)")  # a forged 'typed late' mark
    output = cli(room, "verify").output
    assert "state: steps has rows changed by event #1000000000, after the last event" in output
    assert "state: incidents 1 is said removed by #2 but is there" in output
    assert "state: late_entries marks #3 wrongly" in output


def test_a_payload_rewritten_in_another_json_spelling_is_named(room):
    conn = attacker(room)
    conn.execute("UPDATE events SET payload = replace(payload, ',', ', ') WHERE id = 3")
    rechain(conn, 3)
    conn.close()
    result = cli(room, "verify")
    assert result.exit_code == 1 and "event 3: its payload is not written as warroom writes it" in result.output


def test_verify_json_gives_the_whole_hash_and_it_anchors(room):
    head = json.loads(cli(room, "--json", "verify").output)["head"]
    assert len(head.split(":")[1]) == 64 and cli(room, "verify", "--expect-head", head).exit_code == 0
