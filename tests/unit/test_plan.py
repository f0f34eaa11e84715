import textwrap

import pytest

from warroom.plan import PlanError, load_plan, load_plan_text
from warroom.plan.loader import load_demo_plan

HEADER = """\
warroom: Test
timezone: Europe/Paris
golive: 2026-11-24T20:00
roles:
  - {key: rm, title: Release manager, may_decide_rollback: true}
  - {key: qa, title: QA lead}
"""


def step(id_, **extra):
    fields = {"title": "T", "phase": "day", "owner": "rm", "start": "H", "duration": "30m", **extra}
    body = "".join(f"    {k}: {v}\n" for k, v in fields.items())
    return f"  - id: {id_}\n{body}"


def problems(text: str) -> list[str]:
    with pytest.raises(PlanError) as caught:
        load_plan_text(textwrap.dedent(text), "plan.yaml")
    return [str(p) for p in caught.value.problems]


def test_small_plan_loads_with_absolute_times(small_plan):
    plan = load_plan(small_plan)
    assert [s.id for s in plan.steps][:3] == ["prepare", "gate-go", "deploy"]
    deploy = plan.steps[2]
    assert deploy.planned_start == plan.golive and deploy.planned_duration == 1800
    assert plan.steps[0].planned_start == plan.golive - 86_400_000
    assert plan.steps[1].signoff_roles == ("rm", "qa")


def test_unknown_key_names_line_column_and_suggests():
    found = problems(HEADER + "steps:\n" + step("a", duraton="30m"))
    assert "plan.yaml:14:5: steps[0].duraton: unknown key (did you mean 'duration'?)" in found


def test_missing_field_is_reported_at_its_item():
    text = HEADER + "steps:\n  - id: a\n    title: T\n    phase: day\n    start: H\n    duration: 1h\n"
    assert problems(text) == ["plan.yaml:8:5: steps[0].owner: missing field"]


def test_duplicate_ids_and_keys():
    found = problems(HEADER + "steps:\n" + step("a") + step("a"))
    assert any("steps[1].id: duplicate id 'a'" in p for p in found)
    found = problems(HEADER.replace("timezone: Europe/Paris", "timezone: Europe/Paris\ntimezone: UTC")
                     + "steps:\n" + step("a"))
    assert any(":3:1: timezone: duplicate key 'timezone'" in p for p in found)


def test_unknown_references_are_each_reported():
    found = problems(HEADER + "steps:\n" + step("a", owner="rmm", depends_on="[zz]")
                     + "risks:\n  - {id: r, title: R, likelihood: 2, impact: 3, owner: dba, steps: [b]}\n"
                     + "people:\n  - {name: X, role: ops}\n")
    text = "\n".join(found)
    assert "steps[0].owner: unknown role 'rmm' (did you mean 'rm'?)" in text
    assert "steps[0].depends_on[0]: unknown step 'zz'" in text
    assert "risks[0].owner: unknown role 'dba'" in text
    assert "risks[0].steps[0]: unknown step 'b'" in text
    assert "people[0].role: unknown role 'ops'" in text


def test_dependency_cycle_is_named():
    found = problems(HEADER + "steps:\n" + step("a", depends_on="[c]") + step("b", depends_on="[a]")
                     + step("c", depends_on="[b]"))
    assert len(found) == 1 and "dependency cycle: a -> c -> b -> a" in found[0]


def test_self_dependency():
    assert any("cannot depend on itself" in p for p in problems(HEADER + "steps:\n" + step("a", depends_on="[a]")))


def test_bad_durations_times_and_values_all_at_once():
    text = HEADER.replace("2026-11-24T20:00", "tomorrow") + "steps:\n" + step(
        "a", duration="30", start="H+1x", phase="dya", kind="gate")
    found = "\n".join(problems(text))
    assert "golive: bad time 'tomorrow'" in found
    assert "steps[0].phase: Input should be 'before', 'day' or 'after'" in found
    text = HEADER + "steps:\n" + step("a", duration="30", start="H+1x")
    found = "\n".join(problems(text))
    assert "steps[0].duration: bad duration '30'" in found
    assert "steps[0].start: bad duration '1x'" in found


