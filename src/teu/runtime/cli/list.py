"""usage: teu-runtime list [--format table|json] [--quiet]

List the containers under the state root.
"""

from __future__ import annotations

from teu import fastjson
from teu.runtime.cli.main import Globals, UsageError

FLAGS = {"format": (True, False), "quiet": (False, False)}
ALIASES = {"f": "format", "q": "quiet"}


def run(g: Globals, flags: dict, positional: list[str]) -> int:
    from teu.runtime.lifecycle import list_all

    fmt = flags.get("format", "table")
    if fmt not in ("table", "json"):
        raise UsageError(f"--format {fmt!r}: use table or json")
    states = list_all(g.root)
    if flags.get("quiet"):
        for s in states:
            print(s["id"])
    elif fmt == "json":
        print(fastjson.dumps(states))  # compact, as Go writes it
    else:
        rows = [("ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER")]
        rows += [(s["id"], str(s["pid"]), s["status"], s["bundle"], s["created"], "root")
                 for s in states]
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        for r in rows:
            print("   ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    return 0
