"""`teu verify --key KEY IMAGE...`: cosign's verify, its exit codes (10 no signature,
11 no such tag, 12 no matching signature) and its JSON on stdout."""

from __future__ import annotations

import sys

from teu import fastjson
from teu.cli import _trustopts as T


def main(argv: list[str]) -> int:
    got = T.parse_args("teu verify", "--key KEY [OPTIONS] IMAGE...",
                       "Verify an image's signatures against a public key.",
                       argv, [*T.COMMON, *T.VERIFY])
    if got is None:
        return 0
    opts, args = got
    key_path = T.need_key(opts, "teu verify")
    fmt = opts.get("output") or "json"
    if fmt not in ("json", "text"):
        from teu.errors import TeuError

        raise TeuError(f"--output {fmt!r}: json or text", 1)
    if not args and not opts.get("local_image"):
        from teu.errors import TeuError

        raise TeuError("an IMAGE (or --local-image DIR) is required", 1)
    from teu.trust import keys
    from teu.trust import sign as S
    from teu.trust.target import resolve

    public = keys.load_public(key_path)
    found: list[dict] = []
    with T.store(opts) as st:
        for text in args or [None]:
            target = resolve(text, local_image=opts.get("local_image"), store=st,
                             tls_verify=T.tls_verify(opts), authfile=opts.get("authfile"))
            payloads = S.verify(target, public)
            found += [p.to_json() for p in payloads]
            print(f"\nVerification for {target.shown} --\nThe following checks were performed "
                  "on each of these signatures:\n  - The cosign claims were validated\n"
                  "  - The signatures were verified against the specified public key",
                  file=sys.stderr)
    if fmt == "json":
        print(fastjson.dumps(found))
    else:
        for p in found:
            crit = p["critical"]
            print(f"{crit['identity']['docker-reference']}@{crit['image']['docker-manifest-digest']}")
    return 0
