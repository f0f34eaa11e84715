"""The file itself: permissions, refusing what is not a war room, the journal's guarantees."""
import os
import sqlite3
import stat
from pathlib import Path

import pytest

from warroom.store import commands
from warroom.store.files import StoreError, network_filesystem
from warroom.store.schema import SCHEMA_VERSION
from warroom.store.store import Store

from ..conftest import tamper


def test_new_file_is_shared_with_the_group(db_path):
    assert stat.S_IMODE(os.stat(db_path).st_mode) == 0o660


def test_connection_rules(store):
    def pragma(name):
        return store.conn.execute(f"PRAGMA {name}").fetchone()[0]

    assert pragma("journal_mode") == "wal"
    assert pragma("synchronous") == 2  # FULL
    assert pragma("foreign_keys") == 1
    assert pragma("busy_timeout") >= 5000


@pytest.mark.parametrize("content", [b"hello, not a database", b"SQLite format 3\x00" + b"\x00" * 100])
def test_a_file_that_is_not_a_war_room_is_refused_and_untouched(tmp_path, content):
    path = tmp_path / "notes.db"
    path.write_bytes(content)
    with pytest.raises(StoreError, match="not a war room"):
        Store(path, "x")
    assert path.read_bytes() == content


def test_another_applications_database_is_refused_and_untouched(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match="another application"):
        Store(path, "x")
    assert path.read_bytes() == before


def test_a_newer_schema_is_refused_and_untouched(db_path):
    conn = sqlite3.connect(db_path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    before = db_path.read_bytes()
    with pytest.raises(StoreError, match="made by a newer warroom"):
        Store(db_path, "x")
    assert db_path.read_bytes() == before


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(StoreError, match="no war room here"):
        Store(tmp_path / "nope.db", "x")
    with pytest.raises(StoreError, match="is a directory"):
        Store(tmp_path, "x")


def test_the_journal_rejects_update_and_delete(store):
    for sql in ("UPDATE events SET operator='mallory'", "DELETE FROM events"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            store.conn.execute(sql)
    assert store.verify() == []


def test_a_decision_edited_behind_warrooms_back_is_named_by_verify(store):
    decision = commands.decide(store, "go", "Alice Martin", "green")["decision"]
    assert store.verify() == []
    store.conn.execute("UPDATE decisions SET rationale='other'")
    assert store.verify() == [f'state: decisions {decision}: rationale is "other", not "green" '
                              '(the journal says otherwise)']


def test_verify_finds_an_altered_event(db_path):
    with Store(db_path, "a") as store:
        commands.note(store, "first")
        commands.note(store, "second")
    tamper(db_path, "UPDATE events SET payload = replace(payload, 'first', 'FIRST') WHERE id = 2;")
    with Store(db_path, "a") as store:
        assert store.verify() == ["event 2: hash does not match its content (altered)"]


def test_verify_finds_a_deleted_event(db_path):
    with Store(db_path, "a") as store:
        for text in "abc":
            commands.note(store, text)
    tamper(db_path, "DELETE FROM events WHERE id = 3;")
    with Store(db_path, "a") as store:
        problems = store.verify()
    assert "event 4: expected id 3 (events missing)" in problems
    assert "event 4: prev_hash does not match the hash of the event before" in problems


def test_network_filesystem_detection(tmp_path):
    mounts = tmp_path / "mounts"
    mounts.write_text(f"/dev/sda1 / ext4 rw 0 0\nserver:/share {tmp_path}/net nfs4 rw 0 0\n"
                      f"sshfs#x {tmp_path}/fuse fuse.sshfs rw 0 0\n")
    assert network_filesystem(tmp_path / "net" / "w.db", str(mounts)) == "nfs4"
    assert network_filesystem(tmp_path / "fuse" / "w.db", str(mounts)) == "fuse.sshfs"
    assert network_filesystem(tmp_path / "local" / "w.db", str(mounts)) is None
    assert network_filesystem(tmp_path / "network" / "w.db", str(mounts)) is None


def test_checkpoint_truncates_the_wal(store, db_path):
    for i in range(20):
        commands.note(store, f"note {i}")
    wal = db_path.with_name(db_path.name + "-wal")
    assert wal.stat().st_size > 0
    store.checkpoint()
    assert wal.stat().st_size == 0
    assert store.query("SELECT COUNT(*) AS n FROM notes")[0]["n"] == 20


def test_a_second_store_on_a_file_open_in_this_process_leaves_sqlites_locks_alone(db_path):
    """Closing any descriptor of a file drops every POSIX lock this process holds on it, the
    shared lock by which SQLite knows the file is in use among them: opening a second Store
    (the console's export does) must not open the file itself."""
    path = db_path

    def held() -> list[str]:
        inode = os.stat(path).st_ino
        return sorted({line.split(":", 1)[1] for line in Path("/proc/locks").read_text().splitlines()
                       if f":{inode} " in line and f" {os.getpid()} " in line and "POSIX" in line})

    with Store(path, "Ann") as first:
        first.query("SELECT 1 AS x")
        before = held()
        assert before, "SQLite holds a lock on the file while a connection is open (WAL mode)"
        with Store(path, "Bob", readonly=True):
            assert held() == before
        assert held() == before
        os.close(os.open(path, os.O_RDONLY))  # what the check did: the lock goes
        assert held() == []
