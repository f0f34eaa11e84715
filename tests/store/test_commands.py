"""Every command against a real file: what the database holds afterwards."""
import json

import pytest

from warroom.domain.rules import RuleError
from warroom.domain.timefmt import now_ms
from warroom.store import commands, queries
from warroom.store.store import Store

MIN = 60_000


def count(store, table):
    return store.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def step_row(store, step_id):
    return store.query("SELECT * FROM steps WHERE id=?", (step_id,))[0]


def last_event(store):
    return store.query("SELECT * FROM events ORDER BY id DESC LIMIT 1")[0]


def test_init_records_the_plan_in_the_first_event(store):
    first = store.query("SELECT * FROM events WHERE id=1")[0]
    assert first["action"] == "init" and "Deploy the API" in json.loads(first["payload"])["plan"]
    assert count(store, "steps") == 6 and count(store, "assignments") == 2
    assert store.meta()["name"] == "Test go-live"


def test_init_twice_is_refused(store, small_plan):
    from warroom.plan import load_plan
    with pytest.raises(RuleError, match="already holds a war room"):
        commands.init(store, load_plan(small_plan))
    assert count(store, "events") == 1


def test_each_command_appends_exactly_one_event_and_sets_rev(store):
    before = count(store, "events")
    result = commands.step(store, "start", "prepare")
    assert count(store, "events") == before + 1
    assert step_row(store, "prepare")["rev"] == result["event"] == last_event(store)["id"]
    event = last_event(store)
    assert (event["action"], event["entity"], event["entity_id"], event["operator"]) == (
        "step.start", "step", "prepare", "Alice Martin")


def test_step_lifecycle_records_actual_times(store):
    t0 = last_event(store)["happened_at"]
    commands.step(store, "start", "prepare", at=t0 - 20 * MIN)
    commands.step(store, "done", "prepare", at=t0 - 5 * MIN)
    row = step_row(store, "prepare")
    assert (row["status"], row["started_at"], row["ended_at"]) == ("done", t0 - 20 * MIN, t0 - 5 * MIN)
    assert last_event(store)["happened_at"] == t0 - 5 * MIN


def test_step_waits_for_its_dependencies_unless_forced_with_a_reason(store):
    with pytest.raises(RuleError, match="waits for prepare"):
        commands.step(store, "start", "gate-go")
    with pytest.raises(RuleError, match="needs a reason"):
        commands.step(store, "start", "smoke", force=True)
    commands.step(store, "start", "smoke", force=True, note="hotfix path")
    row = step_row(store, "smoke")
    assert row["status"] == "in_progress" and row["forced"] == 1 and row["reason"] == "hotfix path"
    assert json.loads(last_event(store)["payload"])["force"] is True


def test_skipped_dependency_no_longer_holds(store):
    commands.assign(store, "qa", "Alice Martin")  # she signs for both roles
    commands.step(store, "skip", "prepare", note="done last week")
    commands.signoff(store, "gate-go", "rm", "go")
    commands.signoff(store, "gate-go", "qa", "go")
    commands.step(store, "start", "deploy")
    assert step_row(store, "deploy")["status"] == "in_progress"


def test_fail_skip_need_reasons_and_failed_step_can_be_retried(store):
    commands.step(store, "start", "prepare")
    with pytest.raises(RuleError, match="needs a reason"):
        commands.step(store, "fail", "prepare")
    commands.step(store, "fail", "prepare", note="notes template broken")
    assert step_row(store, "prepare")["status"] == "failed"
    commands.step(store, "start", "prepare")
    assert step_row(store, "prepare")["status"] == "in_progress"


def test_block_and_unblock(store):
    commands.step(store, "block", "deploy", note="waiting for the vendor")
    assert step_row(store, "deploy")["status"] == "blocked"
    commands.step(store, "unblock", "deploy")
    assert step_row(store, "deploy")["status"] == "pending"


