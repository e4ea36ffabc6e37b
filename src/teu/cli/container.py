"""`teu container VERB ...`: docker's management-command spelling of the container verbs,
plus `cleanup` (what conmon runs when a detached container exits) and `prune`."""

from __future__ import annotations

import importlib
import sys

from teu.cli._engine import engine, guarded, parse_or_help
from teu.cli._flags import BOOL, LIST, Flag

ALIASES = {"ls": "ps", "list": "ps", "remove": "rm"}
VERBS = ("run", "create", "start", "stop", "restart", "kill", "rm", "ps", "logs", "exec",
         "attach", "wait", "inspect", "top", "stats", "cp", "diff", "commit", "export",
         "rename", "pause", "unpause", "port", "update")


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print("\nUsage:  teu container COMMAND\n\nManage containers\n\nCommands: " + ", ".join(
            (*VERBS, "ls", "prune", "cleanup")))
        return 0
    verb, rest = ALIASES.get(argv[0], argv[0]), argv[1:]
    if verb == "cleanup":
        return _cleanup(rest)
    if verb == "prune":
        return _prune(rest)
    if verb not in VERBS:
        print(f"teu container: unknown command {argv[0]!r}", file=sys.stderr)
        return 1
    if verb == "inspect":
        from teu.cli.inspect import main as inspect

        return inspect(rest, "teu container inspect", only="container")
    return importlib.import_module(f"teu.cli.{verb}").main(rest)


def _cleanup(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: teu container cleanup ID", file=sys.stderr)
        return 1

    def go() -> int:
        from teu.engine.monitor.cleanup import cleanup

        return cleanup(engine(), argv[0])

    return guarded(go)


PRUNE_FLAGS = [Flag("force", "f", BOOL, "Do not prompt for confirmation"),
               Flag("filter", None, LIST, "Provide filter values (e.g. 'until=<timestamp>')")]


def _prune(argv: list[str]) -> int:
    parsed = parse_or_help(argv, PRUNE_FLAGS, "teu container prune", "[OPTIONS]",
                           "Remove all stopped containers", True, 0, 0)
    if parsed is None:
        return 0
    opts, _ = parsed

    def go() -> int:
        from teu.cli._confirm import asked
        from teu.engine.config.units import size_text
        from teu.engine.lifecycle.prune import prune_containers

        if not asked(opts, "WARNING! This will remove all stopped containers.\n"
                           "Are you sure you want to continue?"):
            return 0
        removed, freed = prune_containers(engine(), opts.get("filter") or [])
        if removed:
            print("Deleted Containers:")
            for cid in removed:
                print(cid)
            print()
        print(f"Total reclaimed space: {size_text(freed)}")
        return 0

    return guarded(go)
