"""What `teu sign`/`verify` act on: a registry image, a local store image, or a layout.

    --local-image DIR                      an OCI layout (cosign's kind annotations)
    REGISTRY/REPO[:TAG][@DIGEST]           a registry image: the reference names a
                                           registry (a first component with . or :,
                                           or localhost), cosign's behaviour
    NAME[:TAG], ID                         an image of the local store (built, imported,
                                           loaded, pulled); its signatures travel with
                                           teu push and teu save. So does a registry
                                           name the registry does not have (yet) but
                                           the store has: sign, then push.

A tag is resolved to its digest first: a signature is always for a digest.
"""

from __future__ import annotations

from teu.image import reference as R
from teu.trust import sigimage as S
from teu.trust.errors import TagNotFound, TrustError


class Target:
    """What is signed or verified (a plain class: no dataclasses import on the verify path)."""

    __slots__ = ("kind", "shown", "digest", "identity", "ref", "repo", "store", "layout",
                 "by_tag")

    def __init__(self, kind: str, shown: str, digest: str, identity: str,
                 ref: R.Reference | None = None, repo: object = None, store: object = None,
                 layout: object = None, by_tag: bool = False) -> None:
        self.kind = kind            # "registry" | "store" | "layout"
        self.shown = shown          # how messages name it
        self.digest = digest        # the manifest (or index) digest signatures are for
        self.identity = identity    # docker-reference for a new signature
        self.ref = ref
        self.repo = repo            # teu.registry.client.remote.Repository
        self.store = store          # teu.image.store.Store
        self.layout = layout        # teu.trust.layout.Layout
        self.by_tag = by_tag

    def signature_images(self, kind: str = "sig") -> list[S.SignatureImage]:
        """Every signature image of `kind` there is for the digest (tag, then referrers)."""
        if self.kind == "layout":
            return self.layout.signatures(kind)  # type: ignore[union-attr]
        if self.kind == "store":
            from teu.trust import local

            img = local.load(self.store, self.digest, kind)  # type: ignore[arg-type]
            return [img] if img else []
        from teu.trust import remote

        found = [x for x in [remote.fetch_tag(self.repo, self.digest, kind)] if x]  # type: ignore[arg-type]
        if not found:
            artifact = S.SIG_ARTIFACT if kind == "sig" else S.ATT_ARTIFACT
            found = remote.fetch_referrers(self.repo, self.digest, artifact)  # type: ignore[arg-type]
        return found


def names_registry(text: str) -> bool:
    first, sep, _ = text.partition("/")
    return bool(sep) and ("." in first or ":" in first or first == "localhost")


def open_repository(ref: R.Reference, tls_verify: bool | None = None,
                    authfile: str | None = None):
    from teu.registry.client import credentials
    from teu.registry.client.remote import Registry

    creds = credentials.lookup(ref.domain, authfile)
    return Registry(ref.registry, tls_verify, creds).repository(ref.path)


def resolve(text: str | None, *, local_image: str | None = None, store=None,  # noqa: ANN001
            tls_verify: bool | None = None, authfile: str | None = None,
            force_local: bool = False) -> Target:
    if local_image:
        from teu.trust.layout import Layout

        lay = Layout(local_image)
        entry = lay.image()
        name = (entry.get("annotations") or {}).get("io.containerd.image.name") or text or ""
        identity = ""
        if name:
            try:
                r = R.parse(name)
                from teu.trust.payload import identity_of

                identity = identity_of(r.domain, r.path)
            except R.ReferenceError:
                identity = ""
        return Target("layout", local_image, entry["digest"], identity, layout=lay)
    if not text:
        raise TrustError("an image is required")
    if names_registry(text) and not force_local:
        from teu.registry.client import errors as E

        try:
            return _registry(text, tls_verify, authfile)
        except (TagNotFound, E.Unreachable) as e:
            # Not (yet) in the registry but in the store (tagged for a push): sign it
            # there; teu push uploads the signature with the image.
            if store is None or store.resolve_id(text) is None:
                raise e from None
    return _store(text, store)


def _registry(text: str, tls_verify: bool | None, authfile: str | None) -> Target:
    from teu.registry.client import errors as E
    from teu.trust.payload import identity_of

    ref = R.parse(text)
    repo = open_repository(ref, tls_verify, authfile)
    by_tag = not ref.digest
    if ref.digest:
        digest = ref.digest
    else:
        try:
            _, _, dg = repo.get_manifest(ref.identifier, what=ref.familiar())
        except E.NotFound as e:
            raise TagNotFound(f"image tag not found: {e}") from None
        digest = str(dg)
    return Target("registry", ref.familiar(), digest, identity_of(ref.domain, ref.path),
                  ref=ref, repo=repo, by_tag=by_tag)


def _store(text: str, store) -> Target:  # noqa: ANN001
    from teu.image.errors import ImageNotFound
    from teu.trust.payload import identity_of

    try:
        row = store.lookup(text)
    except ImageNotFound as e:
        raise TagNotFound(f"{e} (in the local store; a registry image is named "
                          "REGISTRY/REPOSITORY)") from None
    digest = row.manifest
    ref = None
    try:
        ref = R.parse(text, default_tag=False)
        if ref.digest:
            digest = ref.digest
    except R.ReferenceError:
        ref = None
    if ref is None or R.looks_like_id(text):
        names = row.tags or [d.split("@")[0] for d in row.digests]
        ref = R.parse(names[0]) if names else None
    identity = identity_of(ref.domain, ref.path) if ref else ""
    return Target("store", text, digest, identity, ref=ref, store=store,
                  by_tag=not (ref and ref.digest))
