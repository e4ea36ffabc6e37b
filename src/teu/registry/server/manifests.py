"""Manifest handlers (get, put with validation, delete) and content discovery (tags, referrers)."""

from __future__ import annotations

import asyncio
import json

from teu.oci import digest as D
from teu.oci import media_types as MT
from teu.oci.errors import ImageSpecError
from teu.oci.index import Index
from teu.oci.manifest import Manifest
from teu.oci.validate import MAX_MANIFEST_SIZE, validate_manifest
from teu.registry.server import names
from teu.registry.server.blobs import parse_digest, require_delete
from teu.registry.server.errors import RegistryError
from teu.registry.server.http import Request, Send, respond
from teu.registry.server.metrics import Metrics
from teu.registry.server.storage.base import Storage

JSON = "application/json; charset=utf-8"


class ManifestHandlers:
    """Mixed into RegistryApp: `manifest_*`, `tags_get` and `referrers_get`."""

    storage: Storage
    metrics: Metrics
    delete_enabled: bool

    # -- manifests -----------------------------------------------------------------

    def _reference(self, ref: str) -> tuple[str | None, D.Digest | None]:
        if names.is_digest_reference(ref):
            return None, parse_digest(ref)
        if not names.valid_tag(ref):
            raise RegistryError("TAG_INVALID", detail={"tag": ref[:200]})
        return ref, None

    async def manifest_get(self, req: Request, send: Send, name: str, ref: str) -> None:
        if not names.is_digest_reference(ref) and not names.valid_tag(ref):
            # Nothing can be stored under a name outside the grammar: unknown, not invalid.
            raise RegistryError("MANIFEST_UNKNOWN", detail={"name": name, "reference": ref[:200]})
        tag, dg = self._reference(ref)
        m = self.storage.get_manifest(name, dg or ref)
        if m is None:
            raise RegistryError("MANIFEST_UNKNOWN", detail={"name": name, "reference": ref[:200]})
        await respond(req, send, 200, m.content, {
            "Content-Type": m.media_type, "Docker-Content-Digest": m.digest,
            "ETag": f'"{m.digest}"'})

    async def manifest_put(self, req: Request, send: Send, name: str, ref: str) -> None:
        tag, want = self._reference(ref)
        length = req.content_length()
        if length is not None and length > MAX_MANIFEST_SIZE:
            raise RegistryError("MANIFEST_INVALID", status=413,
                                message=f"manifest larger than {MAX_MANIFEST_SIZE} bytes")
        try:
            data = await req.read(MAX_MANIFEST_SIZE)
        except ValueError:
            raise RegistryError("MANIFEST_INVALID", status=413,
                                message=f"manifest larger than {MAX_MANIFEST_SIZE} bytes") from None
        content_type = req.headers.get("content-type")
        try:
            doc = validate_manifest(data, content_type)
        except ImageSpecError as e:
            raise RegistryError("MANIFEST_INVALID", detail=str(e)) from None
        algorithm = want.algorithm if want else D.CANONICAL
        dg = D.compute(data, algorithm)
        if want is not None and dg != want:
            raise RegistryError("DIGEST_INVALID", detail={"expected": want, "actual": dg})
        media_type = media_type_of(doc, content_type)
        self._check_references(name, doc)
        subject = doc.subject.digest if doc.subject is not None else None
        descriptor = None
        if subject:
            descriptor = {"mediaType": media_type, "digest": dg, "size": len(data)}
            at = doc.effective_artifact_type() if isinstance(doc, Manifest) else doc.artifact_type
            if at:
                descriptor["artifactType"] = at
            if doc.annotations:
                descriptor["annotations"] = doc.annotations
        await asyncio.to_thread(self.storage.put_manifest, name, dg, media_type, data, tag,
                                subject, descriptor)
        self.metrics.manifests_put += 1
        headers = {"Location": f"/v2/{name}/manifests/{dg}", "Docker-Content-Digest": dg}
        if subject:
            headers["OCI-Subject"] = subject
        await respond(req, send, 201, b"", headers)

    def _check_references(self, name: str, doc: Manifest | Index) -> None:
        missing: list[str] = []
        if isinstance(doc, Manifest):
            for d in doc.references():
                if d.media_type in MT.NONDISTRIBUTABLE and d.urls:
                    continue  # foreign layers live elsewhere by design
                if not self.storage.repo_has_blob(name, d.digest):
                    missing.append(d.digest)
        else:
            for d in doc.manifests:
                if d.media_type in MT.MANIFESTS and \
                        self.storage.get_manifest(name, d.digest) is None:
                    missing.append(d.digest)
        if missing:
            raise RegistryError("MANIFEST_BLOB_UNKNOWN", detail={"missing": missing[:20]})

    async def manifest_delete(self, req: Request, send: Send, name: str, ref: str) -> None:
        require_delete(self.delete_enabled)
        tag, dg = self._reference(ref)
        if tag is not None:
            if not self.storage.delete_tag(name, tag):
                raise RegistryError("MANIFEST_UNKNOWN", detail={"tag": tag})
        elif not await asyncio.to_thread(self.storage.delete_manifest, name, dg):
            raise RegistryError("MANIFEST_UNKNOWN", detail={"digest": dg})
        await respond(req, send, 202, b"")

    # -- discovery -------------------------------------------------------------------

    async def tags_get(self, req: Request, send: Send, name: str) -> None:
        tags = self.storage.tags(name)
        if tags is None:
            raise RegistryError("NAME_UNKNOWN", detail={"name": name})
        page, link = paginate(tags, req, f"/v2/{name}/tags/list")
        headers = {"Content-Type": JSON}
        if link:
            headers["Link"] = link
        await respond(req, send, 200, json.dumps({"name": name, "tags": page}).encode(), headers)

    async def referrers_get(self, req: Request, send: Send, name: str, digest: str) -> None:
        dg = parse_digest(digest)
        found = await asyncio.to_thread(self.storage.referrers, name, dg)
        headers = {"Content-Type": MT.OCI_INDEX}
        wanted = req.query.get("artifactType")
        if wanted:
            found = [d for d in found if d.get("artifactType") == wanted]
            headers["OCI-Filters-Applied"] = "artifactType"
        body = {"schemaVersion": 2, "mediaType": MT.OCI_INDEX, "manifests": found}
        await respond(req, send, 200, json.dumps(body).encode(), headers)


def media_type_of(doc: Manifest | Index, content_type: str | None) -> str:
    if content_type:
        ct = content_type.split(";")[0].strip()
        if ct in MT.MANIFESTS:
            return ct
    if doc.media_type:
        return doc.media_type
    return MT.OCI_INDEX if isinstance(doc, Index) else MT.OCI_MANIFEST


def paginate(items: list[str], req: Request, path: str) -> tuple[list[str], str | None]:
    """Items after `last`, at most `n` of them, and the Link to the next page if any."""
    last = req.query.get("last")
    if last:
        items = [i for i in items if i > last]
    n_raw = req.query.get("n")
    if n_raw is None or n_raw == "":
        return items, None
    try:
        n = int(n_raw)
    except ValueError:
        raise RegistryError("PAGINATION_NUMBER_INVALID", detail={"n": n_raw[:20]}) from None
    if n < 0:
        raise RegistryError("PAGINATION_NUMBER_INVALID", detail={"n": n})
    page = items[:n]
    if len(items) > n and page:
        from urllib.parse import quote

        return page, f'<{path}?n={n}&last={quote(page[-1])}>; rel="next"'
    return page, None
