"""A seeded go-live day with known facts, recorded through the real commands with explicit
times (the scribe's --at), on a real SQLite file."""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from warroom.domain import timefmt
from warroom.domain.timefmt import parse_datetime
from warroom.export.read import Options
from warroom.export.write import export
from warroom.plan import load_plan
from warroom.store import commands as c
from warroom.store.store import Store

DAY_PLAN = Path(__file__).parent / "day.yaml"
AFTER_PLAN = Path(__file__).parents[1] / "fixtures" / "after.yaml"
PARIS = ZoneInfo("Europe/Paris")
SCRIBE = "Léo Scribe"


def at(hhmm: str) -> int:
    """A time on the go-live day (10 November 2026, Paris)."""
    hour, minute = map(int, hhmm.split(":"))
    return timefmt.to_ms(datetime(2026, 11, 10, hour, minute, tzinfo=PARIS))


def create_room(path: Path) -> Path:
    with Store.create(path, "setup") as store:
        c.init(store, load_plan(DAY_PLAN))
    return path


def seed_day(path: Path) -> None:
    """The day the tests know by heart:
    - gate-go: qa signs no-go at 19:35, Alice decides NO-GO at 19:36, qa signs go at 19:44,
      Alice decides GO at 19:45 ("All gates green").
    - deploy 20:00-20:45 (planned end 20:30: 15m late); migrate starts 20:47, FAILS at 21:00
      ("lock timeout"), restarts 21:12, done 21:20 (planned end 20:50: 30m late, the worst).
    - risk db-lock fires at 20:58: INC-1, SEV1, mitigated 21:10 (12m), resolved 21:40 (42m).
    - ROLLBACK decided by Alice Martin at 21:05: "Orders blocked: roll the API back".
    - INC-2 SEV3 "Admin page slow" 21:15, note at 21:40, resolved 21:50 (35m).
    - Sponsors (every 60m on the day) first hear at 21:25: due 21:00, 25m late.
    - Tech handed over from Bob Chen to Dmitri Ivanov at 21:30.
    - KPIs: conversion 3.0 then 3.4 (met, target 3.3); p95 950 ms (not met, target 800).
    - A retro note at 21:50; risk cold-cache closed at 22:05.
    """
    with Store(path, SCRIBE) as s, Store(path, "Bob Chen") as bob, \
            Store(path, "Alice Martin") as alice, Store(path, "Chloé Dubois") as chloe:
        c.signoff(alice, "gate-go", "rm", "go", note="ready", at=at("19:32"))
        c.signoff(chloe, "gate-go", "qa", "no-go", note="2 regressions open", at=at("19:35"))
        c.decide(s, "no-go", "Alice Martin", "QA found 2 regressions", step="gate-go", at=at("19:36"))
        c.signoff(chloe, "gate-go", "qa", "go", note="regressions fixed", at=at("19:44"))
        c.decide(s, "go", "Alice Martin", "All gates green", step="gate-go", at=at("19:45"))
        c.step(bob, "start", "deploy", at=at("20:00"))
        c.log_message(s, "support", "Deploy under way", at=at("20:20"))
        c.step(bob, "done", "deploy", at=at("20:45"))
        c.step(bob, "start", "migrate", at=at("20:47"))
        c.log_message(s, "support", "Deploy done, migrating", at=at("20:48"))
        c.trigger_risk(s, "db-lock", note="orders table locked", at=at("20:58"))
        c.step(bob, "fail", "migrate", note="lock timeout", at=at("21:00"))
        c.note(s, "Pizza arrived", at=at("21:00"))
        c.update_incident(s, "INC-1", status="investigating", note="looking at pg_locks", at=at("21:03"))
        c.decide(s, "rollback", "Alice Martin", "Orders blocked: roll the API back", incident="INC-1", at=at("21:05"))
        c.update_incident(s, "INC-1", status="mitigated", note="API rolled back, locks released", at=at("21:10"))
        c.step(bob, "start", "migrate", at=at("21:12"))
        c.open_incident(s, "Admin page slow", 3, step="smoke", at=at("21:15"))
        c.step(bob, "done", "migrate", at=at("21:20"))
        c.step(s, "start", "smoke", at=at("21:21"))
        c.log_message(s, "sponsors", "Migration done after a rollback; smoke tests next", at=at("21:25"))
        c.assign(s, "tech", "Dmitri Ivanov", contact="@dmitri", at=at("21:30"))
        c.record_kpi(s, "conversion", 3.0, at=at("21:30"))
        c.record_kpi(s, "p95", 950, at=at("21:30"))
        c.step(s, "done", "smoke", at=at("21:35"))
        c.step(s, "start", "announce", at=at("21:36"))
        draft = c.log_message(s, "support", "All done, checkout v2 is live", draft=True, at=at("21:38"))
        c.update_incident(s, "INC-1", status="resolved", note="online migration done", at=at("21:40"))
        c.update_incident(s, "INC-2", note="CDN cache warming", at=at("21:40"))
        c.step(s, "done", "announce", at=at("21:40"))
        c.send_message(s, draft["message"], at=at("21:41"))
        c.note(s, "Migration lock timeout was known from the rehearsal", tags=("retro",), at=at("21:50"))
        c.update_incident(s, "INC-2", status="resolved", at=at("21:50"))
        c.record_kpi(s, "conversion", 3.4, at=at("22:00"))
        c.close_risk(s, "cold-cache", note="cache warm", at=at("22:05"))


