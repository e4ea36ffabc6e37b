"""Sign, attest and verify a Target (teu.trust.target): what the CLI verbs and the API call."""

from __future__ import annotations

from teu.trust import dsse, payload
from teu.trust import sigimage as S
from teu.trust import verify as V
from teu.trust.errors import TrustError
from teu.trust.target import Target


def _store_layers(target: Target, layers: list[S.Layer], kind: str, referrers: bool,
                  store=None) -> str:  # noqa: ANN001
    """Put the new layers where the target keeps signatures; returns where, for messages."""
    if target.kind == "layout":
        target.layout.add(layers, kind)  # type: ignore[union-attr]
        return target.shown
    if target.kind == "store":
        from teu.trust import local

        local.attach(target.store, target.digest, layers, kind)  # type: ignore[arg-type]
        return "the local store"
    from teu.trust import remote

    repo = target.repo
    if referrers:
        artifact = S.SIG_ARTIFACT if kind == "sig" else S.ATT_ARTIFACT
        digest = remote.write_referrer(repo, target.digest, layers, artifact)  # type: ignore[arg-type]
        where = f"{target.ref.repository}@{digest}"  # type: ignore[union-attr]
    else:
        tag, _ = remote.write_tag(repo, target.digest, layers, kind)  # type: ignore[arg-type]
        where = f"{target.ref.repository}:{tag}"  # type: ignore[union-attr]
    if store is not None:
        # Keep a copy beside the image when the store has it: it then travels with
        # teu save, and teu run finds it without asking the registry.
        from teu.trust import local

        try:
            if local.image_for(store, target.digest):
                local.attach(store, target.digest, layers, kind)
        except TrustError:
            pass
    return where


def sign(target: Target, private_key, annotations: dict[str, str] | None = None,  # noqa: ANN001
         referrers: bool = False, store=None, identity: str | None = None) -> str:  # noqa: ANN001
    ident = identity or target.identity
    if not ident:
        raise TrustError(f"{target.shown}: no name to sign it as (give --sign-container-identity)")
    body = payload.make(ident, target.digest, annotations)
    layer = S.Layer(payload.MEDIA_TYPE, body,
                    {S.SIGNATURE_ANNOTATION: payload.sign(private_key, body)})
    return _store_layers(target, [layer], "sig", referrers, store)


def attest(target: Target, private_key, predicate: object, ptype: str,  # noqa: ANN001
           referrers: bool = False, store=None) -> str:  # noqa: ANN001
    subject = target.identity or target.shown
    body = dsse.statement(subject, target.digest, ptype, predicate)
    layer = S.Layer(dsse.MEDIA_TYPE, dsse.envelope(private_key, body),
                    {S.SIGNATURE_ANNOTATION: "", S.PREDICATE_ANNOTATION: ptype})
    return _store_layers(target, [layer], "att", referrers, store)


def verify(target: Target, public_key) -> list[payload.Payload]:  # noqa: ANN001
    return V.signatures(target.signature_images("sig"), target.digest, public_key,
                        target.shown)


def verify_attestations(target: Target, public_key, ptype: str | None) -> list[dict]:  # noqa: ANN001
    return V.attestations(target.signature_images("att"), target.digest, public_key,
                          target.shown, ptype)
