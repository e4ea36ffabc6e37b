"""The filesystem backend.

On-disk layout under the root (every name below is made by this module):

    blobs/<alg>/<hh>/<hex>                   blob content, stored once for all repositories
    uploads/<id>/data                        bytes received so far for one upload session
    uploads/<id>/repo                        the repository the session belongs to
    repositories/<name>/_layers/<alg>/<hex>  empty file: <name> may serve this blob
    repositories/<name>/_manifests/revisions/<alg>/<hex>
                                             {"mediaType": ...}: <name> holds this manifest
                                             (its bytes are the blob of the same digest)
    repositories/<name>/_manifests/tags/<tag>
                                             the digest the tag points to
    repositories/<name>/_referrers/<alg>/<subject hex>/<alg>-<hex>
                                             the referrer's descriptor (JSON), as the
                                             referrers API returns it
    tmp/                                     temporary files of atomic writes

Why it is safe against kill -9: content reaches a final name only by
rename(2) of a complete, fsynced file. A blob lives in uploads/ until its
digest has been checked, so a partial blob can never be served; a link,
tag or revision file is written to tmp/ and renamed over, so a reader sees
the old or the new one, never half. Names cannot escape the root: the
spec's grammar for <name> has no "." or ".." components and no leading "_",
so they never collide with the "_layers" style directories either.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import time
import uuid
from collections.abc import Iterator
from typing import BinaryIO

from teu.fileio import fsync_dir, start_writeback
from teu.oci import digest as D
from teu.registry.server.storage.base import (
    BlobUnknown,
    DigestMismatch,
    StoredManifest,
    UploadBusy,
    UploadUnknown,
)

_UPLOAD_ID_CHARS = frozenset("0123456789abcdef")
# Start writeback every this many bytes of an upload, so the fsync at commit
# finds little left to write (distribution does not fsync at all; teu does,
# and this keeps that promise from costing a long pause at the end).
_WRITEBACK_STEP = 8 << 20


class FileUploadWriter:
    """Appends to uploads/<id>/data under an exclusive lock, hashing as it goes."""

    def __init__(self, store: FilesystemStorage, upload_id: str) -> None:
        self.upload_id = upload_id
        self.path = store._upload_dir(upload_id) + "/data"
        try:
            self._f = open(self.path, "ab", buffering=0)  # noqa: SIM115 - closed in close()
        except FileNotFoundError:
            raise UploadUnknown(upload_id) from None
        try:
            # A second writer to the same session (a client retrying while the
            # first request still streams) must not interleave bytes.
            fcntl.flock(self._f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            self._f.close()
            if e.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
                raise UploadBusy(upload_id) from None
            raise
        self.offset = os.fstat(self._f.fileno()).st_size
        self._hasher = store._take_hasher(upload_id, self.offset)
        self._store = store
        self._flushed = self.offset

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            n = self._f.write(view)
            view = view[n:]
        if self._hasher is not None:
            self._hasher.update(data)
        self.offset += len(data)
        if self._store.fsync and self.offset - self._flushed >= _WRITEBACK_STEP:
            start_writeback(self._f.fileno(), self._flushed, self.offset - self._flushed)
            self._flushed = self.offset

    def truncate_to(self, offset: int) -> None:
        """Drop bytes past `offset` (a chunk that turned out bad or short)."""
        os.ftruncate(self._f.fileno(), offset)
        self.offset = offset
        self._hasher = None

    def digest_for(self, algorithm: str) -> str:
        """The digest of everything written, hashing the file again only if needed."""
        if self._hasher is not None and self._hasher.algorithm == algorithm \
                and self._hasher.size == self.offset:
            return self._hasher.digest()
        with open(self.path, "rb") as f:
            return D.from_file(f, algorithm)

    def fsync(self) -> None:
        os.fsync(self._f.fileno())

    def close(self) -> None:
        if self._f.closed:
            return
        if self._hasher is not None:
            self._store._keep_hasher(self.upload_id, self._hasher)
        self._f.close()


class FilesystemStorage:
    """Storage on a local filesystem; see the module docstring for the layout."""

    def __init__(self, root: str, fsync: bool = True) -> None:
        self.root = os.path.abspath(root)
        self.fsync = fsync
        for d in ("blobs", "uploads", "repositories", "tmp"):
            os.makedirs(os.path.join(self.root, d), exist_ok=True)
        # Hash state of uploads between PATCH requests, so finishing an upload
        # does not re-read it. Lost on restart; then the file is hashed again.
        self._hashers: dict[str, D.Hasher] = {}

    # -- paths ---------------------------------------------------------------

    def _blob_file(self, digest: str) -> str:
        d = D.parse(digest, registered_only=True)
        return os.path.join(self.root, "blobs", d.algorithm, d.encoded[:2], d.encoded)

    def _repo_dir(self, repo: str) -> str:
        return os.path.join(self.root, "repositories", repo)

    def _layer_link(self, repo: str, digest: str) -> str:
        d = D.parse(digest)
        return os.path.join(self._repo_dir(repo), "_layers", d.algorithm, d.encoded)

    def _revision(self, repo: str, digest: str) -> str:
        d = D.parse(digest)
        return os.path.join(self._repo_dir(repo), "_manifests", "revisions", d.algorithm, d.encoded)

    def _tag_file(self, repo: str, tag: str) -> str:
        return os.path.join(self._repo_dir(repo), "_manifests", "tags", tag)

    def _referrer_dir(self, repo: str, subject: str) -> str:
        d = D.parse(subject)
        return os.path.join(self._repo_dir(repo), "_referrers", d.algorithm, d.encoded)

    def _upload_dir(self, upload_id: str) -> str:
        if not upload_id or len(upload_id) > 64 or not set(upload_id) <= _UPLOAD_ID_CHARS:
            raise UploadUnknown(upload_id)
        return os.path.join(self.root, "uploads", upload_id)

    # -- atomic small writes -------------------------------------------------

    def _atomic_write(self, path: str, data: bytes) -> None:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = os.path.join(self.root, "tmp", uuid.uuid4().hex)
        with open(tmp, "wb") as f:
            f.write(data)
            if self.fsync:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)

    # -- blobs ---------------------------------------------------------------

    def blob_size(self, digest: str) -> int | None:
        try:
            return os.stat(self._blob_file(digest)).st_size
        except FileNotFoundError:
            return None

    def open_blob(self, digest: str) -> BinaryIO:
        try:
            return open(self._blob_file(digest), "rb")
        except FileNotFoundError:
            raise BlobUnknown(digest) from None

    def blob_path(self, digest: str) -> str | None:
        path = self._blob_file(digest)
        return path if os.path.exists(path) else None

    def blob_age(self, digest: str) -> float:
        try:
            return time.time() - os.stat(self._blob_file(digest)).st_mtime
        except FileNotFoundError:
            return 0.0

    def delete_blob(self, digest: str) -> bool:
        try:
            os.unlink(self._blob_file(digest))
            return True
        except FileNotFoundError:
            return False

    def iter_blobs(self) -> Iterator[str]:
        base = os.path.join(self.root, "blobs")
        for alg in sorted(os.listdir(base)):
            for prefix in sorted(os.listdir(os.path.join(base, alg))):
                for name in sorted(os.listdir(os.path.join(base, alg, prefix))):
                    if D.is_valid(f"{alg}:{name}"):
                        yield f"{alg}:{name}"

    def _store_blob_bytes(self, digest: str, data: bytes) -> None:
        """Write small content (a manifest) under its digest, atomically."""
        path = self._blob_file(digest)
        if os.path.exists(path):
            return
        self._atomic_write(path, data)

    # -- repository links ------------------------------------------------------

    def repo_has_blob(self, repo: str, digest: str) -> bool:
        return os.path.exists(self._layer_link(repo, digest)) and \
            os.path.exists(self._blob_file(digest))

    def link_blob(self, repo: str, digest: str) -> None:
        path = self._layer_link(repo, digest)
        if os.path.exists(path):
            return
        self._atomic_write(path, b"")

    def unlink_blob(self, repo: str, digest: str) -> bool:
        try:
            os.unlink(self._layer_link(repo, digest))
            return True
        except FileNotFoundError:
            return False

    def iter_repo_blobs(self, repo: str) -> Iterator[str]:
        yield from self._iter_digest_dir(os.path.join(self._repo_dir(repo), "_layers"))

    @staticmethod
    def _iter_digest_dir(base: str) -> Iterator[str]:
        try:
            algs = sorted(os.listdir(base))
        except FileNotFoundError:
            return
        for alg in algs:
            for name in sorted(os.listdir(os.path.join(base, alg))):
                if D.is_valid(f"{alg}:{name}"):
                    yield f"{alg}:{name}"

    # -- uploads ---------------------------------------------------------------

    def new_upload(self, repo: str) -> str:
        upload_id = uuid.uuid4().hex
        d = self._upload_dir(upload_id)
        os.makedirs(d)
        with open(os.path.join(d, "repo"), "w") as f:
            f.write(repo)
        open(os.path.join(d, "data"), "wb").close()
        return upload_id

    def _check_upload(self, repo: str, upload_id: str) -> str:
        d = self._upload_dir(upload_id)
        try:
            with open(os.path.join(d, "repo")) as f:
                owner = f.read()
        except FileNotFoundError:
            raise UploadUnknown(upload_id) from None
        if owner != repo:
            raise UploadUnknown(upload_id)
        return d

    def upload_size(self, repo: str, upload_id: str) -> int:
        d = self._check_upload(repo, upload_id)
        try:
            return os.stat(os.path.join(d, "data")).st_size
        except FileNotFoundError:
            raise UploadUnknown(upload_id) from None

    def open_upload(self, repo: str, upload_id: str) -> FileUploadWriter:
        self._check_upload(repo, upload_id)
        return FileUploadWriter(self, upload_id)

    def _take_hasher(self, upload_id: str, offset: int) -> D.Hasher | None:
        h = self._hashers.pop(upload_id, None)
        if h is not None and h.size == offset:
            return h
        if offset == 0:
            return D.Hasher()
        return None  # resumed after a restart: the file is hashed again at commit

    def _keep_hasher(self, upload_id: str, hasher: D.Hasher) -> None:
        self._hashers[upload_id] = hasher

    def commit_upload(self, repo: str, upload_id: str, digest: str,
                      writer: FileUploadWriter | None = None) -> int:
        """Verify the upload against `digest`, move it into blobs/, link it to `repo`."""
        expected = D.parse(digest, registered_only=True)
        own = writer is None
        if writer is None:
            writer = self.open_upload(repo, upload_id)
        try:
            actual = writer.digest_for(expected.algorithm)
            if actual != expected:
                raise DigestMismatch(expected, actual)
            size = writer.offset
            if self.fsync:
                writer.fsync()
            target = self._blob_file(expected)
            if not os.path.exists(target):
                os.makedirs(os.path.dirname(target), exist_ok=True)
                os.rename(writer.path, target)
                if self.fsync:
                    fsync_dir(os.path.dirname(target))
            writer._hasher = None  # the session is over: keep no hash state for it
        finally:
            if own:
                writer.close()
        self._hashers.pop(upload_id, None)
        self.link_blob(repo, expected)
        self._remove_upload(upload_id)
        return size

    def cancel_upload(self, repo: str, upload_id: str) -> None:
        self._check_upload(repo, upload_id)
        self._hashers.pop(upload_id, None)
        self._remove_upload(upload_id)

    def _remove_upload(self, upload_id: str) -> None:
        d = self._upload_dir(upload_id)
        for name in ("data", "repo"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(os.path.join(d, name))
        with contextlib.suppress(FileNotFoundError, OSError):
            os.rmdir(d)

    def expire_uploads(self, max_age: float) -> int:
        """Remove upload sessions untouched for `max_age` seconds; also stale tmp files."""
        now = time.time()
        removed = 0
        base = os.path.join(self.root, "uploads")
        for upload_id in os.listdir(base):
            d = os.path.join(base, upload_id)
            try:
                mtime = max(os.stat(os.path.join(d, n)).st_mtime for n in ("data", "repo")
                            if os.path.exists(os.path.join(d, n)))
            except ValueError:
                mtime = 0.0
            if now - mtime > max_age:
                self._hashers.pop(upload_id, None)
                with contextlib.suppress(Exception):
                    self._remove_upload(upload_id)
                removed += 1
        tmp = os.path.join(self.root, "tmp")
        for name in os.listdir(tmp):
            p = os.path.join(tmp, name)
            with contextlib.suppress(FileNotFoundError):
                if now - os.stat(p).st_mtime > max_age:
                    os.unlink(p)
        return removed

    # -- manifests and tags ------------------------------------------------------

    def put_manifest(self, repo: str, digest: str, media_type: str, content: bytes,
                     tag: str | None = None, subject: str | None = None,
                     descriptor: dict | None = None) -> None:
        # Order matters for crash safety: content, then revision, then the tag
        # and the referrer entry that point at it.
        self._store_blob_bytes(digest, content)
        self._atomic_write(self._revision(repo, digest),
                           json.dumps({"mediaType": media_type}).encode())
        if subject and descriptor is not None:
            d = D.parse(digest)
            self._atomic_write(
                os.path.join(self._referrer_dir(repo, subject), f"{d.algorithm}-{d.encoded}"),
                json.dumps(descriptor).encode())
        if tag is not None:
            self._atomic_write(self._tag_file(repo, tag), digest.encode())

    def _manifest_media_type(self, repo: str, digest: str) -> str | None:
        try:
            with open(self._revision(repo, digest), "rb") as f:
                return json.loads(f.read())["mediaType"]
        except (FileNotFoundError, ValueError, KeyError):
            return None

    def get_manifest(self, repo: str, reference: str) -> StoredManifest | None:
        digest = reference if ":" in reference else self.resolve_tag(repo, reference)
        if digest is None:
            return None
        media_type = self._manifest_media_type(repo, digest)
        if media_type is None:
            return None
        try:
            with open(self._blob_file(digest), "rb") as f:
                content = f.read()
        except FileNotFoundError:
            return None
        return StoredManifest(digest, media_type, content)

    def resolve_tag(self, repo: str, tag: str) -> str | None:
        try:
            with open(self._tag_file(repo, tag), "rb") as f:
                return f.read().decode()
        except (FileNotFoundError, NotADirectoryError):
            return None

    def delete_manifest(self, repo: str, digest: str) -> bool:
        m = self.get_manifest(repo, digest)
        if m is None:
            return False
        # Tags first, then the referrer entry, then the revision: a crash midway
        # leaves a manifest with fewer names, never a name with no manifest.
        for tag in self.tags(repo) or []:
            if self.resolve_tag(repo, tag) == digest:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(self._tag_file(repo, tag))
        subject = _subject_of(m.content)
        if subject:
            d = D.parse(digest)
            with contextlib.suppress(FileNotFoundError, ValueError):
                os.unlink(os.path.join(self._referrer_dir(repo, subject),
                                       f"{d.algorithm}-{d.encoded}"))
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._revision(repo, digest))
        return True

    def delete_tag(self, repo: str, tag: str) -> bool:
        try:
            os.unlink(self._tag_file(repo, tag))
            return True
        except FileNotFoundError:
            return False

    def iter_manifests(self, repo: str) -> Iterator[str]:
        yield from self._iter_digest_dir(
            os.path.join(self._repo_dir(repo), "_manifests", "revisions"))

    def tags(self, repo: str) -> list[str] | None:
        try:
            names = os.listdir(os.path.join(self._repo_dir(repo), "_manifests", "tags"))
        except FileNotFoundError:
            return [] if self.repo_exists(repo) else None
        return sorted(n for n in names if not n.startswith("."))

    def referrers(self, repo: str, subject: str) -> list[dict]:
        base = self._referrer_dir(repo, subject)
        try:
            names = sorted(os.listdir(base))
        except FileNotFoundError:
            return []
        out = []
        for name in names:
            try:
                with open(os.path.join(base, name), "rb") as f:
                    out.append(json.loads(f.read()))
            except (FileNotFoundError, ValueError):
                continue
        return out

    def repo_exists(self, repo: str) -> bool:
        d = self._repo_dir(repo)
        return os.path.isdir(os.path.join(d, "_manifests")) or \
            os.path.isdir(os.path.join(d, "_layers"))

    def repositories(self) -> list[str]:
        base = os.path.join(self.root, "repositories")
        found: list[str] = []
        for dirpath, dirnames, _files in os.walk(base):
            if "_manifests" in dirnames or "_layers" in dirnames:
                found.append(os.path.relpath(dirpath, base))
            # Never descend into the repository's own bookkeeping.
            dirnames[:] = [d for d in dirnames if not d.startswith("_")]
        return sorted(found)


def _subject_of(content: bytes) -> str | None:
    try:
        doc = json.loads(content)
        subject = doc.get("subject") if isinstance(doc, dict) else None
        digest = subject.get("digest") if isinstance(subject, dict) else None
        return digest if isinstance(digest, str) and D.is_valid(digest) else None
    except ValueError:
        return None
