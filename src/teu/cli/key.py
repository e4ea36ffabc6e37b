"""`teu key generate [--output-key-prefix cosign]`: a key pair in cosign's format."""

from __future__ import annotations

import sys

from teu.cli import _trustopts as T
from teu.cli._flags import STR, Flag
from teu.errors import TeuError

FLAGS = [
    Flag("output-key-prefix", None, STR, "write PREFIX.key and PREFIX.pub (default: cosign)",
         "PREFIX"),
]
USAGE = """usage: teu key COMMAND

commands:
  generate    write a key pair in cosign's format (PREFIX.key encrypted with
              $COSIGN_PASSWORD / $TEU_PASSWORD or a prompt, PREFIX.pub)
"""


def main(argv: list[str]) -> int:
    while argv and argv[0].startswith("--root"):  # `teu key --root R generate`: no store used
        argv = argv[1:] if "=" in argv[0] else argv[2:]
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE, end="", file=sys.stdout if argv else sys.stderr)
        return 0 if argv else 1
    if argv[0] not in ("generate", "generate-key-pair"):
        raise TeuError(f"unknown key command {argv[0]!r} (see teu key --help)", 1)
    got = T.parse_args("teu key generate", "[--output-key-prefix PREFIX]",
                       "Write an ECDSA P-256 key pair in cosign's format.", argv[1:], FLAGS)
    if got is None:
        return 0
    opts, args = got
    if args:
        raise TeuError(f"teu key generate: unexpected argument {args[0]!r}", 1)
    from teu.trust import keys

    prefix = opts.get("output_key_prefix") or "cosign"
    pw = keys.password(confirm=True, what="the new private key")
    key_path, pub_path = keys.write_pair(keys.generate(pw), prefix)
    print(f"Private key written to {key_path}", file=sys.stderr)
    print(f"Public key written to {pub_path}", file=sys.stderr)
    return 0
