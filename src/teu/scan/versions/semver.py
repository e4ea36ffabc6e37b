"""SemVer 2.0.0 precedence: MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]; build metadata is
ignored; a pre-release sorts before its release; identifiers compare as numbers
when both are numeric, numbers before alphanumerics, more identifiers win a tie.
A leading `v` (Go modules) is allowed; missing minor/patch count as 0."""

from __future__ import annotations


def parse(v: str) -> tuple[tuple[int, int, int], list[str]]:
    v = v.strip().removeprefix("v")
    v = v.split("+", 1)[0]
    core, _, pre = v.partition("-")
    parts = core.split(".")
    if not 1 <= len(parts) <= 3 or not all(p.isdigit() for p in parts):
        raise ValueError(f"not a semantic version: {v!r}")
    nums = [int(p) for p in parts] + [0] * (3 - len(parts))
    return (nums[0], nums[1], nums[2]), pre.split(".") if pre else []


def _ident(a: str, b: str) -> int:
    an, bn = a.isdigit(), b.isdigit()
    if an and bn:
        x, y = int(a), int(b)
        return (x > y) - (x < y)
    if an != bn:
        return -1 if an else 1
    return (a > b) - (a < b)


def compare(a: str, b: str) -> int:
    ca, pa = parse(a)
    cb, pb = parse(b)
    if ca != cb:
        return -1 if ca < cb else 1
    if not pa or not pb:
        return (not pa) - (not pb)     # the release beats its pre-releases
    for x, y in zip(pa, pb, strict=False):
        c = _ident(x, y)
        if c:
            return c
    return (len(pa) > len(pb)) - (len(pa) < len(pb))
