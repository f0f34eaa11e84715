"""Can we still roll back? The plan's change window, backouts, rollback runbook, point of no
return and targets, through the command line, on tests/fixtures/rollback.yaml (go-live
2026-11-30 09:30 UTC, window 09:00-12:30; schema (20m, undone in 15m) -> deploy (30m, on eu
and us, undone by redeploy-old) -> cutover (point of no return) -> smoke; rollback runbook
announce-rb (5m) -> redeploy-old (30m) -> verify-rb (10m)). Figures are computed by hand."""
from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from warroom.plan import load_plan
from warroom.store import commands
from warroom.store.store import Store

from ..store.test_time_order import MIN, T, export_json, one, rows
from .test_corrections import Room

PLAN = Path(__file__).parents[1] / "fixtures" / "rollback.yaml"


@pytest.fixture
def rb(tmp_path: Path) -> Room:
    path = tmp_path / "rollback.db"
    with Store.create(path, "Ann") as store:
        commands.init(store, load_plan(PLAN), at=T("2026-11-28T09:00"))
    return Room(path)


def status(room: Room, *args: str) -> dict:
    result = room.run("status", "--json", *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.output)


def started(room: Room) -> None:
    room.ok("step", "start", "schema", "--at", "2026-11-30T09:30", who="Bob")
    room.ok("step", "done", "schema", "--at", "2026-11-30T09:50", who="Bob")
    room.ok("step", "start", "deploy", "--at", "2026-11-30T09:50", who="Bob")


def test_the_forecast_follows_the_critical_path_and_the_backout_of_what_was_done(rb):
    started(rb)
    forecast = status(rb, "--as-of", "2026-11-30T09:55")["forecast"]
    # deploy since 09:50 (30m) -> cutover 10m -> smoke 15m
    assert forecast["critical_path"] == ["deploy", "cutover", "smoke"]
    assert forecast["finish"] == T("2026-11-30T10:45")
    # announce 5 -> redeploy-old 30 (deploy's backout) -> verify 10; schema's 15m undone after
    # redeploy-old: 50 minutes, so a rollback decided after 11:40 ends past the window
    assert forecast["backout_minutes"] == 50
    assert forecast["backout_end"] == T("2026-11-30T10:45")
    assert (forecast["rollback_deadline"], forecast["window_end"]) == (T("2026-11-30T11:40"), T("2026-11-30T12:30"))
    assert forecast["point_of_no_return"] == {"step": "cutover", "passed_at": None}
    assert export_json(rb.path, "--as-of", "2026-11-30T09:55")["facts"]["forecast"] == forecast  # the report's
    earlier = status(rb, "--as-of", "2026-11-30T09:20")["forecast"]
    assert (earlier["backout_minutes"], earlier["rollback_deadline"]) == (45, T("2026-11-30T11:45"))


def test_a_step_with_targets_is_done_when_every_target_is(rb):
    started(rb)
    assert rb.ok("step", "done", "deploy", "--target", "eu", "--at", "2026-11-30T10:05", who="Bob")["status"] \
        == "in_progress"
    assert "deploy (targets not done: us)" in rb.refused("step", "start", "cutover", "--at", "2026-11-30T10:06",
                                                        who="Bob")
    assert "targets not done: us" in rb.refused("step", "done", "deploy", "--at", "2026-11-30T10:07", who="Bob")
    rb.ok("step", "fail", "deploy", "--target", "us", "--note", "timeout", "--at", "2026-11-30T10:10", who="Bob")
    assert json.loads(rb.step("deploy")["target_state"]) == {"eu": "done", "us": "failed"}
    assert "no target 'asia'" in rb.refused("step", "done", "deploy", "--target", "asia", who="Bob")
    rb.ok("step", "done", "deploy", "--target", "us", "--at", "2026-11-30T10:20", who="Bob")
    step = rb.step("deploy")
    assert (step["status"], step["ended_at"]) == ("done", T("2026-11-30T10:20"))


def test_done_with_a_target_missing_is_forced_with_a_reason(rb):
    started(rb)
    rb.ok("step", "done", "deploy", "--force", "--note", "us is dark today", "--at", "2026-11-30T10:20", who="Bob")
    assert (rb.step("deploy")["status"], rb.step("deploy")["forced"]) == ("done", 1)


