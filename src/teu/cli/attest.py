"""`teu attest --key KEY --predicate FILE [--type T] IMAGE`: an in-toto statement about the
image's digest, signed in a DSSE envelope, stored as cosign stores attestations."""

from __future__ import annotations

import json
import sys

from teu.cli import _trustopts as T
from teu.cli._flags import STR, Flag
from teu.errors import TeuError

FLAGS = [*T.COMMON, *T.SIGN,
         Flag("predicate", None, STR, "the predicate (JSON: an SBOM, provenance...)", "FILE"),
         Flag("type", None, STR, "slsaprovenance, spdxjson, cyclonedx, vuln, openvex, "
              "custom or a URI (default custom)", "TYPE")]


def read_predicate(path: str, ptype: str) -> object:
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise TeuError(f"--predicate {path}: {e.strerror or e}", 1) from None
    try:
        doc = json.loads(raw)
    except ValueError as e:
        if ptype.endswith("/attestation/v1"):
            doc = None
        else:
            raise TeuError(f"--predicate {path}: not JSON ({e})", 1) from None
    if ptype.endswith("cosign.sigstore.dev/attestation/v1"):
        # cosign's custom type wraps the predicate (any text) with a timestamp.
        import datetime

        now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {"Data": raw.decode("utf-8", "replace") if doc is None else doc,
                "Timestamp": now}
    return doc


def main(argv: list[str]) -> int:
    got = T.parse_args("teu attest", "--key KEY --predicate FILE [--type TYPE] IMAGE",
                       "Attach a signed in-toto attestation to an image.", argv, FLAGS)
    if got is None:
        return 0
    opts, args = got
    key_path = T.need_key(opts, "teu attest")
    referrers = T.referrers_mode(opts)
    if not opts.get("predicate"):
        raise TeuError("--predicate FILE is required", 1)
    if len(args) > 1 or (not args and not opts.get("local_image")):
        raise TeuError("exactly one IMAGE is required", 1)
    from teu.trust import dsse, keys
    from teu.trust import sign as S
    from teu.trust.target import resolve

    ptype = dsse.predicate_type(opts.get("type") or "custom")
    predicate = read_predicate(opts["predicate"], ptype)
    private = keys.load_private(key_path)
    with T.store(opts) as st:
        target = resolve(args[0] if args else None, local_image=opts.get("local_image"),
                         store=st, tls_verify=T.tls_verify(opts), authfile=opts.get("authfile"))
        where = S.attest(target, private, predicate, ptype, referrers, store=st)
    print(f"Attested {target.shown}@{target.digest} ({ptype}): attestation in {where}",
          file=sys.stderr)
    return 0
