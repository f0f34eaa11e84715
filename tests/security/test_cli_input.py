"""Hostile arguments and hostile stored text at the command line: one line and exit 2 for
what cannot be, values that start with '-' taken as values, and nothing a terminal would
obey on any line the CLI prints (read as raw bytes from a real pty)."""
from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from warroom.cli import main
from warroom.plan import load_plan
from warroom.store import commands
from warroom.store.store import Store

REPRO = Path(__file__).resolve().parent.parent / "fixtures" / "repro.yaml"
EVIL = "\x1b]2;pwned\x07\x1b[2J\x9b31m\u202eevil"  # retitle, clear screen, C1 CSI, RTL override
RAW = (b"\x1b", b"\x07", "\x9b".encode(), "\u202e".encode(), "\u200f".encode())


@pytest.fixture
def room(tmp_path: Path) -> Path:
    path = tmp_path / "room.db"
    with Store.create(path, "Ann") as store:
        commands.init(store, load_plan(REPRO))
    return path


def cli(path: Path, *args: str, who: str = "Ann"):
    return CliRunner().invoke(main, ["--db", str(path), "--as", who, *args])


def in_a_terminal(path: Path, *args: str, who: str = "Ann") -> bytes:
    """Everything `warroom` writes to a real terminal (stdout and stderr on one pty)."""
    leader, follower = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "warroom", "--db", str(path), "--as", who, *args],
                               stdin=subprocess.DEVNULL, stdout=follower, stderr=follower, close_fds=True)
    os.close(follower)
    output = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 20)
        if not ready:
            break
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the program ended and closed the terminal
            break
        if not chunk:
            break
        output += chunk
    process.wait(timeout=20)
    os.close(leader)
    return output


def assert_inert(output: bytes, shown: bool = True) -> None:
    """No control a terminal would obey; `shown`: the text is printed, with visible marks."""
    for raw in RAW:
        assert raw not in output, (raw, output)
    assert not shown or "␛".encode() in output


# -- values and numbers --------------------------------------------------------------------
def test_values_that_start_with_a_dash_are_values(room):
    assert cli(room, "kpi", "record", "errors", "-0.5").exit_code == 0
    assert cli(room, "incident", "open", "-50% conversion", "--sev", "2").exit_code == 0
    with Store(room, "x") as store:
        assert store.query("SELECT value FROM kpi_readings") == [{"value": -0.5}]
        assert store.query("SELECT title FROM incidents") == [{"title": "-50% conversion"}]


@pytest.mark.parametrize("args, says", [
    (("incident", "open", "x", "--sev", "٣"), "'٣' is not a number written with 0-9"),
    (("incident", "update", "INC-١", "--note", "x"), "unknown incident 'INC-١'"),
    (("comm", "send", "9223372036854775808"), "a number given is too large"),
    (("decide", "go", "--by", "Ann", "--why", "x", "--incident", ""), "unknown incident ''"),
    (("note", "x", "--at", "99999999-01-01"), "bad time"),
    (("status", "--as-of", "9999999999999:00"), "bad time"),
    (("step", "stat", "d8"), "'stat' is not one of"),
    (("note",), "Missing argument 'TEXT'"),
    (("note", "x", "--at", "١٠:٠٠"), "bad time"),
    (("note", "x", "--at", "-٣m"), "bad duration"),
    (("signoff", "gate", "rm"), "Choose from: go, no-go"),
    (("comm",), "comm' needs a command"),
    (("export", "--tz", "America"), "unknown time zone 'America'"),
])
def test_what_cannot_be_is_one_line_and_exit_2(room, args, says):
    result = cli(room, *args)
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("warroom: "), result.stderr
    assert says in result.stderr


# -- nothing a terminal would obey ---------------------------------------------------------
def test_status_shows_a_hostile_hold_and_decision_inert(room):
    with Store(room, EVIL) as store:
        commands.decide(store, "hold", EVIL, EVIL)
    assert_inert(in_a_terminal(room, "status"))
    document = cli(room, "--json", "status").output
    assert "\x9b" not in document and "\u202e" not in document
    assert json.loads(document)["latest_decision"]["rationale"] == EVIL


def test_refusals_and_echoes_show_typed_text_inert(room):
    assert_inert(in_a_terminal(room, "decide", "rollback", "--by", EVIL, "--why", "x"))
    assert_inert(in_a_terminal(room, "step", "start", EVIL), shown=False)  # quoted as \x1b
    assert_inert(in_a_terminal(room, "assign", "ops", EVIL))


def test_plan_check_shows_a_hostile_key_inert(tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_text(REPRO.read_text() + '"ev\\e]2;x\\a": 1\n')
    assert_inert(in_a_terminal(tmp_path / "none.db", "plan", "check", str(plan)), shown=False)


def test_typed_text_cannot_forge_a_line_of_status(room):
    forged = "all green\nincidents: 0 open of 0 (none)\u200f"
    with Store(room, "Ann") as ann:
        commands.open_incident(ann, "boom", 1)
        commands.decide(ann, "go", "Ann", forged)
    output = in_a_terminal(room, "status")
    assert_inert(output, shown=False)
    lines = output.split(b"\r\n")
    assert sum(line.startswith(b"incidents: ") for line in lines) == 1
    assert "all green⏎incidents: 0 open".encode() in output


def test_the_path_export_wrote_is_shown_inert(room, tmp_path):
    out = tmp_path / "y\x1b[31mred.md"
    assert_inert(in_a_terminal(room, "export", "--out", str(out)))
    assert out.exists()
