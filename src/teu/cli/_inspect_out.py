"""What every inspect verb prints: docker's indented JSON array, or each object through
a Go template; the failures after, one line each; exit 1 if any (docker's)."""

from __future__ import annotations

import json
import sys


def write_inspected(found: list, failed: list[str], fmt: str | None,
                    kind: str = "") -> int:
    """Print `found` as docker does; `failed` are whole lines ("Error: No such ...")."""
    if fmt and fmt != "json":
        from teu.cli._template import Template

        t = Template(fmt)
        for obj in found:
            print(t.render(obj))
    elif fmt == "json":
        print(json.dumps(found, separators=(",", ":")))
    else:
        print(json.dumps(found, indent=4))
    for msg in failed:
        print(msg, file=sys.stderr)
    return 1 if failed else 0
