"""The war room is the fold of its journal ordered by (happened_at, id), whatever order the
facts were typed in: a backdated fact is judged against the war room as it stood at its own
time and against the facts that come after it, and corrections (moved, retracted, reopened)
are new events that the fold applies.

Written against the Python API (warroom.store.commands); tests/cli/test_corrections.py says
the same through the command line. The day is tests/fixtures/repro.yaml: go-live
2026-11-30 09:30 UTC, d8 (H-1d, 30m) -> gate (H-15m, sign-offs rm and ops) -> live (H).
Ann holds rm, Bob holds ops."""
from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import Phase, example, given, settings
from hypothesis import strategies as st

from warroom.cli import main
from warroom.domain import timefmt
from warroom.domain.rules import RuleError
from warroom.plan import load_plan
from warroom.store import commands, queries
from warroom.store.store import Store

REPRO = Path(__file__).parent.parent / "fixtures" / "repro.yaml"
MIN = 60_000


def T(iso: str) -> int:
    """An ISO time in UTC (the war room's zone), as ms since the epoch."""
    return timefmt.to_ms(datetime.fromisoformat(iso).replace(tzinfo=UTC))


INIT_AT = T("2026-11-28T09:00")


# -- reading a war room back ---------------------------------------------------------------
def cli(db_path: Path, *args: str, who: str = "Auditor"):
    return CliRunner().invoke(main, ["--db", str(db_path), "--as", who, *args])


def journal(db_path: Path) -> list[dict]:
    with Store(db_path, "Auditor") as store:
        return store.query("SELECT * FROM events ORDER BY id")


def rows(db_path: Path, sql: str, params=()) -> list[dict]:
    with Store(db_path, "Auditor") as store:
        return store.query(sql, params)


def one(db_path: Path, sql: str, params=()) -> dict:
    found = rows(db_path, sql, params)
    assert len(found) == 1, found
    return found[0]


def export_json(db_path: Path, *options: str) -> dict:
    result = cli(db_path, "export", "--format", "json", *options)
    assert result.exit_code == 0, result.stderr or result.output
    return json.loads(result.output)


def export_md(db_path: Path) -> str:
    result = cli(db_path, "export", "--format", "md")
    assert result.exit_code == 0, result.stderr or result.output
    return re.sub(r"\\(.)", r"\1", result.output)  # Markdown escapes removed, as a reader sees it


def timeline(db_path: Path) -> list[str]:
    """The lines of the Markdown report's timeline (- HH:MM UTC · operator · what)."""
    lines = export_md(db_path).splitlines()
    start = lines.index("## Timeline")
    section = []
    for line in lines[start + 1:]:
        if line.startswith("## "):
            break
        if line.startswith("- "):
            section.append(line)
    return section


def timeline_line(db_path: Path, hhmm: str, contains: str) -> str:
    found = [line for line in timeline(db_path) if line.startswith(f"- {hhmm} UTC") and contains in line]
    assert len(found) == 1, (hhmm, contains, timeline(db_path))
    return found[0]


def timeless(status: dict) -> dict:
    """A status without the instants counted from the moment it was asked (the forecast's
    finish and backout end, for a day whose steps still wait)."""
    forecast = {k: v for k, v in status["forecast"].items() if k not in ("finish", "backout_end")}
    return status | {"forecast": forecast}


def status_json(db_path: Path) -> dict:
    result = cli(db_path, "status", "--json")
    assert result.exit_code == 0, result.stderr or result.output
    return json.loads(result.output)


# -- the fold check --------------------------------------------------------------------------
# The columns where the state tables and the board the export rebuilds from the journal must
# agree (both are the fold of the journal in time order).
FOLD_COLUMNS = {
    "steps": ("id", "status", "started_at", "ended_at", "forced"),
    "incidents": ("ref", "title", "severity", "status", "opened_at", "mitigated_at", "resolved_at"),
    "assignments": ("role", "person", "started_at", "ended_at"),
    "signoffs": ("gate", "role", "verdict", "signed_by", "happened_at"),
    "decisions": ("kind", "decided_by", "rationale", "happened_at"),
}


def _pick(row: dict, columns) -> dict:
    return {c: row[c] for c in columns}


def _sorted(items: list[dict]) -> list[dict]:
    return sorted(items, key=lambda r: json.dumps(r, sort_keys=True, default=str))


