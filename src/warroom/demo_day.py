"""The demo war room: the built-in plan moved in time so that its go-live day is under way
now, and the day so far replayed through the real commands, each at the minute it happened.

Every line of DAY is (minutes from go-live H, who records it, the command). A no-go at the
go-live gate, a migration that locks the orders table (SEV1, mitigated in 12 minutes), a
sponsor update that comes late, a 3-D Secure issue during the ramp, a night hand-over; and
what a scribe does: facts typed minutes after they happened (they take their place in
time) and one correction of a time typed wrong.
"""
from __future__ import annotations

import json
from functools import partial as do
from pathlib import Path

from .domain import timefmt
from .plan.loader import Plan, load_demo_plan
from .store import commands as c
from .store.store import Store
from .watch.kpis import OPERATOR as KPI_WATCH

MINUTE = 60_000
HELENE, KARIM, ZOE, JOAQUIN, ANAIS = ("Hélène Marchand", "Karim Benali", "Zoé Lefèvre", "Joaquín Ortega Ruiz",
                                      "Anaïs Nguyen")
CHLOE, FRANCOIS, AMINATA, LEO = "Chloé Dubois-Ferrand", "François Lemaître", "Aminata Diallo", "Léo Petitjean"
DAY_MINUTES, WEEK = 24 * 60, 7 * 24 * 60


def _steps(*spans):
    """(step, recorder, start minute, end minute or None) -> start and done lines."""
    lines = []
    for step, who, start, end in spans:
        lines.append((start, who, do(c.step, action="start", step_id=step)))
        if end is not None:
            lines.append((end, who, do(c.step, action="done", step_id=step)))
    return lines


def _signoffs(gate, minute, *roles_who, verdict="go"):
    return [(minute + i, who, do(c.signoff, gate=gate, role=role, verdict=verdict))
            for i, (role, who) in enumerate(roles_who)]


def _kpis(minute, **values):
    """Readings `kpi watch` took from the KPIs' sources."""
    return [(minute, KPI_WATCH, do(c.record_kpi, kpi=key, value=v, source=True)) for key, v in values.items()]


def _check(step, who, start, end, evidence=None, failed=None):
    """A check step re-tested: passed with its evidence, or failed with why."""
    ended = do(c.step, action="done", step_id=step, evidence=evidence) if failed is None else \
        do(c.step, action="fail", step_id=step, note=failed)
    return [(start, who, do(c.step, action="start", step_id=step)), (end, who, ended)]


def _followup(minute, who, title, owner, due_minute, priority, **about):
    return minute, who, lambda store, at: c.add_followup(
        store, title, owner, due=at + (due_minute - minute) * MINUTE, priority=priority, at=at, **about)


def _late(typed, happened, who, command):
    """A fact typed at minute `typed` that happened at minute `happened`."""
    return typed, who, lambda store, at: command(store, at=at - (typed - happened) * MINUTE)


def _corrected(typed, who, action, entity_id, minute, why):
    """At minute `typed`, the last `action` on `entity_id` is said to have happened at `minute`."""
    def correct(store: Store, at: int) -> dict:
        event = store.query("SELECT id FROM events WHERE action = ? AND entity_id = ? ORDER BY id DESC LIMIT 1",
                            (action, entity_id))[0]["id"]
        return c.correct(store, event, at - (typed - minute) * MINUTE, why, stated_at=at)
    return typed, who, correct


def _comm(minute, audience, text):
    return (minute, CHLOE, do(c.log_message, audience=audience, text=text))


