"""The report's sections that describe the board at the horizon: summary, KPIs before and
after, stabilisation checks, follow-ups, runbook, gates, incidents, decisions, risks,
communications against cadence, roles."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from ..domain.clockface import Clockface
from ..domain.kinds import StepStatus
from ..domain.numbers import format_mean, format_number
from ..domain.reducer import PASSED
from ..domain.timefmt import duration
from ..store.journal import show_head
from ..store.reader import Span
from . import listings
from .after import CheckFacts, FollowupFacts, KpiFacts, Stretch, change_text, latest_differs, target_text
from .document import (
    Alert,
    Block,
    Bullets,
    Chart,
    Heading,
    KpiCharts,
    Mark,
    Pairs,
    Paragraph,
    Table,
    Text,
)
from .facts import STOPS, AudienceFacts, Facts, StepFacts, median, prompts
from .read import Report, failed_verification

STATUS_TONES = {StepStatus.FAILED: "bad", StepStatus.BLOCKED: "warn", StepStatus.DONE: "good"}
MAX_LISTED_PROBLEMS = 20
_VACANT = {"id": 0, "person": "(vacant)", "started_at": None, "contact": ""}


def slip(ms: int | None) -> str:
    return f"+{duration(ms)}" if ms else ""


def document(report: Report) -> Iterator[Block]:
    yield Heading(f"Go-live report: {report.board.meta['name']}", 1)
    if report.problems:
        yield broken_journal(report)
    for part in (header, summary, chart, retrospective, kpis, checks, followups, runbook, rollback, gates,
                 incidents, decisions, risks, communications, roles, listings.notes, listings.timeline):
        yield from part(report)


def broken_journal(report: Report) -> Alert:
    problems = report.problems
    shown = problems[:MAX_LISTED_PROBLEMS]
    more = [f"... and {len(problems) - len(shown)} more"] if len(problems) > len(shown) else []
    return Alert(failed_verification(problems), [*shown, *more])


def header(report: Report) -> Iterator[Block]:
    face, span = report.face, report.span
    window = (f"{face.at(span.since) if span.since is not None else 'the start'} to "
              f"{face.at(span.until) if span.until is not None else 'the end'}")
    events = f"{report.facts.tallies.events} events"
    journal = (Mark(f"{events}; BROKEN: {len(report.problems)} problem(s)", "bad") if report.problems
               else f"{events}; hash chain and file integrity verified")
    as_of = "as of --as-of" if report.as_of is not None else "at the time of export"
    rehearsal = [("Rehearsal", Mark("a rehearsal: every message is marked [TEST], none was sent to an audience",
                                    "warn"))] if report.board.meta.get("rehearsal") else []
    yield Pairs([
        *rehearsal,
        ("Times", f"{face.zone_name}, with UTC in brackets"),
        ("Board and figures", f"{face.at(report.horizon)} ({as_of})"),
        ("Listings", "the whole journal" if span == Span() else window),
        ("Journal", journal),
        ("Journal head", f"{show_head(report.conn)} (keep it outside this file: `warroom verify --expect-head` "
                         "then proves the journal up to it is the one exported)"),
        ("Exported", f"by {report.store.operator} at {face.at(report.exported_at)} from {report.store.path}"),
    ])


def summary(report: Report) -> Iterator[Block]:
    facts, face = report.facts, report.face
    yield Heading("Summary", anchor="summary")
    hold = report.board.meta["hold"]
    yield Pairs([
        ("Go-live window planned", f"{face.at(facts.window.planned_start)} to {face.at(facts.window.planned_end)}"),
        ("Go-live window actual", _actual_window(report)),
        ("Go decision", _go(report)),
        *([("Runbook", Mark(f"ON HOLD: {hold}", "bad"))] if hold else []),
        ("Steps", _step_counts(facts.counts)),
        ("Incidents", f"{len(facts.incidents)} ({sum(i.open for i in facts.incidents)} not resolved)"),
        ("Messages", f"{facts.tallies.messages} logged; "
                     f"{sum(len(a.late) for a in facts.audiences)} update(s) late against the cadence"),
        ("KPIs", _counted(Counter(k.verdict for k in facts.kpis), ("met", "not met", "no data"), "none in the plan")),
        ("Stabilisation checks", _counted(Counter(c.result for c in facts.checks),
                                          ("passed", "failed", "skipped", "pending"), "none in the plan")),
        ("Follow-ups", _followup_counts(facts.followups)),
    ])
    yield Heading("Incidents by severity", 3)
    yield Table(["Severity", "Incidents", "Not resolved", "Time to mitigate (median, longest)",
                 "Time to resolve (median, longest)"],
                [(f"SEV{s.severity}", str(s.total), str(s.open), _spread(s.to_mitigate), _spread(s.to_resolve))
                 for s in facts.severities] or [("none", "0", "0", "", "")])
    yield Heading("Decisions that stopped the day (no-go, rollback, hold)", 3)
    yield Bullets(_stops(facts, face) or ["None."])
    yield Heading("Updates per audience against the planned cadence", 3)
    yield Table(["Audience", "Channel", "Sent", "Owed by cadence", "Late", "Latest by", "Drafts not sent"],
                [_audience_row(a, bool(report.board.meta.get("rehearsal"))) for a in facts.audiences])


def chart(report: Report) -> Iterator[Block]:
    yield Chart(report.facts)


def retrospective(report: Report) -> Iterator[Block]:
    yield Heading("Retrospective", anchor="retrospective")
    yield Paragraph("Questions drawn from the facts:")
    yield Bullets(prompts(report.facts, report.face))
    yield Heading("Notes tagged retro", 3)
    yield listings.retro_notes()


def kpis(report: Report) -> Iterator[Block]:
    facts, face = report.facts, report.face
    day_end = face.at(facts.day_end.at)
    yield Heading("KPIs: before, during and after the day", anchor="kpis")
    yield Pairs([("Before", f"the readings before H, {face.at(facts.clock.golive)}; compared with the plan's "
                            "baseline, else with their mean"),
                 ("During", f"the readings from H to {day_end}, {facts.day_end.by}"),
                 ("After", f"the readings from {day_end} on, up to {face.at(facts.horizon)}"
                           if facts.horizon >= facts.day_end.at else f"from {day_end}: not begun yet")])
    yield Paragraph("Each KPI is judged on the mean of its latest period with readings since H (after, else "
                    "during): with no reading since H it is 'no data', never met. A source's failed run is "
                    "counted, never averaged.")
    yield Table(["KPI", "Before", "During", "After", "Change", "Target", "Verdict"],
                [_kpi_row(k, face) for k in facts.kpis] or [("none in the plan", "", "", "", "", "", "")])
    if facts.kpis:
        yield KpiCharts(report)


def checks(report: Report) -> Iterator[Block]:
    yield Heading("Stabilisation checks", anchor="checks")
    if not report.facts.checks:
        yield Paragraph("The plan has no check step (kind: check).")
        return
    yield Paragraph("The critical journeys re-tested on the real environment: passed with evidence, "
                    "or failed with why.")
    yield Table(["Check", "Owner", "Result", "When", "Evidence, or why not", "Follow-ups"],
                [_check_row(c, report.face) for c in report.facts.checks])


def followups(report: Report) -> Iterator[Block]:
    yield Heading("Follow-ups", anchor="followups")
    if not report.facts.followups:
        yield Paragraph("No follow-up was recorded (warroom followup add).")
        return
    yield Paragraph(f"Open ones first; overdue means still open past its due time at {report.face.at(report.horizon)}.")
    yield Table(["Follow-up", "Priority", "Owner", "Due", "Status", "About", "Opened", "Closed"],
                [_followup_row(f, report.face) for f in report.facts.followups])


def rollback(report: Report) -> Iterator[Block]:
    """Whether a rollback could still be decided at the horizon, and the day against its
    rehearsal."""
    facts, face = report.facts, report.face
    f = facts.forecast
    passed = {k.removeprefix(PASSED): int(v) for k, v in report.board.meta.items() if k.startswith(PASSED)}
    ponr = f.point_of_no_return
    yield Heading("Can we still roll back?", anchor="rollback")
    yield Pairs([
        ("Projected finish", f"{face.at(f.finish)} (critical path: {', '.join(f.critical_path)})"
         if f.finish is not None else "nothing left to run"),
        ("Backout", f"{duration(f.backout_ms)}, ending {face.at(f.backout_end)}"
         + (" (rolling back)" if f.backing_out else " if decided at the horizon")),
        ("Change window ends", face.at(f.window_end) if f.window_end is not None else "the plan sets none"),
        ("Rollback deadline", face.at(f.rollback_deadline) if f.rollback_deadline is not None else "none"),
        ("Rollback deadline passed", face.at(passed["rollback_deadline"]) if "rollback_deadline" in passed
         else "no"),
        ("Point of no return", f"{ponr['step']}, passed {face.at(ponr['passed_at'])}" if ponr and ponr["passed_at"]
         else f"{ponr['step']}, not passed" if ponr else "the plan marks none"),
    ])
    if facts.rehearsed is not None:
        yield Heading("Rehearsal vs live", 3)
        yield Table(["Step", "Planned", "Rehearsed", "Live", "Live vs rehearsal"],
                    [(f"{r['step']}: {r['title']}", duration(r["planned"]), _ms(r["rehearsed"]), _ms(r["live"]),
                      _drift(r["drift"])) for r in facts.rehearsal] or [("none timed", "", "", "", "")])


def _ms(ms: int | None) -> str:
    return duration(ms) if ms is not None else ""


def _drift(ms: int | None) -> Text:
    if ms is None:
        return ""
    return Mark(f"+{duration(ms)}", "bad") if ms > 60_000 else f"-{duration(-ms)}" if ms < 0 else "as rehearsed"


UNPLANNED = " (unplanned: added on the day)"


def runbook(report: Report) -> Iterator[Block]:
    face = report.face
    yield Heading("Runbook: planned vs actual", anchor="runbook")
    yield Table(["Step", "Phase", "Owner", "Planned start", "Planned end", "Actual start", "Actual end",
                 "Status", "Start slip", "End slip"],
                [(f"{s.step['id']}: {s.step['title']}" + (UNPLANNED if s.step["unplanned"] else ""),
                  s.step["phase"], s.step["owner"],
                  *_planned(s, face), face.at(s.step["started_at"]),
                  face.at(s.step["ended_at"]), _status(s, face), slip(s.start_slip), slip(s.end_slip))
                 for s in report.facts.steps])


def gates(report: Report) -> Iterator[Block]:
    yield Heading("Gates and sign-offs", anchor="gates")
    if not report.facts.gates:
        yield Paragraph("The plan has no gate.")
    for gate in report.facts.gates:
        tone = {"passed": "good", "no-go": "bad"}.get(gate.state, "warn")
        yield Heading(f"{gate.step['id']}: {gate.step['title']}", 3)
        yield Pairs([("State", Mark(gate.state, tone)),
                     ("Sign-off needed from", ", ".join(gate.step["signoff_roles"]))])
        yield Table(["Time", "Role", "Verdict", "Signed by", "Comment"],
                    [(report.face.at(s["happened_at"]), s["role"],
                      Mark(s["verdict"].upper(), "good" if s["verdict"] == "go" else "bad"),
                      _signer(s), s["comment"]) for s in gate.signoffs] or [("", "", "no sign-off yet", "", "")])


def _signer(signoff: dict):
    """The signer, flagged when it was forced (not the role's holder, or the gate's
    dependencies not done)."""
    return Mark(f"{signoff['signed_by']} (FORCED)", "warn") if signoff.get("forced") else signoff["signed_by"]


def incidents(report: Report) -> Iterator[Block]:
    face = report.face
    yield Heading("Incidents", anchor="incidents")
    if not report.facts.incidents:
        yield Paragraph("No incident was opened.")
        return
    yield Table(["Incident", "Severity", "Title", "Status", "Opened", "Time to mitigate", "Time to resolve",
                 "Owner", "Step", "Risk"],
                [(inc["ref"], Mark(f"SEV{inc['severity']}", "bad" if inc["severity"] <= 2 else "warn"),
                  inc["title"], inc["status"], face.at(inc["opened_at"]), _after(i.to_mitigate),
                  _after(i.to_resolve), inc["owner"] or "", inc["step"] or "", inc["risk"] or "")
                 for i in report.facts.incidents for inc in [i.incident]])
    yield from listings.incident_histories(report)


def decisions(report: Report) -> Iterator[Block]:
    yield Heading("Decisions", anchor="decisions")
    yield Table(["Time", "Decision", "Decided by", "Rationale", "About", "Recorded by"],
                [(report.face.at(d["happened_at"]), _decision_kind(d), d["decided_by"], d["rationale"],
                  ", ".join(f"{k} {d[k]}" for k in ("step", "incident") if d[k]), _recorder(d))
                 for d in report.facts.decisions] or [("", "none recorded", "", "", "", "")])


def _recorder(decision: dict):
    """Who typed it; a rollback typed by someone else than its decider is flagged."""
    if (decision["kind"] == "rollback"
            and decision["recorded_by"].casefold() != decision["decided_by"].strip().casefold()):
        return Mark(f"{decision['recorded_by']} (not the decider)", "warn")
    return decision["recorded_by"]


def risks(report: Report) -> Iterator[Block]:
    board, face = report.board, report.face
    yield Heading("Risk register", anchor="risks")
    yield Table(["Risk", "Criticality", "Owner", "Mitigation", "Status", "Fired"],
                [(f"{r['id']}: {r['title']}", f"{r['criticality']} ({r['likelihood']}x{r['impact']})",
                  r["owner"] or "", r["mitigation"],
                  Mark(r["status"], "bad") if r["incident"] else r["status"],
                  f"{face.at(board.risk_fired_at[r['id']])}, {r['incident']}" if r["id"] in board.risk_fired_at else "")
                 for r in board.risks.values()] or [("none", "", "", "", "", "")])


def communications(report: Report) -> Iterator[Block]:
    face = report.face
    yield Heading("Communication", anchor="communication")
    yield Heading("Updates that came late", 3)
    late = [(a, d) for a in report.facts.audiences for d in a.late]
    yield Table(["Audience", "Due", "Sent", "Late by"],
                [(a.audience["title"], face.at(d.due_at),
                  face.at(d.sent_at) if d.sent_at is not None else Mark("not sent", "bad"),
                  Mark(duration(d.late_by), "bad")) for a, d in late] or [("none", "", "", "")])
    yield Heading("Communication log", 3)
    yield listings.comms()


def roles(report: Report) -> Iterator[Block]:
    board, face = report.board, report.face
    yield Heading("Roles and hand-overs", anchor="roles")
    yield Table(["Role", "Title", "Held by", "Since", "Contact", "May decide a rollback"],
                [(role["key"], role["title"], a["person"],
                  "the plan" if board.from_plan(a) else face.at(a["started_at"]), a["contact"],
                  "yes" if role["may_decide_rollback"] else "")
                 for role in board.roles.values() for a in board.holders(role["key"]) or [_VACANT]])
    yield Heading("Hand-overs", 3)
    yield listings.handovers()


def _actual_window(report: Report) -> Text:
    window, face = report.facts.window, report.face
    if window.actual_start is None:
        return "not started"
    start = f"started {face.at(window.actual_start)} ({_vs(window.actual_start - window.planned_start)})"
    if window.actual_end is None:
        return Mark(f"{start}; not finished: {window.open_steps} day step(s) still open", "warn")
    return f"{start}; ended {face.at(window.actual_end)} ({_vs(window.actual_end - window.planned_end)})"


def _vs(delta: int) -> str:
    if delta > 0:
        return f"{duration(delta)} late"
    return f"{duration(-delta)} early" if delta < 0 else "on time"


def _stops(facts: Facts, face: Clockface) -> list[Mark]:
    """The decisions that stopped the day, and the no-go sign-offs at gates, by time."""
    stops = [(d["happened_at"], f"{d['kind'].upper()} by {d['decided_by']} at {face.at(d['happened_at'])}: "
                                f"{d['rationale']}") for d in facts.stops]
    stops += [(s["happened_at"], f"NO-GO signed for {s['role']} at gate {s['gate']} by {s['signed_by']} at "
                                 f"{face.at(s['happened_at'])}{': ' + s['comment'] if s['comment'] else ''}")
              for s in facts.no_go_signoffs]
    return [Mark(text, "bad") for _, text in sorted(stops, key=lambda stop: stop[0])]


def _go(report: Report) -> Text:
    go, others = report.facts.go, len(report.facts.gos) - 1
    if go is None:
        return Mark("no go decision recorded before the day's first task", "warn")
    also = f" ({others} other GO decision(s): see Decisions)" if others else ""
    return f"GO by {go['decided_by']} at {report.face.at(go['happened_at'])}: {go['rationale']}{also}"


def _step_counts(counts: dict[str, int]) -> str:
    shown = ", ".join(f"{counts.get(k, 0)} {k.replace('_', ' ')}"
                      for k in ("done", "late", "failed", "skipped", "in_progress", "pending", "blocked"))
    standby = f" ({counts['standby']} more on standby: contingency)" if counts.get("standby") else ""
    return f"{shown}, of {counts['total']}{standby}"


def _spread(values: list[int]) -> str:
    middle = median(values)  # None for no values
    return f"{duration(middle)}, {duration(max(values))}" if middle is not None else ""


def _after(ms: int | None) -> str:
    return f"after {duration(ms)}" if ms is not None else "not yet"


def _planned(s: StepFacts, face: Clockface) -> tuple[str, str]:
    """A contingency step has no time of its own: it runs when invoked."""
    if s.step["contingency"]:
        return "if needed", f"lasts {duration(s.step['planned_duration'] * 1000)}"
    return face.at(s.step["planned_start"]), face.at(s.planned_end)


def _status(s: StepFacts, face: Clockface) -> Text:
    status = s.step["status"]
    if s.step["contingency"] and not s.step["invoked"]:
        return "standby: runs only if needed, not invoked"
    text = status.replace("_", " ")
    if s.step["reason"]:
        text += f": {s.step['reason']}"
    if s.step["forced"]:
        text += " (forced)"
    for earlier in s.attempts[:-1]:
        note = f": {earlier['note']}" if earlier["note"] else ""
        text += (f"; an earlier attempt {earlier['status']} ({face.at(earlier['started_at'])} to "
                 f"{face.at(earlier['ended_at'])}{note})")
    if s.late and status != StepStatus.FAILED:
        return Mark(f"{text}, late", "warn")
    tone = STATUS_TONES.get(status)
    return Mark(text, tone) if tone else text


def _audience_row(a: AudienceFacts, rehearsal: bool) -> tuple:
    worst = max((d.late_by for d in a.late), default=0)
    return (a.audience["title"], a.audience["channel"], f"0 ({a.sent} TEST)" if rehearsal else str(a.sent),
            str(len(a.dues)),
            Mark(str(len(a.late)), "bad") if a.late else "0", duration(worst) if worst else "",
            str(a.unsent_drafts or ""))


def _kpi_row(k: KpiFacts, face: Clockface) -> tuple:
    unit = k.kpi["unit"]
    change = f"{change_text(k)} ({k.judged_on})" if k.change_pct is not None else ""
    verdict = {"met": Mark("met", "good"), "not met": Mark("not met", "bad")}.get(k.verdict, Mark(k.verdict, "warn"))
    if (latest := latest_differs(k)) is not None:
        verdict = Mark(f"{verdict.text} ({latest})", verdict.tone)
    return (k.kpi["name"], _before(k, unit), _period(k.during, unit, face), _period(k.after, unit, face), change,
            target_text(k.kpi), verdict)


def _before(k: KpiFacts, unit: str) -> Text:
    """Which before value the KPI is compared with: the plan's baseline, or the readings' mean."""
    mean, baseline, failed = k.before.mean, k.kpi["baseline"], _failed_runs(k.before)
    if baseline is not None:
        measured = f" (measured {format_mean(mean, unit)}, {_readings(k.before.count)})" if mean is not None else ""
        return f"baseline {format_number(baseline, unit)}{measured}{failed}"
    if mean is not None:
        return f"measured {format_mean(mean, unit)} ({_readings(k.before.count)}){failed}"
    return Mark(f"no data: no baseline, no reading before H{failed}", "warn")


def _period(s: Stretch, unit: str, face: Clockface) -> Text:
    """'63.2% (mean of 3 readings, last 64%)': the times are in the timeline."""
    if s.mean is None or s.last is None:
        text = "no reading"
    else:
        text = f"{format_mean(s.mean, unit)} (mean of {_readings(s.count)}, last {format_number(s.last.value, unit)})"
    return text + _failed_runs(s)


def _readings(count: int) -> str:
    return f"{count} reading{'s' if count != 1 else ''}"


def _failed_runs(s: Stretch) -> str:
    return f"; its source failed {s.failed} time(s), latest: {s.error}" if s.failed else ""


def _counted(counts: Counter[str], words: tuple[str, ...], none: str) -> str:
    """'2 met, 1 not met, 0 no data'; `none` when there is nothing to count."""
    return ", ".join(f"{counts.get(w, 0)} {w}" for w in words) if counts else none


def _followup_counts(followups: list[FollowupFacts]) -> str:
    if not followups:
        return "none recorded"
    counts = Counter(f.followup["status"] for f in followups)
    overdue = sum(f.overdue for f in followups)
    return (f"{counts.get('open', 0)} open{f' ({overdue} overdue)' if overdue else ''}, "
            f"{counts.get('done', 0)} done, {counts.get('dropped', 0)} dropped")


CHECK_TONES = {"passed": "good", "failed": "bad", "skipped": "warn"}


def _check_row(c: CheckFacts, face: Clockface) -> tuple:
    step, result = c.step, c.result
    shown = result if result != "pending" or step["status"] == "pending" else \
        f"pending ({step['status'].replace('_', ' ')})"
    tone = CHECK_TONES.get(result)
    if step["ended_at"] is not None:
        when = face.at(step["ended_at"])
    elif step["started_at"] is not None:
        when = f"started {face.at(step['started_at'])}"
    else:
        when = f"planned {face.at(step['planned_start'])}"
    why = step["evidence"] if result == "passed" else step["reason"]
    unfollowed = Mark("none", "bad") if result == "failed" else ""
    return (f"{step['id']}: {step['title']}", step["owner"], Mark(shown, tone) if tone else shown, when, why or "",
            ", ".join(c.followups) or unfollowed)


def _followup_row(f: FollowupFacts, face: Clockface) -> tuple:
    row = f.followup
    due = face.at(row["due"]) if row["due"] is not None else "no date"
    about = ", ".join(f"{k} {row[k]}" for k in ("incident", "step") if row[k])
    closed = (f"{face.at(row['closed_at'])} by {row['closed_by']}{': ' + row['note'] if row['note'] else ''}"
              if row["closed_at"] is not None else "")
    return (f"{row['ref']}: {row['title']}", row["priority"], row["owner"],
            Mark(f"{due}, OVERDUE", "bad") if f.overdue else due,
            Mark(row["status"], "good") if row["status"] == "done" else row["status"], about,
            f"{face.at(row['opened_at'])} by {row['opened_by']}", closed)


def _decision_kind(d: dict) -> Text:
    text = d["kind"].upper() + (" (forced)" if d["forced"] else "")
    return Mark(text, "bad") if d["kind"] in STOPS else text

