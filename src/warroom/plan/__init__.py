"""Plan files: YAML in, validated domain objects out, every problem reported at once."""
from .loader import DEMO_PLAN, Plan, PlanError, Problem, load_plan, load_plan_text

__all__ = ["DEMO_PLAN", "Plan", "PlanError", "Problem", "load_plan", "load_plan_text"]
