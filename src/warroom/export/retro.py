"""Questions for the retrospective, written from the day's facts: the steps that slipped
most, the incidents that took longest, the updates that came late, the calls that stopped
the day."""
from __future__ import annotations

from collections.abc import Iterator

from .facts import Facts, StepFacts
from .times import Clockface, duration

TOP = 3


def prompts(facts: Facts, face: Clockface) -> list[str]:
    found = [*_slips(facts, face), *_failures(facts), *_incidents(facts), *_late_updates(facts, face),
             *_stops(facts, face), *_gate_no_gos(facts, face), *_forced(facts), *_fired_risks(facts)]
    return found or ["No slip, incident or late update was recorded: what made this go-live "
                     "smooth, and what should the next one keep?"]


def _slips(facts: Facts, face: Clockface) -> Iterator[str]:
    slipped = sorted((s for s in facts.steps if s.end_slip), key=lambda s: -s.end_slip)
    for s in slipped[:TOP]:
        yield (f"Step {s.step['id']} ({s.step['title']}) {_how_late(s, face)}. "
               "What held it up, and was the plan realistic?")


def _how_late(s: StepFacts, face: Clockface) -> str:
    """A step never started is not 'running': say when it was planned to start."""
    if s.step["started_at"] is None:
        return f"has not started (planned {face.at(s.step['planned_start'])})"
    started = f" (it started {duration(s.start_slip)} late)" if s.start_slip else ""
    ended = "ended" if s.step["ended_at"] is not None else "is running"
    return f"{ended} {duration(s.end_slip)} later than planned{started}"


def _failures(facts: Facts) -> Iterator[str]:
    for s in facts.steps:
        if s.failures:
            reasons = "; ".join(a["note"] for a in s.failures if a["note"])
            yield (f"Step {s.step['id']} ({s.step['title']}) failed {len(s.failures)} time(s)"
                   f"{f' ({reasons})' if reasons else ''}. What would have caught it before the day?")


def _incidents(facts: Facts) -> Iterator[str]:
    longest = sorted(facts.incidents, key=lambda i: -i.longest)[:TOP]
    for i in longest:
        inc = i.incident
        parts = [f"mitigated after {duration(i.to_mitigate)}" if i.to_mitigate is not None else "never mitigated",
                 f"resolved after {duration(i.to_resolve)}" if i.to_resolve is not None else "not resolved"]
        yield (f"{inc['ref']} (SEV{inc['severity']}, {inc['title']}) was {' and '.join(parts)}. "
               "How was it detected, and what would have shortened it?")


def _late_updates(facts: Facts, face: Clockface) -> Iterator[str]:
    late = sorted(((a, d) for a in facts.audiences for d in a.late), key=lambda ad: -ad[1].late_by)
    for audience, due in late[:TOP]:
        went = (f"went out {duration(due.late_by)} late, at {face.at(due.sent_at)}" if due.sent_at is not None
                else f"was still not sent {duration(due.late_by)} later")
        yield (f"The update to {audience.audience['title']} due at {face.at(due.due_at)} {went}. "
               "What got in the way?")


def _stops(facts: Facts, face: Clockface) -> Iterator[str]:
    for d in facts.stops:
        yield (f"{d['kind'].upper()} decided by {d['decided_by']} at {face.at(d['happened_at'])}: "
               f"{d['rationale']}. Which signal led to it, and how long did deciding take?")


def _gate_no_gos(facts: Facts, face: Clockface) -> Iterator[str]:
    for s in facts.no_go_signoffs:
        why = f" ({s['comment']})" if s["comment"] else ""
        yield (f"{s['role']} signed NO-GO at gate {s['gate']} at {face.at(s['happened_at'])}{why}. "
               "Could it have been known before the gate?")


def _forced(facts: Facts) -> Iterator[str]:
    for s in facts.steps:
        if s.step["forced"]:
            yield (f"Step {s.step['id']} was forced past its checks. Was that the right call, "
                   "and should the plan's dependencies change?")


def _fired_risks(facts: Facts) -> Iterator[str]:
    for risk in facts.board.risks.values():
        if risk["id"] in facts.board.risk_fired_at:
            yield (f"Risk {risk['id']} ({risk['title']}) fired and became {risk['incident']}. "
                   "Did its mitigation work as planned?")
