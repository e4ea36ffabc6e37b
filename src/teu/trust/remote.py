"""Signatures in a registry, where cosign puts them.

Tag scheme (cosign's default): the signature image of sha256:<hex> is tagged
`sha256-<hex>.sig` (attestations `.att`) in the image's repository. Signing again
fetches it, adds a layer and puts it back.

OCI 1.1 referrers (`--registry-referrers-mode oci-1-1`): a new signature image with
`subject` = the image's descriptor, pushed by digest. A registry that answers the PUT
without an OCI-Subject header has no referrers API: the client keeps the spec's
fallback, an index tagged `sha256-<hex>` listing the referrers. Reading asks
GET /v2/<name>/referrers/<digest>?artifactType=..., and the fallback tag on 404.
"""

from __future__ import annotations

from urllib.parse import quote

from teu import fastjson
from teu.oci import digest as D
from teu.registry.client import errors as E
from teu.registry.client.remote import Repository
from teu.trust import sigimage as S
from teu.trust.errors import TrustError

OCI_INDEX = "application/vnd.oci.image.index.v1+json"


def tag_for(digest: str, suffix: str = "sig") -> str:
    algo, _, hexpart = digest.partition(":")
    return f"{algo}-{hexpart}.{suffix}" if suffix else f"{algo}-{hexpart}"


def _reader(repo: Repository):
    def read_blob(digest: str, size: int) -> bytes:
        resp, _ = repo.open_blob(digest)
        with resp:
            data = resp.read(size + 1)
        if len(data) != size:
            raise TrustError(f"{repo.path}: blob {digest} is {len(data)} bytes, "
                             f"the manifest says {size}")
        return data
    return read_blob


def fetch_tag(repo: Repository, digest: str, suffix: str = "sig") -> S.SignatureImage | None:
    """The signature image at `sha256-<hex>.<suffix>`, or None if there is none."""
    tag = tag_for(digest, suffix)
    try:
        raw, _, _ = repo.get_manifest(tag, what=f"{repo.path}:{tag}")
    except E.NotFound:
        return None
    return S.load(raw, _reader(repo), f"{repo.path}:{tag}")


def _upload(repo: Repository, built: S.Built) -> None:
    for dg, data in built.blobs().items():
        if repo.blob_exists(dg):
            continue
        repo.upload_monolithic(repo.start_upload(), dg, len(data), data)


def write_tag(repo: Repository, digest: str, layers: list[S.Layer],
              suffix: str = "sig") -> tuple[str, bool]:
    """Add `layers` to the image's signature tag; (the tag, whether anything was added)."""
    img = fetch_tag(repo, digest, suffix) or S.SignatureImage()
    added = [img.add(x) for x in layers]
    tag = tag_for(digest, suffix)
    if not any(added):
        return tag, False
    built = img.build()
    _upload(repo, built)
    repo.put_manifest(tag, built.manifest, S.OCI_MANIFEST)
    return tag, True


def subject_of(repo: Repository, digest: str) -> dict:
    """The signed image's descriptor (mediaType, size, digest), as a referrer's subject."""
    raw, media_type, actual = repo.get_manifest(digest, what=f"{repo.path}@{digest}")
    if media_type not in (S.OCI_MANIFEST, OCI_INDEX,
                          "application/vnd.docker.distribution.manifest.v2+json",
                          "application/vnd.docker.distribution.manifest.list.v2+json"):
        try:
            media_type = fastjson.loads(raw).get("mediaType") or S.OCI_MANIFEST
        except ValueError:
            media_type = S.OCI_MANIFEST
    return {"mediaType": media_type, "size": len(raw), "digest": str(actual)}


def write_referrer(repo: Repository, digest: str, layers: list[S.Layer],
                   artifact_type: str = S.SIG_ARTIFACT) -> str:
    """Push a signature image whose subject is `digest`; returns its manifest digest."""
    img = S.SignatureImage()
    for x in layers:
        img.add(x)
    built = img.build(subject=subject_of(repo, digest), artifact_type=artifact_type)
    _upload(repo, built)
    resp = repo.registry.request(
        "PUT", f"/v2/{repo.path}/manifests/{quote(built.digest, safe=':')}", repo.push_scope,
        {"Content-Type": S.OCI_MANIFEST}, built.manifest, ok=(200, 201, 202),
        what=f"{repo.path}@{built.digest}: signature manifest")
    with resp:
        resp.read()
        has_api = resp.header("OCI-Subject") == digest
    if not has_api:
        _add_to_fallback(repo, digest, {"mediaType": S.OCI_MANIFEST,
                                        "digest": built.digest, "size": len(built.manifest),
                                        "artifactType": artifact_type})
    return built.digest


def _fallback_index(repo: Repository, digest: str) -> dict:
    tag = tag_for(digest, "")
    try:
        raw, _, _ = repo.get_manifest(tag, what=f"{repo.path}:{tag}")
    except E.NotFound:
        return {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": []}
    try:
        doc = fastjson.loads(raw)
        if not isinstance(doc.get("manifests"), list):
            raise TypeError
    except (ValueError, TypeError, AttributeError):
        raise TrustError(f"{repo.path}:{tag}: referrers fallback tag is not an index") from None
    return doc


def _add_to_fallback(repo: Repository, digest: str, desc: dict) -> None:
    index = _fallback_index(repo, digest)
    if any(m.get("digest") == desc["digest"] for m in index["manifests"]):
        return
    index["manifests"].append(desc)
    repo.put_manifest(tag_for(digest, ""), fastjson.dumps(index).encode(),
                      OCI_INDEX)


def referrers(repo: Repository, digest: str, artifact_type: str) -> list[dict]:
    """The descriptors of `digest`'s referrers of `artifact_type` (API, else fallback tag)."""
    target = (f"/v2/{repo.path}/referrers/{quote(digest, safe=':')}"
              f"?artifactType={quote(artifact_type, safe='')}")
    resp = repo.registry.request("GET", target, repo.pull_scope, {"Accept": OCI_INDEX},
                                 ok=(200, 404), what=f"{repo.path}: referrers of {digest}")
    with resp:
        body = resp.read(4 << 20)
        status = resp.status
    if status == 200:
        try:
            doc = fastjson.loads(body)
        except ValueError:
            raise TrustError(f"{repo.path}: referrers of {digest}: not JSON") from None
    else:
        doc = _fallback_index(repo, digest)
    found = []
    for m in doc.get("manifests") or []:
        if isinstance(m, dict) and m.get("artifactType") == artifact_type and \
                D.is_valid(str(m.get("digest", "")), registered_only=True):
            found.append(m)
    return found


def fetch_referrers(repo: Repository, digest: str,
                    artifact_type: str = S.SIG_ARTIFACT) -> list[S.SignatureImage]:
    out = []
    for m in referrers(repo, digest, artifact_type):
        raw, _, _ = repo.get_manifest(m["digest"], what=f"{repo.path}@{m['digest']}")
        out.append(S.load(raw, _reader(repo), f"{repo.path}@{m['digest']}"))
    return out


