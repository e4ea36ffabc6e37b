"""`teu port CONTAINER [PRIVATE_PORT[/PROTO]]`: published ports, as docker prints them;
`--explain` prints the path a packet to each published port takes (teu.network.explain)."""

from __future__ import annotations

from teu.cli._engine import engine, guarded, parse_or_help
from teu.cli._flags import BOOL, Flag


def main(argv: list[str]) -> int:
    flags = [Flag("explain", None, BOOL, "Show the path a packet to the port takes, hop by "
                  "hop, and which hop is missing or wrong")]
    parsed = parse_or_help(argv, flags, "teu port", "CONTAINER [PRIVATE_PORT[/PROTO]]",
                           "List port mappings or a specific mapping for the container",
                           True, 1, 2)
    if parsed is None:
        return 0
    opts, args = parsed

    def go() -> int:
        from teu.engine import state
        from teu.engine.errors import NotFound
        from teu.engine.network import network_settings

        e = engine()
        row = state.refresh(e, e.find(args[0])) or e.find(args[0])
        wanted = None
        if len(args) > 1:
            wanted = args[1] if "/" in args[1] else args[1] + "/tcp"
        if opts.get("explain"):
            from teu.engine.network import explain

            text, ok = explain(e, row, wanted)
            print(text, end="")
            return 0 if ok else 1
        ports = network_settings(e, row).get("Ports") or {}
        if wanted is not None:
            bindings = ports.get(wanted)
            if not bindings:
                raise NotFound(f"No public port '{wanted}' published for {row['name']}")
            for b in bindings:
                print(_addr(b))
            return 0
        for key in sorted(ports, key=lambda k: (int(k.split("/")[0]), k)):
            for b in ports[key] or []:
                print(f"{key} -> {_addr(b)}")
        return 0

    return guarded(go)


def _addr(binding: dict) -> str:
    """docker's form: 0.0.0.0:8080, [::]:8080."""
    ip = binding["HostIp"]
    return f"[{ip}]:{binding['HostPort']}" if ":" in ip else f"{ip}:{binding['HostPort']}"
