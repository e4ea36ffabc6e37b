"""docker's value syntaxes, parsed without `re` (it costs ~5 ms on the run path).

Errors name the flag and the value the way docker does, e.g.
`invalid argument "12q" for "-m, --memory" flag: invalid size: '12q'`.
"""

from __future__ import annotations

from teu.engine.errors import InvalidArgument

_SIZE_UNITS = {"": 1, "b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40,
               "p": 1 << 50}

SIGNALS = {
    "HUP": 1, "INT": 2, "QUIT": 3, "ILL": 4, "TRAP": 5, "ABRT": 6, "IOT": 6, "BUS": 7,
    "FPE": 8, "KILL": 9, "USR1": 10, "SEGV": 11, "USR2": 12, "PIPE": 13, "ALRM": 14,
    "TERM": 15, "STKFLT": 16, "CHLD": 17, "CONT": 18, "STOP": 19, "TSTP": 20, "TTIN": 21,
    "TTOU": 22, "URG": 23, "XCPU": 24, "XFSZ": 25, "VTALRM": 26, "PROF": 27, "WINCH": 28,
    "IO": 29, "POLL": 29, "PWR": 30, "SYS": 31,
}

ULIMITS = {"core": "RLIMIT_CORE", "cpu": "RLIMIT_CPU", "data": "RLIMIT_DATA",
           "fsize": "RLIMIT_FSIZE", "locks": "RLIMIT_LOCKS", "memlock": "RLIMIT_MEMLOCK",
           "msgqueue": "RLIMIT_MSGQUEUE", "nice": "RLIMIT_NICE", "nofile": "RLIMIT_NOFILE",
           "nproc": "RLIMIT_NPROC", "rss": "RLIMIT_RSS", "rtprio": "RLIMIT_RTPRIO",
           "rttime": "RLIMIT_RTTIME", "sigpending": "RLIMIT_SIGPENDING",
           "stack": "RLIMIT_STACK", "as": "RLIMIT_AS"}


def bad(flag: str, value: object, why: str) -> InvalidArgument:
    return InvalidArgument(f'invalid argument "{value}" for "{flag}" flag: {why}')


def size(value: str | int, flag: str = "--memory") -> int:
    """Bytes from docker's RAMInBytes syntax: 512m, 1.5g, 100kb, 1024 (binary units)."""
    if isinstance(value, int):
        return value
    text = value.strip().lower()
    unit = ""
    if text.endswith("b") and len(text) > 1 and text[-2] in "kmgtp":
        text = text[:-1]
    if text and text[-1] in _SIZE_UNITS and not text[-1].isdigit():
        unit, text = text[-1], text[:-1]
    try:
        number = float(text)
    except ValueError:
        raise bad(flag, value, f"invalid size: '{value}'") from None
    if number < 0 or number != number:
        raise bad(flag, value, f"invalid size: '{value}'")
    return int(number * _SIZE_UNITS[unit])


def memory_swap(value: str | int) -> int:
    """--memory-swap: a size, or -1 for unlimited swap."""
    if value in (-1, "-1"):
        return -1
    return size(value, "--memory-swap")


def nano_cpus(value: str | float, ncpu: int | None = None) -> int:
    """--cpus 1.5 -> 1500000000 NanoCPUs; docker's range is 0.01 to the host's CPU count."""
    import os

    ncpu = ncpu or os.cpu_count() or 1
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise bad("--cpus", value, "failed to parse as a number") from None
    nano = int(round(number * 1e9))
    if nano < 0 or number != number:
        raise bad("--cpus", value, f"range of CPUs is from 0.01 to {ncpu}.00, as there are "
                                   f"only {ncpu} CPUs available")
    if nano and (nano < 10_000_000 or nano > ncpu * 1_000_000_000):
        raise InvalidArgument(f"range of CPUs is from 0.01 to {ncpu}.00, as there are only "
                              f"{ncpu} CPUs available")
    return nano


def integer(value: str | int, flag: str, minimum: int | None = None) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise bad(flag, value, "strconv.ParseInt: parsing: invalid syntax") from None
    if minimum is not None and number < minimum:
        raise bad(flag, value, f"must be at least {minimum}")
    return number


