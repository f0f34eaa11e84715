import pytest

from warroom.domain import rules
from warroom.domain.kinds import (
    Better,
    Criticality,
    IncidentStatus,
    RiskStatus,
    Verdict,
    criticality,
    met,
    severity_for_impact,
)
from warroom.domain.kinds import (
    StepStatus as S,
)
from warroom.domain.models import NewIncident, NewNote
from warroom.domain.rules import RuleError


@pytest.mark.parametrize("status, action, target", [
    (S.PENDING, "start", S.IN_PROGRESS),
    (S.FAILED, "start", S.IN_PROGRESS),
    (S.IN_PROGRESS, "done", S.DONE),
    (S.IN_PROGRESS, "fail", S.FAILED),
    (S.PENDING, "skip", S.SKIPPED),
    (S.IN_PROGRESS, "skip", S.SKIPPED),
    (S.BLOCKED, "skip", S.SKIPPED),
    (S.PENDING, "block", S.BLOCKED),
    (S.BLOCKED, "unblock", S.PENDING),
])
def test_allowed_step_transitions(status, action, target):
    assert rules.step_transition("s", status, action, "because") == target


@pytest.mark.parametrize("status, action", [
    (S.PENDING, "done"), (S.DONE, "start"), (S.SKIPPED, "start"), (S.BLOCKED, "start"),
    (S.DONE, "fail"), (S.PENDING, "unblock"), (S.IN_PROGRESS, "block"), (S.DONE, "skip"),
])
def test_refused_step_transitions_name_the_state(status, action):
    with pytest.raises(RuleError, match=f"step s is {status}"):
        rules.step_transition("s", status, action, "because")


@pytest.mark.parametrize("action", ["fail", "skip"])
@pytest.mark.parametrize("reason", [None, "", "   "])
def test_fail_and_skip_need_a_reason(action, reason):
    status = S.IN_PROGRESS
    with pytest.raises(RuleError, match="needs a reason"):
        rules.step_transition("s", status, action, reason)


def test_unknown_action_is_refused():
    with pytest.raises(RuleError, match="unknown step action"):
        rules.step_transition("s", S.PENDING, "explode", None)


def test_dependencies_are_met_by_done_or_skipped_only():
    statuses = {"a": S.DONE, "b": S.SKIPPED, "c": S.IN_PROGRESS, "d": S.FAILED}
    assert rules.unmet_dependencies(["a", "b", "c", "d", "x"], statuses) == ["c", "d", "x"]


@pytest.mark.parametrize("latest, state", [
    ({}, "waiting"),
    ({"rm": Verdict.GO}, "waiting"),
    ({"rm": Verdict.GO, "qa": Verdict.GO}, "passed"),
    ({"rm": Verdict.GO, "qa": Verdict.NO_GO}, "no-go"),
    ({"rm": Verdict.NO_GO}, "no-go"),
])
def test_gate_passes_only_when_every_role_said_go(latest, state):
    assert rules.gate_state(["rm", "qa"], latest) == state


@pytest.mark.parametrize("current, target", [
    ("open", "investigating"), ("open", "mitigated"), ("open", "resolved"),
    ("investigating", "mitigated"), ("mitigated", "resolved"),
    ("mitigated", "investigating"), ("resolved", "investigating"),
])
def test_incident_moves_forward_or_reopens(current, target):
    assert rules.incident_transition("INC-1", IncidentStatus(current), IncidentStatus(target)) is IncidentStatus(target)


@pytest.mark.parametrize("current, target", [
    ("investigating", "open"), ("resolved", "mitigated"), ("mitigated", "mitigated"), ("resolved", "open"),
])
def test_incident_cannot_go_back(current, target):
    with pytest.raises(RuleError):
        rules.incident_transition("INC-1", IncidentStatus(current), IncidentStatus(target))


def test_risk_triggers_once_and_closes_once():
    rules.risk_trigger("r", RiskStatus.WATCHING)
    with pytest.raises(RuleError, match="only a watched risk"):
        rules.risk_trigger("r", RiskStatus.TRIGGERED)
    rules.risk_close("r", RiskStatus.TRIGGERED)
    with pytest.raises(RuleError, match="already closed"):
        rules.risk_close("r", RiskStatus.CLOSED)


@pytest.mark.parametrize("likelihood, impact, level", [
    (1, 1, Criticality.LOW), (2, 2, Criticality.LOW), (1, 5, Criticality.MEDIUM),
    (3, 3, Criticality.MEDIUM), (2, 5, Criticality.HIGH), (3, 5, Criticality.CRITICAL),
    (5, 5, Criticality.CRITICAL),
])
def test_criticality_from_likelihood_and_impact(likelihood, impact, level):
    assert criticality(likelihood, impact) is level


def test_severity_of_a_fired_risk_follows_its_impact():
    assert [severity_for_impact(i) for i in (5, 4, 3, 2, 1)] == [1, 2, 3, 4, 4]


def test_kpi_met_depends_on_direction():
    assert met(Better.UP, 3.3, 3.4) and not met(Better.UP, 3.3, 3.2)
    assert met(Better.DOWN, 250, 240) and not met(Better.DOWN, 250, 260)


@pytest.mark.parametrize("title", ["", "   ", "\n"])
def test_incident_needs_a_title(title):
    with pytest.raises(ValueError, match="title must not be empty"):
        NewIncident(title=title, severity=2)


@pytest.mark.parametrize("severity", [0, 5, -1])
def test_incident_severity_is_1_to_4(severity):
    with pytest.raises(ValueError):
        NewIncident(title="x", severity=severity)


def test_note_tags_are_single_words():
    assert NewNote(text="t", tags=("retro",)).tags == ("retro",)
    with pytest.raises(ValueError, match="one word"):
        NewNote(text="t", tags=("two words",))


def test_text_that_is_not_utf8_is_refused():
    with pytest.raises(ValueError, match="not valid UTF-8"):
        NewNote(text="bad \udcff byte")


def test_the_decision_in_force_is_the_last_by_when_it_happened():
    from warroom.domain.figures import latest_decision

    decisions = [{"id": 1, "happened_at": 500}, {"id": 2, "happened_at": 100}, {"id": 3, "happened_at": 500}]
    assert latest_decision(decisions)["id"] == 3
    assert latest_decision([]) is None
