"""Blob handlers: pull (with ranges), delete, and every way to push (monolithic, chunked, mount)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from teu.oci import digest as D
from teu.oci.errors import ImageSpecError
from teu.registry.server import names
from teu.registry.server.access import Access
from teu.registry.server.auth import Authorizer
from teu.registry.server.errors import RegistryError
from teu.registry.server.http import Request, Send, respond, respond_file
from teu.registry.server.metrics import Metrics
from teu.registry.server.ranges import RangeNotSatisfiable, parse_chunk_range, parse_range
from teu.registry.server.storage.base import (
    DigestMismatch,
    Storage,
    UploadBusy,
    UploadUnknown,
)


def upload_headers(name: str, upload_id: str, offset: int) -> dict[str, str]:
    return {
        "Location": f"/v2/{name}/blobs/uploads/{upload_id}",
        # The spec's Range is inclusive; an empty upload is reported as "0-0"
        # like distribution does, which clients read as "start at 0".
        "Range": f"0-{max(offset - 1, 0)}",
        "Docker-Upload-UUID": upload_id,
    }


def parse_digest(value: str) -> D.Digest:
    try:
        return D.parse(value, registered_only=True)
    except ImageSpecError:
        raise RegistryError("DIGEST_INVALID", detail={"digest": value[:200]}) from None


def require_delete(enabled: bool) -> None:
    if not enabled:
        raise RegistryError("UNSUPPORTED", message="deletes are disabled on this registry "
                            "(teu registry serve --delete)")


class BlobHandlers:
    """Mixed into RegistryApp: `blob_*`, `uploads_*` and `upload_*` route handlers."""

    storage: Storage
    metrics: Metrics
    delete_enabled: bool
    auth: Authorizer

    # -- blobs -------------------------------------------------------------------

    async def blob_get(self, req: Request, send: Send, name: str, digest: str) -> None:
        dg = parse_digest(digest)
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
        require_delete(self.delete_enabled)
        dg = parse_digest(digest)
        if not self.storage.unlink_blob(name, dg):
            raise RegistryError("BLOB_UNKNOWN", detail={"digest": dg})
        await respond(req, send, 202, b"", {"Docker-Content-Digest": dg})

    # -- uploads -----------------------------------------------------------------

    async def uploads_post(self, req: Request, send: Send, name: str) -> None:
        mount = req.query.get("mount")
        if mount is not None:
            dg = parse_digest(mount)
            source = req.query.get("from")
            if source and names.valid_name(source) \
                    and self.auth.can(req.headers, Access("repository", source, "pull")) \
                    and self.storage.repo_has_blob(source, dg):
                await asyncio.to_thread(self.storage.link_blob, name, dg)
                await respond(req, send, 201, b"", {
                    "Location": f"/v2/{name}/blobs/{dg}", "Docker-Content-Digest": dg})
                return
            # Not mountable: the spec says fall back to a new upload session.
        digest = req.query.get("digest")
        expected = parse_digest(digest) if digest is not None else None
        upload_id = self.storage.new_upload(name)
        if expected is None:
            await respond(req, send, 202, b"", upload_headers(name, upload_id, 0))
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
        await respond(req, send, 204, b"", upload_headers(name, upload, offset))

    async def upload_patch(self, req: Request, send: Send, name: str, upload: str) -> None:
        writer = self._open_upload(name, upload)
        try:
            self._check_chunk(req, writer.offset, name, upload)
            # On a disconnect what arrived is kept: the client can ask the status and resume.
            await write_body(req, writer)
            offset = writer.offset
        finally:
            writer.close()
        await respond(req, send, 202, b"", upload_headers(name, upload, offset))

    async def upload_put(self, req: Request, send: Send, name: str, upload: str) -> None:
        digest = req.query.get("digest")
        if digest is None:
            raise RegistryError("DIGEST_INVALID", message="digest query parameter required")
        expected = parse_digest(digest)
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
                                headers=upload_headers(name, upload, offset)) from None
        length = req.content_length()
        if start != offset or (length is not None and length != end - start + 1):
            raise RegistryError("BLOB_UPLOAD_INVALID", status=416,
                                message="chunk out of order or of the wrong length",
                                detail={"expected_start": offset, "content_range": header[:100]},
                                headers=upload_headers(name, upload, offset))

    async def _receive_into(self, req: Request, send: Send, name: str, upload: str,
                            content_range: str | None, expected: D.Digest) -> None:
        """Append the body (maybe empty) to the upload, verify, commit, answer 201."""
        writer = self._open_upload(name, upload)
        try:
            if content_range:
                self._check_chunk(req, writer.offset, name, upload)
            await write_body(req, writer)
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


# Body bytes are gathered to this size and written (and hashed) in a worker
# thread while the next ones arrive: both release the GIL, so a push uses
# both cores instead of one event loop doing network, hashing and disk.
_WRITE_BATCH = 1 << 20


async def write_body(req: Request, writer: Any) -> None:
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
