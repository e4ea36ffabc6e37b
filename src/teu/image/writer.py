"""Write an image from any place (registry, layout, archive) into the store.

Layers go in parallel: each one's blob is fetched unless the store has it
(resuming a partial download where the source can seek or do ranges), its
digest checked as it is written, then unpacked with its diff ID checked.
Config and manifest are stored next, and only then is the image registered,
in one transaction: a failure anywhere leaves no half image listed, and what
was already fetched stays for the next attempt.
"""

from __future__ import annotations

import errno
import http.client
import os
import time
from dataclasses import dataclass

from teu.image.db import ImageRow, LayerRow
from teu.image.errors import ImageError
from teu.image.progress import Progress
from teu.image.store import Store
from teu.image.types import Image, Layer, chain_ids
from teu.oci import digest as D
from teu.oci.errors import DigestMismatchError

RETRIES = 3
_LOCAL_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM,
                 errno.EIO}


@dataclass
class WriteResult:
    row: ImageRow
    new: bool              # the image was not in the store before
    fetched: int           # blobs fetched from the source
    untagged: list[str]    # image IDs that lost a tag to this one


def write_image(store: Store, image: Image, *, name: str, tags: list[str] = (),  # type: ignore[assignment]
                repo_digests: list[str] = (), extra_blobs: list[bytes] = (),  # type: ignore[assignment]
                source: str | None = None, progress: Progress | None = None,
                jobs: int = 3, fetch_verb: str = "Download", done_verb: str = "Pull",
                stream_unpack: bool | None = None) -> WriteResult:
    """Copy `image` into the store and register it under `tags` and `repo_digests`.

    `name` is used in error messages; `source` ("host/repo") is remembered per
    blob so a later push to the same registry can mount instead of upload.
    With `stream_unpack`, a layer is unpacked while it downloads (from the partial
    file, as it grows), and only renamed into place once its digest was checked.
    By default that is done only when fewer layers need work than there are CPUs:
    otherwise the layers already keep the CPUs busy, and streaming measured 7 %
    slower (thread hand-offs) on the loopback benchmark."""
    progress = progress or Progress()
    manifest = image.manifest()
    raw_manifest = image.raw_manifest()
    manifest_digest = D.compute(raw_manifest)
    prime = getattr(image, "prime_config", None)
    if prime is not None and store.blobs.exists(manifest.config.digest):
        # A re-pull: the config is in the store; no need to fetch it again.
        prime(store.blobs.read(manifest.config.digest))
    raw_config = image.raw_config()
    config = image.config_file()
    layers = image.layers()
    chains = chain_ids([layer.diff_id for layer in layers])
    image_id = manifest.config.digest
    sizes = [0] * len(layers)
    fetched = [0]
    if stream_unpack is None:
        todo = sum(1 for i, layer in enumerate(layers)
                   if not store.blobs.exists(layer.descriptor.digest)
                   or not store.layers.exists(chains[i]))
        stream_unpack = todo < (os.cpu_count() or 1)

    def one(i: int) -> None:
        layer = layers[i]
        desc = layer.descriptor
        lid = desc.digest.encoded[:12]
        have_blob = store.blobs.exists(desc.digest)
        have_layer = store.layers.exists(chains[i])
        if have_blob and have_layer:
            known = store.db.layer(chains[i])
            sizes[i] = known[1] if known else 0
            progress.layer(lid, "Already exists")
            return
        if not have_blob and not have_layer and stream_unpack:
            size = _fetch_and_unpack(store, layer, chains[i], lid, progress, name, fetch_verb)
            fetched[0] += 1
            if size is not None:
                sizes[i] = size
                progress.layer(lid, f"{done_verb} complete")
                return
            have_blob = True  # fetched, but the unpack has to start again from the blob
        if not have_blob:
            _fetch(store, layer, lid, progress, name, fetch_verb)
            fetched[0] += 1
            progress.layer(lid, f"{fetch_verb} complete")
        if not have_layer:
            progress.layer(lid, "Extracting")
            sizes[i] = store.layers.unpack(
                chains[i], layer.diff_id,
                lambda: store.blobs.open(desc.digest, verify=False),
                what=f"{name}: layer {desc.digest}")
        else:
            known = store.db.layer(chains[i])
            sizes[i] = known[1] if known else 0
        progress.layer(lid, f"{done_verb} complete")

    with store.lock():
        store.db  # noqa: B018 - open (create) the index before filling the disk with blobs
        for layer in layers:
            progress.layer(layer.descriptor.digest.encoded[:12], "Pulling fs layer"
                           if done_verb == "Pull" else "Waiting")
        if layers:
            from teu.image.parallel import run_all

            run_all(one, range(len(layers)), jobs, "teu-layer", on_error=progress.close)
        progress.close()
        store.blobs.put_bytes(raw_config, image_id)
        store.blobs.put_bytes(raw_manifest)
        extra = [store.blobs.put_bytes(b) for b in extra_blobs]
        existing = store.db.image(image_id)
        row = ImageRow(
            id=image_id, manifest=manifest_digest,
            media_type=manifest.media_type or "application/vnd.oci.image.manifest.v1+json",
            created=config.created, added=time.time(), size=sum(sizes),
            os=config.os, architecture=config.architecture, variant=config.variant)
        layer_rows = [LayerRow(chains[i], layers[i].diff_id, layers[i].descriptor.digest,
                               layers[i].descriptor.media_type, sizes[i])
                      for i in range(len(layers))]
        blobs = [image_id, manifest_digest, *extra,
                 *(layer.descriptor.digest for layer in layers)]
        sources = [(b, source) for b in blobs if source]
        untagged = store.register(row, layer_rows, blobs, list(tags), list(repo_digests), sources)
    row = store.db.image(image_id) or row
    return WriteResult(row, existing is None, fetched[0], untagged)


