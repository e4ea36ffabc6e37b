"""The storage interface every registry backend implements.

The app only talks to this Protocol, so another backend (object storage, a
database) can be dropped in; tests/unit/registry_storage_suite.py is the
shared suite a backend must pass. Methods are synchronous: the filesystem
backend's calls are short, and the app moves the slow ones (fsync, hashing
a whole blob) off the event loop.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, Protocol


class StorageError(Exception):
    """Base of the backend's errors; the app maps each to a spec error code."""


class BlobUnknown(StorageError):
    pass


class UploadUnknown(StorageError):
    pass


class UploadBusy(StorageError):
    """Another request is writing to the same upload right now."""


class DigestMismatch(StorageError):
    def __init__(self, expected: str, actual: str) -> None:
        super().__init__(f"expected {expected}, got {actual}")
        self.expected = expected
        self.actual = actual


class SizeMismatch(StorageError):
    pass


@dataclass(frozen=True)
class StoredManifest:
    digest: str
    media_type: str
    content: bytes


class UploadWriter(Protocol):
    """An open upload session: append bytes, then close (or commit through the storage)."""

    offset: int

    def write(self, data: bytes) -> None: ...
    def close(self) -> None: ...


class Storage(Protocol):
    # Blobs (content addressed, shared by all repositories).
    def blob_size(self, digest: str) -> int | None: ...
    def open_blob(self, digest: str) -> BinaryIO: ...
    def blob_path(self, digest: str) -> str | None:
        """A local file holding the blob (lets the server use sendfile), or None."""
        ...
    def delete_blob(self, digest: str) -> bool: ...
    def iter_blobs(self) -> Iterator[str]: ...
    def blob_age(self, digest: str) -> float: ...

    # Repository links to blobs.
    def repo_has_blob(self, repo: str, digest: str) -> bool: ...
    def link_blob(self, repo: str, digest: str) -> None: ...
    def unlink_blob(self, repo: str, digest: str) -> bool: ...
    def iter_repo_blobs(self, repo: str) -> Iterator[str]: ...

    # Uploads.
    def new_upload(self, repo: str) -> str: ...
    def upload_size(self, repo: str, upload_id: str) -> int: ...
    def open_upload(self, repo: str, upload_id: str) -> UploadWriter: ...
    def commit_upload(self, repo: str, upload_id: str, digest: str,
                      writer: UploadWriter | None = None) -> int: ...
    def cancel_upload(self, repo: str, upload_id: str) -> None: ...
    def expire_uploads(self, max_age: float) -> int: ...

    # Manifests, tags, referrers.
    def put_manifest(self, repo: str, digest: str, media_type: str, content: bytes,
                     tag: str | None = None, subject: str | None = None,
                     descriptor: dict | None = None) -> None: ...
    def get_manifest(self, repo: str, reference: str) -> StoredManifest | None: ...
    def resolve_tag(self, repo: str, tag: str) -> str | None: ...
    def delete_manifest(self, repo: str, digest: str) -> bool: ...
    def delete_tag(self, repo: str, tag: str) -> bool: ...
    def iter_manifests(self, repo: str) -> Iterator[str]: ...
    def tags(self, repo: str) -> list[str] | None: ...
    def referrers(self, repo: str, subject: str) -> list[dict]: ...
    def repositories(self) -> list[str]: ...
    def repo_exists(self, repo: str) -> bool: ...