def test_a_rollback_decision_invokes_the_rollback_runbook_and_the_forecast_tracks_it(rb):
    started(rb)
    rb.ok("decide", "rollback", "--by", "Ann", "--why", "payments fail", "--at", "2026-11-30T10:00")
    invoked = {r["id"]: r["invoked"] for r in rb_steps(rb)}
    assert invoked == {"schema": 0, "deploy": 0, "cutover": 0, "smoke": 0,
                       "announce-rb": 1, "redeploy-old": 1, "verify-rb": 1}
    rb.ok("step", "start", "announce-rb", "--at", "2026-11-30T10:01")
    forecast = status(rb, "--as-of", "2026-11-30T10:02")["forecast"]
    # announce since 10:01 ends 10:06 -> redeploy-old 10:36 -> verify 10:46; undo schema 10:51
    assert forecast["backing_out"] is True and forecast["rollback_deadline"] is None
    assert forecast["backout_end"] == T("2026-11-30T10:51")
    assert export_json(rb.path)["state"]["steps"][4]["invoked"] == 1
    rb.ok("retract", str(rb_decision_event(rb)), "--why", "typed on the wrong room")
    assert {r["id"] for r in rb_steps(rb) if r["invoked"]} == {"announce-rb"}  # started: invoked by itself


def test_the_point_of_no_return_is_passed_when_its_step_is_done(rb):
    started(rb)
    rb.ok("step", "done", "deploy", "--target", "eu", "--at", "2026-11-30T10:10", who="Bob")
    rb.ok("step", "done", "deploy", "--target", "us", "--at", "2026-11-30T10:15", who="Bob")
    rb.ok("step", "start", "cutover", "--at", "2026-11-30T10:16", who="Bob")
    rb.ok("step", "done", "cutover", "--at", "2026-11-30T10:25", who="Bob")
    assert status(rb)["forecast"]["point_of_no_return"] == {"step": "cutover", "passed_at": T("2026-11-30T10:25")}
    assert status(rb, "--as-of", "2026-11-30T10:20")["forecast"]["point_of_no_return"]["passed_at"] is None


def test_an_abort_needs_the_rollback_authority_and_stops_the_day(rb):
    refusal = rb.refused("decide", "abort", "--by", "Bob", "--why", "x", "--at", "2026-11-30T09:40", who="Bob")
    assert "Bob holds no role that may decide an abort; who may: Ann (Release manager)" in refusal
    rb.ok("decide", "abort", "--by", "Ann", "--why", "the bank partner is down", "--at", "2026-11-30T09:40")
    assert one(rb.path, "SELECT value FROM meta WHERE key = 'hold'")["value"] == "abort decided by Ann"
    assert "runbook is on hold" in rb.refused("step", "start", "schema", "--at", "2026-11-30T09:45", who="Bob")
    rb.ok("decide", "fix-forward", "--by", "Bob", "--why", "patch the config", "--at", "2026-11-30T09:50", who="Bob")
    document = export_json(rb.path)
    kinds = {d["id"]: d["kind"] for d in document["state"]["decisions"]}
    assert [kinds[i] for i in document["facts"]["stop_decisions"]] == ["abort"]


def rb_steps(room: Room) -> list[dict]:
    return export_json(room.path)["state"]["steps"]


def rb_decision_event(room: Room) -> int:
    return one(room.path, "SELECT id FROM events WHERE action = 'decision.rollback'")["id"]


@pytest.mark.parametrize("change, where, says", [
    ("rollback: [announce-rb, redeploy-old, verify-rb]", "rollback: [announce-rb, deploy]",
     "rollback[1]: 'deploy' must be a contingency step"),
    ("backout: [redeploy-old]", "backout: [nowhere]", "backout[0]: unknown step 'nowhere'"),
    ("targets: [eu, us]", "targets: [eu, eu]", "targets[1]: duplicate target 'eu'"),
    ("window: {start: H-30m, end: H+3h}", "window: {start: H+3h, end: H-30m}",
     "window.end: the change window must end after it starts"),
    ("depends_on: [cutover]}", "depends_on: [verify-rb]}", "'verify-rb' runs only if needed (contingency)"),
    ("{id: smoke, title: Smoke tests, phase: day, owner: ops, start: H+1h,",
     "{id: smoke, title: Smoke tests, phase: day, owner: ops,", "steps[3].start: missing field"),
])
def test_a_plan_that_cannot_be_rolled_back_as_written_is_refused_where_it_says_so(tmp_path, change, where, says):
    plan = tmp_path / "plan.yaml"
    text = PLAN.read_text()
    assert change in text
    plan.write_text(text.replace(change, where))
    result = Room(tmp_path / "x.db").run("plan", "check", str(plan))
    assert result.exit_code == 1
    line = next(line for line in result.output.splitlines() if says in line)
    assert line.startswith(f"{plan}:") and line.split(":")[1].isdigit() and line.split(":")[2].isdigit()