def test_gate_passes_when_every_role_said_go(store):
    commands.assign(store, "qa", "Alice Martin")  # she signs for both roles
    commands.step(store, "start", "prepare")
    commands.step(store, "done", "prepare")
    commands.step(store, "start", "gate-go")
    with pytest.raises(RuleError, match="passes when every required role signs go"):
        commands.step(store, "done", "gate-go")
    assert commands.signoff(store, "gate-go", "rm", "go", note="notes ready")["gate_state"] == "waiting"
    assert step_row(store, "gate-go")["status"] == "in_progress"
    assert commands.signoff(store, "gate-go", "qa", "go")["gate_state"] == "passed"
    assert step_row(store, "gate-go")["status"] == "done"
    signoffs = store.query("SELECT role, verdict, signed_by, comment FROM signoffs ORDER BY id")
    assert signoffs == [
        {"role": "rm", "verdict": "go", "signed_by": "Alice Martin", "comment": "notes ready"},
        {"role": "qa", "verdict": "go", "signed_by": "Alice Martin", "comment": ""},
    ]


def test_signoff_rules(store):
    with pytest.raises(RuleError, match="not a gate"):
        commands.signoff(store, "deploy", "rm", "go")
    with pytest.raises(RuleError, match="needs sign-off from rm, qa, not 'tech'"):
        commands.signoff(store, "gate-go", "tech", "go")
    with pytest.raises(ValueError):
        commands.signoff(store, "gate-go", "rm", "maybe")
    assert count(store, "signoffs") == 0


def test_no_go_holds_the_runbook_until_a_decision(store):
    commands.assign(store, "qa", "Alice Martin")  # she signs for both roles
    commands.step(store, "skip", "prepare", note="n/a")
    commands.signoff(store, "gate-go", "qa", "no-go", note="regression in refunds")
    assert store.meta()["hold"] == "no-go from qa at gate gate-go"
    commands.signoff(store, "gate-go", "qa", "go")
    commands.signoff(store, "gate-go", "rm", "go")
    assert step_row(store, "gate-go")["status"] == "done"
    with pytest.raises(RuleError, match="on hold"):
        commands.step(store, "start", "deploy")
    commands.decide(store, "resume", "Alice Martin", "refund fix verified")
    assert store.meta()["hold"] == ""
    commands.step(store, "start", "deploy")
    assert step_row(store, "deploy")["status"] == "in_progress"


def test_hold_and_go_decisions(store):
    hold = commands.decide(store, "hold", "Alice Martin", "payment provider degraded")["decision"]
    assert "hold decided by Alice Martin" in store.meta()["hold"]
    commands.decide(store, "go", "Alice Martin", "provider back")
    assert store.meta()["hold"] == ""
    rows = store.query("SELECT kind, decided_by, recorded_by, supersedes FROM decisions ORDER BY id")
    assert rows == [
        {"kind": "hold", "decided_by": "Alice Martin", "recorded_by": "Alice Martin", "supersedes": None},
        {"kind": "go", "decided_by": "Alice Martin", "recorded_by": "Alice Martin", "supersedes": hold},
    ]


def test_rollback_needs_a_role_that_may_decide_it(store):
    with pytest.raises(RuleError, match=r"Bob Chen holds no role that may decide a rollback; "
                                        r"who may: Alice Martin \(Release manager\)"):
        commands.decide(store, "rollback", "Bob Chen", "errors")
    assert count(store, "decisions") == 0
    commands.decide(store, "rollback", "alice martin", "errors at 5%")
    commands.decide(store, "rollback", "Bob Chen", "RM unreachable", force=True)
    assert store.query("SELECT decided_by, forced FROM decisions ORDER BY id") == [
        {"decided_by": "alice martin", "forced": 0}, {"decided_by": "Bob Chen", "forced": 1}]
    assert json.loads(last_event(store)["payload"])["force"] is True


def test_decision_needs_a_decider_and_a_rationale(store):
    with pytest.raises(ValueError, match="rationale"):
        commands.decide(store, "go", "Alice Martin", "  ")
    with pytest.raises(ValueError):
        commands.decide(store, "maybe", "Alice Martin", "x")


def test_incidents_number_themselves_and_keep_their_history(store):
    assert commands.open_incident(store, "Checkout 500s", 2, step="deploy", owner="tech")["incident"] == "INC-1"
    assert commands.open_incident(store, "Slow search", 4)["incident"] == "INC-2"
    commands.update_incident(store, "inc-1", status="investigating", note="looking at pods")
    commands.update_incident(store, "1", severity=1)
    commands.update_incident(store, "INC-1", status="mitigated", note="rolled back pod")
    commands.update_incident(store, "INC-1", status="resolved")
    row = store.query("SELECT * FROM incidents WHERE ref='INC-1'")[0]
    assert (row["status"], row["severity"], row["step"], row["owner"]) == ("resolved", 1, "deploy", "tech")
    assert row["mitigated_at"] is not None and row["resolved_at"] >= row["mitigated_at"]
    updates = store.query("SELECT status, severity, note FROM incident_updates ORDER BY id")
    assert updates == [
        {"status": "investigating", "severity": 2, "note": "looking at pods"},
        {"status": "investigating", "severity": 1, "note": ""},
        {"status": "mitigated", "severity": 1, "note": "rolled back pod"},
        {"status": "resolved", "severity": 1, "note": ""},
    ]


