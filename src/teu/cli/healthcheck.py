"""`teu healthcheck run [--wait SECONDS] CONTAINER`: run the container's health check
once (what the per-container loop calls); exit 0 if healthy, 1 otherwise. --wait: run
it that long after this process started (the loop starts a check due soon ahead), or
with --after-start that long after the container's start, which the loop's go line on
stdin gives (teu.engine.monitor.healthloop)."""

from __future__ import annotations

import sys

from teu.cli._engine import engine, guarded, parse_or_help
from teu.cli._flags import BOOL, STR, Flag, UsageError

FLAGS = [Flag("wait", None, STR, "Run the check this many seconds after starting"),
         Flag("after-start", None, BOOL, "Count --wait from the container's start, read "
              "from stdin (the health loop's line)")]


def main(argv: list[str]) -> int:
    if argv[:1] in (["-h"], ["--help"]):
        print("\nUsage:  teu healthcheck run CONTAINER\n\nRun the container's health check "
              "once")
        return 0
    if not argv or argv[0] != "run":
        print("Usage:  teu healthcheck run CONTAINER", file=sys.stderr)
        return 1
    parsed = parse_or_help(argv[1:], FLAGS, "teu healthcheck run", "[OPTIONS] CONTAINER",
                           "Run the container's health check once", True, 1, 1)
    if parsed is None:
        return 0
    try:
        wait = float(parsed[0].get("wait") or 0)
    except ValueError:
        raise UsageError(f"invalid argument {parsed[0]['wait']!r} for \"--wait\" flag: "
                         "not a number of seconds\nSee 'teu healthcheck run --help'.") from None

    def go() -> int:
        from teu.engine.monitor.health import run_check

        status = run_check(engine(), parsed[1][0], wait, bool(parsed[0].get("after_start")))
        if status is None:  # the container never started: no check
            return 1
        print(status)
        return 0 if status == "healthy" else 1

    return guarded(go)
