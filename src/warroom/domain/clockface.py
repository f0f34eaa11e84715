"""Instants as a report shows them: in the display zone with UTC alongside."""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from . import timefmt
from .timefmt import MINUTE


class Clockface:
    """Instants shown in one zone with UTC alongside. Formatting is cached per minute: a
    100,000-event journal has far fewer distinct minutes than events."""

    def __init__(self, tz: ZoneInfo):
        self.tz = tz
        self.zone_name = tz.key
        self._at = lru_cache(maxsize=8192)(self._format_at)
        self._clock = lru_cache(maxsize=8192)(self._format_clock)
        self._day = lru_cache(maxsize=1024)(self._format_day)
        self._iso = lru_cache(maxsize=8192)(self._format_iso)

    def at(self, ms: int | None) -> str:
        """'2026-11-24 21:05 CET (20:05 UTC)'; the UTC date is added when it differs."""
        return self._shown(self._at, ms) if ms is not None else ""

    def clock(self, ms: int) -> str:
        """'21:05 (20:05 UTC)': for lines listed under their day."""
        return self._shown(self._clock, ms)

    def day(self, ms: int) -> str:
        """'Tuesday 24 November 2026' in the display zone."""
        return self._shown(self._day, ms)

    def iso_utc(self, ms: int) -> str:
        """'2026-11-24T20:05:07.123Z', exact to the millisecond."""
        return self.iso_both(ms)[0]

    def iso_both(self, ms: int) -> tuple[str, str]:
        """The UTC ISO time and '2026-11-24T21:05:07.123+01:00' in the display zone."""
        if not timefmt.in_range(ms):
            return timefmt.invalid(ms), timefmt.invalid(ms)
        utc, local, offset = self._iso(ms // MINUTE)
        seconds = _seconds(ms % MINUTE)
        return f"{utc}{seconds}Z", f"{local}{seconds}{offset}"

    @staticmethod
    def _shown(format_minute: Callable[[int], str], ms: int) -> str:
        """An instant no calendar can show (an old journal may hold one) is marked, not raised."""
        return format_minute(ms // MINUTE) if timefmt.in_range(ms) else timefmt.invalid(ms)

    def _format_at(self, minute: int) -> str:
        local, utc = self._both(minute)
        if local.tzname() == "UTC":
            return f"{utc:%Y-%m-%d %H:%M} UTC"
        utc_text = utc.strftime("%H:%M") if utc.date() == local.date() else utc.strftime("%Y-%m-%d %H:%M")
        return f"{local:%Y-%m-%d %H:%M} {local.tzname()} ({utc_text} UTC)"

    def _format_clock(self, minute: int) -> str:
        local, utc = self._both(minute)
        if local.tzname() == "UTC":
            return f"{utc:%H:%M} UTC"
        return f"{local:%H:%M} ({utc:%H:%M} UTC)"

    def _format_day(self, minute: int) -> str:
        local, _ = self._both(minute)
        return f"{local:%A} {local.day} {local:%B %Y}"

    def _format_iso(self, minute: int) -> tuple[str, str, str]:
        local, utc = self._both(minute)
        offset = local.isoformat()[19:]
        return f"{utc:%Y-%m-%dT%H:%M}:", f"{local:%Y-%m-%dT%H:%M}:", offset

    def _both(self, minute: int) -> tuple[datetime, datetime]:
        utc = datetime.fromtimestamp(minute * 60, UTC)
        return utc.astimezone(self.tz), utc


@lru_cache(maxsize=MINUTE)  # at most one entry per millisecond of a minute
def _seconds(within_minute: int) -> str:
    return f"{within_minute // 1000:02d}.{within_minute % 1000:03d}"