def test_incident_rules(store):
    commands.open_incident(store, "x", 3)
    with pytest.raises(RuleError, match="needs a status, a severity, a title or a note"):
        commands.update_incident(store, "INC-1")
    with pytest.raises(RuleError, match="unknown incident 'INC-9'"):
        commands.update_incident(store, "INC-9", note="x")
    with pytest.raises(RuleError, match="unknown step 'nope'"):
        commands.open_incident(store, "x", 3, step="nope")
    commands.update_incident(store, "INC-1", status="resolved")
    with pytest.raises(RuleError, match="cannot go back to mitigated"):
        commands.update_incident(store, "INC-1", status="mitigated")
    commands.update_incident(store, "INC-1", status="investigating", note="it came back")
    assert store.query("SELECT status, resolved_at FROM incidents")[0] == {"status": "investigating",
                                                                           "resolved_at": None}


def test_a_note_on_a_resolved_incident_keeps_its_resolution_time(store):
    t0 = now_ms() - 2 * MIN
    commands.open_incident(store, "x", 3, at=t0)
    commands.update_incident(store, "INC-1", status="resolved", at=t0 + MIN)
    commands.update_incident(store, "INC-1", note="post-mortem scheduled")
    commands.update_incident(store, "INC-1", severity=4)
    assert store.query("SELECT resolved_at FROM incidents")[0]["resolved_at"] == t0 + MIN


def test_a_fired_risk_links_the_step_running_now(store):
    commands.step(store, "start", "deploy", force=True, note="test")
    store.conn.execute("UPDATE risks SET steps = '[\"prepare\", \"deploy\"]'")
    commands.trigger_risk(store, "db-lock")
    assert store.query("SELECT step FROM incidents")[0]["step"] == "deploy"


def test_triggering_a_risk_opens_a_linked_incident(store):
    result = commands.trigger_risk(store, "db-lock", note="lock wait timeouts")
    assert result["incident"] == "INC-1"
    risk = store.query("SELECT status, incident FROM risks")[0]
    incident = store.query("SELECT title, severity, risk, step, owner FROM incidents")[0]
    assert risk == {"status": "triggered", "incident": "INC-1"}
    assert incident == {"title": "Risk fired: Migration locks the orders table", "severity": 1,
                        "risk": "db-lock", "step": "deploy", "owner": "tech"}
    assert count(store, "events") == 2  # one command, one event
    with pytest.raises(RuleError):
        commands.trigger_risk(store, "db-lock")
    commands.close_risk(store, "db-lock", note="migration done")
    assert store.query("SELECT status FROM risks")[0]["status"] == "closed"


def test_assignment_hand_over_keeps_history(store):
    commands.assign(store, "tech", "Chloé Dubois", contact="@chloe")
    rows = store.query("SELECT person, contact, ended_at FROM assignments WHERE role='tech' ORDER BY id")
    assert [r["person"] for r in rows] == ["Bob Chen", "Chloé Dubois"]
    assert rows[0]["ended_at"] is not None and rows[1]["ended_at"] is None
    with pytest.raises(RuleError, match="already holds"):
        commands.assign(store, "tech", "Chloé Dubois", contact="@chloe")
    with pytest.raises(RuleError, match="unknown role"):
        commands.assign(store, "ceo", "X")


def test_messages_drafts_and_sending(store):
    commands.log_message(store, "sponsors", "Go-live on track")
    draft = commands.log_message(store, "support", "Expect questions about refunds", draft=True,
                                 channel="phone")["message"]
    rows = store.query("SELECT audience, channel, status, sent_at FROM messages ORDER BY id")
    assert rows[0]["channel"] == "email" and rows[0]["status"] == "sent" and rows[0]["sent_at"]
    assert rows[1] == {"audience": "support", "channel": "phone", "status": "draft", "sent_at": None}
    commands.send_message(store, draft)
    assert store.query("SELECT status FROM messages WHERE id=?", (draft,))[0]["status"] == "sent"
    with pytest.raises(RuleError, match="already sent"):
        commands.send_message(store, draft)
    with pytest.raises(RuleError, match="unknown audience"):
        commands.log_message(store, "press", "hello")


