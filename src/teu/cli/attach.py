"""`teu attach [--no-stdin] CONTAINER`: attach to a running container's stdio."""

from __future__ import annotations

from teu.cli._engine import engine, guarded, parse_or_help
from teu.cli._flags import BOOL, Flag

FLAGS = [Flag("no-stdin", None, BOOL, "Do not attach STDIN"),
         Flag("sig-proxy", None, BOOL, "Proxy all received signals to the process")]


def main(argv: list[str]) -> int:
    parsed = parse_or_help(argv, FLAGS, "teu attach", "[OPTIONS] CONTAINER",
                           "Attach local standard input, output, and error streams to a "
                           "running container", True, 1, 1)
    if parsed is None:
        return 0
    opts, refs = parsed

    def go() -> int:
        from teu.engine import state
        from teu.engine.errors import Conflict
        from teu.engine.lifecycle.launch import attach_running

        e = engine()
        row = state.refresh(e, e.find(refs[0]))
        if row is None or row["status"] not in state.RUNNING:
            raise Conflict("You cannot attach to a stopped container, start it first")
        if not row["monitor_pid"] or not __import__("os").path.exists(
                e.paths.container(row["id"], "attach")):
            raise Conflict("this container runs in the foreground of another teu: "
                           "there is nothing to attach to")
        return attach_running(e, row, not opts.get("no_stdin"))

    return guarded(go)
