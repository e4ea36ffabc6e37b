"""`teu sign --key KEY IMAGE[@DIGEST]`: sign an image's digest in cosign's format."""

from __future__ import annotations

import sys

from teu.cli import _trustopts as T
from teu.cli._flags import LIST, STR, Flag
from teu.errors import TeuError

FLAGS = [*T.COMMON, *T.SIGN,
         Flag("annotations", "a", LIST, "KEY=VALUE added to the payload's optional section"),
         Flag("sign-container-identity", None, STR, "docker-reference to write instead of "
              "the image's repository", "NAME")]


def annotations(opts: dict) -> dict[str, str] | None:
    out = {}
    for a in opts.get("annotations") or []:
        k, eq, v = a.partition("=")
        if not eq or not k:
            raise TeuError(f"--annotations {a!r}: expected KEY=VALUE", 1)
        out[k] = v
    return out or None


def main(argv: list[str]) -> int:
    got = T.parse_args("teu sign", "--key KEY [OPTIONS] IMAGE[@DIGEST]",
                       "Sign an image (registry, local store, or --local-image layout).",
                       argv, FLAGS)
    if got is None:
        return 0
    opts, args = got
    key_path = T.need_key(opts, "teu sign")
    referrers = T.referrers_mode(opts)
    if len(args) > 1 or (not args and not opts.get("local_image")):
        raise TeuError("exactly one IMAGE is required", 1)
    from teu.trust import keys
    from teu.trust import sign as S
    from teu.trust.target import resolve

    private = keys.load_private(key_path)
    with T.store(opts) as st:
        target = resolve(args[0] if args else None, local_image=opts.get("local_image"),
                         store=st, tls_verify=T.tls_verify(opts), authfile=opts.get("authfile"))
        if target.by_tag and target.kind == "registry":
            T.warn(f"WARNING: Image reference {target.shown} uses a tag, not a digest; "
                   f"signing its digest {target.digest}")
        where = S.sign(target, private, annotations(opts), referrers, store=st,
                       identity=opts.get("sign_container_identity"))
    print(f"Signed {target.shown}@{target.digest}: signature in {where}", file=sys.stderr)
    return 0
