"""`teu update [OPTIONS] CONTAINER...`: change resource limits and the restart policy."""

from __future__ import annotations

from teu.cli._engine import each, engine, guarded, parse_or_help
from teu.cli._flags import STR, Flag

FLAGS = [Flag("memory", "m", STR, "Memory limit", "bytes"),
         Flag("memory-swap", None, STR, "Swap limit equal to memory plus swap", "bytes"),
         Flag("cpus", None, STR, "Number of CPUs", "decimal"),
         Flag("cpu-shares", "c", STR, "CPU shares (relative weight)", "int"),
         Flag("cpuset-cpus", None, STR, "CPUs in which to allow execution (0-3, 0,1)"),
         Flag("pids-limit", None, STR, "Tune container pids limit (set -1 for unlimited)",
              "int"),
         Flag("restart", None, STR, "Restart policy to apply when a container exits")]


def main(argv: list[str]) -> int:
    parsed = parse_or_help(argv, FLAGS, "teu update", "[OPTIONS] CONTAINER [CONTAINER...]",
                           "Update configuration of one or more containers", True, 1)
    if parsed is None:
        return 0
    opts, refs = parsed
    _check_values(opts)

    def go() -> int:
        from teu.engine.lifecycle.update import update

        e = engine()

        def one(ref: str) -> str:
            update(e, ref, opts)
            return ref

        return each(refs, one)

    return guarded(go)


def _check_values(opts: dict) -> None:
    """docker parses these flags' values in its flag types (opts.MemBytes, NanoCPUs...),
    so a bad one is a command-line error: exit 125 before any container is touched."""
    from teu.cli._flags import UsageError
    from teu.engine.config import units
    from teu.engine.errors import InvalidArgument

    checks = {"memory": lambda v: units.size(v, "-m, --memory"),
              "memory_swap": units.memory_swap,
              "cpus": units.nano_cpus,
              "cpu_shares": lambda v: units.integer(v, "-c, --cpu-shares"),
              "pids_limit": lambda v: units.integer(v, "--pids-limit")}
    for key, check in checks.items():
        if opts.get(key) is not None:
            try:
                check(opts[key])
            except InvalidArgument as e:
                raise UsageError(f"{e}\nSee 'teu update --help'.") from None