def assert_fold_matches(db_path: Path, exported: dict | None = None) -> None:
    """The state tables are the fold of the journal: `warroom verify` (integrity, hash chain
    and, once the core is rebuilt, the tables against a fold of the journal) exits 0, and the
    board the JSON export rebuilds from the journal (`exported`, if the caller has it already)
    agrees with the tables."""
    result = cli(db_path, "verify", "--json")
    assert result.exit_code == 0, result.output + result.stderr
    assert json.loads(result.output)["ok"] is True
    state = (exported or export_json(db_path))["state"]
    with Store(db_path, "Auditor") as store:
        assert (store.meta().get("hold") or None) == state["hold"]
        for table, columns in FOLD_COLUMNS.items():
            in_tables = [_pick(r, columns) for r in store.query(f"SELECT * FROM {table}")]
            folded = [_pick(r, columns) for r in state[table]]
            assert _sorted(in_tables) == _sorted(folded), f"{table}: tables and fold of the journal differ"


# -- a war room on the repro plan ------------------------------------------------------------
def create_room(path: Path, at: int | None = INIT_AT) -> Path:
    with Store.create(path, "Ann") as store:
        commands.init(store, load_plan(REPRO), at=at)
    return path


@pytest.fixture
def room(tmp_path: Path) -> Path:
    return create_room(tmp_path / "repro.db")


@pytest.fixture
def ann(room: Path):
    with Store(room, "Ann") as store:
        yield store


@pytest.fixture
def bob(room: Path):
    with Store(room, "Bob") as store:
        yield store


def d8_done(bob: Store) -> None:
    commands.step(bob, "start", "d8", at=T("2026-11-29T09:30"))
    commands.step(bob, "done", "d8", at=T("2026-11-29T10:00"))


def gate_passed(ann: Store, bob: Store) -> None:
    d8_done(bob)
    commands.signoff(ann, "gate", "rm", "go", at=T("2026-11-30T08:50"))
    commands.signoff(bob, "gate", "ops", "go", at=T("2026-11-30T08:55"))


def forced_on_record(db_path: Path, event_id: int, *state_rows: dict) -> bool:
    """Whether the journal (the event's payload) or the state rows say it was forced."""
    payload = json.loads(journal(db_path)[event_id - 1]["payload"])
    return bool(payload.get("forced") or payload.get("force") or any(r.get("forced") for r in state_rows))


def step_row(db_path: Path, step_id: str) -> dict:
    return one(db_path, "SELECT * FROM steps WHERE id=?", (step_id,))


def incident_row(db_path: Path, ref: str = "INC-1") -> dict:
    return one(db_path, "SELECT * FROM incidents WHERE ref=?", (ref,))


# -- 1. a backdated severity change -----------------------------------------------------------
def test_a_backdated_severity_change_takes_its_place_in_time(room, ann):
    commands.open_incident(ann, "Checkout errors", 3, at=T("2026-11-30T09:40"))
    commands.update_incident(ann, "INC-1", severity=1, at=T("2026-11-30T10:20"))
    result = commands.update_incident(ann, "INC-1", severity=2, at=T("2026-11-30T10:00"))
    assert result["event"] == journal(room)[-1]["id"]
    assert incident_row(room)["severity"] == 1  # the 10:20 update is the latest in time
    updates = rows(room, "SELECT happened_at, severity FROM incident_updates ORDER BY happened_at")
    assert updates == [{"happened_at": T("2026-11-30T10:00"), "severity": 2},
                       {"happened_at": T("2026-11-30T10:20"), "severity": 1}]
    assert "SEV3 → SEV2" in timeline_line(room, "10:00", "INC-1 update")
    assert "SEV2 → SEV1" in timeline_line(room, "10:20", "INC-1 update")
    assert [i["severity"] for i in export_json(room)["state"]["incidents"]] == [1]
    assert_fold_matches(room)


# -- 2. a backdated status change ----------------------------------------------------------------
def test_a_mitigation_typed_after_the_resolution_it_preceded_is_accepted(room, ann):
    commands.open_incident(ann, "Checkout errors", 2, at=T("2026-11-30T09:40"))
    commands.update_incident(ann, "INC-1", status="resolved", at=T("2026-11-30T11:00"))
    commands.update_incident(ann, "INC-1", status="mitigated", at=T("2026-11-30T10:50"))
    row = incident_row(room)
    assert (row["status"], row["mitigated_at"], row["resolved_at"]) == (
        "resolved", T("2026-11-30T10:50"), T("2026-11-30T11:00"))
    facts = export_json(room)["facts"]["incidents"]
    assert [_pick(i, ("incident", "to_mitigate", "to_resolve")) for i in facts] == [
        {"incident": "INC-1", "to_mitigate": 70 * MIN, "to_resolve": 80 * MIN}]
    assert_fold_matches(room)


