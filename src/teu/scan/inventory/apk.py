"""Alpine's installed database (lib/apk/db/installed): one "X:value" line per field,
a blank line between packages. P name, V version, A arch, L license, o origin
(the source package, aports' name that secdb keys advisories by)."""

from __future__ import annotations

from typing import IO

from teu.scan.inventory.model import APK, Package


def packages(f: IO[str], path: str) -> list[Package]:
    out: list[Package] = []
    cur: dict[str, str] = {}

    def flush() -> None:
        if cur.get("P") and cur.get("V"):
            out.append(Package(APK, cur["P"], cur["V"], path=path,
                               source_name=cur.get("o", cur["P"]), source_version=cur["V"],
                               arch=cur.get("A", ""),
                               licenses=[cur["L"]] if cur.get("L") else []))
        cur.clear()

    for line in f:
        line = line.rstrip("\n")
        if not line:
            flush()
            continue
        if len(line) < 2 or line[1] != ":":
            raise ValueError(f"not an apk field: {line[:60]!r}")
        key = line[0]
        if key in "PVALo" and key not in cur:
            cur[key] = line[2:]
    flush()
    return out