@pytest.fixture
def day_db(tmp_path: Path) -> Path:
    """The seeded day, for a test that may change it."""
    path = create_room(tmp_path / "day.db")
    seed_day(path)
    return path


@pytest.fixture(scope="session")
def known_day(tmp_path_factory) -> Path:
    """The seeded day, shared by the tests that only read it."""
    path = create_room(tmp_path_factory.mktemp("day") / "day.db")
    seed_day(path)
    return path


HOSTILE = ('<script>alert("x")</script> [bold red]boom[/] \x1b[31mRED\x1b[0m "quoted", \'single\', a,b\n'
           'second line\r\nthird 🚀 مرحبا بالعالم \u202eevil\u202c | *star* _under_ `tick` &amp; # $x$ '
           '![img](http://e.x/a.png) [link](javascript:alert(1)) \x07bell \x9bcsi')
FORMULA_OPERATORS = ["=SUM(1+1)", "+33 6 00", "-2+3", "@SUM(A1)", "\tTAB", "\rCR", "  =HYPERLINK(1)"]


@pytest.fixture(scope="session")
def hostile_db(tmp_path_factory):
    """A war room where every piece of typed text, and the operators' names, are hostile."""
    path = create_room(tmp_path_factory.mktemp("hostile") / "hostile.db")
    with Store(path, f"Mallory {HOSTILE}") as s:
        c.signoff(s, "gate-go", "rm", "go", note=HOSTILE, force=True, at=at("19:30"))
        c.signoff(s, "gate-go", "qa", "go", note=HOSTILE, force=True, at=at("19:31"))
        c.decide(s, "go", HOSTILE, HOSTILE, at=at("19:40"))
        c.step(s, "start", "deploy", at=at("20:00"))
        c.step(s, "fail", "deploy", note=HOSTILE, at=at("20:10"))
        c.open_incident(s, HOSTILE, 1, step="deploy", at=at("20:11"))
        c.update_incident(s, "INC-1", status="mitigated", note=HOSTILE, at=at("20:20"))
        c.trigger_risk(s, "db-lock", note=HOSTILE, at=at("20:21"))
        c.assign(s, "tech", HOSTILE, contact=HOSTILE, at=at("20:22"))
        c.log_message(s, "sponsors", HOSTILE, at=at("20:23"))
        c.note(s, HOSTILE, tags=("retro",), at=at("20:24"))
    for i, operator in enumerate(FORMULA_OPERATORS):
        with Store(path, operator) as s:
            c.note(s, f"=1+{i}", at=at("20:30"))
    return path


def utc(iso: str) -> int:
    """An ISO time in UTC, the after-phase plan's zone."""
    return timefmt.to_ms(parse_datetime(iso, ZoneInfo("UTC")))


AFTER_GOLIVE = utc("2026-10-30T10:00")  # the plan moved a month back: its weeks after are in the past
AFTER_NOW = utc("2026-11-07T12:00")  # the after-phase day's export: a week and a day after go-live


def create_after_room(path: Path) -> Path:
    with Store.create(path, "setup") as store:
        c.init(store, load_plan(AFTER_PLAN).moved_to(AFTER_GOLIVE), at=utc("2026-10-29T09:00"))
    return path


