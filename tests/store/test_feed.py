"""The change feed sees every commit, from this process or another, and hands over deltas."""
import subprocess
import sys

from warroom.store import commands
from warroom.store.feed import ChangeFeed


def test_feed_notices_commits_and_reads_the_delta(store, db_path):
    feed = ChangeFeed(db_path)
    try:
        assert feed.changed() is False
        start = feed.last_event_id()
        commands.step(store, "start", "prepare")
        commands.open_incident(store, "Checkout 500s", 2)
        assert feed.changed() is True
        assert feed.changed() is False  # once per change
        events = feed.events_after(start)
        assert [e["action"] for e in events] == ["step.start", "incident.open"]
        rows = feed.rows_after(start)
        assert set(rows) == {"steps", "incidents"}
        assert rows["steps"][0]["id"] == "prepare" and rows["steps"][0]["status"] == "in_progress"
        assert rows["incidents"][0]["ref"] == "INC-1"
        assert feed.rows_after(events[-1]["id"]) == {}
        assert [e["id"] for e in feed.events_after(start, limit=1)] == [events[0]["id"]]
    finally:
        feed.close()


def test_feed_notices_another_process(db_path):
    feed = ChangeFeed(db_path)
    try:
        feed.changed()
        subprocess.run([sys.executable, "-m", "warroom", "--db", str(db_path), "--as", "bob",
                        "note", "from another process"], check=True, capture_output=True)
        assert feed.changed() is True
        assert feed.events_after(1)[-1]["operator"] == "bob"
    finally:
        feed.close()
