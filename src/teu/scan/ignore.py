"""The ignore file (`--ignorefile`, default ./.teuignore), trivy's .trivyignore format:
one vulnerability ID per line, `#` comments, optionally `exp:YYYY-MM-DD` after the ID
(the entry stops applying after that day)."""

from __future__ import annotations

from teu.scan.errors import ScanError


# datetime is imported only when an entry has an expiry: the warm scan path loads this file
def load(path: str, today: datetime.date | None = None) -> set[str]:  # noqa: F821
    ids: set[str] = set()
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.readlines()
    except FileNotFoundError:
        return ids
    for n, line in enumerate(lines, 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        for extra in parts[1:]:
            if extra.startswith("exp:"):
                import datetime  # only files with expiries pay for it (the warm scan path)

                today = today or datetime.date.today()
                try:
                    until = datetime.date.fromisoformat(extra[4:])
                except ValueError:
                    raise ScanError(f"{path}:{n}: bad expiry date {extra[4:]!r} "
                                    "(want exp:YYYY-MM-DD)") from None
                if until < today:
                    break
        else:
            ids.add(parts[0])
    return ids
