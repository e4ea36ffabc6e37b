"""`teu logout [--authfile F] [SERVER]`."""

from __future__ import annotations

from teu.cli import _imageopts as O
from teu.cli._flags import STR, Flag
from teu.errors import TeuError

FLAGS = [Flag("authfile", None, STR, "Credentials file (default: docker's config.json)")]


def main(argv: list[str]) -> int:
    parsed = O.parse(argv, FLAGS, "teu logout", "[SERVER]",
                     "Log out from a Docker registry.", 0, 1)
    if parsed is None:
        return 0
    opts, args = parsed
    server_arg = args[0] if args else "docker.io"

    def go() -> int:
        from teu.image.reference import normalize_registry
        from teu.registry.client import credentials

        server = normalize_registry(server_arg)
        changed = credentials.remove(server, opts.get("authfile"))
        if not changed:
            raise TeuError(f"not logged in to {server}")
        print(f"Removed login credentials for {server}")
        return 0

    return O.run(server_arg, go)