COMMS = [
    # D-1 and the morning: the confirmation, then the war room's own rhythm
    (-1585, "sponsors", "Go confirmed for tomorrow evening: all D-1 checks green."),
    (-1584, "users", "Checkout will be unavailable tomorrow evening for about 90 minutes."),
    (-1583, "support", "Go confirmed; macros for one-click checkout are live in the help desk."),
    (-1582, "internal", "D-1 go. War room opens tomorrow at H-1h, bridge link in the channel."),
    (-1400, "internal", "Rollback runbook printed and pinned in the channel."),
    (-600, "internal", "Morning checks green; KPI baselines recorded."),
    (-598, "support", "Maintenance window tonight confirmed; staffing doubled until H+4h."),
    (-360, "internal", "Walk-through done; every step has an owner and a backup."),
    (-120, "internal", "Final readiness at H-1h; everyone on the bridge by H-10m."),
    (-118, "support", "Reminder: checkout maintenance tonight, status page link in the macros."),
    (-150, "sponsors", "All set for tonight; the go / no-go is at H."),
    (-140, "users", "Reminder: checkout maintenance tonight for about 90 minutes."),
    (-10, "internal", "Bridge open, gate at H."),
    # the cut-over: internal every ~15 min, support every ~30, sponsors and users hourly
    (3, "internal", "DBA no-go: nightly backup still running. Holding."),
    (10, "internal", "GO given 9 min late. Maintenance page next."),
    (13, "sponsors", "GO given, 9 minutes late (nightly backup). Next update within the hour."),
    (14, "users", "Checkout is under maintenance for about 90 minutes."),
    (20, "support", "Maintenance page is up; expect questions for about 90 minutes."),
    (24, "internal", "Maintenance page up; snapshot starting."),
    (38, "internal", "Snapshot done, migration started."),
    (50, "support", "Migration running, still within the window."),
    (53, "internal", "INC-1 SEV1: migration blocked by a lock; Zoé on it."),
    (66, "internal", "INC-1 mitigated: BI export cancelled, migration resumed."),
    (74, "internal", "Migration done (37 min instead of 20). Deploying."),
    (85, "support", "Deploy in progress; window extended by about 25 minutes."),
    (89, "internal", "Deploy 2 of 3 services."),
    (95, "sponsors", "Migration took 37 min instead of 20 (BI export lock, fixed). Reopening in ~30 min."),
    (103, "internal", "Deploy done, smoke tests running."),
    (116, "internal", "Smoke tests green."),
    (118, "support", "Smoke tests green, reopening in 5 minutes."),
    (130, "users", "Checkout is back. Thank you for your patience."),
    (131, "internal", "Site open, ramp 5% started."),
    (146, "internal", "INC-2 SEV3: 3-D Secure refusals for one issuer, Karim on it."),
    (150, "support", "Ramp at 5%. Known issue: some cards of one bank need a retry."),
    (155, "sponsors", "Site reopened; one-click at 5%, KPIs at or better than baseline."),
    (160, "internal", "5% criteria met: error rate 0.6%, p95 840 ms."),
    (166, "internal", "Ramp 25% started."),
    (180, "support", "Ramp at 25%; retry advice for the one bank still valid."),
    (181, "internal", "25% steady, watching the issuer fix."),
    (196, "internal", "PSP working on the issuer fallback."),
    (201, "internal", "INC-2 mitigated: issuer fallback on."),
    (210, "support", "Issuer fallback live: refusals should stop."),
    (216, "internal", "Gate to 100% signed by all four."),
    (218, "sponsors", "Ramp to 100% approved; KPIs better than baseline."),
    (219, "users", "One-click checkout is rolling out to everyone tonight."),
    (231, "internal", "100% reached, watching."),
    (240, "support", "One-click at 100%; INC-2 mitigated."),
    (246, "internal", "Ramp done, all green."),
    (255, "users", "One-click checkout is now available to everyone."),
    (256, "sponsors", "Go-live complete: one-click at 100%, two incidents, both mitigated."),
    (259, "internal", "Handing over to the night on-call."),
    (262, "support", "Night on-call is Mateusz; escalation path unchanged."),
    # the day after
    (790, "internal", "Production re-test of the critical journeys started."),
    (910, "internal", "Journeys re-tested green; reconciliation running."),
    (940, "support", "All journeys re-tested in production; no open issue."),
    (970, "sponsors", "D+1: all journeys re-tested in production, payments reconciled to the cent."),
]

