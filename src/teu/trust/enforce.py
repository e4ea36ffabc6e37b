"""The trust policy at the two places an image enters use: pull and run/create.

    admit_pull(ref, digest, repo)      before a pulled image is written to the store;
                                       returns an Admission whose record(store) keeps the
                                       verified signatures beside the image
    check_run(root, name, image_id)    before a container is made from a stored image,
                                       however old (images pulled before the policy
                                       changed are checked too): signatures kept in the
                                       store, else fetched from the registry it came from

A refusal (PolicyDenied, exit 125) names the image, the policy file, the scope that
matched and why. With no policy file, or an insecureAcceptAnything scope, this costs
a few stat() calls and one small JSON parse: nothing cryptographic is imported.
"""

from __future__ import annotations

import os

from teu.trust import policy as P
from teu.trust.errors import PolicyDenied, TrustError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from teu.image.reference import Reference
    from teu.image.store import Store
    from teu.trust.sigimage import Layer, SignatureImage


class Admission:
    """Signatures a pull's check accepted, to keep with the image once it is stored."""

    __slots__ = ("subject", "layers")

    def __init__(self, subject: str, layers: list[Layer]) -> None:
        self.subject = subject
        self.layers = layers

    def record(self, store: Store) -> None:
        from teu.trust import local

        try:
            local.attach(store, self.subject, self.layers)
        except TrustError:
            pass  # the store names the image by another digest: the registry keeps them


def _active(policy_path: str | None) -> P.Policy | None:
    path = P.find(policy_path)
    return None if path is None else P.load(path)


def _refusal(pol: P.Policy, shown: str, scope: str, req: P.Requirement | None,
             why: str) -> PolicyDenied:
    where = f"{pol.path}:{req.line}" if req is not None and req.line else pol.path
    return PolicyDenied(f"{shown}: refused by trust policy {where} (scope {scope}): {why}")


def _public_keys(pol: P.Policy, req: P.Requirement) -> list:
    import base64
    import binascii

    from teu.trust import keys

    out = []
    for kind, value in req.keys:
        if kind == "path":
            # A relative keyPath is relative to the policy file, not to the cwd.
            path = value if value.startswith("/") else \
                os.path.join(os.path.dirname(os.path.abspath(pol.path)), value)
            out.append(keys.load_public(path))
        else:
            try:
                pem = base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                raise TrustError(f"{pol.path}:{req.line}: keyData is not base64") from None
            out.append(keys.load_public(data=pem))
    return out


def evaluate(pol: P.Policy, scope: str, reqs: list[P.Requirement], image: Reference,
             shown: str, subjects: list[str], fetch) -> list[tuple[str, list[Layer]]]:  # noqa: ANN001
    """Apply every requirement; the accepted signatures per subject digest, or PolicyDenied.
    `fetch(subject)` returns the signature images there are for a subject digest."""
    accepted: list[tuple[str, list[Layer]]] = []
    for req in reqs:
        if req.type == "insecureAcceptAnything":
            continue
        if req.type == "reject":
            raise _refusal(pol, shown, scope, req, "the scope rejects every image")
        if req.type == "signedBy":
            raise _refusal(pol, shown, scope, req, "signedBy (GPG simple signing) is not "
                           "supported by teu; use sigstoreSigned")
        accepted = _sigstore(pol, scope, req, image, shown, subjects, fetch)
    return accepted


def _sigstore(pol: P.Policy, scope: str, req: P.Requirement, image: Reference, shown: str,
              subjects: list[str], fetch) -> list[tuple[str, list[Layer]]]:  # noqa: ANN001
    from teu.trust import identity
    from teu.trust import verify as V
    from teu.trust.errors import NoSignatures

    try:
        pubs = _public_keys(pol, req)
    except TrustError as e:
        raise _refusal(pol, shown, scope, req, f"its key cannot be used: {e}") from None
    why: list[str] = []
    saw_any = False
    for subject in subjects:
        try:
            images: list[SignatureImage] = fetch(subject)
        except TrustError as e:
            why.append(str(e))
            continue
        if images:
            saw_any = True
        good: list[Layer] = []
        for pub in pubs:
            try:
                payloads = V.signatures(images, subject, pub, shown)
            except NoSignatures:
                continue
            except TrustError as e:
                why.append(str(e).replace(f"{shown}: ", "", 1))
                continue
            for p in payloads:
                bad = identity.matches(req.identity, image, p.docker_reference)
                if bad:
                    why.append(bad)
                    continue
                good += [x for img in images for x in img.layers if x.data == p.raw]
        if good:
            return [(subject, good)]
    if not why and not saw_any:
        why.append("no signatures found (sigstoreSigned requires a signature by its key)")
    elif not why:
        why.append("no signature verified")
    seen: list[str] = []
    for w in why:
        if w not in seen:
            seen.append(w)
    raise _refusal(pol, shown, scope, req, "; ".join(seen))


