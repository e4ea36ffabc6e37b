"""apk's version order (apk-tools, Gentoo's rules): N[.N]...[letter][_suffix[N]]...[-rN].

Numbers after the first compare as decimal fractions when either starts with 0
(1.01 < 1.1); more components win a tie (1.0 < 1.0.0); no letter before any
letter; suffixes alpha < beta < pre < rc < (none) < cvs < svn < git < hg < p;
the -r revision last."""

from __future__ import annotations

import re

_SUFFIXES = ["alpha", "beta", "pre", "rc", "", "cvs", "svn", "git", "hg", "p"]
_NONE = _SUFFIXES.index("")
_RE = re.compile(r"^(\d+)((?:\.\d+)*)([a-z]?)((?:_(?:alpha|beta|pre|rc|cvs|svn|git|hg|p)\d*)*)"
                 r"(?:~[0-9a-f]+)?(?:-r(\d+))?$")
_SUFFIX = re.compile(r"_(alpha|beta|pre|rc|cvs|svn|git|hg|p)(\d*)")


def parse(v: str) -> tuple[list[str], str, list[tuple[int, int]], int]:
    m = _RE.match(v.strip())
    if not m:
        raise ValueError(f"not an apk version: {v!r}")
    nums = [m.group(1)] + [x for x in m.group(2).split(".") if x]
    suffixes = [(_SUFFIXES.index(s), int(n) if n else 0) for s, n in _SUFFIX.findall(m.group(4))]
    return nums, m.group(3), suffixes, int(m.group(5) or 0)


def _cmp(x, y) -> int:  # noqa: ANN001
    return (x > y) - (x < y)


def compare(a: str, b: str) -> int:
    na, la, sa, ra = parse(a)
    nb, lb, sb, rb = parse(b)
    c = _cmp(int(na[0]), int(nb[0]))
    if c:
        return c
    for x, y in zip(na[1:], nb[1:], strict=False):
        if x.startswith("0") or y.startswith("0"):
            c = _cmp(x.rstrip("0"), y.rstrip("0"))
        else:
            c = _cmp(int(x), int(y))
        if c:
            return c
    c = _cmp(len(na), len(nb))
    if c:
        return c
    c = _cmp(la, lb)
    if c:
        return c
    for x, y in zip(sa, sb, strict=False):
        c = _cmp(x, y)
        if c:
            return c
    if len(sa) != len(sb):
        longer, sign = (sa, 1) if len(sa) > len(sb) else (sb, -1)
        extra = longer[min(len(sa), len(sb))][0]
        return sign if extra > _NONE else -sign
    return _cmp(ra, rb)
