"""`teu`: the user's command. Verbs arrive with the engine; for now it reports its version."""

from __future__ import annotations

import sys

from teu import __version__


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] in (["version"], ["--version"], ["-v"]):
        print(f"teu version {__version__}")
        return 0
    print("usage: teu version   (container verbs land with the engine; see README)",
          file=sys.stderr)
    return 125 if argv else 0


if __name__ == "__main__":
    sys.exit(main())
