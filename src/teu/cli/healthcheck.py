"""`teu healthcheck run CONTAINER`: run the container's health check once (what the
per-container loop calls); exit 0 if healthy, 1 otherwise."""

from __future__ import annotations

import sys

from teu.cli._engine import engine, guarded, parse_or_help


def main(argv: list[str]) -> int:
    if argv[:1] in (["-h"], ["--help"]):
        print("\nUsage:  teu healthcheck run CONTAINER\n\nRun the container's health check "
              "once")
        return 0
    if not argv or argv[0] != "run":
        print("Usage:  teu healthcheck run CONTAINER", file=sys.stderr)
        return 1
    parsed = parse_or_help(argv[1:], [], "teu healthcheck run", "CONTAINER",
                           "Run the container's health check once", True, 1, 1)
    if parsed is None:
        return 0

    def go() -> int:
        from teu.engine.monitor.health import run_check

        status = run_check(engine(), parsed[1][0])
        print(status)
        return 0 if status == "healthy" else 1

    return guarded(go)
