"""Durations, go-live-relative times and the scribe's `--at` times.

Every instant is stored as integer milliseconds since the epoch, UTC.
"""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
# ASCII digits only: Python's \d takes '٣' for 3, a person would not
_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$", re.ASCII)
_RELATIVE = re.compile(r"^H(?:\s*([+-])\s*(\S+))?$", re.ASCII)
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$", re.ASCII)
_AGO = re.compile(r"^-(\S+)$", re.ASCII)
MINUTE = 60_000
FUTURE_TOLERANCE_MS = MINUTE
BEFORE_PLAN_MS = 30 * 86_400_000  # how long before the plan's first step a fact may be dated


def parse_duration(text: str) -> int:
    """'1h30m' -> 5400 seconds. Raises ValueError with a readable message."""
    cleaned = str(text).strip().replace(" ", "")
    match = _DURATION.match(cleaned)
    if not cleaned or not match or not any(match.groups()):
        raise ValueError(f"bad duration {text!r}: use forms like 45m, 2h, 1h30m, 1d")
    days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return days * 86400 + hours * 3600 + minutes * 60 + seconds


def duration(ms: int) -> str:
    """A span of time as the war room writes it everywhere: '45s' under a minute, else in whole
    minutes (as a clock counts them): '7m', '1h', '1h05m', '2d3h', '2d3h05m'; negative spans
    get a leading minus. What it writes, parse_duration reads back."""
    sign = "-" if ms < 0 else ""
    seconds = abs(ms) // 1000
    if seconds < 60:
        return f"{sign}{seconds}s"
    days, rest = divmod(seconds // 60, 24 * 60)
    hours, minutes = divmod(rest, 60)
    shown = (f"{days}d" if days else "") + (f"{hours}h" if hours or (days and minutes) else "")
    if minutes:
        shown += f"{minutes:02d}m" if shown else f"{minutes}m"
    return sign + shown


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # 'America' is a directory of zones
        raise ValueError(f"unknown time zone {name[:64]!r}") from None


def to_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


# the instants a datetime can hold in any zone (a day of margin for the zone's offset)
FIRST_MS = to_ms(datetime(1, 1, 2, tzinfo=UTC))
LAST_MS = to_ms(datetime(9999, 12, 30, tzinfo=UTC))


def in_range(ms: int) -> bool:
    return FIRST_MS <= ms <= LAST_MS


def invalid(ms: int) -> str:
    """How an instant no calendar can show (an old journal may hold one) is written."""
    return f"⟨invalid time {ms} ms⟩"


def from_ms(ms: int, tz: ZoneInfo | timezone = UTC) -> datetime:
    """The instant in `tz`; a ValueError (never an OverflowError) when it is out of range."""
    if not in_range(ms):
        raise ValueError(f"{invalid(ms)}: out of range")
    return datetime.fromtimestamp(ms / 1000, tz)


def utc_offset(moment: datetime) -> timedelta:
    """How far an aware datetime (as from_ms gives) is ahead of UTC; a naive one has no offset
    to give (a ValueError)."""
    offset = moment.utcoffset()
    if offset is None:
        raise ValueError(f"{moment:%Y-%m-%d %H:%M} has no time zone")
    return offset


def show(ms: int, tz: ZoneInfo | timezone, pattern: str) -> str:
    """The instant in `tz` formatted with strftime's `pattern`, or marked as invalid."""
    return from_ms(ms, tz).strftime(pattern) if in_range(ms) else invalid(ms)


def now_ms() -> int:
    return to_ms(datetime.now(UTC))


def wall_time(naive: datetime, tz: ZoneInfo, latest: int | None = None) -> datetime:
    """A wall-clock time in `tz`. Refused when the clocks skipped it (a DST gap); when they
    showed it twice, the later of the two (the later one not after `latest`, if given)."""
    first, second = (naive.replace(tzinfo=tz, fold=fold) for fold in (0, 1))
    first_ms, second_ms = to_ms(first), to_ms(second)
    if second_ms < first_ms:  # in a gap the fold=1 reading (the new offset) lands before the fold=0 one
        raise ValueError(_gap(naive, tz, second_ms, first_ms))
    return second if latest is None or second_ms <= latest else first


def _gap(naive: datetime, tz: ZoneInfo, before: int, after: int) -> str:
    """Where the clocks jumped, found to the minute between an instant before and one after."""
    offset = utc_offset(from_ms(before, tz))
    low, high = before // MINUTE, after // MINUTE
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if utc_offset(from_ms(middle * MINUTE, tz)) == offset else (low, middle)
    jump = from_ms(high * MINUTE, tz)
    return (f"{naive:%H:%M} does not exist on {naive:%Y-%m-%d} in {tz.key}: clocks jumped from "
            f"{jump - (utc_offset(jump) - offset):%H:%M} to {jump:%H:%M}")


def ambiguity(text: str, moment: int, tz: ZoneInfo) -> str | None:
    """What to tell the scribe when `text`, a wall-clock time without an offset, named a time
    the clocks showed twice and was taken as `moment`; None otherwise."""
    if not _names_wall_time(str(text).strip()):
        return None
    taken = from_ms(moment, tz)
    other = taken.replace(fold=1 - taken.fold)
    if other.utcoffset() == taken.utcoffset():
        return None
    return (f"{taken:%H:%M} happened twice on {taken:%Y-%m-%d}; taken as {taken:%H:%M %Z} "
            f"({taken.isoformat(timespec='minutes')[16:]}); give an offset like "
            f"{other.isoformat(timespec='minutes')} for the other")


def _names_wall_time(text: str) -> bool:
    """'02:30' or an ISO time without an offset: a reading of the war room's clocks."""
    if _CLOCK.match(text):
        return True
    try:
        return datetime.fromisoformat(text).tzinfo is None
    except ValueError:
        return False


def _iso(text: str) -> datetime:
    try:
        return datetime.fromisoformat(str(text).strip())
    except ValueError:
        raise ValueError(f"bad time {text!r}: use ISO 8601 like 2026-11-24T20:00") from None


def parse_datetime(text: str, tz: ZoneInfo) -> datetime:
    """ISO 8601 date-time; a naive one is a wall-clock time in the war room's zone."""
    moment = _iso(text)
    return wall_time(moment, tz) if moment.tzinfo is None else moment


def parse_planned(text: str, golive: datetime, tz: ZoneInfo) -> datetime:
    """'H', 'H-2h', 'H+15m' relative to go-live, or an absolute ISO time."""
    cleaned = str(text).strip()
    match = _RELATIVE.match(cleaned)
    if match:
        sign, amount = match.groups()
        if sign is None:
            return golive
        try:
            offset = timedelta(seconds=parse_duration(amount))
            return golive + offset if sign == "+" else golive - offset
        except OverflowError:
            raise ValueError(f"bad time {text!r}: out of range") from None
    return parse_datetime(cleaned, tz)


def require_in_range(ms: int, text: str) -> int:
    """`ms`, read from `text`, when a calendar can show it; a ValueError otherwise."""
    if not in_range(ms):
        raise ValueError(f"bad time {text!r}: out of range")
    return ms


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


def parse_at(text: str, now: int, tz: ZoneInfo, earliest: int | None = None) -> int:
    """When something happened, as the scribe says it: an ISO time, 'HH:MM' (the latest such
    time on the war room's clocks that is not in the future) or '-10m' (that long ago).
    Never more than a minute in the future, nor more than 30 days before `earliest` (the
    plan's first planned start). A wall-clock time the clocks skipped is refused; one they
    showed twice is the later of the two (`ambiguity` says what to tell the scribe)."""
    cleaned = str(text).strip()
    latest = now + FUTURE_TOLERANCE_MS
    moment = parse_ago(cleaned, now)
    if moment is None and (clock := parse_clock(cleaned)) is not None:
        moment = to_ms(_latest_clock(clock, latest, tz))
    if moment is None:
        iso = _iso(cleaned)
        moment = to_ms(iso if iso.tzinfo else wall_time(iso, tz, latest))
    if moment > latest:
        raise ValueError(f"time {text!r} is in the future: a fact cannot happen later than now")
    if earliest is not None and moment < earliest - BEFORE_PLAN_MS:
        raise ValueError(f"time {text!r} is more than 30 days before the plan's first step "
                         f"({show(earliest, tz, '%Y-%m-%d %H:%M')})")
    return require_in_range(moment, text)


def _latest_clock(clock: time, latest: int, tz: ZoneInfo) -> datetime:
    """The latest time the war room's clocks showed `clock` that is not after `latest`."""
    naive = datetime.combine(from_ms(latest, tz).date(), clock)
    if min(to_ms(naive.replace(tzinfo=tz, fold=fold)) for fold in (0, 1)) > latest:
        naive -= timedelta(days=1)
    return wall_time(naive, tz, latest)


def parse_moment(text: str, *, golive: int, now: int, tz: ZoneInfo) -> int:
    """A moment of the day as people say it afterwards: 'HH:MM' (the one nearest to go-live,
    so '00:30' after a 23:00 go-live is that night), 'H+90m' / 'H-1h' (go-live relative),
    '-10m' (that long before now) or an ISO time (naive: in `tz`). A wall-clock time is read
    as `--at` reads it: refused in a DST gap, the later one when the clocks showed it twice."""
    cleaned = str(text).strip()
    if (clock := parse_clock(cleaned)) is not None:
        moment = _nearest_to_golive(clock, golive, tz)
    elif (ago := parse_ago(cleaned, now)) is not None:
        moment = ago
    else:
        moment = to_ms(parse_planned(cleaned, from_ms(golive, tz), tz))
    return require_in_range(moment, text)


def parse_due(text: str, *, golive: int, tz: ZoneInfo) -> int:
    """A due date: a calendar date means by the end of that day; else a time as a plan
    writes one (an ISO time, H+14d)."""
    cleaned = str(text).strip()
    try:
        day = date.fromisoformat(cleaned)
    except ValueError:
        day = None
    if day is not None:
        return require_in_range(to_ms(wall_time(datetime.combine(day + timedelta(days=1), time()), tz)) - 1, text)
    return require_in_range(to_ms(parse_planned(cleaned, from_ms(golive, tz), tz)), text)


def _nearest_to_golive(clock: time, golive: int, tz: ZoneInfo) -> int:
    at_golive = from_ms(golive, tz).replace(tzinfo=None)
    days = (at_golive.date() + timedelta(days=d) for d in (-1, 0, 1))
    nearest = min((datetime.combine(day, clock) for day in days), key=lambda t: abs(t - at_golive))
    return to_ms(wall_time(nearest, tz))


def t_label(now: int, golive: int) -> str:
    """'T-1:23:45' before go-live, 'T+0:35:10' after; 'T+5d 04:12' from a day on (the
    console's top bar and the status pages, and the status page's script, write it so)."""
    days, seconds = divmod(abs(now - golive) // 1000, 86400)
    hours, rest = divmod(seconds, 3600)
    sign = "-" if now < golive else "+"
    if days:
        return f"T{sign}{days}d {hours:02d}:{rest // 60:02d}"
    return f"T{sign}{hours}:{rest // 60:02d}:{rest % 60:02d}"
