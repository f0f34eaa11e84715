"""Writers killed with SIGKILL at random moments: every acknowledged write survives, nothing
is half-written, the chain verifies."""
import random
import signal
import time

from warroom.store.store import Store

from .test_concurrency import spawn_writer

ROUNDS = 24


def test_sigkilled_writers_lose_no_acknowledged_write(db_path):
    rng = random.Random(20261124)
    acknowledged: list[str] = []
    for round_ in range(ROUNDS):
        writers = [spawn_writer(db_path, f"r{round_}w{n}", 10_000) for n in range(3)]
        acknowledged += [proc.stdout.readline() for proc in writers]  # each is writing (however busy the machine)
        time.sleep(rng.uniform(0, 0.5))
        for proc in writers:
            proc.send_signal(signal.SIGKILL)
        for proc in writers:
            acknowledged += proc.stdout.read().splitlines()  # through the buffer readline filled
            proc.communicate()
    acknowledged = [line.strip() for line in acknowledged if line.strip()]
    assert len(acknowledged) > 3 * ROUNDS  # the writers did get work done before each kill
    with Store(db_path, "checker") as store:
        notes = {r["text"] for r in store.query("SELECT text FROM notes")}
        incidents = {r["title"]: r["ref"] for r in store.query("SELECT title, ref FROM incidents")}
        entities = store.query("SELECT COUNT(*) AS n FROM events WHERE action IN ('note', 'incident.open')")[0]["n"]
        assert store.verify() == []
    for line in acknowledged:
        kind, ident, text = line.split(" ", 2)
        if kind == "note":
            assert text in notes
        else:
            assert incidents.get(text) == ident
    # one event per state row: nothing half-written in either direction
    assert entities == len(notes) + len(incidents)
