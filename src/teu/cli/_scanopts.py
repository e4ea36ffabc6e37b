"""What the scan verbs (sbom, scan, lint) share: docker-style flags (teu.cli._flags),
--help, and writing a document to stdout or --output atomically."""

from __future__ import annotations

import os
import sys

from teu.cli import _flags as F
from teu.errors import TeuError

ROOT = F.Flag("root", None, F.STR, "store directory (default: $TEU_ROOT or /var/lib/teu)",
              "DIR")


def parse(argv: list[str], flags: list[F.Flag], prog: str, synopsis: str,
          description: str, min_args: int = 0, max_args: int | None = None
          ) -> tuple[dict, list[str]] | None:
    """Options and positionals (the docker-style grammar and messages of teu.cli._flags);
    None after printing --help."""
    return F.parse_or_help(argv, flags, prog, synopsis, description, True, min_args, max_args)


def store_root(opts: dict) -> str:
    return os.path.abspath(opts.get("root") or os.environ.get("TEU_ROOT") or "/var/lib/teu")


def write(text: str, output: str | None) -> None:
    if not output or output == "-":
        sys.stdout.write(text)
        return
    tmp = f"{output}.tmp-{os.getpid()}"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, output)


def one_of(value: str, choices: tuple[str, ...], flag: str) -> str:
    if value not in choices:
        raise TeuError(f"--{flag}: {value!r} is not one of {', '.join(choices)}", 125)
    return value