def report_md(room: Room) -> str:
    result = room.run("export", "--format", "md")
    assert result.exit_code == 0, result.stderr
    return result.output


def test_a_step_nobody_planned_is_added_on_the_day_and_shown_so(rb):
    started(rb)
    add = ("step", "add", "hotfix", "--title", "Patch the PSP config", "--owner", "ops", "--duration", "20m")
    event = rb.ok(*add, "--after", "schema", "--at", "2026-11-30T10:00")["event"]
    row = rb.step("hotfix")
    assert (row["unplanned"], row["planned_start"], row["planned_duration"], json.loads(row["depends_on"])) == (
        1, T("2026-11-30T10:00"), 1200, ["schema"])
    assert "step hotfix already exists" in rb.refused(*add)
    assert "unknown role 'nobody'" in rb.refused("step", "add", "h2", "--title", "x", "--owner", "nobody",
                                                 "--duration", "5m")
    assert "go with step add" in rb.refused("step", "start", "smoke", "--title", "x")
    rb.ok("step", "start", "hotfix", "--at", "2026-11-30T10:01", who="Bob")
    assert "contradicts" in rb.refused("retract", str(event), "--why", "typed twice")  # the start needs it
    report = report_md(rb)
    assert "hotfix: Patch the PSP config (unplanned: added on the day)" in report
    assert "Step hotfix added, unplanned: Patch the PSP config (ops, 20m, after schema)" in report


def test_each_target_is_told_in_the_timeline(rb):
    started(rb)
    rb.ok("step", "done", "deploy", "--target", "eu", "--at", "2026-11-30T10:05", who="Bob")
    rb.ok("step", "done", "deploy", "--target", "us", "--at", "2026-11-30T10:10", who="Bob")
    report = report_md(rb)
    assert "Step deploy (Deploy v2): target eu done (us still to do)" in report
    assert "Step deploy (Deploy v2): target us done (the last one: the step is done)" in report


def rehearse(room: Room, minutes: dict[str, int]) -> None:
    """The whole runbook from 09:30 on the go-live day, each step taking the given minutes."""
    clock = T("2026-11-30T09:30")

    def at(ms: int) -> str:
        return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M")

    for step in ("schema", "deploy", "cutover", "smoke"):
        room.ok("step", "start", step, "--at", at(clock), who="Bob")
        clock += minutes[step] * MIN
        if step == "deploy":
            room.ok("step", "done", step, "--target", "eu", "--at", at(clock), who="Bob")
            room.ok("step", "done", step, "--target", "us", "--at", at(clock), who="Bob")
        else:
            room.ok("step", "done", step, "--at", at(clock), who="Bob")


def test_a_plan_is_retimed_from_what_a_rehearsal_measured(rb, tmp_path):
    rehearse(rb, {"schema": 35, "deploy": 20, "cutover": 10, "smoke": 40})
    out = tmp_path / "next.yaml"
    result = rb.run("plan", "retime", str(PLAN), "--from", str(rb.path), "--out", str(out))
    assert result.exit_code == 0, result.stderr
    assert result.stderr == f"retimed 3 step(s) from {rb.path}: schema, deploy, smoke\n"
    before, after = PLAN.read_text().splitlines(), out.read_text().splitlines()
    changed = [(b, a) for b, a in zip(before, after, strict=True) if b != a]
    assert [(b.split("duration: ")[1][:3], a.split("duration: ")[1][:3]) for b, a in changed] == [
        ("20m", "35m"), ("30m", "20m"), ("15m", "40m")]  # every other line, comments included, as written
    assert [s.planned_duration for s in load_plan(out).steps][:4] == [35 * 60, 20 * 60, 10 * 60, 40 * 60]
    again = rb.run("plan", "retime", str(PLAN), "--from", str(rb.path), "--out", str(out))
    assert again.exit_code == 2 and "already exists" in again.stderr


