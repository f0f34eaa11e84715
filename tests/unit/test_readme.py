"""The README stays true: its plan example is a valid plan."""
import re
from pathlib import Path

from warroom.plan import load_plan_text

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_plan_example_is_valid():
    text = README.read_text(encoding="utf-8")
    example = re.search(r"<!-- plan-example -->\n```yaml\n(.*?)```", text, re.S).group(1)
    plan = load_plan_text(example, "README.md")
    assert plan.name == "MEP Checkout v2" and len(plan.steps) == 8 and len(plan.audiences) == 4
    assert plan.rollback == ["rb-announce", "rb-redeploy"] and plan.window is not None
    deploy = next(s for s in plan.steps if s.id == "deploy")
    assert (deploy.targets, deploy.backout) == (("eu-west", "us-east"), ("rb-redeploy",))