def cpuset(value: str, flag: str = "--cpuset-cpus") -> str:
    """A CPU list like 0-2,4; checked for shape, the kernel checks the CPUs exist."""
    for part in value.split(","):
        lo, _, hi = part.partition("-")
        if not lo.isdigit() or (hi and not hi.isdigit()) or (hi and int(hi) < int(lo)):
            raise bad(flag, value, "invalid format")
    return value


def duration(value: str | int | float, flag: str) -> float:
    """Seconds from a Go duration (1m30s, 500ms, 2h) or a bare number of seconds."""
    if isinstance(value, (int, float)):
        return float(value)
    text = value.strip()
    try:
        return float(text)
    except ValueError:
        pass
    scale = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
    total, i, n = 0.0, 0, len(text)
    if not text:
        raise bad(flag, value, "invalid duration")
    while i < n:
        j = i
        while j < n and (text[j].isdigit() or text[j] == "."):
            j += 1
        k = j
        while k < n and not (text[k].isdigit() or text[k] == "."):
            k += 1
        number, unit = text[i:j], text[j:k]
        if not number or unit not in scale:
            raise bad(flag, value, f'time: invalid duration "{value}"')
        total += float(number) * scale[unit]
        i = k
    return total


def signal_number(value: str | int, flag: str = "--signal") -> int:
    """SIGTERM, TERM, term or 15 -> 15 (SIGRTMIN+n works too)."""
    if isinstance(value, int):
        number = value
    else:
        text = value.strip().upper()
        if text.isdigit():
            number = int(text)
        else:
            if text.startswith("SIG"):
                text = text[3:]
            if text.startswith("RTMIN") or text.startswith("RTMAX"):
                base = 34 if text.startswith("RTMIN") else 64
                offset = text[5:]
                try:
                    number = base + (int(offset) if offset else 0)
                except ValueError:
                    raise InvalidArgument(f"invalid signal: {value}") from None
            elif text in SIGNALS:
                number = SIGNALS[text]
            else:
                raise InvalidArgument(f"invalid signal: {value}")
    if not 0 < number <= 64:
        raise InvalidArgument(f"invalid signal: {value}")
    return number


def signal_name(number: int) -> str:
    for name, n in SIGNALS.items():
        if n == number:
            return "SIG" + name
    return str(number)


def ulimit(value: str) -> dict:
    """nofile=1024:2048 (or nofile=1024) -> {"Name": "nofile", "Soft": 1024, "Hard": 2048}."""
    name, eq, limits = value.partition("=")
    if not eq or name not in ULIMITS:
        raise bad("--ulimit", value, f"invalid ulimit type: {name}" if eq
                  else "invalid ulimit argument")
    soft, _, hard = limits.partition(":")
    try:
        s = int(soft)
        h = int(hard) if hard else s
    except ValueError:
        raise bad("--ulimit", value, f"invalid ulimit value: {limits}") from None
    if s > h and h != -1:
        raise bad("--ulimit", value, f"ulimit soft limit must be less than or equal to hard "
                                     f"limit: {s} > {h}")
    return {"Name": name, "Soft": s, "Hard": h}


def restart_policy(value: str) -> dict:
    """no | always | unless-stopped | on-failure[:N] -> docker's RestartPolicy."""
    name, _, count = value.partition(":")
    if name not in ("no", "always", "unless-stopped", "on-failure", ""):
        raise bad("--restart", value, f"invalid restart policy {name!r}")
    retries = 0
    if count:
        if name != "on-failure":
            raise bad("--restart", value, f"maximum retry count cannot be used with restart "
                                          f"policy '{name}'")
        try:
            retries = int(count)
        except ValueError:
            raise bad("--restart", value, "maximum retry count must be an integer") from None
        if retries < 0:
            raise bad("--restart", value, "maximum retry count cannot be negative")
    return {"Name": "no" if name in ("", "no") else name, "MaximumRetryCount": retries}


def size_text(n: float) -> str:
    """docker's units.HumanSize: decimal units, 4 significant digits (1.23kB, 45.6MB)."""
    units_ = ["B", "kB", "MB", "GB", "TB", "PB"]
    i = 0
    n = float(n)
    while n >= 1000 and i < len(units_) - 1:
        n /= 1000
        i += 1
    text = f"{n:.4g}"
    return f"{text}{units_[i]}"
