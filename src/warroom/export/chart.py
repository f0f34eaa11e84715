"""An inline SVG of the day: each step's planned and actual bars, incident spans and the
decisions on one time axis. Static SVG: no script, no font or image to fetch."""
from __future__ import annotations

from dataclasses import dataclass

from ..domain import timefmt
from ..domain.clockface import Clockface
from ..domain.kinds import DecisionKind, Phase
from ..domain.visible import html_text as esc
from .facts import Facts, IncidentFacts, StepFacts

WIDTH, LABEL_WIDTH, RIGHT = 1200, 300, 20
TOP, STEP_ROW, INCIDENT_ROW, LEGEND = 62, 24, 20, 46
MARKER_ROWS, MARKER_ROW, CHAR_WIDTH = 3, 12, 8
LABEL_CHARS = 40
MAX_INCIDENTS = 40
MINUTE, HOUR = 60_000, 3_600_000
TICKS = [m * MINUTE for m in (5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080)]
LEAD, TAIL = HOUR, 30 * MINUTE
STATUS_CLASS = {"done": "done", "failed": "failed", "in_progress": "running", "skipped": "skipped",
                "blocked": "blocked", "pending": "pending"}
DECISION_CLASS = {DecisionKind.GO: "go", DecisionKind.RESUME: "go"}


@dataclass(frozen=True)
class Axis:
    start: int
    end: int

    def x(self, t: int) -> float:
        span = max(self.end - self.start, 1)
        clipped = min(max(t, self.start), self.end)
        return LABEL_WIDTH + (clipped - self.start) / span * (WIDTH - LABEL_WIDTH - RIGHT)

    def contains(self, start: int, end: int) -> bool:
        return start <= self.end and end >= self.start


def svg(facts: Facts, face: Clockface) -> str:
    axis = _axis(facts)
    steps = [s for s in facts.steps if axis.contains(*_step_span(s, facts.horizon))]
    incidents = [i for i in facts.incidents if axis.contains(*_incident_span(i, facts.horizon))]
    drawn = incidents[:MAX_INCIDENTS]
    rows_bottom = TOP + len(steps) * STEP_ROW + len(drawn) * INCIDENT_ROW
    height = rows_bottom + LEGEND
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height}" '
             f'role="img" aria-label="Planned and actual steps, incidents and decisions on a time axis">',
             *_ticks(axis, face, rows_bottom), *_markers(axis, facts, rows_bottom)]
    y = TOP
    for s in steps:
        parts += _step(axis, s, y, facts.horizon)
        y += STEP_ROW
    for i in drawn:
        parts += _incident(axis, i, y, facts.horizon)
        y += INCIDENT_ROW
    parts += _legend(rows_bottom + 14, len(incidents) - len(drawn))
    parts.append("</svg>")
    return "\n".join(parts)


def _axis(facts: Facts) -> Axis:
    """The go-live day: from an hour before H to half an hour after the later of the planned
    end of the day and the last thing its steps did."""
    day = [s.step for s in facts.steps if s.step["phase"] == Phase.DAY]
    done = [t for s in day for t in (s["started_at"], s["ended_at"]) if t is not None]
    start = min([facts.clock.golive, *(s["planned_start"] for s in day)])
    return Axis(start - LEAD, max([facts.clock.day_end, *done]) + TAIL)


def _step_span(s: StepFacts, horizon: int) -> tuple[int, int]:
    ends = [s.planned_end, s.step["ended_at"] or (horizon if s.step["started_at"] else 0)]
    starts = [s.step["planned_start"], s.step["started_at"] or s.step["planned_start"]]
    return min(starts), max(ends)


def _incident_span(i: IncidentFacts, horizon: int) -> tuple[int, int]:
    return i.incident["opened_at"], i.incident["resolved_at"] or horizon