def test_the_report_compares_the_day_with_its_rehearsal_and_forecasts_from_it(rb, tmp_path):
    rehearsal = Room(tmp_path / "rehearsal.db")
    with Store.create(rehearsal.path, "Ann") as store:
        commands.init(store, load_plan(PLAN), at=T("2026-11-28T09:00"))
    rehearse(rehearsal, {"schema": 35, "deploy": 20, "cutover": 10, "smoke": 40})
    rb.ok("step", "start", "schema", "--at", "2026-11-30T09:30", who="Bob")
    rb.ok("step", "done", "schema", "--at", "2026-11-30T09:55", who="Bob")
    document = export_json(rb.path, "--as-of", "2026-11-30T09:55", "--rehearsal", str(rehearsal.path))
    rows = {r["step"]: r for r in document["facts"]["rehearsal"]}
    assert rows["schema"] | {"title": None} == {"step": "schema", "title": None, "planned": 20 * MIN,
                                                 "rehearsed": 35 * MIN, "live": 25 * MIN, "drift": -10 * MIN}
    assert rows["smoke"]["rehearsed"] == 40 * MIN and rows["smoke"]["live"] is None
    # deploy 09:55 + 20m (rehearsed) -> cutover from its planned 10:20, 10m -> smoke 10:30 + 40m (rehearsed)
    assert document["facts"]["forecast"]["finish"] == T("2026-11-30T11:10")
    # without it: deploy 09:55 + 30m -> cutover 10:25 + 10m -> smoke 10:35 + 15m
    planned = export_json(rb.path, "--as-of", "2026-11-30T09:55")["facts"]["forecast"]
    assert planned["finish"] == T("2026-11-30T10:50") and planned["critical_path"][-1] == "smoke"
    report = rb.run("export", "--as-of", "2026-11-30T09:55", "--rehearsal", str(rehearsal.path)).output
    assert "| schema: Migrate the schema | 20m | 35m | 25m | -10m |" in report
    missing = rb.run("export", "--rehearsal", str(tmp_path / "none.db"))
    assert missing.exit_code == 2 and "none.db" in missing.stderr


def test_a_rehearsal_marks_every_message_test_and_counts_none_as_sent(tmp_path):
    room = Room(tmp_path / "rehearsal.db")
    created = room.run("init", str(PLAN), "--rehearsal", "--at", "2026-11-28T09:00")
    assert created.exit_code == 0 and created.output.startswith("created a rehearsal 'Rollback go-live'")
    room.ok("comm", "log", "team", "Deploy started", "--at", "2026-11-30T09:31")
    room.ok("comm", "log", "team", "[TEST] already marked", "--at", "2026-11-30T09:32")
    texts = [r["text"] for r in rows(room.path, "SELECT text FROM messages ORDER BY id")]
    assert texts == ["[TEST] Deploy started", "[TEST] already marked"]
    report = room.run("export").output
    assert "a rehearsal: every message is marked \\[TEST\\], none was sent to an audience" in report
    assert "| War-room team | chat | 0 (2 TEST) |" in report


def test_an_attached_rehearsal_is_what_the_live_forecast_expects_until_retracted(rb, tmp_path):
    rehearsal = Room(tmp_path / "rehearsal.db")
    with Store.create(rehearsal.path, "Ann") as store:
        commands.init(store, load_plan(PLAN), at=T("2026-11-28T09:00"), rehearsal=True)
    rehearse(rehearsal, {"schema": 35, "deploy": 20, "cutover": 10, "smoke": 40})
    rb.ok("step", "start", "schema", "--at", "2026-11-30T09:30", who="Bob")
    rb.ok("step", "done", "schema", "--at", "2026-11-30T09:55", who="Bob")
    attached = rb.ok("rehearsal", "attach", str(rehearsal.path), "--at", "2026-11-30T09:40")
    assert attached["steps"] == 4
    assert status(rb, "--as-of", "2026-11-30T09:55")["forecast"]["finish"] == T("2026-11-30T11:10")  # as rehearsed
    assert status(rb, "--as-of", "2026-11-30T09:35")["forecast"]["finish"] != T("2026-11-30T11:10")  # not yet then
    rb.ok("retract", str(attached["event"]), "--why", "the wrong rehearsal")
    assert status(rb, "--as-of", "2026-11-30T09:55")["forecast"]["finish"] == T("2026-11-30T10:50")  # as planned
    untimed = tmp_path / "untimed.db"
    with Store.create(untimed, "Ann") as store:
        commands.init(store, load_plan(PLAN), rehearsal=True)
    assert "no step of it was done" in rb.refused("rehearsal", "attach", str(untimed))
    assert "is this war room itself" in rb.refused("rehearsal", "attach", str(rb.path))
    live = tmp_path / "live.db"
    with Store.create(live, "Ann") as store:
        commands.init(store, load_plan(PLAN))
    assert "is not a rehearsal" in rb.refused("rehearsal", "attach", str(live))


