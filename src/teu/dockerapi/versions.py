"""API versions: what the service speaks, and the /vN.NN/ prefix of a path."""

from __future__ import annotations

import re

MIN_VERSION = "1.24"
MAX_VERSION = "1.47"
_PREFIX = re.compile(r"^/v(\d+)\.(\d+)(/.*)$")


def as_tuple(version: str) -> tuple[int, int]:
    major, _, minor = version.partition(".")
    return int(major), int(minor or 0)


def split_path(path: str) -> tuple[str | None, str]:
    """("1.41", "/containers/json") from "/v1.41/containers/json"; (None, path) unprefixed."""
    m = _PREFIX.match(path)
    if m is None:
        return None, path
    return f"{int(m.group(1))}.{int(m.group(2))}", m.group(3)


def check(version: str | None) -> str | None:
    """None when the client's version is served; else dockerd's message for it."""
    if version is None:
        return None
    v = as_tuple(version)
    if v > as_tuple(MAX_VERSION):
        return (f"client version {version} is too new. Maximum supported API version "
                f"is {MAX_VERSION}")
    if v < as_tuple(MIN_VERSION):
        return (f"client version {version} is too old. Minimum supported API version is "
                f"{MIN_VERSION}, please upgrade your client to a newer version")
    return None
