"""The command line as a deploy script uses it: exit codes, output, what the file holds."""
import json

import pytest
from click.testing import CliRunner

from warroom.cli import main
from warroom.store.store import Store

from ..conftest import tamper


@pytest.fixture
def run(db_path):
    runner = CliRunner()

    def invoke(*args, env=None):
        return runner.invoke(main, ["--db", str(db_path), "--as", "Alice Martin", *args], env=env)
    return invoke


def events(db_path):
    with Store(db_path, "x") as store:
        return store.query("SELECT * FROM events ORDER BY id")


EVENT = object()  # stands for the id of the event the command recorded


def test_every_write_prints_what_it_recorded_and_json_gives_ids(run, db_path):
    cases = [
        (["step", "start", "prepare"], {"step": "prepare", "status": "in_progress"}),
        (["incident", "open", "Checkout 500s", "--sev", "2", "--step", "deploy"], {"incident": "INC-1"}),
        (["incident", "update", "INC-1", "--status", "mitigated", "--note", "pods restarted"],
         {"incident": "INC-1", "status": "mitigated", "severity": 2}),
        (["signoff", "gate-go", "rm", "go", "--note", "ready"], {"gate": "gate-go", "gate_state": "waiting"}),
        (["risk", "trigger", "db-lock"], {"risk": "db-lock", "incident": "INC-2"}),
        (["decide", "hold", "--by", "Alice Martin", "--why", "watch errors"],
         {"decision": EVENT, "kind": "hold", "forced": False}),
        (["assign", "qa", "Dana Ito", "--contact", "+81"], {"role": "qa", "person": "Dana Ito"}),
        (["comm", "log", "sponsors", "On track", "--draft"], {"message": EVENT}),  # a message is named by its event
        (["comm", "send", "9"], {"message": 9}),
        (["kpi", "record", "conversion", "3.2"], {"kpi": "conversion", "value": 3.2}),
        (["note", "slow deploy", "--tag", "retro"], {"note": EVENT}),
        (["risk", "close", "db-lock"], {"risk": "db-lock"}),
    ]
    for args, expected in cases:
        result = run(*args, "--json")
        assert result.exit_code == 0, result.output
        event = events(db_path)[-1]["id"]
        assert json.loads(result.output) == {"event": event, **{k: event if v is EVENT else v
                                                                 for k, v in expected.items()}}
    human = run("note", "plain output")
    assert human.exit_code == 0 and human.output.startswith(f"recorded: note {event + 1} (event {event + 1})")


def test_at_sets_happened_at_in_the_war_rooms_zone(run, db_path):
    assert run("note", "earlier", "--at", "-90m").exit_code == 0
    event = events(db_path)[-1]
    assert 89 * 60_000 <= event["recorded_at"] - event["happened_at"] <= 91 * 60_000


@pytest.mark.parametrize("args, message", [
    (["step", "done", "deploy"], "warroom: step deploy is pending: 'done' needs it to be in_progress\n"),
    (["step", "start", "nope"], "warroom: unknown step 'nope'"),
    (["incident", "open", " ", "--sev", "2"], "warroom: title: title must not be empty\n"),
    (["decide", "rollback", "--by", "Bob Chen", "--why", "x"], "warroom: Bob Chen holds no role"),
    (["note", "x", "--at", "23:99"], "warroom: bad time '23:99'"),
    (["note", "x", "--at", "2099-01-01T00:00"], "in the future"),
    (["kpi", "record", "nps", "3"], "warroom: unknown KPI 'nps'"),
])
def test_bad_input_exits_2_with_one_line_and_changes_nothing(run, db_path, args, message):
    before = events(db_path)
    result = run(*args)
    assert result.exit_code == 2
    assert message in result.stderr and result.stderr.count("\n") == 1
    assert events(db_path) == before


def test_usage_errors_exit_2(run):
    assert run("incident", "open", "x").exit_code == 2  # --sev is required
    assert run("step", "explode", "x").exit_code == 2


def test_status_json(run):
    run("step", "start", "prepare")
    run("incident", "open", "x", "--sev", "1")
    result = json.loads(run("status", "--json").output)
    assert result["name"] == "Test go-live" and result["golive_iso"] == "2026-11-24T20:00:00+01:00"
    assert result["steps"]["in_progress"] == 1 and result["incidents"]["by_severity"] == {"SEV1": 1}
    assert (result["decisions"], result["messages"], result["events"]) == (0, 0, 3)
    assert "phase day" in run("status").output  # go-live (2026-11-24 20:00) is past, no day step done


def test_verify_ok_and_broken(run, db_path):
    assert run("verify").exit_code == 0
    tamper(db_path, "UPDATE events SET operator='mallory' WHERE id=1;")
    result = run("verify", "--json")
    assert result.exit_code == 1
    assert json.loads(result.output)["problems"] == ["event 1: hash does not match its content (altered)"]


def test_init_refuses_to_replace_without_force_and_keeps_the_old_file(tmp_path, small_plan):
    runner = CliRunner()
    db = tmp_path / "w.db"
    args = ["--db", str(db), "init", str(small_plan)]
    assert runner.invoke(main, args).exit_code == 0
    refused = runner.invoke(main, args)
    assert refused.exit_code == 2 and "already exists" in refused.stderr
    replaced = runner.invoke(main, [*args, "--force", "--json"])
    aside = json.loads(replaced.output)["kept_aside"]
    assert replaced.exit_code == 0 and Store(aside, "x").meta()["name"] == "Test go-live"


def test_init_with_a_bad_plan_lists_problems_and_creates_nothing(tmp_path):
    plan = tmp_path / "bad.yaml"
    plan.write_text("warroom: X\ntimezone: UTC\ngolive: 2026-01-01T10:00\nroles: []\nsteps: []\n")
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "w.db"), "init", str(plan)])
    assert result.exit_code == 2 and f"{plan}:4:8: roles:" in result.stderr
    assert not (tmp_path / "w.db").exists()


def test_plan_check(tmp_path, small_plan):
    runner = CliRunner()
    ok = runner.invoke(main, ["plan", "check", str(small_plan)])
    assert ok.exit_code == 0 and "ok (6 steps, 3 roles, 1 risks, 2 audiences, 1 KPIs)" in ok.output
    bad = tmp_path / "bad.yaml"
    bad.write_text(small_plan.read_text().replace("duration: 1h", "duraton: 1h", 1))
    result = runner.invoke(main, ["plan", "check", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:17:5: steps[0].duration: missing field" in result.output
    assert f"{bad}:22:5: steps[0].duraton: unknown key (did you mean 'duration'?)" in result.output


def test_db_and_operator_come_from_the_environment(db_path):
    result = CliRunner().invoke(main, ["note", "from env"],
                                env={"WARROOM_DB": str(db_path), "WARROOM_OPERATOR": "Scribe"})
    assert result.exit_code == 0
    assert events(db_path)[-1]["operator"] == "Scribe"


def test_not_a_war_room(tmp_path):
    path = tmp_path / "x.db"
    path.write_text("hello")
    result = CliRunner().invoke(main, ["--db", str(path), "status"])
    assert result.exit_code == 2 and result.stderr == f"warroom: {path}: not a war room (not a SQLite database)\n"
    assert path.read_text() == "hello"
