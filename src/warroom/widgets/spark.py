"""A sparkline as text, to sit on one line next to a KPI's figures, go-live marked in it."""
from __future__ import annotations

from rich.text import Text

BARS = "▁▂▃▄▅▆▇█"
H_MARK = "┊"  # where go-live falls among the readings
BEFORE_KEPT = 3  # readings before go-live kept in view (a third of the line at most) when those since fill it


def sparkline(values: list[float], width: int) -> str:
    points = values[-width:]
    return _bars(points, points)


def around_golive(before: list[float], since: list[float], width: int, started: bool) -> Text:
    """The latest readings in `width` cells on one scale: those before go-live dimmed, then ┊,
    then those since; before go-live (not `started`), the readings alone."""
    if not started:
        return Text(sparkline(before, width), "cyan", end="")
    if not (before or since):
        return Text(end="")
    room = width - len(H_MARK)
    kept = min(len(before), BEFORE_KEPT, max(1, room // 3))
    shown_since = since[len(since) - min(len(since), room - kept):]
    shown_before = before[len(before) - min(len(before), room - len(shown_since)):]
    scale = shown_before + shown_since
    text = Text(end="").append(_bars(shown_before, scale), "dim cyan")
    text.append(H_MARK, "bold")
    return text.append(_bars(shown_since, scale), "cyan")


def _bars(points: list[float], scale: list[float]) -> str:
    """One bar per point, from the lowest to the highest of `scale`."""
    if not points:
        return ""
    low, high = min(scale), max(scale)
    if high == low:
        return BARS[len(BARS) // 2] * len(points)
    step = (len(BARS) - 1) / (high - low)
    return "".join(BARS[round((v - low) * step)] for v in points)
