"""Times the way docker prints them: RFC 3339 with nanoseconds, "2 minutes ago", and
Go's durations (300ms, 1m30s)."""

from __future__ import annotations

import time

from teu.image.timefmt import human_duration

ZERO = "0001-01-01T00:00:00Z"

__all__ = ["ZERO", "go_duration", "human_duration", "parse_rfc3339", "rfc3339", "since",
           "until_of"]


def rfc3339(ts: float | None, nanos: bool = True) -> str:
    """UTC, e.g. 2026-11-27T09:50:01.123456789Z (docker's State.StartedAt)."""
    if not ts:
        return ZERO
    base = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts))
    if not nanos:
        return base + "Z"
    return f"{base}.{int(round(ts % 1 * 1e9)) % 1_000_000_000:09d}Z"


def parse_rfc3339(text: str) -> float:
    """2026-11-27T09:50:01.123456789+01:00 (or Z) -> epoch seconds; ValueError if not."""
    import calendar

    text = text.strip()
    date, sep, rest = text.partition("T")
    if not sep:
        rest = "00:00:00Z" if len(date) == 10 else ""
    y, mo, d = (int(x) for x in date.split("-"))
    offset = 0.0
    if rest.endswith("Z"):
        clock = rest[:-1]
    else:
        sign = 1
        cut = max(rest.rfind("+"), rest.rfind("-"))
        if cut <= 0:
            clock = rest  # no zone: local time, like docker's --since
            offset = -time.timezone if not time.daylight else -time.altzone
        else:
            clock, zone = rest[:cut], rest[cut:]
            sign = -1 if zone[0] == "-" else 1
            zh, _, zm = zone[1:].partition(":")
            offset = sign * (int(zh) * 3600 + int(zm or 0) * 60)
    hms, _, frac = clock.partition(".")
    h, mi, s = (int(x) for x in hms.split(":"))
    seconds = calendar.timegm((y, mo, d, h, mi, s, 0, 0, 0)) - offset
    return seconds + (float("0." + frac) if frac else 0.0)


def since(value: str, now: float | None = None, flag: str = "since") -> float:
    """--since/--until: RFC 3339, a Unix timestamp, or a duration ago (10m, 1h30m)."""
    from teu.engine.config import units
    from teu.engine.errors import InvalidArgument

    now = time.time() if now is None else now
    try:
        return float(value)
    except ValueError:
        pass
    try:
        return parse_rfc3339(value)
    except (ValueError, IndexError):
        pass
    try:
        return now - units.duration(value, "--" + flag)
    except InvalidArgument:
        raise InvalidArgument(f"invalid value for \"{flag}\": {value!r} is not a timestamp, "
                              "an RFC 3339 time or a duration") from None


def until_of(filters: dict[str, list[str]]) -> float | None:
    """The prunes' `until` filter (what was made before it goes; the earliest of several),
    None if there is none."""
    values = filters.get("until") or []
    return min(since(v, flag="until") for v in values) if values else None


def go_duration(ns: int) -> str:
    """Go's time.Duration.String(): 1m30s, 500ms, 2h0m0s, 0s."""
    if ns == 0:
        return "0s"
    sign = "-" if ns < 0 else ""
    ns = abs(ns)
    if ns < 1_000_000_000:
        for unit, size in (("ms", 1_000_000), ("µs", 1_000), ("ns", 1)):
            if ns >= size:
                return sign + _frac(ns, size) + unit
    h, rest = divmod(ns, 3_600_000_000_000)
    m, rest = divmod(rest, 60_000_000_000)
    s = _frac(rest, 1_000_000_000) + "s"
    if h:
        return f"{sign}{h}h{m}m{s}"
    if m:
        return f"{sign}{m}m{s}"
    return sign + s


def _frac(n: int, size: int) -> str:
    whole, part = divmod(n, size)
    if not part:
        return str(whole)
    digits = len(str(size)) - 1
    return f"{whole}." + f"{part:0{digits}d}".rstrip("0")
