"""`teu verify-attestation --key KEY [--type T] IMAGE`: check an image's attestations;
prints the verified in-toto statements, one JSON document per line."""

from __future__ import annotations

import json
import sys

from teu.cli import _trustopts as T
from teu.cli._flags import STR, Flag
from teu.errors import TeuError

FLAGS = [*T.COMMON, *T.VERIFY,
         Flag("type", None, STR, "only attestations of this predicate type", "TYPE")]


def main(argv: list[str]) -> int:
    got = T.parse_args("teu verify-attestation", "--key KEY [--type TYPE] IMAGE",
                       "Verify an image's in-toto attestations against a public key.",
                       argv, FLAGS)
    if got is None:
        return 0
    opts, args = got
    key_path = T.need_key(opts, "teu verify-attestation")
    if len(args) > 1 or (not args and not opts.get("local_image")):
        raise TeuError("teu verify-attestation: exactly one IMAGE is required", 1)
    from teu.trust import dsse, keys
    from teu.trust import sign as S
    from teu.trust.target import resolve

    ptype = dsse.predicate_type(opts["type"]) if opts.get("type") else None
    public = keys.load_public(key_path)
    with T.store(opts) as st:
        target = resolve(args[0] if args else None, local_image=opts.get("local_image"),
                         store=st, tls_verify=T.tls_verify(opts), authfile=opts.get("authfile"))
        statements = S.verify_attestations(target, public, ptype)
    print(f"\nVerification for {target.shown} --\nThe following checks were performed on "
          "each of these signatures:\n  - The cosign claims were validated\n"
          "  - The signatures were verified against the specified public key", file=sys.stderr)
    for st_ in statements:
        print(json.dumps(st_, separators=(",", ":")))
    return 0
