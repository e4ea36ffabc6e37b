"""Checking a signature image against a public key and the digest it must be for.

cosign's order: every simple-signing layer's signature is checked against the key,
then its claims (the payload's docker-manifest-digest must be the image's). No
signature at all is ImageWithoutSignature (exit 10); signatures of which none
verifies is NoMatchingSignature (exit 12), with the reasons.
"""

from __future__ import annotations

from teu.trust import dsse, payload
from teu.trust.errors import NoMatchingSignature, NoSignatures, TrustError
from teu.trust.sigimage import SignatureImage


def _reasons(why: list[str]) -> str:
    seen: list[str] = []
    for w in why:
        if w not in seen:
            seen.append(w)
    return "; ".join(seen)


def signatures(images: list[SignatureImage], digest: str, public_key,  # noqa: ANN001
               where: str) -> list[payload.Payload]:
    """The payloads of the signatures by `public_key` for `digest`, or the error why none."""
    layers = [x for img in images for x in img.layers if x.media_type == payload.MEDIA_TYPE]
    if not layers:
        raise NoSignatures(f"{where}: no signatures found")
    ok: list[payload.Payload] = []
    why: list[str] = []
    for layer in layers:
        bad = payload.check_signature(public_key, layer.data, layer.signature)
        if bad:
            why.append(bad)
            continue
        try:
            p = payload.parse(layer.data)
        except TrustError as e:
            why.append(str(e))
            continue
        if p.digest != digest:
            why.append(f"signature is for {p.digest}, not {digest}")
            continue
        ok.append(p)
    if not ok:
        raise NoMatchingSignature(f"{where}: no matching signatures: {_reasons(why)}")
    return ok


def attestations(images: list[SignatureImage], digest: str, public_key,  # noqa: ANN001
                 where: str, ptype: str | None = None) -> list[dict]:
    """The in-toto statements signed by `public_key` about `digest` (of `ptype`)."""
    layers = [x for img in images for x in img.layers if x.media_type == dsse.MEDIA_TYPE]
    if not layers:
        # cosign has no exit code of its own for attestations: 1.
        raise TrustError(f"{where}: no attestations found")
    ok: list[dict] = []
    why: list[str] = []
    algo, _, hexpart = digest.partition(":")
    for layer in layers:
        st, bad = dsse.open_envelope(public_key, layer.data)
        if st is None:
            why.append(bad)
            continue
        subjects = st.get("subject") or []
        if not any(isinstance(s, dict) and (s.get("digest") or {}).get(algo) == hexpart
                   for s in subjects):
            why.append(f"attestation's subject is not {digest}")
            continue
        if ptype and st.get("predicateType") != ptype:
            why.append(f"predicate type is {st.get('predicateType')}, not {ptype}")
            continue
        ok.append(st)
    if not ok:
        raise TrustError(f"{where}: no matching attestations: {_reasons(why)}")
    return ok
