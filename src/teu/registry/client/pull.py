"""Pull: registry -> store, the way `docker pull` reports it.

    latest: Pulling from library/busybox
    a1b2c3d4e5f6: Pull complete
    Digest: sha256:...
    Status: Downloaded newer image for busybox:latest
    docker.io/library/busybox:latest
"""

from __future__ import annotations

from dataclasses import dataclass

from teu.image import reference as R
from teu.image.progress import Progress
from teu.image.store import Store
from teu.image.writer import write_image
from teu.oci.platform import Platform
from teu.registry.client import credentials
from teu.registry.client.image import resolve
from teu.registry.client.remote import Registry


@dataclass
class PullResult:
    reference: R.Reference
    image_id: str
    digest: str
    new: bool
    fetched: int


def pull(store: Store, name: str, *, platform: Platform | str | None = None,
         tls_verify: bool | None = None, authfile: str | None = None,
         credentials_: tuple[str, str] | None = None, progress: Progress | None = None,
         jobs: int = 3, registry: Registry | None = None,
         signature_policy: str | None = None) -> PullResult:
    """Pull `name` (docker's reference syntax) into `store`; the trust policy in force
    (teu.trust.enforce) is applied before anything is written."""
    progress = progress or Progress()
    ref = R.parse(name)
    if isinstance(platform, str):
        platform = Platform.parse(platform)
    if registry is None:
        creds = credentials_ or credentials.lookup(ref.domain, authfile)
        registry = Registry(ref.registry, tls_verify, creds)
    repo = registry.repository(ref.path)
    shown = ref.familiar()
    progress.message(f"{ref.tag or ref.digest}: Pulling from {ref.path}")
    resolved = resolve(repo, ref.identifier, platform, shown)
    from teu.trust.enforce import admit_pull

    admission = admit_pull(ref, resolved.digest, repo, signature_policy)
    # dockerd's rule: "up to date" when the name already named this very image
    known = (store.db.tag(str(ref)) if ref.tag and not ref.digest
             else store.db.repo_digest(f"{ref.repository}@{resolved.digest}"))
    result = write_image(
        store, resolved.image, name=shown,
        tags=[str(ref)] if ref.tag and not ref.digest else [],
        repo_digests=[f"{ref.repository}@{resolved.digest}"],
        extra_blobs=[resolved.index_raw] if resolved.index_raw else [],
        source=f"{ref.domain}/{ref.path}", progress=progress, jobs=jobs)
    if admission is not None:
        admission.record(store)
    progress.message(f"Digest: {resolved.digest}")
    if result.new or result.fetched or known != result.row.id:
        progress.message(f"Status: Downloaded newer image for {shown}")
    else:
        progress.message(f"Status: Image is up to date for {shown}")
    from teu.image.events import by_reference

    by_reference(store, "pull", ref)
    return PullResult(ref, result.row.id, resolved.digest, result.new, result.fetched)
