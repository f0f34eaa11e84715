"""The few words that must read at a glance, each with one look across the console."""
from __future__ import annotations

from rich.text import Text

SEVERITY_STYLE = {1: "bold #ffffff on #c8102e", 2: "bold #000000 on #ff8c00", 3: "#000000 on #ffd700",
                  4: "#000000 on #b0b0b0"}
STEP_LOOK = {
    "pending": ("· pending", "dim"),
    "in_progress": ("▶ running", "bold yellow"),
    "done": ("✓ done", "green"),
    "failed": ("✗ failed", "bold white on red"),
    "skipped": ("⤼ skipped", "dim italic"),
    "blocked": ("■ blocked", "bold magenta"),
    "standby": ("◌ standby", "dim italic"),  # a contingency step nobody invoked
}
INCIDENT_STYLE = {"open": "bold red", "investigating": "bold yellow", "mitigated": "cyan",
                  "resolved": "green"}
HEAT_STYLE = {"critical": "bold #ffffff on #c8102e", "high": "bold #000000 on #ff8c00",
              "medium": "#000000 on #ffd700", "low": "#000000 on #3cb371"}
DECISION_STYLE = {"go": "bold black on green", "resume": "bold black on green",
                  "no-go": "bold white on red", "rollback": "bold white on red",
                  "hold": "bold black on yellow", "abort": "bold white on red",
                  "fix-forward": "bold black on #ff8c00"}
KIND_MARK = {"gate": "◆ ", "checkpoint": "⚑ ", "check": "◎ ", "task": ""}  # a check: a journey re-tested


def severity(sev: int) -> Text:
    return Text(f" SEV{sev} ", SEVERITY_STYLE.get(sev, ""), end="")


def step_status(status: str) -> Text:
    word, style = STEP_LOOK.get(status, (status, ""))
    return Text(word, style, end="")


def incident_status(status: str) -> Text:
    return Text(status, INCIDENT_STYLE.get(status, ""), end="")


def heat(criticality: str) -> Text:
    return Text(f" {criticality.upper():<8} ", HEAT_STYLE.get(criticality, ""), end="")


def decision(kind: str) -> Text:
    return Text(f" {kind.upper()} ", DECISION_STYLE.get(kind, "bold"), end="")