DAY = sorted([
    *(_comm(minute, audience, text) for minute, audience, text in COMMS),
    *_steps(("code-freeze", KARIM, -2070, -2032), ("migration-rehearsal", JOAQUIN, -2030, -1928),
            ("regression-e2e", ANAIS, -2030, -1850), ("load-test", ZOE, -1920, -1790),
            ("support-briefing", AMINATA, -1800, -1742), ("rollback-rehearsal", KARIM, -1785, -1722),
            ("risk-review", HELENE, -1700, -1652)),
    (-1790, LEO, do(c.note, text="Load test: DB connection pool saturates at 2.6x peak; pool raised "
                    "from 40 to 80, re-run green.", tags=("retro", "capacity"))),
    *_signoffs("gate-d1-go-nogo", -1640, ("release_manager", HELENE), ("tech_lead", KARIM),
               ("qa_lead", ANAIS), ("product_owner", FRANCOIS), ("support_lead", AMINATA)),
    (-1630, LEO, do(c.decide, kind="go", decided_by=HELENE,
                    rationale="D-1 gate green: rehearsal, regression and load test passed")),
    *_steps(("announce-d1", CHLOE, -1595, -1580)),
    *_kpis(-2000, checkout_conversion=61.2, p95_latency=915, payment_error_rate=0.82, support_tickets=6.3,
           time_to_pay=95),
    *_steps(("morning-checks", ZOE, -655, -600)),
    *_kpis(-600, checkout_conversion=61.5, p95_latency=905, payment_error_rate=0.8, support_tickets=6, time_to_pay=94),
    *_steps(("war-room-briefing", HELENE, -360, -312)),
    *_kpis(-60, checkout_conversion=61.7, p95_latency=900, payment_error_rate=0.78, support_tickets=5.9,
           time_to_pay=93),
    *_steps(("final-readiness", ZOE, -60, -12)),
    *_signoffs("gate-golive", -6, ("release_manager", HELENE), ("tech_lead", KARIM), ("sre", ZOE), ("qa_lead", ANAIS)),
    (1, JOAQUIN, do(c.signoff, gate="gate-golive", role="dba", verdict="no-go",
                    note="Nightly backup still running on the primary")),
    (8, JOAQUIN, do(c.signoff, gate="gate-golive", role="dba", verdict="go", note="Backup finished 20:07")),
    (9, LEO, do(c.decide, kind="go", decided_by=HELENE,
                rationale="All five sign-offs green after the backup finished")),
    *_steps(("notify-go", CHLOE, 10, 14)),
    *_steps(("maintenance-on", ZOE, 15, 24), ("db-snapshot", JOAQUIN, 25, 33),
            ("db-migration", JOAQUIN, 34, 71)),
    (52, JOAQUIN, do(c.trigger_risk, risk_id="migration-lock", note="ALTER waits on a lock held by a reporting query")),
    _late(61, 56, LEO, do(c.update_incident, ref="INC-1", note="DBA on-call joined the bridge; BI owner paged")),
    _corrected(26, LEO, "step.done", "notify-go", 12, "Chloé sent the GO notice at 12, typed it at 14"),
    (54, ZOE, do(c.update_incident, ref="INC-1", status="investigating",
                 note="pg_stat_activity: BI export holds AccessShare on orders")),
    (58, LEO, do(c.note, text="Nobody knew the BI export ran at 20:45: freeze batch jobs in the plan.",
                 tags=("retro",))),
    (64, ZOE, do(c.update_incident, ref="INC-1", status="mitigated", note="BI export cancelled; migration resumed")),
    (75, ZOE, do(c.update_incident, ref="INC-1", status="resolved", note="Migration finished, no lock waits")),
    _followup(80, HELENE, "Freeze batch jobs (BI export) during DB migrations: add it to the runbook template",
              "release_manager", WEEK, "P2", incident="INC-1"),
    *_steps(("deploy-services", KARIM, 72, 101), ("smoke-tests", ANAIS, 102, 122),
            ("maintenance-off", ZOE, 123, 127), ("notify-site-open", CHLOE, 128, 133)),
    *_steps(("ramp-5", KARIM, 130, 160), ("watch-ramp", ZOE, 130, 255)),
    (145, KARIM, do(c.open_incident, title="3-D Secure challenge refused for one issuing bank", severity=3,
                    step="ramp-5", owner="tech_lead")),
    (150, KARIM, do(c.update_incident, ref="INC-2", status="investigating",
                    note="Only cards of one issuer; PSP ticket opened")),
    *_kpis(140, p95_latency=870, payment_error_rate=0.7),
    _late(152, 136, LEO, do(c.record_kpi, kpi="checkout_conversion", value=62.4)),
    _late(153, 147, LEO, do(c.note, text="3-D Secure refusals first seen by support at H+2h27, before the alert.",
                            tags=("retro",))),
    *_kpis(160, p95_latency=840, payment_error_rate=0.6, checkout_conversion=63.2),
    *_steps(("ramp-25", KARIM, 165, 210)),
    (200, KARIM, do(c.update_incident, ref="INC-2", status="mitigated", note="PSP enabled the issuer fallback")),
    *_kpis(205, p95_latency=790, payment_error_rate=0.45, checkout_conversion=64.0),
    *_signoffs("gate-ramp-100", 212, ("release_manager", HELENE), ("tech_lead", KARIM), ("sre", ZOE),
               ("product_owner", FRANCOIS)),
    (217, LEO, do(c.decide, kind="go", decided_by=HELENE, rationale="Error rate 0.45%, p95 790 ms: ramp to 100%")),
    *_steps(("ramp-100", KARIM, 218, 245), ("notify-golive-done", CHLOE, 250, 258)),
    (260, KARIM, do(c.update_incident, ref="INC-2", status="resolved", note="No refusals for 40 min")),
    *_steps(("handover-oncall", ZOE, 262, 275)),
    (265, ZOE, do(c.assign, role="sre", person="Mateusz Kowalczyk", contact="+33 6 39 98 10 52 / @mateusz.k")),
    (270, LEO, do(c.note, text="Ramp criteria were clear and numeric: keep that.", tags=("retro",))),
    _followup(268, KARIM, "Get the permanent fix date for the issuer's 3-D Secure refusals from the PSP",
              "tech_lead", 2 * WEEK, "P3", incident="INC-2"),
    *_steps(("hypercare", ZOE, 790, None), ("kpi-watch", FRANCOIS, 790, None), ("notify-d1-status", CHLOE, 965, 975)),
    *_check("prod-journey-retest", ANAIS, 790, 905, evidence="11 journeys passed on production with staff cards "
            "(orders 88412-88437); ERP sync checked"),
    *_check("payment-reconciliation", KARIM, 905, 962, evidence="Settlement report of 24 Nov matched: 0 paid twice, "
            "0 authorisations without an order"),
    *_check("retest-saved-cards", ANAIS, 910, 935, failed="iOS 5.2 still offers a deleted card until the app restarts"),
    _followup(940, ANAIS, "iOS: drop the cached card list when a card is deleted (app 5.2.1)", "tech_lead",
              WEEK, "P2", step="retest-saved-cards"),
    *_kpis(1500, checkout_conversion=64.1, p95_latency=780, payment_error_rate=0.42, support_tickets=5.2,
           time_to_pay=31),
    *_kpis(3 * DAY_MINUTES, checkout_conversion=64.6, p95_latency=770, payment_error_rate=0.40, support_tickets=4.9,
           time_to_pay=30),
    (4 * DAY_MINUTES, HELENE, lambda store, at: c.close_followup(store, "FU-1", "done", "Added to the runbook "
                                                                  "template: batch freeze from H-1h", at=at)),
    *_kpis(WEEK, checkout_conversion=65.3, p95_latency=765, payment_error_rate=0.38, support_tickets=4.6,
           time_to_pay=29),
    *_kpis(2 * WEEK, checkout_conversion=65.8, p95_latency=760, payment_error_rate=0.37, support_tickets=4.4,
           time_to_pay=28),
], key=lambda line: line[0])


