"""Reading linux.resources values: type checks with messages that name the key."""

from __future__ import annotations

from .fs import CgroupError


def num(section: dict, key: str, where: str) -> int | None:
    """An integer field, or None when absent or null."""
    value = section.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise CgroupError(f"cgroup: {where}.{key} must be an integer, not {value!r}")
    return value


def flag(section: dict, key: str, where: str) -> bool | None:
    value = section.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise CgroupError(f"cgroup: {where}.{key} must be true or false, not {value!r}")
    return value


def text(section: dict, key: str, where: str) -> str | None:
    value = section.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise CgroupError(f"cgroup: {where}.{key} must be a string, not {value!r}")
    return value


def section(resources: dict, key: str) -> dict:
    value = resources.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise CgroupError(f"cgroup: linux.resources.{key} must be an object")
    return value


def items(resources: dict, key: str, where: str = "linux.resources") -> list[dict]:
    value = resources.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise CgroupError(f"cgroup: {where}.{key} must be a list of objects")
    return value


def device_line(entry: dict, value_key: str, where: str) -> tuple[int, int, int]:
    """(major, minor, value) of a blockIO device entry."""
    major, minor = num(entry, "major", where), num(entry, "minor", where)
    value = num(entry, value_key, where)
    if major is None or minor is None or value is None:
        raise CgroupError(f"cgroup: {where} entries need major, minor and {value_key}")
    return major, minor, value
