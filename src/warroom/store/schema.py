"""The war room's tables, one migration per schema version.

`rev` on a mutable row is the id of the journal event that last changed it, so "rows with
rev > R" finds everything the events after R touched, across every table.
"""

APPLICATION_ID = 0x57524D31  # 'WRM1': marks a SQLite file as a war room
_V1_TABLES = (
    "meta", "roles", "assignments", "steps", "signoffs", "risks", "incidents",
    "incident_updates", "decisions", "audiences", "messages", "kpis", "kpi_readings", "notes",
)
TABLES_WITH_REV = (*_V1_TABLES, "followups")

_V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT, rev INTEGER NOT NULL);
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    happened_at INTEGER NOT NULL,
    recorded_at INTEGER NOT NULL,
    operator TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT,
    payload TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX events_happened ON events(happened_at, id);
CREATE INDEX events_entity ON events(entity, entity_id, id);
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'the events journal is append-only: no UPDATE'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'the events journal is append-only: no DELETE'); END;

CREATE TABLE roles (
    key TEXT PRIMARY KEY, position INTEGER NOT NULL, title TEXT NOT NULL,
    responsibilities TEXT NOT NULL, may_decide_rollback INTEGER NOT NULL, rev INTEGER NOT NULL
);
CREATE TABLE assignments (
    id INTEGER PRIMARY KEY, role TEXT NOT NULL REFERENCES roles(key), person TEXT NOT NULL,
    contact TEXT NOT NULL, started_at INTEGER NOT NULL, ended_at INTEGER,
    recorded_at INTEGER NOT NULL, rev INTEGER NOT NULL
);
CREATE TABLE steps (
    id TEXT PRIMARY KEY, position INTEGER NOT NULL, title TEXT NOT NULL, phase TEXT NOT NULL,
    kind TEXT NOT NULL, owner TEXT NOT NULL REFERENCES roles(key),
    planned_start INTEGER NOT NULL, planned_duration INTEGER NOT NULL,
    depends_on TEXT NOT NULL, critical INTEGER NOT NULL, instructions TEXT NOT NULL,
    signoff_roles TEXT NOT NULL, status TEXT NOT NULL, started_at INTEGER, ended_at INTEGER,
    reason TEXT, forced INTEGER NOT NULL DEFAULT 0, rev INTEGER NOT NULL
);
CREATE TABLE signoffs (
    id INTEGER PRIMARY KEY, gate TEXT NOT NULL REFERENCES steps(id),
    role TEXT NOT NULL REFERENCES roles(key), verdict TEXT NOT NULL, signed_by TEXT NOT NULL,
    comment TEXT NOT NULL, happened_at INTEGER NOT NULL, recorded_at INTEGER NOT NULL,
    rev INTEGER NOT NULL
);
CREATE TABLE risks (
    id TEXT PRIMARY KEY, position INTEGER NOT NULL, title TEXT NOT NULL,
    likelihood INTEGER NOT NULL, impact INTEGER NOT NULL, criticality TEXT NOT NULL,
    mitigation TEXT NOT NULL, owner TEXT REFERENCES roles(key), steps TEXT NOT NULL,
    status TEXT NOT NULL, incident TEXT, rev INTEGER NOT NULL
);
CREATE TABLE incidents (
    number INTEGER PRIMARY KEY, ref TEXT NOT NULL UNIQUE, title TEXT NOT NULL,
    severity INTEGER NOT NULL, status TEXT NOT NULL, owner TEXT REFERENCES roles(key),
    step TEXT REFERENCES steps(id), risk TEXT REFERENCES risks(id),
    opened_at INTEGER NOT NULL, mitigated_at INTEGER, resolved_at INTEGER,
    opened_by TEXT NOT NULL, recorded_at INTEGER NOT NULL, rev INTEGER NOT NULL
);
CREATE TABLE incident_updates (
    id INTEGER PRIMARY KEY, incident INTEGER NOT NULL REFERENCES incidents(number),
    status TEXT NOT NULL, severity INTEGER NOT NULL, note TEXT NOT NULL,
    operator TEXT NOT NULL, happened_at INTEGER NOT NULL, recorded_at INTEGER NOT NULL,
    rev INTEGER NOT NULL
);
CREATE TABLE decisions (
    id INTEGER PRIMARY KEY, kind TEXT NOT NULL, decided_by TEXT NOT NULL,
    recorded_by TEXT NOT NULL, rationale TEXT NOT NULL, step TEXT REFERENCES steps(id),
    incident TEXT REFERENCES incidents(ref), forced INTEGER NOT NULL,
    supersedes INTEGER REFERENCES decisions(id),
    happened_at INTEGER NOT NULL, recorded_at INTEGER NOT NULL, rev INTEGER NOT NULL
);
CREATE TRIGGER decisions_no_update BEFORE UPDATE ON decisions
BEGIN SELECT RAISE(ABORT, 'decisions are never edited: record a new one'); END;
CREATE TRIGGER decisions_no_delete BEFORE DELETE ON decisions
BEGIN SELECT RAISE(ABORT, 'decisions are never edited: record a new one'); END;
CREATE TABLE audiences (
    key TEXT PRIMARY KEY, position INTEGER NOT NULL, title TEXT NOT NULL,
    channel TEXT NOT NULL, cadence TEXT NOT NULL, rev INTEGER NOT NULL
);
CREATE TABLE messages (
    id INTEGER PRIMARY KEY, audience TEXT NOT NULL REFERENCES audiences(key),
    channel TEXT NOT NULL, text TEXT NOT NULL, status TEXT NOT NULL, operator TEXT NOT NULL,
    happened_at INTEGER NOT NULL, sent_at INTEGER, recorded_at INTEGER NOT NULL,
    rev INTEGER NOT NULL
);
CREATE TABLE kpis (
    key TEXT PRIMARY KEY, position INTEGER NOT NULL, name TEXT NOT NULL, unit TEXT NOT NULL,
    baseline REAL NOT NULL, target REAL NOT NULL, better TEXT NOT NULL, rev INTEGER NOT NULL
);
CREATE TABLE kpi_readings (
    id INTEGER PRIMARY KEY, kpi TEXT NOT NULL REFERENCES kpis(key), value REAL NOT NULL,
    operator TEXT NOT NULL, happened_at INTEGER NOT NULL, recorded_at INTEGER NOT NULL,
    rev INTEGER NOT NULL
);
CREATE TABLE notes (
    id INTEGER PRIMARY KEY, text TEXT NOT NULL, tags TEXT NOT NULL, operator TEXT NOT NULL,
    happened_at INTEGER NOT NULL, recorded_at INTEGER NOT NULL, rev INTEGER NOT NULL
);
""" + "".join(f"CREATE INDEX {t}_rev ON {t}(rev);\n" for t in _V1_TABLES)

# the facts typed after others that happened later, and the latest time known then
LATE_ENTRIES = """SELECT id, latest FROM (SELECT id, happened_at, MAX(happened_at) OVER (ORDER BY id
    ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS latest FROM events WHERE action != 'init')
    WHERE happened_at < latest"""

# Version 2: each event records the OS login of the process that wrote it (`login`, in the
# hash); the state tables become the reducer's output (domain/reducer.py), rebuilt from
# the journal by the migration: rows an event made take its id, decisions may be re-folded
# (a decision typed late supersedes another), removed rows are announced to the consoles,
# `effects` holds what each event led to (from -> to), as the fold saw it, and `late_entries`
# the facts typed after others that happened later (with the latest time known then). An
# event without a login was recorded before these rules: it is kept as it was accepted.
_V2 = """
ALTER TABLE events ADD COLUMN login TEXT;
DROP TRIGGER decisions_no_update;
DROP TRIGGER decisions_no_delete;
ALTER TABLE signoffs ADD COLUMN forced INTEGER NOT NULL DEFAULT 0;
ALTER TABLE incident_updates ADD COLUMN title TEXT;
CREATE INDEX events_action ON events(action);
CREATE TABLE removed (tbl TEXT NOT NULL, key TEXT NOT NULL, rev INTEGER NOT NULL);
CREATE INDEX removed_rev ON removed(rev);
CREATE TABLE effects (event INTEGER PRIMARY KEY, effect TEXT NOT NULL, rev INTEGER NOT NULL);
CREATE INDEX effects_rev ON effects(rev);
CREATE TABLE late_entries (event INTEGER PRIMARY KEY, latest INTEGER NOT NULL);
INSERT INTO late_entries (event, latest) """ + LATE_ENTRIES + """;
"""

# Version 3: the plan says what undoing each step takes (its backout steps or duration),
# which steps run only if needed (contingency: invoked by a rollback decision or when
# started), which step is the point of no return, and the targets a step is done on one by
# one (target_state: target -> done / failed); steps added on the day are `unplanned`.
_V3 = """
ALTER TABLE steps ADD COLUMN backout TEXT NOT NULL DEFAULT '[]';
ALTER TABLE steps ADD COLUMN backout_duration INTEGER;
ALTER TABLE steps ADD COLUMN contingency INTEGER NOT NULL DEFAULT 0;
ALTER TABLE steps ADD COLUMN point_of_no_return INTEGER NOT NULL DEFAULT 0;
ALTER TABLE steps ADD COLUMN targets TEXT NOT NULL DEFAULT '[]';
ALTER TABLE steps ADD COLUMN target_state TEXT NOT NULL DEFAULT '{}';
ALTER TABLE steps ADD COLUMN invoked INTEGER NOT NULL DEFAULT 0;
ALTER TABLE steps ADD COLUMN unplanned INTEGER NOT NULL DEFAULT 0;
"""

# Version 4: the after-phase. A KPI's baseline may be left to its readings before H, and its
# readings may come from a `source` command, which fails with an `error` (never a number): the
# kpis and kpi_readings tables are made anew (a NOT NULL cannot be dropped in place), the
# readings first, as they refer to the KPIs. A gate may wait for the KPIs to be measurable
# (kpis_ready); a check step is passed with its evidence; follow-ups are new. `leases` says
# which `kpi watch` reads the sources (not journaled: it is who works, not what happened).
_V4 = """
CREATE TABLE kpi_readings_v3 AS SELECT * FROM kpi_readings;
DROP TABLE kpi_readings;
CREATE TABLE kpis_v4 (
    key TEXT PRIMARY KEY, position INTEGER NOT NULL, name TEXT NOT NULL, unit TEXT NOT NULL,
    baseline REAL, target REAL NOT NULL, better TEXT NOT NULL, source TEXT, rev INTEGER NOT NULL
);
INSERT INTO kpis_v4 (key, position, name, unit, baseline, target, better, rev)
    SELECT key, position, name, unit, baseline, target, better, rev FROM kpis;
DROP TABLE kpis;
ALTER TABLE kpis_v4 RENAME TO kpis;
CREATE TABLE kpi_readings (
    id INTEGER PRIMARY KEY, kpi TEXT NOT NULL REFERENCES kpis(key), value REAL, error TEXT,
    operator TEXT NOT NULL, happened_at INTEGER NOT NULL, recorded_at INTEGER NOT NULL,
    rev INTEGER NOT NULL, CHECK ((value IS NULL) <> (error IS NULL))
);
INSERT INTO kpi_readings (id, kpi, value, operator, happened_at, recorded_at, rev)
    SELECT id, kpi, value, operator, happened_at, recorded_at, rev FROM kpi_readings_v3;
DROP TABLE kpi_readings_v3;
CREATE INDEX kpis_rev ON kpis(rev);
CREATE INDEX kpi_readings_rev ON kpi_readings(rev);
CREATE INDEX kpi_readings_kpi ON kpi_readings(kpi, happened_at);
ALTER TABLE steps ADD COLUMN kpis_ready INTEGER NOT NULL DEFAULT 0;
ALTER TABLE steps ADD COLUMN evidence TEXT;
CREATE TABLE followups (
    number INTEGER PRIMARY KEY, ref TEXT NOT NULL UNIQUE, title TEXT NOT NULL,
    owner TEXT NOT NULL REFERENCES roles(key), due INTEGER, priority TEXT NOT NULL,
    incident TEXT REFERENCES incidents(ref), step TEXT REFERENCES steps(id), status TEXT NOT NULL,
    note TEXT, opened_by TEXT NOT NULL, opened_at INTEGER NOT NULL, closed_by TEXT, closed_at INTEGER,
    recorded_at INTEGER NOT NULL, rev INTEGER NOT NULL
);
CREATE INDEX followups_rev ON followups(rev);
CREATE TABLE leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at INTEGER NOT NULL);
"""

# Version 5: the browser. `accounts` are who may log in to `warroom serve`: a salted hash of
# each password (argon2), never the password; `status_links` hold the sha256 of each
# audience's status-page token, never the token. Both are kept out of the journal, which
# records who was added, removed or had a link rotated, without the secret.
_V5 = """
CREATE TABLE accounts (
    name TEXT PRIMARY KEY, role TEXT REFERENCES roles(key), hash TEXT NOT NULL,
    created_at INTEGER NOT NULL, failures INTEGER NOT NULL DEFAULT 0, last_failure INTEGER
);
ALTER TABLE audiences ADD COLUMN details INTEGER NOT NULL DEFAULT 0;
CREATE TABLE status_links (
    audience TEXT PRIMARY KEY REFERENCES audiences(key), token_sha256 TEXT NOT NULL, created_at INTEGER NOT NULL
);
"""

# the columns that hold JSON, by table
JSON_COLUMNS = {"kpis": ("source",), "steps": ("depends_on", "signoff_roles", "backout", "targets", "target_state"),
                "risks": ("steps",), "audiences": ("cadence",), "notes": ("tags",), "effects": ("effect",)}

# MIGRATIONS[n] takes a file from schema version n to n + 1; after the SQL, the state
# tables are rebuilt from the journal when the version brings new rules (REFOLD_AT).
MIGRATIONS: list[str] = [_V1, _V2, _V3, _V4, _V5]
REFOLD_AT = 2
SCHEMA_VERSION = len(MIGRATIONS)