def _fetch(store: Store, layer: Layer, lid: str, progress: Progress, name: str,
           verb: str, follower: _Follower | None = None) -> None:
    """One blob into the store, resuming after a broken connection (and, across
    runs, after a kill: the partial file stays in ingest/)."""
    desc = layer.descriptor
    what = f"{name}: blob {desc.digest}"
    last: Exception | None = None
    status = "Downloading" if verb == "Download" else verb + "ing"

    def moved(n: int) -> None:
        progress.layer(lid, status, n, desc.size)
        if follower is not None:
            follower.advance(n)

    for attempt in range(RETRIES):
        with store.blobs.ingest(desc.digest, desc.size, what=f"{name}: blob") as ing:
            if ing.done:
                if follower is not None:
                    follower.abandon()  # someone else wrote it: unpack from the blob
                return
            try:
                stream, start = layer.open(ing.offset)
                try:
                    if start != ing.offset:
                        ing.reset()
                        if follower is not None:
                            follower.abandon()  # bytes already read were rewritten
                    if follower is not None:
                        follower.attach(ing.partial, ing.offset)
                    if ing.offset:
                        progress.layer(lid, f"Resuming {verb.lower()} at "
                                            f"{ing.offset * 100 // max(1, desc.size)}%")
                    ing.copy_from(stream, moved)
                finally:
                    stream.close()
                ing.commit()
                if follower is not None:
                    follower.finish()
                return
            except DigestMismatchError:
                raise
            except OSError as e:
                if e.errno in _LOCAL_ERRORS:
                    # Our disk, not the network: retrying cannot help.
                    raise ImageError(f"{what}: {e.strerror}") from None
                last = e
            except http.client.HTTPException as e:
                last = e
            except ImageError as e:
                if "truncated" not in str(e):
                    raise
                last = e
        time.sleep(0.2 * (attempt + 1))
    raise ImageError(f"{what}: download failed after {RETRIES} attempts: {_reason(last)}")


class _Abandoned(Exception):
    """The streamed unpack cannot go on (the download restarted or was written by
    another process); the layer is unpacked again from the finished blob."""


class _Follower:
    """A reader of a partial blob while another thread writes it: read() waits for
    bytes, and reports the end only after the writer committed (digest checked)."""

    def __init__(self) -> None:
        import threading

        self._cond = threading.Condition()
        self._fd = -1
        self._pos = 0
        self._written = 0
        self._state = "open"  # "done", "abandoned"

    def attach(self, path: str, written: int) -> None:
        with self._cond:
            if self._fd < 0 and self._state == "open":
                self._fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            self._written = written
            self._cond.notify_all()

    def advance(self, n: int) -> None:
        with self._cond:
            self._written = n
            self._cond.notify_all()

    def finish(self) -> None:
        with self._cond:
            if self._state == "open":
                self._state = "done"
            self._cond.notify_all()

    def abandon(self) -> None:
        with self._cond:
            self._state = "abandoned"
            self._cond.notify_all()

    def read(self, n: int = -1) -> bytes:
        with self._cond:
            while True:
                if self._state == "abandoned":
                    raise _Abandoned()
                if self._fd >= 0 and self._pos < self._written:
                    k = self._written - self._pos
                    if n is not None and n >= 0:
                        k = min(k, n)
                    k = min(k, 4 << 20)
                    break
                if self._state == "done":
                    return b""
                self._cond.wait()
        data = os.pread(self._fd, k, self._pos)
        if not data:
            raise _Abandoned()  # truncated under us: a bad partial was discarded
        self._pos += len(data)
        return data

    def close(self) -> None:
        with self._cond:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1


def _fetch_and_unpack(store: Store, layer: Layer, chain_id: str, lid: str, progress: Progress,
                      name: str, verb: str) -> int | None:
    """Download and unpack at once; the unpacked size, or None if the unpack must be
    redone from the finished blob."""
    import threading

    follower = _Follower()
    result: dict[str, object] = {}

    def unpack() -> None:
        try:
            result["size"] = store.layers.unpack(
                chain_id, layer.diff_id, lambda: follower,  # type: ignore[arg-type, return-value]
                what=f"{name}: layer {layer.descriptor.digest}")
        except BaseException as e:  # noqa: BLE001 - handed to the fetching thread
            result["error"] = e
            follower.abandon()  # wake nobody up for nothing; the download goes on

    t = threading.Thread(target=unpack, name="teu-unpack", daemon=True)
    t.start()
    try:
        _fetch(store, layer, lid, progress, name, verb, follower)
    except BaseException:
        follower.abandon()
        t.join()
        follower.close()
        raise
    follower.finish()
    t.join()
    follower.close()
    err = result.get("error")
    if err is None:
        return result["size"]  # type: ignore[return-value]
    if isinstance(err, _Abandoned):
        return None
    raise err  # type: ignore[misc]


def _reason(e: Exception | None) -> str:
    if isinstance(e, http.client.IncompleteRead):
        return f"connection closed after {len(e.partial)} more bytes (truncated)"
    if isinstance(e, OSError) and e.strerror:
        return e.strerror
    return str(e) or type(e).__name__
