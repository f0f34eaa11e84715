"""Durations, go-live-relative times and the scribe's `--at` times.

Every instant is stored as integer milliseconds since the epoch, UTC.
"""
from __future__ import annotations

import re
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
_RELATIVE = re.compile(r"^H(?:\s*([+-])\s*(\S+))?$")
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_AGO = re.compile(r"^-(\S+)$")
FUTURE_TOLERANCE_MS = 60_000


def parse_duration(text: str) -> int:
    """'1h30m' -> 5400 seconds. Raises ValueError with a readable message."""
    cleaned = str(text).strip().replace(" ", "")
    match = _DURATION.match(cleaned)
    if not cleaned or not match or not any(match.groups()):
        raise ValueError(f"bad duration {text!r}: use forms like 45m, 2h, 1h30m, 1d")
    days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return days * 86400 + hours * 3600 + minutes * 60 + seconds


def format_duration(seconds: int | float) -> str:
    """5400 -> '1h30m'; negative values get a leading minus."""
    sign = "-" if seconds < 0 else ""
    rest = int(abs(seconds))
    parts = []
    for unit, size in _UNIT_SECONDS.items():
        count, rest = divmod(rest, size)
        if count:
            parts.append(f"{count}{unit}")
    return sign + ("".join(parts) or "0m")


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None


def to_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def from_ms(ms: int, tz: ZoneInfo | timezone = timezone.utc) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz)


def now_ms() -> int:
    return to_ms(datetime.now(timezone.utc))


def parse_datetime(text: str, tz: ZoneInfo) -> datetime:
    """ISO 8601 date-time; a naive one is read in the war room's zone."""
    try:
        moment = datetime.fromisoformat(str(text).strip())
    except ValueError:
        raise ValueError(f"bad time {text!r}: use ISO 8601 like 2026-11-24T20:00") from None
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment


def parse_planned(text: str, golive: datetime, tz: ZoneInfo) -> datetime:
    """'H', 'H-2h', 'H+15m' relative to go-live, or an absolute ISO time."""
    cleaned = str(text).strip()
    match = _RELATIVE.match(cleaned)
    if match:
        sign, amount = match.groups()
        if sign is None:
            return golive
        offset = timedelta(seconds=parse_duration(amount))
        return golive + offset if sign == "+" else golive - offset
    return parse_datetime(cleaned, tz)


def parse_clock(text: str) -> time | None:
    """'14:05' or '14:05:30' as a time of day; None when `text` is not written as one."""
    clock = _CLOCK.match(text)
    if clock is None:
        return None
    hour, minute, second = (int(g or 0) for g in clock.groups())
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(f"bad time {text!r}: no such clock time")
    return time(hour, minute, second)


def parse_ago(text: str, now: int) -> int | None:
    """'-10m' as that long before `now`; None when `text` is not written so."""
    ago = _AGO.match(text)
    return None if ago is None else now - parse_duration(ago.group(1)) * 1000


def parse_at(text: str, now: int, tz: ZoneInfo) -> int:
    """When something happened, as the scribe says it: an ISO time, 'HH:MM' (today in the
    war room's zone), or '-10m' (that long ago). Never more than a minute in the future."""
    cleaned = str(text).strip()
    moment = parse_ago(cleaned, now)
    if moment is None and (clock := parse_clock(cleaned)) is not None:
        moment = to_ms(datetime.combine(from_ms(now, tz).date(), clock, tz))
    if moment is None:
        moment = to_ms(parse_datetime(cleaned, tz))
    if moment > now + FUTURE_TOLERANCE_MS:
        raise ValueError(f"time {text!r} is in the future: a fact cannot happen later than now")
    return moment