def test_a_hold_stops_the_day_but_not_the_rollback_it_called_up(rb):
    started(rb)
    rb.ok("decide", "hold", "--by", "Ann", "--why", "payments fail", "--at", "2026-11-30T09:58")
    rb.ok("decide", "rollback", "--by", "Ann", "--why", "payments fail", "--at", "2026-11-30T10:00")
    rb.ok("step", "start", "announce-rb", "--at", "2026-11-30T10:01")  # no --force: the rollback's own work
    assert "on hold" in rb.refused("step", "start", "cutover", "--at", "2026-11-30T10:02", who="Bob")


def test_status_dates_what_is_not_today_and_says_when_the_deadline_has_passed(rb):
    started(rb)
    lines = rb.run("status", "--as-of", "2026-11-30T11:50").output.splitlines()
    assert "ROLLBACK DEADLINE PASSED at 11:40: a backout now ends 12:40, window ends 12:30" in lines
    lines = rb.run("status", "--as-of", "2026-11-29T20:00").output.splitlines()
    assert any(line.startswith("rollback: decide by 2026-11-30 11:45 (backout 45 min") for line in lines), lines


def test_what_a_plan_refuses_the_day_refuses_too(rb, tmp_path):
    started(rb)
    rb.ok("step", "done", "deploy", "--target", "eu", "--at", "2026-11-30T10:00", who="Bob")
    assert "target eu of step deploy is already done" in rb.refused("step", "done", "deploy", "--target", "eu",
                                                                    who="Bob")
    assert "--target must name" in rb.refused("step", "done", "deploy", "--target", " ", who="Bob")
    add = ("step", "add", "fix", "--title", "Fix", "--owner", "ops")
    assert "runs only if needed" in rb.refused(*add, "--duration", "5m", "--after", "announce-rb")
    assert "a step lasts at most 365d" in rb.refused(*add, "--duration", "366d")
    rb.ok(*add, "--duration", "5m", "--after", "schema", "--after", "schema")
    assert json.loads(rb.step("fix")["depends_on"]) == ["schema"]


def test_retime_keeps_line_endings_and_quotes_and_refuses_an_anchored_duration(rb, tmp_path):
    rehearse(rb, {"schema": 35, "deploy": 20, "cutover": 10, "smoke": 15})
    plan = tmp_path / "crlf.yaml"
    text = PLAN.read_text().replace("duration: 20m,", 'duration: "20m",').replace("duration: 10m,\\n", "")
    plan.write_bytes(text.replace("\n", "\r\n").encode())
    result = rb.run("plan", "retime", str(plan), "--from", str(rb.path), "--out", str(tmp_path / "next.yaml"))
    assert result.exit_code == 0, result.stderr
    written = (tmp_path / "next.yaml").read_bytes().decode()
    assert 'duration: "35m",' in written and written.count("\r\n") == text.count("\n")
    anchored = tmp_path / "anchored.yaml"
    anchored.write_text(PLAN.read_text().replace("duration: 30m,", "duration: &d 30m,", 1)
                        .replace("redeploy-old, title: Redeploy v1, phase: day, owner: ops, duration: 30m",
                                 "redeploy-old, title: Redeploy v1, phase: day, owner: ops, duration: *d"))
    refused = rb.run("plan", "retime", str(anchored), "--from", str(rb.path), "--out", str(tmp_path / "out.yaml"))
    assert refused.exit_code == 2 and "steps[1].duration: written with an anchor or alias" in refused.stderr
    assert refused.stderr.startswith(f"warroom: {anchored}:") and not (tmp_path / "out.yaml").exists()


def test_small_refusals_say_what_is_wrong(rb, tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN.read_text().replace("window: {start: H-30m, end: H+3h}",
                                             "window: {start: H-30m, end: H+3h, ends: H+4h}"))
    checked = rb.run("plan", "check", str(plan))
    assert f"{plan}:6:35: window.ends: unknown key (did you mean 'end'?)" in checked.output
    nowhere = rb.run("plan", "retime", str(PLAN), "--from", str(rb.path), "--out", str(tmp_path / "no" / "x.yaml"))
    assert (nowhere.exit_code, nowhere.stderr) == (2, f"warroom: {tmp_path / 'no'}: no such directory\n")
    event = rb.ok("step", "add", "hot", "--title", "Hot", "--owner", "ops", "--duration", "5m")["event"]
    rb.ok("step", "start", "hot", "--force", "--note", "now")
    assert "step.start hot does not apply: 'hot' does not exist at that time" in rb.refused(
        "retract", str(event), "--why", "typed twice")