# -- 3. rules are judged at the event's time ---------------------------------------------------
def test_a_step_started_before_a_later_hold_is_accepted(room, ann, bob):
    commands.decide(ann, "hold", "Ann", "x", at=T("2026-11-30T10:30"))
    commands.step(bob, "start", "d8", at=T("2026-11-29T08:40"))  # no hold at that time
    row = step_row(room, "d8")
    assert (row["status"], row["started_at"]) == ("in_progress", T("2026-11-29T08:40"))
    assert "hold" in ann.meta()["hold"]  # the 10:30 hold is in force now
    assert_fold_matches(room)


def test_a_backdated_hold_that_a_later_start_contradicts_is_refused(room, ann, bob):
    gate_passed(ann, bob)
    live = commands.step(bob, "start", "live", at=T("2026-11-30T09:40"))["event"]
    before = journal(room)
    with pytest.raises(RuleError, match=rf"(#{live}|event {live})\b"):
        commands.decide(ann, "hold", "Ann", "x", at=T("2026-11-30T09:00"))
    assert journal(room) == before
    assert rows(room, "SELECT * FROM decisions") == [] and ann.meta()["hold"] == ""
    assert_fold_matches(room)


# -- 4. the gate and its dependencies ---------------------------------------------------------------
def test_a_gate_cannot_pass_while_its_dependency_is_pending_unless_forced(room, ann, bob):
    commands.signoff(ann, "gate", "rm", "go", at=T("2026-11-30T09:10"))
    before = journal(room)
    with pytest.raises(RuleError, match="d8"):
        commands.signoff(bob, "gate", "ops", "go", at=T("2026-11-30T09:12"))
    with pytest.raises(RuleError):
        commands.signoff(bob, "gate", "ops", "go", force=True, at=T("2026-11-30T09:12"))  # no reason
    assert journal(room) == before
    result = commands.signoff(bob, "gate", "ops", "go", note="d8 checked by hand", force=True,
                              at=T("2026-11-30T09:12"))
    gate = step_row(room, "gate")
    assert (gate["status"], gate["ended_at"]) == ("done", T("2026-11-30T09:12"))
    assert journal(room)[-1]["id"] == result["event"]
    assert forced_on_record(room, result["event"], gate)
    assert_fold_matches(room)


def test_a_gate_opens_and_passes_at_its_signoffs_times_whatever_their_entry_order(room, ann, bob):
    d8_done(bob)
    commands.signoff(bob, "gate", "ops", "go", at=T("2026-11-30T09:18"))
    commands.signoff(ann, "gate", "rm", "go", at=T("2026-11-30T09:15"))
    gate = step_row(room, "gate")
    assert (gate["status"], gate["started_at"], gate["ended_at"]) == (
        "done", T("2026-11-30T09:15"), T("2026-11-30T09:18"))
    assert [(g["gate"], g["state"]) for g in export_json(room)["facts"]["gates"]] == [("gate", "passed")]
    assert_fold_matches(room)


# -- 5. who may sign for a role ------------------------------------------------------------------------
def test_signing_for_a_role_held_by_someone_else_needs_force_and_a_reason(room, ann, bob):
    d8_done(bob)
    before = journal(room)
    with pytest.raises(RuleError, match="rm"):
        commands.signoff(bob, "gate", "rm", "go", at=T("2026-11-30T09:15"))
    with pytest.raises(RuleError):
        commands.signoff(bob, "gate", "rm", "go", force=True, at=T("2026-11-30T09:15"))
    assert journal(room) == before
    signed = commands.signoff(bob, "gate", "rm", "go", note="Ann unreachable, by phone", force=True,
                              at=T("2026-11-30T09:15"))
    signoffs = rows(room, "SELECT * FROM signoffs")
    assert [(s["role"], s["signed_by"]) for s in signoffs] == [("rm", "Bob")]
    assert forced_on_record(room, signed["event"], *signoffs)
    assert_fold_matches(room)


# -- 6. time to mitigate --------------------------------------------------------------------------------
def test_time_to_mitigate_runs_to_the_last_mitigation_after_a_reopening(room, ann):
    commands.open_incident(ann, "Checkout errors", 2, at=T("2026-11-30T09:31"))
    commands.update_incident(ann, "INC-1", status="mitigated", at=T("2026-11-30T10:04"))
    commands.update_incident(ann, "INC-1", status="investigating", note="back", at=T("2026-11-30T10:07"))
    commands.update_incident(ann, "INC-1", status="mitigated", at=T("2026-11-30T10:15"))
    assert incident_row(room)["mitigated_at"] == T("2026-11-30T10:15")
    facts = export_json(room)["facts"]
    assert facts["incidents"][0]["to_mitigate"] == 44 * MIN
    assert facts["incidents_by_severity"][0]["to_mitigate"] == [44 * MIN]
    assert_fold_matches(room)


