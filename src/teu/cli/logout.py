"""`teu logout [--authfile F] [--all] [SERVER]`."""

from __future__ import annotations

from teu.cli import _imageopts as O
from teu.errors import TeuError


def main(argv: list[str]) -> int:
    p = O.Parser(prog="teu logout", description="Log out from a registry.")
    O.add_root(p)
    p.add_argument("--authfile", help="credentials file")
    p.add_argument("server", nargs="?", default="docker.io")
    args = p.parse_args(argv)

    def go() -> int:
        from teu.image.reference import normalize_registry
        from teu.registry.client import credentials

        server = normalize_registry(args.server)
        changed = credentials.remove(server, args.authfile)
        if not changed:
            raise TeuError(f"not logged in to {server}", 125)
        print(f"Removed login credentials for {server}")
        return 0

    return O.run(args.server, go)
