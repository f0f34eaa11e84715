"""A small inline SVG per KPI: its readings before H, during the day and after it, with the
go-live line, the target and the before value. Static SVG, as the day's chart: no script, no
font or image to fetch, every piece of text escaped, a fixed size. Its title says the figures,
so that it reads without the picture.

The time axis is cut in three: before, the day and after, each with its own scale. A go-live
day lasts hours and its after-phase weeks: on one linear axis the day would be a sliver."""
from __future__ import annotations

from ..domain import timefmt
from ..domain.clockface import Clockface
from ..domain.numbers import format_mean, format_number
from ..domain.visible import html_text as esc
from .after import PERIODS, KpiFacts, Stretch, percent, target_text
from .read import KpiSeries, Periods, Point

WIDTH, HEIGHT = 560, 200
LEFT, RIGHT, TOP, BOTTOM = 118, 12, 44, 34  # the plot's margins
PLOT_WIDTH, PLOT_HEIGHT = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
SHARES = {"before": 0.3, "during": 0.25, "after": 0.45}  # of the plot's width
NAMES = {"before": "before", "during": "the day", "after": "after"}
NAME_CHARS = 70
LABEL_GAP = 12  # px between the target's and the before value's labels
TONES = {"met": "good", "not met": "bad", "no data": "warn"}


class _Scale:
    """Where an instant and a value go: x by the period's own span, y by the values shown."""

    def __init__(self, periods: Periods, values: list[float]):
        self.periods = periods
        low, high = min(values), max(values)
        pad = (high - low) * 0.12 or abs(high) * 0.1 or 1.0
        self.low, self.high = low - pad, high + pad
        self.lefts: dict[str, float] = {}
        x = float(LEFT)
        for period in PERIODS:
            self.lefts[period] = x
            x += SHARES[period] * PLOT_WIDTH

    def x(self, t: int, period: str) -> float:
        start, end = getattr(self.periods, period)
        share = (min(max(t, start), end) - start) / max(end - start, 1)
        return self.lefts[period] + share * SHARES[period] * PLOT_WIDTH

    def y(self, value: float) -> float:
        return TOP + (self.high - value) / (self.high - self.low) * PLOT_HEIGHT


