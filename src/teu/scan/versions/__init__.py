"""Version ordering exactly as each ecosystem defines it.

    dpkg.py    Debian policy 5.6.12 ([epoch:]upstream[-revision], `~` before anything)
    apk.py     apk-tools (Gentoo-style: numbers, a letter, _alpha.._p suffixes, -rN)
    rpm.py     rpmvercmp with `~` (pre-release) and `^` (post-release), epoch:version-release
    semver.py  SemVer 2.0.0 (npm, Go modules, crates; a leading `v` allowed)
    pep440.py  PEP 440 through `packaging` (PyPI)

compare(scheme, a, b) -> -1/0/1; SCHEME_OF maps OSV ecosystems and package types.
"""

from __future__ import annotations

from collections.abc import Callable

SCHEME_OF = {
    "Debian": "dpkg", "Ubuntu": "dpkg", "deb": "dpkg",
    "Alpine": "apk", "apk": "apk",
    "Red Hat": "rpm", "Rocky Linux": "rpm", "AlmaLinux": "rpm", "rpm": "rpm",
    "openSUSE": "rpm", "SUSE": "rpm", "Mageia": "rpm",
    "PyPI": "pep440", "pypi": "pep440",
    "npm": "semver", "Go": "semver", "golang": "semver", "crates.io": "semver",
}


def comparator(scheme: str) -> Callable[[str, str], int]:
    if scheme == "dpkg":
        from teu.scan.versions.dpkg import compare
    elif scheme == "apk":
        from teu.scan.versions.apk import compare
    elif scheme == "rpm":
        from teu.scan.versions.rpm import compare
    elif scheme == "semver":
        from teu.scan.versions.semver import compare
    elif scheme == "pep440":
        from teu.scan.versions.pep440 import compare
    else:
        raise ValueError(f"no version scheme {scheme!r}")
    return compare


def compare(scheme: str, a: str, b: str) -> int:
    return comparator(scheme)(a, b)