# -- 7. when the plan's holders took their roles ----------------------------------------------------------
def test_plan_holders_start_at_init_time_and_a_backdated_hand_over_ends_them(room, ann):
    commands.assign(ann, "ops", "Carol", at=T("2026-11-29T12:00"))
    ops = rows(room, "SELECT person, started_at, ended_at FROM assignments WHERE role='ops' ORDER BY started_at")
    assert ops == [{"person": "Bob", "started_at": INIT_AT, "ended_at": T("2026-11-29T12:00")},
                   {"person": "Carol", "started_at": T("2026-11-29T12:00"), "ended_at": None}]
    assert_fold_matches(room)


def test_without_an_init_time_plan_holders_start_at_the_earliest_planned_start(tmp_path):
    path = create_room(tmp_path / "now.db", at=None)  # recorded now, after the plan's start
    holders = rows(path, "SELECT role, person, started_at FROM assignments ORDER BY role")
    assert holders == [{"role": "ops", "person": "Bob", "started_at": T("2026-11-29T09:30")},
                       {"role": "rm", "person": "Ann", "started_at": T("2026-11-29T09:30")}]
    with Store(path, "Ann") as ann:
        commands.assign(ann, "ops", "Carol", at=T("2026-11-29T12:00"))
    assert one(path, "SELECT started_at, ended_at FROM assignments WHERE person='Bob'") == {
        "started_at": T("2026-11-29T09:30"), "ended_at": T("2026-11-29T12:00")}
    assert_fold_matches(path)


# -- 8. corrections ---------------------------------------------------------------------------------------
def test_correct_moves_an_event_and_keeps_the_original(room, ann, bob):
    start = commands.step(bob, "start", "d8", at=T("2026-11-29T09:40"))["event"]
    original = journal(room)[start - 1]
    result = commands.correct(ann, start, T("2026-11-29T09:35"), "Bob's clock was 5 minutes fast")
    correction = result["event"]
    assert correction == journal(room)[-1]["id"] and correction > start
    assert journal(room)[start - 1] == original  # the journal is never edited
    assert step_row(room, "d8")["started_at"] == T("2026-11-29T09:35")
    assert [a["started_at"] for a in next(s for s in export_json(room)["state"]["steps"]
                                          if s["id"] == "d8")["attempts"]] == [T("2026-11-29T09:35")]
    marks = (f"corrected by #{correction}", "d8", "Ann", "Bob's clock was 5 minutes fast")
    assert any(all(mark in line for mark in marks) for line in timeline(room)), timeline(room)
    assert_fold_matches(room)


def test_retracting_an_incident_update_removes_its_effect(room, ann):
    commands.open_incident(ann, "Checkout errors", 3, at=T("2026-11-30T09:40"))
    update = commands.update_incident(ann, "INC-1", severity=1, at=T("2026-11-30T10:00"))["event"]
    commands.retract(ann, update, "typed on the wrong incident")
    assert incident_row(room)["severity"] == 3
    assert export_json(room)["state"]["incidents"][0]["severity"] == 3
    assert_fold_matches(room)


def test_retracting_a_decision_takes_it_out_of_force(room, ann):
    commands.decide(ann, "go", "Ann", "all green", at=T("2026-11-30T10:00"))
    hold = commands.decide(ann, "hold", "Ann", "errors rising", at=T("2026-11-30T10:30"))["event"]
    assert queries.status(ann)["latest_decision"]["kind"] == "hold"
    commands.retract(ann, hold, "the hold was only discussed, never decided")
    status = status_json(room)
    assert status["latest_decision"]["kind"] == "go" and status["hold"] is None
    assert ann.meta()["hold"] == ""
    assert_fold_matches(room)


def test_a_correction_that_would_break_a_later_fact_is_refused(room, ann, bob):
    start = commands.step(bob, "start", "d8", at=T("2026-11-29T09:30"))["event"]
    commands.step(bob, "done", "d8", at=T("2026-11-29T10:00"))
    before, d8 = journal(room), step_row(room, "d8")
    with pytest.raises(RuleError):
        commands.correct(ann, start, T("2026-11-29T10:30"), "moved past its own end")
    assert journal(room) == before and step_row(room, "d8") == d8
    assert_fold_matches(room)


def test_retracting_a_dependency_that_later_steps_relied_on_is_refused(room, ann, bob):
    d8_done(bob)
    done = journal(room)[-1]["id"]
    commands.signoff(ann, "gate", "rm", "go", at=T("2026-11-30T08:50"))
    commands.signoff(bob, "gate", "ops", "go", at=T("2026-11-30T08:55"))
    commands.step(bob, "start", "live", at=T("2026-11-30T09:40"))
    before = journal(room)
    with pytest.raises(RuleError):
        commands.retract(ann, done, "d8 was never finished")
    assert journal(room) == before and step_row(room, "d8")["status"] == "done"
    assert_fold_matches(room)