def _cheap(reqs: list[P.Requirement]) -> bool:
    return all(r.type == "insecureAcceptAnything" for r in reqs)


def admit_pull(ref: Reference, digest: str, repo, policy_path: str | None = None  # noqa: ANN001
               ) -> Admission | None:
    """Check a pull of `ref` (resolved to `digest` in `repo`) before anything is stored."""
    pol = _active(policy_path)
    if pol is None:
        return None
    scope, reqs = pol.for_docker(ref.domain, ref.path, ref.tag, ref.digest)
    if _cheap(reqs):
        return None

    def fetch(subject: str) -> list[SignatureImage]:
        from teu.trust import remote
        from teu.trust import sigimage as S

        found = [x for x in [remote.fetch_tag(repo, subject)] if x]
        return found or remote.fetch_referrers(repo, subject, S.SIG_ARTIFACT)

    accepted = evaluate(pol, scope, reqs, ref, ref.familiar(), [digest], fetch)
    return Admission(*accepted[0]) if accepted else None


def check_run(root: str, name: str, image_id: str, policy_path: str | None = None) -> None:
    """Refuse (PolicyDenied) to make a container from the stored image `image_id`, asked
    for as `name`, unless the policy in force accepts it."""
    pol = _active(policy_path)
    if pol is None:
        return
    docker = pol.transports.get("docker") or {}
    if _cheap(pol.default) and all(_cheap(r) for r in docker.values()):
        return  # the common file (Debian's podman ships it): nothing can be refused
    from teu.image import reference as R
    from teu.image.store import Store

    with Store(root) as store:
        row = store.db.image(image_id)
        if row is None:
            raise TrustError(f"{name}: image {image_id} is not in the store")
        ref = None
        if not R.looks_like_id(name):
            try:
                ref = R.parse(name)
            except R.ReferenceError:
                ref = None
        if ref is None and (row.tags or row.digests):
            ref = R.parse((row.tags or row.digests)[0])
        if ref is None:
            reqs = pol.default
            if _cheap(reqs):
                return
            raise _refusal(pol, name, "default", reqs[0], "the image has no name to match "
                           "a policy scope or a signature's identity against")
        scope, reqs = pol.for_docker(ref.domain, ref.path, ref.tag, ref.digest)
        if _cheap(reqs):
            return
        # Signatures may be for the platform manifest or for the index it was pulled by.
        subjects = [row.manifest] + [d.split("@", 1)[1] for d in row.digests
                                     if d.split("@", 1)[1] != row.manifest]
        from teu.trust import local

        def stored(subject: str) -> list:
            img = local.load(store, subject)
            return [img] if img is not None else []

        try:
            evaluate(pol, scope, reqs, ref, ref.familiar(), subjects, stored)
            return
        except PolicyDenied as e:
            first = e
        # Nothing kept in the store satisfies the policy (an image pulled before the
        # policy asked for signatures, or signed since): ask the registry it came from.
        try:
            accepted = evaluate(pol, scope, reqs, ref, ref.familiar(), subjects,
                                lambda s: _remote(row, ref, s))
        except PolicyDenied as second:
            # Say why about what was there: the store's signatures if it had some.
            had_local = any(stored(s) for s in subjects)
            raise (first if had_local else second) from None
        for subject, layers in accepted:
            Admission(subject, layers).record(store)


def _remote(row, ref: Reference, subject: str) -> list:  # noqa: ANN001
    """The subject's signatures in the registry the image was pulled from."""
    from teu.image import reference as R

    sources = [d for d in row.digests if d.endswith("@" + subject)]
    sources.sort(key=lambda d: not d.startswith(ref.repository + "@"))
    for d in sources:
        src = R.parse(d)
        if src.domain == "docker.io":
            continue  # no network here; and docker.io is not where a local image came from
        from teu.registry.client import errors as E
        from teu.trust import remote
        from teu.trust import sigimage as S
        from teu.trust.target import open_repository

        repo = open_repository(src)
        try:
            found = [x for x in [remote.fetch_tag(repo, subject)] if x]
            return found or remote.fetch_referrers(repo, subject, S.SIG_ARTIFACT)
        except E.RegistryError as e:
            raise TrustError(f"{src.registry} cannot be asked for signatures: {e}") from None
    return []
