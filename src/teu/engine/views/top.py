"""`top`: the container's processes, as `ps` shows them (default `ps -ef`)."""

from __future__ import annotations

from teu.engine import state as S
from teu.engine.context import Engine
from teu.engine.errors import Conflict, EngineError


def top(engine: Engine, ref: str, ps_args: list[str] | None = None) -> tuple[list[str],
                                                                            list[list[str]]]:
    """(titles, rows) like docker's ContainerTop."""
    import subprocess

    from teu.engine.runtimes import for_row

    row = S.refresh(engine, engine.find(ref))
    if row is None or row["status"] not in S.RUNNING:
        raise Conflict(f"Container {ref} is not running")
    pids = set(for_row(engine.paths, row.settings).pids(row["id"]))
    from teu.engine.events import container as event

    event(engine, row, "top")
    args = ps_args or ["-ef"]
    p = subprocess.run(["ps", *args], capture_output=True, text=True)
    if p.returncode != 0:
        raise EngineError(f"ps {' '.join(args)}: {p.stderr.strip()}")
    lines = p.stdout.splitlines()
    if not lines:
        return [], []
    titles = lines[0].split()
    if "PID" not in titles:
        raise EngineError(f"ps {' '.join(args)}: no PID column in its output")
    at = titles.index("PID")
    rows = []
    for line in lines[1:]:
        fields = line.split(None, len(titles) - 1)
        try:
            if int(fields[at]) in pids:
                rows.append(fields)
        except (ValueError, IndexError):
            continue
    return titles, rows