@pytest.mark.parametrize("event", [1, 999])
def test_the_init_event_and_unknown_events_cannot_be_corrected(room, ann, event):
    commands.note(ann, "something", at=T("2026-11-30T09:00"))
    before = journal(room)
    with pytest.raises(RuleError):
        commands.correct(ann, event, T("2026-11-28T08:00"), "x")
    with pytest.raises(RuleError):
        commands.retract(ann, event, "x")
    assert journal(room) == before
    assert_fold_matches(room)


def test_a_reopened_step_holds_its_gate_until_done_again(room, ann, bob):
    d8_done(bob)
    commands.step(ann, "reopen", "d8", note="server 8 was never deployed", at=T("2026-11-30T08:00"))
    assert step_row(room, "d8")["status"] == "pending"
    commands.signoff(ann, "gate", "rm", "go", at=T("2026-11-30T08:10"))
    with pytest.raises(RuleError, match="d8"):
        commands.signoff(bob, "gate", "ops", "go", at=T("2026-11-30T08:12"))
    commands.step(bob, "start", "d8", at=T("2026-11-30T08:20"))
    commands.step(bob, "done", "d8", at=T("2026-11-30T08:40"))
    commands.signoff(bob, "gate", "ops", "go", at=T("2026-11-30T08:45"))
    d8, gate = step_row(room, "d8"), step_row(room, "gate")
    assert (d8["status"], d8["started_at"], d8["ended_at"]) == ("done", T("2026-11-30T08:20"), T("2026-11-30T08:40"))
    assert (gate["status"], gate["ended_at"]) == ("done", T("2026-11-30T08:45"))
    with pytest.raises(RuleError):
        commands.step(ann, "reopen", "live", note="never started", at=T("2026-11-30T09:00"))  # pending
    assert_fold_matches(room)


def test_an_incident_title_changes_and_the_journal_keeps_the_old_one(room, ann):
    opened = commands.open_incident(ann, "Checkout errors", 2, at=T("2026-11-30T09:40"))["event"]
    commands.update_incident(ann, "INC-1", title="Checkout 500s on /pay", at=T("2026-11-30T09:50"))
    assert incident_row(room)["title"] == "Checkout 500s on /pay"
    events = journal(room)
    assert json.loads(events[opened - 1]["payload"])["title"] == "Checkout errors"
    assert "Checkout 500s on /pay" in events[-1]["payload"]
    assert_fold_matches(room)


# -- 9. order independence ----------------------------------------------------------------------------------
BASE = T("2026-11-29T08:00")  # the generated day runs from here, minute by minute
SPAN_MINUTES = 34 * 60  # to 2026-11-30 18:00
HORIZON = "2026-12-01T00:00"  # the JSON export's fixed --as-of, after every generated fact
STATUS_RANK = {"investigating": 1, "mitigated": 2, "resolved": 3}


@dataclass(frozen=True)
class Fact:
    """One thing that happened, as a scribe would type it."""

    key: str
    at: str  # ISO, UTC
    who: str
    op: str
    args: tuple = ()  # (name, value) pairs
    needs: tuple[str, ...] = ()  # facts that must be typed before this one (references)

    def arg(self, name: str, default=None):
        return dict(self.args).get(name, default)


@dataclass(frozen=True)
class Day:
    facts: tuple[Fact, ...]
    shuffled: tuple[str, ...] = ()  # an entry order that keeps references valid

    def in_time_order(self) -> list[Fact]:
        return sorted(self.facts, key=lambda f: f.at)

    def in_shuffled_order(self) -> list[Fact]:
        by_key = {f.key: f for f in self.facts}
        return [by_key[k] for k in self.shuffled]


def _iso(minute: int) -> str:
    return timefmt.from_ms(BASE + minute * MIN).strftime("%Y-%m-%dT%H:%M")


def _valid_order(facts: list[Fact], priority: list[int]) -> tuple[str, ...]:
    """Facts in priority order, except that a fact comes after what it needs."""
    rank = {f.key: p for f, p in zip(facts, priority, strict=True)}
    typed: list[str] = []
    waiting = sorted(facts, key=lambda f: rank[f.key])
    while waiting:
        ready = next(f for f in waiting if all(n in typed for n in f.needs))
        typed.append(ready.key)
        waiting.remove(ready)
    return tuple(typed)