def test_kpi_readings_and_notes(store):
    commands.record_kpi(store, "conversion", 3.4)
    commands.note(store, "deploy took twice as long", tags=("retro", "deploy"))
    assert store.query("SELECT kpi, value FROM kpi_readings") == [{"kpi": "conversion", "value": 3.4}]
    assert store.query("SELECT text, tags FROM notes") == [
        {"text": "deploy took twice as long", "tags": '["retro", "deploy"]'}]
    with pytest.raises(RuleError, match="unknown KPI"):
        commands.record_kpi(store, "nps", 1)
    for value in (float("nan"), float("inf")):
        with pytest.raises(RuleError, match="finite number"):
            commands.record_kpi(store, "conversion", value)


def test_happened_at_may_be_earlier_never_in_the_future(store):
    now = last_event(store)["recorded_at"]
    commands.note(store, "earlier", at=now - 3_600_000)
    event = last_event(store)
    assert event["happened_at"] == now - 3_600_000 and event["recorded_at"] >= now
    with pytest.raises(ValueError, match="in the future"):
        commands.note(store, "later", at=now + 10 * MIN)
    assert count(store, "notes") == 1


def test_refused_commands_leave_nothing_behind(store):
    events = count(store, "events")
    for attempt in (lambda: commands.step(store, "done", "deploy"),
                    lambda: commands.decide(store, "rollback", "Nobody", "x"),
                    lambda: commands.open_incident(store, "", 2)):
        with pytest.raises(ValueError):
            attempt()
    assert count(store, "events") == events and count(store, "incidents") == 0


def test_status_counts(store):
    commands.step(store, "start", "prepare")
    commands.open_incident(store, "a", 1)
    commands.open_incident(store, "b", 3)
    commands.update_incident(store, "INC-2", status="resolved")
    commands.log_message(store, "sponsors", "hi")
    result = queries.status(store)
    assert result["name"] == "Test go-live" and result["golive_iso"] == "2026-11-24T20:00:00+01:00"
    assert result["steps"]["in_progress"] == 1 and result["steps"]["pending"] == 5
    assert result["incidents"]["by_severity"] == {"SEV1": 1, "SEV3": 1}
    assert result["incidents"]["by_status"] == {"open": 1, "resolved": 1} and result["incidents"]["open"] == 1
    # go-live has passed, no day step is settled
    assert (result["messages"], result["events"], result["phase"]) == (1, 6, "day")


def test_readonly_store_refuses_writes(db_path):
    with Store(db_path, "viewer", readonly=True) as viewer, pytest.raises(Exception, match="read-only"):
        commands.note(viewer, "x")


def test_decisions_and_hand_overs_on_top_of_the_day_leave_the_tables_as_the_fold_says(store):
    """A decision or hand-over after every recorded fact is applied to the tables as they
    stand (no re-fold of the runbook): the result must be what a fold gives."""
    first = commands.decide(store, "hold", "Alice Martin", "errors")["decision"]
    commands.assign(store, "tech", "Dmitri Ivanov")
    second = commands.decide(store, "resume", "Alice Martin", "fixed")["decision"]
    with pytest.raises(RuleError, match="Dmitri Ivanov holds no role that may decide a rollback"):
        commands.decide(store, "rollback", "Dmitri Ivanov", "errors again")
    commands.assign(store, "rm", "Dmitri Ivanov")
    third = commands.decide(store, "rollback", "Dmitri Ivanov", "errors again")["decision"]
    assert store.query("SELECT id, supersedes FROM decisions ORDER BY id") == [
        {"id": first, "supersedes": None}, {"id": second, "supersedes": first}, {"id": third, "supersedes": second}]
    held = store.query("SELECT person FROM assignments WHERE ended_at IS NULL ORDER BY role")
    assert [a["person"] for a in held] == ["Dmitri Ivanov", "Dmitri Ivanov"]
    assert store.meta()["hold"] == "" and store.verify() == []
