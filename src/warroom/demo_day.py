"""The demo war room: the built-in plan moved in time so that its go-live day is under way
now, and the day so far replayed through the real commands, each at the minute it happened.

Every line of DAY is (minutes from go-live H, who records it, the command). A no-go at the
go-live gate, a migration that locks the orders table (SEV1, mitigated in 12 minutes), a
sponsor update that comes late, a 3-D Secure issue during the ramp, a night hand-over.
"""
from __future__ import annotations

from dataclasses import replace
from functools import partial as do
from pathlib import Path

from .domain import timefmt
from .plan.loader import Plan, load_demo_plan
from .store import commands as c
from .store.store import Store

MINUTE = 60_000
LIVE_AT = 170  # `warroom demo` opens at H+2h50m: the ramp to 25% is under way
HELENE, KARIM, ZOE, JOAQUIN, ANAIS = "Hélène Marchand", "Karim Benali", "Zoé Lefèvre", "Joaquín Ortega Ruiz", "Anaïs Nguyen"
CHLOE, FRANCOIS, AMINATA, LEO = "Chloé Dubois-Ferrand", "François Lemaître", "Aminata Diallo", "Léo Petitjean"


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
    return [(minute, LEO, do(c.record_kpi, kpi=key, value=v)) for key, v in values.items()]


def _comm(minute, audience, text):
    return (minute, CHLOE, do(c.log_message, audience=audience, text=text))