@st.composite
def days(draw) -> Day:
    """A small day whose facts are valid in time order and in ANY order that keeps references
    valid: incident statuses only move forward, holds and resumes come after every step
    start, only the holder of a role signs for it, sign-offs come after d8 is done."""
    incidents = draw(st.lists(st.integers(0, 3), max_size=3))  # updates per incident
    d8_retried = draw(st.booleans())
    live_end = draw(st.sampled_from([None, "done", "fail"]))
    n_decisions, n_notes, n_kpis, n_logs, n_drafts = (draw(st.integers(0, n)) for n in (3, 2, 2, 2, 1))
    runbook_size = 2 + 2 * d8_retried + 2 + 1 + (live_end is not None)
    others_size = sum(1 + u for u in incidents) + n_notes + n_kpis + n_logs + 2 * n_drafts
    total = runbook_size + others_size + n_decisions
    minutes = draw(st.lists(st.integers(0, SPAN_MINUTES), min_size=total, max_size=total, unique=True))
    minutes = draw(st.permutations(minutes))
    runbook, rest = sorted(minutes[:runbook_size]), list(minutes[runbook_size:])

    facts: list[Fact] = []
    times = iter(runbook)
    d8_actions = ["start", "fail", "start", "done"] if d8_retried else ["start", "done"]
    previous: tuple[str, ...] = ()
    for n, action in enumerate(d8_actions):
        note = (("note", "disk full"),) if action == "fail" else ()
        facts.append(Fact(f"d8-{n}", _iso(next(times)), "Bob", "step",
                          (("action", action), ("step", "d8"), *note), previous))
        previous = (f"d8-{n}",)
    d8_finished = previous
    signers = draw(st.permutations([("rm", "Ann"), ("ops", "Bob")]))
    for role, who in signers:
        facts.append(Fact(f"sign-{role}", _iso(next(times)), who, "signoff", (("role", role),), d8_finished))
    live_start = next(times)
    facts.append(Fact("live-0", _iso(live_start), "Bob", "step", (("action", "start"), ("step", "live")),
                      ("sign-rm", "sign-ops")))
    if live_end:
        note = (("note", "errors at 5%"),) if live_end == "fail" else ()
        facts.append(Fact("live-1", _iso(next(times)), "Bob", "step",
                          (("action", live_end), ("step", "live"), *note), ("live-0",)))

    later = [m for m in rest if m > live_start][:n_decisions]  # after every step start
    rest = [m for m in rest if m not in later]
    previous = ()
    for n, minute in enumerate(sorted(later)):
        kind = draw(st.sampled_from(["hold", "resume", "go"]))
        facts.append(Fact(f"decision-{n}", _iso(minute), "Ann", "decide",
                          (("kind", kind), ("why", f"reason {n}")), previous))
        previous = (f"decision-{n}",)

    pool = iter(rest)
    for i, n_updates in enumerate(incidents):
        when = sorted(next(pool) for _ in range(1 + n_updates))
        opened = f"incident-{i}"
        facts.append(Fact(opened, _iso(when[0]), "Ann", "open",
                          (("title", f"Incident {i}"), ("severity", draw(st.integers(1, 4))))))
        rank = 0
        for j, minute in enumerate(when[1:]):
            status = draw(st.sampled_from([None, "investigating", "mitigated", "resolved"]))
            if status is not None and STATUS_RANK[status] <= rank:
                status = None  # statuses only move forward, so any subset of them is valid
            rank = STATUS_RANK.get(status, rank)
            severity = draw(st.one_of(st.none(), st.integers(1, 4)))
            facts.append(Fact(f"{opened}-update-{j}", _iso(minute), "Ann", "update",
                              (("incident", opened), ("status", status), ("severity", severity),
                               ("note", f"incident {i} update {j}")), (opened,)))
    for n in range(n_notes):
        tags = draw(st.sampled_from([(), ("retro",)]))
        facts.append(Fact(f"note-{n}", _iso(next(pool)), "Ann", "note", (("text", f"note {n}"), ("tags", tags))))
    for n in range(n_kpis):
        value = draw(st.sampled_from([0.3, 0.4, 0.6, 0.9, 1.2]))
        facts.append(Fact(f"kpi-{n}", _iso(next(pool)), "Bob", "kpi", (("value", value),)))
    for n in range(n_logs):
        facts.append(Fact(f"log-{n}", _iso(next(pool)), "Ann", "log", (("text", f"update {n}"), ("draft", False))))
    for n in range(n_drafts):
        drafted, sent = sorted((next(pool), next(pool)))
        facts.append(Fact(f"draft-{n}", _iso(drafted), "Ann", "log", (("text", f"draft {n}"), ("draft", True))))
        facts.append(Fact(f"send-{n}", _iso(sent), "Ann", "send", (("message", f"draft-{n}"),), (f"draft-{n}",)))

    priority = draw(st.permutations(range(len(facts))))
    return Day(tuple(facts), _valid_order(facts, list(priority)))