def test_gates_need_signoff_roles_and_only_gates_take_them():
    found = "\n".join(problems(HEADER + "steps:\n" + step("g", kind="gate") + step("t", signoffs="[qa]")))
    assert "steps[0].signoffs: a gate needs at least one sign-off role" in found
    assert "steps[1].signoffs: only a gate takes sign-offs" in found


def test_risk_values_out_of_range():
    found = "\n".join(problems(HEADER + "steps:\n" + step("a")
                               + "risks:\n  - {id: r, title: R, likelihood: 6, impact: 0}\n"))
    assert "risks[0].likelihood: Input should be less than or equal to 5" in found
    assert "risks[0].impact: Input should be greater than or equal to 1" in found


def test_yaml_syntax_error_has_a_position():
    found = problems("warroom: [unclosed\n")
    assert found[0].startswith("plan.yaml:2:1: yaml:")


def test_empty_file_and_missing_sections():
    assert problems("") == ["plan.yaml:1:1: file: the plan is empty"]
    found = problems("warroom: X\n")
    assert {p.split(": ")[1] for p in found} >= {"timezone", "golive", "roles", "steps"}


def test_unknown_timezone():
    found = problems(HEADER.replace("Europe/Paris", "Europe/Pariss") + "steps:\n" + step("a"))
    assert found == ["plan.yaml:2:11: timezone: unknown time zone 'Europe/Pariss'"]


def test_demo_plan_is_complete_and_realistic():
    plan = load_demo_plan()
    kinds = [s.kind for s in plan.steps]
    assert len(plan.steps) >= 25 and {s.phase for s in plan.steps} == {"before", "day", "after"}
    assert kinds.count("gate") >= 2 and kinds.count("checkpoint") >= 2
    assert len(plan.roles) >= 6 and any(r.may_decide_rollback for r in plan.roles)
    assert len(plan.risks) >= 6 and all(r.mitigation.strip() for r in plan.risks)
    assert len(plan.audiences) == 4 and all(a.cadence for a in plan.audiences)
    assert len(plan.kpis) >= 3
    assert {p.role for p in plan.people} == {r.key for r in plan.roles}


def test_one_holder_per_role():
    found = problems(HEADER + "people:\n  - {name: A, role: rm}\n  - {name: B, role: rm}\nsteps:\n" + step("a"))
    assert any("people[1].role: rm is already held by A: one holder per role" in p for p in found)


def kpi_with(source: str) -> str:
    return HEADER + "steps:\n" + step("a") + f"kpis:\n  - {{key: k, name: K, target: 1, source: {source}}}\n"


@pytest.mark.parametrize("source, says", [
    ('{command: "  "}', "kpis[0].source.command: a source's command must not be empty"),
    ('{command: "echo\\u0000 1"}', "kpis[0].source.command: a source's command holds a control"),
    ('{command: "echo\\e[31m 1"}', "kpis[0].source.command: a source's command holds a control"),
    ('{command: "echo 1\\u202e"}', "kpis[0].source.command: a source's command holds a control"),
    ('{command: "echo 1", every: 0s}', "kpis[0].source.every: must be from 1s to 30d"),
    ('{command: "echo 1", every: 31d}', "kpis[0].source.every: must be from 1s to 30d"),
    ('{command: "echo 1", every: 1m, timeout: 2m}', "kpis[0].source.timeout: a source's timeout must not be longer"),
])
def test_a_source_is_a_visible_command_run_at_a_sensible_pace(source, says):
    found = problems(kpi_with(source))
    assert len(found) == 1 and says in found[0], found


def test_a_source_times_out_after_10s_or_its_period_when_shorter_and_may_span_lines():
    plan = load_plan_text(kpi_with('{command: "set -e\\ncurl -fsS x |\\tjq .", every: 5s}'), "plan.yaml")
    assert plan.kpis[0].source.model_dump() == {"command": "set -e\ncurl -fsS x |\tjq .", "every": 5, "timeout": 5}
    plan = load_plan_text(kpi_with('{command: "echo 1"}'), "plan.yaml")
    assert (plan.kpis[0].source.every, plan.kpis[0].source.timeout) == (300, 10)
