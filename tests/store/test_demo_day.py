"""The demo day replays through the real commands and tells a coherent story."""
from warroom.demo_day import MINUTE, create_demo
from warroom.store import queries
from warroom.store.store import Store

NOW = 1_795_204_800_000  # a fixed instant in the past: 2026-11-20 21:00 Paris


def test_live_demo_stands_mid_ramp(tmp_path):
    path = tmp_path / "demo.db"
    create_demo(path, "Léo Petitjean", now=NOW, minute=170)
    with Store(path, "x") as store:
        status = queries.status(store, now=NOW)
        golive = int(store.meta()["golive"])
        incidents = store.query("SELECT ref, severity, status, opened_at, mitigated_at FROM incidents ORDER BY number")
        operators = {r["operator"] for r in store.query("SELECT DISTINCT operator FROM events")}
        assert store.verify() == []
    assert golive == NOW - 170 * MINUTE
    assert status["phase"] == "day" and status["hold"] is None
    assert set(status["in_progress"]) == {"ramp-25", "watch-ramp"}
    assert [(i["ref"], i["severity"], i["status"]) for i in incidents] == [
        ("INC-1", 1, "resolved"), ("INC-2", 3, "investigating")]
    assert incidents[0]["mitigated_at"] - incidents[0]["opened_at"] == 12 * MINUTE
    assert {"Joaquín Ortega Ruiz", "Léo Petitjean", "Chloé Dubois-Ferrand"} <= operators
    assert all(e <= NOW for e in (i["opened_at"] for i in incidents))


def test_whole_demo_day_ends_with_the_night_hand_over(tmp_path):
    path = tmp_path / "demo.db"
    create_demo(path, "Léo Petitjean", now=NOW, minute=2000)
    with Store(path, "x") as store:
        holders = store.query("SELECT person, ended_at FROM assignments WHERE role='sre' ORDER BY id")
        decisions = store.query("SELECT kind, decided_by FROM decisions ORDER BY id")
    assert [h["person"] for h in holders] == ["Zoé Lefèvre", "Mateusz Kowalczyk"]
    assert holders[0]["ended_at"] is not None and holders[1]["ended_at"] is None
    assert [d["kind"] for d in decisions] == ["go", "go", "go"]


def test_the_demo_has_a_rehearsal_attached_that_practised_the_rollback(tmp_path):
    path, rehearsal = tmp_path / "demo.db", tmp_path / "demo-rehearsal.db"
    create_demo(path, "Léo Petitjean", now=NOW, minute=170, rehearsal=rehearsal)
    with Store(rehearsal, "x") as store:
        assert store.meta()["rehearsal"] == "1" and store.verify() == []
        measured = queries.measured_durations(store)
        rolled_back = store.query("SELECT id FROM steps WHERE contingency = 1 AND status = 'done' ORDER BY position")
    assert measured["db-migration"] == 32 * MINUTE  # planned 20m, rehearsed 1.6 times as long
    assert [r["id"] for r in rolled_back] == ["rb-announce", "rb-flag-off", "rb-maintenance-on", "rb-redeploy-v411",
                                             "rb-verify", "rb-maintenance-off"]
    with Store(path, "x") as store:
        assert store.verify() == []
        forecast = queries.status(store, now=NOW)["forecast"]
    # the rollback runbook as rehearsed: 5 + 5 + 10 + 35 (25 x 1.4) + 12 (15 x 0.8) + 5 = 72 minutes, but the
    # migration is undone (20m) once v4.11 is redeployed, 55 minutes in: 75
    assert forecast["backout_minutes"] == 75 and forecast["critical_path"][0] == "ramp-25"
