"""usage: teu-runtime ps [--format table|json] ID [PS_ARGS...]

Show the processes running in a container: their host pids as JSON, or a
`ps` table (PS_ARGS default to -ef) limited to those pids.
"""

from __future__ import annotations

from teu.runtime.cli.main import Globals, UsageError, need_id

STOP_AT_ARGS = True  # what follows the id is ps(1)'s own options
FLAGS = {"format": (True, False)}
ALIASES = {"f": "format"}


def run(g: Globals, flags: dict, positional: list[str]) -> int:
    from teu.runtime.lifecycle import pids

    cid = need_id(positional, "ps")
    found = pids(g.root, cid)
    fmt = flags.get("format", "table")
    if fmt == "json":
        from teu import fastjson  # json would import re: a start-up cost for a list of ints

        print(fastjson.dumps(found))  # compact, as Go writes it
        return 0
    if fmt != "table":
        raise UsageError(f"--format {fmt!r}: use table or json")
    import subprocess

    out = subprocess.run(["ps", *(positional[1:] or ["-ef"])], capture_output=True, text=True)
    if out.returncode != 0:
        raise UsageError(f"ps: {out.stderr.strip()}")
    lines = out.stdout.splitlines()
    header = lines[0].split()
    column = header.index("PID") if "PID" in header else 1
    print(lines[0])
    wanted = {str(p) for p in found}
    for line in lines[1:]:
        fields = line.split()
        if len(fields) > column and fields[column] in wanted:
            print(line)
    return 0