def enter(path: Path, facts: list[Fact]) -> None:
    """Type the facts into a fresh war room, in this order, through the commands."""
    create_room(path)
    refs: dict[str, object] = {}  # fact key -> the INC-n ref / message id it got at entry
    stores = {who: Store(path, who) for who in ("Ann", "Bob")}
    try:
        for fact in facts:
            store, at, a = stores[fact.who], T(fact.at), fact.arg
            try:
                if fact.op == "step":
                    commands.step(store, a("action"), a("step"), note=a("note"), at=at)
                elif fact.op == "signoff":
                    commands.signoff(store, "gate", a("role"), "go", at=at)
                elif fact.op == "decide":
                    commands.decide(store, a("kind"), "Ann", a("why"), at=at)
                elif fact.op == "open":
                    refs[fact.key] = commands.open_incident(store, a("title"), a("severity"), at=at)["incident"]
                elif fact.op == "update":
                    commands.update_incident(store, refs[a("incident")], status=a("status"),
                                             severity=a("severity"), note=a("note"), at=at)
                elif fact.op == "note":
                    commands.note(store, a("text"), tags=a("tags"), at=at)
                elif fact.op == "kpi":
                    commands.record_kpi(store, "errors", a("value"), at=at)
                elif fact.op == "log":
                    refs[fact.key] = commands.log_message(store, "team", a("text"), draft=a("draft"), at=at)["message"]
                elif fact.op == "send":
                    commands.send_message(store, refs[a("message")], at=at)
                else:
                    raise AssertionError(fact.op)
            except RuleError as exc:
                raise AssertionError(f"{fact} was refused: {exc}") from exc
    finally:
        for store in stores.values():
            store.close()


# What may differ between two entry orders: rev, recorded_at, row ids and incident numbers
# (given at entry). Incidents are matched by title, decisions by their place in time.
TABLE_COLUMNS = {
    "roles": ("key", "position", "title", "responsibilities", "may_decide_rollback"),
    "assignments": ("role", "person", "contact", "started_at", "ended_at"),
    "steps": ("id", "position", "status", "started_at", "ended_at", "reason", "forced"),
    "signoffs": ("gate", "role", "verdict", "signed_by", "comment", "happened_at"),
    "incidents": ("title", "severity", "status", "owner", "step", "risk", "opened_at", "mitigated_at",
                  "resolved_at", "opened_by"),
    "incident_updates": ("incident", "status", "severity", "note", "operator", "happened_at"),
    "decisions": ("kind", "decided_by", "recorded_by", "rationale", "step", "incident", "forced",
                  "supersedes", "happened_at"),
    "messages": ("audience", "channel", "text", "status", "operator", "happened_at", "sent_at"),
    "kpi_readings": ("kpi", "value", "operator", "happened_at"),
    "notes": ("text", "tags", "operator", "happened_at"),
}


def _decision_ranks(decisions: list[dict]) -> dict:
    """Decision id -> its place in time (ids depend on the entry order)."""
    return {d["id"]: n for n, d in enumerate(sorted(decisions, key=lambda d: d["happened_at"]))}


def normalised_tables(path: Path) -> dict:
    with Store(path, "Auditor") as store:
        meta = store.meta()
        found = {t: store.query(f"SELECT * FROM {t}") for t in TABLE_COLUMNS}
    title = {i["number"]: i["title"] for i in found["incidents"]} | {i["ref"]: i["title"] for i in found["incidents"]}
    rank = _decision_ranks(found["decisions"])
    for u in found["incident_updates"]:
        u["incident"] = title[u["incident"]]
    for d in found["decisions"]:
        d["supersedes"], d["incident"] = rank.get(d["supersedes"]), title.get(d["incident"])
    tables = {t: _sorted([_pick(r, cols) for r in found[t]]) for t, cols in TABLE_COLUMNS.items()}
    tables["meta"] = {k: meta.get(k) for k in ("name", "timezone", "golive", "hold")}
    return tables