def demo_plan(golive: int) -> Plan:
    """The demo plan with every time moved so that go-live falls at `golive`."""
    return load_demo_plan().moved_to(golive)


def create_demo(path: str | Path, operator: str, now: int | None = None, minute: int = 170,
                rehearsal: str | Path | None = None) -> None:
    """A demo war room whose clock stands at H+`minute` now, with the day replayed up to then;
    with `rehearsal`, the file of its rehearsal a week before, attached to it."""
    now = now if now is not None else timefmt.now_ms()
    golive = (now - minute * MINUTE) // MINUTE * MINUTE
    plan = demo_plan(golive)
    opened = min(plan.golive, *(s.planned_start for s in plan.steps)) - 30 * MINUTE
    with Store.create(path, operator) as store:
        c.init(store, plan, at=min(opened, now))  # the war room opened before its first step
        if rehearsal is not None:
            create_rehearsal(rehearsal, operator, golive - 7 * 24 * 60 * MINUTE)
            c.attach_rehearsal(store, rehearsal, at=min(opened, now) + MINUTE)
    recorders: dict[str, Store] = {}
    try:
        for at, who, command in DAY:
            if golive + at * MINUTE > now:
                break
            recorder = recorders.get(who) or recorders.setdefault(who, Store(path, who))
            command(recorder, at=golive + at * MINUTE)
    finally:
        for recorder in recorders.values():
            recorder.close()
    write_sources(Path(path).parent / SOURCES, golive, now)


