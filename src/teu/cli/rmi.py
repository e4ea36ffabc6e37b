"""`teu rmi [-f] IMAGE...` (also `teu image rm`)."""

from __future__ import annotations

import sys

from teu.cli import _imageopts as O
from teu.errors import TeuError


def main(argv: list[str], prog: str = "teu rmi") -> int:
    p = O.parser(prog, "Remove one or more images.")
    p.add_argument("-f", "--force", action="store_true", help="remove even if tagged in "
                   "several repositories (or used by containers)")
    p.add_argument("--no-prune", action="store_true", help=argparse_suppress())
    p.add_argument("images", nargs="+")
    args = p.parse_args(argv)
    failed = 0
    with O.store(args.root) as st:
        for name in args.images:
            def go(name: str = name) -> int:
                for line in st.remove(name, force=args.force):
                    print(line)
                return 0
            try:
                O.run(name, go)
            except TeuError as e:
                print(f"Error: {e}", file=sys.stderr)
                failed += 1
    return 125 if failed else 0


def argparse_suppress() -> str:
    import argparse

    return argparse.SUPPRESS
