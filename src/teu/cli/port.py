"""`teu port CONTAINER [PRIVATE_PORT[/PROTO]]`: published ports (none until bridge networks
arrive: --network none and host publish nothing)."""

from __future__ import annotations

from teu.cli._engine import engine, guarded, parse_or_help


def main(argv: list[str]) -> int:
    parsed = parse_or_help(argv, [], "teu port", "CONTAINER [PRIVATE_PORT[/PROTO]]",
                           "List port mappings or a specific mapping for the container",
                           True, 1, 2)
    if parsed is None:
        return 0
    args = parsed[1]

    def go() -> int:
        from teu.engine.errors import NotFound

        row = engine().find(args[0])
        if len(args) > 1:
            port = args[1] if "/" in args[1] else args[1] + "/tcp"
            raise NotFound(f"No public port '{port}' published for {row['name']}")
        return 0

    return guarded(go)