def seed_after_phase(path: Path) -> None:
    """A go-live (tests/fixtures/after.yaml, on 30 October) with KPI readings on both sides of H
    and after the day, which ended at 10:45 when the gate passed (the plan has no change window):
    - conv (baseline 60, target 65, higher is better), from its source: 59, 61 before H and a
      timeout at 09:30; 62 at 10:10, a failed run at 10:20, 64 at 10:40 during the day; 66 on
      31 Oct, a failed run ('exit 1') on 2 Nov and 68 on 6 Nov after it: after, mean 67, met, +11.67%.
    - tickets (no baseline, target 5, lower is better), typed: 6 and 7 before H (measured 6.5),
      8 at 10:30, nothing after: judged on the day, not met, +23.08%.
    - INC-1 SEV2 10:15-10:35 with FU-1 (done 1 Nov); INC-2 SEV1 10:20-10:40 with no follow-up.
    - check journey FAILED on 31 Oct ('ERP shows the orders twice'), no follow-up names it.
    - FU-2 P2 due 4 Nov 10:00, open: overdue on 7 Nov; FU-3 P4 dropped 3 Nov; FU-4 P3 due 19 Nov.
    """
    with Store(path, "kpi-watch") as watch, Store(path, "Ann") as ann, Store(path, "Bob") as bob:
        for value, at_ in ((59, "2026-10-29T12:00"), (61, "2026-10-30T09:00"), (62, "2026-10-30T10:10"),
                           (64, "2026-10-30T10:40"), (66, "2026-10-31T10:00"), (68, "2026-11-06T10:00")):
            c.record_kpi(watch, "conv", value, at=utc(at_), source=True)
        for error, at_ in (("timeout after 5 s", "2026-10-30T09:30"), ("HTTP 503", "2026-10-30T10:20"),
                           ("exit 1", "2026-11-02T10:00")):
            c.record_kpi_failure(watch, "conv", error, at=utc(at_))
        for value, at_ in ((6, "2026-10-30T08:00"), (7, "2026-10-30T09:00"), (8, "2026-10-30T10:30")):
            c.record_kpi(ann, "tickets", value, at=utc(at_))
        c.step(ann, "start", "deploy", at=utc("2026-10-30T10:00"))
        c.open_incident(ann, "Payments slow", 2, at=utc("2026-10-30T10:15"))
        c.open_incident(ann, "Checkout down", 1, at=utc("2026-10-30T10:20"))
        c.step(ann, "done", "deploy", at=utc("2026-10-30T10:25"))
        c.update_incident(ann, "INC-1", status="resolved", at=utc("2026-10-30T10:35"))
        c.update_incident(ann, "INC-2", status="resolved", at=utc("2026-10-30T10:40"))
        c.signoff(ann, "gate", "rm", "go", at=utc("2026-10-30T10:45"))
        c.add_followup(ann, "Raise the pool size", "rm", due=utc("2026-11-02T12:00"), priority="P1",
                       incident="INC-1", at=utc("2026-10-30T11:00"))
        c.add_followup(bob, "Retest refunds", "qa", due=utc("2026-11-04T10:00"), priority="P2",
                       at=utc("2026-10-30T11:05"))
        c.add_followup(ann, "Archive the old checkout", "rm", priority="P4", at=utc("2026-10-30T11:10"))
        c.add_followup(bob, "Load test the new checkout", "qa", due=utc("2026-11-19T10:00"),
                       at=utc("2026-10-30T11:15"))
        c.step(bob, "start", "journey", at=utc("2026-10-31T09:00"))
        c.step(bob, "fail", "journey", note="ERP shows the orders twice", at=utc("2026-10-31T09:30"))
        c.close_followup(ann, "FU-1", "done", "pool at 80", at=utc("2026-11-01T10:00"))
        c.close_followup(ann, "FU-3", "drop", "the old checkout goes with the next release", at=utc("2026-11-03T10:00"))


@pytest.fixture(scope="session")
def after_day(tmp_path_factory) -> Path:
    """The after-phase day, shared by the tests that only read it."""
    path = create_after_room(tmp_path_factory.mktemp("after") / "after.db")
    seed_after_phase(path)
    return path


def export_text(db: Path, fmt: str, now: int | None = None, **moments) -> str:
    """The export as written to standard output, read back as text."""
    out = io.StringIO(newline="")
    with Store(db, "Auditor") as store:
        export(store, out, Options(fmt=fmt, **moments), now=now if now is not None else at("23:00"))
    return out.getvalue()


class _Text(HTMLParser):
    """Text as a reader sees it: one line per row, block or item, cells joined by ' | '.
    The chart and the head (style, title) are left out."""

    SKIPPED = {"svg", "style", "title"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.tags: list[str] = []
        self.skipping = 0
        self.first_cell = True

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag in self.SKIPPED:
            self.skipping += 1
        elif tag in ("tr", "li", "p", "dt", "h1", "h2", "h3", "div"):
            self.parts.append("\n")
            self.first_cell = True
        elif tag in ("td", "th", "dd"):
            self.parts.append("" if self.first_cell else " | ")
            self.first_cell = False

    def handle_endtag(self, tag):
        if tag in self.SKIPPED:
            self.skipping -= 1

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def html_text(document: str) -> tuple[str, list[str]]:
    """What a browser shows as text, and every element the document opens."""
    parser = _Text()
    parser.feed(document)
    parser.close()
    return "".join(parser.parts), parser.tags


def readable(fmt: str, output: str) -> str:
    """The text a reader of this format sees, markup and escapes removed."""
    if fmt == "html":
        return html_text(output)[0]
    if fmt == "md":
        return re.sub(r"\\(.)", r"\1", output).replace("**", "")
    if fmt == "csv":
        return "\n".join(" | ".join(row) for row in csv.reader(io.StringIO(output)))
    return output