DAY = sorted([
    *_steps(("code-freeze", KARIM, -2070, -2032), ("migration-rehearsal", JOAQUIN, -2030, -1928),
            ("regression-e2e", ANAIS, -2030, -1850), ("load-test", ZOE, -1920, -1790),
            ("support-briefing", AMINATA, -1800, -1742), ("rollback-rehearsal", KARIM, -1785, -1722),
            ("risk-review", HELENE, -1700, -1652)),
    (-1790, LEO, do(c.note, text="Load test: DB connection pool saturates at 2.6x peak; pool raised "
                    "from 40 to 80, re-run green.", tags=("retro", "capacity"))),
    *_signoffs("gate-d1-go-nogo", -1640, ("release_manager", HELENE), ("tech_lead", KARIM),
               ("qa_lead", ANAIS), ("product_owner", FRANCOIS), ("support_lead", AMINATA)),
    (-1630, LEO, do(c.decide, kind="go", decided_by=HELENE, rationale="D-1 gate green: rehearsal, regression and load test passed")),
    *_steps(("announce-d1", CHLOE, -1595, -1580)),
    _comm(-1585, "sponsors", "Go confirmed for tomorrow 20:00: all D-1 checks green."),
    _comm(-1584, "users", "Checkout will be unavailable tomorrow 20:15-21:45 for an upgrade."),
    _comm(-1583, "support", "Go confirmed; macros for one-click checkout are live in the help desk."),
    _comm(-1582, "internal", "D-1 go. War room opens tomorrow 19:00, bridge link in the channel."),
    *_steps(("morning-checks", ZOE, -655, -600)),
    *_kpis(-600, checkout_conversion=61.5, p95_latency=905, payment_error_rate=0.8, support_tickets=6, time_to_pay=94),
    _comm(-598, "internal", "Morning checks green; baselines recorded."),
    *_steps(("war-room-briefing", HELENE, -360, -312)),
    _comm(-300, "support", "Reminder: maintenance window 20:15-21:45 tonight."),
    _comm(-120, "internal", "Final readiness at 19:00; everyone on the bridge by 19:50."),
    *_steps(("final-readiness", ZOE, -60, -12)),
    *_signoffs("gate-golive", -6, ("release_manager", HELENE), ("tech_lead", KARIM), ("sre", ZOE), ("qa_lead", ANAIS)),
    (1, JOAQUIN, do(c.signoff, gate="gate-golive", role="dba", verdict="no-go",
                    note="Nightly backup still running on the primary")),
    (8, JOAQUIN, do(c.signoff, gate="gate-golive", role="dba", verdict="go", note="Backup finished 20:07")),
    (9, LEO, do(c.decide, kind="go", decided_by=HELENE, rationale="All five sign-offs green after the backup finished")),
    *_steps(("notify-go", CHLOE, 10, 14)),
    _comm(12, "internal", "GO at 20:09. Maintenance page at 20:15."),
    _comm(13, "sponsors", "GO given at 20:09 (9 min late: nightly backup). Next update 21:15."),
    _comm(14, "users", "Checkout is under maintenance until about 21:45."),
    *_steps(("maintenance-on", ZOE, 15, 24), ("db-snapshot", JOAQUIN, 25, 33), ("db-migration", JOAQUIN, 34, 71)),
    _comm(20, "support", "Maintenance page is up; expect questions until 21:45."),
    _comm(30, "internal", "Snapshot under way."),
    (52, JOAQUIN, do(c.trigger_risk, risk_id="migration-lock", note="ALTER waits on a lock held by a reporting query")),
    (54, ZOE, do(c.update_incident, ref="INC-1", status="investigating", note="pg_stat_activity: BI export holds AccessShare on orders")),
    (58, LEO, do(c.note, text="Nobody knew the BI export ran at 20:45: freeze batch jobs in the plan.", tags=("retro",))),
    (64, ZOE, do(c.update_incident, ref="INC-1", status="mitigated", note="BI export cancelled; migration resumed")),
    _comm(50, "support", "Migration running, still within the window."),
    _comm(60, "internal", "INC-1 SEV1: migration blocked by a BI export; Zoé on it."),
    (75, ZOE, do(c.update_incident, ref="INC-1", status="resolved", note="Migration finished, no lock waits")),
    *_steps(("deploy-services", KARIM, 72, 101), ("smoke-tests", ANAIS, 102, 122),
            ("maintenance-off", ZOE, 123, 127), ("notify-site-open", CHLOE, 128, 133)),
    _comm(85, "support", "Deploy in progress; window extended to about 22:10."),
    _comm(95, "sponsors", "Migration took 37 min instead of 20 (BI export lock, fixed). Reopening ~22:10."),
    _comm(118, "support", "Smoke tests green, reopening in 5 minutes."),
    _comm(130, "users", "Checkout is back. Thank you for your patience."),
    *_steps(("ramp-5", KARIM, 130, 160), ("watch-ramp", ZOE, 130, 255)),
    (145, KARIM, do(c.open_incident, title="3-D Secure challenge refused for one issuing bank", severity=3,
                    step="ramp-5", owner="tech_lead")),
    (150, KARIM, do(c.update_incident, ref="INC-2", status="investigating", note="Only cards of one issuer; PSP ticket opened")),
    _comm(150, "support", "Ramp at 5%. Known issue: some cards of one bank need a retry."),
    *_kpis(140, p95_latency=870, payment_error_rate=0.7),
    *_kpis(160, p95_latency=840, payment_error_rate=0.6, checkout_conversion=63.2),
    *_steps(("ramp-25", KARIM, 165, 210)),
    _comm(165, "internal", "Ramp 25% started."),
    (200, KARIM, do(c.update_incident, ref="INC-2", status="mitigated", note="PSP enabled the issuer fallback")),
    *_kpis(205, p95_latency=790, payment_error_rate=0.45, checkout_conversion=64.0),
    *_signoffs("gate-ramp-100", 212, ("release_manager", HELENE), ("tech_lead", KARIM), ("sre", ZOE),
               ("product_owner", FRANCOIS)),
    (217, LEO, do(c.decide, kind="go", decided_by=HELENE, rationale="Error rate 0.45%, p95 790 ms: ramp to 100%")),
    _comm(218, "sponsors", "Ramp to 100% approved at 23:37; KPIs better than baseline."),
    *_steps(("ramp-100", KARIM, 218, 245), ("notify-golive-done", CHLOE, 250, 258)),
    _comm(255, "users", "One-click checkout is now available to everyone."),
    _comm(256, "support", "One-click is at 100%; INC-2 mitigated, retry advice still valid."),
    (260, KARIM, do(c.update_incident, ref="INC-2", status="resolved", note="No refusals for 40 min")),
    *_steps(("handover-oncall", ZOE, 262, 275)),
    (265, ZOE, do(c.assign, role="sre", person="Mateusz Kowalczyk", contact="+33 6 39 98 10 52 / @mateusz.k")),
    (270, LEO, do(c.note, text="Ramp criteria were clear and numeric: keep that.", tags=("retro",))),
    *_steps(("prod-journey-retest", ANAIS, 790, 905), ("hypercare", ZOE, 790, None),
            ("kpi-watch", FRANCOIS, 790, None), ("payment-reconciliation", KARIM, 905, 962),
            ("notify-d1-status", CHLOE, 965, 975)),
    *_kpis(1500, checkout_conversion=64.1, p95_latency=780, payment_error_rate=0.42, support_tickets=5.2, time_to_pay=31),
    _comm(970, "sponsors", "D+1: all journeys re-tested in production, payments reconciled to the cent."),
], key=lambda line: line[0])


def demo_plan(golive: int) -> Plan:
    """The demo plan with every time moved so that go-live falls at `golive`."""
    plan = load_demo_plan()
    shift = golive - plan.golive
    steps = [s.model_copy(update={"planned_start": s.planned_start + shift}) for s in plan.steps]
    return replace(plan, golive=golive, steps=steps)


def create_demo(path: str | Path, operator: str, now: int | None = None, minute: int = LIVE_AT) -> None:
    """A demo war room whose clock stands at H+`minute` now, with the day replayed up to then."""
    now = now if now is not None else timefmt.now_ms()
    golive = (now - minute * MINUTE) // MINUTE * MINUTE
    with Store.create(path, operator) as store:
        c.init(store, demo_plan(golive))
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
