"""JSON, schema warroom.export v1: another tool can rebuild the day from it."""
import json

from warroom.domain.events import Event
from warroom.store.journal import GENESIS, chain_hash, to_json
from warroom.store.rebuild import replay

from .conftest import at, export_text

STATE_ROWS = ("roles", "assignments", "signoffs", "incidents", "decisions", "audiences", "kpis")


def events_of(journal: list[dict]) -> list[Event]:
    return [Event(*(e[k] for k in ("id", "happened_at", "recorded_at", "operator", "action", "entity",
                                   "entity_id", "payload"))) for e in journal]


def test_header_names_the_schema_and_the_window(known_day):
    report = json.loads(export_text(known_day, "json"))
    assert list(report)[:3] == ["schema", "version", "verification"]
    assert (report["schema"], report["version"]) == ("warroom.export", 1)
    last = report["journal"][-1]
    assert report["verification"] == {"ok": True, "problems": [], "head": {"event": last["id"], "hash": last["hash"]}}
    assert report["warroom"] == {"name": "Checkout v2 go-live", "timezone": "Europe/Paris", "golive": at("20:00")}
    assert report["window"] == {"as_of": None, "horizon": at("23:00"), "since": None, "until": None,
                                "display_timezone": "Europe/Paris"}
    assert report["plan"].startswith("# A go-live day in the past")


def test_the_journal_is_complete_in_id_order_and_its_chain_checks_out(known_day):
    journal = json.loads(export_text(known_day, "json"))["journal"]
    assert [e["id"] for e in journal] == list(range(1, 37))
    previous = GENESIS
    for e in journal:
        row = (e["id"], e["happened_at"], e["recorded_at"], e["operator"], e["action"], e["entity"],
               e["entity_id"], to_json(e["payload"]))
        assert e["prev_hash"] == previous and e["hash"] == chain_hash(previous, row, e["login"])
        previous = e["hash"]


def test_replaying_the_exported_journal_gives_the_exported_state(known_day):
    report = json.loads(export_text(known_day, "json"))
    board = replay(events_of(report["journal"]))
    state = report["state"]
    rebuilt = {"roles": list(board.roles.values()), "assignments": list(board.assignments.values()),
               "signoffs": list(board.signoffs.values()),
               "incidents": board.incident_list(), "decisions": list(board.decisions.values()),
               "audiences": list(board.audiences.values()), "kpis": list(board.kpis.values())}
    for name in STATE_ROWS:
        assert json.loads(json.dumps(rebuilt[name])) == state[name], name
    assert [s | {"attempts": board.attempts.get(s["id"], [])} for s in board.steps.values()] == state["steps"]
    assert state["hold"] is None


def test_export_then_re_read_gives_the_same_facts_as_another_export(known_day):
    first = json.loads(export_text(known_day, "json"))
    again = json.loads(export_text(known_day, "json"))
    assert first["facts"] == again["facts"] and first["state"] == again["state"]
    assert first["retrospective"]["prompts"][0].startswith("Step migrate (Migrate the orders table) ended 30m later")


def test_as_of_carries_the_board_of_that_moment_and_the_journal_up_to_it(known_day):
    report = json.loads(export_text(known_day, "json", as_of=at("21:05")))
    assert report["window"]["as_of"] == at("21:05") and report["window"]["until"] == at("21:05")
    assert all(e["happened_at"] <= at("21:05") for e in report["journal"])
    steps = {s["id"]: s["status"] for s in report["state"]["steps"]}
    assert steps["migrate"] == "failed"
    assert report["facts"]["incidents"] == [
        {"incident": "INC-1", "severity": 1, "to_mitigate": None, "to_resolve": None}]
    assert [d["kind"] for d in report["state"]["decisions"]] == ["no-go", "go", "rollback"]