def _ticks(axis: Axis, face: Clockface, bottom: int) -> list[str]:
    step = next((t for t in TICKS if (axis.end - axis.start) / t <= 12), TICKS[-1])
    offset = int(timefmt.utc_offset(timefmt.from_ms(axis.start, face.tz)).total_seconds() * 1000)
    first = ((axis.start + offset) // step + 1) * step - offset
    parts, day = [], None
    for t in range(first, axis.end, step):
        local = timefmt.from_ms(t, face.tz)
        label = f"{local:%H:%M}" if local.date() == day else f"{local:%d %b} {local:%H:%M}"
        day = local.date()
        x = axis.x(t)
        parts.append(f'<line class="tick" x1="{x:.1f}" y1="{TOP - 6}" x2="{x:.1f}" y2="{bottom}"/>'
                     f'<text class="tick" x="{x:.1f}" y="{TOP - 10}" text-anchor="middle">{label}</text>')
    return parts


def _markers(axis: Axis, facts: Facts, bottom: int) -> list[str]:
    """Go-live and every decision as a dashed line; labels that would overlap go a row up."""
    marks = [(facts.clock.golive, "H (go-live)", "golive")]
    marks += [(d["happened_at"], d["kind"].upper(), DECISION_CLASS.get(d["kind"], "stop"))
              for d in facts.decisions if axis.contains(d["happened_at"], d["happened_at"])]
    parts, row_ends = [], [0.0] * MARKER_ROWS
    for t, label, kind in sorted(marks):
        x = axis.x(t)
        row = next((r for r, end in enumerate(row_ends) if end < x), MARKER_ROWS - 1)
        row_ends[row] = x + 12 + CHAR_WIDTH * len(label)
        y = TOP - 26 - row * MARKER_ROW
        parts += [f'<line class="marker {kind}" x1="{x:.1f}" y1="{y - 8}" x2="{x:.1f}" y2="{TOP - 24}"/>',
                  f'<line class="marker {kind}" x1="{x:.1f}" y1="{TOP - 4}" x2="{x:.1f}" y2="{bottom}"/>',
                  f'<text class="marker {kind}" x="{x + 3:.1f}" y="{y}">{esc(label)}</text>']  # clear of tick labels
    return parts


def _step(axis: Axis, s: StepFacts, y: int, horizon: int) -> list[str]:
    step = s.step
    label = f"{step['id']}: {step['title']}"
    short = _short(label)
    parts = [f'<text class="label" x="{LABEL_WIDTH - 8}" y="{y + 15}" text-anchor="end">{esc(short)}'
             f'<title>{esc(label)}</title></text>',
             _bar(axis, step["planned_start"], s.planned_end, y + 3, 7, "planned", f"planned: {label}")]
    runs = s.attempts or ([{"started_at": step["started_at"], "ended_at": step["ended_at"], "status": step["status"]}]
                          if step["started_at"] is not None else [])
    for run in runs:
        tone = STATUS_CLASS.get(run["status"], "pending") + (" late" if s.late and run is runs[-1] else "")
        parts.append(_bar(axis, run["started_at"], run["ended_at"] or horizon, y + 11, 9, tone,
                          f"actual: {label} ({run['status']})"))
    return parts


def _incident(axis: Axis, i: IncidentFacts, y: int, horizon: int) -> list[str]:
    inc = i.incident
    label = f"{inc['ref']} SEV{inc['severity']}: {inc['title']}"
    short = _short(label)
    sev = f"sev{inc['severity']}"
    mitigated = inc["mitigated_at"] or inc["resolved_at"] or horizon
    parts = [f'<text class="label incident" x="{LABEL_WIDTH - 8}" y="{y + 13}" text-anchor="end">{esc(short)}'
             f'<title>{esc(label)}</title></text>',
             _bar(axis, inc["opened_at"], mitigated, y + 4, 10, f"incident {sev}", f"{label}: until mitigated")]
    if inc["mitigated_at"] is not None:
        parts.append(_bar(axis, inc["mitigated_at"], inc["resolved_at"] or horizon, y + 4, 10,
                          f"incident {sev} mitigated", f"{label}: mitigated, until resolved"))
    return parts


def _short(label: str) -> str:
    """A label that fits the label column; the full text is in its tooltip."""
    return label if len(label) <= LABEL_CHARS else label[:LABEL_CHARS - 1] + "…"


def _bar(axis: Axis, start: int, end: int, y: int, height: int, kind: str, tip: str) -> str:
    x0, x1 = axis.x(start), axis.x(end)
    return (f'<rect class="{kind}" x="{x0:.1f}" y="{y}" width="{max(x1 - x0, 2):.1f}" height="{height}" rx="2">'
            f'<title>{esc(tip)}</title></rect>')


def _legend(y: int, hidden_incidents: int) -> list[str]:
    items = [("planned", "planned"), ("done", "done"), ("running", "in progress"), ("failed", "failed"),
             ("skipped", "skipped"), ("done late", "late (outlined)"), ("incident sev1", "SEV1"),
             ("incident sev2", "SEV2"), ("incident sev3", "SEV3"), ("incident sev4", "SEV4"),
             ("incident sev2 mitigated", "mitigated")]
    parts, x = [], LABEL_WIDTH
    for kind, text in items:
        parts.append(f'<rect class="{kind}" x="{x}" y="{y}" width="16" height="9" rx="2"/>'
                     f'<text class="legend" x="{x + 20}" y="{y + 9}">{text}</text>')
        x += 30 + 7 * len(text)
    if hidden_incidents:
        parts.append(f'<text class="legend" x="{LABEL_WIDTH}" y="{y + 26}">'
                     f'{hidden_incidents} more incident(s) are listed below but not drawn.</text>')
    return parts