def svg(k: KpiFacts, series: KpiSeries, face: Clockface) -> str:
    points = series.points.get(k.kpi["key"], [])
    levels = [v for v in (k.kpi["target"], k.before_value) if v is not None]
    scale = _Scale(series.periods, [*(p.value for p in points if p.value is not None), *levels])
    said = figures(k)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="kpi" viewBox="0 0 {WIDTH} {HEIGHT}" '
             f'role="img" aria-label="{esc(said)}">', f"<title>{esc(said)}</title>",
             f'<rect class="plot" x="{LEFT}" y="{TOP}" width="{PLOT_WIDTH}" height="{PLOT_HEIGHT}"/>',
             *_heading(k), *_axis(scale, face), *_levels(k, scale)]
    parts += _readings(points, k.kpi["unit"], scale, face)
    parts += _failed_runs([p for p in points if p.value is None], scale, face)
    if k.met is None:
        x = (scale.lefts["during"] + LEFT + PLOT_WIDTH) / 2
        parts.append(f'<text class="nodata" x="{x:.1f}" y="{TOP + PLOT_HEIGHT / 2:.1f}" '
                     'text-anchor="middle">no data since H</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def figures(k: KpiFacts) -> str:
    """The chart in words: what each period measured, the change and the verdict."""
    unit = k.kpi["unit"]
    before = (f"before {format_number(k.before_value, unit)} ({k.before_source})" if k.before_value is not None
              else "before: no data")
    periods = [f"{name} {_mean(getattr(k, p), unit)}" for p, name in (("during", "during the day"), ("after", "after"))]
    change = f", change {percent(k.change_pct)}" if k.change_pct is not None else ""
    failed = f"; its source failed {k.failed} time(s)" if k.failed else ""
    return f"{k.kpi['name']}: {before}; {'; '.join(periods)}{change}; target {target_text(k.kpi)}: {k.verdict}{failed}"


def _mean(s: Stretch, unit: str) -> str:
    return f"mean {format_mean(s.mean, unit)} of {s.count}" if s.mean is not None else "no reading"


def _heading(k: KpiFacts) -> list[str]:
    name = k.kpi["name"] if len(k.kpi["name"]) <= NAME_CHARS else k.kpi["name"][:NAME_CHARS - 1] + "…"
    unit = k.kpi["unit"]
    before = format_number(k.before_value, unit) if k.before_value is not None else "no data"
    judged = k.judged
    latest = (f"{k.judged_on} {format_mean(judged.mean, unit)}" if judged is not None and judged.mean is not None
              else "no reading since H")
    change = f" ({percent(k.change_pct)})" if k.change_pct is not None else ""
    return [f'<text class="name" x="8" y="17">{esc(name)}</text>',
            f'<text class="figures" x="8" y="34">before {esc(before)} · {esc(latest)}{change} · target '
            f'{esc(format_number(k.kpi["target"], unit))} · <tspan class="{TONES[k.verdict]}">{k.verdict}</tspan>'
            "</text>"]


def _axis(scale: _Scale, face: Clockface) -> list[str]:
    """The three periods' names, the times at their bounds, and the go-live line labelled H."""
    bottom = TOP + PLOT_HEIGHT
    golive, day_end = scale.lefts["during"], scale.lefts["after"]
    parts = [f'<line class="golive" x1="{golive:.1f}" y1="{TOP - 4}" x2="{golive:.1f}" y2="{bottom}"/>',
             f'<text class="golive" x="{golive + 3:.1f}" y="{TOP + 10}">H</text>',
             f'<line class="dayend" x1="{day_end:.1f}" y1="{TOP}" x2="{day_end:.1f}" y2="{bottom}"/>']
    for period in PERIODS:
        middle = scale.lefts[period] + SHARES[period] * PLOT_WIDTH / 2
        parts.append(f'<text class="period" x="{middle:.1f}" y="{bottom + 27}" text-anchor="middle">'
                     f"{NAMES[period]}</text>")
    ticks = [(scale.periods.before[0], LEFT, "start"), (scale.periods.during[0], golive, "middle"),
             (scale.periods.after[0], day_end, "middle"), (scale.periods.after[1], LEFT + PLOT_WIDTH, "end")]
    for t, x, anchor in ticks:
        parts.append(f'<text class="tick" x="{x:.1f}" y="{bottom + 13}" text-anchor="{anchor}">'
                     f"{esc(timefmt.show(t, face.tz, '%d %b %H:%M'))}</text>")
    return parts


def _levels(k: KpiFacts, scale: _Scale) -> list[str]:
    """The target, dashed, and the before value, dotted, across the plot; labelled on the
    left, apart when they would overlap."""
    unit, right = k.kpi["unit"], LEFT + PLOT_WIDTH
    levels = [("target", k.kpi["target"])] + ([("before", k.before_value)] if k.before_value is not None else [])
    parts, first = [], None
    for kind, value in levels:
        y = label = scale.y(value)
        if first is not None and abs(label - first) < LABEL_GAP:
            label = first + (LABEL_GAP if label >= first else -LABEL_GAP)
        first = label if first is None else first
        parts += [f'<line class="{kind}" x1="{LEFT}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}"/>',
                  f'<text class="level {kind}" x="{LEFT - 4}" y="{label + 4:.1f}" text-anchor="end">'
                  f"{kind} {esc(format_number(value, unit))}</text>"]
    return parts


def _readings(points: list[Point], unit: str, scale: _Scale, face: Clockface) -> list[str]:
    """The readings as one line through their points; a point stands for several readings
    (their mean) when a period holds more than the chart draws."""
    line, dots = [], []
    for p in points:
        if p.value is None:  # a failed run
            continue
        x, y = scale.x(p.at, p.period), scale.y(p.value)
        line.append(f"{x:.1f},{y:.1f}")
        what = f"mean of {p.runs} readings around " if p.runs > 1 else ""
        dots.append(f'<circle class="reading" cx="{x:.1f}" cy="{y:.1f}" r="2.5"><title>'
                    f"{esc(f'{what}{face.at(p.at)}: {format_number(p.value, unit)}')}</title></circle>")
    return [f'<polyline class="reading" points="{" ".join(line)}"/>', *dots] if line else []


def _failed_runs(failed: list[Point], scale: _Scale, face: Clockface) -> list[str]:
    """Each failed source run as a small red mark on the time axis: no value to draw."""
    bottom = TOP + PLOT_HEIGHT
    return [f'<rect class="failed-run" x="{scale.x(p.at, p.period) - 1.5:.1f}" y="{bottom - 8}" width="3" '
            f'height="8"><title>{esc(f"{p.runs} failed source run(s) around {face.at(p.at)}")}</title></rect>'
            for p in failed]