SOURCES = "warroom-demo-kpis"  # what the demo plan's KPI sources read (beside the war room file)


def write_sources(directory: Path, golive: int, now: int) -> None:
    """What production would answer the demo's KPI sources now: the latest reading the day
    has so far, one file per KPI (p95 latency as JSON with a `value`, as an API answers)."""
    latest: dict[str, float] = {}
    for at, who, command in DAY:
        if who == KPI_WATCH and golive + at * MINUTE <= now:
            latest[command.keywords["kpi"]] = command.keywords["value"]
    directory.mkdir(exist_ok=True)
    for kpi, value in latest.items():
        text = json.dumps({"value": value, "unit": "ms"}) if kpi == "p95_latency" else str(value)
        (directory / (f"{kpi}.json" if kpi == "p95_latency" else kpi)).write_text(text + "\n", encoding="utf-8")


# how long each step of the day took in the rehearsal, against its plan (the rest: as planned)
REHEARSED = {"db-migration": 1.6, "deploy-services": 1.3, "smoke-tests": 1.2, "ramp-5": 1.0, "ramp-25": 0.9,
             "rb-redeploy-v411": 1.4, "rb-verify": 0.8}


def create_rehearsal(path: str | Path, operator: str, golive: int) -> None:
    """The demo's rehearsal: the evening run on the pre-production copy a week before (gates
    not rehearsed), then a rollback practised to the end, each step taking what REHEARSED says."""
    plan = demo_plan(golive)
    with Store.create(path, operator) as store:
        c.init(store, plan, at=golive - 60 * MINUTE, rehearsal=True)
        ends: dict[str, int] = {}
        for step in (s for s in plan.steps if s.phase.value == "day" and not s.contingency):
            start = max([step.planned_start, *(ends.get(d, golive) for d in step.depends_on)])
            if step.kind.value == "gate":
                c.step(store, "skip", step.id, note="not rehearsed", at=start)
                ends[step.id] = start
                continue
            ends[step.id] = start + int(step.planned_duration * 1000 * REHEARSED.get(step.id, 1.0))
            c.step(store, "start", step.id, at=start)
            c.step(store, "done", step.id, at=ends[step.id])
        clock = max(ends.values())
        c.decide(store, "rollback", HELENE, "rehearsal: practise the rollback to the end", force=True, at=clock)
        for step_id in plan.rollback:
            step = next(s for s in plan.steps if s.id == step_id)
            c.step(store, "start", step_id, at=clock)
            clock += int(step.planned_duration * 1000 * REHEARSED.get(step_id, 1.0))
            c.step(store, "done", step_id, at=clock)
