"""Compose's byte sizes and durations in the forms docker compose prints them."""

from __future__ import annotations

from teu.compose.errors import ComposeError
from teu.engine.timefmt import go_duration

__all__ = ["bytes_of", "go_duration", "nanoseconds"]

_SIZES = {"": 1, "b": 1, "k": 1024, "kb": 1024, "m": 1024 ** 2, "mb": 1024 ** 2,
          "g": 1024 ** 3, "gb": 1024 ** 3, "t": 1024 ** 4, "tb": 1024 ** 4}


def bytes_of(value: object, where: str) -> int:
    """`64M`, `1g`, `512k`, `100` -> bytes (binary units, as docker's go-units RAMInBytes)."""
    if isinstance(value, bool):
        raise ComposeError(f"{where}: invalid size {value!r}")
    if isinstance(value, int):
        return value
    text = str(value).strip().lower()
    num = text.rstrip("abcdefghijklmnopqrstuvwxyz")
    unit = text[len(num):]
    try:
        return int(float(num) * _SIZES[unit])
    except (KeyError, ValueError):
        raise ComposeError(f"{where}: invalid size {value!r}") from None


_DUR = {"ns": 1, "us": 1_000, "µs": 1_000, "ms": 1_000_000, "s": 1_000_000_000,
        "m": 60_000_000_000, "h": 3_600_000_000_000}


def nanoseconds(value: object, where: str) -> int:
    """A Go duration (`1m30s`, `500ms`, `10`) in nanoseconds."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value * 1_000_000_000
    text = str(value).strip()
    total = 0
    i = 0
    if not text:
        raise ComposeError(f"{where}: invalid duration {value!r}")
    while i < len(text):
        j = i
        while j < len(text) and (text[j].isdigit() or text[j] == "."):
            j += 1
        k = j
        while k < len(text) and not (text[k].isdigit() or text[k] == "."):
            k += 1
        unit = text[j:k]
        if j == i or unit not in _DUR:
            raise ComposeError(f"{where}: invalid duration {value!r}")
        total += int(float(text[i:j]) * _DUR[unit])
        i = k
    return total
