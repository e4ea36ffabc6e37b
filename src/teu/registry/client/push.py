"""Push: store -> registry, the way `docker push` reports it.

For each blob (layers, then config), in parallel: HEAD to skip what the
repository has; a cross-repository mount from a repository of the same
registry the blob is known to be in (recorded on pull and push); else an
upload, in one PUT (monolithic) or in PATCH chunks. The manifest goes last,
as it was stored (its digest stays the image's), and is printed.
"""

from __future__ import annotations

from dataclasses import dataclass

from teu.image import reference as R
from teu.image.errors import ImageError
from teu.image.progress import Progress
from teu.image.store import Store
from teu.oci.descriptor import Descriptor
from teu.registry.client import credentials
from teu.registry.client.remote import Registry, Repository


@dataclass
class PushResult:
    reference: R.Reference
    digest: str
    size: int
    uploaded: int
    mounted: int
    skipped: int


class _ProgressReader:
    def __init__(self, f, cb) -> None:
        self._f = f
        self._cb = cb
        self._n = 0

    def read(self, n: int = -1) -> bytes:
        data = self._f.read(n)
        self._n += len(data)
        self._cb(self._n)
        return data

    def close(self) -> None:
        self._f.close()


def push(store: Store, source: str, destination: str | None = None, *,
         tls_verify: bool | None = None, authfile: str | None = None,
         credentials_: tuple[str, str] | None = None, progress: Progress | None = None,
         chunk_size: int | None = None, jobs: int = 3,
         registry: Registry | None = None) -> PushResult:
    progress = progress or Progress()
    image = store.image(source)
    target_text = destination or source
    if destination is None and R.looks_like_id(source) and source not in " ".join(image.row.tags):
        raise ImageError(f"{source}: an image ID cannot be pushed; give a name to push it as")
    ref = R.parse(target_text)
    if ref.digest:
        raise ImageError(f"{target_text}: cannot push to a digest reference; use a tag")
    if registry is None:
        creds = credentials_ or credentials.lookup(ref.domain, authfile)
        registry = Registry(ref.registry, tls_verify, creds)
    repo = registry.repository(ref.path)
    progress.message(f"The push refers to repository [{ref.repository}]")
    manifest = image.manifest()
    blobs: list[Descriptor] = [*manifest.layers, manifest.config]
    counts = {"uploaded": 0, "mounted": 0, "skipped": 0}
    sources = {d.digest: [s.split("/", 1)[1] for s in store.db.blob_sources(d.digest)
                          if s.split("/", 1)[0] == ref.domain and s.split("/", 1)[1] != ref.path]
               for d in blobs}

    def one(desc: Descriptor) -> None:
        lid = desc.digest.encoded[:12]
        is_config = desc is manifest.config
        if repo.blob_exists(desc.digest):
            counts["skipped"] += 1
            if not is_config:
                progress.layer(lid, "Layer already exists")
            return
        location = None
        for src in sources.get(desc.digest, []):
            location = repo.mount_blob(desc.digest, src)
            if location is None:
                counts["mounted"] += 1
                if not is_config:
                    progress.layer(lid, f"Mounted from {src}")
                return
            break  # the registry opened an upload instead: use it
        _upload(repo, store, desc, location, chunk_size,
                lambda n: progress.layer(lid, "Pushing", n, desc.size) if not is_config else None)
        counts["uploaded"] += 1
        if not is_config:
            progress.layer(lid, "Pushed")

    for d in manifest.layers:
        progress.layer(d.digest.encoded[:12], "Preparing")
    from teu.image.parallel import run_all

    run_all(one, blobs, jobs, "teu-push", on_error=progress.close)
    progress.close()
    raw = image.raw_manifest()
    digest = repo.put_manifest(ref.tag or R.DEFAULT_TAG, raw,
                               manifest.media_type or "application/vnd.oci.image.manifest.v1+json")
    from teu.trust.transfer import push_signatures

    for tag in push_signatures(store, image.row.manifest, repo):
        progress.message(f"Pushed signatures: {ref.repository}:{tag}")
    with store.db.tx() as c:
        for d in [*blobs]:
            store.db.add_blob_source(c, d.digest, f"{ref.domain}/{ref.path}")
        store.db.set_repo_digest(c, f"{ref.repository}@{digest}", image.id)
    from teu.image.events import by_reference

    by_reference(store, "push", ref)
    return PushResult(ref, digest, len(raw), counts["uploaded"], counts["mounted"],
                      counts["skipped"])


def _upload(repo: Repository, store: Store, desc: Descriptor, location: str | None,
            chunk_size: int | None, cb) -> None:
    location = location or repo.start_upload()
    f = store.blobs.open(desc.digest, verify=False)
    try:
        if chunk_size:
            repo.upload_chunked(location, desc.digest, f, chunk_size, cb)
        else:
            repo.upload_monolithic(location, desc.digest, desc.size, _ProgressReader(f, cb))
    finally:
        f.close()
