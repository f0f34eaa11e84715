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
