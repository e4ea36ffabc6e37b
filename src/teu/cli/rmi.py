"""`teu rmi [-f] IMAGE...` (also `teu image rm`)."""

from __future__ import annotations

import sys

from teu.cli import _imageopts as O
from teu.cli._flags import BOOL, Flag
from teu.errors import TeuError

FLAGS = [Flag("force", "f", BOOL, "Force removal of the image"),
         Flag("no-prune", None, BOOL, "Do not delete untagged parents")]


def main(argv: list[str], prog: str = "teu rmi") -> int:
    parsed = O.parse(argv, FLAGS, prog, "[OPTIONS] IMAGE [IMAGE...]",
                     "Remove one or more images", 1)
    if parsed is None:
        return 0
    opts, images = parsed
    failed = 0
    with O.store(opts.get("root")) as st:
        for name in images:
            def go(name: str = name) -> int:
                for line in st.remove(name, force=bool(opts.get("force"))):
                    print(line)
                return 0
            try:
                O.run(name, go)
            except TeuError as e:
                print(f"Error: {e}", file=sys.stderr)
                failed += 1
    return O.FAILURE if failed else 0
