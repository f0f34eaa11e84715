"""The lease that lets one `kpi watch` read at a time, on a real file and two connections."""
from __future__ import annotations

import time

from warroom.store import lease
from warroom.store.store import Store


def test_one_holder_at_a_time_until_it_releases_or_its_lease_expires(db_path):
    with Store(db_path, "a") as a, Store(db_path, "b") as b:
        assert lease.claim(a.conn, "kpi-watch", "A", 60_000) == "A"
        assert lease.claim(b.conn, "kpi-watch", "B", 60_000) == "A"
        assert lease.claim(a.conn, "kpi-watch", "A", 60_000) == "A"  # renewed
        lease.release(b.conn, "kpi-watch", "B")  # B holds nothing: A keeps it
        assert lease.claim(b.conn, "kpi-watch", "B", 60_000) == "A"
        lease.release(a.conn, "kpi-watch", "A")
        assert lease.claim(b.conn, "kpi-watch", "B", 200) == "B"
        assert lease.claim(a.conn, "kpi-watch", "A", 60_000) == "B"
        time.sleep(0.3)  # B died without a word: its lease runs out
        assert lease.claim(a.conn, "kpi-watch", "A", 60_000) == "A"
        assert lease.claim(a.conn, "other-job", "B", 60_000) == "B"  # leases are per name


def test_a_lease_is_not_journaled(db_path):
    with Store(db_path, "a") as a:
        before = a.query("SELECT COUNT(*) AS n FROM events")[0]["n"]
        lease.claim(a.conn, "kpi-watch", "A", 60_000)
        lease.release(a.conn, "kpi-watch", "A")
        assert a.query("SELECT COUNT(*) AS n FROM events")[0]["n"] == before
        assert a.verify() == []
