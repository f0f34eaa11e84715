"""Several OS processes, through the Python API and the CLI, on one file at once."""
import subprocess
import sys
from pathlib import Path

from warroom.store.store import Store

WRITER = Path(__file__).with_name("writer.py")


def spawn_writer(db, operator, count):
    return subprocess.Popen([sys.executable, str(WRITER), str(db), operator, str(count)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def spawn_cli(db, operator, count):
    script = "; ".join(
        f"{sys.executable} -m warroom --db {db} --as {operator} incident open '{operator} cli {i}' --sev 2"
        for i in range(count))
    return subprocess.Popen(["bash", "-ec", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_processes_writing_at_once_lose_nothing(db_path):
    api = [spawn_writer(db_path, f"api{n}", 60) for n in range(6)]
    cli = [spawn_cli(db_path, f"cli{n}", 8) for n in range(3)]
    for proc in api + cli:
        _out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    with Store(db_path, "checker") as store:
        incidents = store.query("SELECT number, ref, title FROM incidents ORDER BY number")
        notes = store.query("SELECT text FROM notes")
        events = store.query("SELECT COUNT(*) AS n FROM events")[0]["n"]
        problems = store.verify()
    api_incidents = 6 * 20  # every third of 60 commands
    assert len(incidents) == api_incidents + 3 * 8
    assert [i["number"] for i in incidents] == list(range(1, len(incidents) + 1))
    assert len({i["ref"] for i in incidents}) == len(incidents)
    assert len(notes) == 6 * 40
    assert len({n["text"] for n in notes}) == len(notes)
    assert events == 1 + 6 * 60 + 3 * 8
    assert problems == []