def normalised_export(document: dict) -> dict:
    state, facts = document["state"], document["facts"]
    title = {i["ref"]: i["title"] for i in state["incidents"]}
    rank = _decision_ranks(state["decisions"])
    signoff_time = {s["id"]: s["happened_at"] for s in state["signoffs"]}
    for d in state["decisions"]:
        d["supersedes"], d["incident"] = rank.get(d["supersedes"]), title.get(d["incident"])
    normal_state = {
        "hold": state["hold"],
        "steps": [_pick(s, ("id", "status", "started_at", "ended_at", "reason", "forced"))
                  | {"attempts": [_pick(a, ("started_at", "ended_at", "status", "note")) for a in s["attempts"]]}
                  for s in state["steps"]],
        "assignments": _sorted([_pick(a, TABLE_COLUMNS["assignments"]) for a in state["assignments"]]),
        "signoffs": _sorted([_pick(s, TABLE_COLUMNS["signoffs"]) for s in state["signoffs"]]),
        "incidents": _sorted([_pick(i, TABLE_COLUMNS["incidents"]) for i in state["incidents"]]),
        "decisions": _sorted([_pick(d, TABLE_COLUMNS["decisions"]) for d in state["decisions"]]),
    }
    facts = dict(facts)
    facts["go_decision"] = rank.get(facts["go_decision"])
    facts["stop_decisions"] = [rank[d] for d in facts["stop_decisions"]]
    facts["no_go_signoffs"] = [signoff_time[s] for s in facts["no_go_signoffs"]]
    facts["incidents"] = _sorted([i | {"incident": title[i["incident"]]} for i in facts["incidents"]])
    facts["incidents_by_severity"] = [  # durations listed in incident-number order
        s | {"to_mitigate": sorted(s["to_mitigate"]), "to_resolve": sorted(s["to_resolve"])}
        for s in facts["incidents_by_severity"]]
    return {"state": normal_state, "facts": facts}


def _reversed_updates_day() -> Day:
    """An incident whose updates are typed newest first (resolved before mitigated), the gate
    signed in reverse, and a 10:30 hold typed before the 09:40 start it came after."""
    facts = (
        Fact("d8-0", "2026-11-29T09:30", "Bob", "step", (("action", "start"), ("step", "d8"))),
        Fact("d8-1", "2026-11-29T10:00", "Bob", "step", (("action", "done"), ("step", "d8")), ("d8-0",)),
        Fact("sign-rm", "2026-11-30T09:15", "Ann", "signoff", (("role", "rm"),), ("d8-1",)),
        Fact("sign-ops", "2026-11-30T09:18", "Bob", "signoff", (("role", "ops"),), ("d8-1",)),
        Fact("live-0", "2026-11-30T09:40", "Bob", "step", (("action", "start"), ("step", "live")),
             ("sign-rm", "sign-ops")),
        Fact("incident-0", "2026-11-30T09:41", "Ann", "open", (("title", "Incident 0"), ("severity", 3))),
        Fact("incident-0-update-0", "2026-11-30T10:00", "Ann", "update",
             (("incident", "incident-0"), ("status", "investigating"), ("severity", 2), ("note", "a")),
             ("incident-0",)),
        Fact("incident-0-update-1", "2026-11-30T10:20", "Ann", "update",
             (("incident", "incident-0"), ("status", "mitigated"), ("severity", 1), ("note", "b")),
             ("incident-0",)),
        Fact("incident-0-update-2", "2026-11-30T11:00", "Ann", "update",
             (("incident", "incident-0"), ("status", "resolved"), ("severity", None), ("note", "c")),
             ("incident-0",)),
        Fact("decision-0", "2026-11-30T10:30", "Ann", "decide", (("kind", "hold"), ("why", "errors"))),
        Fact("decision-1", "2026-11-30T10:45", "Ann", "decide", (("kind", "resume"), ("why", "fixed")),
             ("decision-0",)),
        Fact("kpi-0", "2026-11-30T10:10", "Bob", "kpi", (("value", 0.9),)),
        Fact("note-0", "2026-11-30T09:05", "Ann", "note", (("text", "note 0"), ("tags", ("retro",)))),
    )
    order = ("incident-0", "incident-0-update-2", "incident-0-update-1", "d8-0", "d8-1", "sign-ops",
             "decision-0", "kpi-0", "sign-rm", "live-0", "incident-0-update-0", "note-0", "decision-1")
    return Day(facts, order)


@settings(max_examples=25, deadline=None, phases=(Phase.explicit, Phase.reuse, Phase.generate),
          print_blob=True)
@example(day=_reversed_updates_day())
@given(day=days())
def test_the_war_room_is_the_same_whatever_order_the_facts_are_typed_in(day: Day):
    # No shrinking phase: each example types a day twice into real files, and shrinking a
    # failure would run for minutes. The failing day is printed with every fact's time.
    with tempfile.TemporaryDirectory() as tmp:
        in_time, shuffled = Path(tmp) / "in-time.db", Path(tmp) / "shuffled.db"
        enter(in_time, day.in_time_order())
        enter(shuffled, day.in_shuffled_order())
        exported = {}
        for path in (in_time, shuffled):
            exported[path] = export_json(path, "--as-of", HORIZON)  # after every fact
            assert_fold_matches(path, exported[path])
        assert normalised_tables(shuffled) == normalised_tables(in_time)
        assert timeless(status_json(shuffled)) == timeless(status_json(in_time))
        assert normalised_export(exported[shuffled]) == normalised_export(exported[in_time])
