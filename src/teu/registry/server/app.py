"""The registry as a raw ASGI app: routing, the spec's four categories, errors, logs.

Every handler answers with the spec's status codes and JSON error bodies;
storage errors are mapped here and nowhere else. Bodies stream: uploads go
straight to the upload file, downloads go out from the blob file.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any, TextIO

from teu.oci import digest as D
from teu.oci import media_types as MT
from teu.oci.errors import ImageSpecError
from teu.oci.index import Index
from teu.oci.manifest import Manifest
from teu.oci.validate import MAX_MANIFEST_SIZE, validate_manifest
from teu.registry.server import names
from teu.registry.server.access import Access
from teu.registry.server.auth import Authorizer, NoAuth, TokenAuth
from teu.registry.server.errors import RegistryError
from teu.registry.server.http import (
    ClientDisconnected,
    Receive,
    Request,
    Scope,
    Send,
    respond,
    respond_file,
)
from teu.registry.server.metrics import Metrics
from teu.registry.server.ranges import RangeNotSatisfiable, parse_chunk_range, parse_range
from teu.registry.server.storage.base import (
    DigestMismatch,
    Storage,
    UploadBusy,
    UploadUnknown,
)

JSON = "application/json; charset=utf-8"
Handler = Callable[..., Awaitable[None]]

_ROUTES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"/v2/?"), "base"),
    (re.compile(r"/v2/_catalog"), "catalog"),
    (re.compile(r"/v2/(?P<name>.+)/tags/list"), "tags"),
    (re.compile(r"/v2/(?P<name>.+)/manifests/(?P<ref>[^/]+)"), "manifest"),
    (re.compile(r"/v2/(?P<name>.+)/blobs/uploads/?"), "uploads"),
    (re.compile(r"/v2/(?P<name>.+)/blobs/uploads/(?P<upload>[^/]+)"), "upload"),
    (re.compile(r"/v2/(?P<name>.+)/blobs/(?P<digest>[^/]+)"), "blob"),
    (re.compile(r"/v2/(?P<name>.+)/referrers/(?P<digest>[^/]+)"), "referrers"),
    (re.compile(r"/token"), "token"),
    (re.compile(r"/healthz|/health|/debug/health"), "health"),
    (re.compile(r"/metrics"), "metrics"),
]
_WRITES = frozenset({"PUT", "POST", "PATCH", "DELETE"})


def _upload_headers(name: str, upload_id: str, offset: int) -> dict[str, str]:
    return {
        "Location": f"/v2/{name}/blobs/uploads/{upload_id}",
        # The spec's Range is inclusive; an empty upload is reported as "0-0"
        # like distribution does, which clients read as "start at 0".
        "Range": f"0-{max(offset - 1, 0)}",
        "Docker-Upload-UUID": upload_id,
    }


class RegistryApp:
    def __init__(self, storage: Storage, authorizer: Authorizer | None = None,
                 delete_enabled: bool = False, read_only: bool = False,
                 access_log: TextIO | None = sys.stderr, upload_expiry: float = 86400.0) -> None:
        self.storage = storage
        self.auth = authorizer or NoAuth()
        self.delete_enabled = delete_enabled
        self.read_only = read_only
        self.access_log = access_log
        self.upload_expiry = upload_expiry
        self.metrics = Metrics()
        self._expiry_task: asyncio.Task | None = None

    # -- ASGI ----------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        req = Request(scope, receive)
        started = time.monotonic()
        route = "unknown"
        self.metrics.in_flight += 1
        try:
            route, params = self._route(req.path)
            await self._dispatch(req, send, route, params)
        except RegistryError as e:
            await self._error(req, send, e)
        except ClientDisconnected:
            req.status = 499  # nginx's "client closed request": nothing is sent
        except Exception as e:  # the server stays up whatever one request does
            print(f"teu registry: internal error on {req.method} {req.path}: {e!r}",
                  file=sys.stderr)
            with contextlib.suppress(Exception):
                await respond(req, send, 500, json.dumps({"errors": [{
                    "code": "UNKNOWN", "message": "internal server error"}]}).encode(),
                    {"Content-Type": JSON})
        finally:
            self.metrics.in_flight -= 1
            elapsed = time.monotonic() - started
            self.metrics.observe(req.method, route, req.status, elapsed, req.sent_bytes,
                                 req.received_bytes)
            self._log(req, route, elapsed)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self._expiry_task = asyncio.create_task(self._expire_loop())
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._expiry_task:
                    self._expiry_task.cancel()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _expire_loop(self) -> None:
        while True:
            with contextlib.suppress(Exception):
                await asyncio.to_thread(self.storage.expire_uploads, self.upload_expiry)
            await asyncio.sleep(min(600.0, max(self.upload_expiry / 4, 1.0)))

    def _log(self, req: Request, route: str, elapsed: float) -> None:
        if self.access_log is None:
            return
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "remote": (req.scope.get("client") or ("", 0))[0],
            "method": req.method, "path": req.path, "route": route, "status": req.status,
            "sent": req.sent_bytes, "received": req.received_bytes,
            "ms": round(elapsed * 1000, 2),
        }
        if req.account:
            entry["user"] = req.account
        if req.repo:
            entry["repo"] = req.repo
        ua = req.headers.get("user-agent")
        if ua:
            entry["agent"] = ua
        with contextlib.suppress(Exception):
            self.access_log.write(json.dumps(entry) + "\n")
            self.access_log.flush()

    def _route(self, path: str) -> tuple[str, dict[str, str]]:
        for pattern, route in _ROUTES:
            m = pattern.fullmatch(path)
            if m:
                return route, m.groupdict()
        return "unknown", {}

    async def _error(self, req: Request, send: Send, e: RegistryError) -> None:
        # An unread request body is left to the server: uvicorn closes the
        # connection after this answer rather than reading a big upload for nothing.
        await respond(req, send, e.status, e.body(), {"Content-Type": JSON, **e.headers})

    # -- dispatch ------------------------------------------------------------

    async def _dispatch(self, req: Request, send: Send, route: str, p: dict[str, str]) -> None:
        if route == "health":
            await respond(req, send, 200, b'{"status":"ok"}\n', {"Content-Type": JSON})
            return
        if route == "metrics":
            await respond(req, send, 200, self.metrics.render(),
                          {"Content-Type": "text/plain; version=0.0.4"})
            return
        if route == "token":
            await self.token(req, send)
            return
        if route == "unknown":
            raise RegistryError("UNSUPPORTED", status=404, message="not found")
        name = p.get("name")
        if name is not None:
            if not names.valid_name(name):
                raise RegistryError("NAME_INVALID", detail={"name": name[:300]})
            req.repo = name
        need = self._needs(req, route, name)
        req.account = self.auth.check(req.headers, need, req.base_url)
        if self.read_only and req.method in _WRITES:
            raise RegistryError("UNSUPPORTED", message="registry is in read-only mode")
        handler: Handler | None = getattr(self, f"{route}_{req.method.lower()}", None)
        if handler is None and req.method == "HEAD":
            handler = getattr(self, f"{route}_get", None)
        if handler is None:
            raise RegistryError("UNSUPPORTED", message=f"{req.method} not allowed here")
        await handler(req, send, **p)

    def _needs(self, req: Request, route: str, name: str | None) -> list[Access]:
        if route == "catalog":
            return [Access("registry", "catalog", "*")]
        if name is None:
            return []
        if req.method in ("GET", "HEAD"):
            return [Access("repository", name, "pull")]
        if req.method == "DELETE":
            return [Access("repository", name, "delete")]
        need = [Access("repository", name, "pull"), Access("repository", name, "push")]
        source = req.query.get("from")
        if route == "uploads" and "mount" in req.query and source and names.valid_name(source):
            need.append(Access("repository", source, "pull"))
        return need

    # -- base, catalog, health, token -------------------------------------------

    async def base_get(self, req: Request, send: Send) -> None:
        await respond(req, send, 200, b"{}", {"Content-Type": JSON})

    async def catalog_get(self, req: Request, send: Send) -> None:
        repos = await asyncio.to_thread(self.storage.repositories)
        page, link = _paginate(repos, req, "/v2/_catalog")
        headers = {"Content-Type": JSON}
        if link:
            headers["Link"] = link
        await respond(req, send, 200, json.dumps({"repositories": page}).encode(), headers)

    async def token(self, req: Request, send: Send) -> None:
        if not isinstance(self.auth, TokenAuth):
            raise RegistryError("UNSUPPORTED", status=404, message="no token service here")
        scopes = [v for k, vs in _multi_query(req).items() if k == "scope" for v in vs]
        authorization = req.headers.get("authorization")
        if req.method == "POST":
            # OAuth2 form (containerd, docker): grant_type=password|refresh_token.
            from urllib.parse import parse_qs

            form = parse_qs((await req.read(64 * 1024)).decode("latin-1"))
            scopes += [s for v in form.get("scope", []) for s in v.split(" ")]
            if form.get("grant_type", [""])[0] == "password":
                import base64

                user = form.get("username", [""])[0]
                pw = form.get("password", [""])[0]
                authorization = "Basic " + base64.b64encode(f"{user}:{pw}".encode()).decode()
            elif form.get("grant_type", [""])[0] == "refresh_token":
                raise RegistryError("UNSUPPORTED", status=400, message="refresh tokens not issued")
        elif req.method != "GET":
            raise RegistryError("UNSUPPORTED", message="use GET or POST")
        answer = await asyncio.to_thread(self.auth.issue, authorization, scopes)
        req.account = None
        await respond(req, send, 200, json.dumps(answer).encode(), {"Content-Type": JSON})

    # -- blobs -------------------------------------------------------------------

    def _digest(self, value: str) -> D.Digest:
        try:
            return D.parse(value, registered_only=True)
        except ImageSpecError:
            raise RegistryError("DIGEST_INVALID", detail={"digest": value[:200]}) from None

    async def blob_get(self, req: Request, send: Send, name: str, digest: str) -> None:
        dg = self._digest(digest)
        if not self.storage.repo_has_blob(name, dg):
            raise RegistryError("BLOB_UNKNOWN", detail={"digest": dg})
        size = self.storage.blob_size(dg)
        path = self.storage.blob_path(dg)
        if size is None or path is None:
            raise RegistryError("BLOB_UNKNOWN", detail={"digest": dg})
        headers = {"Content-Type": "application/octet-stream", "Docker-Content-Digest": dg,
                   "Accept-Ranges": "bytes", "ETag": f'"{dg}"',
                   "Cache-Control": "max-age=31536000"}
        try:
            rng = parse_range(req.headers.get("range"), size)
        except RangeNotSatisfiable:
            raise RegistryError("RANGE_INVALID", status=416,
                                headers={"Content-Range": f"bytes */{size}"}) from None
        if rng is None:
            await respond_file(req, send, path, 0, size - 1, 200, headers)
        else:
            start, end = rng
            headers["Content-Range"] = f"bytes {start}-{end}/{size}"
            await respond_file(req, send, path, start, end, 206, headers)

    async def blob_delete(self, req: Request, send: Send, name: str, digest: str) -> None:
        self._require_delete()
        dg = self._digest(digest)
        if not self.storage.unlink_blob(name, dg):
            raise RegistryError("BLOB_UNKNOWN", detail={"digest": dg})
        await respond(req, send, 202, b"", {"Docker-Content-Digest": dg})

    def _require_delete(self) -> None:
        if not self.delete_enabled:
            raise RegistryError("UNSUPPORTED", message="deletes are disabled on this registry "
                                "(teu registry serve --delete)")

    # -- uploads -----------------------------------------------------------------

    async def uploads_post(self, req: Request, send: Send, name: str) -> None:
        mount = req.query.get("mount")
        if mount is not None:
            dg = self._digest(mount)
            source = req.query.get("from")
            if source and names.valid_name(source) and self.storage.repo_has_blob(source, dg):
                await asyncio.to_thread(self.storage.link_blob, name, dg)
                await respond(req, send, 201, b"", {
                    "Location": f"/v2/{name}/blobs/{dg}", "Docker-Content-Digest": dg})
                return
            # Not mountable: the spec says fall back to a new upload session.
        digest = req.query.get("digest")
        expected = self._digest(digest) if digest is not None else None
        upload_id = self.storage.new_upload(name)
        if expected is None:
            await respond(req, send, 202, b"", _upload_headers(name, upload_id, 0))
            return
        # Monolithic upload: the body is the whole blob.
        try:
            await self._receive_into(req, send, name, upload_id, None, expected)
        except BaseException:
            with contextlib.suppress(Exception):
                self.storage.cancel_upload(name, upload_id)
            raise

    async def upload_get(self, req: Request, send: Send, name: str, upload: str) -> None:
        try:
            offset = self.storage.upload_size(name, upload)
        except UploadUnknown:
            raise RegistryError("BLOB_UPLOAD_UNKNOWN", detail={"uuid": upload[:100]}) from None
        await respond(req, send, 204, b"", _upload_headers(name, upload, offset))

    async def upload_patch(self, req: Request, send: Send, name: str, upload: str) -> None:
        writer = self._open_upload(name, upload)
        try:
            self._check_chunk(req, writer.offset, name, upload)
            # On a disconnect what arrived is kept: the client can ask the status and resume.
            await _write_body(req, writer)
            offset = writer.offset
        finally:
            writer.close()
        await respond(req, send, 202, b"", _upload_headers(name, upload, offset))

    async def upload_put(self, req: Request, send: Send, name: str, upload: str) -> None:
        digest = req.query.get("digest")
        if digest is None:
            raise RegistryError("DIGEST_INVALID", message="digest query parameter required")
        expected = self._digest(digest)
        await self._receive_into(req, send, name, upload, req.headers.get("content-range"),
                                 expected)

    async def upload_delete(self, req: Request, send: Send, name: str, upload: str) -> None:
        try:
            self.storage.cancel_upload(name, upload)
        except UploadUnknown:
            raise RegistryError("BLOB_UPLOAD_UNKNOWN", detail={"uuid": upload[:100]}) from None
        await respond(req, send, 204, b"")

    def _open_upload(self, name: str, upload: str) -> Any:
        try:
            return self.storage.open_upload(name, upload)
        except UploadUnknown:
            raise RegistryError("BLOB_UPLOAD_UNKNOWN", detail={"uuid": upload[:100]}) from None
        except UploadBusy:
            raise RegistryError("BLOB_UPLOAD_INVALID", status=416,
                                message="another request is writing to this upload") from None

    def _check_chunk(self, req: Request, offset: int, name: str, upload: str) -> None:
        """416 for a chunk that does not start where the upload ends (the spec's rule)."""
        header = req.headers.get("content-range")
        if not header:
            return
        try:
            start, end = parse_chunk_range(header)
        except ValueError:
            raise RegistryError("BLOB_UPLOAD_INVALID", status=416, detail=header[:100],
                                headers=_upload_headers(name, upload, offset)) from None
        length = req.content_length()
        if start != offset or (length is not None and length != end - start + 1):
            raise RegistryError("BLOB_UPLOAD_INVALID", status=416,
                                message="chunk out of order or of the wrong length",
                                detail={"expected_start": offset, "content_range": header[:100]},
                                headers=_upload_headers(name, upload, offset))

    async def _receive_into(self, req: Request, send: Send, name: str, upload: str,
                            content_range: str | None, expected: D.Digest) -> None:
        """Append the body (maybe empty) to the upload, verify, commit, answer 201."""
        writer = self._open_upload(name, upload)
        try:
            if content_range:
                self._check_chunk(req, writer.offset, name, upload)
            await _write_body(req, writer)
            try:
                await asyncio.to_thread(self.storage.commit_upload, name, upload, expected, writer)
            except DigestMismatch as e:
                writer.close()
                with contextlib.suppress(Exception):
                    self.storage.cancel_upload(name, upload)
                raise RegistryError("DIGEST_INVALID", detail={
                    "expected": e.expected, "actual": e.actual}) from None
        finally:
            writer.close()
        self.metrics.blobs_committed += 1
        await respond(req, send, 201, b"", {
            "Location": f"/v2/{name}/blobs/{expected}", "Docker-Content-Digest": expected})

    # -- manifests -----------------------------------------------------------------

    def _reference(self, ref: str) -> tuple[str | None, D.Digest | None]:
        if names.is_digest_reference(ref):
            return None, self._digest(ref)
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
        media_type = _media_type_of(doc, content_type)
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
        self._require_delete()
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
        page, link = _paginate(tags, req, f"/v2/{name}/tags/list")
        headers = {"Content-Type": JSON}
        if link:
            headers["Link"] = link
        await respond(req, send, 200, json.dumps({"name": name, "tags": page}).encode(), headers)

    async def referrers_get(self, req: Request, send: Send, name: str, digest: str) -> None:
        dg = self._digest(digest)
        found = await asyncio.to_thread(self.storage.referrers, name, dg)
        headers = {"Content-Type": MT.OCI_INDEX}
        wanted = req.query.get("artifactType")
        if wanted:
            found = [d for d in found if d.get("artifactType") == wanted]
            headers["OCI-Filters-Applied"] = "artifactType"
        body = {"schemaVersion": 2, "mediaType": MT.OCI_INDEX, "manifests": found}
        await respond(req, send, 200, json.dumps(body).encode(), headers)


# Body bytes are gathered to this size and written (and hashed) in a worker
# thread while the next ones arrive: both release the GIL, so a push uses
# both cores instead of one event loop doing network, hashing and disk.
_WRITE_BATCH = 1 << 20


async def _write_body(req: Request, writer: Any) -> None:
    buf = bytearray()
    pending: asyncio.Future | None = None
    try:
        async for chunk in req.stream():
            buf += chunk
            if len(buf) >= _WRITE_BATCH:
                data = bytes(buf)
                buf.clear()
                if pending is not None:
                    await pending
                pending = asyncio.ensure_future(asyncio.to_thread(writer.write, data))
    finally:
        if pending is not None:
            await pending
        if buf:
            # Also on disconnect: bytes that arrived are part of the upload.
            writer.write(bytes(buf))


def _media_type_of(doc: Manifest | Index, content_type: str | None) -> str:
    if content_type:
        ct = content_type.split(";")[0].strip()
        if ct in MT.MANIFESTS:
            return ct
    if doc.media_type:
        return doc.media_type
    return MT.OCI_INDEX if isinstance(doc, Index) else MT.OCI_MANIFEST


def _multi_query(req: Request) -> dict[str, list[str]]:
    from urllib.parse import parse_qs

    return parse_qs(req.scope.get("query_string", b"").decode("latin-1"))


def _paginate(items: list[str], req: Request, path: str) -> tuple[list[str], str | None]:
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
