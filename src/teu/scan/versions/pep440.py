"""PEP 440 ordering through `packaging` (epochs, pre/post/dev releases, local versions)."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=4096)
def _parse(v: str):  # noqa: ANN202
    from packaging.version import InvalidVersion, Version

    try:
        return Version(v)
    except InvalidVersion:
        raise ValueError(f"not a PEP 440 version: {v!r}") from None


def compare(a: str, b: str) -> int:
    x, y = _parse(a), _parse(b)
    return (x > y) - (x < y)
