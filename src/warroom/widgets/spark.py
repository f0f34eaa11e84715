"""A sparkline as text, to sit on one line next to a KPI's figures."""
from __future__ import annotations

BARS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float], width: int) -> str:
    points = values[-width:]
    if not points:
        return ""
    low, high = min(points), max(points)
    if high == low:
        return BARS[len(BARS) // 2] * len(points)
    scale = (len(BARS) - 1) / (high - low)
    return "".join(BARS[round((v - low) * scale)] for v in points)
